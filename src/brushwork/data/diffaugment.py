"""Differentiable augmentation of the images a discriminator sees (Zhao et al., "Differentiable Augmentation for
Data-Efficient GAN Training", NeurIPS 2020).

With a few hundred real images a discriminator memorises them and stops teaching the generator. DiffAugment
applies the same family of random, differentiable transforms to real *and* generated images before the
discriminator (and lets the generator's gradient flow through them), so the discriminator cannot overfit to the
few reals and the generator is not pushed to reproduce the augmentations. Policies (the paper's):

- ``color``: brightness ± 0.25, saturation × [0, 2], contrast × [0.5, 1.5];
- ``translation``: shift by up to 1/8 of the side, gray fill;
- ``cutout``: a gray square of half the side at a random place.

Images are RGB ``(N, 3, H, W)`` in [0, 1] (gray = 0.5, the paper's zero on its [-1, 1] scale). Several tensors
of the same shape can be passed: they get the *same* transform per sample (so a loss that compares positions of
two images still compares corresponding positions).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["POLICIES", "diff_augment", "parse_policy"]

POLICIES = ("color", "translation", "cutout")


def parse_policy(policy: str) -> tuple[str, ...]:
    """``"color,translation"`` → ``("color", "translation")``; empty or ``"none"`` → ``()``; unknown → ValueError."""
    parts = tuple(p.strip() for p in policy.split(",") if p.strip() and p.strip() != "none")
    unknown = [p for p in parts if p not in POLICIES]
    if unknown:
        raise ValueError(f"unknown DiffAugment policies {unknown}; choose from {list(POLICIES)}")
    return parts


def _rand(n: int, ref: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    return torch.rand(n, 1, 1, 1, generator=generator).to(device=ref.device, dtype=ref.dtype)


def _color(images: list[torch.Tensor], generator: torch.Generator | None) -> list[torch.Tensor]:
    n = images[0].shape[0]
    bright = _rand(n, images[0], generator) - 0.5
    sat = _rand(n, images[0], generator) * 2
    con = _rand(n, images[0], generator) + 0.5
    out = []
    for x in images:
        x = x + bright * 0.5
        gray = x.mean(dim=1, keepdim=True)
        x = (x - gray) * sat + gray
        mean = x.mean(dim=(1, 2, 3), keepdim=True)
        out.append((x - mean) * con + mean)
    return out


def _translation(images: list[torch.Tensor], generator: torch.Generator | None) -> list[torch.Tensor]:
    n, _, h, w = images[0].shape
    sy, sx = max(1, h // 8), max(1, w // 8)
    dy = torch.randint(-sy, sy + 1, (n,), generator=generator).tolist()
    dx = torch.randint(-sx, sx + 1, (n,), generator=generator).tolist()
    out = []
    for x in images:
        padded = F.pad(x - 0.5, (sx, sx, sy, sy)) + 0.5
        rows = [padded[i : i + 1, :, sy - dy[i] : sy - dy[i] + h, sx - dx[i] : sx - dx[i] + w] for i in range(n)]
        out.append(torch.cat(rows))
    return out


def _cutout(images: list[torch.Tensor], generator: torch.Generator | None) -> list[torch.Tensor]:
    n, _, h, w = images[0].shape
    ch, cw = max(1, h // 2), max(1, w // 2)
    ys = torch.randint(0, h - ch + 1, (n,), generator=generator)
    xs = torch.randint(0, w - cw + 1, (n,), generator=generator)
    yy = torch.arange(h).view(1, h, 1)
    xx = torch.arange(w).view(1, 1, w)
    inside = ((yy >= ys.view(n, 1, 1)) & (yy < (ys + ch).view(n, 1, 1))) & (
        (xx >= xs.view(n, 1, 1)) & (xx < (xs + cw).view(n, 1, 1))
    )
    keep = (~inside).unsqueeze(1).to(device=images[0].device, dtype=images[0].dtype)
    return [x * keep + 0.5 * (1 - keep) for x in images]


_OPS = {"color": _color, "translation": _translation, "cutout": _cutout}


def diff_augment(
    *images: torch.Tensor, policy: tuple[str, ...] | str, generator: torch.Generator | None = None
) -> tuple[torch.Tensor, ...]:
    """Apply ``policy`` to ``images`` (each ``(N, 3, H, W)``, same shape; the same random transform per sample
    index across them). Differentiable in the images; randomness from ``generator`` (default: torch's global RNG,
    which training checkpoints restore, so resumed runs draw the same augmentations).
    """
    if not images:
        return ()
    shape = images[0].shape
    if len(shape) != 4 or any(x.shape != shape for x in images):
        shapes = [tuple(x.shape) for x in images]
        raise ValueError(f"diff_augment: expected images of one (N, C, H, W) shape, got {shapes}")
    ops = parse_policy(policy) if isinstance(policy, str) else tuple(policy)
    out = list(images)
    for name in ops:
        out = _OPS[name](out, generator)
    return tuple(out)
