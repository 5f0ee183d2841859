from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from brushwork.models import reflect_conv
from brushwork.models.reflect_conv import ReflectConv2d, reflect_conv3x3


def _plain(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor | None, groups: int = 1, stride: int = 1) -> torch.Tensor:
    return F.conv2d(F.pad(x, (1, 1, 1, 1), mode="reflect"), w, b, stride=stride, groups=groups)


@pytest.fixture(autouse=True)
def _small_maps_take_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reflect_conv, "MIN_AREA", 1)


#: (N, C, O, groups, H, W): plain, depthwise with a batch, grouped at the smallest size (H = 2).
CASES = [(1, 4, 6, 1, 7, 9), (2, 6, 6, 6, 5, 2), (1, 4, 4, 2, 2, 3)]


@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("case", [*CASES, (1, 3, 4, 1, 8, 6), (1, 3, 4, 1, 9, 7), (2, 2, 3, 1, 6, 11)])
def test_it_is_the_reflection_padded_convolution(case: tuple[int, ...], stride: int) -> None:
    """Stride 2 on even and odd sides: the bottom row and right column of the ring count only when odd."""
    n, c, o, groups, h, w = case
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, c, h, w, generator=g, dtype=torch.float64)
    weight = torch.randn(o, c // groups, 3, 3, generator=g, dtype=torch.float64)
    bias = torch.randn(o, generator=g, dtype=torch.float64)
    with torch.no_grad():
        expected = _plain(x, weight, bias, groups, stride)
        got = reflect_conv3x3(x, weight, bias, groups=groups, stride=stride)
        assert got.shape == expected.shape and torch.allclose(got, expected, atol=1e-12)
        cl = x.contiguous(memory_format=torch.channels_last)
        assert torch.allclose(reflect_conv3x3(cl, weight, bias, groups=groups, stride=stride), expected, atol=1e-12)


def test_inference_takes_the_copy_free_path_and_autograd_the_plain_one(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_padded_copy(*args: object) -> torch.Tensor:
        raise AssertionError("the padded copy was made")

    x, weight = torch.randn(1, 4, 6, 6), torch.randn(4, 4, 3, 3)
    expected = _plain(x, weight, None)
    monkeypatch.setattr(reflect_conv, "_plain", no_padded_copy)
    with torch.inference_mode():
        assert torch.allclose(reflect_conv3x3(x, weight), expected, atol=1e-5)
    with pytest.raises(AssertionError, match="padded copy"):
        reflect_conv3x3(x, weight.requires_grad_())


def test_bf16_autocast_matches_within_its_rounding() -> None:
    g = torch.Generator().manual_seed(1)
    x, weight, bias = torch.rand(1, 8, 12, 10, generator=g), torch.randn(8, 8, 3, 3, generator=g) / 8, torch.zeros(8)
    with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16):
        got = reflect_conv3x3(x, weight, bias)
    assert got.dtype == torch.bfloat16
    assert torch.allclose(got.float(), _plain(x, weight, bias), atol=0.05)


@pytest.mark.parametrize("stride", [1, 2])
def test_the_module_keeps_conv2d_parameters_and_gradients(stride: int) -> None:
    torch.manual_seed(0)
    conv = ReflectConv2d(3, 5, stride=stride)
    ref = nn.Conv2d(3, 5, 3, stride=stride, padding=1, padding_mode="reflect")
    ref.load_state_dict(conv.state_dict())
    x = torch.randn(2, 3, 8, 8, requires_grad=True)
    conv(x).square().sum().backward()  # autograd: the plain path
    grad = x.grad.clone()
    x.grad = None
    ref(x).square().sum().backward()
    assert torch.allclose(grad, x.grad, atol=1e-5)
    with torch.inference_mode():
        assert torch.allclose(conv(x), ref(x), atol=1e-5)


def test_only_3x3_kernels_of_stride_1_or_2() -> None:
    with pytest.raises(ValueError, match="3×3"):
        reflect_conv3x3(torch.randn(1, 2, 8, 8), torch.randn(2, 2, 5, 5))
    with pytest.raises(ValueError, match="stride 3"):
        reflect_conv3x3(torch.randn(1, 2, 8, 8), torch.randn(2, 2, 3, 3), stride=3)
    with pytest.raises(ValueError, match="stride 3"):
        ReflectConv2d(2, 2, stride=3)
