"""What the page can ask for, checked, and the one object that runs it (in the worker thread only).

Methods: every shipped CycleGAN model by name (``vangogh``: one forward pass) and the user's own (``serve --model
DIR``, named after the folder), ``fast`` (the compact student: any style image, full resolution in a fraction of a
second; it also paints the page's instant previews), ``adain`` (any style image, its teacher) and ``gatys``
(optimisation: slow, highest quality, with progress and cancellation); ``fast`` and ``adain`` are offered once their
weights ship. Models are loaded on first use and kept: one instance per :class:`Stylist` (the app has two: the job
worker's and the previews').
"""

from __future__ import annotations

import io
import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from brushwork.errors import ConfigError

__all__ = [
    "PREVIEW_SIZE",
    "StyleRequest",
    "Stylist",
    "available_methods",
    "check_settings",
    "preview_method",
    "to_png",
    "user_models",
]

log = logging.getLogger(__name__)

#: Methods that need an uploaded style image, and their strength ranges (the page's slider uses the same).
STYLE_METHODS = {"fast": (0.0, 1.0), "adain": (0.0, 1.0), "gatys": (0.0, 5.0)}
#: Long side of an instant preview (the page also sends its images scaled down to about this size).
PREVIEW_SIZE = 384
MODEL_STRENGTH = (0.0, 1.0)  # a shipped model's output blended with the photo
MIN_SIZE = 32


def user_models(paths: Any = ()) -> dict[str, str]:
    """``serve --model DIR``: name (the folder's) -> model directory, each checked to be a CycleGAN model."""
    from brushwork.api._models import find_model, pretrained_names
    from brushwork.checkpoint import read_config

    models: dict[str, str] = {}
    taken = {*pretrained_names(), *STYLE_METHODS}
    for path in paths:
        directory = find_model(path)
        if read_config(directory).get("method") != "cyclegan":
            raise ConfigError(f"--model {path}: not a translation (cyclegan) model")
        name = Path(path).resolve().name
        if name in taken or name in models:
            raise ConfigError(f"--model {path}: the name {name!r} is taken; rename the folder")
        models[name] = str(directory)
    return models


def available_methods(models: dict[str, str] | None = None) -> dict[str, dict[str, Any]]:
    """Method name -> what the page needs to know: kind, whether it needs a style image, strength range.

    ``models``: the user's own models (:func:`user_models`), offered after the shipped ones.
    """
    from brushwork.api._models import pretrained_names, pretrained_root
    from brushwork.checkpoint import read_config

    methods: dict[str, dict[str, Any]] = {}
    shipped = {name: read_config(pretrained_root() / name).get("method") for name in pretrained_names()}
    for name, kind in shipped.items():
        if kind == "cyclegan":
            methods[name] = {"label": f"{name} (shipped model, fast)", "style": False, "strength": MODEL_STRENGTH}
    for name in models or {}:
        methods[name] = {"label": f"{name} (your model, fast)", "style": False, "strength": MODEL_STRENGTH}
    if "fast" in shipped:
        methods["fast"] = {"label": "Fast: any painting, instant", "style": True, "strength": STYLE_METHODS["fast"]}
    if "adain" in shipped:
        methods["adain"] = {"label": "AdaIN: any painting, sharper", "style": True, "strength": STYLE_METHODS["adain"]}
    methods["gatys"] = {"label": "Gatys: any painting, slow, best", "style": True, "strength": STYLE_METHODS["gatys"]}
    for info in methods.values():  # instant previews: a translation model paints its own, fast all the others
        info["preview"] = not info["style"] or "fast" in methods
    return methods


