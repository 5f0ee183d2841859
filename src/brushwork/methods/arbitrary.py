"""What the two arbitrary-style methods share (AdaIN, :mod:`brushwork.methods.adain`, and its ``fast`` student,
:mod:`brushwork.methods.student`): scaled VGG16 features, the training settings' checks, the checks of the
stylisation controls and the picture the statistics are measured on."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from brushwork.errors import ConfigError
from brushwork.models.encoders import MEAN_ACTIVATION

__all__ = ["calibration", "check_controls", "scaled", "training_checks"]


def scaled(features: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Each style layer's features in fp32, divided by its mean activation (other layers dropped)."""
    return {name: feat.float() / MEAN_ACTIVATION[name] for name, feat in features.items() if name in MEAN_ACTIVATION}


def training_checks(config: Any) -> dict[str, bool]:
    """Whether each shared training setting of ``config`` is valid (``lr`` … ``style_load_size``; crops multiples
    of 8)."""
    return {
        "lr": config.lr > 0,
        "lr_decay": config.lr_decay >= 0,
        "steps": config.steps >= 1,
        "batch_size": config.batch_size >= 1,
        "crop": config.crop >= 16 and config.crop % 8 == 0,
        "load_size": config.load_size >= config.crop,
        "style_crop": config.style_crop == 0 or (config.style_crop >= 16 and config.style_crop % 8 == 0),
        "style_load_size": (config.style_load_size or config.load_size) >= (config.style_crop or config.crop),
    }


def check_controls(
    method: str,
    content: torch.Tensor,
    styles: Sequence[torch.Tensor],
    *,
    style_weights: Sequence[float] | None,
    alpha: float,
    mask: torch.Tensor | None,
) -> list[float]:
    """The style weights (default equal) after checking styles, alpha, weights and mask; ``method`` names errors."""
    if not styles:
        raise ConfigError(f"{method}: at least one style image is needed")
    if not 0.0 <= alpha <= 1.0:
        raise ConfigError(f"--alpha {alpha}: must be between 0 and 1")
    weights = [1.0] * len(styles) if style_weights is None else [float(w) for w in style_weights]
    if len(weights) != len(styles) or min(weights) < 0 or sum(weights) <= 0:
        raise ConfigError(f"--style-weights {weights}: need {len(styles)} non-negative weights with a positive sum")
    if mask is not None and len(styles) > 2:
        raise ConfigError("--mask works with one style (style inside, content outside) or two (inside, outside)")
    if mask is not None and tuple(mask.shape[-2:]) != tuple(content.shape[-2:]):
        raise ConfigError(f"mask is {tuple(mask.shape[-2:])} px, the content {tuple(content.shape[-2:])}: sizes differ")
    return weights


def calibration(image: torch.Tensor, tile: int | None, side: int) -> torch.Tensor:
    """What the statistics are measured on: ``image``, or when tiled and its long side exceeds ``side``, a
    copy downscaled to it."""
    if tile is None or max(image.shape[-2:]) <= side:
        return image
    from brushwork.imageio import resize

    return resize(image, long_side=side)
