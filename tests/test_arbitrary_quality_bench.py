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


def test_our_spec_keeps_the_numbers_of_its_last_picture(aq) -> None:
    photo = Image.new("RGB", (256, 192), (40, 120, 200))
    painting = Image.new("RGB", (48, 48), (200, 40, 40))
    run = aq.ours("fast:fast,work_scale=0.5,palette=0", 256)
    picture = run(photo, painting)
    assert picture.size == photo.size
    assert run.numbers["work_scale"] == pytest.approx(0.5, abs=0.02) and run.numbers["palette"] == 0


def test_gatys_is_a_spec_without_a_model(aq) -> None:
    run = aq.ours("gatys,style_scale=0.5", 64)
    assert (run.method, run.model, run.options) == ("gatys", None, {"style_scale": 0.5})
    assert aq.ours("gatys@0.5", 64).options == {"strength": 0.5}  # Gatys has a strength, no alpha
    assert aq.ours("gatys,precision=fp32", 64).options == {"precision": "fp32"}  # a word, not a number
    assert aq.ours("fast:fast,precision=bf16", 64).options == {"precision": "bf16"}
    with pytest.raises(SystemExit, match="precision='fb16' is not one of auto, fp32, bf16"):
        aq.ours("gatys,precision=fb16", 64)
    with pytest.raises(SystemExit, match="not one of"):
        aq.ours("gatys,work_scale=0.5", 64)
    assert aq.ours("fast:fast,underpaint_by=gatys", 64).options == {"underpaint_by": "gatys"}
    with pytest.raises(SystemExit, match="underpaint_by='oil' is not one of quilt, gatys"):
        aq.ours("fast:fast,underpaint_by=oil", 64)
    assert (aq.ours("fast:fast", 64).method, aq.ours("adain", 64).model) == ("fast", "adain")
    assert aq.label_for("gatys") == "ours[gatys]"


def test_prototype_settings_take_known_keys_as_text(aq) -> None:
    assert aq.prototype_settings("k=0.3;net=/x", {"k": "1", "net": ""}, "p") == {"k": "0.3", "net": "/x"}
    assert aq.prototype_settings("", {"k": "1"}, "p") == {"k": "1"}
    for bad in ("z=1", "k=", "k"):
        with pytest.raises(SystemExit, match=r"p: .* is not one of k="):
            aq.prototype_settings(bad, {"k": "1"}, "p")
