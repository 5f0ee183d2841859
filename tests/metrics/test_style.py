"""Gram and mean/std style distances: zero, symmetry, broadcasting, size invariance; ranking on a real painting."""

from __future__ import annotations

import pytest
import torch

from brushwork.losses.perceptual import gram_loss, gram_matrix, mean_std_loss
from brushwork.metrics.style import (
    STYLE_LAYERS,
    gram_distance,
    mean_std_distance,
    style_distances,
    style_stats,
)
from brushwork.models.encoders import VGG16Encoder


def test_zero_for_identical_and_symmetric(tiny_encoder: VGG16Encoder) -> None:
    g = torch.Generator().manual_seed(0)
    x, s = torch.rand(2, 3, 32, 32, generator=g), torch.rand(2, 3, 32, 32, generator=g)
    for fn in (gram_distance, mean_std_distance):
        assert torch.equal(fn(x, x, tiny_encoder), torch.zeros(2))
        forward, backward = fn(x, s, tiny_encoder), fn(s, x, tiny_encoder)
        assert forward.shape == (2,) and (forward > 0).all()
        assert torch.allclose(forward, backward)


def test_equals_the_losses_averaged_over_layers(tiny_encoder: VGG16Encoder) -> None:
    x, s = torch.rand(1, 3, 32, 32), torch.rand(1, 3, 48, 40)  # sizes may differ
    fx, fs = tiny_encoder(x, STYLE_LAYERS), tiny_encoder(s, STYLE_LAYERS)
    gram = sum(gram_loss(fx[n], gram_matrix(fs[n])) for n in STYLE_LAYERS) / len(STYLE_LAYERS)
    moments = sum(mean_std_loss(fx[n], fs[n]) for n in STYLE_LAYERS) / len(STYLE_LAYERS)
    assert gram_distance(x, s, tiny_encoder).item() == pytest.approx(gram.item(), rel=1e-5)
    assert mean_std_distance(x, s, tiny_encoder).item() == pytest.approx(moments.item(), rel=1e-5)


def test_one_style_broadcasts_and_precomputed_stats_match(tiny_encoder: VGG16Encoder) -> None:
    outputs, style = torch.rand(3, 3, 32, 32), torch.rand(1, 3, 40, 40)
    stats = style_stats(style, tiny_encoder)
    assert len(stats) == 1 and stats.layers == STYLE_LAYERS
    both = style_distances(outputs, stats, tiny_encoder)
    assert torch.allclose(both["gram"], gram_distance(outputs, style, tiny_encoder))
    assert torch.allclose(both["mean_std"], mean_std_distance(outputs, style, tiny_encoder))
    one_by_one = torch.cat([gram_distance(outputs[i : i + 1], style, tiny_encoder) for i in range(3)])
    assert torch.allclose(both["gram"], one_by_one, rtol=1e-5)
    # Paired styles: N outputs with N styles.
    styles = torch.rand(3, 3, 40, 40)
    paired = gram_distance(outputs, styles, tiny_encoder)
    assert torch.allclose(paired[1], gram_distance(outputs[1:2], styles[1:2], tiny_encoder)[0])


def test_comparable_across_image_sizes() -> None:
    """A texture tiled 2×2 has exactly the statistics of the tile (circular padding removes border effects)."""
    torch.manual_seed(0)
    encoder = VGG16Encoder(widths=(4, 8, 8, 8), padding_mode="circular").requires_grad_(False).eval()
    tile = torch.rand(1, 3, 32, 32)
    tiled = tile.repeat(1, 1, 2, 2)
    other = torch.rand(1, 3, 64, 64)
    for fn in (gram_distance, mean_std_distance):
        same = fn(tiled, tile, encoder).item()
        assert same < 1e-6 * fn(other, tile, encoder).item()


def test_rejects_bad_inputs(tiny_encoder: VGG16Encoder) -> None:
    x = torch.rand(3, 3, 16, 16)
    with pytest.raises(ValueError, match="cannot pair 3 outputs with 2 style images"):
        gram_distance(x, torch.rand(2, 3, 16, 16), tiny_encoder)
    with pytest.raises(ValueError, match="encoder is needed"):
        gram_distance(x, x)
    with pytest.raises(ValueError, match="lack layers"):
        gram_distance(x, style_stats(x, tiny_encoder, layers=["relu1_1"]), tiny_encoder)
    with pytest.raises(ValueError, match="RGB"):
        style_stats(torch.rand(1, 1, 16, 16), tiny_encoder)


@pytest.mark.integration
def test_real_vgg16_ranks_a_blurred_painting_farther_from_its_style(vgg16: VGG16Encoder, shared_data, blur) -> None:
    from brushwork.imageio import load_image, resize

    style = resize(load_image(shared_data / "styles" / "starry_night.jpg"), long_side=128)
    stats = style_stats(style, vgg16)
    candidates = torch.cat([style, blur(style, 1.0), blur(style, 2.5)])
    d = style_distances(candidates, stats, vgg16)
    for name in ("gram", "mean_std"):
        assert d[name][0] < 1e-6 * d[name][2], name
        assert d[name][0] < d[name][1] < d[name][2], name
