"""A photo-aware style code: the painting's code scaled and shifted by what the photo's statistics call for.

Optimising a trained student's style code for one (photo, painting) pair brings the picture much closer to both
(docs/arbitrary_recipe.md, session 26), but the code found for one photo is no better than the encoder's for
another: the best code depends on the photo too. Feature-wise linear modulation (FiLM, Perez et al., AAAI 2018)
of the painting's code by the photo's content-encoder statistics gives the code that dependence while keeping it
*affine in the painting's code*, so codes of several paintings still blend exactly (weights summing to 1) and a
mask still picks between two codes::

    z' = z ⊙ (1 + g(p)) + s(p),    [g, s] = W₂ silu(W₁ norm(p) + b₁) + b₂

with ``p`` the channel means and standard deviations of the content encoder's maps ``(N, P)`` and ``norm`` a layer
normalisation without parameters. ``W₂, b₂`` start at zero (:meth:`PhotoFiLM.to_identity`): a network grown with
it paints exactly as before. A ReLU hidden layer on the raw statistics died in a first run (every unit negative
for every photo by step 200 under Adam at 5e-4, so the code no longer depended on the photo); the normalised
input and the smooth SiLU (Elfwing et al. 2018) keep the hidden layer trainable.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["PhotoFiLM"]


class PhotoFiLM(nn.Module):
    """``(code (N|1, D), photo (N|1, P)) → (N, D)``: the code adapted to the photo; the identity when new.

    Args:
        photo_features: ``P``, the length of the photo's statistics vector.
        style_dim: ``D``, the length of the style code.
        hidden: width of the hidden layer.
    """

    def __init__(self, photo_features: int, style_dim: int, hidden: int) -> None:
        super().__init__()
        if min(photo_features, style_dim, hidden) < 1:
            raise ValueError(f"photo_film: bad sizes {photo_features}, {style_dim}, {hidden}")
        self.style_dim, self.photo_features = style_dim, photo_features
        self.hidden = nn.Linear(photo_features, hidden)
        self.out = nn.Linear(hidden, 2 * style_dim)
        self.to_identity()

    def to_identity(self) -> None:
        """Zero the output layer: the code passes unchanged (a new part of a grown network)."""
        with torch.no_grad():
            self.out.weight.zero_()
            self.out.bias.zero_()

    def forward(self, code: torch.Tensor, photo: torch.Tensor) -> torch.Tensor:
        d, f = self.style_dim, self.photo_features
        if code.ndim != 2 or code.shape[1] != d or photo.ndim != 2 or photo.shape[1] != f:
            raise ValueError(
                f"photo_film: expected codes (N, {d}) and photos (N, {f}), got "
                f"{tuple(code.shape)} and {tuple(photo.shape)}"
            )
        p = F.layer_norm(photo.float(), (f,))
        gs = self.out(F.silu(self.hidden(p)))
        gain, shift = gs[:, : self.style_dim], gs[:, self.style_dim :]
        return code.float() * (1 + gain) + shift
