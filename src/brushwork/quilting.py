"""Image quilting: a texture of any size stitched from an exemplar's own patches.

Efros and Freeman, "Image Quilting for Texture Synthesis and Transfer", SIGGRAPH 2001. Square patches are laid in
raster order, each overlapping the ones before it by a quarter of its side; each is drawn at random among the
exemplar's patches whose overlap differs from what is already there by at most ``tolerance`` more than the best
one's, and blended in across the overlap by a linear ramp. (The paper's minimum-error boundary cut is left out: the
one-pass networks that paint over an underpainting repaint the seams.) The texture keeps the exemplar's marks whole
at their size and its colours, in a new arrangement: no optimisation and no network, milliseconds on a CPU.

Images are float RGB in [0, 1], ``(1, 3, H, W)``.
"""

from __future__ import annotations

import numpy as np
import torch
from numpy.lib.stride_tricks import sliding_window_view

__all__ = ["MAX_CANDIDATES", "MAX_CANDIDATE_PIXELS", "quilt"]

#: The exemplar's patches are taken on a grid coarse enough to keep at most this many candidates per placement ...
MAX_CANDIDATES = 2048
#: ... and at most this many of their pixels in all (large patches: the overlap strips' memory stays bounded).
MAX_CANDIDATE_PIXELS = 2048 * 32 * 32


def _candidates(exemplar: np.ndarray, patch: int) -> np.ndarray:
    """The exemplar's ``(C, h, w)`` ``patch``-px patches on a grid of about an eighth of a patch, at most
    :data:`MAX_CANDIDATES` and :data:`MAX_CANDIDATE_PIXELS`: a view ``(C, rows, cols, patch, patch)`` (nothing
    copied)."""
    h, w = exemplar.shape[-2:]
    stride = max(1, patch // 8)
    limit = min(MAX_CANDIDATES, MAX_CANDIDATE_PIXELS // (patch * patch))
    while ((h - patch) // stride + 1) * ((w - patch) // stride + 1) > max(1, limit):
        stride += 1
    return sliding_window_view(exemplar, (patch, patch), axis=(1, 2))[:, ::stride, ::stride]


class _Strips:
    """The candidates' overlap strips as rows of matrices, with their squared norms, so that a placement's
    squared differences to all of them are one matrix–vector product: ``|a - b|² = |a|² - 2 a·b + |b|²``."""

    def __init__(self, cands: np.ndarray, overlap: int) -> None:
        def rows(part: np.ndarray) -> np.ndarray:  # (C, r, c, y, x) → (r·c, C·y·x), in float64: the expansion
            return part.transpose(1, 2, 0, 3, 4).reshape(-1, part[:, 0, 0].size).astype(np.float64)  # cancels

        self.top = rows(cands[..., :overlap, :])  # the patch's top rows
        self.left = rows(cands[..., :, :overlap])  # its left columns
        self.below = rows(cands[..., overlap:, :overlap])  # its left columns below the top rows
        self.norms = {name: np.einsum("ij,ij->i", m, m) for name, m in vars(self).items()}

    def error(self, name: str, target: np.ndarray) -> np.ndarray:
        flat = target.reshape(-1).astype(np.float64)
        return self.norms[name] - 2 * (getattr(self, name) @ flat) + float(flat @ flat)


def quilt(
    exemplar: torch.Tensor,
    size: tuple[int, int],
    *,
    patch: int,
    generator: torch.Generator | None = None,
    tolerance: float = 0.1,
) -> torch.Tensor:
    """A ``size`` ``(H, W)`` texture quilted from ``exemplar`` ``(1, C, h, w)`` in ``patch``-px squares (at most
    the exemplar's short side) → ``(1, C, H, W)``, same dtype and device. ``generator`` makes the draw repeatable:
    with the same exemplar and size the texture is the same. (The patches are chosen on the CPU: a few dozen
    small, sequential choices.)"""
    if exemplar.ndim != 4 or exemplar.shape[0] != 1:
        raise ValueError(f"quilt: expected a (1, C, h, w) exemplar, got {tuple(exemplar.shape)}")
    height, width = size
    if height < 1 or width < 1 or patch < 2 or tolerance < 0:
        raise ValueError(f"quilt: size {size} must be positive, patch {patch} >= 2 and tolerance {tolerance} >= 0")
    if min(exemplar.shape[-2:]) < 2:
        raise ValueError(f"quilt: the exemplar {tuple(exemplar.shape[-2:])} is under 2 px on a side")
    source = exemplar.detach().float().cpu()
    p = min(patch, int(source.shape[-2]), int(source.shape[-1]))
    overlap = max(1, p // 4)
    step = p - overlap
    cands = _candidates(source[0].numpy(), p)
    count, across = cands.shape[1] * cands.shape[2], cands.shape[2]
    strips = _Strips(cands, overlap)
    seed = int(torch.randint(0, 2**62, (1,), generator=generator, device=generator.device if generator else None))
    rng = np.random.default_rng(seed)
    rows = max(1, -(-(height - overlap) // step))
    cols = max(1, -(-(width - overlap) // step))
    canvas = np.zeros((source.shape[1], rows * step + overlap, cols * step + overlap), dtype=np.float32)
    ramp = np.linspace(0, 1, overlap + 2, dtype=np.float32)[1:-1]
    alpha = np.ones((2, 2, 1, p, p), dtype=np.float32)  # [has a patch above][has one to the left]
    alpha[1, :, :, :overlap, :] *= ramp[:, None]
    alpha[:, 1, :, :, :overlap] *= ramp[None, :]
    for i in range(rows):
        for j in range(cols):
            y, x = i * step, j * step
            region = canvas[:, y : y + p, x : x + p]
            if i == 0 and j == 0:
                k = int(rng.integers(count))
            else:
                error = np.zeros(count, dtype=np.float64)
                if i > 0:
                    error += strips.error("top", region[:, :overlap, :])
                if j > 0:
                    error += strips.error("below", region[:, overlap:, :overlap]) if i > 0 else 0
                    error += strips.error("left", region[:, :, :overlap]) if i == 0 else 0
                error = np.maximum(error, 0)  # rounding in the expansion
                good = np.flatnonzero(error <= error.min() * (1 + tolerance) + 1e-6)
                k = int(good[rng.integers(good.size)])
            a = alpha[int(i > 0), int(j > 0)]
            region *= 1 - a
            region += cands[:, k // across, k % across] * a
    texture = torch.from_numpy(canvas[:, :height, :width].copy())[None]
    return texture.to(device=exemplar.device, dtype=exemplar.dtype)
