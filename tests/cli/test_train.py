"""``brushwork train cyclegan``: end to end through the CLI, resume, fine-tuning, bad input, real data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from brushwork.checkpoint import latest_checkpoint, load_trainer_state, load_weights, read_config
from brushwork.cli import main
from brushwork.imageio import load_image

TINY = ["--ngf", "4", "--blocks", "1", "--ndf", "4", "--disc-layers", "2", "--crop", "32", "--load-size", "36"]
RUN = ["--log-every", "1", "--sample-every", "3", "--ckpt-every", "100", "--no-progress", "--device", "cpu"]


def _train(data: Path, out: Path, *extra: str) -> int:
    return main(["train", "cyclegan", "--data", str(data), "--out", str(out), *TINY, *RUN, "--threads", "1", *extra])


def _same_weights(a: Path, b: Path) -> bool:
    wa, wb = load_weights(a), load_weights(b)
    return wa.keys() == wb.keys() and all(torch.equal(wa[k], wb[k]) for k in wa)


def test_train_writes_a_run_that_translate_can_use(tmp_path: Path, make_unpaired, capsys) -> None:
    data = make_unpaired(tmp_path / "horse2zebra")
    assert _train(data, tmp_path / "run", "--steps", "4", "--default-direction", "BtoA") == 0
    assert "finished at step 4" in capsys.readouterr().out
    ckpt = latest_checkpoint(tmp_path / "run")
    config = read_config(ckpt)
    assert config["step"] == 4 and config["method"] == "cyclegan" and config["default_direction"] == "BtoA"
    assert config["domains"] == {"A": "horse", "B": "zebra"} and config["data"]["images_a"] == 4
    assert config["config"]["ngf"] == 4 and config["nets"]["G_AB"]["kind"] == "resnet"
    assert [json.loads(x)["step"] for x in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()] == [
        1,
        2,
        3,
        4,
    ]
    assert (tmp_path / "run" / "samples" / "step_00000003.png").is_file()
    out = tmp_path / "zebra.png"
    assert main(["translate", str(tmp_path / "run"), str(data / "trainA" / "000.jpg"), "-o", str(out), "-q"]) == 0
    assert out.is_file()


def test_stop_and_resume_equals_one_uninterrupted_run(tmp_path: Path, make_unpaired) -> None:
    data = make_unpaired(tmp_path / "data")
    assert _train(data, tmp_path / "whole", "--steps", "6") == 0
    assert _train(data, tmp_path / "parts", "--steps", "6", "--stop-at", "3") == 0
    assert latest_checkpoint(tmp_path / "parts").name == "step_00000003"
    assert _train(data, tmp_path / "parts", "--steps", "6", "--resume") == 0
    whole, parts = latest_checkpoint(tmp_path / "whole"), latest_checkpoint(tmp_path / "parts")
    assert parts.name == "step_00000006"
    assert _same_weights(whole, parts)
    sw, sp = load_trainer_state(whole)["trainable"], load_trainer_state(parts)["trainable"]
    assert torch.equal(sw["pool_a"]["images"], sp["pool_a"]["images"])
    exp = [s["exp_avg_sq"] for s in sw["opt_d"]["state"].values()]
    assert all(torch.equal(a, s["exp_avg_sq"]) for a, s in zip(exp, sp["opt_d"]["state"].values(), strict=True))
    metrics = [json.loads(x) for x in (tmp_path / "parts" / "metrics.jsonl").read_text().splitlines()]
    reference = [json.loads(x) for x in (tmp_path / "whole" / "metrics.jsonl").read_text().splitlines()]
    assert [m["loss_g"] for m in metrics] == [m["loss_g"] for m in reference]


def test_resume_rules(tmp_path: Path, make_unpaired, capsys) -> None:
    data = make_unpaired(tmp_path / "data")
    assert _train(data, tmp_path / "fresh", "--steps", "2", "--resume") == 0  # nothing to resume: starts fresh
    assert _train(data, tmp_path / "fresh", "--steps", "2") == 2
    assert "pass --resume" in capsys.readouterr().err
    assert _train(data, tmp_path / "fresh", "--steps", "3", "--resume", "--ngf", "8") == 2
    assert "ngf=8 differs" in capsys.readouterr().err
    assert _train(data, tmp_path / "fresh", "--steps", "3", "--resume") == 0  # more steps is allowed
    assert read_config(latest_checkpoint(tmp_path / "fresh"))["step"] == 3


def test_init_from_fine_tunes_with_a_frozen_encoder(tmp_path: Path, make_unpaired) -> None:
    base = tmp_path / "base"
    assert _train(make_unpaired(tmp_path / "data"), base, "--steps", "2", "--default-direction", "BtoA") == 0
    artist = make_unpaired(tmp_path / "artist", n_a=3, seed=7)
    args = ["train", "cyclegan", "--data", str(artist), "--out", str(tmp_path / "ft"), *RUN, "--threads", "1"]
    assert main([*args, "--init-from", str(base), "--freeze-encoder", "--steps", "2"]) == 0
    src, ft = load_weights(latest_checkpoint(base)), load_weights(latest_checkpoint(tmp_path / "ft"))
    assert all(torch.equal(src[k], ft[k]) for k in src if k.startswith("G_AB.encoder."))
    assert any(not torch.equal(src[k], ft[k]) for k in src if k.startswith("G_AB.decoder."))
    config = read_config(latest_checkpoint(tmp_path / "ft"))
    assert config["config"]["freeze_encoder"] and config["config"]["ngf"] == 4  # architecture from the source
    assert config["default_direction"] == "BtoA"


def test_init_from_rejects_other_architectures_and_bad_models(tmp_path: Path, make_unpaired, capsys) -> None:
    data = make_unpaired(tmp_path / "data")
    assert _train(data, tmp_path / "base", "--steps", "1") == 0
    assert _train(data, tmp_path / "x", "--steps", "1", "--init-from", str(tmp_path / "base"), "--ngf", "8") == 2
    assert "ngf=8 differs" in capsys.readouterr().err
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "config.json").write_text("{")
    assert _train(data, tmp_path / "y", "--steps", "1", "--init-from", str(bad)) == 2
    assert "corrupt config" in capsys.readouterr().err
    # a checkpoint whose weights do not fit its config (edited or mixed up files)
    ckpt = latest_checkpoint(tmp_path / "base")
    config = json.loads((ckpt / "config.json").read_text())
    config["nets"]["G_AB"]["ngf"] = config["nets"]["G_BA"]["ngf"] = 8
    (ckpt / "config.json").write_text(json.dumps(config))
    args = ["train", "cyclegan", "--data", str(data), "--out", str(tmp_path / "z"), *RUN, "--steps", "1"]
    assert main([*args, "--init-from", str(ckpt)]) == 2
    assert "weights are for a different architecture" in capsys.readouterr().err


def test_init_from_may_switch_resize_upsampling_only(tmp_path: Path, make_unpaired, capsys) -> None:
    """nearest ↔ bilinear share every weight, so a fine-tune may switch; transpose has other weights."""
    data = make_unpaired(tmp_path / "data")
    assert _train(data, tmp_path / "near", "--steps", "1", "--upsample", "nearest") == 0
    assert (
        _train(data, tmp_path / "bil", "--steps", "1", "--init-from", str(tmp_path / "near"), "--upsample", "bilinear")
        == 0
    )
    config = read_config(latest_checkpoint(tmp_path / "bil"))
    assert config["config"]["upsample"] == "bilinear" and config["nets"]["G_AB"]["upsample"] == "bilinear"
    assert (
        _train(data, tmp_path / "tr", "--steps", "1", "--init-from", str(tmp_path / "near"), "--upsample", "transpose")
        == 2
    )
    assert "upsample='transpose' differs" in capsys.readouterr().err


def test_init_from_takes_a_shipped_model_name(tmp_path: Path, make_unpaired, monkeypatch, caplog) -> None:
    import brushwork.api._models as models

    assert _train(make_unpaired(tmp_path / "data"), tmp_path / "base", "--steps", "1") == 0
    shipped = tmp_path / "pretrained" / "tinyart"
    shipped.parent.mkdir()
    latest_checkpoint(tmp_path / "base").rename(shipped)
    monkeypatch.setattr(models, "pretrained_root", lambda: tmp_path / "pretrained")
    monkeypatch.chdir(tmp_path)
    artist = make_unpaired(tmp_path / "artist", seed=3)
    assert _train(artist, tmp_path / "ft", "--steps", "1", "--init-from", "tinyart", "-v") == 0
    assert f"fine-tuning from {shipped}" in caplog.text


def test_bad_data_folders_exit_2_with_one_line(tmp_path: Path, capsys) -> None:
    assert _train(tmp_path / "missing", tmp_path / "run", "--steps", "1") == 2
    assert "no such data folder" in capsys.readouterr().err
    (tmp_path / "d" / "trainA").mkdir(parents=True)
    (tmp_path / "d" / "trainB").mkdir()
    assert _train(tmp_path / "d", tmp_path / "run", "--steps", "1") == 2
    err = capsys.readouterr().err
    assert "trainA: folder has no images" in err and len(err.strip().splitlines()) == 1
    assert _train(tmp_path / "d", tmp_path / "run", "--steps", "1", "--crop", "30") == 2
    assert "multiple of 4" in capsys.readouterr().err


def test_corrupt_training_images_are_skipped_and_counted(tmp_path: Path, make_unpaired) -> None:
    data = make_unpaired(tmp_path / "data")
    (data / "trainB" / "broken.jpg").write_bytes((data / "trainB" / "000.jpg").read_bytes()[:300])
    assert _train(data, tmp_path / "run", "--steps", "1") == 0
    assert read_config(latest_checkpoint(tmp_path / "run"))["data"]["skipped"] == 1


@pytest.mark.integration
def test_real_data_cycle_loss_falls(tmp_path: Path, shared_data: Path) -> None:
    """200 steps at 64 px on vangogh2photo with a tiny ResNet: the cycle loss must clearly fall."""
    args = ["--ngf", "8", "--blocks", "2", "--ndf", "8", "--crop", "64", "--steps", "200", "--log-every", "10"]
    code = main(
        [
            *["train", "cyclegan", "--data", str(shared_data / "vangogh2photo"), "--out", str(tmp_path / "run"), *args],
            *["--sample-every", "200", "--ckpt-every", "200", "--no-progress", "--device", "cpu", "--threads", "1"],
        ]
    )
    assert code == 0
    records = [json.loads(x) for x in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records] == list(range(10, 201, 10))
    cycle = [r["cyc_a"] + r["cyc_b"] for r in records]
    early, late = sum(cycle[:2]) / 2, sum(cycle[-5:]) / 5  # steps 1-20 vs 151-200
    assert late < 0.85 * early, (early, late)
    assert all(0 < r["loss_d_a"] < 1 and 0 < r["loss_d_b"] < 1 for r in records[-5:])
    assert (tmp_path / "run" / "samples" / "step_00000200.png").is_file()


ONESIDED = ["--objective", "onesided", "--direction", "BtoA", "--discriminator", "vgg", "--skip"]
ONESIDED += ["--diffaugment", "color,translation,cutout", "--d-layers", "relu2_2", "relu3_3", "--nce-patches", "16"]


def test_onesided_run_resumes_exactly_and_translates(tmp_path: Path, make_unpaired, capsys) -> None:
    data = make_unpaired(tmp_path / "data")
    assert _train(data, tmp_path / "whole", *ONESIDED, "--steps", "4") == 0
    assert _train(data, tmp_path / "parts", *ONESIDED, "--steps", "4", "--stop-at", "2") == 0
    assert _train(data, tmp_path / "parts", "--steps", "4", "--resume") == 0
    whole, parts = latest_checkpoint(tmp_path / "whole"), latest_checkpoint(tmp_path / "parts")
    assert parts.name == "step_00000004" and _same_weights(whole, parts)
    config = read_config(whole)
    assert set(config["nets"]) == {"G_BA", "D_A"} and config["default_direction"] == "BtoA"
    assert config["nets"]["G_BA"]["skip"] is True and config["nets"]["D_A"]["kind"] == "vgg"
    out = tmp_path / "painted.png"
    assert main(["translate", str(tmp_path / "whole"), str(data / "trainB" / "000.jpg"), "-o", str(out), "-q"]) == 0
    assert out.is_file()
    photo = tmp_path / "photo.png"
    assert main(["translate", str(tmp_path / "whole"), str(data / "trainB" / "001.png"), "-o", str(photo), "-q",
                 "--strength", "0"]) == 0  # fmt: skip
    assert torch.equal(load_image(photo), load_image(data / "trainB" / "001.png"))  # strength 0: the photo itself
    capsys.readouterr()
    assert _train(data, tmp_path / "cycle", "--steps", "1") == 0
    assert main(["translate", str(tmp_path / "cycle"), str(data / "trainB"), "-o", str(tmp_path / "x"), "-q",
                 "--strength", "2"]) == 2  # fmt: skip
    assert "no skip generator" in capsys.readouterr().err
    assert _train(data, tmp_path / "whole", "--steps", "5", "--resume", "--diffaugment", "color") == 2
    assert "diffaugment='color' differs" in capsys.readouterr().err


def test_onesided_style_loss_flags_reach_the_run(tmp_path: Path, make_unpaired) -> None:
    data = make_unpaired(tmp_path / "data")
    flags = ["--lambda-style", "0.5", "--style-layers", "relu1_2", "--steps", "2", "--log-every", "1"]
    assert _train(data, tmp_path / "run", *ONESIDED, *flags) == 0
    config = read_config(latest_checkpoint(tmp_path / "run"))["config"]
    assert config["lambda_style"] == 0.5 and config["style_layers"] == ["relu1_2"]
    records = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert records and all(r["style"] > 0 for r in records)