def check_settings(
    methods: dict[str, dict[str, Any]],
    method: str,
    strength: float,
    size: int,
    *,
    has_style: bool,
    max_size: int,
    palette: float | None = None,
    preserve_color: bool = False,
) -> None:
    """Raise :class:`ConfigError` with a one-line message when the settings cannot work."""
    if method not in methods:
        raise ConfigError(f"method {method!r}: not available here; choose from {', '.join(methods)}")
    low, high = methods[method]["strength"]
    if not (math.isfinite(strength) and low <= strength <= high):
        raise ConfigError(f"strength {strength}: must be between {low} and {high} for {method}")
    if not MIN_SIZE <= size <= max_size:
        raise ConfigError(f"size {size}: the output's long side must be between {MIN_SIZE} and {max_size} px")
    if methods[method]["style"] and not has_style:
        raise ConfigError(f"{method}: upload a style image (a painting) first")
    if palette is None:  # the model's own (the shipped fast: 1)
        return
    if not (math.isfinite(palette) and 0.0 <= palette <= 1.0):
        raise ConfigError(f"palette {palette}: the painting's colours go from 0 (off) to 1")
    if palette > 0 and not methods[method]["style"]:
        raise ConfigError(f"palette {palette}: {method} takes no painting to take the colours from")
    if palette > 0 and preserve_color:
        raise ConfigError("keep the photo's colours or take the painting's (palette), not both")


def preview_method(methods: dict[str, dict[str, Any]], method: str) -> str:
    """The method that paints ``method``'s instant preview: a translation model previews itself (one small forward
    pass); every method that takes a painting is previewed by ``fast``. :class:`ConfigError` when there is none.
    ``method`` is one of ``methods`` (:func:`check_settings` has said so)."""
    if not methods[method]["style"]:
        return method
    if "fast" not in methods:
        raise ConfigError("no previews for painting styles here: the fast model is not installed")
    return "fast"


@dataclass(frozen=True)
class StyleRequest:
    """One validated request. ``content``/``style`` are ``(1, 3, H, W)`` RGB in [0, 1]; ``size`` is a long side."""

    method: str
    content: torch.Tensor
    style: torch.Tensor | None
    strength: float
    size: int
    preserve_color: bool
    palette: float | None = None  # None: the model's own


class Stylist:
    """Runs :class:`StyleRequest` s on ``device``; not thread-safe by design (the job queue's worker owns it)."""

    def __init__(
        self, device: str = "auto", *, seed: int = 0, vgg16: str | None = None, models: dict[str, str] | None = None
    ) -> None:
        self.device, self.seed, self.vgg16 = device, seed, vgg16
        self.paths = dict(models or {})  # the user's own models: name -> directory
        self._models: dict[str, Any] = {}

    def model(self, name: str) -> Any:
        if name not in self._models:
            from brushwork.api.translate import load_model

            log.info("loading model %s", self.paths.get(name, name))
            self._models[name] = load_model(self.paths.get(name, name), device=self.device)
        return self._models[name]

    def run(self, request: StyleRequest, on_step: Any = None) -> torch.Tensor:
        """The stylised image, ``(1, 3, H, W)`` in [0, 1] on CPU. ``on_step(step, total)`` may raise to cancel."""
        from brushwork import color

        if request.method in STYLE_METHODS:
            from brushwork.api.stylize import stylize_result

            def report(p: Any) -> None:
                if on_step is not None:
                    on_step(p.step, p.total)

            return stylize_result(
                request.content,
                request.style,
                method=request.method,
                size=request.size,
                device=self.device,
                seed=self.seed,
                vgg16=self.vgg16,
                strength=request.strength,
                preserve_color="luminance" if request.preserve_color else "none",
                palette=request.palette,
                on_step=report,
            ).image.cpu()
        import brushwork

        with torch.inference_mode():
            out = brushwork.translate(self.model(request.method), request.content).cpu()
            out = request.strength * out + (1.0 - request.strength) * request.content
            if request.preserve_color:
                out = color.transfer_luminance(out, request.content)
        return out.clamp(0.0, 1.0)


def to_png(image: torch.Tensor) -> bytes:
    """Encode ``(1, 3, H, W)`` RGB in [0, 1] as PNG bytes."""
    from brushwork.imageio import to_pil

    buffer = io.BytesIO()
    to_pil(image).save(buffer, format="PNG")
    return buffer.getvalue()
