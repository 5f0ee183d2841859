"""bench/hd_photos.py: the held-out full-resolution photos, written from the unpacked wallpaper packages."""

from __future__ import annotations

import pytest
from PIL import Image


@pytest.fixture(scope="module")
def hd(load_script):
    return load_script("bench/hd_photos.py")


def test_writes_every_photo_shrunk_to_the_long_side_and_keeps_small_ones(hd, tmp_path):
    root = tmp_path / "pkgs"
    for i, rel in enumerate(hd.PHOTOS.values()):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (64, 40) if i else (20, 10), (i, 2 * i, 3 * i)).save(root / rel, format="JPEG")
    written = hd.write_photos(root, tmp_path / "out", side=32)
    assert sorted(p.stem for p in written) == sorted(hd.PHOTOS)
    sizes = []
    for path in written:
        with Image.open(path) as img:
            sizes.append(img.size)
    assert sizes.count((32, 20)) == len(hd.PHOTOS) - 1 and (20, 10) in sizes  # never enlarged


def test_names_the_missing_photo(hd, tmp_path):
    with pytest.raises(SystemExit, match=r"BytheWater.*missing"):
        hd.write_photos(tmp_path, tmp_path / "out", side=32)


def test_the_confirmation_set_is_other_photos(hd, tmp_path):
    assert not set(hd.CONFIRM) & set(hd.PHOTOS) and not set(hd.CONFIRM.values()) & set(hd.PHOTOS.values())
    root = tmp_path / "pkgs"
    for rel in hd.CONFIRM.values():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (64, 40)).save(root / rel, format="JPEG")
    written = hd.write_photos(root, tmp_path / "out", side=48, photos=hd.CONFIRM)
    assert sorted(p.stem for p in written) == sorted(hd.CONFIRM)


def test_the_three_sets_share_no_photo(hd):
    names = [set(s) for s in hd.SETS.values()]
    files = [set(s.values()) for s in hd.SETS.values()]
    assert sum(map(len, names)) == len(set().union(*names)) and sum(map(len, files)) == len(set().union(*files))
