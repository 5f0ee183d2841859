"""The reference "3× sharpen filter" for the KID ratio: an unsharp mask that adds edges, not style.

``sharpen(x) = clamp(x + amount · (x − blur(x)), 0, 1)`` with ``blur`` the 3×3 binomial filter
``[1, 2, 1]ᵀ [1, 2, 1] / 16`` (the smallest Gaussian-like low-pass; replicate padding, per channel) and
``amount = 3`` by default. It changes texture statistics (stronger high frequencies, harder edges) without
learning anything about a painter, so its KID ratio is the level a translation model has to beat to claim
more than "sharper photos" (see :mod:`brushwork.metrics.kid`).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from brushwork.metrics._util import check_images

__all__ = ["SHARPEN_AMOUNT", "sharpen"]

#: The issue's reference: a 3× sharpen.
SHARPEN_AMOUNT = 3.0


def sharpen(image: torch.Tensor, *, amount: float = SHARPEN_AMOUNT) -> torch.Tensor:
    """Unsharp mask of RGB ``(N, 3, H, W)`` in [0, 1] -> the same shape, dtype and device, in [0, 1].

    ``amount = 0`` returns an unchanged copy; the input is never modified.
    """
    check_images(image, "sharpen")
    taps = torch.tensor([1.0, 2.0, 1.0], dtype=image.dtype, device=image.device) / 4.0
    kernel = (taps[:, None] * taps[None, :]).expand(3, 1, 3, 3)
    blurred = F.conv2d(F.pad(image, (1, 1, 1, 1), mode="replicate"), kernel, groups=3)
    return (image + amount * (image - blurred)).clamp(0.0, 1.0)
