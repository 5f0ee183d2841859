"""Measurement (session 46): is a Gatys picture of a calm area a stable function of the photo?

For the given entries of a target campaign (``scripts/gatys_targets.py``), paints each pair's square again as the
campaign did, then with imperceptible noise on the photo (uniform ±1/255), then with the square moved 8 px down,
and prints the mean absolute differences (of 255) between the pictures, as painted and after a Gaussian blur of
σ 6 px (the layout), the moved square compared where it overlaps, with the squares' 32-px border left out.

Result (entries 54, 200, 307 of session 45's campaign, three of its calmest squares: fog over a pier, a pale sky
over sand, a hazy ridge; one thread; docs/arbitrary_recipe.md, session 46): ±1/255 of noise changes the picture by
20.2 / 13.6 / 13.3 and its layout by 12.0 / 4.6 / 3.3; moving the square changes them by 16.0 / 17.4 / 14.6 and
9.0 / 8.1 / 4.5 (five more calm squares, entries 151 63 215 272 237: noise 23.9–34.3, layout 6.3–11.7; moved
26.9–47.1, layout 10.2–26.2). In the fog the invisible noise moves the layout more than the shift does: much of
what Gatys paints into a calm area is set by its optimisation and the square's borders, not by anything the photo
holds, so a network fed the photo can only regress its average.

usage: .venv/bin/python bench/prototypes/gatys_stability.py TARGETS OUT ENTRY... [--threads 1]
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import json
from pathlib import Path
from types import ModuleType

import numpy as np
import torch
from PIL import Image
from scipy.ndimage import gaussian_filter

from brushwork.data.folders import decode_uint8
from brushwork.data.paired_targets import read_index
from brushwork.imageio import to_pil

BAND, SHIFT = 32, 8


@functools.cache
def _campaign() -> ModuleType:
    """``scripts/gatys_targets.py``, whose :func:`picture` is the campaign's own painting of a square."""
    path = Path(__file__).resolve().parents[2] / "scripts" / "gatys_targets.py"
    spec = importlib.util.spec_from_file_location("gatys_targets", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _paint(photo: torch.Tensor, painting: Image.Image, scale: float) -> np.ndarray:
    return np.asarray(to_pil(_campaign().picture(photo, painting, scale=scale, seed=0)), dtype=np.float32)


def _differences(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    inner = (slice(BAND, -BAND), slice(BAND, -BAND))
    layout = np.abs(gaussian_filter(a, (6, 6, 0)) - gaussian_filter(b, (6, 6, 0)))[inner].mean()
    return float(np.abs(a - b)[inner].mean()), float(layout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("targets", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("entries", type=int, nargs="+", help="the entries' index numbers")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    args.out.mkdir(parents=True, exist_ok=True)
    entries = {e["index"]: e for e in read_index(args.targets)}
    for index in args.entries:
        entry = entries[index]
        photo = decode_uint8(Path(entry["content"]), entry["load_size"]).float().div_(255).unsqueeze(0)
        top, left, side, _ = entry["box"]
        scale = max(photo.shape[-2:]) / side
        painting = Image.open(entry["style"]).convert("RGB")
        square = photo[..., top : top + side, left : left + side]
        noise = (torch.rand(square.shape, generator=torch.Generator().manual_seed(1)) * 2 - 1) / 255
        moved_top = min(top + SHIFT, photo.shape[-2] - side)
        dy = moved_top - top
        base = _paint(square, painting, scale)
        noisy = _paint((square + noise).clamp(0, 1), painting, scale)
        moved = _paint(photo[..., moved_top : moved_top + side, left : left + side], painting, scale)
        for name, picture in (("base", base), ("noise", noisy), ("moved", moved)):
            Image.fromarray(picture.astype(np.uint8)).save(args.out / f"{index:06d}_{name}.png")
        pixels, layout = _differences(base, noisy)
        moved_pixels, moved_layout = _differences(base[dy:], moved[: side - dy]) if dy else (float("nan"),) * 2
        print(json.dumps({
            "entry": index, "photo": Path(entry["content"]).name, "style": Path(entry["style"]).name,
            "noise": round(pixels, 1), "noise_layout": round(layout, 1),
            "moved": round(moved_pixels, 1), "moved_layout": round(moved_layout, 1),
        }))  # fmt: skip


if __name__ == "__main__":
    main()
