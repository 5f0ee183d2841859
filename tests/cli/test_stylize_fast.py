"""``brushwork stylize --method fast``: videos frame by frame, two styles by a mask, colour preservation, folders."""

from __future__ import annotations

import argparse
import importlib
from pathlib import Path

import pytest
import torch

from brushwork.cli import main
from brushwork.imageio import load_image, save_image


@pytest.fixture
def model(tmp_path: Path, make_student, monkeypatch) -> Path:
    def refuse(*args: object) -> None:
        raise AssertionError("the fast method loaded the VGG16")

    monkeypatch.setattr(importlib.import_module("brushwork.api._models"), "vgg16_encoder", refuse)
    return make_student(tmp_path / "model")


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    gen = torch.Generator().manual_seed(0)
    (tmp_path / "photos").mkdir()
    paths = {}
    for name, shape in {"photos/a": (36, 48), "photos/b": (40, 40), "style": (64, 64), "style2": (48, 64)}.items():
        paths[name] = save_image(torch.rand(1, 3, *shape, generator=gen), tmp_path / f"{name}.png")
    return paths


def test_a_video_is_stylised_frame_by_frame(model: Path, files, tmp_path: Path, capsys) -> None:
    from brushwork.video import probe, write_video

    frames = [torch.rand(1, 3, 32, 48, generator=torch.Generator().manual_seed(i)) for i in range(3)]
    clip = write_video(frames, tmp_path / "clip.mp4", fps=10)
    out = tmp_path / "styled.mp4"
    args = [str(clip), "--style", str(files["style"]), "--method", "fast", "--model", str(model), "-o", str(out)]
    assert main(["stylize", *args, "--temporal", "0.5"]) == 0
    info = probe(out)
    assert (info.frames, info.width, info.height, info.fps) == (3, 48, 32, 10)
    assert "3 frames" in capsys.readouterr().out


def test_two_styles_by_a_mask_colour_and_a_folder(model: Path, files, tmp_path: Path) -> None:
    mask = torch.zeros(1, 1, 36, 48)
    mask[..., :24] = 1
    save_image(mask.expand(1, 3, 36, 48), tmp_path / "mask.png")
    base = ["--method", "fast", "--model", str(model), "-q"]
    styles = ["--style", str(files["style"]), "--style", str(files["style2"])]
    out = tmp_path / "masked.png"
    argv = [str(files["photos/a"]), *styles, "--mask", str(tmp_path / "mask.png"), "--alpha", "0.5", "-o", str(out)]
    assert main(["stylize", *argv, *base]) == 0
    assert load_image(out).shape == (1, 3, 36, 48)
    kept = tmp_path / "kept.png"
    argv = [str(files["photos/a"]), "--style", str(files["style"]), "--preserve-color", "luminance", "-o", str(kept)]
    assert main(["stylize", *argv, *base]) == 0
    tinted = tmp_path / "tinted.png"
    argv = [str(files["photos/a"]), "--style", str(files["style"]), "--palette", "1", "-o", str(tinted)]
    assert main(["stylize", *argv, *base]) == 0
    assert torch.allclose(load_image(tinted).mean(dim=(2, 3)), load_image(files["style"]).mean(dim=(2, 3)), atol=0.03)
    folder = tmp_path / "out"
    argv = [str(files["photos/a"].parent), *styles, "--style-weights", "0.7,0.3", "-o", str(folder)]
    assert main(["stylize", *argv, *base]) == 0
    assert sorted(p.name for p in folder.iterdir()) == ["a_style+style2.png", "b_style+style2.png"]


def test_work_scale_from_the_command_line(model: Path, files, tmp_path: Path, capsys) -> None:
    photo = save_image(torch.rand(1, 3, 96, 128, generator=torch.Generator().manual_seed(3)), tmp_path / "big.png")
    base = [str(photo), "--style", str(files["style"]), "--method", "fast", "--model", str(model), "-q"]
    assert main(["stylize", *base, "-o", str(tmp_path / "full.png")]) == 0
    assert main(["stylize", *base, "--work-scale", "0.75", "-o", str(tmp_path / "small.png")]) == 0
    full, small = load_image(tmp_path / "full.png"), load_image(tmp_path / "small.png")
    assert small.shape == full.shape == (1, 3, 96, 128) and not torch.allclose(small, full, atol=0.02)
    capsys.readouterr()
    assert main(["stylize", *base, "--work-scale", "2", "-o", str(tmp_path / "no.png")]) == 2
    assert "work_scale 2.0 must be a number between 0.25 and 1" in capsys.readouterr().err
    assert not (tmp_path / "no.png").exists()


