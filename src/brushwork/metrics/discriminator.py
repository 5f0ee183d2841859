"""Discriminator accuracy on real vs generated images (the original CycleGAN design's diagnostic).

Zhu, Park, Isola & Efros, "Unpaired Image-to-Image Translation using Cycle-Consistent Adversarial Networks",
ICCV 2017: 70×70 PatchGAN discriminators trained with least-squares targets (Mao et al., LSGAN, ICCV 2017),
real -> 1 and fake -> 0. An image's score is the mean of the discriminator's patch map; it counts as judged
*real* when the score is above ``threshold`` (0.5, halfway between the targets). Accuracy near 0.5 on both
sides means the generator fools the discriminator; near 1 means the discriminator sees through it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from typing import Any

import torch
from torch import nn

from brushwork.metrics._util import iter_batches, to_module

__all__ = ["DiscriminatorAccuracy", "discriminator_accuracy", "discriminator_scores"]

Images = torch.Tensor | Iterable[torch.Tensor]


@dataclass(frozen=True)
class DiscriminatorAccuracy:
    """Fractions judged correctly: ``real`` (score > threshold), ``fake`` (score < threshold), ``overall``.

    ``overall`` weights every image equally: ``(correct real + correct fake) / (n_real + n_fake)``.
    """

    real: float
    fake: float
    overall: float
    n_real: int
    n_fake: int
    mean_real_score: float
    mean_fake_score: float
    threshold: float

    def as_dict(self) -> dict[str, Any]:
        """Plain dict for JSON reports."""
        return asdict(self)


@torch.no_grad()
def discriminator_scores(
    discriminator: nn.Module,
    images: Images,
    *,
    batch_size: int = 16,
    transform: Callable[[torch.Tensor], torch.Tensor] | None = None,
) -> torch.Tensor:
    """Mean patch score per image: ``-> (M,)`` float32 on the CPU.

    Args:
        discriminator: maps ``(N, 3, H, W)`` to a patch map ``(N, 1, h, w)`` (or ``(N, h, w)``, ``(N,)``).
            It runs in eval mode here and is put back in the mode it was in.
        images: RGB in [0, 1]: a ``(N, 3, H, W)`` tensor or an iterable of tensors (batched here,
            ``batch_size`` at a time); moved to the discriminator's device and dtype.
        transform: applied to each batch before the discriminator, e.g. ``lambda x: x * 2 - 1`` for a
            discriminator trained on [-1, 1] inputs.
    """
    was_training = discriminator.training
    discriminator.eval()
    try:
        scores = []
        for batch in iter_batches(images, batch_size, "discriminator_scores"):
            x = to_module(batch, discriminator)
            out = discriminator(transform(x) if transform is not None else x)
            scores.append(out.float().reshape(out.shape[0], -1).mean(dim=1).cpu())
    finally:
        discriminator.train(was_training)
    if not scores:
        raise ValueError("discriminator_scores: no images given")
    return torch.cat(scores)


def discriminator_accuracy(
    discriminator: nn.Module,
    real: Images,
    fake: Images,
    *,
    threshold: float = 0.5,
    batch_size: int = 16,
    transform: Callable[[torch.Tensor], torch.Tensor] | None = None,
) -> DiscriminatorAccuracy:
    """How often ``discriminator`` tells ``real`` images (score > threshold) from ``fake`` ones (< threshold).

    A score exactly at the threshold counts as wrong on both sides. Arguments as in :func:`discriminator_scores`.
    """
    real_scores = discriminator_scores(discriminator, real, batch_size=batch_size, transform=transform)
    fake_scores = discriminator_scores(discriminator, fake, batch_size=batch_size, transform=transform)
    real_ok = int((real_scores > threshold).sum())
    fake_ok = int((fake_scores < threshold).sum())
    n_real, n_fake = real_scores.numel(), fake_scores.numel()
    return DiscriminatorAccuracy(
        real=real_ok / n_real,
        fake=fake_ok / n_fake,
        overall=(real_ok + fake_ok) / (n_real + n_fake),
        n_real=n_real,
        n_fake=n_fake,
        mean_real_score=float(real_scores.mean()),
        mean_fake_score=float(fake_scores.mean()),
        threshold=threshold,
    )
