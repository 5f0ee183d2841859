"""``brushwork stylize --method adain``: folders x styles, masks, skipped bad files (tiny random networks)."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
import torch

from brushwork.checkpoint import save_model_dir
from brushwork.cli import main
from brushwork.imageio import load_image, save_image
from brushwork.methods.adain import AdaINConfig
from brushwork.methods.adain_trainer import AdaINTrainer


@pytest.fixture
def model(tmp_path: Path, tiny_encoder, monkeypatch) -> Path:
    monkeypatch.setattr(importlib.import_module("brushwork.api._models"), "vgg16_encoder", lambda *a: tiny_encoder)
    trainer = AdaINTrainer(AdaINConfig(decoder_widths=(8, 8, 4), encoder_widths=(4, 8, 8, 8)), encoder=tiny_encoder)
    return save_model_dir(tmp_path / "model", weights=trainer.weights(), config=trainer.model_config())


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    gen = torch.Generator().manual_seed(0)
    (tmp_path / "photos").mkdir()
    paths = {}
    for name, shape in {"photos/a": (36, 48), "photos/b": (40, 40), "style": (64, 64), "style2": (48, 64)}.items():
        paths[name] = save_image(torch.rand(1, 3, *shape, generator=gen), tmp_path / f"{name}.png")
    return paths


def test_folder_times_each_style(model: Path, files, tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = [str(files["photos/a"].parent), "--style", str(files["style"]), "--style", str(files["style2"])]
    assert main(["stylize", *args, "--each-style", "--model", str(model), "-o", str(out), "-q"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["a_style.png", "a_style2.png", "b_style.png", "b_style2.png"]
    assert load_image(out / "a_style2.png").shape == (1, 3, 36, 48)


def test_two_styles_with_a_mask_and_alpha(model: Path, files, tmp_path: Path) -> None:
    mask = torch.zeros(1, 1, 36, 48)
    mask[..., :24] = 1
    save_image(mask.expand(1, 3, 36, 48), tmp_path / "mask.png")
    out = tmp_path / "masked.png"
    args = [str(files["photos/a"]), "--style", str(files["style"]), "--style", str(files["style2"])]
    assert (
        main(
            [
                "stylize",
                *args,
                "--mask",
                str(tmp_path / "mask.png"),
                "--alpha",
                "0.5",
                "--model",
                str(model),
                "-o",
                str(out),
                "-q",
            ]
        )
        == 0
    )
    assert load_image(out).shape == (1, 3, 36, 48)


def test_a_corrupt_file_in_a_folder_is_skipped_and_counted(model: Path, files, tmp_path: Path, capsys) -> None:
    (files["photos/a"].parent / "broken.jpg").write_bytes(b"not an image")
    out = tmp_path / "out"
    args = [str(files["photos/a"].parent), "--style", str(files["style"]), "--model", str(model), "-o", str(out)]
    assert main(["stylize", *args, "-q"]) == 1
    err = capsys.readouterr().err
    assert "broken.jpg" in err and "1 of 3 images could not be read" in err
    assert sorted(p.name for p in out.iterdir()) == ["a_style.png", "b_style.png"]


def test_gatys_options_are_refused_for_adain_and_vice_versa(model: Path, files, capsys) -> None:
    base = [str(files["photos/a"]), "--style", str(files["style"])]
    assert main(["stylize", *base, "--method", "gatys", "--alpha", "0.5"]) == 2
    assert "--alpha" in capsys.readouterr().err
    assert main(["stylize", *base, "--steps", "5"]) == 2
    assert "--steps is a gatys option" in capsys.readouterr().err
    assert main(["stylize", *base, "--method", "gatys", "--detail", "1"]) == 2
    assert "--underpaint and --underpaint-by are adain and fast options" in capsys.readouterr().err


def test_detail_puts_the_photo_edges_back(model: Path, files, tmp_path: Path, capsys) -> None:
    from brushwork.metrics import ssim

    base = [str(files["photos/a"]), "--style", str(files["style"]), "--model", str(model), "-q"]
    outs = {d: tmp_path / f"d{d}.png" for d in ("0", "1")}
    for d, out in outs.items():
        assert main(["stylize", *base, "--detail", d, "-o", str(out)]) == 0
    photo = load_image(files["photos/a"])
    assert ssim(photo, load_image(outs["1"])) > ssim(photo, load_image(outs["0"]))
    assert main(["stylize", *base, "--detail", "2.5", "-o", str(tmp_path / "x.png")]) == 2
    assert "detail 2.5 must be between 0 and 2" in capsys.readouterr().err


def test_a_video_is_stylised_frame_by_frame(model: Path, files, tmp_path: Path, capsys) -> None:
    from brushwork.video import probe, write_video

    frames = [torch.rand(1, 3, 32, 48, generator=torch.Generator().manual_seed(i)) for i in range(3)]
    clip = write_video(frames, tmp_path / "clip.mp4", fps=10)
    out = tmp_path / "styled.mp4"
    args = [str(clip), "--style", str(files["style"]), "--model", str(model), "--temporal", "0.5", "-o", str(out)]
    assert main(["stylize", *args]) == 0
    info = probe(out)
    assert (info.frames, info.width, info.height, info.fps) == (3, 48, 32, 10)
    assert "3 frames" in capsys.readouterr().out
    assert main(["stylize", str(clip), "--style", str(files["style"]), "-o", str(tmp_path / "x.png")]) == 2
    assert "is a video" in capsys.readouterr().err


def test_colliding_output_names_and_negative_tiles_are_refused(model: Path, files, tmp_path: Path, capsys) -> None:
    save_image(torch.rand(1, 3, 20, 20), files["photos/a"].with_suffix(".jpg"))  # photos/a.png and photos/a.jpg
    args = [str(files["photos/a"].parent), "--style", str(files["style"]), "--model", str(model)]
    assert main(["stylize", *args, "-o", str(tmp_path / "out")]) == 2
    assert "would both be written" in capsys.readouterr().err
    assert main(["stylize", str(files["photos/b"]), *args[1:], "--tile", "-1", "-o", str(tmp_path / "t.png")]) == 2
    assert "--tile -1" in capsys.readouterr().err


def test_unwritable_output_formats_and_temporal_out_of_range_fail_before_work(
    model: Path, files, tmp_path: Path, capsys
) -> None:
    args = [str(files["photos/b"]), "--style", str(files["style"]), "--model", str(model)]
    assert main(["stylize", *args, "-o", str(tmp_path / "out.tif")]) == 2
    assert "cannot write .tif images (use .png, .jpg or .webp)" in capsys.readouterr().err
    assert not (tmp_path / "out.tif").exists()
    with pytest.raises(SystemExit) as exc:
        main(["stylize", *args, "--temporal", "1.5", "-o", str(tmp_path / "out.png")])
    assert exc.value.code == 2 and "must be in [0, 1), got 1.5" in capsys.readouterr().err
