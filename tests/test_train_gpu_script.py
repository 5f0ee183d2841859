"""scripts/train_gpu.py: the prepared GPU run, through its CPU path with a tiny model."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from brushwork.checkpoint import read_config
from brushwork.cli import main as cli

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "train_gpu.py"


def _script():
    spec = importlib.util.spec_from_file_location("train_gpu", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_tiny_run_writes_a_model_a_run_and_a_summary(tmp_path: Path, make_unpaired, capsys) -> None:
    data = make_unpaired(tmp_path / "vangogh2photo")
    out = tmp_path / "gpu"
    assert _script().main([str(out), "--tiny", "--data", str(data)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["step"] == 3 and summary["device"] == "cpu"
    config = read_config(out / "model")
    assert set(config["nets"]) == {"G_BA", "D_A"} and config["dtype"] == "float16"
    assert config["config"]["objective"] == "onesided" and config["default_direction"] == "BtoA"
    painted = tmp_path / "painted.png"
    assert cli(["translate", str(out / "model"), str(data / "trainB" / "000.jpg"), "-o", str(painted), "-q"]) == 0
    assert painted.is_file()
    assert _script().main([str(out), "--tiny", "--data", str(data)]) == 0  # a second call resumes the run
    assert json.loads((out / "summary.json").read_text())["step"] == 3
