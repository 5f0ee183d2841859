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

import torch
import torch.nn.functional as F

__all__ = ["MAX_CANDIDATES", "quilt"]

#: The exemplar's patches are taken on a grid coarse enough to keep at most this many candidates per placement.
MAX_CANDIDATES = 2048


def _candidates(exemplar: torch.Tensor, patch: int) -> torch.Tensor:
    """The exemplar's ``patch``-px patches on a grid of about an eighth of a patch, at most :data:`MAX_CANDIDATES`:
    ``(K, 3, patch, patch)``."""
    h, w = int(exemplar.shape[-2]), int(exemplar.shape[-1])
    stride = max(1, patch // 8)
    while ((h - patch) // stride + 1) * ((w - patch) // stride + 1) > MAX_CANDIDATES:
        stride += 1
    cols = F.unfold(exemplar, patch, stride=stride)  # (1, 3·p·p, K)
    return cols[0].T.reshape(-1, exemplar.shape[1], patch, patch).contiguous()


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
    with the same exemplar and size the texture is the same."""
    if exemplar.ndim != 4 or exemplar.shape[0] != 1:
        raise ValueError(f"quilt: expected a (1, C, h, w) exemplar, got {tuple(exemplar.shape)}")
    height, width = size
    if height < 1 or width < 1 or patch < 2 or tolerance < 0:
        raise ValueError(f"quilt: size {size} must be positive, patch {patch} >= 2 and tolerance {tolerance} >= 0")
    if min(exemplar.shape[-2:]) < 2:
        raise ValueError(f"quilt: the exemplar {tuple(exemplar.shape[-2:])} is under 2 px on a side")
    source = exemplar.float()
    p = min(patch, int(source.shape[-2]), int(source.shape[-1]))
    overlap = max(1, p // 4)
    step = p - overlap
    cands = _candidates(source, p)
    rows = max(1, -(-(height - overlap) // step))
    cols = max(1, -(-(width - overlap) // step))
    canvas = source.new_zeros(source.shape[1], rows * step + overlap, cols * step + overlap)
    ramp = torch.linspace(0, 1, overlap + 2, device=source.device)[1:-1]

    def draw(good: torch.Tensor) -> int:
        pick = torch.randint(0, good.numel(), (1,), generator=generator, device=generator.device if generator else None)
        return int(good[int(pick)])

    for i in range(rows):
        for j in range(cols):
            y, x = i * step, j * step
            region = canvas[:, y : y + p, x : x + p]
            if i == 0 and j == 0:
                k = draw(torch.arange(cands.shape[0], device=source.device))
            else:
                error = source.new_zeros(cands.shape[0])
                top = overlap if i > 0 else 0
                if top:
                    error += (cands[:, :, :top, :] - region[:, :top, :]).square().sum((1, 2, 3))
                if j > 0:
                    error += (cands[:, :, top:, :overlap] - region[:, top:, :overlap]).square().sum((1, 2, 3))
                good = (error <= error.min() * (1 + tolerance) + 1e-6).nonzero().flatten()
                k = draw(good)
            alpha = torch.ones(1, p, p, device=source.device)
            if i > 0:
                alpha[:, :overlap, :] *= ramp[:, None]
            if j > 0:
                alpha[:, :, :overlap] *= ramp[None, :]
            region.mul_(1 - alpha).add_(cands[k] * alpha)
    return canvas[None, :, :height, :width].to(exemplar.dtype)
