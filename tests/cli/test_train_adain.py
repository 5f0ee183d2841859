"""``brushwork train adain``: end to end with the real VGG16 on tiny crops, exact resume, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from brushwork.checkpoint import latest_checkpoint, load_weights, read_config
from brushwork.cli import main

pytestmark = pytest.mark.integration
RUN = ["--crop", "32", "--load-size", "40", "--batch-size", "2", "--no-bf16", "--log-every", "1"]
RUN += ["--sample-every", "2", "--no-progress", "--device", "cpu", "--threads", "1"]


def _train(data: Path, out: Path, *extra: str) -> int:
    content, style = data / "trainB", data / "trainA"
    return main(["train", "adain", "--content", str(content), "--style", str(style), "--out", str(out), *RUN, *extra])


def test_train_resume_and_exclusions(tmp_path: Path, make_unpaired, vgg16, capsys) -> None:
    data = make_unpaired(tmp_path / "data")
    assert _train(data, tmp_path / "whole", "--steps", "4", "--exclude-style", "000") == 0
    assert "finished at step 4" in capsys.readouterr().out
    config = read_config(latest_checkpoint(tmp_path / "whole"))
    assert config["method"] == "adain" and config["nets"]["decoder"]["kind"] == "vgg_decoder"
    assert config["data"]["style_images"] == 3 and config["data"]["held_out_styles"] == ["000"]
    assert (tmp_path / "whole" / "samples" / "step_00000002.png").is_file()

    assert _train(data, tmp_path / "parts", "--steps", "4", "--exclude-style", "000", "--stop-at", "2") == 0
    assert _train(data, tmp_path / "parts", "--steps", "4", "--exclude-style", "000") == 2
    assert "--resume" in capsys.readouterr().err
    assert _train(data, tmp_path / "parts", "--steps", "4", "--resume") == 2  # held-out styles forgotten
    assert "held_out_styles" in capsys.readouterr().err
    assert _train(data, tmp_path / "parts", "--steps", "4", "--exclude-style", "000", "--resume") == 0
    wa, wb = load_weights(latest_checkpoint(tmp_path / "whole")), load_weights(latest_checkpoint(tmp_path / "parts"))
    assert all(torch.equal(wa[k], wb[k]) for k in wa)
    logs = [
        [json.loads(x)["loss"] for x in (tmp_path / r / "metrics.jsonl").read_text().splitlines()]
        for r in ("whole", "parts")
    ]
    assert logs[0] == logs[1]


def test_init_from_a_trained_decoder(tmp_path: Path, make_unpaired, vgg16, capsys) -> None:
    data = make_unpaired(tmp_path / "data")
    assert _train(data, tmp_path / "first", "--steps", "2", "--exclude-style", "000") == 0
    first = latest_checkpoint(tmp_path / "first")
    assert _train(data, tmp_path / "second", "--steps", "1", "--init-from", str(first)) == 2  # 000 would leak in
    assert "hold them out here too" in capsys.readouterr().err
    args = ["--steps", "1", "--exclude-style", "000", "--init-from", str(tmp_path / "first"), "--lr", "1e-12"]
    assert _train(data, tmp_path / "second", *args) == 0
    second = latest_checkpoint(tmp_path / "second")
    start, now = load_weights(first), load_weights(second)
    assert all(torch.allclose(start[k].float(), now[k].float(), atol=1e-6) for k in start)  # lr ~0: unchanged
    lineage = read_config(second)["data"]["init_from"]
    assert lineage["model"] == str(first) and lineage["steps"] == 2
    assert _train(data, tmp_path / "second", "--steps", "2", "--resume", *args[2:]) == 2
    assert "cannot be combined" in capsys.readouterr().err
    assert _train(data, tmp_path / "second", "--steps", "2", "--resume", *args[2:4]) == 0
    assert read_config(latest_checkpoint(tmp_path / "second"))["data"]["init_from"] == lineage  # kept on resume


def test_bad_folders_and_settings_exit_2(tmp_path: Path, make_unpaired, capsys) -> None:
    data = make_unpaired(tmp_path / "data")
    (tmp_path / "empty").mkdir()
    args = ["train", "adain", "--content", str(tmp_path / "empty"), "--style", str(data / "trainA")]
    assert main([*args, "--out", str(tmp_path / "r1")]) == 2
    assert "empty" in capsys.readouterr().err
    assert _train(data, tmp_path / "r2", "--crop", "30") == 2
    assert "crop" in capsys.readouterr().err
    assert (
        main(
            [
                "train",
                "adain",
                "--content",
                str(data / "trainB"),
                "--style",
                str(data / "trainA"),
                "--out",
                str(tmp_path / "r3"),
                "--exclude-style",
                *[f"{i:03d}" for i in range(4)],
            ]
        )
        == 2
    )
    assert "no images left" in capsys.readouterr().err


def test_a_single_style_image_trains_and_samples(tmp_path: Path, make_unpaired, vgg16) -> None:
    data = make_unpaired(tmp_path / "data", n_a=1)
    assert _train(data, tmp_path / "run", "--steps", "2") == 0
    assert (tmp_path / "run" / "samples" / "step_00000002.png").is_file()


def test_ddp_with_two_cpu_processes(tmp_path: Path, make_unpaired, vgg16, torchrun) -> None:
    data = make_unpaired(tmp_path / "data")
    args = ["train", "adain", "--content", str(data / "trainB"), "--style", str(data / "trainA")]
    args += ["--out", str(tmp_path / "run"), "--steps", "2", *RUN]
    proc = torchrun("-m", "brushwork", *args, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    config = read_config(latest_checkpoint(tmp_path / "run"))
    assert config["world_size"] == 2 and config["step"] == 2
    assert len((tmp_path / "run" / "metrics.jsonl").read_text().splitlines()) == 2  # rank 0 writes, once per step


def test_a_plain_decoder_starts_a_skip_decoder_with_structure_losses(tmp_path: Path, make_unpaired, vgg16) -> None:
    data = make_unpaired(tmp_path / "data")
    assert _train(data, tmp_path / "plain", "--steps", "1") == 0
    skips = ["--skips", "relu3_1", "relu2_1", "relu1_1", "--structure-weight", "2", "--gram-weight", "5"]
    skips += ["--identity-weight", "1", "--style-augment", "--init-from", str(tmp_path / "plain")]
    assert _train(data, tmp_path / "skip", "--steps", "2", *skips) == 0
    model = latest_checkpoint(tmp_path / "skip")
    config = read_config(model)
    assert config["nets"]["decoder"]["skips"] == {"relu3_1": 256, "relu2_1": 128, "relu1_1": 64}
    assert config["config"]["skips"] == ["relu3_1", "relu2_1", "relu1_1"] and config["config"]["style_augment"]
    logged = json.loads((tmp_path / "skip" / "metrics.jsonl").read_text().splitlines()[-1])
    assert {"structure", "gram", "identity"} <= set(logged)
    out = tmp_path / "out.png"
    photo, style = sorted((data / "trainB").iterdir())[0], sorted((data / "trainA").iterdir())[0]
    argv = ["stylize", str(photo), "--style", str(style), "--model", str(model), "-o", str(out), "--device", "cpu"]
    assert main(argv) == 0 and out.is_file()
