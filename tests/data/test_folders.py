from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from brushwork.data.folders import UnpairedBatches, decode_uint8
from brushwork.errors import ImageError


def test_batches_have_the_crop_shape_and_unit_range(make_unpaired, tmp_path: Path) -> None:
    data = UnpairedBatches(make_unpaired(tmp_path), crop_size=32, batch_size=3)
    a, b = data.batch(0)
    assert a.shape == b.shape == (3, 3, 32, 32)
    assert a.dtype == torch.float32 and a.min() >= 0 and a.max() <= 1
    assert data.load_size == 36
    # domains stay apart: A is reddish, B bluish
    assert a[:, 0].mean() > a[:, 2].mean() and b[:, 2].mean() > b[:, 0].mean()


def test_batches_are_a_pure_function_of_seed_and_step(make_unpaired, tmp_path: Path) -> None:
    root = make_unpaired(tmp_path)
    one = UnpairedBatches(root, crop_size=32, seed=5)
    two = UnpairedBatches(root, crop_size=32, seed=5, cache=False)
    for step in (7, 0, 3):
        assert all(torch.equal(x, y) for x, y in zip(one.batch(step), two.batch(step), strict=True))
    assert not torch.equal(one.batch(0)[0], one.batch(1)[0])
    assert not torch.equal(one.batch(0)[0], UnpairedBatches(root, crop_size=32, seed=6).batch(0)[0])


def test_an_epoch_visits_every_image_once_and_ranks_are_disjoint(make_unpaired, tmp_path: Path) -> None:
    root = make_unpaired(tmp_path, n_a=4, n_b=6)
    seen: list[int] = []
    for rank in (0, 1):
        data = UnpairedBatches(root, crop_size=32, rank=rank, world_size=2, flip=False, seed=1)
        for step in range(2):  # 2 steps x 2 ranks = one epoch of A
            first = (step * 2 + rank) * data.batch_size
            epoch, offset = divmod(first, 4)
            seen.append(int(data._permutation(0, epoch)[offset]))
    assert sorted(seen) == [0, 1, 2, 3]


def test_preview_is_fixed_centre_crops(make_unpaired, tmp_path: Path) -> None:
    data = UnpairedBatches(make_unpaired(tmp_path), crop_size=32)
    a, b = data.preview(2)
    assert a.shape == b.shape == (2, 3, 32, 32)
    assert torch.equal(a, data.preview(2)[0])


def test_missing_and_empty_folders_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="no such data folder"):
        UnpairedBatches(tmp_path / "nope", crop_size=32)
    (tmp_path / "trainB").mkdir()
    with pytest.raises(ImageError, match=r"trainA: missing"):
        UnpairedBatches(tmp_path, crop_size=32)
    (tmp_path / "trainA").mkdir()
    with pytest.raises(ImageError, match=r"trainA: folder has no images"):
        UnpairedBatches(tmp_path, crop_size=32)


def test_corrupt_files_are_skipped_counted_and_logged(
    make_unpaired, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = make_unpaired(tmp_path, n_a=3)
    good = (root / "trainA" / "000.jpg").read_bytes()
    (root / "trainA" / "broken.jpg").write_bytes(good[: len(good) // 2])
    (root / "trainA" / "notes.png").write_text("not an image")
    with caplog.at_level(logging.WARNING, logger="brushwork.data.folders"):
        data = UnpairedBatches(root, crop_size=32)
    assert len(data.domains[0]) == 3 and len(data.skipped) == 2
    assert {p.name for p, _ in data.skipped} == {"broken.jpg", "notes.png"}
    assert "broken.jpg" in caplog.text
    for name in ("000.jpg", "001.png", "002.jpg", "003.png", "004.jpg", "005.png"):
        (root / "trainB" / name).write_bytes(b"\xff\xd8\xff garbage")
    with pytest.raises(ImageError, match="none of its 6 images could be read"):
        UnpairedBatches(root, crop_size=32)


def test_crop_larger_than_load_size_is_refused(make_unpaired, tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="smaller than the crop"):
        UnpairedBatches(make_unpaired(tmp_path), crop_size=32, load_size=30)


def test_decode_fast_path_matches_the_general_reader(tmp_path: Path) -> None:
    arr = (np.random.default_rng(0).random((50, 80, 3)) * 255).astype(np.uint8)
    Image.fromarray(arr).save(tmp_path / "x.jpg", quality=95)
    Image.fromarray(arr).convert("L").save(tmp_path / "gray.jpg")
    Image.fromarray(arr).convert("RGBA").save(tmp_path / "rgba.png")
    fast = decode_uint8(tmp_path / "x.jpg", 50)
    assert fast.shape == (3, 50, 80) and fast.dtype == torch.uint8
    Image.fromarray(fast.permute(1, 2, 0).numpy()).save(tmp_path / "y.png")
    assert decode_uint8(tmp_path / "gray.jpg", 25).shape == (3, 25, 40)
    assert decode_uint8(tmp_path / "rgba.png", 50).shape == (3, 50, 80)
    slow = decode_uint8(tmp_path / "y.png", 50)
    assert torch.equal(fast, slow)


def test_domain_b_may_have_its_own_crop_and_load_size(make_unpaired, tmp_path: Path) -> None:
    data = UnpairedBatches(make_unpaired(tmp_path), crop_size=16, load_size=24, crop_size_b=32, batch_size=2)
    a, b = data.batch(0)
    assert a.shape == (2, 3, 16, 16) and b.shape == (2, 3, 32, 32)
    assert data.load_sizes == (24, 36)  # B's load follows its own crop (× 286/256)
    assert [x.shape[-1] for x in data.preview(2)] == [16, 32]
    with pytest.raises(ImageError, match="smaller than the crop"):
        UnpairedBatches(make_unpaired(tmp_path), crop_size=16, crop_size_b=32, load_size_b=30)
