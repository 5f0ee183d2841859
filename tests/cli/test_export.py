"""``brushwork export``: end to end to a file onnxruntime loads; bad model directories are one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from brushwork.checkpoint import save_model_dir
from brushwork.cli import main
from brushwork.methods.cyclegan import CycleGAN, CycleGANConfig

ort = pytest.importorskip("onnxruntime")


@pytest.fixture
def model_dir(tmp_path: Path) -> Path:
    torch.manual_seed(0)
    model = CycleGAN(CycleGANConfig(ngf=4, blocks=1, ndf=4, crop_size=32))
    config = {**model.model_config(), "default_direction": "BtoA", "domains": {"A": "art", "B": "photo"}}
    return save_model_dir(tmp_path / "model", weights=model.weights(), config=config)


def test_export_writes_a_model_onnxruntime_runs(tmp_path: Path, model_dir: Path, capsys) -> None:
    out = tmp_path / "out" / "g.onnx"
    assert main(["export", str(model_dir), "-o", str(out), "--direction", "AtoB", "--sample-size", "32"]) == 0
    assert f"-> {out}" in capsys.readouterr().out
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    (result,) = session.run(None, {"image": np.random.default_rng(0).random((1, 3, 37, 50), dtype=np.float32)})
    assert result.shape == (1, 3, 37, 50) and result.min() >= 0 and result.max() <= 1


def test_detail_is_for_arbitrary_style_models_only(tmp_path: Path, model_dir: Path, capsys) -> None:
    assert main(["export", str(model_dir), "-o", str(tmp_path / "g.onnx"), "--detail", "1"]) == 2
    assert "--detail applies to adain and fast models" in capsys.readouterr().err


def test_default_output_name_and_quiet(tmp_path: Path, model_dir: Path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["export", str(model_dir), "--sample-size", "32", "-q"]) == 0
    assert (tmp_path / "model.onnx").is_file() and capsys.readouterr().out == ""


@pytest.mark.parametrize("problem", ["empty", "bad-json", "not-brushwork", "missing", "adain-direction"])
def test_bad_model_dirs_are_one_line_errors(tmp_path: Path, model_dir: Path, capsys, problem: str) -> None:
    folder = tmp_path / problem
    if problem != "missing":
        folder.mkdir()
    if problem == "bad-json":
        (folder / "config.json").write_text("{oops")
    elif problem == "not-brushwork":
        (folder / "config.json").write_text(json.dumps({"format": "something-else", "nets": {}}))
    elif problem == "adain-direction":
        config = {"format": "brushwork-model", "method": "adain", "nets": {"decoder": {}}}
        (folder / "config.json").write_text(json.dumps(config))
    args = ["export", str(folder), "-o", str(tmp_path / "x.onnx")]
    if problem == "adain-direction":
        args += ["--direction", "AtoB"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("brushwork: error: ") and err.count("\n") == 1 and problem in err
    assert not (tmp_path / "x.onnx").exists()
