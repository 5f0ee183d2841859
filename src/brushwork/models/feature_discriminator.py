"""A discriminator on frozen pretrained features: small trainable heads on VGG16 conv features at several depths.

Sauer et al., "Projected GANs Converge Faster", NeurIPS 2021; Kumari et al., "Ensembling Off-the-shelf Models
for GAN Training" (Vision-aided GAN), CVPR 2022: judging images in the feature space of a frozen ImageNet network
makes the discriminator's job easy from the first step, so the generator gets useful gradients at once and
training needs many fewer steps and works with a few hundred images. Here the frozen network is the package's
VGG16 (conv1_1…conv4_3; never block5) and each requested layer gets a patch head: 1×1 conv → 3×3 conv → 1×1
conv to one score map, spectrally normalised (Miyato et al. 2018), LeakyReLU 0.2.

Input: RGB ``(N, 3, H, W)`` in [0, 1]. :meth:`VGGFeatureDiscriminator.score_features` returns one raw score map
``(N, 1, h_l, w_l)`` per layer (what training uses, on features it may share with other losses);
:meth:`forward` returns their per-image mean as ``(N, 1)`` (what the evaluation's accuracy reads).
Only the heads are parameters (and go into ``model.safetensors``); the encoder is shared and frozen.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

__all__ = ["FEATURE_SCALES", "VGGFeatureDiscriminator"]

#: Typical RMS of VGG16 activations per layer on photos and paintings (Caffe input scale), so heads see O(1).
FEATURE_SCALES = {"relu1_2": 250.0, "relu2_2": 450.0, "relu3_3": 500.0, "relu4_3": 80.0}
_BLOCK_OF = {"1": 0, "2": 1, "3": 2, "4": 3}


def _head(channels: int, width: int) -> nn.Sequential:
    return nn.Sequential(
        spectral_norm(nn.Conv2d(channels, width, 1)),
        nn.LeakyReLU(0.2),
        spectral_norm(nn.Conv2d(width, width, 3, padding=1)),
        nn.LeakyReLU(0.2),
        spectral_norm(nn.Conv2d(width, 1, 1)),
    )


class VGGFeatureDiscriminator(nn.Module):
    """Patch heads on frozen VGG16 features.

    Args:
        layers: VGG16 layers to judge, e.g. ``("relu2_2", "relu3_3", "relu4_3")``.
        width: channels of each head.
        encoder: the frozen :class:`~brushwork.models.encoders.VGG16Encoder` (default: the pretrained one,
            loaded offline). It is held, not owned: not a parameter, not saved, but moved with the module.
    """

    kind = "vgg"

    def __init__(
        self,
        *,
        layers: Sequence[str] = ("relu2_2", "relu3_3", "relu4_3"),
        width: int = 64,
        encoder: nn.Module | None = None,
    ) -> None:
        super().__init__()
        if not layers or width < 1:
            raise ValueError(f"need at least one layer and width >= 1, got layers={layers}, width={width}")
        if encoder is None:
            from brushwork.models.encoders import load_vgg16

            encoder = load_vgg16()
        bad = [name for name in layers if not name.startswith("relu") or name[4] not in _BLOCK_OF]
        if bad:
            raise ValueError(f"feature discriminator layers must be VGG16 reluB_C layers, got {bad}")
        self.layers, self.width = tuple(layers), int(width)
        widths = encoder.widths  # type: ignore[attr-defined]
        self.heads = nn.ModuleDict({name: _head(widths[_BLOCK_OF[name[4]]], width) for name in self.layers})
        encoder.requires_grad_(False).eval()
        object.__setattr__(self, "_encoder", encoder)  # not a submodule: no parameters, no state_dict entries

    @property
    def encoder(self) -> nn.Module:
        return self._encoder  # type: ignore[attr-defined]

    def _apply(self, fn: Callable[[torch.Tensor], torch.Tensor], recurse: bool = True) -> VGGFeatureDiscriminator:
        super()._apply(fn, recurse)
        self.encoder._apply(fn, recurse)
        return self

    def spec(self) -> dict[str, Any]:
        """JSON-able arguments for :func:`~brushwork.models.discriminators.build_discriminator`."""
        return {"kind": self.kind, "layers": list(self.layers), "width": self.width}

    def features(self, image: torch.Tensor, extra: Sequence[str] = ()) -> dict[str, torch.Tensor]:
        """VGG features of ``image`` at this discriminator's layers (and ``extra`` ones), one encoder pass."""
        return self.encoder(image, (*self.layers, *extra))

    def score_features(self, features: dict[str, torch.Tensor]) -> list[torch.Tensor]:
        """One raw score map ``(N, 1, h, w)`` per layer, from :meth:`features` output."""
        return [head(features[name] / FEATURE_SCALES.get(name, 100.0)) for name, head in self.heads.items()]

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        """``(N, 3, H, W)`` in [0, 1] → ``(N, 1)``: the mean patch score over all heads."""
        maps = self.score_features(self.features(image))
        return torch.stack([F.adaptive_avg_pool2d(m, 1).flatten(1) for m in maps]).mean(0)
