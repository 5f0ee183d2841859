"""Image I/O: every file in ../shared/data/bad-inputs, conversions, atomic saves, resizing, folders."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import skimage.data
import torch
from PIL import Image

from brushwork.errors import ImageError
from brushwork.imageio import (
    find_images,
    from_pil,
    guard_output,
    load_image,
    read_image,
    resize,
    save_image,
    to_pil,
)


@pytest.fixture(scope="module")
def coffee() -> np.ndarray:
    """The scikit-image coffee photo every bad-input file was made from, (400, 600, 3) in [0, 1]."""
    return skimage.data.coffee().astype(np.float32) / 255.0


def _hwc(t: torch.Tensor) -> np.ndarray:
    return t[0].permute(1, 2, 0).numpy()


def _mad(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a - b).mean())


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("zero_bytes.jpg", "empty file (0 bytes)"),
        ("text_named.jpg", "not an image"),
        ("truncated.jpg", "corrupt JPEG data"),
        ("corrupt_middle.jpg", "corrupt JPEG data"),
        ("bomb_900mp.png", "exceeds the pixel limit"),
    ],
)
def test_bad_files_raise_one_line_errors_naming_the_file(shared_data: Path, name: str, message: str) -> None:
    path = shared_data / "bad-inputs" / name
    with pytest.raises(ImageError) as info:
        read_image(path)
    text = str(info.value)
    assert str(path) in text and message in text and "\n" not in text


def test_bomb_is_refused_before_decoding(shared_data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*_a: object, **_k: object) -> None:
        raise AssertionError("decoded a bomb")

    monkeypatch.setattr(Image.Image, "load", fail)
    with pytest.raises(ImageError, match="30000x30000"):
        read_image(shared_data / "bad-inputs" / "bomb_900mp.png")


def test_pixel_limit_is_configurable(shared_data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = shared_data / "bad-inputs" / "photo.webp"
    with pytest.raises(ImageError, match="pixel limit"):
        read_image(path, max_pixels=1000)
    monkeypatch.setenv("BRUSHWORK_MAX_PIXELS", "1000")
    with pytest.raises(ImageError, match="pixel limit"):
        read_image(path)
    monkeypatch.setenv("BRUSHWORK_MAX_PIXELS", "lots")
    with pytest.raises(ImageError, match="BRUSHWORK_MAX_PIXELS"):
        read_image(path)


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="no such file"):
        read_image(tmp_path / "nope.png")
    with pytest.raises(ImageError, match="is a folder"):
        read_image(tmp_path)


@pytest.mark.parametrize("name", ["cmyk.jpg", "jpeg_named.png", "photo.webp"])
def test_colour_files_load_as_the_right_rgb(shared_data: Path, coffee: np.ndarray, name: str) -> None:
    image = read_image(shared_data / "bad-inputs" / name)
    assert image.rgb.shape == (1, 3, 400, 600) and image.rgb.dtype == torch.float32
    assert image.alpha is None
    assert _mad(_hwc(image.rgb), coffee) < 0.02  # JPEG/WebP loss only; inverted CMYK would be ~0.5


def test_gray16_is_scaled_not_clipped(shared_data: Path, coffee: np.ndarray) -> None:
    image = read_image(shared_data / "bad-inputs" / "gray16.png")
    gray = coffee @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    rgb = _hwc(image.rgb)
    assert np.allclose(rgb[..., 0], rgb[..., 1]) and np.allclose(rgb[..., 1], rgb[..., 2])
    assert _mad(rgb[..., 0], gray) < 0.005
    assert 0.3 < float(image.rgb.mean()) < 0.5


@pytest.mark.parametrize("name", ["rgba.png", "palette_alpha.png", "gray_alpha.png"])
def test_alpha_is_kept_and_composited_on_white(shared_data: Path, name: str) -> None:
    image = read_image(shared_data / "bad-inputs" / name)
    assert image.alpha is not None and image.alpha.shape == (1, 1, 400, 600)
    transparent = image.alpha[0, 0] == 0
    if transparent.any():
        assert torch.all(image.rgb[0][:, transparent] == 1.0)


def test_exif_orientation_gives_an_upright_portrait(shared_data: Path, coffee: np.ndarray) -> None:
    image = load_image(shared_data / "bad-inputs" / "exif_rotate90.jpg")
    assert image.shape == (1, 3, 600, 400)
    assert _mad(_hwc(image), np.rot90(coffee, k=-1)) < 0.02


@pytest.mark.parametrize("name", ["animated.gif", "multipage.tiff"])
def test_multi_frame_files_give_the_first_frame(shared_data: Path, name: str) -> None:
    path = shared_data / "bad-inputs" / name
    with Image.open(path) as img:
        assert img.n_frames > 1
        first = from_pil(img.convert("RGB"))
    assert torch.equal(load_image(path), first)


def test_tiny_image_loads(shared_data: Path) -> None:
    assert load_image(shared_data / "bad-inputs" / "tiny_1x1.png").shape == (1, 3, 1, 1)


@pytest.mark.parametrize("suffix", [".png", ".webp"])
def test_save_round_trips_rgb_and_alpha(tmp_path: Path, suffix: str) -> None:
    rgb = torch.rand(1, 3, 17, 23)
    alpha = torch.rand(1, 1, 17, 23)
    path = save_image(rgb, tmp_path / f"out{suffix}", alpha=alpha, quality=100)
    back = read_image(path, background=(0.0, 0.0, 0.0))
    assert back.alpha is not None
    tol = 1 / 255 + 1e-6 if suffix == ".png" else 0.08
    assert torch.allclose(back.alpha, alpha, atol=tol)
    if suffix == ".png":
        # read composites on black here, so compare the premultiplied colours
        assert torch.allclose(back.rgb, (rgb * 255).round() / 255 * back.alpha, atol=2 / 255)


def test_save_jpeg_is_atomic_and_leaves_no_temp_files(tmp_path: Path) -> None:
    out = save_image(torch.rand(3, 8, 8), tmp_path / "sub" / "x.jpg")
    assert out.is_file() and sorted(p.name for p in out.parent.iterdir()) == ["x.jpg"]
    assert load_image(out).shape == (1, 3, 8, 8)


def test_failed_save_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = save_image(torch.zeros(1, 3, 4, 4), tmp_path / "keep.png")
    before = target.read_bytes()

    def boom(*_a: object, **_k: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(Image.Image, "save", boom)
    with pytest.raises(OSError, match="disk full"):
        save_image(torch.ones(1, 3, 4, 4), target)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["keep.png"]


def test_save_rejects_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="unsupported output format"):
        save_image(torch.zeros(1, 3, 4, 4), tmp_path / "x.gif")


def test_guard_output_refuses_to_overwrite_inputs(tmp_path: Path) -> None:
    src = tmp_path / "in.png"
    guard_output(tmp_path / "out.png", [src])
    with pytest.raises(ImageError, match="refusing to overwrite"):
        guard_output(tmp_path / "." / "in.png", [src])


def test_resize_keeps_aspect_and_does_not_touch_input() -> None:
    image = torch.rand(1, 3, 40, 80)
    copy = image.clone()
    assert resize(image, long_side=20).shape == (1, 3, 10, 20)
    assert resize(image, short_side=20).shape == (1, 3, 20, 40)
    assert resize(image, size=(7, 9)).shape == (1, 3, 7, 9)
    assert resize(image, long_side=80) is image
    up = resize(image, long_side=160)
    assert up.min() >= 0 and up.max() <= 1
    assert torch.equal(image, copy)
    with pytest.raises(ValueError, match="exactly one"):
        resize(image, long_side=2, short_side=2)


def test_to_pil_and_from_pil_round_trip() -> None:
    image = (torch.rand(1, 3, 5, 6) * 255).round() / 255
    assert torch.allclose(from_pil(to_pil(image)), image)
    with pytest.raises(ValueError, match="RGB tensor"):
        to_pil(torch.rand(1, 4, 5, 6))


def test_find_images(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="no such folder"):
        find_images(tmp_path / "missing")
    with pytest.raises(ImageError, match="has no images"):
        find_images(tmp_path)
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "notes.txt").write_text("x")
    for rel in ("z.png", "a/y.JPG", "a/b/x.webp"):
        save_image(torch.rand(1, 3, 4, 4), tmp_path / rel.lower())
    assert [p.relative_to(tmp_path).as_posix() for p in find_images(tmp_path)] == ["a/b/x.webp", "a/y.jpg", "z.png"]
    assert [p.name for p in find_images(tmp_path, recursive=False)] == ["z.png"]


def test_vector_formats_are_never_opened(tmp_path: Path) -> None:
    eps = tmp_path / "drawing.png"  # content decides: an EPS named .png would start Ghostscript in Pillow
    eps.write_bytes(b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n")
    with pytest.raises(ImageError, match=r"drawing\.png: not an image"):
        read_image(eps)


def test_concurrent_reads_leave_pillow_and_warning_filters_as_they_were(tmp_path: Path) -> None:
    import warnings
    from concurrent.futures import ThreadPoolExecutor

    from PIL import Image

    paths = [save_image(torch.rand(1, 3, 40, 30), tmp_path / f"{i}.png") for i in range(16)]
    filters, limit = list(warnings.filters), Image.MAX_IMAGE_PIXELS
    with ThreadPoolExecutor(4) as pool:
        images = list(pool.map(read_image, paths * 4))
    assert len(images) == 64 and all(im.rgb.shape == (1, 3, 40, 30) for im in images)
    assert warnings.filters == filters and limit == Image.MAX_IMAGE_PIXELS


@pytest.mark.parametrize("mode", ["RGB", "L"])
def test_the_8_bit_fast_path_gives_the_general_path_s_values(mode: str) -> None:
    from brushwork.imageio import _rgb8_to_tensor, _to_float_array

    values = np.arange(256, dtype=np.uint8)
    pixels = np.stack([values, values[::-1], np.roll(values, 7)], axis=-1).reshape(16, 16, 3)
    img = Image.fromarray(pixels, mode="RGB")
    img = img if mode == "RGB" else img.convert("L")
    general = torch.from_numpy(np.ascontiguousarray(_to_float_array(img)[0])).permute(2, 0, 1).unsqueeze(0)
    assert torch.equal(_rgb8_to_tensor(img), general)
