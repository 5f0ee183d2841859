"""Time per image and peak memory of a block of work, as a context manager that returns its numbers.

::

    with PerfMeter(device) as meter:
        for image in images:
            out = method(image)
            meter.lap()            # one image done (lap(n) for a batch of n)
    perf = meter.result()          # Performance(images=..., seconds=..., seconds_per_image=..., ...)
"""

from __future__ import annotations

import statistics
import sys
import time
from dataclasses import asdict, dataclass
from types import TracebackType
from typing import Any

import torch

__all__ = ["PerfMeter", "Performance", "peak_rss_mib"]


def peak_rss_mib() -> float | None:
    """This process's peak resident set size so far, in MiB (``None`` where it cannot be read).

    Linux: ``VmHWM`` of ``/proc/self/status``. Not ``getrusage``'s ``ru_maxrss``, which Linux carries across
    ``execve``: a process started by a big parent would report the parent's peak.
    """
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    try:
        import resource
    except ImportError:  # Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024  # macOS: bytes; Linux: KiB


def _synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


@dataclass(frozen=True)
class Performance:
    """What a :class:`PerfMeter` measured.

    Attributes:
        device: the device the work ran on.
        images: images counted with :meth:`PerfMeter.lap`.
        seconds: wall-clock time of the whole block.
        seconds_per_image: ``seconds / images`` (NaN when no image was counted).
        median_seconds_per_image: median over laps of lap time / lap images (robust to a slow first,
            warm-up image); NaN without laps.
        peak_rss_mib: the process's peak resident memory *since it started* (the OS keeps no per-block
            peak, so this is an upper bound for the block); ``None`` where unavailable.
        peak_cuda_mib: peak memory allocated by torch on the CUDA device during the block (reset on
            entry); ``None`` off CUDA.
    """

    device: str
    images: int
    seconds: float
    seconds_per_image: float
    median_seconds_per_image: float
    peak_rss_mib: float | None
    peak_cuda_mib: float | None

    def as_dict(self) -> dict[str, Any]:
        """Plain dict for JSON reports."""
        return asdict(self)


class PerfMeter:
    """Context manager timing a block (device-synchronised) and recording peak memory; see module doc."""

    def __init__(self, device: torch.device | str = "cpu") -> None:
        self.device = torch.device(device)
        self._start: float | None = None
        self._last = 0.0
        self._end: float | None = None
        self._laps: list[tuple[float, int]] = []
        self._peak_cuda: float | None = None

    def __enter__(self) -> PerfMeter:
        if self.device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(self.device)
        _synchronize(self.device)
        self._start = self._last = time.perf_counter()
        self._end = None
        self._laps = []
        return self

    def lap(self, images: int = 1) -> float:
        """Mark ``images`` more images done; returns the seconds since the previous lap (or the start)."""
        if self._start is None or self._end is not None:
            raise RuntimeError("PerfMeter.lap() must be called inside the with-block")
        if images < 1:
            raise ValueError(f"PerfMeter.lap: images must be >= 1, got {images}")
        _synchronize(self.device)
        now = time.perf_counter()
        elapsed, self._last = now - self._last, now
        self._laps.append((elapsed, images))
        return elapsed

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        _synchronize(self.device)
        self._end = time.perf_counter()
        if self.device.type == "cuda":
            self._peak_cuda = torch.cuda.max_memory_allocated(self.device) / 2**20

    def result(self) -> Performance:
        """The measurements of the finished block."""
        if self._start is None or self._end is None:
            raise RuntimeError("PerfMeter.result() is available after the with-block ends")
        seconds = self._end - self._start
        images = sum(n for _, n in self._laps)
        per_lap = [t / n for t, n in self._laps]
        nan = float("nan")
        return Performance(
            device=str(self.device),
            images=images,
            seconds=seconds,
            seconds_per_image=seconds / images if images else nan,
            median_seconds_per_image=statistics.median(per_lap) if per_lap else nan,
            peak_rss_mib=peak_rss_mib(),
            peak_cuda_mib=self._peak_cuda,
        )
