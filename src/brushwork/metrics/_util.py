"""Small helpers shared by the metric modules (private)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np
import torch
from torch import nn


def to_module(x: torch.Tensor, module: nn.Module) -> torch.Tensor:
    """``x`` on the module's device and in its floating dtype (e.g. a bf16 encoder gets bf16 images)."""
    for tensor in (*module.parameters(), *module.buffers()):
        if tensor.is_floating_point():
            return x.to(device=tensor.device, dtype=tensor.dtype)
    return x


def check_images(x: torch.Tensor, name: str) -> None:
    """Raise ``ValueError`` unless ``x`` is an RGB batch ``(N, 3, H, W)``."""
    if x.ndim != 4 or x.shape[1] != 3:
        raise ValueError(f"{name}: expected RGB images (N, 3, H, W), got shape {tuple(x.shape)}")


def iter_batches(images: torch.Tensor | Iterable[torch.Tensor], batch_size: int, name: str) -> Iterator[torch.Tensor]:
    """Regroup images into batches of at most ``batch_size`` images of one size (consecutive order kept)."""
    if isinstance(images, torch.Tensor):
        images = [images]
    pending: list[torch.Tensor] = []
    count = 0
    for item in images:
        batch = item.unsqueeze(0) if item.ndim == 3 else item
        if batch.ndim != 4 or batch.shape[1] != 3:
            raise ValueError(f"{name}: expected RGB images (N, 3, H, W) or (3, H, W), got {tuple(item.shape)}")
        for start in range(0, batch.shape[0], batch_size):
            chunk = batch[start : start + batch_size]
            if pending and (chunk.shape[-2:] != pending[0].shape[-2:] or count + chunk.shape[0] > batch_size):
                yield torch.cat(pending)
                pending, count = [], 0
            pending.append(chunk)
            count += chunk.shape[0]
    if pending:
        yield torch.cat(pending)


def as_features(features: np.ndarray | torch.Tensor, name: str) -> np.ndarray:
    """Feature vectors ``(M, D)`` as a float64 array; ``ValueError`` for another rank or NaN/inf."""
    arr = features.detach().cpu().double().numpy() if isinstance(features, torch.Tensor) else np.asarray(features)
    arr = arr.astype(np.float64, copy=False)
    if arr.ndim != 2:
        raise ValueError(f"{name}: expected features (M, D), got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name}: features contain NaN or inf")
    return arr


def polynomial_mmd2(x: np.ndarray, y: np.ndarray, *, gamma: float, coef0: float, degree: int) -> float:
    """Unbiased MMD² of ``x (m, D)`` and ``y (n, D)``, ``m, n >= 2``, with the kernel ``(γ x·y + c)^d``.

    Bińkowski et al. 2018, eq. 3: the within-set kernel means leave out the diagonals (``i != j``), the cross
    term is the mean over all ``m·n`` pairs, so the estimate is unbiased (and can be negative).
    """
    m, n = x.shape[0], y.shape[0]
    k_xx = (gamma * x @ x.T + coef0) ** degree
    k_yy = (gamma * y @ y.T + coef0) ** degree
    k_xy = (gamma * x @ y.T + coef0) ** degree
    within = (k_xx.sum() - np.trace(k_xx)) / (m * (m - 1)) + (k_yy.sum() - np.trace(k_yy)) / (n * (n - 1))
    return float(within - 2.0 * k_xy.mean())
