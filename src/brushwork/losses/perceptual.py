"""Perceptual losses on feature maps: content, Gram-matrix style, mean/std style, total variation.

Gatys, Ecker & Bethge, "A Neural Algorithm of Artistic Style", 2015 (arXiv:1508.06576);
Huang & Belongie, "Arbitrary Style Transfer in Real-time with Adaptive Instance Normalization", ICCV 2017.
All functions are pure: they never modify their inputs and return scalar tensors (or feature statistics).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = [
    "content_loss",
    "gram_loss",
    "gram_matrix",
    "mean_std",
    "mean_std_loss",
    "relative_gram_loss",
    "total_variation",
]


def _check_features(x: torch.Tensor, name: str) -> None:
    if x.ndim != 4:
        raise ValueError(f"{name}: expected features (N, C, H, W), got shape {tuple(x.shape)}")


def gram_matrix(features: torch.Tensor) -> torch.Tensor:
    """Gram matrix normalised by ``C·H·W``: ``(N, C, H, W) -> (N, C, C)``.

    The normalisation makes the matrix (and so the style loss) independent of the image size: a texture
    tiled to twice the size has the same Gram matrix.
    """
    _check_features(features, "gram_matrix")
    n, c, h, w = features.shape
    flat = features.reshape(n, c, h * w)
    return torch.bmm(flat, flat.transpose(1, 2)) / (c * h * w)


def content_loss(features: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean squared error between feature maps of equal shape ``(N, C, H, W)``."""
    _check_features(features, "content_loss")
    if features.shape != target.shape:
        raise ValueError(f"content_loss: shapes differ {tuple(features.shape)} vs {tuple(target.shape)}")
    return F.mse_loss(features, target)


def gram_loss(features: torch.Tensor, target_gram: torch.Tensor) -> torch.Tensor:
    """Squared Frobenius distance (mean over entries) between ``gram_matrix(features)`` and a target.

    ``target_gram`` is ``(N, C, C)`` or ``(1, C, C)`` (broadcast over the batch).
    """
    return F.mse_loss(gram_matrix(features), target_gram.expand(features.shape[0], -1, -1))


def relative_gram_loss(features: torch.Tensor, target_gram: torch.Tensor, *, eps: float = 1e-8) -> torch.Tensor:
    """``‖G(features) − G_t‖_F / ‖G_t‖_F``, averaged over the batch: a Gram distance that weighs layers alike.

    Args:
        features: ``(N, C, H, W)``.
        target_gram: ``(N, C, C)`` or ``(1, C, C)`` (broadcast), e.g. ``gram_matrix`` of the style's features.
    """
    target = target_gram.expand(features.shape[0], -1, -1)
    diff = (gram_matrix(features) - target).flatten(1).norm(dim=1)
    return (diff / (target.flatten(1).norm(dim=1) + eps)).mean()


#: Elements of a low-precision map converted to float32 at a time by :func:`mean_std` (2 MiB: stays in cache).
_STATS_CHUNK = 1 << 19


def mean_std(features: torch.Tensor, eps: float = 1e-5) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-channel mean and standard deviation over space: ``(N, C, H, W) -> 2 × (N, C, 1, 1)``.

    Computed in float32 (float64 stays float64) from the sum and the sum of squares: on a CPU, reductions of
    bf16 maps and ``Tensor.var`` are several times slower, which shows at full-resolution relu1_1 features.
    On a CPU a bf16/fp16 map is converted a band of rows at a time (about 2 MiB), so the float32 copy stays in
    cache (a 64 × 416 × 544 relu1_1 map: 7 ms instead of 31 ms on a 2-core AVX-512 CPU; the same numbers to float32
    rounding).
    """
    _check_features(features, "mean_std")
    n, c, h, w = features.shape
    exact = features.dtype in (torch.float32, torch.float64)
    banded = not exact and features.device.type == "cpu"  # a GPU would pay a kernel launch per band
    rows = max(1, _STATS_CHUNK // max(1, n * c * w)) if banded else h
    sums, squares = [], []
    for band in features.split(rows, dim=2):
        band = band if exact else band.float()  # one band at a time: its float32 copy stays in cache
        sums.append(band.sum(dim=(2, 3)))
        squares.append(torch.linalg.vector_norm(band, dim=(2, 3)).square())
    count = h * w
    mean = torch.stack(sums).sum(dim=0) / count
    var = (torch.stack(squares).sum(dim=0) / count - mean.square()).clamp_min(0)
    return mean[..., None, None], (var + eps).sqrt()[..., None, None]


def mean_std_loss(features: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """AdaIN's style loss: MSE of channel means plus MSE of channel stds between two feature maps."""
    mu_x, sd_x = mean_std(features)
    mu_t, sd_t = mean_std(target)
    return F.mse_loss(mu_x, mu_t.expand_as(mu_x)) + F.mse_loss(sd_x, sd_t.expand_as(sd_x))


def total_variation(image: torch.Tensor) -> torch.Tensor:
    """Mean squared difference between neighbouring pixels of ``(N, C, H, W)`` (anisotropic TV²)."""
    _check_features(image, "total_variation")
    dh = image[..., 1:, :] - image[..., :-1, :]
    dw = image[..., :, 1:] - image[..., :, :-1]
    return dh.pow(2).mean() + dw.pow(2).mean()
