"""The style measure for translation models: the KID ratio, outputs ÷ photos, against real paintings.

KID (Bińkowski, Sutherland, Arbel & Gretton, "Demystifying MMD GANs", ICLR 2018) is the unbiased MMD²
between two feature sets with the cubic polynomial kernel ``k(x, y) = (x·y / d + 1)³``. Here (issue 12) the
features are not Inception's but texture statistics of VGG16: for every image, resized to a 256-px **short**
side, the per-channel spatial mean and standard deviation of ``relu4_3`` (512 + 512 = ``d = 1024`` numbers),
divided by :data:`KID_SCALE` = 100 (:func:`stat_features`).

A translation model's outputs are compared with real paintings, and so are the photos it was given; the
ratio of the two mean KIDs says how much closer to the paintings the model moved the photos (1: not at all,
below 1: closer, 0: indistinguishable). Each of 50 rounds draws ``m = min(100, n)`` images (``n``: the
smaller of the two sets, as in clean-fid and torch-fidelity) and the **same** index subsets for the outputs
and the photos (``outputs[j]`` is the translation of ``photos[j]``) and for the paintings, so a model that
returns its input gets a ratio of exactly 1 (:func:`kid_ratio`). The values are on this project's own scale,
not comparable with published KIDs (Inception features); the ratio is the number to quote.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from brushwork.metrics._util import as_features, iter_batches, polynomial_mmd2, to_module

__all__ = [
    "KID_LAYER",
    "KID_SCALE",
    "KID_SHORT_SIDE",
    "KID_SUBSETS",
    "KID_SUBSET_SIZE",
    "KIDRatio",
    "kid_index_sets",
    "kid_ratio",
    "kid_subsets",
    "stat_features",
]

#: The VGG16 layer whose channel statistics are the features.
KID_LAYER = "relu4_3"
#: Every image is resized to this short side before the encoder.
KID_SHORT_SIDE = 256
#: Features are divided by this (Caffe-scale activations -> numbers of order 1, where the kernel's +1 matters).
KID_SCALE = 100.0
#: Rounds, and images per round (at most; fewer when a set is smaller).
KID_SUBSETS = 50
KID_SUBSET_SIZE = 100

ArrayLike = np.ndarray | torch.Tensor


@torch.no_grad()
def stat_features(
    encoder: nn.Module,
    images: torch.Tensor | Iterable[torch.Tensor],
    *,
    short_side: int = KID_SHORT_SIDE,
    batch_size: int = 8,
) -> np.ndarray:
    """Per-channel spatial mean and std of ``relu4_3`` / :data:`KID_SCALE`: ``-> (M, 2C)`` float64 (``2C = 1024``).

    Args:
        encoder: a :class:`~brushwork.models.encoders.VGG16Encoder` (``encoder(x, ["relu4_3"])``), frozen.
        images: RGB in [0, 1]: an iterable of ``(1, 3, H, W)`` (or ``(N, 3, H, W)``) tensors of any sizes, or
            one tensor. Each is resized to ``short_side`` (aspect kept, :func:`brushwork.imageio.resize`).
        short_side: the short side in pixels the encoder sees.
        batch_size: images per encoder call (consecutive images of one size are batched). Features do not
            depend on it in exact arithmetic; for bit-identical features of identical images (the exact ratio
            1 of :func:`kid_ratio`), compute both sets with the same ``batch_size``.

    Row ``i``: ``[mean_1 … mean_C, std_1 … std_C]`` of image ``i`` (std over the positions, ``ddof = 0``).
    """
    from brushwork.imageio import resize

    if batch_size < 1:
        raise ValueError(f"stat_features: batch_size must be >= 1, got {batch_size}")
    if short_side < 1:
        raise ValueError(f"stat_features: short_side must be >= 1, got {short_side}")
    if isinstance(images, torch.Tensor):
        images = [images]

    def resized() -> Iterable[torch.Tensor]:
        for image in images:
            if image.ndim != 4 or image.shape[1] != 3:
                raise ValueError(f"stat_features: expected RGB images (N, 3, H, W), got {tuple(image.shape)}")
            yield resize(image, short_side=short_side)

    rows: list[torch.Tensor] = []
    for batch in iter_batches(resized(), batch_size, "stat_features"):
        feats = encoder(to_module(batch, encoder), [KID_LAYER])[KID_LAYER].float()
        stats = torch.cat([feats.mean(dim=(2, 3)), feats.std(dim=(2, 3), correction=0)], dim=1)
        rows.append(stats.to("cpu", torch.float64) / KID_SCALE)
    if not rows:
        raise ValueError("stat_features: no images given")
    return torch.cat(rows).numpy()


def kid_index_sets(
    n_x: int, n_real: int, *, subsets: int = KID_SUBSETS, subset_size: int = KID_SUBSET_SIZE, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Random index subsets: ``-> (idx_x (subsets, m), idx_real (subsets, m))``, ``m = min(subset_size, n_x, n_real)``.

    Round ``i`` draws ``m`` distinct rows of each set (without replacement); deterministic for a given ``seed``.
    """
    if subsets < 1:
        raise ValueError(f"kid_index_sets: subsets must be >= 1, got {subsets}")
    m = min(subset_size, n_x, n_real)
    if m < 2:
        raise ValueError(f"kid: need subsets of at least 2 images, got sets of {n_x} and {n_real} (size {subset_size})")
    rng = np.random.default_rng(seed)
    idx_x = np.empty((subsets, m), dtype=np.int64)
    idx_real = np.empty((subsets, m), dtype=np.int64)
    for i in range(subsets):
        idx_x[i] = rng.choice(n_x, m, replace=False)
        idx_real[i] = rng.choice(n_real, m, replace=False)
    return idx_x, idx_real


