"""Production inference on CPU (2 threads). Prints JSON.

1. ``generator``: a CycleGAN ResNet generator at 512 px, naïve PyTorch (fp32, NCHW, ``no_grad``, glibc's default
   allocator) vs brushwork's settings (tuned allocator, ``inference_mode``; channels_last and bf16 autocast as
   variants, bf16 with its PSNR against fp32). Each variant runs in its own process (the allocator setting is
   process-wide), variants interleaved round by round; medians over rounds, GEMM probe beside each.
2. ``tiling``: tiled vs untiled on a real 1536 px photo (PSNR) for the shipped Van Gogh CycleGAN and AdaIN.
3. ``large``: peak RSS and time of the real CLI on a 3840×2160 (4K) and a 6000×4000 (24 MP) photo.

    .venv/bin/python bench/inference.py [--parts generator tiling large] [--rounds 3] > inference.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import emit, setup

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
PHOTO, STYLE = DATA / "content" / "tubingen.jpg", DATA / "styles" / "candy.jpg"
VARIANTS = {
    "naive_fp32": {"tune": False, "mode": "no_grad", "cl": False, "bf16": False},
    "brushwork_fp32": {"tune": True, "mode": "inference", "cl": False, "bf16": False},
    "brushwork_fp32_channels_last": {"tune": True, "mode": "inference", "cl": True, "bf16": False},
    "brushwork_bf16": {"tune": True, "mode": "inference", "cl": False, "bf16": True},
}

_CHILD = """
import json, sys, time, statistics, torch
sys.path.insert(0, {bench!r})
from harness import gemm_probe
torch.set_num_threads(2)
v = json.loads({variant!r})
if v["tune"]:
    from brushwork.allocator import tune_allocator
    tune_allocator()
from brushwork.models.generators import build_generator, init_weights
from brushwork.device import autocast
torch.manual_seed(0)
g = init_weights(build_generator({spec})).eval()
x = torch.rand(1, 3, {size}, {size})
if v["cl"]:
    g = g.to(memory_format=torch.channels_last); x = x.contiguous(memory_format=torch.channels_last)
ctx = torch.inference_mode if v["mode"] == "inference" else torch.no_grad
times, probes = [], []
with ctx(), autocast(torch.device("cpu"), v["bf16"]):
    out = g(x)
    for _ in range({reps}):
        probes.append(gemm_probe()); t = time.perf_counter(); out = g(x); times.append(time.perf_counter() - t)
