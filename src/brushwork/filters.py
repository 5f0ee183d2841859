"""Small image filters shared by masks and detail transfer: a separable Gaussian blur."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

__all__ = ["gaussian_blur"]


def gaussian_blur(image: torch.Tensor, sigma: float) -> torch.Tensor:
    """``image`` ``(N, C, H, W)`` blurred by a Gaussian of ``sigma`` pixels (radius 3σ, edges replicated).

    Any size from 1×1 up works, and no step depends on the image's size (traceable for ONNX). Same shape, dtype
    and device as ``image``.
    """
    if image.ndim != 4:
        raise ValueError(f"expected (N, C, H, W), got shape {tuple(image.shape)}")
    if not sigma > 0:
        raise ValueError(f"sigma must be > 0, got {sigma}")
    pad = max(1, round(3 * sigma))
    weights = [math.exp(-(i * i) / (2 * sigma**2)) for i in range(-pad, pad + 1)]
    weights = [w / sum(weights) for w in weights]
    work = image if image.dtype in (torch.float32, torch.float64) else image.float()  # sums in float32 at least
    padded = F.pad(work, (pad, pad, pad, pad), mode="replicate")
    return _taps(_taps(padded, weights, dim=-1), weights, dim=-2).to(image.dtype)


def _taps(x: torch.Tensor, weights: list[float], *, dim: int) -> torch.Tensor:
    """``sum_i weights[i] * x`` shifted by ``i`` along ``dim``, ``len(weights) - 1`` elements shorter there.

    Shifted multiply-adds instead of a convolution: oneDNN's 1-channel convolutions run at a fraction of memory
    speed (3840×2160 luma, 13 taps, 2 threads: 0.8 s as two ``conv2d``, 0.12 s this way). Every slice bound is a
    constant, not the image's size, so a traced graph takes any size.
    """
    last = len(weights) - 1
    out = None
    for i, weight in enumerate(weights):
        part = x[..., i : i - last or None, :] if dim == -2 else x[..., i : i - last or None]
        out = part * weight if out is None else out.add_(part, alpha=weight)
    return out
