"""Where models come from: a model directory, a run directory's newest checkpoint, or a shipped model by name."""

from __future__ import annotations

import functools
import os
import threading
import weakref
from pathlib import Path
from typing import Any

from brushwork.errors import CheckpointError

__all__ = [
    "adain_decoder",
    "channels_last",
    "find_model",
    "pretrained_names",
    "pretrained_root",
    "request_encoder",
    "student_net",
    "vgg16_encoder",
]


def pretrained_root() -> Path:
    """The folder of models shipped inside the package."""
    return Path(__file__).resolve().parents[1] / "pretrained"


def pretrained_names() -> list[str]:
    """Names of the models shipped in the package."""
    root = pretrained_root()
    return sorted(p.name for p in root.iterdir() if (p / "config.json").is_file()) if root.is_dir() else []


def find_model(name_or_dir: str | os.PathLike[str]) -> Path:
    """The model directory meant by ``name_or_dir`` (an existing path wins over a shipped name)."""
    from brushwork.checkpoint import resolve_model_dir

    path = Path(name_or_dir)
    if not path.exists() and (pretrained_root() / str(name_or_dir) / "config.json").is_file():
        path = pretrained_root() / str(name_or_dir)
    elif not path.exists():
        shipped = ", ".join(pretrained_names()) or "none installed"
        raise CheckpointError(f"{name_or_dir}: no such model directory or shipped model (shipped: {shipped})")
    return resolve_model_dir(path)


@functools.lru_cache(maxsize=2)
def vgg16_encoder(device: Any, path: str | None = None) -> Any:
    """The frozen VGG16 encoder on ``device`` (cached: loading it takes a moment)."""
    from brushwork.models.encoders import load_vgg16

    return load_vgg16(path, device=device)


def request_encoder(request: Any) -> Any:
    """A :class:`~brushwork.api.stylize.MethodRequest`'s encoder: its own, else the VGG16 it names (``vgg16``;
    default the shipped one) on its device."""
    if request.encoder is not None:
        return request.encoder
    return vgg16_encoder(request.device, None if request.vgg16 is None else str(request.vgg16))


@functools.lru_cache(maxsize=2)
def _cached_decoder(path: Path, stamp: tuple[int, int], device: Any) -> Any:
    from brushwork.methods.adain import load_decoder

    return load_decoder(path, device=device)


@functools.lru_cache(maxsize=2)
def _cached_student(path: Path, stamp: tuple[int, int], device: Any) -> Any:
    from brushwork.methods.student import load_student

    return load_student(path, device=device)


def _cached_net(load: Any, name_or_dir: str | os.PathLike[str], device: Any) -> tuple[Any, dict[str, Any], Path]:
    """``load(path, stamp, device)`` for a shipped name, model or run directory; rebuilt when its weights or its
    ``config.json`` change (``stamp``: their modification times, e.g. a model's defaults edited while a server
    runs)."""
    from brushwork.checkpoint import CONFIG_FILE, WEIGHTS_FILE

    path = find_model(name_or_dir)
    config_file = path / CONFIG_FILE  # a missing one is the loader's error to name
    stamp = ((path / WEIGHTS_FILE).stat().st_mtime_ns, config_file.stat().st_mtime_ns if config_file.exists() else 0)
    net, config = load(path, stamp, device)
    return net, config, path


def adain_decoder(name_or_dir: str | os.PathLike[str], device: Any) -> tuple[Any, dict[str, Any], Path]:
    """An AdaIN decoder (a shipped name, model or run directory) on ``device``, its config and its directory."""
    return _cached_net(_cached_decoder, name_or_dir, device)


def student_net(name_or_dir: str | os.PathLike[str], device: Any) -> tuple[Any, dict[str, Any], Path]:
    """A ``fast`` student (a shipped name, model or run directory) on ``device``, its config and its directory."""
    return _cached_net(_cached_student, name_or_dir, device)


_LAYOUT_COPIES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_LAYOUT_LOCK = threading.Lock()


def channels_last(module: Any) -> Any:
    """A channels-last copy of a frozen convolutional ``module``, cached while the module lives and its mode and
    weights are unchanged (:func:`brushwork.memo.weights_key`: in-place updates, ``.to()``, ``.half()``).

    A copy, not the module itself: Gatys' loss views features as ``(C, H·W)`` and needs the default layout.
    Measured for ``brushwork.stylize`` with AdaIN (fp32, 2 threads on an AVX2 CPU, interleaved medians, output
    identical to 2e-5): 1.19× faster at 256 px, 1.22× at 512 px, 1.26× at 1024 px.
    """
    import copy

    import torch

    from brushwork.memo import weights_key

    version = weights_key(module)
    with _LAYOUT_LOCK:
        cached = _LAYOUT_COPIES.get(module)
        if cached is None or cached[0] != version:
            cached = (version, copy.deepcopy(module).to(memory_format=torch.channels_last))
            _LAYOUT_COPIES[module] = cached
    return cached[1]
