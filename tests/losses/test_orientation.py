"""The stroke-direction loss: which way strokes run costs; their colour, strength and exact place do not."""

from __future__ import annotations

import math

import pytest
import torch

from brushwork.losses.orientation import orientation_field, orientation_loss


def _stripes(angle_deg: float, size: int = 64, period: float = 6.0, contrast: float = 0.3) -> torch.Tensor:
    """Parallel strokes running at ``angle_deg`` (0: horizontal), ``(1, 3, size, size)`` in [0, 1]."""
    yy, xx = torch.meshgrid(torch.arange(size).float(), torch.arange(size).float(), indexing="ij")
    a = math.radians(angle_deg)
    across = -xx * math.sin(a) + yy * math.cos(a)  # distance across the strokes
    return (0.5 + contrast * torch.sin(2 * math.pi * across / period)).expand(1, 3, -1, -1).clone()


def test_parallel_strokes_are_coherent_and_point_the_right_way() -> None:
    field = orientation_field(_stripes(0.0))[..., 8:-8, 8:-8]  # away from the borders
    assert field.shape[1] == 2 and field.dtype == torch.float32
    length = field.norm(dim=1)
    assert float(length.min()) > 0.9  # one direction: coherence near 1
    # horizontal strokes: the gradient is vertical, doubled angle 180°: (-1, 0)
    assert float(field[:, 0].mean()) < -0.9 and abs(float(field[:, 1].mean())) < 0.05
    flat = orientation_field(torch.full((1, 3, 32, 32), 0.4))
    assert float(flat.abs().max()) == 0.0  # a flat picture has no direction


def test_direction_costs_not_colour_contrast_or_place() -> None:
    target = _stripes(30.0)
    assert float(orientation_loss(target, target)) == 0.0
    recoloured = (0.2 + 0.5 * target.flip(1)).clamp(0, 1)  # other colours, weaker strokes
    shifted = _stripes(30.0, size=80)[..., 7:71, 11:75]  # the same strokes moved
    turned = _stripes(120.0)  # across the target's
    assert float(orientation_loss(recoloured, target)) < 0.05
    assert float(orientation_loss(shifted, target)) < 0.05
    assert float(orientation_loss(turned, target)) > 2.0  # opposite doubled angles: distance near 2, squared 4
    assert float(orientation_loss(_stripes(45.0), target)) < float(orientation_loss(turned, target))


def test_gradients_flow_and_the_target_carries_none() -> None:
    output = _stripes(10.0).requires_grad_()
    target = _stripes(80.0).requires_grad_()
    orientation_loss(output, target).backward()
    assert output.grad is not None and output.grad.abs().sum() > 0 and target.grad is None


def test_small_pictures_use_the_scales_they_have() -> None:
    small = _stripes(0.0, size=12)
    assert float(orientation_loss(small, _stripes(90.0, size=12), scales=3)) > 2.0  # only the full scale fits


def test_bad_inputs_are_clear() -> None:
    with pytest.raises(ValueError, match="shapes differ"):
        orientation_loss(torch.zeros(1, 3, 32, 32), torch.zeros(1, 3, 32, 16))
    with pytest.raises(ValueError, match="scales 0"):
        orientation_loss(torch.zeros(1, 3, 32, 32), torch.zeros(1, 3, 32, 32), scales=0)
    with pytest.raises(ValueError, match="expected"):
        orientation_field(torch.zeros(3, 32, 32))
    with pytest.raises(ValueError, match="5\\+ px"):
        orientation_field(torch.zeros(1, 3, 4, 32))  # the window (radius 4) does not fit
