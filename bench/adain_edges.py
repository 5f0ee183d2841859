"""The dark band along the edges of one-pass stylisations, and what a mirrored margin costs and buys.

The VGG16 encoder pads with zeros: seen from the picture, a dark-grey frame. For each ``--margins`` value the
picture is mirrored outwards by that many pixels before encoding (since session 17 a margin of whole decoder
cells, 8, 16, 32, 64 px, is encoded but not decoded; others are decoded and cropped). Printed per margin:
``band`` = mean |output − reference| within ``--strip`` px of the border (reference: a 64-px margin, where the
encoder's frame is far away), ``top_darkening`` = how much darker the top strip is than the next rows, minus
the same for the photo (the band a viewer sees), and the time relative to no margin. Photos: the first ``--photos`` of
vangogh2photo/trainB; styles: training styles (never the held-out ones).

    .venv/bin/python bench/adain_edges.py [--model adain] [--size 512] [--margins 0 8 16 32]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import emit, setup

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
STYLES = ("starry_night.jpg", "mosaic.jpg", "rain-princess.jpg", "scene_de_rue.jpg")


def _luma(x: torch.Tensor) -> torch.Tensor:
    return (0.299 * x[:, 0] + 0.587 * x[:, 1] + 0.114 * x[:, 2]).squeeze(0)


def _top_darkening(image: torch.Tensor, strip: int) -> float:
    y = _luma(image)
    return float(y[strip : 3 * strip].mean() - y[:strip].mean())


def _border(x: torch.Tensor, strip: int) -> torch.Tensor:
    mask = torch.ones_like(x[0, 0], dtype=torch.bool)
    mask[strip:-strip, strip:-strip] = False
    return x[..., mask]


def main() -> None:
    from brushwork.api._models import find_model
    from brushwork.imageio import load_image, resize
    from brushwork.methods.adain import load_decoder, stylize
    from brushwork.models.encoders import load_vgg16

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="adain")
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--photos", type=int, default=6)
    parser.add_argument("--strip", type=int, default=8)
    parser.add_argument("--margins", type=int, nargs="+", default=[0, 8, 16, 32])
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    result: dict = {"env": setup(args.threads), "model": args.model, "size": args.size}
    encoder = load_vgg16()
    decoder, _ = load_decoder(find_model(args.model))
    photos = sorted((DATA / "vangogh2photo" / "trainB").iterdir())[: args.photos]
    styles = [resize(load_image(DATA / "styles" / name), long_side=args.size) for name in STYLES]
    rows: dict[int, dict[str, list[float]]] = {m: {"band": [], "top": [], "s": []} for m in args.margins}
    for path in photos:
        photo = resize(load_image(path), long_side=args.size)
        for style in styles:
            ref = stylize(photo, [style], encoder=encoder, decoder=decoder, edge_margin=64)
            for m in args.margins:  # interleaved: every margin on every pair
                t0 = time.perf_counter()
                out = stylize(photo, [style], encoder=encoder, decoder=decoder, edge_margin=m)
                rows[m]["s"].append(time.perf_counter() - t0)
                rows[m]["band"].append(float(_border((out - ref).abs(), args.strip).mean()))
                rows[m]["top"].append(_top_darkening(out, args.strip) - _top_darkening(photo, args.strip))
    base = statistics.median(rows[args.margins[0]]["s"])
    result["margins"] = {
        m: {
            "band": round(statistics.mean(r["band"]), 4),
            "top_darkening": round(statistics.mean(r["top"]), 4),
            "time_ratio": round(statistics.median(r["s"]) / base, 3),
        }
        for m, r in rows.items()
    }
    emit(result)


if __name__ == "__main__":
    main()
