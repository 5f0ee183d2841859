"""Gatys benchmark: pyramid vs single scale, L-BFGS vs Adam, at 256 and 512 px (long side), 2 threads.

Content ``../shared/data/content/tubingen.jpg``, style ``styles/starry_night.jpg``. Every run is a fresh
subprocess, so ``peak_rss_mb`` is that run's own. The pyramid runs (default settings; Adam; the default settings
with the VGG16 passes in bf16, its multiscale style loss measured in float32 like the others') go first.
The single-scale runs get 3× the pyramid's work (counted in full-resolution step equivalents, by pixels)
and report: the step and time at which their loss reached the pyramid's final loss, and both losses of their
image at equal work (``at_equal_work``) and at the end.

Two losses per image: ``loss`` is the Gatys objective at full resolution (what a single-scale run
optimises); ``multiscale_style`` is the style loss at scales 1, 1/2 and 1/4 (see
``brushwork.methods.gatys.multiscale_style_loss``): the large forms of a painting live at the coarse scales.

The machine may be shared, so three clocks are reported: ``wall_s``; ``cpu_estimate_s`` (process CPU time /
threads, what two dedicated cores would take, inflated by spin-waits under contention); and ``model_s`` =
Σ over levels of steps × the fastest of 8 timed steps at that size (the uncontended speed).

    .venv/bin/python bench/gatys.py [--sizes 256 512] [--save out/bench] [--work 3] > gatys.json
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import emit, gemm_probe, peak_rss_mb, setup

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
#: Settings of each run: GatysConfig fields, and ``bf16`` (the VGG16 passes under bf16 autocast, ``stylize(bf16=)``).
PYRAMIDS: dict[str, dict[str, Any]] = {
    "pyramid_lbfgs": {},
    "pyramid_adam": {"optimizer": "adam"},
    "pyramid_lbfgs_bf16": {"bf16": True},
}
SINGLES: dict[str, dict[str, Any]] = {"single_lbfgs": {"levels": 1}, "single_adam": {"levels": 1, "optimizer": "adam"}}


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _setting(size: int) -> tuple[Any, Any, Any]:
    from brushwork.imageio import load_image, resize
    from brushwork.models.encoders import load_vgg16

    content = resize(load_image(DATA / "content" / "tubingen.jpg"), long_side=size)
    return content, load_image(DATA / "styles" / "starry_night.jpg"), load_vgg16()


def _losses(image: Any, style: Any, encoder: Any, config: Any, total: float) -> dict[str, Any]:
    from brushwork.methods.gatys import multiscale_style_loss

    scales = multiscale_style_loss(image, [style], encoder=encoder, config=config)
    return {"loss": total, "style_by_scale": scales, "multiscale_style": sum(scales.values()) / len(scales)}


def run_one(size: int, options: dict[str, Any], target: float | None, snap: int | None, save: str | None) -> None:
    """One run in this process; prints its JSON line."""
    from brushwork.imageio import save_image
    from brushwork.methods.gatys import GatysConfig, stylize

    threads = setup(2)["threads"]
    content, style, encoder = _setting(size)
    config = GatysConfig(**{k: v for k, v in options.items() if k != "bf16"})
    trace: list[tuple[int, float, float, float]] = []  # (level, wall s, cpu s / threads, loss) per step
    snapshot: dict[str, Any] = {}
    start, cpu0 = time.perf_counter(), _cpu_seconds()

    def on_step(step: Any) -> None:
        trace.append((step.level, time.perf_counter() - start, (_cpu_seconds() - cpu0) / threads, step.losses["total"]))
        if step.step == snap:
            snapshot.update(image=step.image.clone(), loss=step.losses["total"])

    result = stylize(content, [style], encoder=encoder, config=config, on_step=on_step, bf16=options.get("bf16", False))
    record: dict[str, Any] = {"size": size, "options": options, "threads": threads}
    record.update(wall_s=time.perf_counter() - start, cpu_s=_cpu_seconds() - cpu0, peak_rss_mb=peak_rss_mb())
    record["cpu_estimate_s"] = record["cpu_s"] / threads
    record["level_steps"] = [sum(1 for t in trace if t[0] == level) for level in range(len(result.sizes))]
    record["final"] = {**_losses(result.image, style, encoder, config, result.final["total"]), **result.final}
    record["initial"] = result.initial
    if snapshot:  # the loss reported at a step is the image's before that step's update: close enough
        record["at_equal_work"] = {
            "steps": snap,
            **_losses(snapshot["image"], style, encoder, config, snapshot["loss"]),
        }
    if target is not None:
        hit = next(((i + 1, w, c) for i, (_, w, c, loss) in enumerate(trace) if loss <= target), None)
        keys = ("steps", "wall_s", "cpu_estimate_s")
        record["to_pyramid_loss"] = None if hit is None else dict(zip(keys, hit, strict=True))
    if save:
        name = "_".join(f"{k}{v}" for k, v in options.items()) or "default"
        save_image(result.image, Path(save) / f"gatys_{size}_{name}.png")
    print(json.dumps(record))


def step_costs(size: int, reps: int = 8) -> dict[str, float]:
    """Fastest of ``reps`` times of one default step at each pyramid level's size ("HxW" -> seconds)."""
    import torch

    from brushwork.methods import gatys
    from brushwork.models.encoders import LAYER_NAMES

    content, style, encoder = _setting(size)
    config = gatys.GatysConfig()
    encoder = gatys._with_pool(encoder, config.pool)
    layers = sorted({config.content_layer, *config.style_layers}, key=LAYER_NAMES.index)
    costs = {}
    for hw in gatys.pyramid_sizes(*content.shape[-2:], levels=config.levels, min_side=config.min_level_side):
        level_content = gatys._resize(content, hw)
        targets = gatys._targets(encoder, level_content, [style], blend=[1.0], config=config, style_min_side=60)
        times = []
        for _ in range(reps):
            x = level_content.clone().requires_grad_(True)
            start = time.perf_counter()
            torch.autograd.grad(gatys._losses(encoder, x, targets, config, layers)["total"], x)
            times.append(time.perf_counter() - start)
        costs[f"{hw[0]}x{hw[1]}"] = min(times)
    return costs


