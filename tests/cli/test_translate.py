"""``brushwork translate``: files and folders, names kept, bad files skipped, inputs never overwritten."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from brushwork.api._models import pretrained_names
from brushwork.api.translate import load_model, translate
from brushwork.checkpoint import export_model, save_model_dir
from brushwork.cli import main
from brushwork.errors import CheckpointError
from brushwork.methods.cyclegan import CycleGAN, CycleGANConfig


@pytest.fixture
def model_dir(tmp_path: Path) -> Path:
    model = CycleGAN(CycleGANConfig(ngf=4, blocks=1, ndf=4, crop_size=32))
    config = {**model.model_config(), "default_direction": "BtoA", "domains": {"A": "art", "B": "photo"}}
    return save_model_dir(tmp_path / "model", weights=model.weights(), config=config)


def _image(path: Path, size: tuple[int, int] = (40, 30), mode: str = "RGB") -> Path:
    arr = (np.random.default_rng(0).random((size[1], size[0], 4)) * 255).astype(np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(arr, "RGBA").convert(mode).save(path)
    return path


def test_folders_recursively_keep_names_and_relative_paths(tmp_path: Path, model_dir: Path, capsys) -> None:
    photos = tmp_path / "photos"
    _image(photos / "a.jpg")
    _image(photos / "sub" / "b.png", (33, 17))
    _image(photos / "c.bmp", (20, 20))
    out = tmp_path / "out"
    assert main(["translate", str(model_dir), str(photos), "-o", str(out), "--batch-size", "2", "-q"]) == 0
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*.*")) == ["a.jpg", "c.png", "sub/b.png"]
    with Image.open(out / "sub" / "b.png") as img:
        assert img.size == (33, 17)


def test_single_file_to_a_named_output_and_size(tmp_path: Path, model_dir: Path, capsys) -> None:
    src = _image(tmp_path / "in.png", (80, 40), mode="RGBA")
    out = tmp_path / "x" / "result.webp"
    assert main(["translate", str(model_dir), str(src), "-o", str(out), "--size", "40", "--direction", "AtoB"]) == 0
    with Image.open(out) as img:
        assert img.size == (40, 20)
    assert "translated 1 image" in capsys.readouterr().out


def test_bad_file_is_reported_and_skipped(tmp_path: Path, model_dir: Path, capsys) -> None:
    _image(tmp_path / "in" / "good.png")
    (tmp_path / "in" / "bad.jpg").write_bytes(b"\xff\xd8\xff broken")
    assert main(["translate", str(model_dir), str(tmp_path / "in"), "-o", str(tmp_path / "out"), "-q"]) == 1
    assert (tmp_path / "out" / "good.png").is_file() and not (tmp_path / "out" / "bad.jpg").exists()
    err = capsys.readouterr().err
    assert "skipped" in err and "bad.jpg" in err
    (tmp_path / "only").mkdir()
    (tmp_path / "only" / "bad.jpg").write_bytes(b"nope")
    assert main(["translate", str(model_dir), str(tmp_path / "only"), "-o", str(tmp_path / "o2"), "-q"]) == 2


def test_never_overwrites_an_input(tmp_path: Path, model_dir: Path, capsys) -> None:
    src = _image(tmp_path / "photo.png")
    before = src.read_bytes()
    assert main(["translate", str(model_dir), str(src), "-o", str(src)]) == 2
    assert "refusing to overwrite" in capsys.readouterr().err and src.read_bytes() == before
    assert main(["translate", str(model_dir), str(src), "-o", str(tmp_path)]) == 2  # same name, same folder


def test_unknown_models_and_missing_inputs_are_one_line_errors(tmp_path: Path, model_dir: Path, capsys) -> None:
    assert main(["translate", "no-such-artist", str(tmp_path)]) == 2
    assert "no such model directory or shipped model" in capsys.readouterr().err
    assert main(["translate", str(model_dir), str(tmp_path / "nope.jpg")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_api_uses_the_default_direction_and_shipped_names(
    tmp_path: Path, model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = load_model(model_dir, device="cpu")
    assert model.default_direction == "BtoA" and set(model.generators) == {"G_AB", "G_BA"}
    x = torch.rand(1, 3, 19, 23)
    out = translate(model, x)
    assert out.shape == x.shape
    assert torch.equal(out, translate(model, x, direction="BtoA"))
    assert not torch.equal(out, translate(model, x, direction="AtoB"))
    shipped = tmp_path / "pretrained"
    export_model(model_dir, shipped / "tiny", nets=("G_BA",))
    monkeypatch.setattr(sys.modules["brushwork.api._models"], "pretrained_root", lambda: shipped)
    assert pretrained_names() == ["tiny"]
    half = load_model("tiny", device="cpu")
    assert torch.allclose(translate(half, x), out, atol=0.02)
    with pytest.raises(CheckpointError, match="no G_AB generator"):
        translate(half, x, direction="AtoB")
