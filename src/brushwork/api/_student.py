"""The ``fast`` entry of :data:`brushwork.api.stylize.METHODS`: the compact student network (no VGG16), any style
image, at the requested resolution."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch

from brushwork.api._one_pass import OPTIONS
from brushwork.errors import CheckpointError

if TYPE_CHECKING:
    from brushwork.api.stylize import MethodRequest

__all__ = ["DEFAULT_MODEL", "OPTIONS", "STYLE_MAX_SIDE", "run_fast"]

#: The shipped student used unless ``model`` names another.
DEFAULT_MODEL = "fast"
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
    ``"auto"`` (bf16 autocast where native), ``"fp32"`` or ``"bf16"``; ``detail``, ``work_scale`` and
    ``underpaint`` as for AdaIN (``underpaint_by="gatys"`` loads the VGG16; the default quilt does not). Each style
    image is scaled relative to the picture the network paints as for AdaIN (``style_scale``), but as if its long
    side were at most :data:`STYLE_MAX_SIDE`.
    """
    from brushwork.api._adain import style_for
    from brushwork.api._models import student_net
    from brushwork.api._one_pass import method_options, run_one_pass, working_size
    from brushwork.methods import student

    options, alpha = method_options(request, "fast")
    net, config, path = student_net(_model_name(options), request.device)
    h, w = working_size(int(request.content.shape[-2]), int(request.content.shape[-1]), options, config)
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
    return run_one_pass(
        request,
        student.stylize,
        {"net": net},
        options=options,
        alpha=alpha,
        styles=styles,
        path=path,
        config=config,
        channels_last_bf16=True,
    )
