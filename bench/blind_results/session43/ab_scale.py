"""Session 43: ``fast`` with the new working-scale defaults against ``work_scale=0.875`` (the old default), timed
interleaved in one run at 1920 px and 3840×2160 (tubingen × candy, 2 threads), then the 4K seams measure.

    .venv/bin/python bench/blind_results/session43/ab_scale.py
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
import fast as bench
from harness import gemm_probe


def main() -> None:
    torch.set_num_threads(2)
    result: dict[str, object] = {}
    for size, reps in (("1920", 5), ("4k", 3)):
        runs = {"new": bench.runner("student", size), "old": bench.runner("student", size, None, work_scale=0.875)}
        for run in runs.values():
            run()  # warm
        times: dict[str, list[float]] = {name: [] for name in runs}
        probes = []
        for _ in range(reps):
            for name, run in runs.items():
                start = time.perf_counter()
                run()
                times[name].append(time.perf_counter() - start)
            probes.append(gemm_probe())
        result[size] = {name: round(statistics.median(t), 3) for name, t in times.items()}
        result[size]["probe_median_s"] = statistics.median(probes)
        print(size, result[size], file=sys.stderr, flush=True)
    result["seams"] = bench._seams(None)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
