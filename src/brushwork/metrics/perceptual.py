"""An unlearned, LPIPS-like perceptual content distance on VGG16 features.

Zhang, Isola, Efros, Shechtman & Wang, "The Unreasonable Effectiveness of Deep Features as a Perceptual
Metric", CVPR 2018. LPIPS learns one weight per channel on top of unit-normalised features; this is the
unlearned variant (all weights 1), averaged rather than summed over layers, so values are not comparable
to published LPIPS numbers. It needs no download: the encoder is the project's VGG16.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from brushwork.metrics._util import check_images, to_module

__all__ = ["CONTENT_LAYERS", "channel_normalize", "perceptual_distance"]

#: The last ReLU of each of VGG16's blocks 1–4 (LPIPS-VGG's layers, minus block 5, which we do not have).
CONTENT_LAYERS: tuple[str, ...] = ("relu1_2", "relu2_2", "relu3_3", "relu4_3")
_EPS = 1e-10


def channel_normalize(features: torch.Tensor, eps: float = _EPS) -> torch.Tensor:
    """Scale each spatial position's channel vector to unit length: ``(N, C, H, W) -> (N, C, H, W)``.

    All-zero vectors (dead ReLUs) stay zero instead of dividing by zero.
    """
    norm = features.pow(2).sum(dim=1, keepdim=True).sqrt()
    return features / (norm + eps)


@torch.no_grad()
def perceptual_distance(
    x: torch.Tensor,
    y: torch.Tensor,
    encoder: nn.Module,
    *,
    layers: Sequence[str] = CONTENT_LAYERS,
) -> torch.Tensor:
    """Unlearned LPIPS-like distance per image pair: ``(N, 3, H, W) × 2 -> (N,)``.

    For each layer ``l``: features are unit-normalised over channels at every position, then
    ``d_l = mean_{h,w} Σ_c (x̂ − ŷ)²``; the result is the mean of ``d_l`` over ``layers``. 0 for identical
    images, symmetric, and within [0, 2] for ReLU features (so it does not grow with image size).

    Args:
        x, y: RGB images in [0, 1] of the same shape; moved to the encoder's device and dtype.
        encoder: a :class:`~brushwork.models.encoders.VGG16Encoder` (or any module with the same
            ``forward(image, layers) -> dict`` contract), frozen, in eval mode.
        layers: layers to compare.
    """
    check_images(x, "perceptual_distance")
    if x.shape != y.shape:
        raise ValueError(f"perceptual_distance: shapes differ {tuple(x.shape)} vs {tuple(y.shape)}")
    if not layers:
        raise ValueError("perceptual_distance: no layers given")
    n = x.shape[0]
    # Both sides in one encoder call (2N images).
    feats = encoder(to_module(torch.cat([x, y]), encoder), layers)
    per_layer = []
    for name in layers:
        f = channel_normalize(feats[name].float())
        per_layer.append((f[:n] - f[n:]).pow(2).sum(dim=1).mean(dim=(1, 2)))
    return torch.stack(per_layer).mean(dim=0)
