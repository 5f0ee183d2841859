"""A stroke-direction loss: distance between the local orientation fields of two pictures.

The local orientation of a picture is read off its structure tensor (Bigün & Granlund, ICCV 1987; Kass & Witkin,
CVGIP 1987): the luminance gradient's outer product ``[[gx², gx·gy], [gx·gy, gy²]]`` averaged over a Gaussian
window. Written in the doubled-angle form ``((Jxx − Jyy), 2·Jxy) / (Jxx + Jyy + eps)``, it is a 2-vector whose
angle is twice the dominant gradient direction (so a stroke and the same stroke turned by 180° agree) and whose
length is the coherence, in [0, 1]: 1 along one clean edge or a field of parallel strokes, 0 where directions
are mixed or the picture is flat (``eps`` sets how faint a texture still counts).

Compared at several scales (the picture averaged over 2ˢ × 2ˢ blocks, the same window in each), this says where
strokes run and which way, not how strong or what colour they are: a student that stamps the same short diagonal
mark everywhere costs wherever the target's strokes follow the photo's edges, and nothing where both are flat.
Painterly flow fields are built from the same tensor (Kyprianidis & Döllner, 2008; Hertzmann, SIGGRAPH 1998
paints along the gradient's normal).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from brushwork.color import luminance
from brushwork.filters import gaussian_blur

__all__ = ["orientation_field", "orientation_loss"]


def _min_side(sigma: float) -> int:
    """The smallest picture side with a local orientation to read: the window's core (±2σ) and one pixel."""
    return max(1, math.ceil(2 * sigma)) + 1


def orientation_field(image: torch.Tensor, *, sigma: float = 2.0, eps: float = 1e-4) -> torch.Tensor:
    """Doubled-angle orientation vectors of the luminance's structure tensor.

    Args:
        image: ``(N, 3, H, W)`` RGB in [0, 1] (``(N, 1, H, W)`` is read as luminance), ``H, W > ⌈2σ⌉``.
            The window is :func:`brushwork.filters.gaussian_blur`'s (radius 3σ, edges replicated).
        sigma: standard deviation of the Gaussian window in pixels.
        eps: added to the tensor's trace: textures whose squared gradient is well under it read as flat.

    Returns:
        ``(N, 2, H, W)`` float32, each vector's length (the coherence) in [0, 1].
    """
    side = _min_side(sigma)
    if image.ndim != 4 or image.shape[1] not in (1, 3) or min(image.shape[-2:]) < side:
        raise ValueError(f"orientation_field: expected (N, 3 or 1, H, W) of {side}+ px, got {tuple(image.shape)}")
    x = luminance(image.float()) if image.shape[1] == 3 else image.float()
    x = F.pad(x, (1, 1, 1, 1), mode="replicate")
    gx = (x[..., 1:-1, 2:] - x[..., 1:-1, :-2]) / 2
    gy = (x[..., 2:, 1:-1] - x[..., :-2, 1:-1]) / 2
    j = gaussian_blur(torch.cat([gx * gx, gy * gy, gx * gy], dim=1), sigma)
    jxx, jyy, jxy = j.unbind(dim=1)
    return torch.stack([jxx - jyy, 2 * jxy], dim=1) / (jxx + jyy + eps).unsqueeze(1)


def orientation_loss(
    output: torch.Tensor,
    target: torch.Tensor,
    *,
    scales: int = 3,
    sigma: float = 2.0,
    eps: float = 1e-4,
) -> torch.Tensor:
    """Mean squared distance between the orientation fields of ``output`` and ``target``, averaged over scales.

    Args:
        output, target: ``(N, 3, H, W)`` in [0, 1], equal shapes; ``target`` carries no gradient.
        scales: how many scales: the pictures themselves, then averaged over 2 × 2, 4 × 4 … blocks (scales whose
            side would fall under ``4·sigma`` pixels are skipped).
        sigma, eps: as :func:`orientation_field`.

    Returns:
        a scalar in [0, 4]: 0 where both pictures' strokes run the same way with the same coherence.
    """
    if output.shape != target.shape:
        raise ValueError(f"orientation_loss: shapes differ {tuple(output.shape)} vs {tuple(target.shape)}")
    if scales < 1:
        raise ValueError(f"orientation_loss: scales {scales} is under 1")
    out, ref = output.float(), target.detach().float()
    terms = []
    for s in range(scales):
        if s and min(out.shape[-2:]) // 2 < 4 * sigma:
            break
        if s:
            out, ref = F.avg_pool2d(out, 2), F.avg_pool2d(ref, 2)
        fields = orientation_field(out, sigma=sigma, eps=eps), orientation_field(ref, sigma=sigma, eps=eps)
        terms.append((fields[0] - fields[1]).pow(2).sum(dim=1).mean())
    return torch.stack(terms).mean()
