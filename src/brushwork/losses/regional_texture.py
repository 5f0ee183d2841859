"""How texture is spread over the picture: the distribution of regional feature spread against the painting's.

A Gram or mean/std loss compares statistics of the whole picture, so a picture can match them with dense texture
where the photo is busy and the photo's own calm (a flat sky, a still lake) elsewhere. A painter repaints those
areas too. This loss splits each feature map into ``cells × cells`` regions, measures every channel's standard
deviation in each region (how much happens there), and compares the sorted values of the picture with the
painting's: a one-dimensional optimal-transport (Wasserstein-2) distance between the two distributions of regional
texture energy per channel, as the sliced-Wasserstein texture losses compare sorted feature values (Heitz et al.,
CVPR 2021; histogram losses: Risser et al., 2017). Where the painting is busy everywhere the picture must be too;
where the painting has calm planes of its own, calm regions stay allowed. Which regions are calm is left free.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["regional_std", "regional_texture_loss"]


def regional_std(features: torch.Tensor, *, cells: int, eps: float = 1e-5) -> torch.Tensor:
    """Each channel's standard deviation in each of ``cells × cells`` regions.

    Args:
        features: ``(N, C, H, W)`` with ``H, W ≥ cells``.
        cells: regions per side (adaptive average pooling bounds; uneven sizes are spread evenly).
        eps: added to the variance before the square root (a finite gradient on flat regions).

    Returns:
        ``(N, C, cells · cells)``.
    """
    if features.ndim != 4:
        raise ValueError(f"regional_std: expected features (N, C, H, W), got shape {tuple(features.shape)}")
    if cells < 1 or min(features.shape[-2:]) < cells:
        raise ValueError(f"regional_std: {cells} cells per side do not fit features of shape {tuple(features.shape)}")
    x = features.float()
    mean = F.adaptive_avg_pool2d(x, cells)
    square = F.adaptive_avg_pool2d(x * x, cells)
    return (square - mean * mean).clamp_min(0).add(eps).sqrt().flatten(2)


def regional_texture_loss(features: torch.Tensor, target: torch.Tensor, *, cells: int = 4) -> torch.Tensor:
    """Squared distance between the sorted regional standard deviations of ``features`` and ``target``.

    Args:
        features: the picture's ``(N, C, H, W)`` features.
        target: the paintings' ``(N, C, h, w)`` features at the same layer (any size of at least ``cells``),
            one painting per picture (a batch of one is broadcast).
        cells: regions per side of both.

    Returns:
        A scalar: the mean over pictures, channels and regions of the squared difference between the k-th
        smallest regional standard deviation of the picture and of its painting.
    """
    if features.shape[1] != target.shape[1] or target.shape[0] not in (1, features.shape[0]):
        raise ValueError(
            f"regional_texture_loss: features {tuple(features.shape)} and target {tuple(target.shape)} do not pair"
        )
    ours = regional_std(features, cells=cells).sort(dim=-1).values
    theirs = regional_std(target, cells=cells).sort(dim=-1).values
    return F.mse_loss(ours, theirs.expand_as(ours))
