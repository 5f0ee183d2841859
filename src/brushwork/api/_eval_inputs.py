"""Inputs of an evaluation: image sets read from files and folders (with sha256), and the environment."""

from __future__ import annotations

import logging
import os
import platform
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import torch

from brushwork.errors import BrushworkError, ConfigError, ImageError

__all__ = ["ImageSet", "environment", "image_paths"]

log = logging.getLogger(__name__)

PathLike = str | os.PathLike[str]


def image_paths(items: PathLike | Sequence[PathLike], what: str, *, limit: int | None = None) -> list[Path]:
    """Files as given and images in folders (recursively, sorted), in order; the first ``limit`` of them."""
    if isinstance(items, str | os.PathLike):
        items = [items]
    from brushwork.imageio import find_images

    paths: list[Path] = []
    for item in items:
        path = Path(item)
        if path.is_dir():
            paths.extend(find_images(path))
        elif path.is_file():
            paths.append(path)
        else:
            raise ImageError(f"{path}: no such {what} file or folder")
    if not paths:
        raise ConfigError(f"no {what} images given")
    return paths[:limit] if limit is not None else paths


def _names(paths: Sequence[Path]) -> list[str]:
    """Short unique names: file names, or parent/file name where file names repeat."""
    names = [p.name for p in paths]
    if len(set(names)) == len(names):
        return names
    names = [f"{p.parent.name}/{p.name}" for p in paths]
    return names if len(set(names)) == len(names) else [str(p) for p in paths]


@dataclass
class ImageSet:
    """Image files read lazily at ``size`` (long side); unreadable ones are skipped with a warning and listed."""

    paths: list[Path]
    what: str
    size: int | None
    max_pixels: int | None = None

    def __post_init__(self) -> None:
        self.names = _names(self.paths)
        self.skipped: dict[str, str] = {}

    def load(self, index: int, *, max_side: int | None = None) -> torch.Tensor | None:
        """Image ``index`` as ``(1, 3, H, W)`` in [0, 1] at the set's long side ``size`` (or as it is, shrunk to
        at most ``max_side``); None when it cannot be read."""
        from brushwork.imageio import load_image, resize

        path = self.paths[index]
        try:
            image = load_image(path, max_pixels=self.max_pixels)
        except BrushworkError as exc:
            if str(path) not in self.skipped:
                log.warning("skipping %s image %s", self.what, exc)
                self.skipped[str(path)] = str(exc)
            return None
        if self.size is not None:
            return resize(image, long_side=self.size)
        if max_side is not None and max(image.shape[-2:]) > max_side:
            return resize(image, long_side=max_side)
        return image

    def items(self, *, max_side: int | None = None) -> Iterator[tuple[str, torch.Tensor]]:
        """``(name, image)`` for every readable image, in order."""
        for i, name in enumerate(self.names):
            image = self.load(i, max_side=max_side)
            if image is not None:
                yield name, image

    def images(self) -> Iterator[torch.Tensor]:
        for _, image in self.items():
            yield image

    def describe(self) -> list[dict[str, Any]]:
        """``[{"name", "path", "sha256"}]`` for the JSON report."""
        from brushwork.weights import file_sha256

        return [
            {"name": n, "path": str(p), "sha256": file_sha256(p)} for n, p in zip(self.names, self.paths, strict=True)
        ]


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def environment(device: torch.device, vgg16: PathLike | None, custom_encoder: bool) -> dict[str, Any]:
    """Package versions, platform, device and the VGG16 weights' sha256."""
    from brushwork._version import __version__
    from brushwork.weights import vgg16_info

    packages = ("torch", "numpy", "pillow", "safetensors", "scikit-image", "matplotlib")
    env: dict[str, Any] = {
        "brushwork": __version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": {p: _version(p) for p in packages},
        "device": str(device),
        "torch_threads": torch.get_num_threads(),
    }
    if device.type == "cuda":
        env["device_name"] = torch.cuda.get_device_name(device)
    if custom_encoder:
        env["vgg16"] = "custom encoder passed by the caller"
    else:
        info = vgg16_info(vgg16, convert=False)
        env["vgg16"] = {"path": str(info.path), "sha256": info.sha256, "source": info.source}
    return env
