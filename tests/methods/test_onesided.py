"""The one-sided (CUT-style) trainer on tiny models: losses, what trains, exact resume, state, config rules."""

from __future__ import annotations

import pytest
import torch

from brushwork.errors import ConfigError
from brushwork.methods.cyclegan import CycleGAN, CycleGANConfig
from brushwork.methods.onesided import OneSided

TINY = CycleGANConfig(
    objective="onesided",
    direction="BtoA",
    discriminator="vgg",
    d_layers=("relu2_2", "relu3_3"),
    diffaugment="color,translation,cutout",
    skip=True,
    ngf=4,
    blocks=1,
    ndf=4,
    crop_size=32,
    steps=10,
    nce_layers=("relu1_2", "relu2_2"),
    nce_patches=32,
)


def _batch(seed: int = 0, n: int = 2) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    return torch.rand(n, 3, 32, 32, generator=gen), torch.rand(n, 3, 32, 32, generator=gen)


def test_config_names_the_two_networks_of_its_direction() -> None:
    assert TINY.net_names() == ("G_BA", "D_A")
    assert CycleGANConfig(objective="onesided").net_names() == ("G_AB", "D_B")
    assert len(CycleGANConfig().net_names()) == 4
    bad_fields = (
        {"objective": "triangle"},
        {"diffaugment": "rotate"},
        {"d_layers": ("conv9",)},
        {"lambda_nce": -1},
        {"lambda_style": -1},
        {"style_layers": ()},
    )
    for bad in bad_fields:
        with pytest.raises(ConfigError):
            CycleGANConfig(**bad)


def test_cycle_objective_refuses_onesided_parts() -> None:
    for part in ({"discriminator": "vgg"}, {"lambda_style": 1.0}):
        with pytest.raises(ConfigError, match="onesided"):
            CycleGAN(CycleGANConfig(**part, ngf=4, blocks=1, crop_size=32))


@pytest.mark.parametrize("discriminator", ["vgg", "patchgan"])
def test_step_returns_finite_losses_and_trains_g_and_d(tiny_encoder, discriminator: str) -> None:
    cfg = CycleGANConfig.from_dict({**TINY.to_dict(), "discriminator": discriminator, "disc_layers": 2})
    model = OneSided(cfg, encoder=tiny_encoder)
    assert set(model.nets) == {"G_BA", "D_A"}
    before = {k: v.clone() for k, v in model.weights().items()}
    out = model.train_step(_batch())
    assert set(out) == {"loss_g", "adv", "nce", "idt", "loss_d", "lr"}
    assert all(torch.isfinite(torch.tensor(v)) for v in out.values())
    after = model.weights()
    for name in ("G_BA", "D_A"):
        assert any(not torch.equal(before[k], after[k]) for k in before if k.startswith(name))
    assert all(p.grad is None for p in tiny_encoder.parameters())


def test_style_loss_pulls_the_output_texture_towards_the_paintings(tiny_encoder) -> None:
    style_only = {"lambda_style": 50.0, "style_layers": ["relu1_2"], "lambda_nce": 0.0, "lambda_identity": 0.0}
    cfg = CycleGANConfig.from_dict({**TINY.to_dict(), **style_only, "lr": 2e-3, "diffaugment": ""})
    torch.manual_seed(0)
    model = OneSided(cfg, encoder=tiny_encoder)
    stripes = torch.zeros(1, 3, 32, 32)
    stripes[..., ::2] = 1.0
    photo = 0.4 + 0.2 * torch.rand(1, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    styles = [model.train_step((stripes, photo))["style"] for _ in range(8)]
    assert all(torch.isfinite(torch.tensor(styles))) and styles[-1] < 0.8 * styles[0]
    plain = OneSided(TINY, encoder=tiny_encoder).train_step(_batch())
    assert "style" not in plain


def test_style_loss_leaves_the_augmentation_draws_of_the_other_losses_alone(tiny_encoder) -> None:
    """The painting joins the output's DiffAugment call: the same draws, so the step's first losses are equal."""
    firsts = []
    for weight in (0.0, 1.0):
        torch.manual_seed(0)
        cfg = CycleGANConfig.from_dict({**TINY.to_dict(), "lambda_style": weight})
        firsts.append(OneSided(cfg, encoder=tiny_encoder).train_step(_batch()))
    assert "style" in firsts[1] and firsts[1]["style"] > 0
    for key in ("adv", "nce", "idt", "loss_d"):
        assert firsts[0][key] == pytest.approx(firsts[1][key], rel=1e-6, abs=1e-7), key


def test_an_untrained_skip_generator_returns_its_input(tiny_encoder) -> None:
    model = OneSided(TINY, encoder=tiny_encoder)
    grid = model.sample_grid(_batch(n=1))
    source = _batch(n=1)[1][0]
    assert grid.shape == (1, 3, 32, 4 * 32)
    torch.testing.assert_close(grid[0, :, :, 32:64], source, atol=1e-6, rtol=0)


def test_resume_from_state_continues_exactly(tiny_encoder) -> None:
    torch.manual_seed(0)
    whole = OneSided(TINY, encoder=tiny_encoder)
    for step in range(3):
        whole.train_step(_batch(step))
    torch.manual_seed(0)
    first = OneSided(TINY, encoder=tiny_encoder)
    first.train_step(_batch(0))
    rng = torch.get_rng_state()
    second = OneSided(TINY, encoder=tiny_encoder, weights=first.weights())
    second.load_state_dict(first.state_dict())
    torch.set_rng_state(rng)
    for step in (1, 2):
        second.train_step(_batch(step))
    for key, value in whole.weights().items():
        torch.testing.assert_close(second.weights()[key], value, rtol=0, atol=0)
    assert second.model_config()["nets"]["D_A"] == {"kind": "vgg", "layers": ["relu2_2", "relu3_3"], "width": 4}


def test_objective_must_be_onesided(tiny_encoder) -> None:
    with pytest.raises(ConfigError, match="onesided"):
        OneSided(CycleGANConfig(ngf=4, blocks=1, crop_size=32), encoder=tiny_encoder)
