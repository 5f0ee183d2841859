"""``brushwork demo``: runs with no arguments, writes the result and a before|style|after panel."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from brushwork.cli import main
from brushwork.imageio import load_image, save_image
from brushwork.samples import swirl_painting


@pytest.fixture
def tiny_vgg(monkeypatch, tiny_encoder):
    api = importlib.import_module("brushwork.api._models")
    monkeypatch.setattr(api, "vgg16_encoder", lambda *args: tiny_encoder)


def test_demo_writes_result_and_panel(tiny_vgg, tmp_path: Path, capsys) -> None:
    assert main(["demo", "-o", str(tmp_path), "--size", "64", "--steps", "2", "--no-vangogh", "--no-adain"]) == 0
    result = load_image(tmp_path / "astronaut_stylized.png")
    panel = load_image(tmp_path / "astronaut_before_style_after.png")
    assert result.shape == (1, 3, 64, 64)
    assert panel.shape[-2] == 64 + 16 and panel.shape[-1] > 3 * 64  # three images side by side
    out = capsys.readouterr().out
    assert str(tmp_path / "astronaut_stylized.png") in out and "before | style | after" in out


def test_demo_paints_with_the_shipped_vangogh_model(tiny_vgg, tmp_path: Path, capsys) -> None:
    assert main(["demo", "-o", str(tmp_path), "--size", "48", "--steps", "1", "--no-adain"]) == 0
    out = capsys.readouterr().out
    # the shipped Van Gogh model painted the full-size astronaut too, with a before | after panel
    vangogh = load_image(tmp_path / "astronaut_vangogh.png")
    assert vangogh.shape == (1, 3, 512, 512) and float(vangogh.std()) > 0.02 and "before | after" in out
    assert load_image(tmp_path / "astronaut_before_after_vangogh.png").shape[-1] > 2 * 384


def test_demo_default_folder_and_style_override(tiny_vgg, tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    style = save_image(swirl_painting(64, seed=3), tmp_path / "my_style.png")
    assert (
        main(["demo", "--style", str(style), "--size", "48", "--steps", "1", "-q", "--no-vangogh", "--no-adain"]) == 0
    )
    assert (tmp_path / "out" / "demo" / "astronaut_stylized.png").is_file()
    assert capsys.readouterr().out == ""


def test_demo_errors_are_one_line(tiny_vgg, tmp_path: Path, capsys) -> None:
    assert main(["demo", "--style", str(tmp_path / "missing.jpg"), "-o", str(tmp_path)]) == 2
    assert main(["demo", "-o", str(tmp_path / "file.png")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "no such file" in err[0] and "give a folder" in err[1]


@pytest.mark.integration
def test_demo_with_the_real_vgg16(tmp_path: Path, capsys) -> None:
    """The real demo path (real VGG16, shipped AdaIN, built-in style) at a small size: files open, the style loss
    fell, and the AdaIN panel holds four images."""
    assert main(["demo", "-o", str(tmp_path), "--size", "128", "--steps", "20", "--no-vangogh"]) == 0
    assert load_image(tmp_path / "astronaut_adain.png").shape == (1, 3, 128, 128)
    assert load_image(tmp_path / "astronaut_style_adain.png").shape[-1] > 4 * 384
    assert load_image(tmp_path / "astronaut_stylized.png").shape == (1, 3, 128, 128)
    assert load_image(tmp_path / "astronaut_before_style_after.png").shape[-1] > 3 * 128
    out = capsys.readouterr().out
    before, after = (float(x) for x in out.split("style loss ")[1].split(")")[0].split(" -> "))
    assert after < before / 5
