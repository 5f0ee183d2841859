"""Optimisation-based style transfer, coarse to fine.

Gatys, Ecker & Bethge, "Image Style Transfer Using Convolutional Neural Networks", CVPR 2016: optimise the
pixels of an image so that its deep features match the content image (content loss) and the Gram matrices of
its features match the style image's (style loss), plus a total-variation smoothness term.

Quality and speed on CPU come from a coarse-to-fine image pyramid: most steps run at 1/4 and 1/2 resolution,
where VGG16's 60 px receptive field (relu4_1) spans a painting's large forms (the swirls of a night sky), and a
few full-resolution steps add the brush strokes. Single-scale optimisation reaches the same full-resolution
loss as quickly but never builds those forms (compare :func:`multiscale_style_loss`; see bench/gatys.py).
Style targets are computed once per level, the encoder runs once per step and stops at the deepest layer
needed, and pixels are projected to [0, 1] after every step (so the loss seen is the saved image's). Each loss
term is divided by the mean square of its target, so the weights mean the same for any size, style and layer.

L-BFGS runs without a line search (one encoder pass per step) and now and then overshoots, most on flat-colour
styles and high-contrast photos, where many pixels sit at 0 or 1 and the projection bends its steps: a step
whose loss is over three times the best of its level is undone, and the optimiser restarts from the best image
with a quarter of the step size (ordinary steps cost nothing extra; see ``_optimise``). Each level keeps the
image of lowest loss it saw.
"""

from __future__ import annotations

import copy
import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import torch
import torch.nn.functional as F

from brushwork.config import DictConfig
from brushwork.device import autocast
from brushwork.errors import ConfigError, MethodError
from brushwork.losses.perceptual import content_loss, gram_loss, gram_matrix, total_variation
from brushwork.models.encoders import LAYER_NAMES, VGG16Encoder

__all__ = [
    "INITS",
    "OPTIMIZERS",
    "GatysConfig",
    "GatysResult",
    "GatysStep",
    "multiscale_style_loss",
    "pyramid_sizes",
    "receptive_field",
    "stylize",
]

log = logging.getLogger(__name__)

OPTIMIZERS = ("lbfgs", "adam")
INITS = ("content", "noise", "style")
_DEFAULT_LR = {"lbfgs": 1.0, "adam": 0.02}
#: A step whose loss is over this many times its level's best so far overshot (L-BFGS without a line search
#: does, now and then; projection to [0, 1] hides overflow): it is undone and the optimiser restarts.
_OVERSHOOT = 3.0
#: Each restart multiplies the step size by this.
_STEP_CUT = 0.25
#: Restarts per level before the run is given up as diverged.
_MAX_RESTARTS = 4
#: A style image has at most this many times a level's content area (times style_scale²).
_STYLE_AREA = 2.0
#: Style images thinner than this aspect ratio are cropped to their middle at it.
_STYLE_MAX_ASPECT = 8


