"""The ``adain`` entry of :data:`brushwork.api.stylize.METHODS`: fast arbitrary style transfer, one forward pass."""

from __future__ import annotations

import logging
import math
from typing import TYPE_CHECKING, Any

import torch

from brushwork.api._one_pass import OPTIONS

if TYPE_CHECKING:
    from brushwork.api.stylize import MethodRequest

__all__ = ["DEFAULT_MODEL", "OPTIONS", "run_adain", "style_for"]

log = logging.getLogger(__name__)
#: The shipped decoder used unless ``model`` names another.
DEFAULT_MODEL = "adain"
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
    (bf16 autocast where native), ``"fp32"`` or ``"bf16"``; ``detail`` the photo's detail put back,
    ``work_scale`` the size the network paints at, ``underpaint`` and ``underpaint_by`` a small picture under the
    calm areas (see :func:`~brushwork.api._one_pass.run_one_pass`).
    """
    from brushwork.api._models import adain_decoder, request_encoder
    from brushwork.api._one_pass import method_options, run_one_pass, working_size
    from brushwork.methods import adain

    options, alpha = method_options(request, "adain")
    decoder, config, path = adain_decoder(options.get("model", DEFAULT_MODEL), request.device)
    encoder = request_encoder(request)
    h, w = working_size(int(request.content.shape[-2]), int(request.content.shape[-1]), options, config)
    long_side, pixels = max(h, w), h * w  # the styles sized for the picture the network paints
    styles = [
        style_for(s, content_long_side=long_side, scale=request.style_scale, index=i, content_pixels=pixels)
        for i, s in enumerate(request.styles)
    ]
    nets = {"encoder": encoder, "decoder": decoder}
    return run_one_pass(
        request, adain.stylize, nets, options=options, alpha=alpha, styles=styles, path=path, config=config
    )
