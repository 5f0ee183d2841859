"""Adversarial and cycle-consistency losses for CycleGAN (Zhu et al. 2017), as pure functions.

GAN losses take raw discriminator scores. ``"lsgan"`` is least squares (Mao et al. 2017, the paper's choice);
``"bce"`` is the original GAN's binary cross-entropy on logits. Cycle and identity losses take images in
[0, 1] and return L1 on the paper's [-1, 1] scale (2·mean|a − b|), so λ_cycle = 10 means what the paper means.
Everything is computed in float32, whatever autocast produced.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["GAN_LOSSES", "cycle_loss", "discriminator_loss", "gan_loss", "generator_loss", "identity_loss"]

GAN_LOSSES = ("lsgan", "bce")


def gan_loss(scores: torch.Tensor, *, real: bool, kind: str = "lsgan") -> torch.Tensor:
    """Loss that pushes ``scores`` towards "real" (1) or "fake" (0)."""
    scores = scores.float()
    target = torch.full_like(scores, 1.0 if real else 0.0)
    if kind == "lsgan":
        return F.mse_loss(scores, target)
    if kind == "bce":
        return F.binary_cross_entropy_with_logits(scores, target)
    raise ValueError(f"gan loss must be one of {GAN_LOSSES}, got {kind!r}")


def discriminator_loss(real_scores: torch.Tensor, fake_scores: torch.Tensor, *, kind: str = "lsgan") -> torch.Tensor:
    """½ (loss(real → 1) + loss(fake → 0)): the halving slows D relative to G, as in the paper."""
    return 0.5 * (gan_loss(real_scores, real=True, kind=kind) + gan_loss(fake_scores, real=False, kind=kind))


def generator_loss(fake_scores: torch.Tensor, *, kind: str = "lsgan") -> torch.Tensor:
    """The generator wants its fakes scored as real."""
    return gan_loss(fake_scores, real=True, kind=kind)


def cycle_loss(real: torch.Tensor, reconstructed: torch.Tensor) -> torch.Tensor:
    """‖F(G(x)) − x‖₁ on the [-1, 1] scale; inputs in [0, 1]."""
    return 2.0 * F.l1_loss(reconstructed.float(), real.float())


def identity_loss(real: torch.Tensor, mapped: torch.Tensor) -> torch.Tensor:
    """‖G(y) − y‖₁ on the [-1, 1] scale (Taigman et al. 2017): keeps colours when the input is already target."""
    return 2.0 * F.l1_loss(mapped.float(), real.float())
