from __future__ import annotations

import json
from pathlib import Path

import pytest

from brushwork.api.cyclegan_eval import evaluate_cyclegan
from brushwork.checkpoint import export_model
from brushwork.errors import CheckpointError
from brushwork.methods.cyclegan import CycleGAN, CycleGANConfig


def _test_split(root: Path, make_unpaired) -> Path:
    make_unpaired(root, n_a=3, n_b=4)
    (root / "trainA").rename(root / "testA")
    (root / "trainB").rename(root / "testB")
    return root


def test_evaluation_reports_ssim_discriminator_accuracy_and_time(tmp_path: Path, make_unpaired) -> None:
    from brushwork.checkpoint import save_model_dir

    model = CycleGAN(CycleGANConfig(ngf=4, blocks=1, ndf=4, disc_layers=2, crop_size=32))
    config = {**model.model_config(), "default_direction": "BtoA"}
    ckpt = save_model_dir(tmp_path / "model", weights=model.weights(), config=config)
    data = _test_split(tmp_path / "data", make_unpaired)
    report = evaluate_cyclegan(ckpt, data, device="cpu")
    assert report.direction == "BtoA" and report.inputs == 4 and report.real == 3
    assert -1 <= report.ssim <= 1 and -1 <= report.ssim_luminance <= 1
    acc = report.discriminator
    assert acc["n_real"] == 3 and acc["n_fake"] == 4 and 0 <= acc["overall"] <= 1
    assert report.seconds_per_image > 0
    json.dumps(report.as_dict())
    limited = evaluate_cyclegan(ckpt, data, direction="AtoB", limit=2, size=32, device="cpu")
    assert limited.inputs == 2 and limited.real == 2
    slim = export_model(ckpt, tmp_path / "slim", nets=("G_BA",))
    with pytest.raises(CheckpointError, match="has no D_A"):
        evaluate_cyclegan(slim, data, device="cpu")
