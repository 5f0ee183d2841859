"""Folder runs of ``brushwork translate``: glob patterns, skip-existing, tiling, and sharding under torchrun."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from brushwork.batchwork import expand_inputs, prefetch, shard
from brushwork.checkpoint import save_model_dir
from brushwork.cli import main
from brushwork.errors import ImageError
from brushwork.imageio import load_image, save_image
from brushwork.methods.cyclegan import CycleGAN, CycleGANConfig


@pytest.fixture
def model_dir(tmp_path: Path) -> Path:
    model = CycleGAN(CycleGANConfig(ngf=4, blocks=1, ndf=4, crop_size=32))
    return save_model_dir(tmp_path / "model", weights=model.weights(), config=model.model_config())


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    gen = torch.Generator().manual_seed(0)
    for i in range(5):
        save_image(torch.rand(1, 3, 24 + i, 32, generator=gen), tmp_path / "photos" / f"p{i}.png")
    (tmp_path / "photos" / "broken.jpg").write_bytes(b"\xff\xd8\xff not really")
    return tmp_path / "photos"


def test_helpers() -> None:
    assert shard(list(range(7)), 1, 3) == [1, 4] and shard(list(range(7)), 0, 1) == list(range(7))
    results = list(prefetch([1, 2, 3, 4, 5], lambda x: x * 10 if x != 3 else (_ for _ in ()).throw(ImageError("x"))))
    assert [r for _, r in results if not isinstance(r, ImageError)] == [10, 20, 40, 50]
    with pytest.raises(ImageError, match="no file matches"):
        expand_inputs(["/nonexistent/*.jpg"])


def test_glob_skip_existing_and_a_bad_file_counted(tmp_path: Path, model_dir: Path, photos: Path, capsys) -> None:
    out = tmp_path / "out"
    assert main(["translate", str(model_dir), str(photos / "p[0-2].png"), "-o", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["p0.png", "p1.png", "p2.png"]
    capsys.readouterr()
    assert main(["translate", str(model_dir), str(photos), "-o", str(out), "--skip-existing", "--jobs", "0"]) == 1
    printed = capsys.readouterr()
    assert "translated 2 image(s)" in printed.out and "3 already done" in printed.out and "1 failed" in printed.out
    assert "broken.jpg" in printed.err and len(list(out.iterdir())) == 5


def test_forced_tiling_matches_whole_images(tmp_path: Path, model_dir: Path) -> None:
    src = save_image(torch.rand(1, 3, 90, 120), tmp_path / "big.png")
    assert main(["translate", str(model_dir), str(src), "-o", str(tmp_path / "whole.png"), "--tile", "0", "-q"]) == 0
    assert main(["translate", str(model_dir), str(src), "-o", str(tmp_path / "tiled.png"), "--tile", "64", "-q"]) == 0
    whole, tiled = load_image(tmp_path / "whole.png"), load_image(tmp_path / "tiled.png")
    psnr = 10 * torch.log10(1 / (whole - tiled).pow(2).mean())
    assert psnr > 35


def test_torchrun_shards_a_folder_without_overlap(tmp_path: Path, model_dir: Path, photos: Path, torchrun) -> None:
    out = tmp_path / "out"
    args = ["translate", str(model_dir), str(photos), "-o", str(out), "--device", "cpu"]
    proc = torchrun("-m", "brushwork", *args, timeout=180)
    assert proc.returncode == 1, proc.stderr[-2000:]  # the broken file fails on exactly one rank
    lines = sorted(line for line in proc.stdout.splitlines() if line.startswith("[rank"))
    assert len(lines) == 2  # sorted jobs broken, p0..p4: rank 0 gets broken, p1, p3; rank 1 gets p0, p2, p4
    assert lines[0].startswith("[rank 0/2] translated 2") and lines[0].endswith("1 failed")
    assert lines[1].startswith("[rank 1/2] translated 3") and "failed" not in lines[1]
    assert sorted(p.name for p in out.iterdir()) == [f"p{i}.png" for i in range(5)]


def test_a_rank_with_a_failure_waits_for_the_slower_rank(tmp_path: Path, model_dir: Path, torchrun) -> None:
    """torchrun stops every rank once one exits non-zero: the rank with the broken file (quick) must not exit
    before the rank with the large photos has written them."""
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "p0_broken.jpg").write_bytes(b"not an image")  # sorted: rank 0 gets p0, p2, p4; rank 1 p1, p3, p5
    gen = torch.Generator().manual_seed(1)
    for i in (2, 4):
        save_image(torch.rand(1, 3, 16, 16, generator=gen), folder / f"p{i}.png")
    for i in (1, 3, 5):
        save_image(torch.rand(1, 3, 1200, 1600, generator=gen), folder / f"p{i}_big.png")
    out = tmp_path / "out"
    args = ["translate", str(model_dir), str(folder), "-o", str(out), "--device", "cpu"]
    proc = torchrun("-m", "brushwork", *args, timeout=300)
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert sorted(p.name for p in out.iterdir()) == ["p1_big.png", "p2.png", "p3_big.png", "p4.png", "p5_big.png"]
    assert sum(line.startswith("[rank") for line in proc.stdout.splitlines()) == 2


@pytest.mark.integration
def test_compile_gives_the_same_images(tmp_path: Path, model_dir: Path, photos: Path) -> None:
    base = ["translate", str(model_dir), str(photos / "p0.png"), "--precision", "fp32", "-q"]
    assert main([*base, "-o", str(tmp_path / "eager.png")]) == 0
    assert main([*base, "-o", str(tmp_path / "compiled.png"), "--compile"]) == 0
    assert (load_image(tmp_path / "eager.png") - load_image(tmp_path / "compiled.png")).abs().max() <= 1 / 255


def test_videos_are_translated_frame_by_frame_beside_images(tmp_path: Path, model_dir: Path, photos: Path) -> None:
    from brushwork.api.translate import load_model, translate
    from brushwork.video import probe, read_frames, write_video

    smooth = [torch.rand(1, 3, 4, 6, generator=torch.Generator().manual_seed(i)) for i in range(3)]
    frames = [torch.nn.functional.interpolate(f, size=(32, 48), mode="bilinear") for f in smooth]
    clip = write_video(frames, tmp_path / "clip.mp4", fps=10)
    out = tmp_path / "out"
    args = ["translate", str(model_dir), str(clip), str(photos / "p0.png"), "-o", str(out), "--precision", "fp32"]
    assert main([*args, "-q"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["clip.mp4", "p0.png"]
    info = probe(out / "clip.mp4")
    assert (info.frames, info.width, info.height, info.fps) == (3, 48, 32, 10)
    # each written frame is the model's translation of its input frame (up to H.264's losses), not the input
    model = load_model(model_dir, device="cpu")
    psnr = lambda a, b: float(10 * torch.log10(1 / (a - b).pow(2).mean()))  # noqa: E731
    for src, dst in zip(read_frames(clip), read_frames(out / "clip.mp4"), strict=True):
        expected = translate(model, src, precision="fp32")
        assert psnr(expected, dst) > max(22.0, psnr(src, dst) + 6), (psnr(expected, dst), psnr(src, dst))
    assert main([*args, "--skip-existing", "-q"]) == 0  # nothing left to do
    single = ["translate", str(model_dir), str(clip), "--temporal", "0.5", "-q"]
    assert main([*single, "-o", str(tmp_path / "one.webm")]) == 0 and probe(tmp_path / "one.webm").frames == 3
    assert main([*single, "-o", str(tmp_path / "one.png")]) == 2  # a video's output is a video


def test_an_unreadable_video_is_skipped_and_counted(tmp_path: Path, model_dir: Path, photos: Path, capsys) -> None:
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"not a video at all")
    args = ["translate", str(model_dir), str(bad), str(photos / "p1.png"), "-o", str(tmp_path / "out")]
    assert main(args) == 1
    assert "skipped" in capsys.readouterr().err and (tmp_path / "out" / "p1.png").exists()
