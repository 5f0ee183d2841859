"""A contact sheet of photo → painting models: rows = photos, columns = the photo then each model's output,
with a label over each column. Prints JSON with SSIM per cell.

    .venv/bin/python bench/vangogh_sheet.py -o out/vangogh_sheet.png --models vangogh runs/mine [--size 384]
    .venv/bin/python bench/vangogh_sheet.py -o out/cezanne.png --models vangogh models/cezanne@1.5 \
        adain:paintings/1.jpg --labels "Van Gogh" "adapted @1.5" "adain, one painting"

A column is ``MODEL[@STRENGTH]`` (``brushwork.translate``) or ``adain:STYLE_IMAGE`` / ``fast:STYLE_IMAGE``
(``brushwork.stylize`` with that painting as the style: the arbitrary-style baseline). The committed
docs/images sheets hold scikit-image photos only (the default photos here): public domain, safe to
redistribute. ``--photos`` takes any other image files.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import emit, setup

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
SKIMAGE = ("skimage_astronaut.png", "skimage_chelsea.png", "skimage_coffee.png", "skimage_rocket.jpg")
STYLIZE_METHODS = ("adain", "fast")
LABEL_H = 18


def layout(grid: list[list], titles: list[str], gap: int = 8):
    """Rows of images ``(1, 3, h, w)`` (one height per row) on white, each column as wide as its widest image
    (images centred in it), with ``titles`` over the columns: ``(1, 3, H, W)``."""
    import torch
    from PIL import ImageDraw

    from brushwork.imageio import from_pil, to_pil

    widths = [max(row[c].shape[-1] for row in grid) for c in range(len(titles))]
    heights = [max(im.shape[-2] for im in row) for row in grid]
    canvas = torch.ones(1, 3, LABEL_H + sum(heights) + gap * (len(grid) + 1), sum(widths) + gap * (len(widths) + 1))
    y = LABEL_H + gap
    for row, height in zip(grid, heights, strict=True):
        x = gap
        for im, width in zip(row, widths, strict=True):
            left, top = x + (width - im.shape[-1]) // 2, y + (height - im.shape[-2]) // 2
            canvas[..., top : top + im.shape[-2], left : left + im.shape[-1]] = im
            x += width + gap
        y += height + gap
    pil = to_pil(canvas)
    draw, x = ImageDraw.Draw(pil), gap
    for title, width in zip(titles, widths, strict=True):
        draw.text((x, 4), title, fill="black")
        x += width + gap
    return from_pil(pil)


def main() -> None:
    import brushwork
    from brushwork.imageio import load_image, resize, save_image
    from brushwork.metrics import ssim

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", default="out/vangogh_sheet.png")
    parser.add_argument("--size", type=int, default=384, help="long side of every photo (px)")
    parser.add_argument(
        "--models", nargs="+", default=["vangogh"], metavar="MODEL[@STRENGTH] | adain:STYLE", help="one per column"
    )
    parser.add_argument("--labels", nargs="+", help="column titles, one per model (default: the specs)")
    parser.add_argument("--photos", nargs="+", type=Path, help="default: the scikit-image photos in shared/data")
    args = parser.parse_args()
    labels = args.labels or args.models
    if len(labels) != len(args.models):
        parser.error(f"--labels: {len(labels)} given for {len(args.models)} models")
    result: dict = {"env": setup(2), "columns": ["photo", *args.models], "cells": []}
    photos = args.photos or [DATA / "content" / name for name in SKIMAGE]
    grid = []  # rows [photo, *outputs], each (1, 3, h, w) with a --size long side
    for path in photos:
        photo = resize(load_image(path), long_side=args.size)
        outs = []
        for spec in args.models:
            method, _, style = spec.partition(":")
            if method in STYLIZE_METHODS and style:
                out = brushwork.stylize(photo, style, method=method, size=args.size)
            else:
                model, _, strength = spec.partition("@")
                out = brushwork.translate(model, photo, strength=float(strength) if strength else None)
            outs.append(out)
            result["cells"].append({"photo": path.name, "model": spec, "ssim": round(float(ssim(photo, out)), 4)})
        grid.append([photo, *outs])
    sheet = layout(grid, ["photo", *labels])
    save_image(sheet, args.output)
    result["output"] = args.output
    emit(result)


if __name__ == "__main__":
    main()
