"""A per-image VGG feature cache, so that each output (and each content) goes through the encoder once.

The metric functions each call the encoder on their own (the perceptual distance on content and output, the
style distances and the set-level features on the output): four passes per pair. Wrapped in
:class:`FeatureCache`, the first call computes every layer the metrics need and later calls with the same
image (same bytes) reuse them, so a pair costs one output pass, plus one per content image across all styles.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Iterable, Sequence

import torch
from torch import nn

__all__ = ["FeatureCache"]


def _key(image: torch.Tensor) -> tuple[object, ...]:
    data = image.detach().to("cpu", copy=False).contiguous().numpy().tobytes()
    return (tuple(image.shape), image.dtype, image.device, hashlib.blake2b(data, digest_size=16).digest())


class FeatureCache(nn.Module):
    """``forward(image, layers) -> dict`` like the wrapped encoder, remembering the last ``size`` images' features.

    Every miss computes ``layers`` (the union the metrics need) for the missing images in one call. Gradients
    bypass the cache (it is for ``no_grad`` metric code only).
    """

    def __init__(self, encoder: nn.Module, layers: Sequence[str], *, size: int = 4) -> None:
        super().__init__()
        self.encoder = encoder
        self.layers = tuple(dict.fromkeys(layers))
        self.size = size
        self._cache: OrderedDict[tuple[object, ...], dict[str, torch.Tensor]] = OrderedDict()

    def forward(self, image: torch.Tensor, layers: Iterable[str]) -> dict[str, torch.Tensor]:
        layers = tuple(layers)
        if torch.is_grad_enabled() or not set(layers) <= set(self.layers):
            return self.encoder(image, layers)
        keys = [_key(image[i]) for i in range(image.shape[0])]
        missing = [i for i, k in enumerate(keys) if k not in self._cache]
        if missing:
            feats = self.encoder(image[missing], self.layers)
            for j, i in enumerate(missing):
                self._cache[keys[i]] = {name: f[j : j + 1] for name, f in feats.items()}
        found = [self._cache[k] for k in keys]
        for k in keys:
            self._cache.move_to_end(k)
        while len(self._cache) > max(self.size, len(keys)):
            self._cache.popitem(last=False)
        return {name: torch.cat([f[name] for f in found]) for name in layers}
