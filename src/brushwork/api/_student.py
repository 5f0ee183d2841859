"""The ``fast`` entry of :data:`brushwork.api.stylize.METHODS`: the compact student network (no VGG16), any style
image, at the requested resolution."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import torch

from brushwork.errors import CheckpointError, ConfigError

if TYPE_CHECKING:
    from brushwork.api.stylize import MethodRequest

__all__ = ["DEFAULT_MODEL", "OPTIONS", "STYLE_MAX_SIDE", "run_fast"]

#: The shipped student used unless ``model`` names another.
DEFAULT_MODEL = "fast"
OPTIONS = frozenset({"model", "alpha", "tile", "precision"})
#: The style image is scaled as for a content of at most this long side (its code barely changes beyond; the
#: style encoder's cost would grow with the content).
STYLE_MAX_SIDE = 512


def _model_name(options: dict[str, Any]) -> str:
    from brushwork.api._models import pretrained_names

    if "model" in options:
        return str(options["model"])
    if DEFAULT_MODEL not in pretrained_names():
        raise CheckpointError(
            "--method fast: no fast model is shipped yet; train one (brushwork train student --teacher MODEL ...) "
            "and pass it with --model RUN_OR_MODEL_DIR"
        )
    return DEFAULT_MODEL


def run_fast(request: MethodRequest) -> tuple[torch.Tensor, dict[str, Any]]:
    """Stylise ``request.content`` with the student named by ``options["model"]`` (default: the shipped one).

    ``alpha`` (default: the request's strength) in [0, 1] blends every style modulation with the identity;
    ``tile`` is the tile side for large images (default automatic above 2 MP, 0 never); ``precision``
    ``"auto"`` (bf16 autocast where native), ``"fp32"`` or ``"bf16"``. Each style image is scaled relative to
    the content as for AdaIN (``style_scale``), but as if the content's long side were at most
    :data:`STYLE_MAX_SIDE`.
    """
    from brushwork.api._adain import style_for
    from brushwork.api._models import channels_last, student_net
    from brushwork.device import autocast, use_bf16
    from brushwork.methods import student
    from brushwork.tiling import choose_tile

    options = {k: v for k, v in request.options.items() if v is not None}
    unknown = sorted(set(options) - OPTIONS)
    if unknown:
        raise ConfigError(f"fast: unknown option(s) {', '.join(unknown)} (choose from {', '.join(sorted(OPTIONS))})")
    alpha = float(options.get("alpha", request.strength))
    if not 0.0 <= alpha <= 1.0:
        raise ConfigError(f"fast: alpha (style strength) {alpha} must be between 0 and 1")
    net, config, path = student_net(_model_name(options), request.device)
    h, w = (int(n) for n in request.content.shape[-2:])
    shrink = min(1.0, STYLE_MAX_SIDE / max(h, w))
    styles = [
        style_for(
            s,
            content_long_side=max(1, round(max(h, w) * shrink)),
            scale=request.style_scale,
            index=i,
            content_pixels=max(1, round(h * w * shrink * shrink)),
        )
        for i, s in enumerate(request.styles)
    ]
    tile = choose_tile(h, w, options.get("tile"))
    bf16 = use_bf16(request.device, options.get("precision", "auto"))
    layout = "channels_last" if request.device.type == "cpu" and not bf16 else "contiguous"
    if layout == "channels_last":  # small-channel convolutions: 1.1-1.5x faster on a CPU (measured, fp32)
        net = channels_last(net)
    start = time.perf_counter()
    with autocast(request.device, bf16):
        image = student.stylize(
            request.content,
            styles,
            net=net,
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
