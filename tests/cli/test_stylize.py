"""``brushwork stylize``: outputs, folders, intermediate images, and one-line errors (exit 2) for bad input."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
import torch

from brushwork.cli import main as cli_main
from brushwork.errors import MethodError
from brushwork.imageio import load_image, save_image

FAST = ["--method", "gatys", "--steps", "3", "--levels", "1", "--content-layer", "relu3_1"]


@pytest.fixture
def tiny_vgg(monkeypatch, tiny_encoder):
    """Unit tests run the CLI plumbing on a tiny random encoder instead of the real VGG16."""
    monkeypatch.setattr(importlib.import_module("brushwork.api._models"), "vgg16_encoder", lambda *args: tiny_encoder)


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    gen = torch.Generator().manual_seed(0)
    paths = {}
    for name, shape in {"photo": (36, 48), "other": (40, 40), "style": (64, 64), "style2": (48, 64)}.items():
        paths[name] = save_image(torch.rand(1, 3, *shape, generator=gen), tmp_path / f"{name}.png")
    return paths


def main(argv: list[str]) -> int:
    return cli_main(["stylize", *argv])


def _err_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err  # one line, no traceback
    return err[0]


def test_writes_one_file(tiny_vgg, files, tmp_path: Path, capsys) -> None:
    out = tmp_path / "result.png"
    assert main([str(files["photo"]), "--style", str(files["style"]), *FAST, "-o", str(out), "-q"]) == 0
    assert load_image(out).shape == (1, 3, 36, 48)


def test_prints_the_output_and_losses(tiny_vgg, files, tmp_path: Path, capsys) -> None:
    out = tmp_path / "result.jpg"
    assert main([str(files["photo"]), "--style", str(files["style"]), *FAST, "-o", str(out)]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith(str(out)) and "style loss" in line
    assert out.exists()


def test_several_contents_and_styles_go_to_a_folder(tiny_vgg, files, tmp_path: Path) -> None:
    args = [str(files["photo"]), str(files["other"]), "--style", str(files["style"]), "--style", str(files["style2"])]
    out = tmp_path / "results"
    assert main([*args, "--style-weights", "0.7,0.3", *FAST, "-o", str(out), "-q"]) == 0
    written = sorted(p.name for p in out.iterdir())
    assert written == ["other_style+style2.png", "photo_style+style2.png"]


def test_folder_of_contents(tiny_vgg, files, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("photo", "other"):
        files[name].rename(folder / files[name].name)
    out = tmp_path / "out"
    assert main([str(folder), "--style", str(files["style"]), *FAST, "-o", str(out), "-q"]) == 0
    assert len(list(out.glob("*.png"))) == 2


def test_save_every_writes_intermediate_images(tiny_vgg, files, tmp_path: Path) -> None:
    out = tmp_path / "r.png"
    args = [str(files["photo"]), "--style", str(files["style"]), "--method", "gatys", "--steps", "4", "--levels", "1"]
    assert main([*args, "--save-every", "2", "-o", str(out), "-q"]) == 0
    assert sorted(p.name for p in tmp_path.glob("r_step*.png")) == ["r_step00002.png", "r_step00004.png"]


def test_all_controls_together(tiny_vgg, files, tmp_path: Path) -> None:
    mask = save_image(torch.ones(1, 3, 18, 24), tmp_path / "mask.png")
    out = tmp_path / "r.png"
    args = [str(files["photo"]), "--style", str(files["style"]), *FAST, "-o", str(out), "-q"]
    extra = ["--style-strength", "2", "--preserve-color", "luminance", "--style-scale", "0.5", "--mask", str(mask)]
    extra += ["--optimizer", "adam", "--init", "noise", "--tv-weight", "0.1", "--content-weight", "2", "--pool", "max"]
    assert main([*args, *extra, "--feather", "2"]) == 0
    assert out.exists()


@pytest.mark.parametrize(
    "case",
    [
        (["{missing}", "--style", "{style}"], "no such file"),
        (["{photo}", "--style", "{missing}"], "no such file"),
        (["{photo}", "--style", "{style}", "--style-weights", "0.5,0.5"], "2 given for 1 style"),
        (["{photo}", "--style", "{style}", "-o", "{photo}"], "refusing to overwrite an input"),
        (["{photo}", "{other}", "--style", "{style}", "-o", "{tmp}/x.png"], "need -o to be a folder"),
        (["{photo}", "--style", "{style}", "--mask", "{style}"], "aspect ratios differ"),
        (["{photo}", "--style", "{style}", "--style-weight", "1e300"], "the loss became"),
        (["{photo}", "--style", "{tmp}"], "not a file"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tiny_vgg, files, tmp_path: Path, capsys, case) -> None:
    args, message = case
    names = {**{k: str(v) for k, v in files.items()}, "missing": str(tmp_path / "nope.jpg"), "tmp": str(tmp_path)}
    argv = [a.format(**names) for a in args]
    assert main([*argv, *FAST, "-o", str(tmp_path / "o.png"), "-q"] if "-o" not in argv else [*argv, *FAST]) == 2
    line = _err_line(capsys)
    assert line.startswith("brushwork: error:") and message in line


@pytest.fixture
def fails_on_photo_with_style2(monkeypatch) -> None:
    """Gatys fails (as a diverging optimisation would) on the photo x style2 pair only."""
    from brushwork.methods import gatys

    real = gatys.stylize

    def stylize(content: torch.Tensor, styles, **kwargs):
        if content.shape[-2:] == (36, 48) and styles[0].shape[-2:] == (48, 64):
            raise MethodError("gatys: the loss became 508.9 (best 4.127) at step 28 (level 2/3): it diverged")
        return real(content, styles, **kwargs)

    monkeypatch.setattr(gatys, "stylize", stylize)


def test_a_pair_the_method_fails_on_is_reported_counted_and_skipped(
    tiny_vgg, fails_on_photo_with_style2, files, tmp_path: Path, capsys
) -> None:
    out = tmp_path / "out"
    args = [str(files["photo"]), str(files["other"]), "--style", str(files["style"]), "--style", str(files["style2"])]
    assert main([*args, "--each-style", *FAST, "-o", str(out), "-q"]) == 1
    assert sorted(p.name for p in out.iterdir()) == ["other_style.png", "other_style2.png", "photo_style.png"]
    err = capsys.readouterr().err.strip().splitlines()
    assert err[0] == f"skipped: {files['photo']} with style {files['style2']}: gatys: the loss became 508.9 " + (
        "(best 4.127) at step 28 (level 2/3): it diverged"
    )
    assert err[1:] == ["1 of 4 content x style pairs failed in the method (see above)"]


def test_a_single_pair_the_method_fails_on_is_one_line_naming_it(
    tiny_vgg, fails_on_photo_with_style2, files, tmp_path: Path, capsys
) -> None:
    assert main([str(files["photo"]), "--style", str(files["style2"]), *FAST, "-o", str(tmp_path / "o.png")]) == 2
    line = _err_line(capsys)
    assert line.startswith(f"brushwork: error: {files['photo']} with style {files['style2']}: gatys: the loss")


def test_a_programming_error_in_one_pair_stops_the_run(tiny_vgg, monkeypatch, files, tmp_path: Path) -> None:
    from brushwork.methods import gatys

    def broken(*args, **kwargs):
        raise RuntimeError("a bug, not a bad input")

    monkeypatch.setattr(gatys, "stylize", broken)
    args = [str(files["photo"]), str(files["other"]), "--style", str(files["style"])]
    with pytest.raises(RuntimeError, match="a bug"):
        main([*args, *FAST, "-o", str(tmp_path / "out"), "-q"])


def test_a_one_pixel_photo_gives_a_one_pixel_result(tiny_vgg, shared_data: Path, files, tmp_path: Path) -> None:
    """It ran into L-BFGS with a channels-last gradient (a traceback); now it runs upsampled and is shrunk back."""
    out = tmp_path / "pixel.png"
    photo = shared_data / "bad-inputs" / "tiny_1x1.png"
    assert main([str(photo), "--style", str(files["style"]), "--method", "gatys", "--steps", "2", "-o", str(out)]) == 0
    assert load_image(out).shape == (1, 3, 1, 1)


def test_malformed_weights_are_a_usage_error(files, capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main([str(files["photo"]), "--style", str(files["style"]), "--style-weights", "a,b"])
    assert exc.value.code == 2
    assert "comma-separated numbers" in capsys.readouterr().err


@pytest.mark.integration
def test_real_vgg16_on_real_images(shared_data: Path, tmp_path: Path, capsys) -> None:
    """The real CLI, VGG16 and images: the file opens at the requested size and the style loss fell."""
    out = tmp_path / "tubingen_starry.png"
    content, style = shared_data / "content" / "tubingen.jpg", shared_data / "styles" / "starry_night.jpg"
    assert (
        main(
            [str(content), "--style", str(style), "--method", "gatys", "--size", "128", "--steps", "40", "-o", str(out)]
        )
        == 0
    )
    image = load_image(out)
    assert image.shape == (1, 3, 96, 128)
    printed = capsys.readouterr().out
    before, after = (float(x) for x in printed.split("style loss ")[1].split(",")[0].split(" -> "))
    assert after < before / 5  # (the ≥10× criterion is tests/methods/test_gatys.py's, with more steps)
    original = torch.nn.functional.interpolate(load_image(content), size=(96, 128), mode="area")
    assert float((image - original).abs().mean()) < 0.25  # still the same scene


def test_help_shows_the_real_gatys_defaults() -> None:
    from brushwork.cli.stylize import GATYS_DEFAULTS
    from brushwork.methods.gatys import GatysConfig

    config = GatysConfig()
    assert {k: getattr(config, k) for k in GATYS_DEFAULTS} == GATYS_DEFAULTS


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_precision_reaches_gatys(tiny_vgg, gatys_bf16_calls, files, tmp_path: Path, precision: str) -> None:
    out = tmp_path / "p.png"
    flag = ["--precision", precision]
    assert main([str(files["photo"]), "--style", str(files["style"]), *FAST, *flag, "-o", str(out), "-q"]) == 0
    assert gatys_bf16_calls == [precision == "bf16"] and out.exists()
