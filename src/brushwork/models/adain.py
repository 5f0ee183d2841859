"""Adaptive instance normalisation as a pure function.

Huang & Belongie, "Arbitrary Style Transfer in Real-time with Adaptive Instance Normalization", ICCV 2017:
``AdaIN(x, y) = σ(y) · (x − μ(x)) / σ(x) + μ(y)``, with per-sample, per-channel statistics over space.
"""

from __future__ import annotations

import torch

from brushwork.losses.perceptual import mean_std

__all__ = ["adain", "adain_with_stats"]


def adain_with_stats(
    content: torch.Tensor, style_mean: torch.Tensor, style_std: torch.Tensor, *, eps: float = 1e-5
) -> torch.Tensor:
    """Normalise ``content`` ``(N, C, H, W)`` per channel, then scale/shift to ``(N|1, C, 1, 1)`` stats."""
    mean, std = mean_std(content, eps=eps)
    return (content - mean) / std * style_std + style_mean


def adain(content: torch.Tensor, style: torch.Tensor, *, eps: float = 1e-5) -> torch.Tensor:
    """Content features ``(N, C, H, W)`` with the channel mean/std of ``style`` ``(N|1, C, H', W')``.

    Sizes may differ; a single style broadcasts over a batch of contents. ``eps`` keeps constant channels
    (σ = 0) finite.
    """
    if content.ndim != 4 or style.ndim != 4 or content.shape[1] != style.shape[1]:
        raise ValueError(f"adain: expected (N, C, H, W) features, got {tuple(content.shape)}, {tuple(style.shape)}")
    s_mean, s_std = mean_std(style, eps=eps)
    return adain_with_stats(content, s_mean, s_std, eps=eps)
