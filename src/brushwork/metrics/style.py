"""Style distances between outputs and style images: Gram matrices and channel mean/std over VGG16 layers.

Gatys, Ecker & Bethge, "Image Style Transfer Using Convolutional Neural Networks", CVPR 2016 (Gram);
Huang & Belongie, "Arbitrary Style Transfer in Real-time with Adaptive Instance Normalization", ICCV 2017
(mean/std). The statistics are :func:`brushwork.losses.perceptual.gram_matrix` (normalised by C·H·W) and
:func:`~brushwork.losses.perceptual.mean_std`, so the distances are the unweighted style losses those methods
minimise, averaged over layers.

Comparable across image sizes: every statistic is an average over positions, so an output and a style image
of different sizes can be compared, and the numbers for 256-px and 512-px runs are on the same scale. What
the statistics cannot remove is the *scale of the texture*: a style image shown at half the size has finer
strokes and different statistics, so evaluate outputs and styles at the sizes the method worked at.
Features are on the Caffe 0–255 scale of the encoder, so absolute values are large; compare them, don't
read them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from brushwork.losses.perceptual import gram_matrix, mean_std
from brushwork.metrics._util import check_images, to_module

__all__ = [
    "STYLE_LAYERS",
    "StyleStats",
    "gram_distance",
    "mean_std_distance",
    "style_distances",
    "style_stats",
]

#: The first ReLU of each of VGG16's blocks 1–4 (the style layers of Gatys et al. and AdaIN).
STYLE_LAYERS: tuple[str, ...] = ("relu1_1", "relu2_1", "relu3_1", "relu4_1")


@dataclass(frozen=True)
class StyleStats:
    """Per-layer style statistics of a batch of ``N`` images (all float32, on the encoder's device).

    Attributes:
        grams: layer -> ``(N, C, C)`` Gram matrices normalised by ``C·H·W``.
        means: layer -> ``(N, C)`` channel means over space.
        stds: layer -> ``(N, C)`` channel standard deviations over space.
    """

    grams: dict[str, torch.Tensor]
    means: dict[str, torch.Tensor]
    stds: dict[str, torch.Tensor]

    @property
    def layers(self) -> tuple[str, ...]:
        return tuple(self.grams)

    def __len__(self) -> int:
        return int(next(iter(self.grams.values())).shape[0])


@torch.no_grad()
def style_stats(images: torch.Tensor, encoder: nn.Module, *, layers: Sequence[str] = STYLE_LAYERS) -> StyleStats:
    """Gram matrices and channel mean/std of RGB ``(N, 3, H, W)`` images at ``layers`` (one encoder pass).

    Compute a style image's statistics once and pass them to the distance functions for every output.
    """
    check_images(images, "style_stats")
    if not layers:
        raise ValueError("style_stats: no layers given")
    feats = encoder(to_module(images, encoder), layers)
    grams, means, stds = {}, {}, {}
    for name in layers:
        f = feats[name].float()
        grams[name] = gram_matrix(f)
        mu, sd = mean_std(f)
        means[name], stds[name] = mu.flatten(1), sd.flatten(1)
    return StyleStats(grams=grams, means=means, stds=stds)


def _as_stats(
    value: torch.Tensor | StyleStats, encoder: nn.Module | None, layers: Sequence[str], name: str
) -> StyleStats:
    if isinstance(value, StyleStats):
        missing = set(layers) - set(value.layers)
        if missing:
            raise ValueError(f"{name}: precomputed StyleStats lack layers {sorted(missing)}")
        return value
    if encoder is None:
        raise ValueError(f"{name}: an encoder is needed to compare images (or pass precomputed StyleStats)")
    return style_stats(value, encoder, layers=layers)


def _pair(
    output: torch.Tensor | StyleStats,
    style: torch.Tensor | StyleStats,
    encoder: nn.Module | None,
    layers: Sequence[str],
    name: str,
) -> tuple[StyleStats, StyleStats]:
    if not layers:
        raise ValueError(f"{name}: no layers given")
    a = _as_stats(output, encoder, layers, name)
    b = _as_stats(style, encoder, layers, name)
    if len(b) not in (1, len(a)) and len(a) != 1:
        raise ValueError(f"{name}: cannot pair {len(a)} outputs with {len(b)} style images (give 1 or {len(a)})")
    return a, b


def _per_image_mse(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Mean squared difference over all but the batch dimension, with batch-1 broadcasting: ``-> (N,)``."""
    a, b = torch.broadcast_tensors(a, b.to(a.device))
    return F.mse_loss(a, b, reduction="none").flatten(1).mean(dim=1)


def _gram(a: StyleStats, b: StyleStats, layers: Sequence[str]) -> torch.Tensor:
    return torch.stack([_per_image_mse(a.grams[n], b.grams[n]) for n in layers]).mean(dim=0)


def _mean_std(a: StyleStats, b: StyleStats, layers: Sequence[str]) -> torch.Tensor:
    per_layer = [_per_image_mse(a.means[n], b.means[n]) + _per_image_mse(a.stds[n], b.stds[n]) for n in layers]
    return torch.stack(per_layer).mean(dim=0)


def gram_distance(
    output: torch.Tensor | StyleStats,
    style: torch.Tensor | StyleStats,
    encoder: nn.Module | None = None,
    *,
    layers: Sequence[str] = STYLE_LAYERS,
) -> torch.Tensor:
    """Gram-matrix style distance per output: ``-> (N,)``.

    ``mean over layers of mean_{i,j} (G_out − G_style)²`` with ``G`` normalised by ``C·H·W``. ``output`` and
    ``style`` are RGB ``(N, 3, H, W)`` / ``(1 or N, 3, H', W')`` images (sizes may differ) or their
    :func:`style_stats`; one style broadcasts over all outputs, N styles pair up with N outputs. Symmetric,
    0 for identical inputs. ``encoder`` is needed only for arguments given as images.
    """
    a, b = _pair(output, style, encoder, layers, "gram_distance")
    return _gram(a, b, layers)


def mean_std_distance(
    output: torch.Tensor | StyleStats,
    style: torch.Tensor | StyleStats,
    encoder: nn.Module | None = None,
    *,
    layers: Sequence[str] = STYLE_LAYERS,
) -> torch.Tensor:
    """AdaIN's mean/std style distance per output: ``-> (N,)``.

    ``mean over layers of [mean_c (μ_out − μ_style)² + mean_c (σ_out − σ_style)²]``; arguments as in
    :func:`gram_distance`.
    """
    a, b = _pair(output, style, encoder, layers, "mean_std_distance")
    return _mean_std(a, b, layers)


def style_distances(
    output: torch.Tensor | StyleStats,
    style: torch.Tensor | StyleStats,
    encoder: nn.Module | None = None,
    *,
    layers: Sequence[str] = STYLE_LAYERS,
) -> dict[str, torch.Tensor]:
    """Both style distances from one encoder pass per side: ``{"gram": (N,), "mean_std": (N,)}``."""
    a, b = _pair(output, style, encoder, layers, "style_distances")
    return {"gram": _gram(a, b, layers), "mean_std": _mean_std(a, b, layers)}
