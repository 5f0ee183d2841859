"""A style-signal contrastive loss: each output's style code near its own painting's, far from the others'.

MicroAST (Wang et al., AAAI 2023, "style signal contrastive loss") passes the stylised picture back through the
network's own style encoder: the code it gets should be the code of the painting it was given (the positive),
and unlike the codes of the other paintings in the batch (the negatives). The loss is the ratio of the positive
distance to the summed negative distances, so it does not reward codes that merely shrink; it pushes outputs to
differ from one another the way their paintings do, where the Gram and mean/std terms alone let a small network
paint every style a little like the average one.
"""

from __future__ import annotations

import torch

__all__ = ["style_contrastive_loss"]


def style_contrastive_loss(output_codes: torch.Tensor, style_codes: torch.Tensor, *, eps: float = 1e-8) -> torch.Tensor:
    """Mean over the batch of ``d(oᵢ, sᵢ) / Σ_{j≠i} d(oᵢ, sⱼ)``, ``d`` the mean squared difference of codes.

    Args:
        output_codes: ``(N, D)`` style codes of the outputs (N ≥ 2: every output needs a negative).
        style_codes: ``(N, D)`` style codes of the paintings they were given, in the same order.
        eps: added to each denominator.

    Returns:
        a non-negative scalar; 0 when every output's code is its painting's.
    """
    if output_codes.ndim != 2 or output_codes.shape != style_codes.shape:
        raise ValueError(
            f"style_contrastive_loss: codes must be two (N, D) of one shape, got {tuple(output_codes.shape)} "
            f"and {tuple(style_codes.shape)}"
        )
    n = output_codes.shape[0]
    if n < 2:
        raise ValueError(f"style_contrastive_loss: needs at least 2 pairs for negatives, got {n}")
    d = (output_codes[:, None, :] - style_codes[None, :, :]).pow(2).mean(dim=-1)  # (N, N): output i, painting j
    positive = d.diagonal()
    negative = d.sum(dim=1) - positive
    return (positive / (negative + eps)).mean()
