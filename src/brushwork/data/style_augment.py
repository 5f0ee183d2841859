"""More styles from few: random scale, quarter turns, flips and colour permutations of style images.

About 370 style images are available offline. Each training step draws a new variant of its style batch:
the whole batch rescaled by one random factor (the stroke size a style shows relative to the photo varies, and
at inference the style may come at any size), every image turned by a random multiple of 90° and mirrored,
and with probability ``permute_p`` its RGB channels permuted (a new palette with the same texture). Square
crops keep their shape under rotation, so the batch stays one tensor. Images are RGB ``(N, 3, S, S)`` in
[0, 1]; a ``torch.Generator`` makes the draw reproducible (exact resume).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["augment_styles"]

_PERMUTATIONS = ((0, 2, 1), (1, 0, 2), (1, 2, 0), (2, 0, 1), (2, 1, 0))


def augment_styles(
    styles: torch.Tensor,
    *,
    generator: torch.Generator,
    scale: tuple[float, float] = (0.75, 1.5),
    permute_p: float = 0.25,
    multiple: int = 8,
) -> torch.Tensor:
    """A random variant of a square style batch ``(N, 3, S, S)`` → ``(N, 3, S', S')`` (``S'`` a multiple of 8).

    Args:
        generator: the source of randomness (CPU).
        scale: range of the batch's resize factor (one factor per call).
        permute_p: probability, per image, of a random non-identity permutation of the RGB channels.
        multiple: ``S'`` is rounded to a multiple of this (at least ``multiple``).
    """
    if styles.ndim != 4 or styles.shape[1] != 3 or styles.shape[-1] != styles.shape[-2]:
        raise ValueError(f"augment_styles: expected square RGB (N, 3, S, S), got {tuple(styles.shape)}")
    n, _, size, _ = styles.shape
    draw = torch.rand(4, n, generator=generator)
    factor = scale[0] + (scale[1] - scale[0]) * float(torch.rand((), generator=generator))
    out = []
    for i in range(n):
        img = torch.rot90(styles[i], int(draw[0, i] * 4) % 4, dims=(1, 2))
        if draw[1, i] < 0.5:
            img = img.flip(2)
        if draw[2, i] < permute_p:
            img = img[list(_PERMUTATIONS[int(draw[3, i] * len(_PERMUTATIONS)) % len(_PERMUTATIONS)])]
        out.append(img)
    batch = torch.stack(out)
    new = max(multiple, round(size * factor / multiple) * multiple)
    if new != size:
        batch = F.interpolate(batch, size=(new, new), mode="bilinear", align_corners=False, antialias=new < size)
    return batch.clamp(0, 1)
