"""PatchGAN discriminator (Isola et al., "Image-to-Image Translation with Conditional Adversarial Networks",
CVPR 2017), as used by CycleGAN: with 3 layers each output scores a 70×70 patch of the input.

Input: RGB ``(N, 3, H, W)`` in [0, 1] (mapped to [-1, 1] inside); output: raw scores ``(N, 1, H', W')``
(no sigmoid: the loss decides how to read them).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

__all__ = ["PatchDiscriminator", "build_discriminator"]


class PatchDiscriminator(nn.Module):
    """C(ndf) → C(2ndf) → … (stride 2, ``layers`` of them) → C(·, stride 1) → 1-channel conv; LeakyReLU 0.2.

    Args:
        ndf: width of the first layer (64 in the paper).
        layers: stride-2 layers; 3 gives the 70×70 receptive field.
    """

    kind = "patchgan"

    def __init__(self, *, ndf: int = 64, layers: int = 3) -> None:
        super().__init__()
        if ndf < 1 or layers < 1:
            raise ValueError(f"need ndf >= 1 and layers >= 1, got ndf={ndf}, layers={layers}")
        self.ndf, self.layers = ndf, layers
        mods: list[nn.Module] = [nn.Conv2d(3, ndf, 4, 2, 1), nn.LeakyReLU(0.2, inplace=True)]
        width = ndf
        for i in range(1, layers + 1):
            nxt = ndf * min(2**i, 8)
            stride = 2 if i < layers else 1
            mods += [
                nn.Conv2d(width, nxt, 4, stride, 1, bias=False),
                nn.InstanceNorm2d(nxt, affine=False, track_running_stats=False),
                nn.LeakyReLU(0.2, inplace=True),
            ]
            width = nxt
        mods.append(nn.Conv2d(width, 1, 4, 1, 1))
        self.model = nn.Sequential(*mods)

    def spec(self) -> dict[str, Any]:
        """JSON-able arguments for :func:`build_discriminator`."""
        return {"kind": self.kind, "ndf": self.ndf, "layers": self.layers}

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.model(image * 2 - 1)


def build_discriminator(spec: dict[str, Any], *, encoder: nn.Module | None = None) -> nn.Module:
    """Rebuild a discriminator from its ``spec()``: a PatchGAN or a feature discriminator (``"vgg"``, on
    ``encoder``, default the pretrained VGG16; see :mod:`brushwork.models.feature_discriminator`)."""
    args = dict(spec)
    kind = args.pop("kind", None)
    if kind == "patchgan":
        return PatchDiscriminator(**args)
    if kind == "vgg":
        from brushwork.models.feature_discriminator import VGGFeatureDiscriminator

        return VGGFeatureDiscriminator(**args, encoder=encoder)
    raise ValueError(f"unknown discriminator kind {kind!r} (use 'patchgan' or 'vgg')")
