"""3×3 convolutions with reflection padding, without the padded copy of the input at inference.

``conv2d(pad(x, reflect), w)`` writes a padded copy of every input map before convolving: at full resolution that
copy costs as much as a third of a 64-channel convolution (measured, 2-core AVX-512 CPU). The same result is a
zero-padded convolution (oneDNN pads inside the kernel) plus the reflected ring's contribution, which only reaches
the outermost output rows and columns: four thin strip convolutions added in place. Exact up to float rounding
(float64: ≤ 1e-13). Used where autograd, tracing (ONNX export) and small maps are absent; elsewhere the plain
padded path runs.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["ReflectConv2d", "reflect_conv3x3"]

#: Maps with fewer positions than this take the plain path (the strip convolutions would cost more than the copy).
MIN_AREA = 1 << 15


def _plain(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None, groups: int, stride: int) -> torch.Tensor:
    return F.conv2d(F.pad(x, (1, 1, 1, 1), mode="reflect"), weight, bias, stride=stride, groups=groups)


def reflect_conv3x3(
    x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None, *, groups: int = 1, stride: int = 1
) -> torch.Tensor:
    """``conv2d(F.pad(x, (1, 1, 1, 1), mode="reflect"), weight, bias, stride=stride, groups=groups)``.

    ``x`` ``(N, C, H, W)`` with ``H, W ≥ 2``; ``weight`` ``(O, C / groups, 3, 3)``; ``stride`` 1 or 2 →
    ``(N, O, ⌈H / stride⌉, ⌈W / stride⌉)``.
    """
    if weight.shape[-2:] != (3, 3):
        raise ValueError(f"reflect_conv3x3: expected a 3×3 kernel, got {tuple(weight.shape)}")
    if stride not in (1, 2):
        raise ValueError(f"reflect_conv3x3: stride {stride} is not 1 or 2")
    h, w = x.shape[-2:]
    fast = (
        not (torch.is_grad_enabled() and any(t is not None and t.requires_grad for t in (x, weight, bias)))
        and not torch.jit.is_tracing()
        and min(h, w) >= 2
        and h * w >= MIN_AREA
    )
    if not fast:
        return _plain(x, weight, bias, groups, stride)
    y = F.conv2d(x, weight, bias, padding=1, stride=stride, groups=groups)
    # The ring: row −1 is row 1 and row H is row H−2 (their corners reflected too); column −1 is column 1 and
    # column W is column W−2 for rows 0…H−1 (the corners belong to the rows). Row −1 reaches output row 0 only;
    # row H reaches the last output row, and with stride 2 only when H is odd (likewise for the columns).
    s = stride
    conv = F.conv2d
    top = F.pad(x[..., 1:2, :], (1, 1, 0, 0), mode="reflect")
    y[..., :1, :] += conv(top, weight[..., :1, :], stride=(1, s), groups=groups)
    if s == 1 or h % 2:
        bottom = F.pad(x[..., h - 2 : h - 1, :], (1, 1, 0, 0), mode="reflect")
        y[..., -1:, :] += conv(bottom, weight[..., 2:, :], stride=(1, s), groups=groups)
    left = F.pad(x[..., :, 1:2], (0, 0, 1, 1))
    y[..., :, :1] += conv(left, weight[..., :, :1], stride=(s, 1), groups=groups)
    if s == 1 or w % 2:
        right = F.pad(x[..., :, w - 2 : w - 1], (0, 0, 1, 1))
        y[..., :, -1:] += conv(right, weight[..., :, 2:], stride=(s, 1), groups=groups)
    return y


class ReflectConv2d(nn.Conv2d):
    """A 3×3 ``nn.Conv2d`` of stride 1 or 2 with reflection padding (same parameters and state dict) that runs
    :func:`reflect_conv3x3`."""

    def __init__(
        self, in_channels: int, out_channels: int, *, stride: int = 1, groups: int = 1, bias: bool = True
    ) -> None:
        if stride not in (1, 2):
            raise ValueError(f"ReflectConv2d: stride {stride} is not 1 or 2")
        super().__init__(
            in_channels, out_channels, 3, stride=stride, padding=1, padding_mode="reflect", groups=groups, bias=bias
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return reflect_conv3x3(x, self.weight, self.bias, groups=self.groups, stride=self.stride[0])
