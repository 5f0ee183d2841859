"""``brushwork adapt``: through the CLI, and its model through translate, export, evaluate and serve."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from brushwork.cli import main

TINY = ["--objective", "onesided", "--direction", "BtoA", "--discriminator", "vgg", "--skip", "--ngf", "4"]
TINY += ["--blocks", "1", "--ndf", "4", "--d-layers", "relu2_2", "--crop", "32", "--nce-patches", "16"]
QUICK = ["--crop", "32", "--max-steps", "2", "--no-progress", "--device", "cpu", "--threads", "1", "--no-check"]


@pytest.fixture
def adapted(tmp_path: Path, make_unpaired, capsys) -> tuple[Path, Path]:
    """(model written by ``brushwork adapt``, the data folder)."""
    data = make_unpaired(tmp_path / "art2photo", n_a=10, n_b=4)
    start = tmp_path / "start"
    argv = ["train", "cyclegan", "--data", str(data), "--out", str(start), *TINY, "--steps", "1", "--no-progress"]
    assert main([*argv, "--device", "cpu"]) == 0
    out = tmp_path / "models" / "mine"
    argv = ["adapt", "--paintings", str(data / "trainA"), "--photos", str(data / "trainB"), "--out", str(out)]
    assert main([*argv, "--from", str(start), *QUICK, "--name", "Mine", "--strength", "1.5"]) == 0
    printed = capsys.readouterr().out
    assert f"preview: {out}.run/preview.jpg" in printed and f"wrote {out}: 10 paintings, step 2" in printed
    return out, data


def test_the_adapted_model_works_everywhere(tmp_path: Path, adapted, capsys, monkeypatch) -> None:
    out, data = adapted
    painted = tmp_path / "painted.png"
    assert main(["translate", str(out), str(data / "trainB" / "000.jpg"), "-o", str(painted), "-q"]) == 0
    assert painted.is_file()
    onnx = tmp_path / "mine.onnx"
    assert main(["export", str(out), "-o", str(onnx), "--sample-size", "32"]) == 0 and onnx.is_file()
    report = tmp_path / "report"
    argv = ["evaluate", "--method", "cyclegan", "--model", str(out), "--content", str(data / "trainB"), "--limit", "2"]
    assert main([*argv, "--real-art", str(data / "trainA"), "--size", "64", "--device", "cpu", "-o", str(report)]) == 0
    assert (report / "metrics.json").is_file()

    import uvicorn

    apps = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: apps.append(app))
    assert main(["serve", "--model", str(out), "--device", "cpu", "-q"]) == 0
    (app,) = apps
    info = next(r for r in app.routes if getattr(r, "path", "") == "/api/info").endpoint
    methods = asyncio.run(info())["methods"]
    assert methods["mine"]["label"] == "mine (your model, fast)" and "vangogh" in methods
    app.state.jobs.close()
    capsys.readouterr()
    assert main(["serve", "--model", str(data), "--device", "cpu", "-q"]) == 2
    assert "neither a model directory" in capsys.readouterr().err


def test_resume_and_bad_folders_through_the_cli(tmp_path: Path, adapted, capsys) -> None:
    out, data = adapted
    argv = ["adapt", "--paintings", str(data / "trainA"), "--photos", str(data / "trainB"), "--out", str(out)]
    assert main([*argv, *QUICK]) == 2
    assert "pass --resume" in capsys.readouterr().err
    assert main([*argv, *QUICK[:2], "--max-steps", "3", *QUICK[4:], "--resume"]) == 0
    assert "step 3" in capsys.readouterr().out
    empty = tmp_path / "empty"
    empty.mkdir()
    argv = ["adapt", "--paintings", str(empty), "--photos", str(data / "trainB"), "--out", str(tmp_path / "x")]
    assert main([*argv, *QUICK]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no paintings in it" in err


def test_held_out_scores_an_adaptation_through_the_cli(tmp_path: Path, adapted, make_unpaired, capsys) -> None:
    out, data = adapted
    unseen = make_unpaired(tmp_path / "unseen", n_a=4, n_b=3, seed=7)
    argv = ["adapt", "--paintings", str(data / "trainA"), "--photos", str(data / "trainB"), "--out", str(out)]
    argv += [*QUICK, "--resume", "--held-out", str(unseen / "trainA"), "--eval-photos"]
    assert main([*argv, str(data / "trainB")]) == 2  # training photos are not a fair test
    assert "photos the model trains on" in capsys.readouterr().err
    assert main([*argv, str(unseen / "trainB"), "--eval-limit", "2"]) == 0
    assert "scored on 2 photos vs 4 held-out paintings: SSIM" in capsys.readouterr().out
    assert "| own discriminator accuracy" in (out / "MODEL_CARD.md").read_text()
