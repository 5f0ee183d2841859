"""``brushwork.detail``: the photo's detail layer added back to a stylised image."""

from __future__ import annotations

import pytest
import torch

from brushwork.detail import add_detail, detail_layer, luma_detail
from brushwork.metrics import ssim


def _photo() -> torch.Tensor:
    """Smooth gradient plus sharp edges (a bright square)."""
    y, x = torch.meshgrid(torch.linspace(0, 1, 48), torch.linspace(0, 1, 64), indexing="ij")
    img = torch.stack([x, y, 0.5 * (x + y)])[None] * 0.6
    img[..., 12:30, 20:44] += 0.3
    return img


def test_the_detail_layer_is_zero_on_flat_areas_and_holds_the_edges() -> None:
    layer = detail_layer(_photo(), sigma=2.0)
    assert layer[..., 37:42, 6:12].abs().max() < 1e-3  # a linear gradient away from edges: no detail
    assert layer[..., 12, 30].abs().min() > 0.03  # the square's edge
    assert abs(float(layer.mean())) < 0.01


def test_adding_detail_restores_structure_and_zero_changes_nothing() -> None:
    photo = _photo()
    soft = torch.nn.functional.avg_pool2d(photo, 5, 1, 2, count_include_pad=False) * 0.8 + 0.1  # a "painting"
    assert torch.equal(add_detail(soft, photo, amount=0.0), soft)
    assert ssim(photo, add_detail(soft, photo, amount=0.5)) > ssim(photo, soft) + 0.01
    out = add_detail(torch.ones_like(photo), photo, amount=2.0)
    assert out.max() <= 1.0 and out.min() >= 0.0


def test_in_place_writes_the_same_picture_into_the_callers_tensor() -> None:
    photo = _photo()
    soft = torch.nn.functional.avg_pool2d(photo, 5, 1, 2, count_include_pad=False) * 1.3 - 0.1  # out of [0, 1]
    want, mine = add_detail(soft, photo, amount=0.4), soft.clone()
    assert add_detail(mine, photo, amount=0.4, in_place=True) is mine and torch.equal(mine, want)
    assert add_detail(soft.clone(), photo, amount=0.0, in_place=True).max() <= 1.0
    with torch.inference_mode():
        made = soft.clone()
    assert torch.equal(add_detail(made, photo, amount=0.4, in_place=True), want)  # outside inference mode: a copy
    with torch.inference_mode():
        assert add_detail(made, photo, amount=0.4, in_place=True) is made
    half = soft.bfloat16()
    assert add_detail(half, photo, amount=0.4, in_place=True) is not half  # not float32: a new tensor


def test_only_the_luma_detail_is_added_so_the_colours_stay() -> None:
    photo, base = _photo(), torch.full((1, 3, 48, 64), 0.5)
    change = add_detail(base, photo, amount=1.0) - base
    assert torch.allclose(change, change[:, :1].expand_as(change), atol=1e-6)  # grey: the same on R, G and B
    assert torch.allclose(change, luma_detail(photo).expand_as(change), atol=1e-6)
    assert change.abs().max() > 0.05


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="differ in shape"):
        add_detail(torch.rand(1, 3, 8, 8), torch.rand(1, 3, 8, 9))
    with pytest.raises(ValueError, match="amount"):
        add_detail(torch.rand(1, 3, 8, 8), torch.rand(1, 3, 8, 8), amount=-1.0)
    with pytest.raises(ValueError, match="finite"):
        add_detail(torch.rand(1, 3, 8, 8), torch.rand(1, 3, 8, 8), amount=float("inf"))
