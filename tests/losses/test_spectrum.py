"""The phase-free spectrum loss: periodic patterns and missing texture cost, placement does not."""

from __future__ import annotations

import math

import pytest
import torch

from brushwork.losses.spectrum import log_power_spectrum, spectrum_loss


def _smooth(seed: int, size: int = 64) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    noise = torch.rand(2, 3, size, size, generator=g)
    return torch.nn.functional.avg_pool2d(noise, 5, 1, 2, count_include_pad=False)


def _hatching(size: int = 64, period: int = 8) -> torch.Tensor:
    yy, xx = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
    return torch.sin(2 * math.pi * (xx + yy).float() / period)


def test_shape_and_a_peak_where_the_pattern_is() -> None:
    spectrum = log_power_spectrum(0.5 + 0.1 * _hatching().expand(1, 3, -1, -1), window=32)
    assert spectrum.shape == (1, 32, 17) and spectrum.dtype == torch.float32
    peak = divmod(int(spectrum[0].argmax()), 17)
    assert peak == (4, 4)  # a diagonal period of 8 px: 32 / 8 = 4 cycles per window on both axes


def test_missing_texture_costs_far_more_than_moving_the_strokes() -> None:
    base = _smooth(0, 192)
    target = base[..., :128, :128]
    moved = base[..., 64:, 64:]  # the same texture, other strokes
    assert spectrum_loss(target, target) == 0
    blurred = torch.nn.functional.avg_pool2d(target, 3, 1, 1, count_include_pad=False)
    assert spectrum_loss(blurred, target) > 5 * spectrum_loss(moved, target)  # fine texture gone
    blocky = torch.nn.functional.interpolate(target[..., ::8, ::8], scale_factor=8.0, mode="nearest")
    assert spectrum_loss(blocky, target) > 5 * spectrum_loss(moved, target)  # 8-px cells: steps, nothing inside


def test_gradients_flow_and_the_target_carries_none() -> None:
    output, target = _smooth(1).requires_grad_(), _smooth(2).requires_grad_()
    spectrum_loss(output, target).backward()
    assert output.grad is not None and output.grad.abs().sum() > 0 and target.grad is None


def test_bad_shapes_are_clear() -> None:
    with pytest.raises(ValueError, match="shapes differ"):
        spectrum_loss(torch.zeros(1, 3, 64, 64), torch.zeros(1, 3, 64, 48))
    with pytest.raises(ValueError, match="64\\+ px"):
        log_power_spectrum(torch.zeros(1, 3, 32, 80))
