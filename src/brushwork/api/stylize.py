"""``brushwork.stylize``: one content image × one or more style images -> a stylised image, by any method.

The controls that mean the same for every method live here: output size, style blend weights, style scale,
strength, colour preservation and a region mask. Each method is one entry of :data:`METHODS`: a function
that takes a :class:`MethodRequest` and returns the image and its numbers.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, NamedTuple

import torch
from PIL import Image

from brushwork.allocator import reusing_memory
from brushwork.api._adain import run_adain
from brushwork.api._student import run_fast
from brushwork.device import use_bf16
from brushwork.errors import ConfigError

__all__ = [
    "METHODS",
    "PRESERVE_COLOR",
    "MethodRequest",
    "Progress",
    "Stylized",
    "output_size",
    "stylize",
    "stylize_result",
]

log = logging.getLogger(__name__)

ImageLike = str | os.PathLike[str] | Image.Image | torch.Tensor
PRESERVE_COLOR = ("none", "luminance", "match", "histogram")
#: Methods run on contents of at least this short side (smaller ones upsampled, with a warning, and the
#: result shrunk back to the output size).
MIN_SIDE = 32


@dataclass(frozen=True)
class Progress:
    """One step of an iterative method: ``step`` of ``total``, its losses, and the current image (do not keep)."""

    step: int
    total: int
    losses: dict[str, float]
    image: torch.Tensor = field(repr=False)


@dataclass(frozen=True)
class MethodRequest:
    """What every method receives. Images are ``(1, 3, H, W)`` in [0, 1] on ``device``, after colour handling.

    ``content`` already has the output size; ``style_weights`` sum to 1; ``options`` are method-specific.
    ``mask`` ``(1, 1, H, W)`` is set only for methods that place two styles by a mask themselves.
    """

    content: torch.Tensor
    styles: tuple[torch.Tensor, ...]
    style_weights: tuple[float, ...]
    strength: float
    style_scale: float
    seed: int
    device: torch.device
    encoder: Any | None = None
    vgg16: str | os.PathLike[str] | None = None
    on_step: Callable[[Progress], None] | None = None
    options: dict[str, Any] = field(default_factory=dict)
    mask: torch.Tensor | None = None


@dataclass(frozen=True)
class Stylized:
    """A stylised image ``(1, 3, H, W)`` in [0, 1] and the method's numbers (losses, seconds, ...)."""

    image: torch.Tensor
    method: str
    numbers: dict[str, Any]


class Method(NamedTuple):
    """A registered method: its function, its default output long side in pixels, and whether it can place two
    styles by a mask (first style where the mask is white, second where black) instead of a pixel blend.
    """

    run: Callable[[MethodRequest], tuple[torch.Tensor, dict[str, Any]]]
    default_size: int
    two_style_mask: bool = False


def _gatys(request: MethodRequest) -> tuple[torch.Tensor, dict[str, Any]]:
    from brushwork.api._models import request_encoder
    from brushwork.methods import gatys

    options = {k: v for k, v in request.options.items() if v is not None}
    bf16 = use_bf16(request.device, options.pop("precision", "auto"))
    allowed = gatys.GatysConfig.field_names() - {"style_scale"}
    unknown = sorted(set(options) - allowed)
    if unknown:
        known = ", ".join(sorted(allowed | {"precision"}))
        raise ConfigError(f"gatys: unknown option(s) {', '.join(unknown)} (choose from {known})")
    if "style_layers" in options:
        options["style_layers"] = tuple(options["style_layers"])
    config = gatys.GatysConfig(**options, style_scale=request.style_scale)
    config = replace(config, style_weight=config.style_weight * request.strength)
    encoder = request_encoder(request)
    on_step = request.on_step

    def report(s: gatys.GatysStep) -> None:
        assert on_step is not None
        on_step(Progress(s.step, s.total_steps, {"level": s.level + 1, **s.losses}, s.image))

    result = gatys.stylize(
        request.content,
        request.styles,
        encoder=encoder,
        config=config,
        style_blend=request.style_weights,
        seed=request.seed,
        on_step=report if on_step is not None else None,
        bf16=bf16,
    )
    numbers = {
        "bf16": bf16,
        "final": result.final,
        "initial": result.initial,
        "seconds": result.seconds,
        "sizes": result.sizes,
        "steps": len(result.history),
    }
    return result.image, numbers


