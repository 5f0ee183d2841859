"""The allocator tuning runs once and reports what it did; the scoped form gives the memory back."""

from __future__ import annotations

import subprocess
import sys

import pytest


def test_tune_allocator_in_a_fresh_process() -> None:
    code = "from brushwork.allocator import tune_allocator as t; print(t(), t())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["True", "True"] if sys.platform.startswith("linux") else out[0] == "False"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc only")
def test_reusing_memory_keeps_freed_memory_inside_and_returns_it_after() -> None:
    """Inside, a freed 200 MB tensor stays resident (the heap keeps it); after, the process's RSS drops back."""
    code = """
import torch
from brushwork import allocator

def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 >> 20

base = rss()
try:
    with allocator.reusing_memory():
        x = torch.ones(50 << 20)
        del x
        raise KeyError
except KeyError:
    pass
assert rss() - base < 50, "an exception inside the scope still gives the memory back"
with allocator.reusing_memory():
    with allocator.reusing_memory():  # nested: the outer one restores
        x = torch.ones(50 << 20)
        del x
    inside = rss()
after = rss()
print(base, inside, after)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    base, inside, after = (int(v) for v in out)
    assert inside - base > 150 and after - base < 50
