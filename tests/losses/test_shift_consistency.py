"""The shift-consistency loss: free for a shift-equivariant painter, costly for one that stamps its grid."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from brushwork.losses.shift_consistency import shift_consistency_loss, shifted_crop


def _photo(seed: int = 0, size: int = 64) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return F.avg_pool2d(torch.rand(2, 3, size + 2, size + 2, generator=g), 3, stride=1)  # smooth-ish, (2, 3, 64, 64)


def _loss(painter, photo: torch.Tensor, shift: tuple[int, int] = (4, 4), margin: int = 8) -> torch.Tensor:
    return shift_consistency_loss(painter(photo), painter(shifted_crop(photo, shift)), shift=shift, margin=margin)


def test_a_shift_equivariant_painter_costs_nothing() -> None:
    torch.manual_seed(0)
    conv = torch.nn.Conv2d(3, 3, 5, padding=2)
    photo = _photo()
    with torch.no_grad():
        assert float(_loss(conv, photo)) == pytest.approx(0.0, abs=1e-6)  # the border is left out
        assert float(_loss(lambda x: x.sqrt(), photo, shift=(3, 0))) == pytest.approx(0.0, abs=1e-7)


def test_a_painter_that_paints_on_its_own_grid_costs() -> None:
    photo = _photo(1)

    def lattice(x: torch.Tensor) -> torch.Tensor:  # a mark at every 8th row and column of its own input
        y = x.clone()
        y[..., ::8, :] += 0.5
        y[..., :, ::8] += 0.5
        return y

    def coarse(x: torch.Tensor) -> torch.Tensor:  # down by 8 and back: aliases, as a strided network
        return F.interpolate(F.avg_pool2d(x, 8), scale_factor=8, mode="nearest")

    assert float(_loss(lattice, photo)) > 0.05

    def checker(x: torch.Tensor) -> torch.Tensor:  # a 4-px checker tied to the grid: periodic under (4, 4)
        i = torch.arange(x.shape[-1])
        return x + 0.3 * (((i[:, None] // 4) + (i[None, :] // 4)) % 2)

    assert float(_loss(checker, photo)) == pytest.approx(0.0, abs=1e-6)  # why the trainer draws a new shift
    assert float(_loss(checker, photo, shift=(4, 0))) > 0.1
    assert float(_loss(coarse, photo)) > 10 * float(_loss(lambda x: F.avg_pool2d(x, 9, 1, 4), photo))


def test_the_gradient_reaches_both_pictures_and_the_shapes_are_checked() -> None:
    photo = _photo(2)
    a = photo.clone().requires_grad_(True)
    b = (shifted_crop(photo, (4, 4)) + 0.1).requires_grad_(True)
    loss = shift_consistency_loss(a, b, shift=(4, 4), margin=4)
    assert loss.item() == pytest.approx(0.1, rel=1e-4)
    loss.backward()
    assert a.grad.abs().sum() > 0 and b.grad.abs().sum() > 0
    assert float(a.grad[..., :8, :].abs().sum()) == 0.0  # the border (shift + margin) is not compared
    with pytest.raises(ValueError, match="expected a shifted picture"):
        shift_consistency_loss(photo, photo, shift=(4, 4), margin=4)
    with pytest.raises(ValueError, match="margin 40"):
        shift_consistency_loss(photo, shifted_crop(photo, (4, 4)), shift=(4, 4), margin=40)
    for bad in ((0, 0), (8, 1), (-1, 2)):
        with pytest.raises(ValueError, match="between 0 and 7"):
            shifted_crop(photo, bad)
    assert shifted_crop(photo, (4, 4)).shape == (2, 3, 56, 56)
    assert torch.equal(shifted_crop(photo, (2, 5))[..., 0, 0], photo[..., 2, 5])
