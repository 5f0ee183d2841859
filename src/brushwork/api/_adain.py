"""The ``adain`` entry of :data:`brushwork.api.stylize.METHODS`: fast arbitrary style transfer, one forward pass."""

from __future__ import annotations

import logging
import math
import time
from typing import TYPE_CHECKING, Any

import torch

from brushwork.errors import ConfigError

if TYPE_CHECKING:
    from brushwork.api.stylize import MethodRequest

__all__ = ["DEFAULT_MODEL", "OPTIONS", "run_adain", "style_for"]

log = logging.getLogger(__name__)
#: The shipped decoder used unless ``model`` names another.
DEFAULT_MODEL = "adain"
OPTIONS = frozenset({"model", "alpha", "tile", "precision"})
#: Style images are scaled to at least this short side: below it relu4_1 (1/8 scale) has too few positions
#: for meaningful statistics.
STYLE_MIN_SIDE = 64
#: Style images are never scaled beyond this long side (their statistics barely change; the cost does).
STYLE_MAX_SIDE = 2048
#: Thinner style images are cropped to their middle at this aspect ratio first.
MAX_ASPECT = 8
#: Style images have at most this many times the content's area (times the style scale squared).
STYLE_AREA = 2.0


def style_for(
    style: torch.Tensor,
    *,
    content_long_side: int,
    scale: float,
    index: int = 0,
    content_pixels: int | None = None,
) -> torch.Tensor:
    """``style`` resized so its long side is ``scale`` × the content's (within the limits above); given the
    content's ``content_pixels``, also at most :data:`STYLE_AREA` × that area (× ``scale``²: a long thin content
    would otherwise ask for a huge style).
    """
    from brushwork.imageio import resize

    h, w = (int(n) for n in style.shape[-2:])
    long_side = max(16, round(scale * content_long_side))
    if max(h, w) > MAX_ASPECT * min(h, w):  # a thin strip: its middle, at most 8:1, keeps both limits reachable
        keep = MAX_ASPECT * min(h, w)
        top, left = max(0, (h - keep) // 2), max(0, (w - keep) // 2)
        style = style[..., top : top + min(h, keep), left : left + min(w, keep)]
        h, w = (int(n) for n in style.shape[-2:])
    if min(h, w) < STYLE_MIN_SIDE:
        log.warning(
            "style image %d is %dx%d px, smaller than %d px: upsampling it, expect a weak style",
            *(index + 1, w, h, STYLE_MIN_SIDE),
        )
    factor = long_side / max(h, w)
    if content_pixels is not None:
        factor = min(factor, scale * math.sqrt(STYLE_AREA * content_pixels / (h * w)))
    factor = max(factor, STYLE_MIN_SIDE / min(h, w))  # one resize: never down and up again
    factor = min(factor, STYLE_MAX_SIDE / max(h, w))
    return resize(style, size=(max(1, round(h * factor)), max(1, round(w * factor))))


def run_adain(request: MethodRequest) -> tuple[torch.Tensor, dict[str, Any]]:
    """Stylise ``request.content`` with the decoder named by ``options["model"]`` (default: the shipped one).

    ``alpha`` (default: the request's strength) is the content–style trade-off in feature space, in [0, 1];
    ``tile`` the tile side for large images (default automatic above 2 MP, 0 never); ``precision`` ``"auto"``
    (bf16 autocast where native), ``"fp32"`` or ``"bf16"``.
    """
    from brushwork.api._models import adain_decoder, channels_last, vgg16_encoder
    from brushwork.device import autocast, use_bf16
    from brushwork.methods import adain

    options = {k: v for k, v in request.options.items() if v is not None}
    unknown = sorted(set(options) - OPTIONS)
    if unknown:
        raise ConfigError(f"adain: unknown option(s) {', '.join(unknown)} (choose from {', '.join(sorted(OPTIONS))})")
    alpha = float(options.get("alpha", request.strength))
    if not 0.0 <= alpha <= 1.0:
        raise ConfigError(f"adain: alpha (style strength) {alpha} must be between 0 and 1")
    decoder, config, path = adain_decoder(options.get("model", DEFAULT_MODEL), request.device)
    encoder = request.encoder
    if encoder is None:
        encoder = vgg16_encoder(request.device, None if request.vgg16 is None else str(request.vgg16))
    long_side = max(request.content.shape[-2:])
    pixels = int(request.content.shape[-2]) * int(request.content.shape[-1])
    styles = [
        style_for(s, content_long_side=long_side, scale=request.style_scale, index=i, content_pixels=pixels)
        for i, s in enumerate(request.styles)
    ]
    from brushwork.tiling import choose_tile

    tile = choose_tile(int(request.content.shape[-2]), int(request.content.shape[-1]), options.get("tile"))
    bf16 = use_bf16(request.device, options.get("precision", "auto"))
    layout = "channels_last" if request.device.type == "cpu" and not bf16 else "contiguous"
    if layout == "channels_last":  # measured faster for fp32 on CPU (see channels_last); bf16/GPU unmeasured
        encoder, decoder = channels_last(encoder), channels_last(decoder)
    start = time.perf_counter()
    with autocast(request.device, bf16):
        image = adain.stylize(
            request.content,
            styles,
            encoder=encoder,
            decoder=decoder,
            style_weights=request.style_weights,
            alpha=alpha,
            mask=request.mask,
            tile=tile,
            overlap=64 if tile is None else min(64, tile // 4),
        ).float()
    numbers = {
        "seconds": time.perf_counter() - start,
        "alpha": alpha,
        "tile": tile,
        "bf16": bf16,
        "layout": layout,
        "model": str(path),
        "model_step": config.get("step"),
        "style_sizes": [list(s.shape[-2:]) for s in styles],
    }
    return image, numbers
