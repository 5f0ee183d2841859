"""Process-wide memory allocator settings that make repeated large tensor allocations cheap.

With glibc's defaults, every allocation above the (dynamic, at most 32 MB) mmap threshold is a fresh ``mmap``
and every free an ``munmap``: each forward pass of a network at 512 px maps, zero-fills (page faults) and
unmaps hundreds of MB of activations. Raising the mmap and trim thresholds lets glibc keep and reuse that
memory in its heap. Measured (ResNet-9 generator, 512 px, 2 threads, median of 5, two interleaved rounds):
1.85 / 3.11 s → 1.28 / 1.28 s. The cost: freed memory stays with the process until it exits (peak RSS is
unchanged), which suits a command-line run; library users opt in with :func:`tune_allocator`.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import sys

__all__ = ["tune_allocator"]

log = logging.getLogger(__name__)
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_LIMIT = 2**31 - 1  # mallopt takes an int
_done = False


def tune_allocator() -> bool:
    """Raise glibc's mmap and trim thresholds for this process (once); ``False`` where not glibc."""
    global _done  # noqa: PLW0603 (a process-wide, once-only setting)
    if _done:
        return True
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False  # musl and others: nothing to tune
    ok = bool(mallopt(_M_MMAP_THRESHOLD, ctypes.c_int(_LIMIT))) and bool(
        mallopt(_M_TRIM_THRESHOLD, ctypes.c_int(_LIMIT))
    )
    log.debug("glibc mmap/trim thresholds raised: %s", ok)
    _done = ok
    return ok
