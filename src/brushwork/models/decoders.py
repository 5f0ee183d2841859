"""The AdaIN decoder: a mirror of VGG16 up to relu4_1 that maps features back to an RGB image.

Nearest-neighbour upsampling followed by 3×3 convolutions with reflection padding (no transposed
convolutions, so no checkerboard artifacts), as in Huang & Belongie 2017. The output is on the [0, 1]
image scale but not clamped (training losses see the raw output; callers clamp at the boundary).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["VGGDecoder", "build_decoder"]


def _conv(cin: int, cout: int) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, 3, padding=1, padding_mode="reflect")


class VGGDecoder(nn.Module):
    """relu4_1 features ``(N, C_in, H/8, W/8)`` -> image ``(N, 3, H, W)``.

    Args:
        in_channels: channels of the features (512 for VGG16 relu4_1).
        widths: channels of the three decoder stages (VGG16 blocks 3, 2, 1 mirrored): ``(256, 128, 64)``.
    """

    factor = 8  # three nearest-neighbour ×2 upsamplings

    def __init__(self, *, in_channels: int = 512, widths: Sequence[int] = (256, 128, 64)) -> None:
        super().__init__()
        w3, w2, w1 = (int(w) for w in widths)
        self.in_channels = in_channels
        self.widths = (w3, w2, w1)
        self.stage4 = nn.ModuleList([_conv(in_channels, w3)])
        self.stage3 = nn.ModuleList([_conv(w3, w3), _conv(w3, w3), _conv(w3, w2)])
        self.stage2 = nn.ModuleList([_conv(w2, w2), _conv(w2, w1)])
        self.stage1 = nn.ModuleList([_conv(w1, w1)])
        self.to_rgb = _conv(w1, 3)

    def spec(self) -> dict[str, Any]:
        """The JSON that rebuilds this decoder (see :func:`build_decoder`)."""
        return {"kind": "vgg_decoder", "in_channels": self.in_channels, "widths": list(self.widths)}

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        x = features
        for stage in (self.stage4, self.stage3, self.stage2, self.stage1):
            for conv in stage:
                x = F.relu(conv(x))
            if stage is not self.stage1:
                x = F.interpolate(x, scale_factor=2.0, mode="nearest")
        return self.to_rgb(x)


def build_decoder(spec: dict[str, Any]) -> VGGDecoder:
    """A decoder from its :meth:`VGGDecoder.spec`; ``ValueError`` for a spec it does not understand."""
    if spec.get("kind") != "vgg_decoder":
        raise ValueError(f"not a decoder spec: {spec}")
    return VGGDecoder(in_channels=int(spec["in_channels"]), widths=tuple(int(w) for w in spec["widths"]))