torch.save(out.float(), {out!r})
print(json.dumps({{"median_s": statistics.median(times), "probe_s": statistics.median(probes)}}))
"""


def _generator(rounds: int, size: int, spec: dict[str, Any]) -> dict[str, Any]:
    import torch

    from brushwork.device import bf16_supported

    native = bf16_supported(torch.device("cpu"))  # emulated bf16 is far slower than fp32: not worth timing
    variants = {name: v for name, v in VARIANTS.items() if native or not v["bf16"]}
    bench = str(Path(__file__).resolve().parent)
    times: dict[str, list[float]] = {name: [] for name in variants}
    probes: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(rounds):
            for name, variant in variants.items():
                code = _CHILD.format(
                    bench=bench, variant=json.dumps(variant), spec=spec, size=size, reps=3, out=f"{tmp}/{name}.pt"
                )
                proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
                res = json.loads(proc.stdout.strip().splitlines()[-1])
                times[name].append(res["median_s"])
                probes.append(res["probe_s"])
        ref = torch.load(f"{tmp}/naive_fp32.pt", weights_only=True)
        psnr = {
            name: _psnr(torch.load(f"{tmp}/{name}.pt", weights_only=True), ref)
            for name in variants
            if name != "naive_fp32"
        }
    med = {name: statistics.median(ts) for name, ts in times.items()}
    return {
        "spec": spec,
        "size": size,
        "native_bf16": native,
        "median_s": {k: round(v, 3) for k, v in med.items()},
        "speedup_vs_naive": {k: round(med["naive_fp32"] / v, 2) for k, v in med.items()},
        "psnr_vs_naive_db": psnr,
        "rounds": times,
        "probe_median_s": statistics.median(probes),
        "probe_max_s": max(probes),
    }


def _psnr(a: Any, b: Any) -> float:
    import torch

    return round(float(10 * torch.log10(1 / (a - b).pow(2).mean().clamp_min(1e-12))), 1)


def _tiling(side: int) -> dict[str, Any]:
    import brushwork
    from brushwork.imageio import load_image, resize

    photo = resize(load_image(PHOTO), long_side=side)
    style = load_image(STYLE)
    out: dict[str, Any] = {"image": list(photo.shape[-2:])}
    for tile in (512, 768):
        whole = brushwork.translate("vangogh", photo, tile=0, device="cpu")
        tiled = brushwork.translate("vangogh", photo, tile=tile, device="cpu")
        out[f"cyclegan_tile{tile}_psnr_db"] = _psnr(whole, tiled)
        whole = brushwork.stylize(photo, style, method="adain", tile=0, device="cpu")
        tiled = brushwork.stylize(photo, style, method="adain", tile=tile, device="cpu")
        out[f"adain_tile{tile}_psnr_db"] = _psnr(whole, tiled)
    return out


def _large(tmp: Path) -> dict[str, Any]:
    from PIL import Image

    results: dict[str, Any] = {}
    src = Image.open(PHOTO).convert("RGB")
    for name, size in {"4K": (3840, 2160), "24MP": (6000, 4000)}.items():
        path = tmp / f"{name}.jpg"
        src.resize(size, Image.Resampling.BICUBIC).save(path, quality=92)
        for label, argv in {
            "cyclegan": ["translate", "vangogh", str(path), "-o", str(tmp / f"{name}_cg.png"), "-q"],
            "adain": [
                "stylize",
                str(path),
                "--style",
                str(STYLE),
                "--size",
                str(max(size)),
                "-o",
                str(tmp / f"{name}_adain.png"),
                "-q",
            ],
        }.items():
            code = (
                "import sys, time, torch; torch.set_num_threads(2); "
                "from brushwork.allocator import tune_allocator; tune_allocator(); "
                "from brushwork.cli import main; t = time.perf_counter(); "
                f"rc = main({argv!r}); "
                "from brushwork.metrics.timing import peak_rss_mib; print(rc, time.perf_counter() - t, peak_rss_mib())"
            )
            start = time.perf_counter()
            line = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
            rc, seconds, rss = line.stdout.split()[-3:]
            results[f"{name}_{label}"] = {
                "exit": int(rc),
                "seconds": round(float(seconds), 1),
                "wall_s": round(time.perf_counter() - start, 1),
                "peak_rss_mb": round(float(rss)),
            }
            print(json.dumps({f"{name}_{label}": results[f"{name}_{label}"]}), file=sys.stderr)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", nargs="+", default=["generator", "tiling", "large"])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--size", type=int, default=512)
    args = parser.parse_args()
    result: dict[str, Any] = {"env": setup(2)}
    if "generator" in args.parts:
        for label, spec in {
            "paper_resnet9_ngf64": {"kind": "resnet", "ngf": 64, "blocks": 9, "upsample": "transpose"},
            "shipped_resnet6_ngf32": {"kind": "resnet", "ngf": 32, "blocks": 6, "upsample": "nearest"},
        }.items():
            result[f"generator_{label}"] = _generator(args.rounds, args.size, spec)
            print(json.dumps({label: result[f"generator_{label}"]["speedup_vs_naive"]}), file=sys.stderr)
    if "tiling" in args.parts:
        result["tiling"] = _tiling(1536)
        print(json.dumps(result["tiling"]), file=sys.stderr)
    if "large" in args.parts:
        with tempfile.TemporaryDirectory() as tmp:
            result["large"] = _large(Path(tmp))
    emit(result)


if __name__ == "__main__":
    main()
