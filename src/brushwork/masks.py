"""Region masks: where a stylised image replaces the content (1) and where the content stays (0)."""

from __future__ import annotations

import logging
import os

import torch
import torch.nn.functional as F
from PIL import Image

from brushwork.errors import ConfigError
from brushwork.filters import gaussian_blur
from brushwork.imageio import from_pil, read_image

__all__ = ["apply_mask", "load_mask"]

log = logging.getLogger(__name__)

#: Masks whose aspect ratio differs from the content's by more than this (relative) are refused.
ASPECT_TOLERANCE = 0.02

MaskLike = str | os.PathLike[str] | Image.Image | torch.Tensor


def _to_tensor(mask: MaskLike) -> tuple[torch.Tensor, str]:
    if isinstance(mask, torch.Tensor):
        t = mask.detach().float()
        if t.ndim == 2:
            t = t[None, None]
        elif t.ndim == 3:
            t = t[None]
        if t.ndim != 4 or t.shape[0] != 1 or t.shape[1] not in (1, 3):
            raise ConfigError(f"mask tensor: expected (H, W), (1, H, W) or (1, 1|3, H, W), got {tuple(mask.shape)}")
        return t.mean(dim=1, keepdim=True), "mask tensor"
    if isinstance(mask, Image.Image):
        if "A" in mask.getbands():
            return from_pil(mask.getchannel("A").convert("RGB"))[:, :1], "mask image"
        return from_pil(mask).mean(dim=1, keepdim=True), "mask image"
    loaded = read_image(mask)
    if loaded.alpha is not None and bool((loaded.alpha < 1).any()):
        return loaded.alpha, str(mask)  # a cut-out: its transparency is the mask
    return loaded.rgb.mean(dim=1, keepdim=True), str(mask)


def load_mask(mask: MaskLike, size: tuple[int, int], *, feather: float = 0.0) -> torch.Tensor:
    """A mask as ``(1, 1, H, W)`` in [0, 1] at ``size = (H, W)``.

    Accepts a path, a Pillow image or a tensor. Images use their alpha channel when they have transparency,
    else their gray level (white = stylise). A mask of another size but the same aspect ratio is resized;
    one whose aspect ratio differs by more than 2 % is refused. ``feather`` blurs the edge by that many pixels.

    Raises:
        ConfigError: wrong shape, different aspect ratio, NaN values.
        ImageError: the file cannot be read.
    """
    t, name = _to_tensor(mask)
    if not torch.isfinite(t).all():
        raise ConfigError(f"{name}: contains NaN or infinite values")
    h, w = t.shape[-2:]
    if abs((w / h) / (size[1] / size[0]) - 1) > ASPECT_TOLERANCE:
        raise ConfigError(
            f"{name}: mask is {w}x{h} but the content is {size[1]}x{size[0]} (aspect ratios differ; "
            "make the mask the content's size)"
        )
    if (h, w) != size:
        log.info("%s: resizing the mask from %dx%d to %dx%d", name, w, h, size[1], size[0])
        t = F.interpolate(t, size=size, mode="bilinear", align_corners=False, antialias=h > size[0])
    if feather > 0:
        t = gaussian_blur(t, feather)
    t = t.clamp(0.0, 1.0)
    if float(t.max()) == 0.0:
        log.warning("%s: the mask is empty (all black); the output is the content unchanged", name)
    return t


def apply_mask(stylized: torch.Tensor, content: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """``mask · stylized + (1 − mask) · content``; all ``(1, C, H, W)`` of one size (mask ``(1, 1, H, W)``)."""
    mask = mask.to(device=stylized.device, dtype=stylized.dtype)
    return mask * stylized + (1.0 - mask) * content.to(device=stylized.device, dtype=stylized.dtype)