#: Method name -> implementation and default output long side. A new method is one more entry.
METHODS: dict[str, Method] = {
    "adain": Method(run_adain, default_size=1024, two_style_mask=True),
    "fast": Method(run_fast, default_size=1024, two_style_mask=True),
    "gatys": Method(_gatys, default_size=512),
}


def _load(image: ImageLike, what: str, max_pixels: int | None) -> torch.Tensor:
    from brushwork.imageio import from_pil, load_image

    if isinstance(image, torch.Tensor):
        t = image.detach()
        if t.ndim == 3:
            t = t.unsqueeze(0)
        if t.ndim != 4 or t.shape[:2] != (1, 3):
            raise ConfigError(f"{what} tensor: expected (1, 3, H, W) RGB in [0, 1], got {tuple(image.shape)}")
        if not t.is_floating_point():
            raise ConfigError(f"{what} tensor: expected a float tensor in [0, 1], got {t.dtype}")
        if not torch.isfinite(t).all():
            raise ConfigError(f"{what} tensor: contains NaN or infinite values")
        if float(t.min()) < 0 or float(t.max()) > 1:
            log.warning("%s tensor: values outside [0, 1]; clamping", what)
        return t.float().clamp(0.0, 1.0)
    if isinstance(image, Image.Image):
        return from_pil(image)
    return load_image(Path(image), max_pixels=max_pixels)


def output_size(height: int, width: int, size: int | None, default: int) -> tuple[int, int]:
    """``(h, w)`` of the output for a ``height`` × ``width`` content: its aspect ratio (to the nearest pixel, at
    least 1) and a long side of ``size``, or without ``size`` its own long side capped at ``default``. Never
    larger than the content unless ``size`` asks for it.
    """
    long_side = size if size is not None else min(max(height, width), default)
    scale = long_side / max(height, width)
    return max(1, round(height * scale)), max(1, round(width * scale))


def _working_content(content: torch.Tensor, out: tuple[int, int]) -> torch.Tensor:
    """``content`` at the size the method runs at: ``out``, or ``out`` scaled up to a short side of
    :data:`MIN_SIDE` (with a warning) when it is smaller than the encoder needs; the result is scaled back.
    """
    from brushwork.imageio import resize

    if min(out) >= MIN_SIDE:
        return resize(content, size=out)
    factor = MIN_SIDE / min(out)
    work = (max(MIN_SIDE, round(out[0] * factor)), max(MIN_SIDE, round(out[1] * factor)))
    log.warning(
        "content is %dx%d px; stylising it upsampled to %dx%d px (the encoder needs a short side of %d px) "
        "and shrinking the result back to %dx%d px",
        *(content.shape[-1], content.shape[-2], work[1], work[0], MIN_SIDE, out[1], out[0]),
    )
    return resize(content, size=work)


def _blend_weights(weights: Sequence[float] | None, count: int) -> tuple[float, ...]:
    if weights is None:
        return (1.0 / count,) * count
    weights = tuple(float(w) for w in weights)
    if len(weights) != count:
        raise ConfigError(f"style weights: {len(weights)} given for {count} style image(s)")
    if any(not torch.isfinite(torch.tensor(w)) or w < 0 for w in weights) or sum(weights) <= 0:
        raise ConfigError(f"style weights {weights}: must be >= 0 with a positive sum")
    return tuple(w / sum(weights) for w in weights)


