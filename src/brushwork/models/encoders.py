"""VGG16 (conv1_1…conv4_3) as a multi-layer perceptual feature extractor.

Simonyan & Zisserman, "Very Deep Convolutional Networks for Large-Scale Image Recognition", ICLR 2015.
Public input is RGB in [0, 1], ``(N, 3, H, W)``; the Caffe convention the weights expect (BGR, 0–255, minus
the ImageNet mean) is applied inside :meth:`VGG16Encoder.preprocess` and nowhere else.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from brushwork.weights import load_vgg16_state

__all__ = ["LAYER_NAMES", "LAYER_STRIDE", "MEAN_ACTIVATION", "VGG16Encoder", "load_vgg16"]

# Caffe ImageNet mean, in BGR order, on the 0–255 scale.
_CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)
_BLOCKS: tuple[tuple[str, ...], ...] = (
    ("conv1_1", "conv1_2"),
    ("conv2_1", "conv2_2"),
    ("conv3_1", "conv3_2", "conv3_3"),
    ("conv4_1", "conv4_2", "conv4_3"),
)
_ORDER: tuple[str, ...] = (
    "conv1_1", "relu1_1", "conv1_2", "relu1_2", "pool1",
    "conv2_1", "relu2_1", "conv2_2", "relu2_2", "pool2",
    "conv3_1", "relu3_1", "conv3_2", "relu3_2", "conv3_3", "relu3_3", "pool3",
    "conv4_1", "relu4_1", "conv4_2", "relu4_2", "conv4_3", "relu4_3",
)  # fmt: skip
#: Layers that can be requested, shallow to deep: ``reluB_C`` follows ``convB_C``; ``poolB`` ends block B.
LAYER_NAMES = _ORDER
#: The stride of each conv/ReLU map in input pixels: 1 in block 1, 2 in block 2, … (each pooling halves the map).
LAYER_STRIDE: dict[str, int] = {name: 2 ** (int(name[4]) - 1) for name in _ORDER if name.startswith(("conv", "relu"))}
#: Mean activation of the first ReLU of each block of the Caffe VGG16 over vangogh2photo photos and paintings
#: (measured). Dividing by it puts the layers on one scale (relu1_1 ≈ 26 would otherwise count ~100× less than
#: relu3_1 ≈ 272 in a squared loss), the role of Gatys et al.'s normalised VGG.
MEAN_ACTIVATION = {"relu1_1": 26.0, "relu2_1": 204.0, "relu3_1": 272.0, "relu4_1": 150.0}


def max_pool_2x2(x: torch.Tensor) -> torch.Tensor:
    """``F.max_pool2d(x, 2)`` (same values, odd last row/column dropped) as three elementwise maxima.

    On a CPU this is 3–4× faster than ``max_pool2d`` for NCHW maps, which computes indices it then discards.
    On a tie the gradient is shared rather than routed to one input; in VGG16 ties are zeros of a ReLU,
    whose gradient the ReLU stops anyway.
    """
    h, w = x.shape[-2] // 2 * 2, x.shape[-1] // 2 * 2
    x = x[..., :h, :w]
    rows = torch.maximum(x[..., 0::2, :], x[..., 1::2, :])
    return torch.maximum(rows[..., 0::2], rows[..., 1::2])


class VGG16Encoder(nn.Module):
    """VGG16 up to relu4_3; :meth:`forward` returns the requested layers from one pass.

    Args:
        widths: channels of blocks 1–4; ``(64, 128, 256, 512)`` is VGG16. Small widths give the random-weight
            encoders that unit tests use.
        pool: ``"max"`` (as trained) or ``"avg"`` (Gatys et al. found it gives smoother results).
        padding_mode: ``"zeros"`` (as trained) or ``"reflect"`` (fewer border artifacts in synthesis).
    """

    def __init__(
        self,
        *,
        widths: Sequence[int] = (64, 128, 256, 512),
        pool: str = "max",
        padding_mode: str = "zeros",
    ) -> None:
        super().__init__()
        if len(widths) != 4:
            raise ValueError(f"widths needs 4 entries (blocks 1-4), got {tuple(widths)}")
        if pool not in ("max", "avg"):
            raise ValueError(f"pool must be 'max' or 'avg', got {pool!r}")
        self.widths = tuple(int(w) for w in widths)
        self.pool = pool
        convs: dict[str, nn.Conv2d] = {}
        cin = 3
        for width, block in zip(self.widths, _BLOCKS, strict=True):
            for name in block:
                convs[name] = nn.Conv2d(cin, width, 3, padding=1, padding_mode=padding_mode)
                cin = width
        self.convs = nn.ModuleDict(convs)
        self.register_buffer("caffe_mean", torch.tensor(_CAFFE_MEAN_BGR).view(1, 3, 1, 1) / 255.0, persistent=False)

    def preprocess(self, image: torch.Tensor) -> torch.Tensor:
        """RGB [0, 1] ``(N, 3, H, W)`` -> Caffe input (BGR, 0–255, mean removed). Never in place."""
        if image.ndim != 4 or image.shape[1] != 3:
            raise ValueError(f"expected (N, 3, H, W) RGB, got {tuple(image.shape)}")
        mean = self.caffe_mean.to(dtype=image.dtype)
        return (image.flip(1) - mean) * 255.0

    def forward(self, image: torch.Tensor, layers: Iterable[str]) -> dict[str, torch.Tensor]:
        """Features of ``image`` (RGB [0, 1], ``(N, 3, H, W)``) at ``layers``; stops at the deepest one."""
        wanted = set(layers)
        unknown = wanted - set(_ORDER)
        if unknown:
            raise ValueError(f"unknown VGG16 layers {sorted(unknown)}; choose from {list(_ORDER)}")
        if not wanted:
            return {}
        last = max(_ORDER.index(name) for name in wanted)
        x = self.preprocess(image)
        out: dict[str, torch.Tensor] = {}
        previous = ""
        for name in _ORDER[: last + 1]:
            if name.startswith("conv"):
                x = self.convs[name](x)
            elif name.startswith("relu"):
                x = F.relu(x, inplace=previous not in wanted)  # a convolution's output is needed by nobody else
            elif self.pool == "max":
                x = max_pool_2x2(x)
            else:
                x = F.avg_pool2d(x, 2)
            if name in wanted:
                out[name] = x
            previous = name
        return out

    def load_vgg16(self, state: dict[str, torch.Tensor]) -> None:
        """Load a ``convN_M.weight/bias`` state dict (see :func:`brushwork.weights.load_vgg16_state`)."""
        if self.widths != (64, 128, 256, 512):
            raise ValueError(f"cannot load VGG16 weights into an encoder of widths {self.widths}")
        self.convs.load_state_dict(state, strict=True)


def load_vgg16(
    path: str | os.PathLike[str] | None = None,
    *,
    device: torch.device | str = "cpu",
    pool: str = "max",
    padding_mode: str = "zeros",
) -> VGG16Encoder:
    """The pretrained VGG16 encoder, frozen and in eval mode (weights resolved offline; see ``weights``)."""
    encoder = VGG16Encoder(pool=pool, padding_mode=padding_mode)
    encoder.load_vgg16(load_vgg16_state(path))
    encoder.requires_grad_(False)
    return encoder.eval().to(device)
