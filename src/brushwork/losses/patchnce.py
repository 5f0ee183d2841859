"""Patchwise contrastive content loss (PatchNCE; Park et al., "Contrastive Learning for Unpaired Image-to-Image
Translation", ECCV 2020), here on frozen VGG16 features.

For a set of positions sampled in a feature map, the output's feature vector at a position (the query) must be
more similar to the input's vector at the *same* position (the positive) than to the input's vectors at the
other sampled positions of the same image (the negatives): an InfoNCE cross-entropy over cosine similarities
divided by a temperature. It keeps *what is where* (content correspondence) without asking the output to keep
the input's colours or textures, so it replaces CycleGAN's second generator and cycle loss (one-sided training).
CUT samples its features from the generator's own encoder through a trained MLP; with the frozen VGG16 the
features are fixed and already meaningful, so no projection network is trained.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["patch_nce_loss"]


def patch_nce_loss(
    query: torch.Tensor,
    key: torch.Tensor,
    *,
    num_patches: int = 256,
    temperature: float = 0.07,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """PatchNCE loss of output features ``query`` against input features ``key``, both ``(N, C, H, W)``.

    ``num_patches`` positions (at most H·W) are sampled once and used for every image of the batch; negatives
    come from the same image. Gradients flow into ``query`` only. Returns a float32 scalar (log of the patch
    count for features that carry no information, 0 for a perfect match at a low temperature).
    """
    if query.shape != key.shape or query.ndim != 4:
        raise ValueError(f"patch_nce_loss: query {tuple(query.shape)} and key {tuple(key.shape)} must match (N,C,H,W)")
    if temperature <= 0 or num_patches < 1:
        raise ValueError(f"patch_nce_loss: need temperature > 0 and num_patches >= 1, got {temperature}, {num_patches}")
    n, _, h, w = query.shape
    count = min(num_patches, h * w)
    idx = torch.randperm(h * w, generator=generator)[:count].to(query.device)
    q = F.normalize(query.float().flatten(2)[:, :, idx].transpose(1, 2), dim=-1)  # (N, P, C)
    k = F.normalize(key.detach().float().flatten(2)[:, :, idx].transpose(1, 2), dim=-1)
    logits = q @ k.transpose(1, 2) / temperature  # (N, P, P): row i's positive is column i
    target = torch.arange(count, device=query.device).repeat(n)
    return F.cross_entropy(logits.flatten(0, 1), target)