def _spawn(size: int, options: dict[str, Any], target: float | None, snap: int | None, save: str | None) -> dict:
    args = [sys.executable, __file__, "--one", json.dumps([size, options, target, snap, save])]
    probe = gemm_probe()
    done = subprocess.run(args, capture_output=True, text=True, check=True)
    record = json.loads(done.stdout.strip().splitlines()[-1])
    record["probe_s"] = probe
    print(json.dumps(record), file=sys.stderr, flush=True)  # progress, and a record should the run be cut short
    return record


def _equivalent_steps(record: dict[str, Any], sizes: list[str]) -> float:
    """Work of a run in full-resolution steps, counting a level's step by its share of the pixels."""
    pixels = [int(h) * int(w) for h, w in (s.split("x") for s in sizes)]
    levels = record["level_steps"]
    return sum(n * p / pixels[-1] for n, p in zip(levels, pixels[-len(levels) :], strict=True))


def _summary(record: dict[str, Any], costs: dict[str, float]) -> dict[str, Any]:
    per_level = list(costs.values())[-len(record["level_steps"]) :]  # single scale: only the finest size
    out = {
        "wall_s": round(record["wall_s"], 1),
        "cpu_estimate_s": round(record["cpu_estimate_s"], 1),
        "model_s": round(sum(c * n for c, n in zip(per_level, record["level_steps"], strict=True)), 1),
        "level_steps": record["level_steps"],
        "loss": round(record["final"]["loss"], 4),
        "multiscale_style": round(record["final"]["multiscale_style"], 4),
        "peak_rss_mb": round(record["peak_rss_mb"]),
    }
    if "at_equal_work" in record:
        eq = record["at_equal_work"]
        out["at_equal_work"] = {k: round(eq[k], 4) for k in ("loss", "multiscale_style")} | {"steps": eq["steps"]}
    if "to_pyramid_loss" in record:
        hit = record["to_pyramid_loss"]
        out["to_pyramid_loss"] = hit and {**hit, "model_s": round(hit["steps"] * per_level[-1], 1)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512])
    parser.add_argument("--work", type=float, default=3.0, help="single-scale work, × the pyramid's")
    parser.add_argument("--save", default=None, help="folder for the output images")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        run_one(*json.loads(args.one))
        return
    report: dict[str, Any] = {"env": setup(2), "content": "tubingen.jpg", "style": "starry_night.jpg", "sizes": {}}
    for size in args.sizes:
        costs = step_costs(size)
        runs = {name: _spawn(size, opts, None, None, args.save) for name, opts in PYRAMIDS.items()}
        base = runs["pyramid_lbfgs"]
        equal = round(_equivalent_steps(base, list(costs)))
        for name, opts in SINGLES.items():
            options = {**opts, "steps": round(args.work * equal)}
            runs[name] = _spawn(size, options, base["final"]["loss"], equal, args.save)
        summary = {name: _summary(r, costs) for name, r in runs.items()}
        report["sizes"][str(size)] = {"step_cost_s": costs, "equal_work_steps": equal, "summary": summary, "runs": runs}
    emit(report)


if __name__ == "__main__":
    main()
