from __future__ import annotations

import copy
import dataclasses
import itertools

import pytest
import torch

from brushwork.errors import CheckpointError, ConfigError
from brushwork.methods.cyclegan import CycleGAN, CycleGANConfig, lr_factor, translate

TINY = CycleGANConfig(ngf=4, blocks=1, ndf=4, disc_layers=2, crop_size=32, steps=10)


def _batch(seed: int = 0, n: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    return torch.rand(n, 3, 32, 32, generator=gen), torch.rand(n, 3, 32, 32, generator=gen)


def test_config_defaults_are_the_papers() -> None:
    c = CycleGANConfig()
    assert (c.lambda_cycle, c.lambda_identity, c.lr, c.betas, c.pool_size) == (10.0, 0.5, 2e-4, (0.5, 0.999), 50)
    assert (c.generator, c.ngf, c.blocks, c.gan_loss, c.disc_layers) == ("resnet", 64, 9, "lsgan", 3)
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.ngf = 3  # type: ignore[misc]


def test_config_round_trips_and_rejects_bad_values() -> None:
    assert CycleGANConfig.from_dict(TINY.to_dict()) == TINY
    with pytest.raises(ConfigError, match="unknown settings"):
        CycleGANConfig.from_dict({**TINY.to_dict(), "wings": 2})
    with pytest.raises(ConfigError, match="gan_loss='wgan'"):
        CycleGANConfig(gan_loss="wgan")
    with pytest.raises(ConfigError, match="multiple of 4"):
        CycleGANConfig(crop_size=30)
    with pytest.raises(ConfigError, match="multiple of 128"):
        CycleGANConfig(generator="unet", crop_size=64)


def test_schedule_is_constant_then_linear_to_zero() -> None:
    f = [lr_factor(s, steps=10, decay_from=0.5) for s in range(11)]
    assert f[:5] == [1.0] * 5
    assert all(a > b for a, b in itertools.pairwise(f[4:]))
    assert f[10] == 0.0 and f[9] > 0


def test_train_step_returns_finite_losses_and_updates_everything() -> None:
    model = CycleGAN(TINY)
    before = {k: v.clone() for k, v in model.weights().items()}
    out = model.train_step(_batch(n=2))
    assert set(out) >= {"loss_g", "adv_ab", "adv_ba", "cyc_a", "cyc_b", "idt_a", "idt_b", "loss_d_a", "loss_d_b", "lr"}
    assert all(torch.isfinite(torch.tensor(v)) for v in out.values())
    after = model.weights()
    for name in ("G_AB", "G_BA", "D_A", "D_B"):
        assert any(not torch.equal(before[k], after[k]) for k in before if k.startswith(name))


def test_discriminators_are_frozen_during_the_generator_step() -> None:
    model = CycleGAN(TINY)
    seen: list[bool] = []
    model.d_a.register_forward_pre_hook(lambda m, _: seen.append(next(m.parameters()).requires_grad))
    model.train_step(_batch())
    assert seen == [False, True, True]  # G step (fake A), then D step (real A, pooled fake A)


def test_identity_off_and_bce_loss() -> None:
    model = CycleGAN(dataclasses.replace(TINY, lambda_identity=0.0, gan_loss="bce"))
    out = model.train_step(_batch())
    assert out["idt_a"] == 0.0 and out["loss_d_a"] > 0


def test_freeze_encoder_keeps_the_downsampling_half_fixed() -> None:
    model = CycleGAN(dataclasses.replace(TINY, freeze_encoder=True))
    enc = [p.clone() for p in model.g_ab.encoder_parameters()]
    rest = [p.clone() for p in model.g_ab.decoder.parameters()]
    model.train_step(_batch())
    assert all(torch.equal(a, b) for a, b in zip(enc, model.g_ab.encoder_parameters(), strict=True))
    assert any(not torch.equal(a, b) for a, b in zip(rest, model.g_ab.decoder.parameters(), strict=True))


def test_bf16_channels_last_and_unet_train() -> None:
    for cfg in (
        dataclasses.replace(TINY, bf16=True, channels_last=True),
        dataclasses.replace(TINY, generator="unet", unet_depth=3, upsample="nearest"),
    ):
        out = CycleGAN(cfg).train_step(_batch())
        assert all(torch.isfinite(torch.tensor(v)) for v in out.values())


def test_sample_grid_layout() -> None:
    grid = CycleGAN(TINY).sample_grid(_batch(n=2))
    assert grid.shape == (1, 3, 4 * 32, 3 * 32)
    assert torch.equal(grid[0, :, :32, :32], _batch(n=2)[0][0])  # top-left is real A


def test_weights_and_state_round_trip() -> None:
    a = CycleGAN(TINY, seed=1)
    a.train_step(_batch())
    b = CycleGAN(TINY, seed=2)
    b.load_weights(a.weights())
    b.load_state_dict(copy.deepcopy(a.state_dict()))  # in memory, optimiser states would share tensors
    batch = _batch(3)
    assert a.train_step(batch) == b.train_step(batch)
    assert all(torch.equal(x, y) for x, y in zip(a.weights().values(), b.weights().values(), strict=True))


def test_weights_of_another_architecture_are_a_clear_error() -> None:
    other = CycleGAN(dataclasses.replace(TINY, ngf=8)).weights()
    with pytest.raises(CheckpointError, match="G_AB: weights are for a different architecture"):
        CycleGAN(TINY).load_weights(other)
    with pytest.raises(CheckpointError, match="missing"):
        CycleGAN(TINY, weights={"D_A.model.0.weight": torch.zeros(1)})
    only_g = {k: v for k, v in CycleGAN(TINY, seed=3).weights().items() if k.startswith("G_BA.")}
    partial = CycleGAN(TINY, weights=only_g)  # e.g. fine-tuning a shipped one-direction model
    assert all(torch.equal(v, partial.weights()[k]) for k, v in only_g.items())
    with pytest.raises(CheckpointError, match="trainer state"):
        CycleGAN(TINY).load_state_dict({"opt_g": {}})


def test_translate_any_size_to_unit_range() -> None:
    model = CycleGAN(TINY)
    out = translate(model.g_ab, torch.rand(2, 3, 21, 45))
    assert out.shape == (2, 3, 21, 45) and out.dtype == torch.float32
    assert out.min() >= 0 and out.max() <= 1
