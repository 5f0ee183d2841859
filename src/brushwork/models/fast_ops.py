"""Inference-only forms of small operations that PyTorch's CPU kernels run far below memory speed.

Each function returns what its plain counterpart returns (exactly, or up to float summation order) and takes the
faster form only where it applies: no autograd graph to record, no trace (ONNX export keeps the plain graph),
and the memory layout it was measured on. Measured in the ``fast`` student at 3840×2160 (696×768 tiles, one
thread of a 2-core AVX2 EPYC; docs/arbitrary_recipe.md): a 1×1 convolution on a channels-last map goes through
PyTorch's slow im2col path plus a layout copy; a nearest ×2 upsampling followed by a sum writes the upsampled
map only to read it again; ``pixel_shuffle`` of a channels-last map strides through memory. The 4K timings
before and after are in docs/arbitrary_recipe.md (session 19).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["Pointwise", "depth_to_space2", "inference_only", "is_channels_last", "pointwise", "upsample2_add_"]


def inference_only(*tensors: torch.Tensor | None) -> bool:
    """Whether the fast forms may run: no tensor needs a gradient recorded and no trace is being recorded."""
    if torch.jit.is_tracing():
        return False
    return not (torch.is_grad_enabled() and any(t is not None and t.requires_grad for t in tensors))


def is_channels_last(x: torch.Tensor) -> bool:
    """Whether ``x`` is a 4-D map laid out channels-last (and not also plain contiguous, as 1×1 maps are)."""
    return x.ndim == 4 and x.is_contiguous(memory_format=torch.channels_last) and not x.is_contiguous()


def pointwise(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
    """``conv2d(x, weight, bias)`` for a 1×1 kernel ``(O, C, 1, 1)`` and ``x`` ``(N, C, H, W)``.

    On a channels-last ``x`` at inference it is one matrix product over the ``(N·H·W, C)`` rows, written
    channels-last (in the student, in-process interleaved: 225 and 281 ms a tile against 240 and 292 with the
    convolution, which takes PyTorch's im2col path and copies the layout; ``F.linear`` was slower still: its
    ``addmm`` first copies the bias into every row).
    """
    if weight.shape[-2:] != (1, 1):
        raise ValueError(f"pointwise: expected a 1×1 kernel, got {tuple(weight.shape)}")
    if not (is_channels_last(x) and inference_only(x, weight, bias)):
        return F.conv2d(x, weight, bias)
    n, c, h, w = x.shape
    rows = torch.mm(x.permute(0, 2, 3, 1).reshape(n * h * w, c), weight.flatten(1).t().to(x.dtype))
    if bias is not None:
        rows.add_(bias.to(x.dtype))  # after the product: addmm first copies the bias into every row
    return rows.view(n, h, w, -1).permute(0, 3, 1, 2)


#: Per output phase (even, odd) of a bilinear ×2 upsampling along one axis: the output cells whose 0.25 tap is a
#: neighbour (``near``), that neighbour in the input (``far``), and the edge cell whose neighbour is itself (clamped).
_BILINEAR_PHASES = (
    (slice(1, None), slice(None, -1), slice(None, 1)),
    (slice(None, -1), slice(1, None), slice(-1, None)),
)


def upsample2_add_(fresh: torch.Tensor, x: torch.Tensor, *, mode: str = "nearest") -> torch.Tensor | None:
    """``fresh += upsample(x)`` (×2, ``"nearest"`` or ``"bilinear"`` with ``align_corners=False``) in place when
    ``fresh`` is exactly twice ``x``'s size, both channels-last: no upsampled map is written.

    Nearest: each of ``x``'s pixels is added to its 2×2 block through a broadcast view. Bilinear: the taps are
    0.75 / 0.25 in each direction (edges clamped), so ``x`` is first interpolated along rows into a half-size map
    and that map is added into the four sub-pixel phases of ``fresh`` (at a 1920×1080 map of 32 channels, one
    AVX2 core pair: 0.12 s against 0.21 s for ``interpolate`` and a sum). Returns ``fresh``, or ``None`` when the
    form does not apply (the caller then upsamples and adds). ``fresh`` must be a map nobody else holds.
    """
    if not inference_only(fresh, x):  # first: no shape comparison recorded in a trace
        return None
    n, c, h, w = x.shape
    if fresh.shape != (n, c, 2 * h, 2 * w) or fresh.dtype != x.dtype:
        return None
    if not (is_channels_last(fresh) and is_channels_last(x)) or mode not in ("nearest", "bilinear"):
        return None
    blocks = fresh.permute(0, 2, 3, 1).view(n, h, 2, w, 2, c)
    pixels = x.permute(0, 2, 3, 1)  # (n, h, w, c), contiguous
    if mode == "nearest":
        blocks.add_(pixels.view(n, h, 1, w, 1, c))
        return fresh
    rows = torch.empty((n, h, 2, w, c), dtype=x.dtype, device=x.device)  # even / odd output rows
    for phase, (near, far, edge) in enumerate(_BILINEAR_PHASES):
        torch.mul(pixels, 0.75, out=rows[:, :, phase])
        rows[:, near, phase].add_(pixels[:, far], alpha=0.25)
        rows[:, edge, phase].add_(pixels[:, edge], alpha=0.25)
    for phase, (near, far, edge) in enumerate(_BILINEAR_PHASES):
        blocks[:, :, :, :, phase].add_(rows, alpha=0.75)
        blocks[:, :, :, near, phase].add_(rows[:, :, :, far], alpha=0.25)
        blocks[:, :, :, edge, phase].add_(rows[:, :, :, edge], alpha=0.25)
    return fresh


def depth_to_space2(x: torch.Tensor) -> torch.Tensor:
    """``pixel_shuffle(x, 2)``: ``(N, 4·C, h, w)`` → ``(N, C, 2h, 2w)``; a channels-last ``x`` at inference is
    rearranged in one pass into a contiguous result (3× faster than ``pixel_shuffle`` on that layout)."""
    if not (is_channels_last(x) and inference_only(x)):
        return F.pixel_shuffle(x, 2)
    n, c4, h, w = x.shape
    c = c4 // 4
    # channels-last memory is (n, h, w, c, 2, 2) with pixel_shuffle's channel order (c, dy, dx)
    return x.permute(0, 2, 3, 1).reshape(n, h, w, c, 2, 2).permute(0, 3, 1, 4, 2, 5).reshape(n, c, 2 * h, 2 * w)


class Pointwise(nn.Conv2d):
    """A 1×1 ``nn.Conv2d`` (same parameters and state dict) that runs :func:`pointwise`."""

    def __init__(self, in_channels: int, out_channels: int, *, bias: bool = True) -> None:
        super().__init__(in_channels, out_channels, 1, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return pointwise(x, self.weight, self.bias)
