"""The original design's CycleGAN evaluation: content preservation and discriminator accuracy on held-out data.

For a direction X→Y (default: the model's own), every image of ``DATA/testX`` is translated; the report holds
SSIM(input, output) (the original reported 0.822), the trained discriminator D_Y's accuracy on real
``DATA/testY`` vs the generated images (original: 65.31 %; 50 % is ideal) and the mean time per image.
Needs a model with discriminators: a training checkpoint or run directory, not a slim shipped export.
"""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

__all__ = ["CycleGANEvaluation", "evaluate_cyclegan"]

_ROLES = {"AtoB": ("A", "B", "G_AB", "D_B"), "BtoA": ("B", "A", "G_BA", "D_A")}


@dataclass(frozen=True)
class CycleGANEvaluation:
    """Numbers of :func:`evaluate_cyclegan` (``as_dict`` for JSON)."""

    model: str
    direction: str
    inputs: int
    real: int
    ssim: float
    ssim_luminance: float
    discriminator: dict[str, Any]
    seconds_per_image: float
    size: int | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _load_all(paths: list[Path], size: int | None, limit: int | None) -> list[Any]:
    from brushwork.imageio import load_image, resize

    images = [load_image(p) for p in paths[:limit]]
    return [resize(x, long_side=size) if size else x for x in images]


def evaluate_cyclegan(
    model: str | os.PathLike[str],
    data: str | os.PathLike[str],
    *,
    direction: str | None = None,
    size: int | None = None,
    limit: int | None = None,
    device: str = "auto",
) -> CycleGANEvaluation:
    """Evaluate a CycleGAN checkpoint on ``data/testX`` → ``Y`` against ``data/testY`` (see the module doc).

    Args:
        model: a model directory with generators and discriminators, or a run directory.
        data: folder with ``testA/`` and ``testB/``.
        direction: ``"AtoB"`` or ``"BtoA"`` (default: the model's default direction).
        size: resize inputs and real images to this long side first (default: as they are).
        limit: use at most this many images per folder (sorted by name).
    """
    import torch

    from brushwork.checkpoint import read_config, resolve_model_dir
    from brushwork.device import resolve_device
    from brushwork.errors import ConfigError
    from brushwork.imageio import find_images
    from brushwork.methods.cyclegan import load_nets
    from brushwork.methods.cyclegan import translate as run_generator
    from brushwork.metrics.discriminator import discriminator_accuracy
    from brushwork.metrics.ssim import ssim, ssim_luminance

    path = resolve_model_dir(model)
    direction = direction or read_config(path).get("default_direction", "AtoB")
    if direction not in _ROLES:
        raise ConfigError(f"direction {direction!r}: use AtoB or BtoA")
    source, target, g_name, d_name = _ROLES[direction]
    dev = resolve_device(device)
    nets, _ = load_nets(path, (g_name, d_name), device=dev)
    inputs = _load_all(find_images(Path(data) / f"test{source}"), size, limit)
    reals = _load_all(find_images(Path(data) / f"test{target}"), size, limit)
    outputs, scores, lumas = [], [], []
    run_generator(nets[g_name], inputs[0])  # warm-up, not timed
    start = time.perf_counter()
    for image in inputs:
        outputs.append(run_generator(nets[g_name], image).cpu())
    seconds = (time.perf_counter() - start) / len(inputs)
    for image, out in zip(inputs, outputs, strict=True):
        scores.append(ssim(image, out))
        lumas.append(ssim_luminance(image, out))
    accuracy = discriminator_accuracy(nets[d_name], reals, outputs, batch_size=1)
    return CycleGANEvaluation(
        model=str(path),
        direction=direction,
        inputs=len(inputs),
        real=len(reals),
        ssim=float(torch.cat(scores).mean()),
        ssim_luminance=float(torch.cat(lumas).mean()),
        discriminator=accuracy.as_dict(),
        seconds_per_image=seconds,
        size=size,
    )
