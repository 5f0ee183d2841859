"""Discriminator accuracy with a stub PatchGAN whose patch scores are known."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from brushwork.metrics.discriminator import discriminator_accuracy, discriminator_scores


class _StubPatchD(nn.Module):
    """Patch map = the image's mean over RGB, pooled to 4×4 patches (so the mean score = the image's mean)."""

    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.ones(()))
        self.modes: list[bool] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.modes.append(self.training)
        return F.avg_pool2d(x.mean(dim=1, keepdim=True), 4) * self.scale


def _constant(*values: float, size: int = 16) -> torch.Tensor:
    return torch.stack([torch.full((3, size, size), v) for v in values])


def test_accuracy_counts_scores_against_the_threshold() -> None:
    d = _StubPatchD()
    real = _constant(0.9, 0.7, 0.3, 0.5)  # correct, correct, wrong, wrong (tie)
    fake = _constant(0.1, 0.45, 0.8)  # correct, correct, wrong
    acc = discriminator_accuracy(d, real, fake, batch_size=3)
    assert (acc.real, acc.fake) == (0.5, pytest.approx(2 / 3))
    assert acc.overall == pytest.approx(4 / 7)
    assert (acc.n_real, acc.n_fake, acc.threshold) == (4, 3, 0.5)
    assert acc.mean_real_score == pytest.approx(0.6) and acc.mean_fake_score == pytest.approx(0.45)
    assert acc.as_dict()["overall"] == pytest.approx(4 / 7)


def test_scores_are_patch_means_over_streams_and_the_mode_is_restored() -> None:
    d = _StubPatchD().train()
    images = [_constant(0.2), _constant(0.4, 0.6)[0], _constant(0.8, size=32)]  # mixed sizes and (3, H, W)
    scores = discriminator_scores(d, iter(images), batch_size=2)
    assert torch.allclose(scores, torch.tensor([0.2, 0.4, 0.8]))
    assert d.modes and not any(d.modes) and d.training


def test_transform_is_applied_before_the_discriminator() -> None:
    d = _StubPatchD()
    acc = discriminator_accuracy(d, _constant(0.8), _constant(0.2), transform=lambda x: x * 2 - 1)
    # In [-1, 1]: real 0.6 > 0.5, fake -0.6 < 0.5.
    assert acc.mean_real_score == pytest.approx(0.6) and acc.mean_fake_score == pytest.approx(-0.6)
    assert acc.overall == 1.0


def test_no_images_raise() -> None:
    with pytest.raises(ValueError, match="no images"):
        discriminator_accuracy(_StubPatchD(), [], _constant(0.2))
