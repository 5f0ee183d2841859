"""SSIM (on RGB and on luminance) and PSNR, batched, in torch, on whatever device the images are on.

Wang, Bovik, Sheikh & Simoncelli, "Image Quality Assessment: From Error Visibility to Structural Similarity",
IEEE TIP 13(4), 2004.

:func:`ssim` reproduces scikit-image's reference call with the settings of Wang et al. 2004::

    skimage.metrics.structural_similarity(
        a, b, data_range=1.0, gaussian_weights=True, sigma=1.5, use_sample_covariance=False,
        channel_axis=-1,  # for RGB (H, W, 3); leave it out for a single channel
    )

i.e. an 11×11 Gaussian window (σ = 1.5, truncated at 3.5σ), population (co)variances, K1 = 0.01, K2 = 0.03,
and the SSIM map averaged over the pixels whose window lies inside the image (skimage crops 5 px per side),
then over channels. It does not apply the downsampling of Wang's MATLAB script for large images.
:func:`ssim_luminance` is the same call without ``channel_axis`` on BT.601 luma images (note that
``skimage.color.rgb2gray`` uses different, Rec. 709 weights). Both agree with skimage to ~1e-6 in float32.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["LUMA_WEIGHTS", "luminance", "psnr", "ssim", "ssim_luminance"]

#: ITU-R BT.601 luma weights (R, G, B): the Y of YCbCr, as in MATLAB's ``rgb2gray``.
LUMA_WEIGHTS = (0.299, 0.587, 0.114)
_TRUNCATE = 3.5


def _check_pair(x: torch.Tensor, y: torch.Tensor, name: str) -> None:
    if x.ndim != 4:
        raise ValueError(f"{name}: expected images (N, C, H, W), got shape {tuple(x.shape)}")
    if x.shape != y.shape:
        raise ValueError(f"{name}: shapes differ {tuple(x.shape)} vs {tuple(y.shape)}")


def _work_dtype(x: torch.Tensor) -> torch.dtype:
    return torch.float64 if x.dtype == torch.float64 else torch.float32


def luminance(image: torch.Tensor) -> torch.Tensor:
    """BT.601 luma ``0.299 R + 0.587 G + 0.114 B``: ``(N, 3, H, W) -> (N, 1, H, W)``."""
    if image.ndim != 4 or image.shape[1] != 3:
        raise ValueError(f"luminance: expected RGB (N, 3, H, W), got shape {tuple(image.shape)}")
    weights = torch.tensor(LUMA_WEIGHTS, dtype=image.dtype, device=image.device).view(1, 3, 1, 1)
    return (image * weights).sum(dim=1, keepdim=True)


def _gaussian_kernel(sigma: float, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    """1-D Gaussian of radius ``int(3.5 σ + 0.5)``, normalised to sum 1 (scipy.ndimage's kernel)."""
    radius = int(_TRUNCATE * sigma + 0.5)
    x = torch.arange(-radius, radius + 1, dtype=torch.float64)
    k = torch.exp(-0.5 * (x / sigma) ** 2)
    return (k / k.sum()).to(dtype=dtype, device=device)


def _filter_valid(x: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    """Separable Gaussian filter of each plane of ``(M, H, W)`` without padding (the region skimage keeps).

    The planes go in as channels of one depthwise convolution, which is several times faster than a
    one-channel convolution over a batch of ``M``.
    """
    m, size = x.shape[0], kernel.numel()
    y = F.conv2d(x.unsqueeze(0), kernel.view(1, 1, 1, size).expand(m, 1, 1, size), groups=m)
    y = F.conv2d(y, kernel.view(1, 1, size, 1).expand(m, 1, size, 1), groups=m)
    return y.squeeze(0)


def ssim(
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    data_range: float = 1.0,
    sigma: float = 1.5,
    k1: float = 0.01,
    k2: float = 0.03,
    mask: torch.Tensor | None = None,
) -> torch.Tensor:
    """Mean SSIM per image, averaged over channels: ``(N, C, H, W) × 2 -> (N,)``.

    Symmetric in ``x`` and ``y``; 1 for identical images. Both sides need ``H, W >= 2·int(3.5σ+0.5)+1``
    (11 px at σ = 1.5). Computed in float32 (float64 if the inputs are) on the inputs' device.
    ``mask`` ``(N, 1, H, W)`` in [0, 1]: average the SSIM map with these weights instead (e.g. only where an
    optical flow is reliable); an image whose kept region has no weight gives NaN.
    """
    _check_pair(x, y, "ssim")
    n, c, h, w = x.shape
    dtype = _work_dtype(x)
    kernel = _gaussian_kernel(sigma, dtype, x.device)
    if min(h, w) < kernel.numel():
        raise ValueError(f"ssim: images of {h}×{w} px are smaller than the {kernel.numel()}-px window")
    a = x.to(dtype).reshape(n * c, h, w)
    b = y.to(dtype).reshape(n * c, h, w)
    # One filter pass over the five moment images.
    moments = _filter_valid(torch.cat([a, b, a * a, b * b, a * b]), kernel)
    mu_a, mu_b, e_aa, e_bb, e_ab = moments.chunk(5)
    var_a = e_aa - mu_a * mu_a
    var_b = e_bb - mu_b * mu_b
    cov = e_ab - mu_a * mu_b
    c1 = (k1 * data_range) ** 2
    c2 = (k2 * data_range) ** 2
    num = (2 * mu_a * mu_b + c1) * (2 * cov + c2)
    den = (mu_a * mu_a + mu_b * mu_b + c1) * (var_a + var_b + c2)
    ssim_map = (num / den).view(n, c, *num.shape[-2:])
    if mask is None:
        return ssim_map.mean(dim=(1, 2, 3))
    if mask.shape != (n, 1, h, w):
        raise ValueError(f"ssim: mask {tuple(mask.shape)} must be {(n, 1, h, w)}")
    pad = kernel.numel() // 2
    weight = mask.to(ssim_map)[..., pad : h - pad, pad : w - pad]
    return (ssim_map * weight).sum(dim=(1, 2, 3)) / (weight.sum(dim=(1, 2, 3)) * c)


def ssim_luminance(x: torch.Tensor, y: torch.Tensor, *, data_range: float = 1.0, sigma: float = 1.5) -> torch.Tensor:
    """SSIM on BT.601 luma (see :func:`luminance`) of RGB ``(N, 3, H, W)`` images: ``-> (N,)``."""
    _check_pair(x, y, "ssim_luminance")
    return ssim(luminance(x), luminance(y), data_range=data_range, sigma=sigma)


def psnr(x: torch.Tensor, y: torch.Tensor, *, data_range: float = 1.0) -> torch.Tensor:
    """Peak signal-to-noise ratio in dB per image, ``10·log10(R² / MSE)``: ``(N, C, H, W) × 2 -> (N,)``.

    Matches ``skimage.metrics.peak_signal_noise_ratio(a, b, data_range=1.0)``; ``inf`` for identical images.
    """
    _check_pair(x, y, "psnr")
    dtype = _work_dtype(x)
    mse = (x.to(dtype) - y.to(dtype)).pow(2).mean(dim=(1, 2, 3))
    return 10.0 * torch.log10(data_range**2 / mse)