@dataclass(frozen=True)
class GatysConfig(DictConfig):
    """Settings of one Gatys run. Weights are relative: every loss term is normalised by its target's size.

    The defaults were chosen by measurement on tubingen × starry_night (bench/gatys.py, 2 CPU threads): 512 px
    in about 40 s in float32 (``stylize(bf16=True)``: about 1.5× faster), with the large swirls that make it read
    as the painting. ``relu4_2`` keeps the scene while letting the style reshape it (``relu4_1``/``relu3_3`` are
    ~15 % cheaper per step but keep the photo's look); average pooling gives visibly stronger swirls than max
    pooling; L-BFGS beats Adam at equal steps.

    Attributes:
        content_layer: encoder layer whose features the result shares with the content image.
        style_layers: layers whose Gram matrices the result shares with the style image(s).
        style_layer_weights: one weight per style layer (default: equal).
        content_weight, style_weight, tv_weight: weights of the three loss terms.
        steps: optimisation steps at the finest (output) resolution.
        coarse_steps: steps at each coarser pyramid level (``None``: as many as ``steps``).
        levels: pyramid levels, each half the size of the next; 1 optimises at the output size only.
        min_level_side: coarser levels whose short side would fall below this are dropped.
        optimizer: ``"lbfgs"`` (default; one function evaluation per step) or ``"adam"``.
        lr: step size (default 1.0 for L-BFGS, 0.02 for Adam, in [0, 1] pixel units); cut to a quarter at
            each restart after an overshooting step (at most 4 per level).
        history_size: L-BFGS memory (memory use grows with it: 2 · history · pixels · 3 floats).
        init: start from the ``"content"`` image, seeded ``"noise"``, or the (first) ``"style"`` image.
        style_scale: style image long side relative to the content's, at every level (a style of more than
            twice the content's area, times ``style_scale``², is made smaller: long thin contents).
        pool: the encoder's pooling for this run, ``"avg"`` (Gatys et al.'s choice, smoother, stronger swirls)
            or ``"max"`` (as VGG16 was trained); applied to the given encoder without modifying it.
        upsample_detail: with ``init="content"``, each finer level starts from the upsampled result plus the
            content's detail that the coarser level could not hold (a Laplacian-pyramid step), not a blur.
    """

    content_layer: str = "relu4_2"
    style_layers: tuple[str, ...] = ("relu1_1", "relu2_1", "relu3_1", "relu4_1")
    style_layer_weights: tuple[float, ...] | None = None
    content_weight: float = 1.0
    style_weight: float = 10.0
    tv_weight: float = 0.0
    steps: int = 30
    coarse_steps: int | None = 20
    levels: int = 3
    min_level_side: int = 64
    optimizer: str = "lbfgs"
    lr: float | None = None
    history_size: int = 20
    init: str = "content"
    style_scale: float = 1.0
    pool: str = "avg"
    upsample_detail: bool = True

    def validate(self) -> None:
        """Raise :class:`ConfigError` naming the first setting that cannot work."""
        for name in ("content_weight", "style_weight", "tv_weight"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise ConfigError(f"gatys {name}={value}: must be a finite number >= 0")
        if self.content_weight == 0 and self.style_weight == 0:
            raise ConfigError("gatys content_weight and style_weight are both 0: nothing to optimise")
        for name in ("steps", "levels", "min_level_side", "history_size"):
            if getattr(self, name) < 1:
                raise ConfigError(f"gatys {name}={getattr(self, name)}: must be at least 1")
        if self.coarse_steps is not None and self.coarse_steps < 0:
            raise ConfigError(f"gatys coarse_steps={self.coarse_steps}: must be >= 0")
        if self.optimizer not in OPTIMIZERS:
            raise ConfigError(f"gatys optimizer={self.optimizer!r}: choose one of {', '.join(OPTIMIZERS)}")
        if self.pool not in ("avg", "max"):
            raise ConfigError(f"gatys pool={self.pool!r}: choose avg or max")
        if self.init not in INITS:
            raise ConfigError(f"gatys init={self.init!r}: choose one of {', '.join(INITS)}")
        if self.lr is not None and (not math.isfinite(self.lr) or self.lr <= 0):
            raise ConfigError(f"gatys lr={self.lr}: must be a finite number > 0")
        if not math.isfinite(self.style_scale) or self.style_scale <= 0:
            raise ConfigError(f"style_scale={self.style_scale}: must be a finite number > 0")
        unknown = sorted({self.content_layer, *self.style_layers} - set(LAYER_NAMES))
        if unknown:
            raise ConfigError(f"gatys layers {unknown}: unknown; choose from {', '.join(LAYER_NAMES)}")
        if not self.style_layers:
            raise ConfigError("gatys style_layers is empty")
        weights = self.style_layer_weights
        if weights is not None:
            if len(weights) != len(self.style_layers):
                raise ConfigError(
                    f"gatys style_layer_weights has {len(weights)} values for {len(self.style_layers)} style layers"
                )
            if any(not math.isfinite(w) or w < 0 for w in weights) or sum(weights) <= 0:
                raise ConfigError(f"gatys style_layer_weights={weights}: must be >= 0 with a positive sum")

    @property
    def step_size(self) -> float:
        """``lr``, or the optimiser's default."""
        return self.lr if self.lr is not None else _DEFAULT_LR[self.optimizer]


@dataclass(frozen=True)
class GatysStep:
    """Progress of one optimisation step (given to ``on_step``).

    ``image`` is the current estimate ``(1, 3, h, w)`` at this level's size, detached, in [0, 1]; it is
    updated in place by the next step, so clone it to keep it.
    """

    step: int
    total_steps: int
    level: int
    levels: int
    losses: dict[str, float]
    image: torch.Tensor = field(repr=False)


@dataclass(frozen=True)
class GatysResult:
    """A finished run.

    Attributes:
        image: ``(1, 3, H, W)`` in [0, 1], the content's size.
        final: losses of ``image`` at full resolution (``total``, ``content``, ``style``, ``tv``).
        initial: the same losses of the initial image made at full resolution (the content for ``init="content"``).
        history: per step, ``{"step", "level", "total", "content", "style", "tv"}`` at that level's size.
        sizes: ``(h, w)`` of each pyramid level, coarse to fine.
        seconds: wall time of the whole run.
        restarts: steps that overshot and were undone (the optimiser restarted from the best image with a
            smaller step size), over all levels.
    """

    image: torch.Tensor
    final: dict[str, float]
    initial: dict[str, float]
    history: tuple[dict[str, float], ...]
    sizes: tuple[tuple[int, int], ...]
    seconds: float
    restarts: int = 0


class _OvershootError(Exception):
    def __init__(self, value: float) -> None:
        super().__init__(value)
        self.value = value


class _DivergedError(Exception):
    def __init__(self, value: float, best: float, restarts: int) -> None:
        super().__init__(value)
        self.value = value
        self.best = best
        self.restarts = restarts


def receptive_field(layer: str) -> int:
    """Receptive field in pixels of one unit at ``layer`` of VGG16 (3×3 convolutions, 2×2 pooling)."""
    if layer not in LAYER_NAMES:
        raise ValueError(f"unknown layer {layer!r}")
    size, jump = 1, 1
    for name in LAYER_NAMES[: LAYER_NAMES.index(layer) + 1]:
        if name.startswith("conv"):
            size += 2 * jump
        elif name.startswith("pool"):
            size += jump
            jump *= 2
    return size


def pyramid_sizes(height: int, width: int, *, levels: int, min_side: int) -> tuple[tuple[int, int], ...]:
    """``(h, w)`` per level, coarse to fine, halving each time; levels below ``min_side`` are dropped."""
    sizes = [(height, width)]
    for k in range(1, levels):
        h, w = round(height / 2**k), round(width / 2**k)
        if min(h, w) < min_side:
            break
        sizes.append((h, w))
    return tuple(reversed(sizes))


def _resize(image: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    if tuple(image.shape[-2:]) == size:
        return image
    down = size[0] < image.shape[-2] or size[1] < image.shape[-1]
    out = F.interpolate(image, size=size, mode="bicubic", align_corners=False, antialias=down)
    return out.clamp(0.0, 1.0)


def _style_size(
    style: torch.Tensor, content_size: tuple[int, int], style_scale: float, min_side: int
) -> tuple[int, int]:
    """The style's size against one level's content: its long side ``style_scale`` × the content's, but at most
    :data:`_STYLE_AREA` × the content's area (× ``style_scale``²: a long thin content would otherwise ask for a
    huge style), and a short side of at least ``min_side``.
    """
    h, w = int(style.shape[-2]), int(style.shape[-1])
    ch, cw = content_size
    scale = style_scale * min(max(ch, cw) / max(h, w), math.sqrt(_STYLE_AREA * ch * cw / (h * w)))
    scale = max(scale, min_side / min(h, w))
    return max(1, round(h * scale)), max(1, round(w * scale))


def _crop_thin(style: torch.Tensor) -> torch.Tensor:
    """The middle of a style image thinner than :data:`_STYLE_MAX_ASPECT`:1, at that aspect ratio (a thin strip
    brought up to the receptive field's short side would be enormous)."""
    h, w = int(style.shape[-2]), int(style.shape[-1])
    keep = _STYLE_MAX_ASPECT * min(h, w)
    if max(h, w) <= keep:
        return style
    top, left = max(0, (h - keep) // 2), max(0, (w - keep) // 2)
    return style[..., top : top + min(h, keep), left : left + min(w, keep)]


@dataclass(frozen=True)
class _Targets:
    content: torch.Tensor | None
    content_norm: float
    grams: dict[str, torch.Tensor]
    gram_norms: dict[str, float]


def _encode(
    encoder: VGG16Encoder, image: torch.Tensor, layers: Sequence[str], *, bf16: bool
) -> dict[str, torch.Tensor]:
    """``encoder(image, layers)``; with ``bf16`` under bf16 autocast, the features cast back to the image's dtype:
    the Gram matrices and the losses are computed in float32, since a loss is a small difference of large sums."""
    with autocast(image.device, bf16):
        feats = encoder(image, list(layers))  # one pass, stops at the deepest needed layer
    return {name: f.to(image.dtype) for name, f in feats.items()} if bf16 else feats


def _targets(
    encoder: VGG16Encoder,
    content: torch.Tensor,
    styles: Sequence[torch.Tensor],
    *,
    blend: Sequence[float],
    config: GatysConfig,
    style_min_side: int,
    bf16: bool = False,
) -> _Targets:
    """Content features and blended style Gram matrices for one pyramid level (computed once, no grad), encoded in
    the precision of the image's passes (so the content itself has no content loss)."""
    with torch.no_grad():
        c_feat = (
            _encode(encoder, content, [config.content_layer], bf16=bf16)[config.content_layer]
            if config.content_weight
            else None
        )
        grams: dict[str, torch.Tensor] = {}
        content_size = (int(content.shape[-2]), int(content.shape[-1]))
        for style, weight in zip(styles, blend, strict=True):
            size = _style_size(style, content_size, config.style_scale, style_min_side)
            feats = _encode(encoder, _resize(style, size), config.style_layers, bf16=bf16)
            for name in config.style_layers:
                g = weight * gram_matrix(feats[name])
                grams[name] = grams[name] + g if name in grams else g
    c_norm = float(c_feat.square().mean()) if c_feat is not None else 1.0
    g_norms = {name: float(g.square().mean()) for name, g in grams.items()}
    return _Targets(c_feat, max(c_norm, 1e-12), grams, {k: max(v, 1e-12) for k, v in g_norms.items()})


def _losses(
    encoder: VGG16Encoder,
    image: torch.Tensor,
    targets: _Targets,
    config: GatysConfig,
    layers: list[str],
    *,
    bf16: bool = False,
) -> dict[str, torch.Tensor]:
    feats = _encode(encoder, image, layers, bf16=bf16)
    zero = image.new_zeros(())
    content = (
        content_loss(feats[config.content_layer], targets.content) / targets.content_norm
        if targets.content is not None
        else zero
    )
    layer_w = config.style_layer_weights or (1.0,) * len(config.style_layers)
    style = zero
    for name, w in zip(config.style_layers, layer_w, strict=True):
        if w:
            style = style + w * gram_loss(feats[name], targets.grams[name]) / targets.gram_norms[name]
    style = style / sum(layer_w)
    tv = total_variation(image) if config.tv_weight else zero
    total = config.content_weight * content + config.style_weight * style + config.tv_weight * tv
    return {"total": total, "content": content, "style": style, "tv": tv}


def multiscale_style_loss(
    image: torch.Tensor,
    styles: Sequence[torch.Tensor],
    *,
    encoder: VGG16Encoder,
    config: GatysConfig | None = None,
    style_blend: Sequence[float] | None = None,
    scales: Sequence[int] = (1, 2, 4),
    min_side: int = 32,
) -> dict[int, float]:
    """The (normalised) style loss of ``image`` at several scales, each against the style at the same scale.

    Scale ``s`` shrinks the image by ``s`` (and the style with it, as a pyramid level does); scales whose short
    side would fall below ``min_side`` are skipped. The Gatys loss is scale 1 only, where VGG16's receptive
    field (60 px at relu4_1) sees brush strokes but not a painting's large forms; the coarser scales measure
    those forms, which is what the coarse-to-fine pyramid optimises. Returns ``{scale: loss}``.
    """
    config = replace(config or GatysConfig(), content_weight=0.0)
    blend = [1.0 / len(styles)] * len(styles) if style_blend is None else [b / sum(style_blend) for b in style_blend]
    encoder = _with_pool(encoder, config.pool)
    styles = [_crop_thin(s) for s in styles]
    style_min = receptive_field(max(config.style_layers, key=LAYER_NAMES.index))
    out = {}
    with torch.no_grad():
        for scale in scales:
            size = (round(image.shape[-2] / scale), round(image.shape[-1] / scale))
            if min(size) < min_side:
                continue
            small = _resize(image, size)
            targets = _targets(encoder, small, styles, blend=blend, config=config, style_min_side=style_min)
            out[scale] = float(_losses(encoder, small, targets, config, list(config.style_layers))["style"])
    return out


def _initial(
    config: GatysConfig, content: torch.Tensor, styles: Sequence[torch.Tensor], size: tuple[int, int], seed: int
) -> torch.Tensor:
    if config.init == "content":
        return _resize(content, size).clone()
    if config.init == "style":
        return _resize(styles[0], size).clone()
    gen = torch.Generator(device="cpu").manual_seed(seed)
    noise = torch.rand((1, 3, *size), generator=gen, dtype=torch.float32)
    return noise.to(device=content.device, dtype=content.dtype)


def _content_pyramid(content: torch.Tensor, sizes: Sequence[tuple[int, int]]) -> list[torch.Tensor]:
    """The content at each level's size, each level made from the next finer one (coarse to fine)."""
    levels = [content]
    for size in reversed(sizes[:-1]):
        levels.append(_resize(levels[-1], size))
    return levels[::-1]


def _upsample(x: torch.Tensor, fine: torch.Tensor, coarse: torch.Tensor | None) -> torch.Tensor:
    """``x`` resized to ``fine``'s size; given the ``coarse`` content, plus the detail it lacks.

    Laplacian-pyramid style: ``up(x) + (fine - up(coarse))``, so the next level starts from the stylised
    coarse image with the content's sharp edges instead of a blurred copy (and from ``fine`` itself where the
    coarse level left the content unchanged).
    """
    size = tuple(fine.shape[-2:])
    if tuple(x.shape[-2:]) == size:
        return x
    up = _resize(x, size)
    if coarse is None:
        return up
    return (up + fine - _resize(coarse, size)).clamp(0.0, 1.0)


def _optimizer(config: GatysConfig, x: torch.Tensor, lr: float) -> torch.optim.Optimizer:
    if config.optimizer == "adam":
        return torch.optim.Adam([x], lr=lr)
    # one function evaluation per step; no early stop, so `steps` means steps
    return torch.optim.LBFGS(
        [x],
        lr=lr,
        max_iter=1,
        history_size=config.history_size,
        tolerance_grad=-1.0,
        tolerance_change=-1.0,
    )


@dataclass(frozen=True)
class _Best:
    value: float
    image: torch.Tensor
    losses: dict[str, float]


def _optimise(
    encoder: VGG16Encoder,
    image: torch.Tensor,
    targets: _Targets,
    config: GatysConfig,
    *,
    layers: list[str],
    steps: int,
    report: Callable[[dict[str, float], torch.Tensor], None],
    bf16: bool = False,
) -> tuple[torch.Tensor, dict[str, float], int]:
    """``steps`` optimiser steps on a copy of ``image`` (one encoder pass each), projected to [0, 1].

    Returns the image of lowest loss seen (the last step's, evaluated once more without gradients, unless an
    earlier one was better), its losses and the number of restarts. A step that overshoots (its image's loss is over
    :data:`_OVERSHOOT` times the best so far, or not finite) is undone: the optimiser restarts from the best
    image with its history dropped and its step size times :data:`_STEP_CUT`; that evaluation is not counted
    as a step. After :data:`_MAX_RESTARTS` restarts the run is given up (:class:`_DivergedError`).
    """
    x = image.detach().clone(memory_format=torch.contiguous_format).requires_grad_(True)
    lr = config.step_size
    optimizer = _optimizer(config, x, lr)
    current: dict[str, torch.Tensor] = {}
    best: list[_Best] = []

    def closure() -> torch.Tensor:
        parts = _losses(encoder, x, targets, config, layers, bf16=bf16)
        total = parts["total"]
        value = float(total.detach())
        if not math.isfinite(value) or (best and value > _OVERSHOOT * best[0].value):
            raise _OvershootError(value)
        (grad,) = torch.autograd.grad(total, x)
        x.grad = grad.contiguous()  # L-BFGS takes flat views (a 1x1 image upsampled can come out channels-last)
        current.clear()
        current.update(parts)
        if not best or value < best[0].value:
            best[:] = [_Best(value, x.detach().clone(), _as_floats(parts))]
        return total.detach()

    done = restarts = 0
    while done < steps:
        try:
            optimizer.step(closure)
        except _OvershootError as exc:
            if not best or restarts == _MAX_RESTARTS:
                raise _DivergedError(exc.value, best[0].value if best else exc.value, restarts) from None
            restarts += 1
            lr *= _STEP_CUT
            log.info(
                "gatys: the loss rose to %.4g (best %.4g) after step %d of %d; restarting from the best image "
                "with step size %.3g",
                *(exc.value, best[0].value, done, steps, lr),
            )
            with torch.no_grad():
                x.copy_(best[0].image)
            optimizer = _optimizer(config, x, lr)
            continue
        with torch.no_grad():  # projection: keep pixels valid, so the loss seen is the saved image's loss
            x.clamp_(0.0, 1.0)
        report(_as_floats(current), x.detach())
        done += 1
    with torch.no_grad():
        last = _as_floats(_losses(encoder, x, targets, config, layers, bf16=bf16))
    if best and not last["total"] <= best[0].value:  # also when not finite
        log.debug("gatys: the last step raised the loss to %.4g; keeping the best, %.4g", last["total"], best[0].value)
        return best[0].image, best[0].losses, restarts
    return x.detach(), last, restarts


def _check_inputs(content: torch.Tensor, styles: Sequence[torch.Tensor], blend: Sequence[float]) -> None:
    if content.ndim != 4 or content.shape[:2] != (1, 3):
        raise ValueError(f"content: expected (1, 3, H, W), got {tuple(content.shape)}")
    if not styles:
        raise ConfigError("gatys needs at least one style image")
    for i, style in enumerate(styles):
        if style.ndim != 4 or style.shape[:2] != (1, 3):
            raise ValueError(f"style {i + 1}: expected (1, 3, H, W), got {tuple(style.shape)}")
    for name, image in [("content", content), *((f"style {i + 1}", s) for i, s in enumerate(styles))]:
        if not torch.isfinite(image).all():
            raise ConfigError(f"{name} image contains NaN or infinite values")
    if len(blend) != len(styles):
        raise ConfigError(f"{len(blend)} style weights for {len(styles)} style images")
    if any(not math.isfinite(b) or b < 0 for b in blend) or sum(blend) <= 0:
        raise ConfigError(f"style weights {tuple(blend)}: must be >= 0 with a positive sum")


def _warn_small_styles(
    styles: Sequence[torch.Tensor], content_size: tuple[int, int], style_scale: float, layer: str, min_side: int
) -> None:
    """Warn about style images (as given, or after style scaling) smaller than ``layer``'s receptive field."""
    for i, style in enumerate(styles):
        h, w = (int(n) for n in style.shape[-2:])
        scaled = min(_style_size(style, content_size, style_scale, 1))
        if min(h, w) < min_side or scaled < min_side:
            log.warning(
                "style image %d is %dx%d px (%d px short side at this style scale), smaller than the receptive "
                "field of %s (%d px); upsampling it, expect a blurry style",
                *(i + 1, w, h, scaled, layer, min_side),
            )


def _with_pool(encoder: VGG16Encoder, pool: str) -> VGG16Encoder:
    """``encoder`` with ``pool`` pooling: itself if it already pools so, else a shallow copy sharing weights."""
    if getattr(encoder, "pool", pool) == pool:
        return encoder
    view = copy.copy(encoder)  # shares parameters and submodules; only the copy's `pool` attribute changes
    view.pool = pool
    return view


def _as_floats(parts: dict[str, torch.Tensor]) -> dict[str, float]:
    return {k: float(v.detach()) for k, v in parts.items()}


def stylize(
    content: torch.Tensor,
    styles: Sequence[torch.Tensor],
    *,
    encoder: VGG16Encoder,
    config: GatysConfig | None = None,
    style_blend: Sequence[float] | None = None,
    seed: int = 0,
    on_step: Callable[[GatysStep], None] | None = None,
    bf16: bool = False,
    warn_small_styles: bool = True,
) -> GatysResult:
    """Stylise ``content`` with the blended statistics of ``styles``.

    Args:
        content: ``(1, 3, H, W)`` RGB in [0, 1]; the result has its size, device and dtype.
        styles: one or more ``(1, 3, h, w)`` RGB in [0, 1], any size (resized to ``style_scale`` × content).
        encoder: a VGG16 encoder on the content's device (frozen or not: only the image gets gradients).
        config: settings (default :class:`GatysConfig`).
        style_blend: one non-negative weight per style (normalised to sum 1; default equal).
        seed: seeds the noise initialisation.
        on_step: called after every step with a :class:`GatysStep`.
        bf16: run the encoder's passes (the image's and the targets') under bf16 autocast; the image, the Gram
            matrices, the losses and the optimiser stay in the content's dtype. On a CPU with native bf16 a
            512-px picture took 32 s instead of 47 s (2 threads) with the same content and style distances; the
            optimisation being chaotic, the picture is another arrangement of the same strokes, and blind viewers
            could not tell the two apart (docs/arbitrary_recipe.md, session 46).
        warn_small_styles: log a warning for a style smaller than the deepest style layer's receptive field at
            the content's size (off for a caller that paints a small copy on purpose, as the pyramid's coarse
            levels do silently).

    Raises:
        ConfigError: settings that cannot work. MethodError (a ConfigError): the loss kept rising or became
            NaN/infinite even after restarts at smaller steps (never a black image).
    """
    start = time.perf_counter()
    config = config or GatysConfig()
    config.validate()
    blend = tuple(float(b) for b in style_blend) if style_blend is not None else (1.0,) * len(styles)
    _check_inputs(content, styles, blend)
    if bf16 and content.dtype != torch.float32:  # autocast leaves other dtypes as they are
        raise ConfigError(f"gatys bf16 needs a float32 content, not {content.dtype}")
    blend = tuple(b / sum(blend) for b in blend)
    styles = [_crop_thin(s).to(device=content.device, dtype=content.dtype) for s in styles]
    encoder = _with_pool(encoder, config.pool)

    layers = sorted({config.content_layer, *config.style_layers}, key=LAYER_NAMES.index)
    deepest_style = max(config.style_layers, key=LAYER_NAMES.index)
    style_min = receptive_field(deepest_style)
    content_size = (int(content.shape[-2]), int(content.shape[-1]))
    if warn_small_styles:
        _warn_small_styles(styles, content_size, config.style_scale, deepest_style, style_min)

    sizes = pyramid_sizes(*content.shape[-2:], levels=config.levels, min_side=config.min_level_side)
    coarse = config.steps if config.coarse_steps is None else config.coarse_steps
    steps_per_level = [coarse] * (len(sizes) - 1) + [config.steps]
    total_steps = sum(steps_per_level)
    contents = _content_pyramid(content, sizes)
    x = _initial(config, contents[0], styles, sizes[0], seed)
    detail = config.init == "content" and config.upsample_detail
    history: list[dict[str, float]] = []
    targets: _Targets | None = None
    final: dict[str, float] = {}
    restarts = 0
    for level, (level_content, n_steps) in enumerate(zip(contents, steps_per_level, strict=True)):
        targets = _targets(
            encoder, level_content, styles, blend=blend, config=config, style_min_side=style_min, bf16=bf16
        )
        x = _upsample(x.detach(), level_content, contents[level - 1] if detail and level else None)

        def report(parts: dict[str, float], image: torch.Tensor, level: int = level) -> None:
            history.append({"step": float(len(history) + 1), "level": float(level), **parts})
            if on_step is not None:
                on_step(GatysStep(len(history), total_steps, level, len(sizes), parts, image))

        try:
            x, final, level_restarts = _optimise(
                encoder, x, targets, config, layers=layers, steps=n_steps, report=report, bf16=bf16
            )
            restarts += level_restarts
        except _DivergedError as exc:
            tried = f" even after {exc.restarts} restarts at smaller steps" if exc.restarts else ""
            raise MethodError(
                f"gatys: the loss became {exc.value:.4g} (best {exc.best:.4g}) at step {len(history) + 1} "
                f"(level {level + 1}/{len(sizes)}): the optimisation diverged{tried}; lower lr "
                f"({config.step_size:g}), style_weight ({config.style_weight:g}) or content_weight "
                f"({config.content_weight:g})"
            ) from None

    assert targets is not None
    image = x.detach()
    with torch.no_grad():
        x0 = _initial(config, content, styles, sizes[-1], seed)
        initial = _as_floats(_losses(encoder, x0, targets, config, layers, bf16=bf16))
    return GatysResult(image, final, initial, tuple(history), sizes, time.perf_counter() - start, restarts)
