"""A tiny benchmark harness: warm-up, interleaved repetitions, medians, a GEMM probe, peak RSS, JSON out.

These machines sometimes deliver one core's worth for minutes, so :func:`compare` interleaves the
candidates (A, B, A, B, ...) and times a fixed small GEMM beside every repetition: a slow probe marks a
repetition taken while the machine was throttled. Ratios come from medians within one run.
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

__all__ = ["compare", "emit", "fresh_process_rss", "gemm_probe", "measure", "peak_rss_mb", "setup"]


def setup(threads: int = 2) -> dict[str, Any]:
    """Fix the thread count (default 2, as on the project's CPU machines) and describe the environment."""
    torch.set_num_threads(threads)
    return {
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "python": sys.version.split()[0],
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
    }


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MiB (``VmHWM``: ``ru_maxrss`` survives ``execve`` on
    Linux, so a child of a big benchmark process would report its parent's peak)."""
    from brushwork.metrics.timing import peak_rss_mib

    peak = peak_rss_mib()
    return peak if peak is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def fresh_process_rss(statement: str, *, threads: int = 2) -> float:
    """Peak RSS (MiB) of a fresh Python process that runs ``statement`` once, with ``bench/`` importable (so a
    benchmark module's own helpers can be called, e.g. ``"import fast; fast.runner('student', '512')()"``)."""
    code = (
        f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); import torch; "
        f"torch.set_num_threads({threads}); {statement}; from harness import peak_rss_mb; print(peak_rss_mb())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return float(out.strip().splitlines()[-1])


def gemm_probe(n: int = 256, reps: int = 20) -> float:
    """Seconds for ``reps`` ``n×n`` matmuls: a yardstick for how much CPU the machine gives right now."""
    a = torch.randn(n, n)
    start = time.perf_counter()
    for _ in range(reps):
        a @ a
    return time.perf_counter() - start


def measure(fn: Callable[[], Any], *, warmup: int = 1, reps: int = 5) -> dict[str, Any]:
    """Time ``fn``: ``warmup`` untimed calls, then ``reps`` timed ones with a GEMM probe beside each."""
    for _ in range(warmup):
        fn()
    times, probes = [], []
    for _ in range(reps):
        probes.append(gemm_probe())
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return {
        "median_s": statistics.median(times),
        "min_s": min(times),
        "times_s": times,
        "probe_median_s": statistics.median(probes),
        "peak_rss_mb": peak_rss_mb(),
    }


def compare(candidates: dict[str, Callable[[], Any]], *, warmup: int = 1, reps: int = 5) -> dict[str, Any]:
    """Interleaved A/B/... timing; returns per-candidate medians and ratios to the first candidate."""
    for fn in candidates.values():
        for _ in range(warmup):
            fn()
    times: dict[str, list[float]] = {name: [] for name in candidates}
    probes: list[float] = []
    for _ in range(reps):
        for name, fn in candidates.items():
            probes.append(gemm_probe())
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    medians = {name: statistics.median(ts) for name, ts in times.items()}
    base = next(iter(medians.values()))
    return {
        "median_s": medians,
        "times_s": times,
        "ratio_to_first": {name: m / base for name, m in medians.items()},
        "probe_median_s": statistics.median(probes),
        "probe_max_s": max(probes),
        "peak_rss_mb": peak_rss_mb(),
    }


def emit(result: dict[str, Any]) -> None:
    """Print one JSON document to stdout."""
    json.dump(result, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")
