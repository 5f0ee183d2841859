"""Gatys benchmark: pyramid vs single scale, L-BFGS vs Adam, at 256 and 512 px (long side), 2 threads.

Content ``../shared/data/content/tubingen.jpg``, style ``styles/starry_night.jpg``. Every run is a fresh
subprocess, so ``peak_rss_mb`` is that run's own. For each size the two pyramid runs (default settings, and
Adam) go first; the single-scale runs then stop once their full-resolution loss reaches the pyramid L-BFGS
run's final loss, or after ``--cap`` × its time, and report the step and time at which they got there.

The machine may be shared, so three clocks are reported: ``wall_s``; ``cpu_estimate_s`` (process CPU time /
threads, what two dedicated cores would take, inflated a little by spin-waits under contention); and
``model_s`` = Σ over levels of steps × the fastest of 12 timed steps at that size (the uncontended speed).

    .venv/bin/python bench/gatys.py [--sizes 256 512] [--save out/bench] [--cap 3] > gatys.json
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
RUNS: dict[str, dict[str, Any]] = {
    "pyramid_lbfgs": {},  # the defaults
    "pyramid_adam": {"optimizer": "adam"},
    "single_lbfgs": {"levels": 1, "steps": 1000},
    "single_adam": {"levels": 1, "steps": 1000, "optimizer": "adam"},
}


class _StopRunError(Exception):
    pass


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _images(size: int) -> tuple[Any, Any]:
    from brushwork.imageio import load_image, resize

    content = resize(load_image(DATA / "content" / "tubingen.jpg"), long_side=size)
    return content, load_image(DATA / "styles" / "starry_night.jpg")


def run_one(size: int, options: dict[str, Any], target: float | None, cap_s: float | None, save: str | None) -> None:
    """One run in this process; prints its JSON line."""
    from brushwork.imageio import save_image
    from brushwork.methods.gatys import GatysConfig, stylize
    from brushwork.models.encoders import load_vgg16

    threads = setup(2)["threads"]
    encoder = load_vgg16()
    content, style = _images(size)
    trace: list[tuple[int, float, float, float]] = []  # (level, wall s, cpu s / threads, loss) per step
    start, cpu0 = time.perf_counter(), _cpu_seconds()

    def on_step(step: Any) -> None:
        cpu = (_cpu_seconds() - cpu0) / threads
        trace.append((step.level, time.perf_counter() - start, cpu, step.losses["total"]))
        last = step.level == step.levels - 1
        if last and ((target is not None and trace[-1][3] <= target) or (cap_s is not None and cpu > cap_s)):
            raise _StopRunError

    record: dict[str, Any] = {"size": size, "options": options, "threads": threads}
    try:
        result = stylize(content, [style], encoder=encoder, config=GatysConfig(**options), on_step=on_step)
        record.update(final=result.final, initial=result.initial)
        if save:
            name = "_".join(f"{k}{v}" for k, v in options.items()) or "default"
            save_image(result.image, Path(save) / f"gatys_{size}_{name}.png")
    except _StopRunError:
        record.update(final={"total": trace[-1][3]}, stopped_early=True)
    record.update(wall_s=time.perf_counter() - start, cpu_s=_cpu_seconds() - cpu0, peak_rss_mb=peak_rss_mb())
    record["cpu_estimate_s"] = record["cpu_s"] / threads
    record["level_steps"] = [sum(1 for t in trace if t[0] == level) for level in range(trace[-1][0] + 1)]
    if target is not None:
        hit = next(((i + 1, w, c) for i, (_, w, c, loss) in enumerate(trace) if loss <= target), None)
        keys = ("steps", "wall_s", "cpu_estimate_s")
        record["to_target"] = None if hit is None else dict(zip(keys, hit, strict=True))
    print(json.dumps(record))


def step_costs(size: int, reps: int = 12) -> dict[str, float]:
    """Fastest of ``reps`` times of one default step at each pyramid level's size ("HxW" -> seconds)."""
    import torch

    from brushwork.methods import gatys
    from brushwork.models.encoders import LAYER_NAMES, load_vgg16

    config = gatys.GatysConfig()
    encoder = gatys._with_pool(load_vgg16(), config.pool)
    layers = sorted({config.content_layer, *config.style_layers}, key=LAYER_NAMES.index)
    content, style = _images(size)
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


def _spawn(size: int, options: dict[str, Any], target: float | None, cap: float | None, save: str | None) -> dict:
    args = [sys.executable, __file__, "--one", json.dumps([size, options, target, cap, save])]
    probe = gemm_probe()
    done = subprocess.run(args, capture_output=True, text=True, check=True)
    record = json.loads(done.stdout.strip().splitlines()[-1])
    record["probe_s"] = probe
    print(f"{size} {options}: {record['wall_s']:.1f} s, loss {record['final']['total']:.4f}", file=sys.stderr)
    return record


def _summary(record: dict[str, Any], costs: dict[str, float]) -> dict[str, Any]:
    per_level = list(costs.values())[-len(record["level_steps"]) :]  # single scale: only the finest size
    out = {
        "wall_s": round(record["wall_s"], 1),
        "cpu_estimate_s": round(record["cpu_estimate_s"], 1),
        "model_s": round(sum(c * n for c, n in zip(per_level, record["level_steps"], strict=True)), 1),
        "final_loss": round(record["final"]["total"], 4),
        "level_steps": record["level_steps"],
        "peak_rss_mb": round(record["peak_rss_mb"]),
    }
    if "to_target" in record:
        hit = record["to_target"]
        out["reached_pyramid_loss"] = hit is not None
        if hit is not None:
            out["to_pyramid_loss"] = {**hit, "model_s": round(hit["steps"] * per_level[-1], 1)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[256, 512])
    parser.add_argument("--cap", type=float, default=3.0, help="single-scale CPU-time limit, × the pyramid's")
    parser.add_argument("--save", default=None, help="folder for the output images")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        run_one(*json.loads(args.one))
        return
    report: dict[str, Any] = {"env": setup(2), "content": "tubingen.jpg", "style": "starry_night.jpg", "sizes": {}}
    for size in args.sizes:
        costs = step_costs(size)
        runs = {name: _spawn(size, RUNS[name], None, None, args.save) for name in ("pyramid_lbfgs", "pyramid_adam")}
        base = runs["pyramid_lbfgs"]
        for name in ("single_lbfgs", "single_adam"):
            cap = args.cap * base["cpu_estimate_s"]
            runs[name] = _spawn(size, RUNS[name], base["final"]["total"], cap, args.save)
        summary = {name: _summary(r, costs) for name, r in runs.items()}
        report["sizes"][str(size)] = {"step_cost_s": costs, "summary": summary, "runs": runs}
    emit(report)


if __name__ == "__main__":
    main()
