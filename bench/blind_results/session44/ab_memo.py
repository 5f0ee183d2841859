"""Session 44: ``brushwork.stylize(method="fast")`` with the style-code memo on and off, interleaved with the peer and
a GEMM probe in one process (2 threads; tubingen × candy as in bench/fast.py); medians of 7 per size, in ms.

    .venv/bin/python bench/blind_results/session44/ab_memo.py 512 1024 1920 4k
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
import fast
from brushwork.methods import student


def _off(module: Any, image: torch.Tensor, compute: Callable[[torch.Tensor], torch.Tensor], *, tag: str) -> Any:
    return compute(image)


def _gemm_ms() -> float:
    a = torch.rand(512, 512)
    start = time.perf_counter()
    for _ in range(20):
        a @ a
    return (time.perf_counter() - start) / 20 * 1000


def main() -> None:
    torch.set_num_threads(2)
    real = student.memoized
    for size in sys.argv[1:]:
        ours, peer = fast.runner("student", size), fast.runner("peer", size)
        for _ in range(2):
            ours(), peer()
        times: dict[str, list[float]] = {"on": [], "off": [], "peer": [], "gemm": []}
        for _ in range(7):
            for name in ("off", "on", "peer"):
                student.memoized = real if name == "on" else _off
                run = peer if name == "peer" else ours
                start = time.perf_counter()
                run()
                times[name].append((time.perf_counter() - start) * 1000)
            times["gemm"].append(_gemm_ms())
        student.memoized = real
        print(size, {k: round(sorted(v)[len(v) // 2], 1) for k, v in times.items()}, flush=True)


if __name__ == "__main__":
    main()
