"""The regional texture loss: where texture is, as a distribution, against the painting's."""

from __future__ import annotations

import pytest
import torch

from brushwork.losses.regional_texture import regional_std, regional_texture_loss


def _busy_and_calm(seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    busy = torch.randn(1, 5, 16, 16, generator=g)  # texture everywhere
    half = busy.clone()
    half[..., :8] *= 0.05  # the same texture, calm on the left half (a photo's sky)
    return busy, half


def test_regional_std_measures_each_region() -> None:
    _, half = _busy_and_calm(0)
    stds = regional_std(half, cells=2)
    assert stds.shape == (1, 5, 4)
    left, right = stds[..., [0, 2]], stds[..., [1, 3]]  # row-major cells: the left column is 0 and 2
    assert float(left.max()) < 0.1 and float(right.min()) > 0.6
    flat = regional_std(torch.full((2, 3, 8, 8), 0.7), cells=4)
    assert torch.allclose(flat, torch.full_like(flat, 1e-5**0.5))  # eps keeps a flat region's gradient finite
    with pytest.raises(ValueError, match="do not fit"):
        regional_std(half, cells=17)
    with pytest.raises(ValueError, match="expected features"):
        regional_std(half[0], cells=2)


def test_calm_regions_cost_against_a_busy_painting_but_not_where_they_are() -> None:
    busy, half = _busy_and_calm(1)
    painting = torch.randn(1, 5, 24, 20, generator=torch.Generator().manual_seed(2))  # any size
    calm = float(regional_texture_loss(half, painting, cells=4))
    textured = float(regional_texture_loss(busy, painting, cells=4))
    assert calm > 5 * textured  # the global std of `half` is still 0.7 of `busy`'s, its calm half is what costs
    moved = torch.roll(half, 8, dims=-1)  # the calm half on the right: the same distribution, the same cost
    assert float(regional_texture_loss(moved, painting, cells=4)) == pytest.approx(calm, rel=1e-5)
    assert float(regional_texture_loss(painting, painting, cells=4)) == 0.0
    # a painting with calm planes of its own allows them: `half` against itself (batch of one broadcast)
    batch = torch.cat([half, torch.roll(half, 8, dims=-1)])
    assert float(regional_texture_loss(batch, half, cells=4)) == pytest.approx(0.0, abs=1e-10)


def test_its_gradient_raises_the_calm_regions() -> None:
    busy, half = _busy_and_calm(3)
    x = half.clone().requires_grad_(True)
    regional_texture_loss(x, busy, cells=2).backward()
    step = x.detach() - 50.0 * x.grad
    stds = regional_std(step, cells=2)
    before = regional_std(half, cells=2)
    assert float(stds[..., [0, 2]].mean()) > 2 * float(before[..., [0, 2]].mean())


def test_shapes_are_checked() -> None:
    x = torch.rand(2, 4, 8, 8)
    with pytest.raises(ValueError, match="do not pair"):
        regional_texture_loss(x, torch.rand(2, 3, 8, 8))
    with pytest.raises(ValueError, match="do not pair"):
        regional_texture_loss(x, torch.rand(3, 4, 8, 8))
