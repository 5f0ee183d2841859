"""Region masks: alpha or gray, resizing, feathering, and clear errors."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import torch
from PIL import Image

from brushwork.errors import ConfigError
from brushwork.masks import apply_mask, load_mask


def test_gray_file_and_alpha_file(tmp_path: Path) -> None:
    gray = Image.new("L", (20, 10), 0)
    gray.paste(255, (0, 0, 10, 10))
    gray.save(tmp_path / "gray.png")
    mask = load_mask(tmp_path / "gray.png", (10, 20))
    assert mask.shape == (1, 1, 10, 20)
    assert float(mask[..., :10].min()) == 1.0 and float(mask[..., 10:].max()) == 0.0
    rgba = Image.new("RGBA", (20, 10), (0, 0, 0, 0))
    rgba.paste((0, 0, 0, 255), (10, 0, 20, 10))
    rgba.save(tmp_path / "cutout.png")
    cut = load_mask(tmp_path / "cutout.png", (10, 20))
    assert float(cut[..., 10:].min()) == 1.0 and float(cut[..., :10].max()) == 0.0  # opaque = stylise


def test_resize_feather_and_blend() -> None:
    half = torch.zeros(1, 1, 40, 80)
    half[..., :40] = 1
    mask = load_mask(half, (20, 40), feather=2.0)
    assert mask.shape == (1, 1, 20, 40) and float(mask.min()) >= 0 and float(mask.max()) <= 1
    assert 0.05 < float(mask[0, 0, 10, 20]) < 0.95  # a soft edge
    a, b = torch.ones(1, 3, 20, 40), torch.zeros(1, 3, 20, 40)
    torch.testing.assert_close(apply_mask(a, b, mask), mask.expand(1, 3, -1, -1))


def test_empty_mask_warns(caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="brushwork.masks"):
        load_mask(torch.zeros(8, 8), (8, 8))
    assert "empty" in caplog.text


@pytest.mark.parametrize(
    ("mask", "message"),
    [
        (torch.ones(2, 1, 8, 8), "expected"),
        (torch.full((8, 8), float("nan")), "NaN"),
        (torch.ones(8, 16), "aspect ratios differ"),
    ],
)
def test_bad_masks(mask: torch.Tensor, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_mask(mask, (8, 8))