def kid_subsets(
    features_x: ArrayLike,
    features_real: ArrayLike,
    *,
    subsets: int = KID_SUBSETS,
    subset_size: int = KID_SUBSET_SIZE,
    seed: int = 0,
    index_sets: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """Unbiased MMD² (KID) of ``features_x (M, D)`` vs ``features_real (R, D)`` per round: ``-> (subsets,)``.

    The kernel is ``(x·y / D + 1)³``. Round ``i`` uses rows ``index_sets[0][i]`` of ``features_x`` and
    ``index_sets[1][i]`` of ``features_real`` (default: :func:`kid_index_sets` with ``subsets``,
    ``subset_size`` and ``seed``, which are then ignored). Values can be slightly negative.
    """
    x = as_features(features_x, "kid_subsets")
    r = as_features(features_real, "kid_subsets")
    if x.shape[1] != r.shape[1]:
        raise ValueError(f"kid_subsets: feature dimensions differ ({x.shape[1]} vs {r.shape[1]})")
    if index_sets is None:
        index_sets = kid_index_sets(x.shape[0], r.shape[0], subsets=subsets, subset_size=subset_size, seed=seed)
    idx_x, idx_r = (np.asarray(a) for a in index_sets)
    if idx_x.ndim != 2 or idx_r.ndim != 2 or len(idx_x) != len(idx_r) or min(idx_x.shape[1], idx_r.shape[1]) < 2:
        raise ValueError(f"kid_subsets: index sets must be (S, m >= 2) each, got {idx_x.shape} and {idx_r.shape}")
    for idx, n, what in ((idx_x, x.shape[0], "features_x"), (idx_r, r.shape[0], "features_real")):
        if idx.min() < 0 or idx.max() >= n:
            raise ValueError(f"kid_subsets: index out of range for {what} ({n} rows)")
        if any(len(np.unique(row)) != len(row) for row in idx):
            raise ValueError(f"kid_subsets: a subset of {what} repeats an index (the estimate needs distinct rows)")
    gamma = 1.0 / x.shape[1]
    pairs = zip(idx_x, idx_r, strict=True)
    return np.array([polynomial_mmd2(x[a], r[b], gamma=gamma, coef0=1.0, degree=3) for a, b in pairs])


def _std(values: np.ndarray) -> float:
    return float(values.std(ddof=1)) if values.size > 1 else math.nan


@dataclass(frozen=True)
class KIDRatio:
    """:func:`kid_ratio`'s numbers: ``ratio = kid_outputs / kid_photos`` and the mean ± std KID of each side.

    ``n``: output/photo pairs; ``n_real``: paintings; ``subset_size``: images per round and side.
    """

    ratio: float
    kid_outputs: float
    kid_outputs_std: float
    kid_photos: float
    kid_photos_std: float
    n: int
    n_real: int
    subsets: int
    subset_size: int

    def as_dict(self) -> dict[str, Any]:
        """Plain dict for JSON reports."""
        return asdict(self)


def kid_ratio(
    outputs: ArrayLike,
    photos: ArrayLike,
    real: ArrayLike,
    *,
    subsets: int = KID_SUBSETS,
    subset_size: int = KID_SUBSET_SIZE,
    seed: int = 0,
) -> KIDRatio:
    """KID(outputs, real) ÷ KID(photos, real) with the same subsets on both sides (see the module doc).

    Args:
        outputs: :func:`stat_features` of the outputs, ``(n, D)``; row ``j`` is the translation of photo ``j``.
        photos: :func:`stat_features` of the inputs, ``(n, D)``, in the same order.
        real: :func:`stat_features` of real paintings, ``(R, D)``.

    The ratio is NaN when the photos' mean KID is 0; it is meaningful when that KID is clearly positive (as for
    photos vs paintings). Outputs identical to the photos give exactly 1.
    """
    out = as_features(outputs, "kid_ratio")
    pho = as_features(photos, "kid_ratio")
    ref = as_features(real, "kid_ratio")
    if out.shape != pho.shape:
        raise ValueError(f"kid_ratio: outputs {out.shape} and photos {pho.shape} must be paired (same shape)")
    idx = kid_index_sets(out.shape[0], ref.shape[0], subsets=subsets, subset_size=subset_size, seed=seed)
    k_out = kid_subsets(out, ref, index_sets=idx)
    k_pho = kid_subsets(pho, ref, index_sets=idx)
    mean_out, mean_pho = float(k_out.mean()), float(k_pho.mean())
    return KIDRatio(
        ratio=mean_out / mean_pho if mean_pho != 0 else math.nan,
        kid_outputs=mean_out,
        kid_outputs_std=_std(k_out),
        kid_photos=mean_pho,
        kid_photos_std=_std(k_pho),
        n=out.shape[0],
        n_real=ref.shape[0],
        subsets=subsets,
        subset_size=idx[0].shape[1],
    )
