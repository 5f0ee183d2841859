"""Set-level distances on VGG16 features: the VGG-feature Fréchet distance and an unbiased kernel distance.

Heusel et al., "GANs Trained by a Two Time-Scale Update Rule Converge to a Local Nash Equilibrium",
NeurIPS 2017 (the Fréchet distance between Gaussians fitted to network features); Bińkowski, Sutherland,
Arbel & Gretton, "Demystifying MMD GANs", ICLR 2018 (KID: unbiased MMD² with a cubic polynomial kernel).

These are **not** FID or KID: those are defined on Inception-v3 pool3 features, which would need a download.
Here the features are the project's VGG16, so the numbers are on their own scale and are comparable only with
each other (same layers, same image size, same set sizes).

Features: ``relu3_3`` averaged over space, divided by 255 (see :func:`vgg_features`). Why this layer:
relu3_3 ends VGG16's third block — mid-level features (strokes, textures, object parts) with a ~40-px
receptive field, which is what style transfer changes, while deep enough not to care where things are.
relu4_3 is more semantic (FID's rationale for Inception's last layer) but on small sets separates domains
worse: on vangogh2photo at 128 px with 32 vs 32 images, the distance trainA↔trainB is 3.1× the distance
between two halves of trainB for relu3_3 and 2.2× for relu4_3. Its 256 channels (vs 512) also keep the
covariance better estimated from few images. Global average pooling gives one vector per image whatever its
size (each entry: how strongly a feature is present anywhere). Other layers can be concatenated via
``layers``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from brushwork.metrics._util import as_features, iter_batches, polynomial_mmd2, to_module

__all__ = [
    "FEATURE_SCALE",
    "FRECHET_LAYERS",
    "GaussianStats",
    "KernelDistance",
    "frechet_distance",
    "gaussian_stats",
    "kernel_distance",
    "local_vgg_features",
    "vgg_features",
]

#: Default feature layer(s) for the set-level distances (concatenated when several).
FRECHET_LAYERS: tuple[str, ...] = ("relu3_3",)
#: Pooled features are divided by this: the encoder sees inputs on the Caffe 0–255 scale, so this puts the
#: features roughly back on the scale of [0, 1] inputs (RMS ≈ 1 for relu3_3 on photos and paintings), where the
#: kernel's offset ``c = 1`` matters and distances read like small numbers rather than millions.
FEATURE_SCALE = 255.0

ArrayLike = np.ndarray | torch.Tensor


@torch.no_grad()
def vgg_features(
    images: torch.Tensor | Iterable[torch.Tensor],
    encoder: nn.Module,
    *,
    layers: Sequence[str] = FRECHET_LAYERS,
    batch_size: int = 16,
    progress: bool = False,
) -> torch.Tensor:
    """Spatially averaged VGG16 features / :data:`FEATURE_SCALE`, one row per image: ``-> (M, D)`` float64, CPU.

    Args:
        images: RGB in [0, 1]: one ``(N, 3, H, W)`` tensor, or an iterable (e.g. a generator that loads
            files lazily) of ``(N_i, 3, H_i, W_i)`` or ``(3, H, W)`` tensors of any sizes. At most
            ``batch_size`` images are on the encoder at once, so memory stays bounded for large sets.
        encoder: a :class:`~brushwork.models.encoders.VGG16Encoder`, frozen, in eval mode.
        layers: layers to pool; their channel means are concatenated (``D`` = total channels).
        batch_size: images per encoder call.
        progress: show a tqdm bar (counts images).
    """
    if batch_size < 1:
        raise ValueError(f"vgg_features: batch_size must be >= 1, got {batch_size}")
    if not layers:
        raise ValueError("vgg_features: no layers given")
    rows: list[torch.Tensor] = []
    with tqdm(desc="VGG features", unit="img", disable=not progress) as bar:
        for batch in iter_batches(images, batch_size, "vgg_features"):
            feats = encoder(to_module(batch, encoder), layers)
            pooled = [feats[name].float().mean(dim=(2, 3)) for name in layers]
            rows.append(torch.cat(pooled, dim=1).to("cpu", torch.float64) / FEATURE_SCALE)
            bar.update(batch.shape[0])
    if not rows:
        raise ValueError("vgg_features: no images given")
    return torch.cat(rows)


@torch.no_grad()
def local_vgg_features(
    images: torch.Tensor | Iterable[torch.Tensor],
    encoder: nn.Module,
    *,
    layer: str = "relu3_3",
    per_image: int | None = 512,
    seed: int = 0,
) -> torch.Tensor:
    """VGG16 feature vectors at individual positions of ``layer`` / :data:`FEATURE_SCALE`: ``-> (M, C)`` float64.

    Where :func:`vgg_features` gives one vector per image, this gives one per position (a ~40-px patch at
    relu3_3), so even a single style image yields thousands of samples of its textures: the Fréchet distance
    between the patch features of a set of outputs and those of the style image(s) is a texture distance in the
    spirit of SIFID (Shaham, Dekel & Michaeli, "SinGAN", ICCV 2019, single-image FID on Inception features).
    ``per_image`` positions are drawn per image (seeded; ``None``: all positions).
    """
    gen = torch.Generator().manual_seed(seed)
    rows: list[torch.Tensor] = []
    for batch in iter_batches(images, 8, "local_vgg_features"):
        feats = encoder(to_module(batch, encoder), [layer])[layer].float()
        for f in feats:
            flat = f.flatten(1).T  # (positions, C)
            if per_image is not None and flat.shape[0] > per_image:
                flat = flat[torch.randperm(flat.shape[0], generator=gen)[:per_image].to(flat.device)]
            rows.append(flat.to("cpu", torch.float64) / FEATURE_SCALE)
    if not rows:
        raise ValueError("local_vgg_features: no images given")
    return torch.cat(rows)


@dataclass(frozen=True)
class GaussianStats:
    """Mean ``(D,)`` and covariance ``(D, D)`` (float64) of ``n`` feature vectors."""

    mean: np.ndarray
    cov: np.ndarray
    n: int


def gaussian_stats(features: ArrayLike) -> GaussianStats:
    """Fit a Gaussian to ``(M, D)`` features: sample mean and unbiased covariance (``ddof=1``); ``M >= 2``."""
    arr = as_features(features, "gaussian_stats")
    if arr.shape[0] < 2:
        raise ValueError(f"gaussian_stats: need at least 2 feature vectors, got {arr.shape[0]}")
    cov = np.cov(arr, rowvar=False, ddof=1).reshape(arr.shape[1], arr.shape[1])  # (D, D) even when D == 1
    return GaussianStats(mean=arr.mean(axis=0), cov=cov, n=arr.shape[0])


def _sqrt_psd(matrix: np.ndarray) -> np.ndarray:
    """Symmetric square root of a symmetric PSD matrix via eigh (negative round-off eigenvalues -> 0)."""
    vals, vecs = np.linalg.eigh((matrix + matrix.T) / 2)
    return (vecs * np.sqrt(np.clip(vals, 0.0, None))) @ vecs.T


def frechet_distance(a: GaussianStats | ArrayLike, b: GaussianStats | ArrayLike) -> float:
    """VGG-feature Fréchet distance between two feature sets (or their :func:`gaussian_stats`).

    ``d² = |μ_a − μ_b|² + tr(Σ_a) + tr(Σ_b) − 2 tr((Σ_a Σ_b)^½)``, the squared 2-Wasserstein distance between
    the fitted Gaussians (Dowson & Landau 1982). Computed in float64: with ``R = Σ_a^½`` (symmetric, from
    an eigen-decomposition), ``tr((Σ_a Σ_b)^½) = Σ √λ_i(R Σ_b R)`` and ``R Σ_b R`` is symmetric PSD, so the
    square root is real by construction (no imaginary parts to clamp, unlike ``scipy.linalg.sqrtm`` on the
    non-symmetric product); tiny negative eigenvalues from round-off are clipped to 0, and the result to >= 0.

    Sample-size caveat: this is a *biased* estimate — for two finite samples of one distribution it is
    positive, and the bias grows as the number of images ``n`` shrinks relative to the feature dimension
    ``D`` (512 here); below ``D`` images the covariances are rank-deficient. Values from sets of a few dozen
    images (e.g. 50 test images) are only meaningful relative to each other, computed at the same ``n``,
    layers and image size; never compare them with published FIDs. Report :func:`kernel_distance`
    (unbiased) beside it for small sets.
    """
    sa = a if isinstance(a, GaussianStats) else gaussian_stats(a)
    sb = b if isinstance(b, GaussianStats) else gaussian_stats(b)
    if sa.mean.shape != sb.mean.shape:
        raise ValueError(f"frechet_distance: feature dimensions differ ({sa.mean.shape[0]} vs {sb.mean.shape[0]})")
    diff = sa.mean - sb.mean
    root_a = _sqrt_psd(sa.cov)
    middle = root_a @ sb.cov @ root_a
    eig = np.linalg.eigvalsh((middle + middle.T) / 2)
    trace_sqrt = float(np.sqrt(np.clip(eig, 0.0, None)).sum())
    value = float(diff @ diff + np.trace(sa.cov) + np.trace(sb.cov) - 2.0 * trace_sqrt)
    return max(value, 0.0)


@dataclass(frozen=True)
class KernelDistance:
    """Unbiased MMD² estimates over random subsets: their mean and standard deviation."""

    mean: float
    std: float
    subsets: int
    subset_size: int

    def as_dict(self) -> dict[str, float | int]:
        """Plain dict for JSON reports."""
        return asdict(self)


def kernel_distance(
    a: ArrayLike,
    b: ArrayLike,
    *,
    subsets: int = 100,
    subset_size: int | None = None,
    degree: int = 3,
    coef0: float = 1.0,
    gamma: float | None = None,
    seed: int = 0,
) -> KernelDistance:
    """KID-style kernel distance between two feature sets ``(M, D)`` and ``(N, D)`` (VGG features, not KID).

    The kernel is ``k(x, y) = (γ x·y + c)^d`` with ``γ = 1/D``, ``c = 1``, ``d = 3`` by default (Bińkowski et
    al. 2018). Each of ``subsets`` rounds draws ``m = min(subset_size, M, N)`` rows from each set without
    replacement (``subset_size`` defaults to ``min(1000, max(2, min(M, N) // 2))``: the usual 1000 for large
    sets, half the smaller set for small ones, so that the rounds differ and the std means something) and
    computes the unbiased MMD² estimate (diagonals of the within-set kernel matrices left out); the result
    is the mean ± std over rounds (std is NaN for a single round). Unbiased, so it is ~0 (and can be slightly
    negative) for two samples of one distribution at any set size, which makes it the better-behaved number
    on small sets. Deterministic for a given ``seed``.
    """
    x = as_features(a, "kernel_distance")
    y = as_features(b, "kernel_distance")
    if x.shape[1] != y.shape[1]:
        raise ValueError(f"kernel_distance: feature dimensions differ ({x.shape[1]} vs {y.shape[1]})")
    smallest = min(x.shape[0], y.shape[0])
    wanted = min(1000, max(2, smallest // 2)) if subset_size is None else subset_size
    m = min(wanted, smallest)
    if m < 2:
        raise ValueError(f"kernel_distance: need at least 2 feature vectors per set, got {x.shape[0]} and {y.shape[0]}")
    if subsets < 1:
        raise ValueError(f"kernel_distance: subsets must be >= 1, got {subsets}")
    g = 1.0 / x.shape[1] if gamma is None else gamma
    rng = np.random.default_rng(seed)
    estimates = np.empty(subsets)
    for i in range(subsets):
        xs = x[rng.choice(x.shape[0], m, replace=False)]
        ys = y[rng.choice(y.shape[0], m, replace=False)]
        estimates[i] = polynomial_mmd2(xs, ys, gamma=g, coef0=coef0, degree=degree)
    std = float(estimates.std(ddof=1)) if subsets > 1 else math.nan
    return KernelDistance(mean=float(estimates.mean()), std=std, subsets=subsets, subset_size=m)
