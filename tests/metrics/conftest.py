"""Fixtures for the metric tests: a Gaussian blur and small real images from the shared data."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F


def _blur(image: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian blur of ``(N, C, H, W)`` with reflect padding (a degraded copy for ranking tests)."""
    radius = max(1, int(3 * sigma + 0.5))
    x = torch.arange(-radius, radius + 1, dtype=image.dtype)
    k = torch.exp(-0.5 * (x / sigma) ** 2)
    k = k / k.sum()
    c = image.shape[1]
    out = F.pad(image, (radius, radius, radius, radius), mode="reflect")
    out = F.conv2d(out, k.view(1, 1, 1, -1).repeat(c, 1, 1, 1), groups=c)
    return F.conv2d(out, k.view(1, 1, -1, 1).repeat(c, 1, 1, 1), groups=c)


@pytest.fixture(scope="session")
def blur() -> Callable[[torch.Tensor, float], torch.Tensor]:
    return _blur


@pytest.fixture(scope="session")
def coffee(shared_data: Path) -> torch.Tensor:
    """scikit-image's coffee photo from the shared data, ``(1, 3, 400, 600)`` in [0, 1]."""
    from brushwork.imageio import load_image

    return load_image(shared_data / "content" / "skimage_coffee.png")