@pytest.fixture
def tiny_vgg(monkeypatch, tiny_encoder) -> None:
    """The VGG16 the API loads is the tiny random encoder."""
    monkeypatch.setattr(importlib.import_module("brushwork.api._models"), "vgg16_encoder", lambda *a: tiny_encoder)


def test_underpaint_from_the_command_line_and_never_for_a_video(
    model: Path, files, tmp_path: Path, capsys, tiny_vgg
) -> None:
    photo = torch.full((1, 3, 48, 64), 0.4)
    photo[..., 32:] = torch.rand(1, 3, 48, 32, generator=torch.Generator().manual_seed(4))
    photo = save_image(photo, tmp_path / "calm.png")
    base = [str(photo), "--style", str(files["style"]), "--method", "fast", "--model", str(model), "--detail", "0"]
    assert main(["stylize", *base, "-o", str(tmp_path / "plain.png")]) == 0
    assert main(["stylize", *base, "--underpaint", "1", "-o", str(tmp_path / "under.png")]) == 0
    plain, under = load_image(tmp_path / "plain.png"), load_image(tmp_path / "under.png")
    assert under.shape == plain.shape and not torch.allclose(under, plain, atol=1e-3)
    assert "underpaint 1 by quilt" in capsys.readouterr().out
    argv = [*base, "--underpaint", "1", "--underpaint-by", "gatys", "-o", str(tmp_path / "gatys.png")]
    assert main(["stylize", *argv]) == 0
    assert not torch.allclose(load_image(tmp_path / "gatys.png"), under, atol=1e-3)
    assert "underpaint 1 by gatys" in capsys.readouterr().out
    from brushwork.video import write_video

    clip = write_video([torch.rand(1, 3, 32, 48) for _ in range(2)], tmp_path / "clip.mp4", fps=10)
    argv = [str(clip), "--style", str(files["style"]), "--method", "fast", "--model", str(model)]
    for flag in (["--underpaint", "0.5"], ["--underpaint-by", "quilt"]):
        assert main(["stylize", *argv, *flag, "-o", str(tmp_path / "no.mp4")]) == 2
        assert f"clip.mp4: {flag[0]} is for still pictures" in capsys.readouterr().err
        assert not (tmp_path / "no.mp4").exists()
    import json

    config = json.loads((model / "config.json").read_text())  # a model that underpaints by default ...
    (model / "config.json").write_text(json.dumps({**config, "defaults": {"underpaint": 0.5}}))  # (reloaded: stamp)
    assert main(["stylize", *base, "-o", str(tmp_path / "by_default.png")]) == 0
    assert "underpaint 0.5 by quilt" in capsys.readouterr().out  # a still picture: underpainted

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a video frame was underpainted")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(importlib.import_module("brushwork.methods.underpaint"), "under", refuse)
        assert main(["stylize", *argv, "-o", str(tmp_path / "clip_out.mp4")]) == 0  # ... but not a video's frames
    assert (tmp_path / "clip_out.mp4").exists()
    from brushwork.cli import build_parser
    from brushwork.methods.underpaint import SOURCES

    commands = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    flag = next(a for a in commands.choices["stylize"]._actions if "--underpaint-by" in a.option_strings)
    assert tuple(flag.choices) == SOURCES  # the CLI's copy (it imports no torch to build its parser)
    argv = [str(photo), "--style", str(files["style"]), "--method", "gatys", "--underpaint", "0.5"]
    assert main(["stylize", *argv, "-o", str(tmp_path / "g.png")]) == 2
    assert "--underpaint and --underpaint-by are adain and fast options" in capsys.readouterr().err


@pytest.mark.integration
def test_the_shipped_model_paints_a_real_photo_without_vgg(shared_data: Path, tmp_path: Path, monkeypatch) -> None:
    from brushwork.imageio import resize
    from brushwork.metrics import ssim

    def refuse(*args: object) -> None:
        raise AssertionError("the fast method loaded the VGG16")

    monkeypatch.setattr(importlib.import_module("brushwork.api._models"), "vgg16_encoder", refuse)
    photo, painting = shared_data / "content" / "tubingen.jpg", shared_data / "styles" / "candy.jpg"
    out = tmp_path / "tubingen_candy.png"
    assert (
        main(["stylize", str(photo), "--style", str(painting), "--method", "fast", "--size", "384", "-o", str(out)])
        == 0
    )
    result, source = load_image(out), load_image(photo)
    assert max(result.shape[-2:]) == 384
    source, style = resize(source, size=tuple(result.shape[-2:])), load_image(painting)
    assert 0.15 < ssim(source, result) < 0.9  # repainted, the scene still there
    # the colours move towards the painting's: per-channel means closer to candy's than the photo's were
    means = [t.mean(dim=(2, 3)) for t in (source, result, style)]
    assert (means[1] - means[2]).abs().sum() < 0.6 * (means[0] - means[2]).abs().sum()
