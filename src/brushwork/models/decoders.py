"""The AdaIN decoder: a mirror of VGG16 up to relu4_1 that maps features back to an RGB image.

Nearest-neighbour upsampling followed by 3×3 convolutions with reflection padding (no transposed
convolutions, so no checkerboard artifacts), as in Huang & Belongie 2017. The output is on the [0, 1]
image scale but not clamped (training losses see the raw output; callers clamp at the boundary).

Optional skip inputs carry shallower encoder features (relu3_1, relu2_1, relu1_1, each already transformed
to the style by the caller) into the matching decoder stage, so fine structure need not be reinvented from
1/8 resolution (multi-level stylisation with skip connections, as in Avatar-Net, Sheng et al. 2018, and
WCT², Yoo et al. 2019). Each skip is a 1×1 convolution added to the stage's input; it starts at zero, so a
decoder with skips begins as exactly the plain decoder it is initialised from.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from brushwork.models.encoders import MEAN_ACTIVATION
from brushwork.models.reflect_conv import ReflectConv2d

__all__ = ["SKIP_LAYERS", "VGGDecoder", "build_decoder"]

#: Layers a skip may come from, deep to shallow: each enters the stage whose resolution it has.
SKIP_LAYERS: tuple[str, ...] = ("relu3_1", "relu2_1", "relu1_1")
_SKIP_STAGE = {"relu3_1": "stage3", "relu2_1": "stage2", "relu1_1": "stage1"}


def _conv(cin: int, cout: int) -> nn.Conv2d:
    return ReflectConv2d(cin, cout)


class VGGDecoder(nn.Module):
    """relu4_1 features ``(N, C_in, H/8, W/8)`` (+ optional skips) -> image ``(N, 3, H, W)``.

    Args:
        in_channels: channels of the features (512 for VGG16 relu4_1).
        widths: channels of the three decoder stages (VGG16 blocks 3, 2, 1 mirrored): ``(256, 128, 64)``.
        skips: ``{layer: channels}`` of the skip inputs (layers from :data:`SKIP_LAYERS`; VGG16: relu3_1 256,
            relu2_1 128, relu1_1 64). Empty: the plain AdaIN decoder.
    """

    factor = 8  # three nearest-neighbour ×2 upsamplings

    def __init__(
        self,
        *,
        in_channels: int = 512,
        widths: Sequence[int] = (256, 128, 64),
        skips: Mapping[str, int] | None = None,
    ) -> None:
        super().__init__()
        w3, w2, w1 = (int(w) for w in widths)
        self.in_channels = in_channels
        self.widths = (w3, w2, w1)
        self.stage4 = nn.ModuleList([_conv(in_channels, w3)])
        self.stage3 = nn.ModuleList([_conv(w3, w3), _conv(w3, w3), _conv(w3, w2)])
        self.stage2 = nn.ModuleList([_conv(w2, w2), _conv(w2, w1)])
        self.stage1 = nn.ModuleList([_conv(w1, w1)])
        self.to_rgb = _conv(w1, 3)
        skips = dict(skips or {})
        unknown = set(skips) - set(SKIP_LAYERS)
        if unknown:
            raise ValueError(f"decoder skips {sorted(unknown)}: choose from {list(SKIP_LAYERS)}")
        stage_in = {"stage3": w3, "stage2": w2, "stage1": w1}
        self.skip_channels = {name: int(skips[name]) for name in SKIP_LAYERS if name in skips}
        self.skip = nn.ModuleDict()
        for name, cin in self.skip_channels.items():
            conv = nn.Conv2d(cin, stage_in[_SKIP_STAGE[name]], 1)
            nn.init.zeros_(conv.weight)
            nn.init.zeros_(conv.bias)
            self.skip[name] = conv

    @property
    def layers(self) -> tuple[str, ...]:
        """The encoder layers this decoder reads: relu4_1, then its skips (deep to shallow)."""
        return ("relu4_1", *self.skip_channels)

    def spec(self) -> dict[str, Any]:
        """The JSON that rebuilds this decoder (see :func:`build_decoder`)."""
        spec: dict[str, Any] = {"kind": "vgg_decoder", "in_channels": self.in_channels, "widths": list(self.widths)}
        if self.skip_channels:
            spec["skips"] = dict(self.skip_channels)
        return spec

    def forward(
        self,
        features: torch.Tensor,
        skips: Mapping[str, torch.Tensor] | None = None,
        skip_affine: Mapping[str, tuple[torch.Tensor, torch.Tensor]] | None = None,
    ) -> torch.Tensor:
        """``features`` relu4_1 ``(N, C_in, h, w)``; ``skips`` ``{layer: (N, C, h·k, w·k)}`` for every skip layer.

        ``skip_affine`` ``{layer: (scale, shift)}``, each ``(1, C, 1, 1)``: the skips are given untransformed and
        ``f · scale + shift`` is folded into the skip's 1×1 convolution (no transformed full-size copy).
        """
        skips = skips or {}
        skip_affine = skip_affine or {}
        missing = set(self.skip_channels) - set(skips)
        if missing:
            raise ValueError(f"decoder needs skip features {sorted(missing)}")
        x = features
        stages = {"stage4": self.stage4, "stage3": self.stage3, "stage2": self.stage2, "stage1": self.stage1}
        for name, stage in stages.items():
            for layer, conv in self.skip.items():
                if _SKIP_STAGE[layer] == name:
                    x = x + self._skip(layer, conv, skips[layer], skip_affine.get(layer)).to(x.dtype)
            for conv in stage:
                x = F.relu(conv(x), inplace=True)
            if name != "stage1":
                x = F.interpolate(x, scale_factor=2.0, mode="nearest")
        return self.to_rgb(x)

    @staticmethod
    def _skip(
        layer: str, conv: nn.Conv2d, f: torch.Tensor, affine: tuple[torch.Tensor, torch.Tensor] | None
    ) -> torch.Tensor:
        """``conv((f · scale + shift) / mean_activation)`` with scale, shift and the 1/mean folded into the weight."""
        weight, bias = conv.weight / MEAN_ACTIVATION[layer], conv.bias
        if affine is not None:
            scale, shift = (t.reshape(1, -1).to(weight.dtype) for t in affine)
            bias = bias + (weight.flatten(1) * shift).sum(dim=1)
            weight = weight * scale.reshape(1, -1, 1, 1)
        return F.conv2d(f, weight, bias)


def build_decoder(spec: dict[str, Any]) -> VGGDecoder:
    """A decoder from its :meth:`VGGDecoder.spec`; ``ValueError`` for a spec it does not understand."""
    if spec.get("kind") != "vgg_decoder":
        raise ValueError(f"not a decoder spec: {spec}")
    skips = {str(k): int(v) for k, v in dict(spec.get("skips", {})).items()}
    return VGGDecoder(in_channels=int(spec["in_channels"]), widths=tuple(int(w) for w in spec["widths"]), skips=skips)
