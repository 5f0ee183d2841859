"""``brushwork.load_model`` and ``brushwork.translate``: run a trained CycleGAN generator on images.

A model is a model directory (``model.safetensors`` + ``config.json``), a training run directory (its newest
checkpoint) or the name of a shipped model (``src/brushwork/pretrained/<name>/``, e.g. ``vangogh``).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from brushwork.errors import BrushworkError, CheckpointError, ConfigError, ImageError

__all__ = ["TranslateReport", "TranslationModel", "load_model", "translate", "translate_files"]

log = logging.getLogger(__name__)
_DIRECTIONS = {"AtoB": "G_AB", "BtoA": "G_BA"}
_KEEP_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")


@dataclass
class TranslationModel:
    """Loaded generators (``G_AB`` and/or ``G_BA``, eval mode) and the model's ``config.json``."""

    generators: dict[str, Any]
    config: dict[str, Any]
    path: Path
    device: Any = field(default=None)

    @property
    def default_direction(self) -> str:
        return str(self.config.get("default_direction", "AtoB"))

    def generator(self, direction: str | None = None) -> Any:
        """The generator for ``"AtoB"`` or ``"BtoA"`` (default: the model's default direction)."""
        direction = direction or self.default_direction
        if direction not in _DIRECTIONS:
            raise ConfigError(f"--direction {direction!r}: use AtoB or BtoA")
        net = self.generators.get(_DIRECTIONS[direction])
        if net is None:
            raise CheckpointError(f"{self.path}: has no {_DIRECTIONS[direction]} generator for {direction}")
        return net


def load_model(name_or_dir: str | os.PathLike[str], *, device: str = "auto") -> TranslationModel:
    """Load a model directory, a run directory's newest checkpoint, or a shipped model by name."""
    from brushwork.api._models import find_model
    from brushwork.checkpoint import read_config
    from brushwork.device import resolve_device
    from brushwork.methods.cyclegan import load_nets

    path = find_model(name_or_dir)
    names = tuple(n for n in read_config(path)["nets"] if n.startswith("G_"))
    if not names:
        raise CheckpointError(f"{path}: has no generators")
    dev = resolve_device(device)
    generators, config = load_nets(path, names, device=dev)
    return TranslationModel(generators=generators, config=config, path=path, device=dev)


def _as_model(model: TranslationModel | str | os.PathLike[str], device: str) -> TranslationModel:
    return model if isinstance(model, TranslationModel) else load_model(model, device=device)


def translate(
    model: TranslationModel | str | os.PathLike[str],
    image: Any,
    *,
    direction: str | None = None,
    size: int | None = None,
    device: str = "auto",
) -> Any:
    """Translate ``image`` (a path, or ``(N, 3, H, W)`` RGB in [0, 1]) with ``model``; returns ``(N, 3, H', W')``
    in [0, 1] on CPU, where H', W' are the input's size or its long side resized to ``size``.
    """
    from brushwork.imageio import load_image, resize
    from brushwork.methods.cyclegan import translate as run_generator

    loaded = _as_model(model, device)
    if isinstance(image, str | os.PathLike):
        image = load_image(image)
    if size is not None:
        image = resize(image, long_side=size)
    return run_generator(loaded.generator(direction), image).cpu()


@dataclass(frozen=True)
class TranslateReport:
    """What :func:`translate_files` did: files written and inputs that failed (with the reason)."""

    written: list[Path]
    failed: list[tuple[Path, str]]


def _jobs(inputs: Sequence[Path], output: Path | None) -> list[tuple[Path, Path]]:
    """(input file, output file) pairs: folders recursively with relative paths kept, names kept."""
    from brushwork.imageio import find_images

    single_file = len(inputs) == 1 and inputs[0].is_file()
    if single_file and output is not None and output.suffix.lower() in _KEEP_SUFFIXES and not output.is_dir():
        return [(inputs[0], output)]
    out_dir = output or Path("translated")
    jobs = []
    for src in inputs:
        if src.is_dir():
            prefix = Path(src.resolve().name) if len(inputs) > 1 else Path()
            jobs += [(f, out_dir / prefix / f.relative_to(src)) for f in find_images(src)]
        else:
            jobs.append((src, out_dir / src.name))
    jobs = [(s, d if d.suffix.lower() in _KEEP_SUFFIXES else d.with_suffix(".png")) for s, d in jobs]
    seen: dict[Path, Path] = {}
    for src, dst in jobs:
        if dst in seen:
            raise ConfigError(f"{src} and {seen[dst]} would both be written to {dst}")
        seen[dst] = src
    return jobs


def _batches(jobs: Iterable[tuple[Path, Path]], batch_size: int) -> Iterable[list[tuple[Path, Path]]]:
    chunk: list[tuple[Path, Path]] = []
    for job in jobs:
        chunk.append(job)
        if len(chunk) == batch_size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def translate_files(
    model: TranslationModel | str | os.PathLike[str],
    inputs: Sequence[str | os.PathLike[str]],
    output: str | os.PathLike[str] | None = None,
    *,
    direction: str | None = None,
    size: int | None = None,
    batch_size: int = 1,
    max_pixels: int | None = None,
    progress: bool = True,
    device: str = "auto",
) -> TranslateReport:
    """Translate image files and folders (recursively) into ``output`` (default ``./translated``).

    File names and relative paths are kept; a single input file with an image-suffixed ``output`` is written
    there. Unreadable inputs are reported and skipped; inputs are never overwritten.
    """
    import torch
    from tqdm import tqdm

    from brushwork.imageio import guard_output, read_image, resize, save_image
    from brushwork.methods.cyclegan import translate as run_generator

    loaded = _as_model(model, device)
    generator = loaded.generator(direction)
    paths = [Path(p) for p in inputs]
    for p in paths:
        if not p.exists():
            raise ImageError(f"{p}: no such file or folder")
    jobs = _jobs(paths, None if output is None else Path(output))
    for _, dst in jobs:
        guard_output(dst, [src for src, _ in jobs])
    written: list[Path] = []
    failed: list[tuple[Path, str]] = []
    with tqdm(total=len(jobs), disable=not progress, unit="img") as bar:
        for chunk in _batches(jobs, batch_size):
            groups: dict[tuple[int, int], list[tuple[Path, Path, Any, Any]]] = {}
            for src, dst in chunk:
                try:
                    img = read_image(src, max_pixels=max_pixels)
                except BrushworkError as exc:
                    log.warning("skipping %s", exc)
                    failed.append((src, str(exc)))
                    bar.update(1)
                    continue
                rgb = img.rgb if size is None else resize(img.rgb, long_side=size)
                groups.setdefault(tuple(rgb.shape[-2:]), []).append((src, dst, rgb, img.alpha))
            for items in groups.values():
                out = run_generator(generator, torch.cat([rgb for _, _, rgb, _ in items])).cpu()
                for (_, dst, _, alpha), result in zip(items, out, strict=True):
                    written.append(save_image(result, dst, alpha=alpha))
                    bar.update(1)
    return TranslateReport(written=written, failed=failed)
