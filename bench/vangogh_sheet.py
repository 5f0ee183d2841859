"""A contact sheet of photo → Van Gogh models: rows = photos, columns = the photo then each model's output.
Prints JSON with SSIM per cell.

    .venv/bin/python bench/vangogh_sheet.py -o out/vangogh_sheet.png --models vangogh runs/mine [--size 384]

The committed docs/images/vangogh_sheet.jpg holds scikit-image photos only (``--committable``, the default photos
here): public domain, safe to redistribute. ``--photos`` takes any other image files.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import emit, setup

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
SKIMAGE = ("skimage_astronaut.png", "skimage_chelsea.png", "skimage_coffee.png", "skimage_rocket.jpg")


def main() -> None:
    import torch
    import torch.nn.functional as F

    import brushwork
    from brushwork.cli.demo import side_by_side
    from brushwork.imageio import load_image, resize, save_image
    from brushwork.metrics import ssim

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", default="out/vangogh_sheet.png")
    parser.add_argument("--size", type=int, default=384, help="long side of every photo (px)")
    parser.add_argument("--models", nargs="+", default=["vangogh"], metavar="MODEL[@STRENGTH]")
    parser.add_argument("--photos", nargs="+", type=Path, help="default: the scikit-image photos in shared/data")
    args = parser.parse_args()
    result: dict = {"env": setup(2), "columns": ["photo", *args.models], "cells": []}
    photos = args.photos or [DATA / "content" / name for name in SKIMAGE]
    rows = []
    for path in photos:
        photo = resize(load_image(path), long_side=args.size)
        outs = []
        for spec in args.models:
            model, _, strength = spec.partition("@")
            out = brushwork.translate(model, photo, strength=float(strength) if strength else None)
            outs.append(out)
            result["cells"].append({"photo": path.name, "model": spec, "ssim": round(float(ssim(photo, out)), 4)})
        rows.append(side_by_side([photo, *outs], height=args.size))
    width = max(r.shape[-1] for r in rows)
    padded = [F.pad(r, (0, width - r.shape[-1]), value=1.0) for r in rows]
    save_image(torch.cat(padded, dim=-2), args.output)
    result["output"] = args.output
    emit(result)


if __name__ == "__main__":
    main()
