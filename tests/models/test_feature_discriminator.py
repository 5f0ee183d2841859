"""The discriminator on frozen VGG16 features: shapes, what is trained and saved, rebuild from its spec."""

from __future__ import annotations

import pytest
import torch

from brushwork.models.discriminators import build_discriminator
from brushwork.models.feature_discriminator import VGGFeatureDiscriminator


def test_scores_per_layer_and_per_image(tiny_encoder) -> None:
    d = VGGFeatureDiscriminator(layers=("relu2_2", "relu4_3"), width=4, encoder=tiny_encoder)
    x = torch.rand(2, 3, 32, 48)
    maps = d.score_features(d.features(x))
    assert [tuple(m.shape) for m in maps] == [(2, 1, 16, 24), (2, 1, 4, 6)]
    score = d(x)
    assert score.shape == (2, 1)
    expected = torch.stack([m.mean(dim=(1, 2, 3)) for m in maps]).mean(0)
    torch.testing.assert_close(score[:, 0], expected)


def test_only_heads_are_parameters_and_saved(tiny_encoder) -> None:
    d = VGGFeatureDiscriminator(layers=("relu3_3",), width=4, encoder=tiny_encoder)
    assert all(k.startswith("heads.") for k in d.state_dict())
    assert sum(p.numel() for p in d.parameters()) == sum(p.numel() for p in d.heads.parameters())
    d.to(torch.float64)  # the held encoder moves with it
    assert next(d.encoder.parameters()).dtype == torch.float64
    assert d(torch.rand(1, 3, 16, 16, dtype=torch.float64)).dtype == torch.float64


def test_gradient_reaches_the_image_not_the_encoder(tiny_encoder) -> None:
    d = VGGFeatureDiscriminator(layers=("relu2_2",), width=4, encoder=tiny_encoder)
    x = torch.rand(1, 3, 16, 16, requires_grad=True)
    d(x).sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    assert all(p.grad is None for p in tiny_encoder.parameters())


def test_rebuilds_from_spec_with_the_same_scores(tiny_encoder) -> None:
    d = VGGFeatureDiscriminator(layers=("relu1_2", "relu3_3"), width=4, encoder=tiny_encoder).eval()
    again = build_discriminator(d.spec(), encoder=tiny_encoder).eval()
    again.load_state_dict(d.state_dict())
    x = torch.rand(1, 3, 24, 24)
    torch.testing.assert_close(again(x), d(x))


def test_bad_settings_raise(tiny_encoder) -> None:
    with pytest.raises(ValueError, match="layers"):
        VGGFeatureDiscriminator(layers=("pool2",), encoder=tiny_encoder)
    with pytest.raises(ValueError, match="at least one layer"):
        VGGFeatureDiscriminator(layers=(), encoder=tiny_encoder)
    with pytest.raises(ValueError, match="unknown discriminator kind"):
        build_discriminator({"kind": "clip"})
