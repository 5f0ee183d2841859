"""scripts/gatys_targets.py: pairs drawn as a pure function of (seed, i), pictures at the decoded photo's size,
an index a training run reads, and a resumed campaign that paints only what is missing."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from PIL import Image

from brushwork.data.paired_targets import TargetBatches, read_index


@pytest.fixture(scope="module")
def script(load_script):
    return load_script("scripts/gatys_targets.py")


def _images(folder: Path, names: list[str], size: tuple[int, int] = (40, 32)) -> list[Path]:
    folder.mkdir(parents=True)
    rng = np.random.default_rng(len(names))
    for name in names:
        Image.fromarray(rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)).save(folder / name)
    return sorted(folder.iterdir())


def test_pairs_are_a_pure_function_of_seed_and_index(script, tmp_path: Path) -> None:
    photos, paintings = [Path(f"p{i}") for i in range(50)], [Path(f"s{i}") for i in range(7)]
    first = [script.draw(3, i, photos, paintings)[:2] for i in range(20)]
    assert first == [script.draw(3, i, photos, paintings)[:2] for i in range(20)]
    assert first != [script.draw(4, i, photos, paintings)[:2] for i in range(20)]
    assert len({p for p, _ in first}) > 10 and len({s for _, s in first}) > 3


def test_the_picture_has_the_decoded_photos_size(script, tmp_path: Path, monkeypatch) -> None:
    (photo,) = _images(tmp_path / "photos", ["a.png"], size=(30, 20))
    (painting,) = _images(tmp_path / "paintings", ["b.png"])
    seen = {}

    def fake(content, style, **kwargs):
        seen.update(kwargs, shape=tuple(content.shape))
        return SimpleNamespace(image=1 - content)

    monkeypatch.setattr(script, "stylize_result", fake)
    picture, box = script.paint(photo, painting, 24, seed=5)
    assert picture.size == (36, 24) and seen["shape"] == (1, 3, 24, 36) and box is None
    assert seen["method"] == "gatys" and seen["size"] == 36 and seen["seed"] == 5 and seen["style_scale"] == 1.0
    assert seen["precision"] == "fp32"  # a campaign's pictures do not change with the machine's default
    place = script.draw(0, 1, [photo], [painting])[2]
    again = script.draw(0, 1, [photo], [painting])[2]
    picture, box = script.paint(photo, painting, 24, seed=5, crop=16, place=place)
    assert picture.size == (16, 16) and seen["size"] == 16 and seen["style_scale"] == 36 / 16  # strokes as whole
    assert box == script.paint(photo, painting, 24, seed=5, crop=16, place=again)[1]
    top, left, h, w = box
    assert h == w == 16 and 0 <= top <= 8 and 0 <= left <= 20
    monkeypatch.setattr(script, "stylize_result", lambda content, style, **kw: SimpleNamespace(image=content[..., :8]))
    with pytest.raises(RuntimeError, match="the picture is"):
        script.paint(photo, painting, 24, seed=5)


def test_a_campaign_resumes_and_a_run_reads_it(script, tmp_path: Path, monkeypatch) -> None:
    _images(tmp_path / "photos", [f"{i}.png" for i in range(6)])
    _images(tmp_path / "paintings", ["keep1.png", "keep2.png", "udnie.png"])
    painted: list[str] = []

    def paint(content: Path, style: Path, load_size: int, seed: int, *, crop: int, place) -> tuple:
        painted.append(content.name)
        from brushwork.data.folders import decode_uint8

        photo = decode_uint8(content, load_size)
        top = int(place.integers(photo.shape[-2] - crop + 1))
        part = photo[:, top : top + crop, :crop]
        return Image.fromarray((255 - part).permute(1, 2, 0).numpy()), [top, 0, crop, crop]

    monkeypatch.setattr(script, "paint", paint)
    out = tmp_path / "targets"
    argv = ["gatys_targets.py", str(out), "--content", str(tmp_path / "photos"), "--load-size", "32", "--crop", "24"]
    argv += ["--style", str(tmp_path / "paintings"), "--exclude-style", "udnie"]
    monkeypatch.setattr(sys, "argv", [*argv, "--count", "3"])
    script.main()
    monkeypatch.setattr(sys, "argv", [*argv, "--count", "5"])
    script.main()
    entries = read_index(out)
    assert [e["index"] for e in entries] == list(range(5)) and len(painted) == 5
    assert not any("udnie" in e["style"] for e in entries) and not list(out.glob(".*.tmp"))
    assert all(e["box"][2:] == [24, 24] and Path(e["content"]).is_absolute() for e in entries)
    index = out / "index.jsonl"
    index.write_text(index.read_text() + '{"index": 5, "targ')  # killed while writing the sixth
    monkeypatch.setattr(sys, "argv", [*argv, "--count", "7"])
    script.main()
    assert [e["index"] for e in read_index(out)] == list(range(7))  # the torn line cut, not built upon
    monkeypatch.setattr(sys, "argv", [*argv, "--count", "8", "--seed", "1"])
    with pytest.raises(SystemExit, match="campaign has"):
        script.main()
    batches = TargetBatches(out, crop=16, style_crop=16, style_load=32, load_size=32, batch_size=2, exclude=("udnie",))
    content, _, target = batches.batch(0)
    assert torch.allclose(target, 1 - content, atol=1e-6)
