"""The working scale: where a one-pass network paints, and a model's default."""

from __future__ import annotations

import pytest
import torch

from brushwork.errors import CheckpointError
from brushwork.work_scale import (
    MIN_SIDE,
    check_defaults,
    default_work_scale,
    default_work_side,
    enlarged,
    reduced,
    scale_for,
    working_size,
)


def test_working_size_keeps_a_short_side_and_never_grows() -> None:
    assert working_size(512, 384, 0.75) == (384, 288)
    assert working_size(2160, 3840, 0.75) == (1620, 2880)  # relative: a 4K photo is painted at 2880 px
    assert working_size(512, 384, 1.0) == (512, 384)
    assert working_size(100, 300, 0.25) == (MIN_SIDE, 192)  # the short side stays at 64
    assert working_size(40, 48, 0.5) == (40, 48)  # small pictures are painted at their own size


def test_a_models_default_is_read_and_checked() -> None:
    assert default_work_scale({}) == 1.0 and default_work_scale({"defaults": {"palette": 1}}) == 1.0
    assert default_work_scale({"defaults": {"work_scale": 0.75}}) == 0.75
    for bad in (0.1, 1.5, "small", True, None):
        with pytest.raises(CheckpointError, match=r"defaults\.work_scale"):
            default_work_scale({"defaults": {"work_scale": bad}})


def test_a_work_side_lowers_the_scale_of_large_pictures_only_down_to_its_floor() -> None:
    capped = {"defaults": {"work_scale": 0.875, "work_side": 1024, "work_scale_min": 0.4}}
    assert scale_for(384, 512, capped) == 0.875  # 448 px painted: under the cap
    assert scale_for(768, 1024, capped) == 0.875  # 896 px
    assert scale_for(1200, 1920, capped) == pytest.approx(1024 / 1920)  # 1024 px
    assert working_size(1200, 1920, scale_for(1200, 1920, capped)) == (640, 1024)
    assert scale_for(2160, 3840, capped) == 0.4  # the floor: 1536 px, not 1024
    assert scale_for(1920, 1200, capped) == scale_for(1200, 1920, capped)  # the long side, either way round
    assert scale_for(2160, 3840, {"defaults": {"work_scale": 0.875}}) == 0.875  # no cap: relative at every size
    assert scale_for(2160, 3840, {"defaults": {"work_side": 1024}}) == pytest.approx(1024 / 3840)  # floor 0.25
    assert scale_for(1200, 1920, {"defaults": {"work_scale": 0.3, "work_side": 1024}}) == 0.3  # only lowers
    assert default_work_side({}) == 0 and default_work_side({"defaults": {"work_side": 1024.0}}) == 1024
    for bad in (32, 1000.5, -1, "big", True):
        with pytest.raises(CheckpointError, match=r"defaults\.work_side"):
            default_work_side({"defaults": {"work_side": bad}})
    with pytest.raises(CheckpointError, match=r"defaults\.work_scale_min"):
        scale_for(1200, 1920, {"defaults": {"work_side": 1024, "work_scale_min": 0.1}})
    check_defaults(capped)
    with pytest.raises(CheckpointError, match=r"defaults\.work_scale_min"):
        check_defaults({"defaults": {"work_scale_min": 2}})  # read even without a cap


def test_reduced_and_enlarged_pictures() -> None:
    g = torch.Generator().manual_seed(0)
    image = torch.rand(1, 3, 32, 48, generator=g)
    assert reduced(image, (32, 48)) is image and enlarged(image, (32, 48)) is image
    small = reduced(image, (16, 24))
    assert small.shape == (1, 3, 16, 24) and small.min() >= 0 and small.max() <= 1
    smooth = torch.linspace(0, 1, 48).expand(1, 3, 32, 48).contiguous()
    back = enlarged(reduced(smooth, (16, 24)), (32, 48))
    assert back.shape == smooth.shape and (back - smooth).abs().max() < 0.03  # a ramp survives the round trip
    assert float(enlarged(small, (32, 48)).std()) < 0.6 * float(image.std())  # pixel noise does not (antialiased)


def test_defaults_that_are_not_an_object_are_refused_for_every_setting() -> None:
    from brushwork.color import default_palette
    from brushwork.detail import default_amount

    for read in (default_work_scale, default_palette, default_amount):  # one reader: brushwork.config
        with pytest.raises(CheckpointError, match="is not an object"):
            read({"defaults": 0.5})


def test_the_shipped_fast_paints_large_photos_at_a_smaller_fraction() -> None:
    import json

    from brushwork.api._models import find_model

    config = json.loads((find_model("fast") / "config.json").read_text())
    sizes = {side: scale_for(side * 9 // 16, side, config) for side in (512, 1024, 1440, 1920, 3840)}
    assert sizes[512] == sizes[1024] == 0.875  # 448 and 896 px painted: as before session 43
    assert round(1440 * sizes[1440]) == 1024  # the cap
    assert sizes[1920] == sizes[3840] == 0.6  # the floor: 1152 and 2304 px
