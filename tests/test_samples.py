"""Bundled samples: the astronaut photo and the procedural swirl painting (deterministic, painting-like)."""

from __future__ import annotations

import pytest
import torch

from brushwork.samples import astronaut, swirl_painting


def test_astronaut_is_an_rgb_tensor() -> None:
    image = astronaut()
    assert image.shape == (1, 3, 512, 512) and image.dtype == torch.float32
    assert float(image.min()) >= 0.0 and float(image.max()) <= 1.0 and float(image.std()) > 0.1


def test_swirl_painting_is_deterministic_per_seed() -> None:
    a, b, c = swirl_painting(96), swirl_painting(96), swirl_painting(96, seed=1)
    assert a.shape == (1, 3, 72, 96)
    assert torch.equal(a, b)
    assert not torch.equal(a, c)
    assert float(a.min()) >= 0.0 and float(a.max()) <= 1.0


def test_swirl_painting_looks_like_a_blue_and_yellow_painting() -> None:
    image = swirl_painting(192)[0]
    r, g, b = image
    sky = image[:, : image.shape[1] // 2]
    assert float(sky[2].mean()) > float(sky[0].mean()) + 0.2  # a blue sky
    yellow = (r > 0.75) & (g > 0.6) & (b < 0.6)
    assert 0.005 < float(yellow.float().mean()) < 0.3  # yellow stars, not a yellow picture
    # brush strokes: strong fine detail along the strokes, not a smooth gradient
    detail = (image[:, 1:, :] - image[:, :-1, :]).abs().mean() + (image[:, :, 1:] - image[:, :, :-1]).abs().mean()
    assert float(detail) > 0.03


def test_swirl_painting_rejects_tiny_sizes() -> None:
    with pytest.raises(ValueError, match="at least 16"):
        swirl_painting(8)
