"""A contact sheet of the shipped AdaIN decoder on styles it never saw in training: rows = content photos,
columns = held-out styles (first row: the styles themselves). Prints JSON with per-cell numbers.

    .venv/bin/python bench/adain_grid.py -o out/adain_grid.png [--size 384]

The committed docs/images/adain_grid.jpg holds only what may be redistributed (scikit-image photos, no style row):

    .venv/bin/python bench/adain_grid.py --committable -o docs/images/adain_grid.jpg
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import emit, setup

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
CONTENTS = ("tubingen.jpg", "golden_gate.jpg", "skimage_chelsea.png", "brad_pitt.jpg")
SKIMAGE = ("skimage_astronaut.png", "skimage_chelsea.png", "skimage_coffee.png", "skimage_rocket.jpg")


def main() -> None:
    import brushwork
    from brushwork.api._models import find_model
    from brushwork.checkpoint import read_config
    from brushwork.cli.demo import side_by_side
    from brushwork.imageio import load_image, resize, save_image
    from brushwork.metrics import gram_distance, ssim_luminance
    from brushwork.models.encoders import load_vgg16

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", default="out/adain_grid.png")
    parser.add_argument("--size", type=int, default=384)
    parser.add_argument("--model", default="adain")
    parser.add_argument(
        "--committable", action="store_true", help="scikit-image photos only and no style row (safe to commit)"
    )
    args = parser.parse_args()
    result: dict = {"env": setup(2), "cells": []}
    held_out = read_config(find_model(args.model))["data"]["held_out_styles"]
    styles = [load_image(DATA / "styles" / f"{name}.jpg") for name in held_out]
    vgg = load_vgg16()
    cell = args.size // 2
    rows = [] if args.committable else [side_by_side([torch.ones(1, 3, cell, cell), *styles], height=cell)]
    result["columns"] = ["content", *held_out]
    for name in SKIMAGE if args.committable else CONTENTS:
        content = resize(load_image(DATA / "content" / name), long_side=args.size)
        outs = []
        for style_name, style in zip(held_out, styles, strict=True):
            out = brushwork.stylize(content, style, method="adain", model=args.model, encoder=vgg)
            small = resize(style, long_side=args.size)
            result["cells"].append(
                {
                    "content": name,
                    "style": style_name,
                    "gram_content": float(gram_distance(content, small, vgg)[0]),
                    "gram_output": float(gram_distance(out, small, vgg)[0]),
                    "ssim_luminance": float(ssim_luminance(out, content)),
                }
            )
            outs.append(out)
        rows.append(side_by_side([content, *outs], height=cell))
    width = max(r.shape[-1] for r in rows)
    sheet = torch.cat([torch.nn.functional.pad(r, (0, width - r.shape[-1]), value=1.0) for r in rows], dim=-2)
    result["grid"] = str(save_image(sheet, Path(args.output)))
    cells = result["cells"]
    result["mean_gram_ratio_output_over_content"] = sum(c["gram_output"] / c["gram_content"] for c in cells) / len(
        cells
    )
    result["mean_ssim_luminance"] = sum(c["ssim_luminance"] for c in cells) / len(cells)
    emit(result)


if __name__ == "__main__":
    main()
