"""Tests for the photo hold loss: free under the ceiling, a gradient that repaints the tones above it."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from brushwork.losses.photo_hold import cell_colours, hold_r2, photo_hold_loss


def _field(seed: int, size: int = 64) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return F.interpolate(torch.rand(2, 3, size // 8, size // 8, generator=g), size=(size, size), mode="bilinear")


def test_a_filtered_photo_costs_the_excess_and_another_layout_is_free() -> None:
    photo = _field(0)
    assert photo_hold_loss(0.5 * photo + 0.2, photo, cell=8).item() == pytest.approx(0.36, abs=1e-4)  # (1 - 0.4)²
    assert photo_hold_loss(0.5 * photo + 0.2, photo, cell=8, ceiling=0.9).item() == pytest.approx(0.01, abs=1e-4)
    assert photo_hold_loss(_field(1), photo, cell=8).item() == pytest.approx(0.0, abs=1e-3)


def test_its_gradient_lowers_the_hold() -> None:
    photo = _field(0)
    picture = (0.6 * photo + 0.2 + 0.05 * _field(1)).requires_grad_()
    before = photo_hold_loss(picture, photo, cell=8)
    before.backward()
    assert picture.grad is not None and picture.grad.abs().sum() > 0
    with torch.no_grad():
        after = photo_hold_loss(picture - 0.5 * picture.grad / picture.grad.abs().max(), photo, cell=8)
    assert after.item() < before.item()


def test_r2_of_cells_and_bad_inputs() -> None:
    photo = _field(0)
    cells = cell_colours(photo, 8)
    assert cells.shape == (2, 64, 3)
    assert torch.allclose(hold_r2(cells, 2 * cells[..., :1] - 1), torch.ones(2), atol=1e-5)
    with pytest.raises(ValueError, match="shapes differ"):
        photo_hold_loss(photo, photo[:1])
    with pytest.raises(ValueError, match="fewer than 16 cells"):
        photo_hold_loss(photo[..., :32, :32], photo[..., :32, :32], cell=16)
    with pytest.raises(ValueError, match="RGB"):
        cell_colours(photo[:, :1], 8)


def test_bf16_autocast_gets_the_float32_loss() -> None:
    photo = _field(0)
    picture = 0.6 * photo + 0.2 + 0.05 * _field(1)
    plain = photo_hold_loss(picture, photo, cell=8)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        mixed = photo_hold_loss(picture, photo, cell=8)
    assert mixed.dtype == torch.float32 and mixed.item() == pytest.approx(plain.item(), rel=1e-6)


def test_a_nearly_flat_picture_holds_about_one_with_a_bounded_gradient() -> None:
    photo = _field(0)
    grads = []
    for scale in (1e-2, 1e-4):
        picture = (0.5 + scale * (photo - 0.5)).requires_grad_()
        loss = photo_hold_loss(picture, photo, cell=8, ceiling=0.0)
        loss.backward()
        assert picture.grad is not None
        grads.append(picture.grad.norm().item())
    assert loss.item() == pytest.approx(1.0, abs=1e-3)  # a flat picture: explained by a constant
    assert grads[1] <= grads[0]  # flattening further does not blow the gradient up