def stylize_result(
    content: ImageLike,
    style: ImageLike | Sequence[ImageLike],
    *,
    method: str = "adain",
    size: int | None = None,
    device: str | torch.device = "auto",
    seed: int = 0,
    strength: float = 1.0,
    style_weights: Sequence[float] | None = None,
    style_scale: float = 1.0,
    preserve_color: str = "none",
    palette: float | None = None,
    mask: ImageLike | None = None,
    feather: float = 0.0,
    encoder: Any | None = None,
    vgg16: str | os.PathLike[str] | None = None,
    max_pixels: int | None = None,
    on_step: Callable[[Progress], None] | None = None,
    **options: Any,
) -> Stylized:
    """Like :func:`stylize`, but returns the image (a tensor) with the method's numbers."""
    from brushwork import color
    from brushwork.device import resolve_device
    from brushwork.masks import apply_mask, load_mask

    if method not in METHODS:
        raise ConfigError(f"method {method!r}: unknown; choose from {', '.join(METHODS)}")
    if preserve_color not in PRESERVE_COLOR:
        raise ConfigError(f"preserve_color {preserve_color!r}: choose from {', '.join(PRESERVE_COLOR)}")
    if palette is not None and not 0.0 <= palette <= 1.0:
        raise ConfigError(f"palette {palette}: must be between 0 (the method's colours) and 1 (the painting's)")
    if palette is not None and palette > 0 and preserve_color != "none":
        raise ConfigError(
            f"palette {palette} takes the painting's colours; preserve_color keeps the photo's: choose one"
        )
    if not (strength >= 0 and strength < float("inf")):
        raise ConfigError(f"strength {strength}: must be a finite number >= 0")
    if not (style_scale > 0 and style_scale < float("inf")):
        raise ConfigError(f"style_scale {style_scale}: must be a finite number > 0")
    if size is not None and size < 1:
        raise ConfigError(f"size {size}: must be a positive number of pixels")
    styles_in = list(style) if isinstance(style, list | tuple) else [style]
    if not styles_in:
        raise ConfigError("no style image given")
    weights = _blend_weights(style_weights, len(styles_in))
    dev = resolve_device(device)
    out_device = content.device if isinstance(content, torch.Tensor) else torch.device("cpu")

    loaded = _load(content, "content", max_pixels)
    out_size = output_size(int(loaded.shape[-2]), int(loaded.shape[-1]), size, METHODS[method].default_size)
    original = _working_content(loaded, out_size).to(dev)
    styles = [_load(s, f"style {i + 1}", max_pixels).to(dev) for i, s in enumerate(styles_in)]
    content_in = original
    if preserve_color == "luminance":
        content_in = color.gray3(original)
        styles = [color.match_luminance(s, original) for s in styles]
    elif preserve_color == "match":
        styles = [color.match_mean_cov(s, original) for s in styles]
    elif preserve_color == "histogram":
        styles = [color.match_histogram(s, original) for s in styles]
    region = None if mask is None else load_mask(mask, tuple(original.shape[-2:]), feather=feather)
    styles_by_mask = region is not None and len(styles) == 2 and METHODS[method].two_style_mask

    request = MethodRequest(
        content=content_in,
        styles=tuple(styles),
        style_weights=weights,
        strength=float(strength),
        style_scale=float(style_scale),
        seed=seed,
        device=dev,
        encoder=encoder,
        vgg16=vgg16,
        on_step=on_step,
        options=options,
        mask=region if styles_by_mask else None,
    )
    with reusing_memory():  # large pictures: freed maps reused, not mapped and zero-filled again
        image, numbers = METHODS[method].run(request)
        image = image.to(original.device)  # tiled runs return on the CPU
        model_palette = float(numbers.pop("model_palette", 0.0))  # a model's own default (config.json)
        if palette is None:  # × alpha, as the detail: at alpha 0 the photo comes back unchanged
            palette = model_palette * float(numbers.get("alpha", 1.0)) if preserve_color == "none" else 0.0
        numbers["palette"] = palette
        if palette > 0:  # two styles by a mask: each painting weighs by the area it covers
            area = float(region.mean()) if styles_by_mask and region is not None else None
            mix = list(weights) if area is None else [area, 1.0 - area]
            image = color.match_palette(image, styles, weights=mix, strength=palette)
        if preserve_color == "luminance":
            image = color.transfer_luminance(image, original)
        if region is not None and not styles_by_mask:
            image = apply_mask(image, original, region)
        lo, hi = image.aminmax()
        if lo < 0 or hi > 1:  # most methods return clamped pictures: no second full-size copy for them
            image = image.clamp(0.0, 1.0)
        if tuple(image.shape[-2:]) != out_size:  # a content below the encoder's minimum, run upsampled
            from brushwork.imageio import resize

            image = resize(image, size=out_size)
    return Stylized(image.to(out_device), method, numbers)


