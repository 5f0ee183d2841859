"""The allocator tuning runs once and reports what it did."""

from __future__ import annotations

import subprocess
import sys


def test_tune_allocator_in_a_fresh_process() -> None:
    code = "from brushwork.allocator import tune_allocator as t; print(t(), t())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["True", "True"] if sys.platform.startswith("linux") else out[0] == "False"
