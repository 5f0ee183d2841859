"""A combined content × style score in the spirit of ArtFID.

Wright & Ommer, "ArtFID: Quantitative Evaluation of Neural Style Transfer", GCPR 2022, define
``ArtFID = (1 + LPIPS) · (1 + FID)``. Here the factors are this project's unlearned perceptual distance
(:func:`~brushwork.metrics.perceptual.perceptual_distance`, averaged over content/output pairs) and the
VGG-feature Fréchet distance (:func:`~brushwork.metrics.frechet.frechet_distance`, outputs vs real art), so
the numbers are *not* ArtFID values and are comparable only with each other (same data, sizes, set sizes).
"""

from __future__ import annotations

import math

__all__ = ["combined_score"]


def combined_score(content_distance: float, frechet_distance: float) -> float:
    """``(1 + content_distance) · (1 + frechet_distance)``; lower is better, 1 is the minimum.

    A method that copies the content (content distance 0) still pays for looking unlike the art, and one
    that copies the art pays for losing the content; the product rewards doing both.
    """
    for name, value in (("content_distance", content_distance), ("frechet_distance", frechet_distance)):
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"combined_score: {name} must be a finite number >= 0, got {value!r}")
    return (1.0 + float(content_distance)) * (1.0 + float(frechet_distance))