def stylize(
    content: ImageLike,
    style: ImageLike | Sequence[ImageLike],
    *,
    method: str = "adain",
    size: int | None = None,
    device: str | torch.device = "auto",
    seed: int = 0,
    as_pil: bool = False,
    **kwargs: Any,
) -> torch.Tensor | Image.Image:
    """Stylise ``content`` in the style of ``style`` (one image or a list, blended by ``style_weights``).

    Args:
        content: a path, a Pillow image, or a tensor ``(1, 3, H, W)`` RGB in [0, 1].
        style: the same kinds, or a list of them.
        method: a key of :data:`METHODS`: ``"adain"`` (one fast forward pass with the shipped decoder, any
            style image), ``"fast"`` (the compact student network distilled from it: no VGG16, full resolution
            in real time) or ``"gatys"`` (optimisation: slow, highest quality).
        size: long side of the output in pixels (default: the content's, capped at the method's default, 1024
            for AdaIN and fast, 512 for Gatys). The output keeps the content's aspect ratio (see :func:`output_size`);
            contents below a short side of 32 px are run upsampled and the result is shrunk back.
        device: ``"auto"`` (cuda > mps > cpu), ``"cpu"``, ``"cuda"``, ...
        seed: makes noise initialisation (and any other randomness) reproducible.
        as_pil: return a Pillow image instead of a tensor.
        **kwargs: ``strength`` (1 = the method's balance, 0 = the content, >1 more style), ``style_weights``
            (one per style), ``style_scale`` (style size relative to the content), ``preserve_color``
            (``"none"``, ``"luminance"``, ``"match"``, ``"histogram"``), ``palette`` (0 … 1: the result's colours
            moved towards the painting's mean and covariance, :func:`brushwork.color.match_palette`; not with
            ``preserve_color``; default the model's, :func:`brushwork.color.default_palette`, times alpha: 1 for
            the shipped ``fast`` and the models trained from it, 0 otherwise and whenever ``preserve_color`` is
            set), ``mask`` (image: white = stylise) and
            ``feather`` (its edge blur in pixels), ``encoder``/``vgg16``, ``max_pixels``, ``on_step``, and
            method options (AdaIN and fast: ``alpha`` (default ``strength``, at most 1), ``model`` (a decoder
            or student directory, default the shipped one), ``tile`` (default automatic above 2 MP, 0 never),
            ``precision`` (``"auto"``: bf16 where native; ``"fp32"``, ``"bf16"``) and ``detail`` (the photo's
            detail put back, 0 … 2, times alpha; default the model's, 0.3 unless its config.json says otherwise:
            :mod:`brushwork.detail`) and ``work_scale`` (the network paints at this fraction of the size, 0.25 …
            1, and the picture is enlarged back: larger strokes, no fine network grid; default the model's
            ``defaults.work_scale``, else 1, lowered for large pictures by ``defaults.work_side``:
            :func:`brushwork.work_scale.scale_for`) and ``underpaint`` (0 … 1, times alpha; default the model's
            ``defaults.underpaint``, else 0: 0.5 for the shipped ``fast``, 0 for ``adain``: a small picture in the
            painting's marks (128 px for a 512-px picture: ``underpaint.side_for``) put under the photo's calm
            areas first, so that fog, water and plain skies are repainted with the painting's shapes) and
            ``underpaint_by`` (what paints it: ``"quilt"``, the default, the painting's own patches, milliseconds;
            or ``"gatys"``, Gatys' objective on a small copy of the photo, seconds and the VGG16:
            :mod:`brushwork.methods.underpaint`); Gatys: ``precision`` (as above: the encoder's passes under
            bf16 autocast, about 1.5× faster), ``steps``, ``optimizer``, ``init``, ``levels``, ``content_weight``,
            ``style_weight``, ``tv_weight``, ... see :class:`brushwork.methods.gatys.GatysConfig`).

    Returns:
        ``(1, 3, H, W)`` float32 RGB in [0, 1] (on the content tensor's device; CPU for paths and Pillow
        images), or a Pillow RGB image.

    Raises:
        ImageError: an image cannot be read. ConfigError: settings that cannot work together.
    """
    with reusing_memory():
        result = stylize_result(content, style, method=method, size=size, device=device, seed=seed, **kwargs)
        if as_pil:
            from brushwork.imageio import to_pil

            return to_pil(result.image)
    return result.image
