"""Inference-only forms of small operations: the plain operation's result, and the plain path where they do not
apply (autograd, other layouts, sizes)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from brushwork.models.fast_ops import Pointwise, depth_to_space2, inference_only, pointwise, upsample2_add_

CL = torch.channels_last


def _rand(*shape: int, seed: int = 0) -> torch.Tensor:
    return torch.rand(*shape, generator=torch.Generator().manual_seed(seed))


def test_inference_only_sees_gradients_and_traces() -> None:
    x = torch.rand(2, requires_grad=True)
    assert not inference_only(x)
    with torch.no_grad():
        assert inference_only(x)
    assert inference_only(torch.rand(2), None)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # torch.jit.trace: what ONNX export's tracer runs
@pytest.mark.filterwarnings("ignore::torch.jit.TracerWarning")
def test_a_trace_records_the_plain_operations() -> None:
    """ONNX export traces the network: the graph keeps the convolution, upsampling and pixel shuffle."""
    w, b = _rand(4, 4, 1, 1), _rand(4)

    taken: list[bool] = []

    def run(x: torch.Tensor, low: torch.Tensor) -> torch.Tensor:
        fresh = pointwise(x, w, b)
        summed = upsample2_add_(fresh, low)
        taken.append(summed is not None)
        return depth_to_space2(fresh if summed is None else summed)

    x = _rand(1, 4, 8, 6).contiguous(memory_format=CL)
    low = _rand(1, 4, 4, 3, seed=1).contiguous(memory_format=CL)
    with torch.no_grad():
        graph = str(torch.jit.trace(run, (x, low), check_trace=False).graph)
    assert "aten::mm" not in graph and "aten::_convolution" in graph and "pixel_shuffle" in graph
    assert taken == [False]  # the caller's plain upsample-and-add


@pytest.mark.parametrize("bias", [True, False])
def test_pointwise_is_the_1x1_convolution(bias: bool) -> None:
    x = _rand(2, 6, 9, 7).contiguous(memory_format=CL)
    w, b = _rand(5, 6, 1, 1, seed=1), (_rand(5, seed=2) if bias else None)
    with torch.inference_mode():
        fast = pointwise(x, w, b)
    assert fast.is_contiguous(memory_format=CL)
    assert torch.allclose(fast, F.conv2d(x.contiguous(), w, b), atol=1e-6)
    assert torch.equal(pointwise(x.contiguous(), w, b), F.conv2d(x.contiguous(), w, b))  # other layouts: plain
    with pytest.raises(ValueError, match="1×1"):
        pointwise(x, _rand(5, 6, 3, 3), None)


def test_the_pointwise_module_keeps_conv2d_parameters_and_gradients() -> None:
    conv, fast = torch.nn.Conv2d(4, 3, 1), Pointwise(4, 3)
    fast.load_state_dict(conv.state_dict())
    x = _rand(1, 4, 8, 8).contiguous(memory_format=CL).requires_grad_()
    fast(x).sum().backward()  # autograd: the plain convolution
    assert fast.weight.grad is not None and x.grad is not None
    with torch.inference_mode():
        assert torch.allclose(fast(x.detach()), conv(x.detach()), atol=1e-6)


def test_upsample2_add_adds_each_pixel_to_its_block_in_place() -> None:
    x = _rand(2, 5, 6, 7, seed=3).contiguous(memory_format=CL)
    fresh = _rand(2, 5, 12, 14, seed=4).contiguous(memory_format=CL)
    want = fresh + F.interpolate(x, scale_factor=2, mode="nearest")
    with torch.inference_mode():
        done = upsample2_add_(fresh, x)
    assert done is fresh and torch.equal(done, want)
    odd = _rand(1, 5, 13, 14).contiguous(memory_format=CL)
    with torch.inference_mode():
        assert upsample2_add_(odd, x[:1]) is None  # not exactly twice the size
        assert upsample2_add_(fresh.contiguous(), x.contiguous()) is None  # not channels-last
    assert upsample2_add_(fresh, x.requires_grad_()) is None  # autograd


@pytest.mark.parametrize(("h", "w"), [(6, 7), (1, 5), (4, 1)])
def test_bilinear_upsample2_add_is_interpolate_and_sum(h: int, w: int) -> None:
    x = _rand(2, 5, h, w, seed=5).contiguous(memory_format=CL)
    fresh = _rand(2, 5, 2 * h, 2 * w, seed=6).contiguous(memory_format=CL)
    want = fresh + F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
    with torch.inference_mode():
        done = upsample2_add_(fresh, x, mode="bilinear")
        assert upsample2_add_(fresh, x, mode="bicubic") is None  # a form it does not have
    assert done is fresh and torch.allclose(done, want, atol=1e-6)
    assert done.is_contiguous(memory_format=CL)


@pytest.mark.parametrize("layout", [CL, torch.contiguous_format])
def test_depth_to_space2_is_pixel_shuffle(layout: torch.memory_format) -> None:
    x = _rand(2, 12, 5, 7, seed=5).contiguous(memory_format=layout)
    with torch.inference_mode():
        out = depth_to_space2(x)
    assert out.shape == (2, 3, 10, 14) and torch.equal(out, F.pixel_shuffle(x.contiguous(), 2))
