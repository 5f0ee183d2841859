"""What the one-pass entries of :data:`brushwork.api.stylize.METHODS` share (``adain`` and ``fast``): their options
and the timed, tiled, autocast pass with its numbers."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import torch

from brushwork.errors import ConfigError

if TYPE_CHECKING:
    from brushwork.api.stylize import MethodRequest

__all__ = ["OPTIONS", "method_options", "run_one_pass", "working_size"]

OPTIONS = frozenset({"model", "alpha", "tile", "precision", "detail", "work_scale", "underpaint", "underpaint_by"})


def method_options(request: MethodRequest, method: str) -> tuple[dict[str, Any], float]:
    """The request's options that are set (only :data:`OPTIONS`) and alpha (default: the request's strength)."""
    options = {k: v for k, v in request.options.items() if v is not None}
    unknown = sorted(set(options) - OPTIONS)
    if unknown:
        raise ConfigError(
            f"{method}: unknown option(s) {', '.join(unknown)} (choose from {', '.join(sorted(OPTIONS))})"
        )
    given = options.get("alpha", request.strength)
    alpha = _number(given)
    if math.isnan(alpha):
        raise ConfigError(f"{method}: alpha (style strength) {given!r} is not a number")
    if not 0.0 <= alpha <= 1.0:
        raise ConfigError(f"{method}: alpha (style strength) {alpha} must be between 0 and 1")
    from brushwork.detail import MAX_AMOUNT

    detail = options.get("detail")
    if detail is not None:
        value = _number(detail)
        if math.isnan(value):
            raise ConfigError(f"{method}: detail {detail!r} is not a number")
        if not 0.0 <= value <= MAX_AMOUNT:
            raise ConfigError(f"{method}: detail {detail} must be between 0 and {MAX_AMOUNT}")
        options["detail"] = value
    from brushwork.work_scale import MIN_WORK_SCALE

    scale = options.get("work_scale")
    if scale is not None:
        value = _number(scale)
        if not MIN_WORK_SCALE <= value <= 1.0:
            raise ConfigError(f"{method}: work_scale {scale!r} must be a number between {MIN_WORK_SCALE} and 1")
        options["work_scale"] = value
    underpaint = options.get("underpaint")
    if underpaint is not None:
        value = _number(underpaint)
        if not 0.0 <= value <= 1.0:
            raise ConfigError(f"{method}: underpaint {underpaint!r} must be a number between 0 and 1")
        options["underpaint"] = value
    from brushwork.methods.underpaint import SOURCES

    by = options.get("underpaint_by")
    if by is not None and by not in SOURCES:
        raise ConfigError(f"{method}: underpaint_by {by!r} must be one of {', '.join(SOURCES)}")
    return options, alpha


def _number(value: Any) -> float:
    """``value`` as a float when it is a number or its text (a form field, a JSON string), else NaN."""
    if isinstance(value, bool):
        return math.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def work_scale_of(options: dict[str, Any], config: dict[str, Any], height: int, width: int) -> float:
    """The ``work_scale`` option, else the model's default for a ``height × width`` picture
    (:func:`~brushwork.work_scale.scale_for`)."""
    from brushwork.work_scale import scale_for

    given = options.get("work_scale")
    return float(given) if given is not None else scale_for(height, width, config)


def working_size(height: int, width: int, options: dict[str, Any], config: dict[str, Any]) -> tuple[int, int]:
    """Where the network paints a ``height × width`` request: :func:`brushwork.work_scale.working_size` at
    :func:`work_scale_of`."""
    from brushwork import work_scale

    return work_scale.working_size(height, width, work_scale_of(options, config, height, width))


def run_one_pass(
    request: MethodRequest,
    stylize: Callable[..., torch.Tensor],
    nets: dict[str, torch.nn.Module],
    *,
    options: dict[str, Any],
    alpha: float,
    styles: list[torch.Tensor],
    path: Any,
    config: dict[str, Any],
    channels_last_bf16: bool = False,
) -> tuple[torch.Tensor, dict[str, Any]]:
    """``stylize(content, styles, **nets, ...)`` with the options' tile and precision → image and numbers.

    ``path`` and ``config`` (its ``config.json``) name the model. The networks paint at :func:`working_size` (a
    smaller copy when ``work_scale`` < 1: larger strokes, and the picture enlarged after is free of the finest
    network patterns) and the picture comes back at the request's size. Without bf16 on a CPU the networks run
    channels-last, and with bf16 too when ``channels_last_bf16``. The content's detail layer is added back
    (:mod:`brushwork.detail`), ``options["detail"]`` (default: the model's own,
    :func:`~brushwork.detail.default_amount`) × alpha of it: less style, less structure to restore;
    ``numbers["detail"]`` is that product, the amount applied. ``options["underpaint"]`` (default: the model's
    own, :func:`brushwork.methods.underpaint.default_amount`) × alpha of a small picture goes under the content's
    calm areas first (:mod:`brushwork.methods.underpaint`), painted by ``options["underpaint_by"]`` (default
    ``"quilt"``, the painting's patches; ``"gatys"`` loads the VGG16): ``numbers["underpaint"]`` is that amount,
    ``numbers["underpaint_by"]`` its painter and ``numbers["underpaint_seconds"]`` its time (included in
    ``numbers["seconds"]``).
    """
    from brushwork.api._models import channels_last
    from brushwork.color import default_palette
    from brushwork.detail import add_detail, default_amount
    from brushwork.device import autocast, use_bf16
    from brushwork.tiling import choose_tile
    from brushwork.work_scale import enlarged, reduced
    from brushwork.work_scale import working_size as size_at

    model_palette = default_palette(config)  # a broken config.json fails before the pass, not after
    full = (int(request.content.shape[-2]), int(request.content.shape[-1]))
    scale = work_scale_of(options, config, *full)
    work = size_at(*full, scale)
    bf16 = use_bf16(request.device, options.get("precision", "auto"))
    tile = choose_tile(*work, options.get("tile"))  # a bad tile fails before the underpainting's work
    from brushwork.methods.underpaint import SOURCES
    from brushwork.methods.underpaint import default_amount as default_underpaint

    given = options.get("underpaint")
    underpaint = (float(given) if given is not None else default_underpaint(config)) * alpha
    by = options.get("underpaint_by") or SOURCES[0]  # the quilt
    underpaint_start = time.perf_counter()
    source = _underpainted(request, underpaint, by, bf16, max(work)) if underpaint else request.content
    underpaint_seconds = time.perf_counter() - underpaint_start if underpaint else 0.0
    content, mask = reduced(source, work), None if request.mask is None else reduced(request.mask, work)
    layout = "channels_last" if request.device.type == "cpu" and (channels_last_bf16 or not bf16) else "contiguous"
    # Measured on a CPU: fp32 AdaIN (see channels_last) and the student's small-channel convolutions 1.1-1.5x
    # faster; in bf16 (2-core Zen 4, interleaved) the student 1.2x at 512 and 1024 px, AdaIN no faster (1.01x
    # slower at 512 px). GPU unmeasured.
    if layout == "channels_last":
        nets = {name: channels_last(net) for name, net in nets.items()}
    start = time.perf_counter()
    with autocast(request.device, bf16):
        image = stylize(
            content,
            styles,
            **nets,
            style_weights=request.style_weights,
            alpha=alpha,
            mask=mask,
            tile=tile,
            overlap=64 if tile is None else min(64, tile // 4),
        ).float()
    image = enlarged(image.to(request.content.device), full)  # bicubic, as the peer enlarges its 384-px pictures
    amount = options["detail"] if options.get("detail") is not None else default_amount(config)
    detail = float(amount) * alpha  # the amount applied (reported in numbers)
    image = add_detail(image, request.content, amount=detail, in_place=True)  # a fresh tensor
    numbers = {
        "seconds": time.perf_counter() - start + underpaint_seconds,
        "alpha": alpha,
        "detail": detail,
        "tile": tile,
        "underpaint": underpaint,
        "underpaint_by": by if underpaint else None,
        "underpaint_seconds": underpaint_seconds,
        "work_scale": max(work) / max(full),  # as applied (the 64-px short-side floor may raise it)
        "work_size": list(work),
        "bf16": bf16,
        "layout": layout,
        "model": str(path),
        "model_step": config.get("step"),
        "model_palette": model_palette,  # the API applies it (× alpha) unless told a palette
        "style_sizes": [list(s.shape[-2:]) for s in styles],
    }
    return image, numbers


def _underpainted(request: MethodRequest, amount: float, by: str, bf16: bool, work_long_side: int) -> torch.Tensor:
    """The request's content over a small picture where it is calm (:func:`brushwork.methods.underpaint.under`,
    painted ``by`` the painting's patches or Gatys), sized for a network painting ``work_long_side`` px
    (:func:`~brushwork.methods.underpaint.side_for`)."""
    from brushwork.api._models import request_encoder
    from brushwork.methods import underpaint

    return underpaint.under(
        request.content,
        request.styles,
        amount=amount,
        by=by,
        encoder=request_encoder(request) if by == "gatys" else None,
        side=underpaint.side_for(work_long_side),
        style_blend=request.style_weights,
        mask=request.mask,
        style_scale=request.style_scale,
        seed=request.seed,
        bf16=bf16,
    )
