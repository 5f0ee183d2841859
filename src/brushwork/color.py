"""Colour functions for colour-preserving style transfer (YIQ luminance, mean–covariance and histogram matching)
and its opposite, the painting's palette on the result (:func:`match_palette`).

Gatys, Bethge, Hertzmann & Shechtman, "Preserving Color in Neural Artistic Style Transfer", 2016
(arXiv:1606.05897): either transfer the style on the luminance channel only and keep the content's chroma,
or recolour the style image so its colour statistics match the content's before the transfer.
The colour functions are pure, take RGB ``(N, 3, H, W)`` in [0, 1] and return new tensors;
:func:`default_palette` reads a model's own palette strength from its ``config.json``.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import torch

__all__ = [
    "default_palette",
    "gray3",
    "luminance",
    "match_histogram",
    "match_luminance",
    "match_mean_cov",
    "match_palette",
    "rgb_to_yiq",
    "transfer_luminance",
    "yiq_to_rgb",
]

# NTSC YIQ (FCC 1953 coefficients); Y is the Rec. 601 luma.
_RGB_TO_YIQ = (
    (0.299, 0.587, 0.114),
    (0.595716, -0.274453, -0.321263),
    (0.211456, -0.522591, 0.311135),
)


@cache
def _matrix(inverse: bool) -> torch.Tensor:
    forward = torch.tensor(_RGB_TO_YIQ, dtype=torch.float64)
    return torch.linalg.inv(forward) if inverse else forward


def _check_rgb(x: torch.Tensor, name: str) -> None:
    if x.ndim != 4 or x.shape[1] != 3:
        raise ValueError(f"{name}: expected RGB (N, 3, H, W), got shape {tuple(x.shape)}")


def _apply_matrix(matrix: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    return torch.einsum("ij,njhw->nihw", matrix.to(device=x.device, dtype=x.dtype), x)


def rgb_to_yiq(rgb: torch.Tensor) -> torch.Tensor:
    """RGB ``(N, 3, H, W)`` -> YIQ ``(N, 3, H, W)`` (Y in [0, 1], I and Q signed)."""
    _check_rgb(rgb, "rgb_to_yiq")
    return _apply_matrix(_matrix(False), rgb)


def yiq_to_rgb(yiq: torch.Tensor) -> torch.Tensor:
    """YIQ ``(N, 3, H, W)`` -> RGB ``(N, 3, H, W)``, not clamped (the caller decides)."""
    _check_rgb(yiq, "yiq_to_rgb")
    return _apply_matrix(_matrix(True), yiq)


def luminance(rgb: torch.Tensor) -> torch.Tensor:
    """Rec. 601 luma ``(N, 1, H, W)`` of RGB ``(N, 3, H, W)`` (YIQ's Y; one channel computed, one allocated)."""
    _check_rgb(rgb, "luminance")
    r, g, b = (float(v) for v in _RGB_TO_YIQ[0])
    return (rgb[:, 0:1] * r).add_(rgb[:, 1:2], alpha=g).add_(rgb[:, 2:3], alpha=b)


def gray3(rgb: torch.Tensor) -> torch.Tensor:
    """The luminance repeated into three channels, ``(N, 3, H, W)``: what a luminance-only transfer optimises."""
    return luminance(rgb).expand(-1, 3, -1, -1).contiguous()


def match_luminance(style: torch.Tensor, content: torch.Tensor) -> torch.Tensor:
    """Shift and scale the style's luminance to the content's mean and standard deviation (Gatys 2016, eq. 1).

    Returns a three-channel gray image ``(N, 3, H, W)`` in [0, 1] the size of ``style``.
    """
    y_s, y_c = luminance(style), luminance(content)
    mu_s, sd_s = y_s.mean(dim=(2, 3), keepdim=True), y_s.std(dim=(2, 3), keepdim=True, unbiased=False)
    mu_c, sd_c = y_c.mean(dim=(2, 3), keepdim=True), y_c.std(dim=(2, 3), keepdim=True, unbiased=False)
    y = (y_s - mu_s) * (sd_c / sd_s.clamp_min(1e-6)) + mu_c
    return y.clamp(0.0, 1.0).expand(-1, 3, -1, -1).contiguous()


def transfer_luminance(stylized: torch.Tensor, content: torch.Tensor) -> torch.Tensor:
    """The stylised image's luminance with the content's chroma (I, Q), in RGB [0, 1].

    ``content`` is resized to ``stylized`` when their sizes differ.
    """
    if content.shape[-2:] != stylized.shape[-2:]:
        content = torch.nn.functional.interpolate(
            content, size=stylized.shape[-2:], mode="bilinear", align_corners=False, antialias=True
        )
    yiq = torch.cat([luminance(stylized), rgb_to_yiq(content)[:, 1:]], dim=1)
    return yiq_to_rgb(yiq).clamp(0.0, 1.0)


def _sym_sqrt(cov: torch.Tensor, inverse: bool) -> torch.Tensor:
    evals, evecs = torch.linalg.eigh(cov)
    evals = evals.clamp_min(1e-8)
    power = -0.5 if inverse else 0.5
    return evecs @ torch.diag_embed(evals.pow(power)) @ evecs.transpose(-1, -2)


def match_mean_cov(source: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
    """Recolour ``source`` so its RGB mean and covariance match ``reference``'s (Gatys 2016, eq. 2–3).

    Uses the symmetric matrix square root (the "image analogies" variant, which keeps hues more faithful
    than a Cholesky factor). Shapes: ``(N, 3, H, W)`` each; returns the size of ``source``, clamped to [0, 1].
    """
    _check_rgb(source, "match_mean_cov")
    _check_rgb(reference, "match_mean_cov")
    n = source.shape[0]
    src = source.double().reshape(n, 3, -1)
    ref = reference.double().reshape(reference.shape[0], 3, -1).expand(n, -1, -1)
    mu_s, mu_r = src.mean(-1, keepdim=True), ref.mean(-1, keepdim=True)
    xs, xr = src - mu_s, ref - mu_r
    eye = 1e-5 * torch.eye(3, dtype=torch.float64, device=source.device)
    cov_s = xs @ xs.transpose(1, 2) / xs.shape[-1] + eye
    cov_r = xr @ xr.transpose(1, 2) / xr.shape[-1] + eye
    transform = _sym_sqrt(cov_r, inverse=False) @ _sym_sqrt(cov_s, inverse=True)
    out = transform @ xs + mu_r
    return out.reshape(source.shape).to(source.dtype).clamp(0.0, 1.0)


#: Pixels sampled (a regular grid) to measure an image's colour mean and covariance for :func:`match_palette`.
_PALETTE_SAMPLES = 1 << 16


def _rgb_moments(image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean ``(3,)`` and second moment ``E[x xᵀ]`` ``(3, 3)`` (float64) of a ``(1, 3, H, W)`` image's pixels, on a
    grid of at most about :data:`_PALETTE_SAMPLES` of them."""
    step = max(1, int((image.shape[-2] * image.shape[-1] / _PALETTE_SAMPLES) ** 0.5))
    x = image[0, :, ::step, ::step].reshape(3, -1).double()
    return x.mean(dim=1), x @ x.T / x.shape[1]


def match_palette(
    image: torch.Tensor, paintings: list[torch.Tensor], *, weights: list[float] | None = None, strength: float = 1.0
) -> torch.Tensor:
    """Move ``image``'s colours towards the paintings': the linear Monge–Kantorovich map between the RGB mean and
    covariance of the image and of the paintings' pixels (a mixture with ``weights`` for several), blended with
    the identity by ``strength`` (0: unchanged … 1: the paintings' mean and covariance).

    The MK map (Pitié & Kokaram, "The linear Monge-Kantorovitch linear colour mapping for example-based colour
    transfer", CVMP 2007) is the affine colour map of least displacement that matches both moments, so hues move
    as little as the match allows. One 3×3 matrix and an offset for the whole image: tiles and frames cost nothing
    more than a pass over the pixels. Shapes: ``image`` ``(1, 3, H, W)``, each painting ``(1, 3, h, w)``; returns a
    new ``(1, 3, H, W)`` image of ``image``'s dtype, clamped to [0, 1].
    """
    _check_rgb(image, "match_palette")
    if image.shape[0] != 1 or not paintings:
        raise ValueError(f"match_palette: expected one image and at least one painting, got {tuple(image.shape)}")
    w = [1.0] * len(paintings) if weights is None else [float(v) for v in weights]
    if len(w) != len(paintings) or min(w) < 0 or sum(w) <= 0:
        raise ValueError(f"match_palette: weights {w} for {len(paintings)} painting(s)")
    mean_i, second_i = _rgb_moments(image)
    mean_p = torch.zeros(3, dtype=torch.float64, device=image.device)
    second_p = torch.zeros(3, 3, dtype=torch.float64, device=image.device)
    for painting, weight in zip(paintings, w, strict=True):
        _check_rgb(painting, "match_palette")
        m, s = _rgb_moments(painting.to(image.device))
        share = weight / sum(w)
        mean_p += share * m
        second_p += share * s
    eye = 1e-5 * torch.eye(3, dtype=torch.float64, device=image.device)
    cov_i = second_i - torch.outer(mean_i, mean_i) + eye
    cov_p = second_p - torch.outer(mean_p, mean_p) + eye
    root, inv_root = _sym_sqrt(cov_i, inverse=False), _sym_sqrt(cov_i, inverse=True)
    mk = inv_root @ _sym_sqrt(root @ cov_p @ root, inverse=False) @ inv_root
    matrix = (1 - strength) * torch.eye(3, dtype=torch.float64, device=image.device) + strength * mk
    offset = strength * (mean_p - mk @ mean_i)
    pixels = image.float().reshape(3, -1)  # one image: (3, H·W)
    out = torch.addmm(offset.to(torch.float32).unsqueeze(1), matrix.to(torch.float32), pixels)  # one fresh pass
    return out.reshape(image.shape).clamp_(0.0, 1.0).to(image.dtype)


def default_palette(config: dict[str, Any]) -> float:
    """The :func:`match_palette` strength a model's pictures get unless told: its ``config.json``'s
    ``defaults.palette`` (0 … 1), else 0. :class:`~brushwork.errors.CheckpointError` for anything else."""
    from brushwork.config import model_default

    return model_default(config, "palette", fallback=0.0, high=1.0)


def match_histogram(source: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
    """Per-channel histogram matching: each channel of ``source`` gets ``reference``'s value distribution.

    Exact rank-based matching (ties keep their order); ``reference`` may be of any size.
    Shapes: ``(N, 3, H, W)`` each (a single reference broadcasts over the batch).
    """
    _check_rgb(source, "match_histogram")
    _check_rgb(reference, "match_histogram")
    n, c, h, w = source.shape
    src = source.reshape(n, c, h * w)
    ref_sorted = reference.reshape(reference.shape[0], c, -1).sort(dim=-1).values.expand(n, -1, -1)
    m = ref_sorted.shape[-1]
    ranks = src.argsort(dim=-1).argsort(dim=-1).to(source.dtype)
    # quantile of each source pixel, mapped to the reference's sorted values by linear interpolation
    pos = ranks * (m - 1) / max(h * w - 1, 1)
    lo = pos.floor().long().clamp(0, m - 1)
    hi = (lo + 1).clamp(max=m - 1)
    frac = pos - lo.to(pos.dtype)
    out = torch.gather(ref_sorted, -1, lo) * (1 - frac) + torch.gather(ref_sorted, -1, hi) * frac
    return out.reshape(n, c, h, w).clamp(0.0, 1.0)
