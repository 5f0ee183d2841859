"""bench/arbitrary_quality.py: prototype specs (``py:PATH.py[:ARG]``) load a ``make(arg)`` from a file."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image


@pytest.fixture(scope="module")
def aq(load_script):
    return load_script("bench/arbitrary_quality.py")


def test_a_prototype_file_is_loaded_with_its_argument(aq, tmp_path: Path) -> None:
    proto = tmp_path / "tint.py"
    proto.write_text(
        "from PIL import Image\n"
        "def make(arg):\n"
        "    level = int(arg or 0)\n"
        "    return lambda photo, style: Image.new('RGB', photo.size, (level, 0, 0))\n"
    )
    photo = Image.new("RGB", (16, 8), (9, 9, 9))
    assert aq.ours(f"py:{proto}:200", 16)(photo, photo).getpixel((0, 0)) == (200, 0, 0)
    assert aq.ours(f"py:{proto}", 16)(photo, photo).getpixel((3, 3)) == (0, 0, 0)
    assert aq.label_for(f"py:{proto}:200") == "ours[py:tint.py:200]"
    assert aq.label_for(f"py:{proto}") == "ours[py:tint.py]"
    (tmp_path / "empty.py").write_text("X = 1\n")
    with pytest.raises(SystemExit, match="no make"):
        aq.ours(f"py:{tmp_path / 'empty.py'}", 16)
    with pytest.raises(SystemExit, match="no file"):
        aq.ours(f"py:{tmp_path / 'absent.py'}:1", 16)
