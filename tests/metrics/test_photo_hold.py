"""Tests for the photo hold: a colour filter holds 1, a repainted layout holds little."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from brushwork.color import rgb_to_yiq, yiq_to_rgb
from brushwork.metrics import photo_hold


def _field(seed: int, size: int = 64) -> torch.Tensor:
    """A smooth random RGB picture ``(1, 3, size, size)`` in [0, 1] (forms of about 8 px)."""
    g = torch.Generator().manual_seed(seed)
    coarse = torch.rand(1, 3, size // 8, size // 8, generator=g)
    return F.interpolate(coarse, size=(size, size), mode="bilinear", align_corners=False)


def test_identity_and_any_global_affine_filter_hold_one() -> None:
    photo = _field(0)
    mix = torch.tensor([[0.5, 0.3, 0.1], [0.1, 0.6, 0.2], [0.2, 0.1, 0.4]])
    filtered = torch.einsum("ij,njhw->nihw", mix, photo) + torch.tensor([0.1, 0.05, 0.2]).view(1, 3, 1, 1)
    for picture in (photo, filtered, 1 - photo):
        hold = photo_hold(photo, picture, cell=4)
        assert hold["luma"].item() == pytest.approx(1.0, abs=1e-6)
        assert hold["chroma"].item() == pytest.approx(1.0, abs=1e-6)


def test_another_layout_holds_little() -> None:
    photo, other = _field(0), _field(1)
    hold = photo_hold(photo, other, cell=4)
    assert hold["luma"].item() < 0.2 and hold["chroma"].item() < 0.2
    shuffled = photo.flip(-1).flip(-2)
    assert photo_hold(photo, shuffled, cell=4)["luma"].item() < 0.5


def test_luma_and_chroma_are_told_apart() -> None:
    photo, other = _field(0), _field(1)
    y, iq = rgb_to_yiq(photo)[:, :1], rgb_to_yiq(other)[:, 1:]
    recoloured = yiq_to_rgb(torch.cat([y, iq], dim=1))  # the photo's tones, another picture's hues
    hold = photo_hold(photo, recoloured, cell=4)
    assert hold["luma"].item() == pytest.approx(1.0, abs=1e-6)
    assert hold["chroma"].item() < 0.3


def test_batched_small_and_flat() -> None:
    photos, pictures = torch.cat([_field(0), _field(2)]), torch.cat([_field(1), _field(2)])
    both = photo_hold(photos, pictures, cell=4)
    for i in range(2):
        one = photo_hold(photos[i : i + 1], pictures[i : i + 1], cell=4)
        assert torch.allclose(both["luma"][i], one["luma"][0]) and torch.allclose(both["chroma"][i], one["chroma"][0])
    assert both["luma"][1].item() == pytest.approx(1.0, abs=1e-6)
    small = photo_hold(_field(0, 32), _field(1, 32))  # 16-px cells would leave 4: the cells shrink
    assert torch.isfinite(small["luma"]).all() and small["luma"].dtype == torch.float64
    flat = photo_hold(_field(0), torch.full((1, 3, 64, 64), 0.5), cell=4)
    assert flat["luma"].isnan().all() and flat["chroma"].isnan().all()  # nothing to hold or not
    grey = _field(3).mean(dim=1, keepdim=True).expand(1, 3, 64, 64)
    held = photo_hold(_field(0), grey, cell=4)
    assert held["chroma"].isnan().all() and 0 <= held["luma"].item() < 0.2


def test_bad_inputs() -> None:
    with pytest.raises(ValueError, match="shapes differ"):
        photo_hold(_field(0), _field(0, 32))
    with pytest.raises(ValueError, match="RGB"):
        photo_hold(torch.zeros(1, 1, 8, 8), torch.zeros(1, 1, 8, 8))
    with pytest.raises(ValueError, match="cell"):
        photo_hold(_field(0), _field(0), cell=0)
