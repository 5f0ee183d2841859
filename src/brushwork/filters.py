"""Small image filters shared by masks and detail transfer: a separable Gaussian blur."""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["gaussian_blur"]


def gaussian_blur(image: torch.Tensor, sigma: float) -> torch.Tensor:
    """``image`` ``(N, C, H, W)`` blurred by a Gaussian of ``sigma`` pixels (radius 3σ, edges replicated).

    Any size from 1×1 up works, and no step depends on the image's size (traceable for ONNX). Same shape, dtype
    and device as ``image``.
    """
    if image.ndim != 4:
        raise ValueError(f"expected (N, C, H, W), got shape {tuple(image.shape)}")
    if not sigma > 0:
        raise ValueError(f"sigma must be > 0, got {sigma}")
    pad = max(1, round(3 * sigma))
    x = torch.arange(-pad, pad + 1, dtype=torch.float32, device=image.device)
    kernel = torch.exp(-(x**2) / (2 * sigma**2))
    kernel = (kernel / kernel.sum()).to(image.dtype)
    planes = image.flatten(0, 1).unsqueeze(1)  # every channel a plane: one 1-channel kernel, no channel count
    out = F.pad(planes, (pad, pad, pad, pad), mode="replicate")
    out = F.conv2d(F.conv2d(out, kernel.view(1, 1, 1, -1)), kernel.view(1, 1, -1, 1))
    return out.view_as(image)
