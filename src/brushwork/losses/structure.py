"""A structure-keeping content loss: distance between channel-normalised feature maps.

Each position's channel vector is scaled to unit length before the squared distance (the unlearned LPIPS of
Zhang et al., CVPR 2018; AdaAttN, Liu et al. ICCV 2021, normalises features for its content loss in the same
spirit). Unlike a plain feature MSE, it compares what is where, not how strongly it fires, so a stylised
image may change colours and contrast and still score well as long as its structure stays.

The normalisation also makes a flat area's faint features (a sky's grain, a calm sea) count as much as an edge's,
so a picture held to it keeps the photo's fine texture where a painter repaints freely. ``magnitude_power > 0``
weights each position by the target's feature strength (relative to the picture's mean, raised to that power):
edges and objects stay held, flat areas are left to the style terms.
"""

from __future__ import annotations

import torch

__all__ = ["normalized_feature_loss", "unit_channels"]


def unit_channels(features: torch.Tensor, eps: float = 1e-10) -> torch.Tensor:
    """Each position's channel vector of ``(N, C, H, W)`` scaled to unit L2 norm (all-zero vectors stay 0)."""
    if features.ndim != 4:
        raise ValueError(f"unit_channels: expected features (N, C, H, W), got shape {tuple(features.shape)}")
    return features / (features.pow(2).sum(dim=1, keepdim=True).sqrt() + eps)


def normalized_feature_loss(
    features: torch.Tensor, target: torch.Tensor, *, magnitude_power: float = 0.0, eps: float = 1e-10
) -> torch.Tensor:
    """Squared L2 between unit-normalised channel vectors, summed over channels, averaged over N and positions.

    Args:
        features, target: ``(N, C, H, W)`` of equal shape (``target`` may be ``(1, C, H, W)``).
        magnitude_power: each position weighted by ``‖target‖ ** magnitude_power``, the weights of each picture
            rescaled to mean 1; 0: every position alike.

    Returns:
        a scalar in [0, 4] (0: same directions everywhere).
    """
    if features.shape[1:] != target.shape[1:]:
        raise ValueError(f"normalized_feature_loss: shapes differ {tuple(features.shape)} vs {tuple(target.shape)}")
    if magnitude_power < 0:
        raise ValueError(f"normalized_feature_loss: magnitude_power {magnitude_power} is negative")
    distance = (unit_channels(features, eps) - unit_channels(target, eps)).pow(2).sum(dim=1)  # (N, H, W)
    if magnitude_power == 0:
        return distance.mean()
    weight = target.pow(2).sum(dim=1).sqrt().pow(magnitude_power)  # (N or 1, H, W): ‖target‖ ** power
    weight = weight / (weight.mean(dim=(1, 2), keepdim=True) + eps)
    return (distance * weight).mean()
