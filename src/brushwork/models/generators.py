"""Image-to-image generators for CycleGAN: the paper's ResNet generator and a UNet.

Zhu et al., "Unpaired Image-to-Image Translation using Cycle-Consistent Adversarial Networks", ICCV 2017
(ResNet generator after Johnson et al. 2016); Ronneberger et al., "U-Net", MICCAI 2015.

Public boundary: :meth:`forward` takes RGB ``(N, 3, H, W)`` in [0, 1] of any size and returns the same shape in
[0, 1]. Inside, images are mapped to [-1, 1], padded (reflection) to the network's multiple, run through the
network, which ends in ``tanh``, cropped back and mapped to [0, 1]. With ``skip=True`` the network predicts a
change to its input (``x + net(x)``, clamped; a global skip connection, as in residual image restoration) and its
last convolution starts at zero, so an untrained generator returns its input exactly: training starts from the
photo's full structure and moves away from it only as far as the losses ask. Its :attr:`Generator.strength`
scales that change at inference (``x + strength · net(x)``): 1 is what was trained, 0 the photo, > 1 stronger.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import parametrize

__all__ = ["UPSAMPLE_MODES", "Generator", "ResnetGenerator", "UnetGenerator", "build_generator", "init_weights"]

UPSAMPLE_MODES = ("transpose", "nearest", "bilinear")


def init_weights(module: nn.Module, *, std: float = 0.02, generator: torch.Generator | None = None) -> nn.Module:
    """Initialise conv weights from N(0, std) and biases to 0; affine norm weights from N(1, std) (the paper's).

    A ``skip`` generator's last convolution starts at zero: it returns its input until trained.
    """
    for m in module.modules():
        if parametrize.is_parametrized(m):  # e.g. spectrally normalised heads keep their own initialisation
            continue
        if isinstance(m, nn.Conv2d | nn.ConvTranspose2d):
            with torch.no_grad():
                m.weight.normal_(0.0, std, generator=generator)
                if m.bias is not None:
                    m.bias.zero_()
        elif isinstance(m, nn.InstanceNorm2d | nn.BatchNorm2d) and m.weight is not None:
            with torch.no_grad():
                m.weight.normal_(1.0, std, generator=generator)
                m.bias.zero_()
    if isinstance(module, Generator) and module.skip:
        with torch.no_grad():
            for p in module.output_conv().parameters():
                p.zero_()
    return module


def _norm(channels: int) -> nn.Module:
    return nn.InstanceNorm2d(channels, affine=False, track_running_stats=False)


def _conv_block(cin: int, cout: int, kernel: int, stride: int = 1, *, reflect: bool = False) -> list[nn.Module]:
    """conv (no bias: instance norm removes it) → instance norm → ReLU."""
    pad = kernel // 2
    layers: list[nn.Module] = []
    if reflect:
        layers.append(nn.ReflectionPad2d(pad))
        pad = 0
    layers += [nn.Conv2d(cin, cout, kernel, stride, pad, bias=False), _norm(cout), nn.ReLU(inplace=True)]
    return layers


def _up_block(cin: int, cout: int, mode: str) -> list[nn.Module]:
    """×2 upsampling: a fractionally strided conv (paper) or resize + conv (no checkerboard, Odena et al. 2016)."""
    if mode == "transpose":
        conv: list[nn.Module] = [nn.ConvTranspose2d(cin, cout, 3, 2, 1, output_padding=1, bias=False)]
    elif mode in ("nearest", "bilinear"):
        align = None if mode == "nearest" else False
        conv = [nn.Upsample(scale_factor=2, mode=mode, align_corners=align), nn.Conv2d(cin, cout, 3, 1, 1, bias=False)]
    else:
        raise ValueError(f"upsample must be one of {UPSAMPLE_MODES}, got {mode!r}")
    return [*conv, _norm(cout), nn.ReLU(inplace=True)]


def _with_skip(spec: dict[str, Any], generator: Generator) -> dict[str, Any]:
    """``spec`` plus ``skip`` (and a ``strength`` other than 1) when set; older model files are skip-less."""
    if not generator.skip:
        return spec
    return {**spec, "skip": True, **({"strength": generator.strength} if generator.strength != 1.0 else {})}


def _check_strength(skip: bool, strength: float) -> float:
    if strength < 0 or (strength != 1.0 and not skip):
        raise ValueError(f"strength {strength}: needs a skip generator and strength >= 0")
    return float(strength)


class ResidualBlock(nn.Module):
    """Two 3×3 convs with reflection padding and instance norm, plus the identity."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            *_conv_block(channels, channels, 3, reflect=True),
            nn.ReflectionPad2d(1),
            nn.Conv2d(channels, channels, 3, bias=False),
            _norm(channels),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class Generator(nn.Module):
    """Base class: the [0, 1] boundary, padding to :attr:`multiple` (and at least :attr:`min_size`), and the spec
    that rebuilds the network.
    """

    multiple: int = 1
    min_size: int = 1
    kind: str = ""
    skip: bool = False
    strength: float = 1.0

    def spec(self) -> dict[str, Any]:
        """JSON-able arguments for :func:`build_generator`."""
        raise NotImplementedError

    def with_strength(self, strength: float | None) -> Generator:
        """This generator (``None``) or a view of it that shares its weights and applies a different strength."""
        if strength is None:
            return self
        view = copy.copy(self)
        view.strength = _check_strength(self.skip, strength)
        return view

    def output_conv(self) -> nn.Module:
        """The last convolution (zeroed by :func:`init_weights` for a ``skip`` generator)."""
        raise NotImplementedError

    def encoder_parameters(self) -> Iterator[nn.Parameter]:
        """Parameters of the downsampling half (frozen by ``--freeze-encoder`` when fine-tuning)."""
        raise NotImplementedError

    def net(self, x: torch.Tensor) -> torch.Tensor:
        """The network proper: ``(N, 3, H, W)`` in [-1, 1] with H, W multiples of :attr:`multiple` → [-1, 1]."""
        raise NotImplementedError

    def combine(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """The output on the [-1, 1] scale from the input ``x`` and :meth:`net`'s ``y``: ``y``, or for a skip
        generator ``x + strength · y`` clamped."""
        return (x + self.strength * y).clamp(-1.0, 1.0) if self.skip else y

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        """``(N, 3, H, W)`` RGB in [0, 1], any size → translated ``(N, 3, H, W)`` in [0, 1]."""
        h, w = image.shape[-2:]
        pad_h = max(h + -h % self.multiple, self.min_size) - h
        pad_w = max(w + -w % self.multiple, self.min_size) - w
        x = image * 2 - 1
        if pad_h or pad_w:
            mode = "reflect" if pad_h < h and pad_w < w else "replicate"
            x = F.pad(x, (0, pad_w, 0, pad_h), mode=mode)
        y = self.combine(x, self.net(x))
        if pad_h or pad_w:
            y = y[..., :h, :w]
        return (y + 1) * 0.5


class ResnetGenerator(Generator):
    """The paper's generator: c7s1-ngf, d(2ngf), d(4ngf), ``blocks`` × R(4ngf), u(2ngf), u(ngf), c7s1-3, tanh.

    Args:
        ngf: width of the first layer (64 in the paper).
        blocks: residual blocks (6 for 128 px, 9 for 256 px in the paper).
        upsample: ``"transpose"`` (paper), or ``"nearest"``/``"bilinear"`` resize + conv against checkerboard.
    """

    kind = "resnet"
    multiple = 4
    min_size = 8  # the residual blocks' reflection padding needs 2 pixels at 1/4 scale

    def __init__(
        self, *, ngf: int = 64, blocks: int = 9, upsample: str = "transpose", skip: bool = False, strength: float = 1.0
    ) -> None:
        super().__init__()
        if ngf < 1 or blocks < 0:
            raise ValueError(f"need ngf >= 1 and blocks >= 0, got ngf={ngf}, blocks={blocks}")
        self.ngf, self.blocks, self.upsample, self.skip = ngf, blocks, upsample, bool(skip)
        self.strength = _check_strength(self.skip, strength)
        self.encoder = nn.Sequential(
            *_conv_block(3, ngf, 7, reflect=True),
            *_conv_block(ngf, ngf * 2, 3, 2),
            *_conv_block(ngf * 2, ngf * 4, 3, 2),
        )
        self.transformer = nn.Sequential(*(ResidualBlock(ngf * 4) for _ in range(blocks)))
        self.decoder = nn.Sequential(
            *_up_block(ngf * 4, ngf * 2, upsample),
            *_up_block(ngf * 2, ngf, upsample),
            nn.ReflectionPad2d(3),
            nn.Conv2d(ngf, 3, 7),
            nn.Tanh(),
        )

    def spec(self) -> dict[str, Any]:
        return _with_skip({"kind": self.kind, "ngf": self.ngf, "blocks": self.blocks, "upsample": self.upsample}, self)

    def output_conv(self) -> nn.Conv2d:
        return self.decoder[-2]

    def encoder_parameters(self) -> Iterator[nn.Parameter]:
        return self.encoder.parameters()

    def net(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.transformer(self.encoder(x)))


class _UnetLevel(nn.Module):
    """One UNet level: down (stride-2 conv) → inner → up, concatenated with this level's input."""

    def __init__(self, outer: int, inner: int, sub: nn.Module | None, *, outermost: bool, upsample: str) -> None:
        super().__init__()
        self.outermost = outermost
        down: list[nn.Module] = [nn.Conv2d(outer, inner, 4, 2, 1, bias=False)]
        if not outermost:
            down = [nn.LeakyReLU(0.2, inplace=False), *down]
        if sub is not None and not outermost:
            down.append(_norm(inner))
        self.down = nn.Sequential(*down)
        self.sub = sub
        up_in = inner if sub is None else inner * 2
        up_out = 3 if outermost else outer
        if upsample == "transpose":
            up: list[nn.Module] = [nn.ConvTranspose2d(up_in, up_out, 4, 2, 1, bias=outermost)]
        elif upsample in ("nearest", "bilinear"):
            align = None if upsample == "nearest" else False
            up = [
                nn.Upsample(scale_factor=2, mode=upsample, align_corners=align),
                nn.Conv2d(up_in, up_out, 3, 1, 1, bias=outermost),
            ]
        else:
            raise ValueError(f"upsample must be one of {UPSAMPLE_MODES}, got {upsample!r}")
        self.up = nn.Sequential(nn.ReLU(inplace=False), *up, nn.Tanh() if outermost else _norm(up_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.down(x)
        if self.sub is not None:
            y = self.sub(y)
        y = self.up(y)
        return y if self.outermost else torch.cat([x, y], dim=1)


class UnetGenerator(Generator):
    """UNet with skip connections: ``depth`` stride-2 levels, widths ngf·(1, 2, 4, 8, 8, ...).

    Args:
        ngf: width of the first level.
        depth: number of downsamplings (8 for 256 px in pix2pix; inputs are padded to a multiple of 2**depth).
        upsample: ``"transpose"``, ``"nearest"`` or ``"bilinear"``.
    """

    kind = "unet"

    def __init__(
        self, *, ngf: int = 64, depth: int = 7, upsample: str = "transpose", skip: bool = False, strength: float = 1.0
    ) -> None:
        super().__init__()
        if ngf < 1 or depth < 2:
            raise ValueError(f"need ngf >= 1 and depth >= 2, got ngf={ngf}, depth={depth}")
        self.ngf, self.depth, self.upsample, self.skip = ngf, depth, upsample, bool(skip)
        self.strength = _check_strength(self.skip, strength)
        self.multiple = 2**depth
        widths = [3] + [ngf * min(2**i, 8) for i in range(depth)]
        level: nn.Module | None = None
        for i in range(depth, 0, -1):
            outer, inner = widths[i - 1], widths[i]
            level = _UnetLevel(outer, inner, level, outermost=i == 1, upsample=upsample)
        assert level is not None
        self.root = level

    def spec(self) -> dict[str, Any]:
        return _with_skip({"kind": self.kind, "ngf": self.ngf, "depth": self.depth, "upsample": self.upsample}, self)

    def output_conv(self) -> nn.Module:
        return self.root.up[-2]

    def encoder_parameters(self) -> Iterator[nn.Parameter]:
        level: nn.Module | None = self.root
        while isinstance(level, _UnetLevel):
            yield from level.down.parameters()
            level = level.sub

    def net(self, x: torch.Tensor) -> torch.Tensor:
        return self.root(x)


def build_generator(spec: dict[str, Any]) -> Generator:
    """Rebuild a generator from :meth:`Generator.spec` (as stored in a model's ``config.json``)."""
    args = dict(spec)
    kind = args.pop("kind", None)
    if kind == "resnet":
        return ResnetGenerator(**args)
    if kind == "unet":
        return UnetGenerator(**args)
    raise ValueError(f"unknown generator kind {kind!r} (use 'resnet' or 'unet')")
