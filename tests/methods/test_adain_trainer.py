"""The AdaIN Trainable: losses fall, state round-trips, the saved config rebuilds the decoder."""

from __future__ import annotations

import copy
import dataclasses

import torch

from brushwork.methods.adain import AdaINConfig
from brushwork.methods.adain_trainer import AdaINTrainer
from brushwork.models.decoders import build_decoder
from brushwork.models.encoders import VGG16Encoder

TINY = AdaINConfig(decoder_widths=(8, 8, 4), encoder_widths=(4, 8, 8, 8), lr=3e-3, crop=32, load_size=32)


def _batch(seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return torch.rand(2, 3, 32, 32, generator=g), torch.rand(2, 3, 32, 32, generator=g) * 0.5


def test_train_step_lowers_the_loss_and_reports_numbers(tiny_encoder: VGG16Encoder) -> None:
    trainer = AdaINTrainer(TINY, encoder=tiny_encoder, seed=0)
    batch = _batch(0)
    history = [trainer.train_step(batch) for _ in range(30)]
    assert set(history[0]) == {"loss", "content", "style", "lr"}
    assert history[-1]["loss"] < 0.5 * history[0]["loss"]
    assert history[-1]["lr"] < TINY.lr
    grid = trainer.sample_grid(batch)
    assert grid.shape == (1, 3, 64, 96) and grid.min() >= 0 and grid.max() <= 1


def test_state_round_trip_continues_identically(tiny_encoder: VGG16Encoder) -> None:
    a = AdaINTrainer(TINY, encoder=tiny_encoder, seed=0)
    for step in range(3):
        a.train_step(_batch(step))
    b = AdaINTrainer(TINY, encoder=tiny_encoder, seed=1, weights=a.weights())
    b.load_state_dict(copy.deepcopy(a.state_dict()))  # as if saved and loaded (no shared tensors)
    la, lb = a.train_step(_batch(9)), b.train_step(_batch(9))
    assert la == lb
    assert all(torch.equal(a.weights()[k], b.weights()[k]) for k in a.weights())


def test_model_config_rebuilds_the_decoder(tiny_encoder: VGG16Encoder) -> None:
    trainer = AdaINTrainer(TINY, encoder=tiny_encoder, seed=0)
    config = trainer.model_config()
    assert config["method"] == "adain" and AdaINConfig.from_dict(config["config"]) == TINY
    rebuilt = build_decoder(config["nets"]["decoder"])
    rebuilt.load_state_dict({k.removeprefix("decoder."): v for k, v in trainer.weights().items()})
    x = torch.rand(1, 8, 4, 4)
    assert torch.equal(rebuilt(x), trainer.decoder(x))


def test_skips_structure_gram_identity_and_augmentation(tiny_encoder: VGG16Encoder) -> None:
    plain = AdaINTrainer(TINY, encoder=tiny_encoder, seed=0)
    for step in range(3):
        plain.train_step(_batch(step))
    skips = ("relu3_1", "relu2_1", "relu1_1")
    skip_cfg = dataclasses.replace(
        TINY, skips=skips, structure_weight=1.0, gram_weight=1.0, identity_weight=1.0, style_augment=True
    )
    # a plain decoder starts one with skips (zero-initialised): the same pictures at first
    trainer = AdaINTrainer(skip_cfg, encoder=tiny_encoder, seed=0, weights=plain.weights())
    batch = _batch(5)
    assert torch.equal(trainer.sample_grid(batch), plain.sample_grid(batch))
    history = [trainer.train_step(batch) for _ in range(20)]
    assert set(history[0]) == {"loss", "content", "style", "structure", "gram", "identity", "lr"}
    assert history[-1]["loss"] < history[0]["loss"]
    assert any(float(t.abs().sum()) > 0 for k, t in trainer.weights().items() if ".skip." in k)
    rebuilt = build_decoder(trainer.model_config()["nets"]["decoder"])
    assert rebuilt.layers == ("relu4_1", "relu3_1", "relu2_1", "relu1_1")
    again = AdaINTrainer(skip_cfg, encoder=tiny_encoder, seed=0, weights=trainer.weights())
    again.load_state_dict(copy.deepcopy(trainer.state_dict()))
    assert again.train_step(_batch(7)) == trainer.train_step(_batch(7))  # the augmentation draw resumes too
