"""Target folders: the index is read safely, photo and picture are cut at the same place, held-out styles and
test splits are refused, and the interleaved stream is a pure function of the step."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from brushwork.data.folders import decode_uint8
from brushwork.data.paired_targets import INDEX, Interleaved, TargetBatches, read_index
from brushwork.errors import ImageError


def _image(path: Path, size: tuple[int, int], seed: int) -> Path:
    rng = np.random.default_rng(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)).save(path)
    return path


def _folder(root: Path, *, n: int = 3, load: int = 24, style_name: str = "paint") -> Path:
    """``n`` pairs whose target is the photo (decoded at ``load``) inverted: 255 − photo."""
    out = root / "targets"
    out.mkdir(parents=True)
    lines = []
    for i in range(n):
        photo = _image(root / "train" / f"p{i}.png", (20 + 4 * i, 16), seed=i)
        style = _image(root / "styles" / f"{style_name}{i}.png", (30, 30), seed=100 + i)
        decoded = decode_uint8(photo, load)
        Image.fromarray((255 - decoded).permute(1, 2, 0).numpy()).save(out / f"{i:06d}.png")
        entry = {"index": i, "target": f"{i:06d}.png", "content": str(photo), "style": str(style), "load_size": load}
        lines.append(json.dumps(entry))
    (out / INDEX).write_text("\n".join(lines) + "\n")
    return out


def _batches(folder: Path, **kwargs) -> TargetBatches:
    args = {"crop": 16, "style_crop": 16, "style_load": 24, "load_size": 24, "batch_size": 4, "seed": 3, **kwargs}
    return TargetBatches(folder, **args)


def test_crops_of_photo_and_picture_are_taken_at_the_same_place(tmp_path: Path) -> None:
    source = _batches(_folder(tmp_path))
    assert len(source) == 3
    for step in range(4):
        content, style, target = source.batch(step)
        assert content.shape == target.shape == style.shape == (4, 3, 16, 16)
        assert torch.allclose(target, 1 - content, atol=1e-6)  # same place, same flip
        assert content.dtype == torch.float32 and float(content.min()) >= 0 and float(content.max()) <= 1
    again = _batches(tmp_path / "targets")
    assert all(torch.equal(a, b) for a, b in zip(source.batch(2), again.batch(2), strict=True))
    assert not torch.equal(source.batch(0)[0], source.batch(1)[0])


def test_a_torn_last_line_is_left_out_and_other_bad_lines_are_named(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    index = folder / INDEX
    index.write_text(index.read_text() + '{"index": 3, "tar')  # killed while writing
    assert [e["index"] for e in read_index(folder)] == [0, 1, 2]
    lines = index.read_text().splitlines()
    index.write_text("\n".join([lines[0], "not json", *lines[1:3]]) + "\n")
    with pytest.raises(ImageError, match="line 2 is not JSON"):
        read_index(folder)
    index.write_text(json.dumps({"index": 0, "target": "x.png"}) + "\n")
    with pytest.raises(ImageError, match="line 1 lacks content, load_size, style"):
        read_index(folder)
    assert read_index(tmp_path / "nothing") == []
    with pytest.raises(ImageError, match="no targets"):
        _batches(tmp_path / "nothing")


def test_held_out_styles_test_splits_and_other_load_sizes_are_refused(tmp_path: Path) -> None:
    folder = _folder(tmp_path / "a", style_name="candy")
    with pytest.raises(ImageError, match=r"held-out style candy1\.png"):
        _batches(folder, exclude=("candy1",))
    with pytest.raises(ImageError, match=r"painted at load size \[24\], the run trains at 32"):
        _batches(folder, load_size=32)
    entries = read_index(folder)
    entries[0]["content"] = str(tmp_path / "testB" / "x.png")
    (folder / INDEX).write_text("".join(json.dumps(e) + "\n" for e in entries))
    with pytest.raises(ImageError, match="from a test split"):
        _batches(folder)


def test_a_picture_of_another_size_than_its_photo_is_named(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    Image.new("RGB", (24, 24)).save(folder / "000001.png")  # its photo decodes to 36 × 24
    with pytest.raises(ImageError, match=r"000001.png: \(24, 24\) px, its photo decodes to \(24, 36\)"):
        _batches(folder)


class _Folders:
    domains = ("photos", "paintings")
    skipped: tuple = ()

    def batch(self, step: int) -> tuple[torch.Tensor, torch.Tensor]:
        return torch.full((1,), float(step)), torch.zeros(1)

    def preview(self, count: int = 2) -> tuple[torch.Tensor, torch.Tensor]:
        return torch.ones(count), torch.zeros(count)


def test_interleaved_serves_a_target_batch_every_k_steps(tmp_path: Path) -> None:
    targets = _batches(_folder(tmp_path))
    mixed = Interleaved(_Folders(), targets, every=3)
    sizes = [len(mixed.batch(step)) for step in range(7)]
    assert sizes == [3, 2, 2, 3, 2, 2, 3]
    assert torch.equal(mixed.batch(3)[0], targets.batch(1)[0]) and float(mixed.batch(4)[0]) == 4.0
    assert mixed.domains == ("photos", "paintings") and mixed.skipped == () and len(mixed.preview(2)[0]) == 2
    assert all(len(Interleaved(_Folders(), targets, every=1).batch(s)) == 3 for s in range(3))
    with pytest.raises(ValueError, match="every=0"):
        Interleaved(_Folders(), targets, every=0)


def test_a_box_cuts_the_photo_where_its_picture_was_painted(tmp_path: Path) -> None:
    folder = _folder(tmp_path, n=1, load=24)  # the photo decodes to 30 × 24
    photo = decode_uint8(Path(read_index(folder)[0]["content"]), 24)
    part = photo[:, 2:22, 5:25]
    Image.fromarray((255 - part).permute(1, 2, 0).numpy()).save(folder / "000000.png")
    entry = {**read_index(folder)[0], "box": [2, 5, 20, 20]}
    (folder / INDEX).write_text(json.dumps(entry) + "\n")
    source = _batches(folder, crop=20, batch_size=2)
    content, _, target = source.batch(0)
    assert torch.allclose(target, 1 - content, atol=1e-6)
    unflipped = part.float().div(255)
    assert any(torch.equal(c, unflipped) or torch.equal(c, unflipped.flip(-1)) for c in content)
    with pytest.raises(ImageError, match="under the crop 24"):
        _batches(folder, crop=24)
