"""The one exception hierarchy of brushwork.

Every message names the file (or setting) and the problem in one line, so the CLI can print it as is.
"""

from __future__ import annotations

__all__ = [
    "BrushworkError",
    "CheckpointError",
    "ConfigError",
    "ImageError",
    "MethodError",
    "WeightsError",
]


class BrushworkError(Exception):
    """Base class: anything the user can fix (bad input, missing weights, bad settings)."""


class ImageError(BrushworkError):
    """An image file or folder cannot be used: missing, not an image, corrupt, too large, empty folder."""


class WeightsError(BrushworkError):
    """Named weights cannot be found, converted or verified."""


class CheckpointError(BrushworkError):
    """A model directory or trainer state is missing, corrupt or of the wrong architecture."""


class ConfigError(BrushworkError):
    """Settings that cannot work together (wrong counts, NaN-producing weights, bad sizes)."""


class MethodError(ConfigError):
    """A method found no result for these particular images with these settings (an optimisation that
    diverged); other images may work, so folder runs report, count and skip the pair.
    """
