"""Shared fixtures: the shared data folder, the real VGG16 (session-scoped), tiny random encoders."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = (REPO / ".." / "shared" / "data").resolve()


@pytest.fixture(autouse=True)
def _two_threads() -> None:
    """The CI machine has two cores; pin torch so tests behave the same everywhere."""
    torch.set_num_threads(2)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``<repo>/../shared/data`` (always present in CI; tests fail loudly if it is not)."""
    assert SHARED_DATA.is_dir(), f"{SHARED_DATA} is missing: the shared data must sit beside the repo"
    return SHARED_DATA


@pytest.fixture(scope="session")
def vgg16():
    """The real, frozen VGG16 encoder on CPU (converted once from the offline provider)."""
    from brushwork.models.encoders import load_vgg16

    return load_vgg16()


@pytest.fixture
def tiny_encoder():
    """A random-weight VGG16-shaped encoder with 4–8 channels, frozen."""
    from brushwork.models.encoders import VGG16Encoder

    torch.manual_seed(0)
    return VGG16Encoder(widths=(4, 8, 8, 8)).requires_grad_(False).eval()
