"""``brushwork train student`` and ``stylize --method fast`` end to end on tiny networks: a tiny VGG16-shaped
encoder stands in for the real one, a tiny AdaIN model directory is the teacher."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest
import torch

from brushwork.checkpoint import latest_checkpoint, load_weights, read_config, save_model_dir
from brushwork.cli import main
from brushwork.imageio import load_image

NET = ["--widths", "4,8,8", "--style-dim", "8", "--crop", "32", "--load-size", "40", "--batch-size", "2"]
RUN = [*NET, "--no-bf16", "--log-every", "1", "--sample-every", "2", "--no-progress", "--device", "cpu"]


@pytest.fixture
def tiny_vgg(monkeypatch, tiny_encoder):
    """Training loads the VGG16 through ``load_vgg16``: the tiny encoder instead."""
    encoders = importlib.import_module("brushwork.models.encoders")
    monkeypatch.setattr(encoders, "load_vgg16", lambda *args, **kwargs: tiny_encoder)


def _teacher(root: Path, encoder, held_out: list[str], seed: int = 0) -> Path:
    from brushwork.methods.adain import AdaINConfig
    from brushwork.methods.adain_trainer import AdaINTrainer

    config = AdaINConfig(decoder_widths=(8, 8, 4), encoder_widths=(4, 8, 8, 8), skips=("relu3_1", "relu1_1"))
    trainer = AdaINTrainer(config, encoder=encoder, seed=seed)
    meta = {**trainer.model_config(), "data": {"held_out_styles": held_out}, "step": 7}
    return save_model_dir(root, weights=trainer.weights(), config=meta)


def _train(data: Path, out: Path, *extra: str) -> int:
    content, style = data / "trainB", data / "trainA"
    return main(["train", "student", "--content", str(content), "--style", str(style), "--out", str(out), *RUN, *extra])


def test_train_resume_teacher_rules_and_stylize(tmp_path: Path, make_unpaired, tiny_vgg, tiny_encoder, capsys) -> None:
    data = make_unpaired(tmp_path / "data")
    teacher = _teacher(tmp_path / "teacher", tiny_encoder, ["000"])
    t = ["--teacher", str(teacher)]
    assert _train(data, tmp_path / "whole", "--steps", "1") == 2
    assert "needs --teacher" in capsys.readouterr().err
    assert _train(data, tmp_path / "whole", *t, "--steps", "1") == 2  # the teacher held out 000
    assert "hold them out here too" in capsys.readouterr().err

    assert _train(data, tmp_path / "whole", *t, "--steps", "4", "--exclude-style", "000", "--random-alpha", "0.5") == 0
    assert "finished at step 4" in capsys.readouterr().out
    model = latest_checkpoint(tmp_path / "whole")
    config = read_config(model)
    assert config["method"] == "student" and config["nets"]["student"]["widths"] == [4, 8, 8]
    assert "encoder" not in config and config["data"]["held_out_styles"] == ["000"]
    assert config["teacher"]["model"] == str(teacher) and config["teacher"]["steps"] == 7
    assert len(config["teacher"]["sha256"]) == 64 and config["config"]["random_alpha"] == 0.5
    assert (tmp_path / "whole" / "samples" / "step_00000002.png").is_file()
    logged = json.loads((tmp_path / "whole" / "metrics.jsonl").read_text().splitlines()[-1])
    assert {"pixel", "distill", "structure", "style", "gram"} <= set(logged)

    args = ["--steps", "4", "--exclude-style", "000", "--random-alpha", "0.5"]
    assert _train(data, tmp_path / "parts", *t, *args, "--stop-at", "2") == 0
    other = _teacher(tmp_path / "other", tiny_encoder, ["000"], seed=1)
    assert _train(data, tmp_path / "parts", "--teacher", str(other), *args, "--resume") == 2
    assert "not the run's teacher" in capsys.readouterr().err
    assert _train(data, tmp_path / "parts", *args, "--resume") == 0  # the run's own teacher
    wa, wb = load_weights(model), load_weights(latest_checkpoint(tmp_path / "parts"))
    assert all(torch.equal(wa[k], wb[k]) for k in wa)
    logs = [
        [json.loads(x)["loss"] for x in (tmp_path / r / "metrics.jsonl").read_text().splitlines()]
        for r in ("whole", "parts")
    ]
    assert logs[0] == logs[1]

    photo, style = sorted((data / "trainB").iterdir())[0], sorted((data / "trainA").iterdir())[0]
    out = tmp_path / "out.png"
    argv = ["stylize", str(photo), "--style", str(style), "--method", "fast", "-o", str(out), "--device", "cpu", "-q"]
    assert main([*argv, "--model", str(tmp_path / "whole"), "--alpha", "0.7", "--tile", "0"]) == 0
    assert load_image(out).shape[-2:] == load_image(photo).shape[-2:]


def test_init_from_a_student_keeps_its_shape_and_held_out_styles(
    tmp_path: Path, make_unpaired, tiny_vgg, tiny_encoder, capsys
) -> None:
    data = make_unpaired(tmp_path / "data")
    teacher = _teacher(tmp_path / "teacher", tiny_encoder, [])
    t = ["--teacher", str(teacher)]
    assert _train(data, tmp_path / "first", *t, "--steps", "2", "--exclude-style", "001", "--dec-blocks", "1") == 0
    first = latest_checkpoint(tmp_path / "first")
    assert _train(data, tmp_path / "second", *t, "--steps", "1", "--init-from", str(first)) == 2
    assert "hold them out here too" in capsys.readouterr().err
    assert _train(data, tmp_path / "second", *t, "--steps", "1", "--init-from", str(teacher)) == 2
    assert "needs a student" in capsys.readouterr().err
    args = ["--steps", "1", "--exclude-style", "001", "--init-from", str(tmp_path / "first"), "--lr", "1e-12"]
    args += ["--tv-weight", "50", "--spectrum-weight", "0.5", "--orientation-weight", "2"]
    args += ["--layout-weight", "0.5", "--coarse-gram-weight", "3", "--structure-magnitude", "1"]
    args += ["--regional-weight", "2", "--regional-cells", "2"]
    args += ["--style-crop", "48", "--style-load-size", "56", "--steps", "2"]  # larger styles
    assert _train(data, tmp_path / "second", *t, *args) == 0
    second = latest_checkpoint(tmp_path / "second")
    start, now = load_weights(first), load_weights(second)
    assert all(torch.allclose(start[k], now[k], atol=1e-6) for k in start)  # lr ~0: unchanged
    config = read_config(second)
    assert config["nets"]["student"]["dec_blocks"] == 1  # the shape comes from the --init-from model
    assert config["config"]["tv_weight"] == 50.0  # the losses come from the flags
    assert config["config"]["spectrum_weight"] == 0.5 and config["config"]["orientation_weight"] == 2.0
    assert config["config"]["layout_weight"] == 0.5 and config["config"]["coarse_gram_weight"] == 3.0
    assert config["config"]["structure_magnitude"] == 1.0
    assert (config["config"]["regional_weight"], config["config"]["regional_cells"]) == (2.0, 2)
    assert (config["config"]["style_crop"], config["config"]["style_load_size"]) == (48, 56)
    assert (tmp_path / "second" / "samples" / "step_00000002.png").is_file()  # the style shown at the photo's size
    assert config["data"]["init_from"]["model"] == str(first) and config["data"]["init_from"]["steps"] == 2
    assert config["nets"]["student"]["upsample"] == "nearest"

    # Upsampling may switch (no weight depends on it) and is then inherited unless given again.
    up = ["--steps", "1", "--exclude-style", "001", "--upsample", "bilinear"]
    assert _train(data, tmp_path / "third", *t, *up, "--init-from", str(second)) == 0
    third = latest_checkpoint(tmp_path / "third")
    assert read_config(third)["nets"]["student"]["upsample"] == "bilinear"
    assert _train(data, tmp_path / "fourth", *t, *up[:4], "--init-from", str(third)) == 0
    assert read_config(latest_checkpoint(tmp_path / "fourth"))["config"]["upsample"] == "bilinear"

    # A site made static drops its dynamic filter; the rest of the weights carry over; a static site stays static.
    fifth = ["--steps", "1", "--exclude-style", "001", "--lr", "1e-12", "--static", "4"]
    assert _train(data, tmp_path / "fifth", *t, *fifth, "--init-from", str(third)) == 0
    pruned = latest_checkpoint(tmp_path / "fifth")
    assert read_config(pruned)["nets"]["student"]["static"] == [4]
    before, after = load_weights(third), load_weights(pruned)
    dropped = {k for k in before if k.startswith("student.sites.1.kernel.")}  # dec_blocks 1: sites 8, 4, 2
    assert dropped and set(before) - set(after) == dropped and set(after) <= set(before)
    assert all(torch.allclose(before[k], after[k], atol=1e-6) for k in after)
    assert _train(data, tmp_path / "sixth", *t, *fifth[:4], "--static", "2", "--init-from", str(pruned)) == 2
    assert "keeps those" in capsys.readouterr().err


def test_init_from_with_more_encoder_blocks_grows_the_student(
    tmp_path: Path, make_unpaired, tiny_vgg, tiny_encoder, capsys
) -> None:
    data = make_unpaired(tmp_path / "data")
    t = ["--teacher", str(_teacher(tmp_path / "teacher", tiny_encoder, []))]
    assert _train(data, tmp_path / "first", *t, "--steps", "2", "--enc-blocks", "2") == 0
    first = latest_checkpoint(tmp_path / "first")
    fewer = ["--steps", "1", "--init-from", str(first), "--enc-blocks", "1"]
    assert _train(data, tmp_path / "fewer", *t, *fewer) == 2
    assert "cannot have fewer" in capsys.readouterr().err
    grow = ["--steps", "1", "--init-from", str(first), "--enc-blocks", "3", "--quarter-blocks", "1", "--lr", "1e-12"]
    assert _train(data, tmp_path / "grown", *t, *grow) == 0
    grown = latest_checkpoint(tmp_path / "grown")
    spec = read_config(grown)["nets"]["student"]
    assert spec["enc_blocks"] == 3 and spec["quarter_blocks"] == 1
    start, now = load_weights(first), load_weights(grown)
    assert all(torch.allclose(start[k], now[k], atol=1e-6) for k in start)  # lr ~0: the trained part unchanged
    assert not now["student.content_encoder.blocks.2.conv2.weight"].abs().max() > 1e-6  # new: the identity
    assert not now["student.quarter.0.conv2.weight"].abs().max() > 1e-6
    assert _train(data, tmp_path / "grown", *t, "--steps", "2", "--resume") == 0  # resume: its own shape


def test_a_run_from_a_shipped_model_keeps_its_inference_defaults(
    tmp_path: Path, make_unpaired, tiny_vgg, tiny_encoder, capsys
):
    """A checkpoint of a run started from a shipped student stylises as that model does (its ``detail`` default),
    not with the generic default; resuming keeps it."""
    from brushwork.checkpoint import export_model
    from brushwork.detail import DEFAULT_AMOUNT, default_amount

    data = make_unpaired(tmp_path / "data")
    t = ["--teacher", str(_teacher(tmp_path / "teacher", tiny_encoder, []))]
    assert _train(data, tmp_path / "first", *t, "--steps", "1") == 0
    plain = latest_checkpoint(tmp_path / "first")
    assert "defaults" not in read_config(plain) and default_amount(read_config(plain)) == DEFAULT_AMOUNT
    defaults = {"detail": 0.0, "palette": 1.0}  # the previews get the palette too (tests/methods)
    shipped = export_model(plain, tmp_path / "shipped", nets=("student",), defaults=defaults)
    assert _train(data, tmp_path / "next", *t, "--steps", "1", "--init-from", str(shipped)) == 0
    assert read_config(latest_checkpoint(tmp_path / "next"))["defaults"] == defaults
    assert _train(data, tmp_path / "next", *t, "--steps", "2", "--resume") == 0
    resumed = read_config(latest_checkpoint(tmp_path / "next"))
    assert resumed["step"] == 2 and resumed["defaults"] == defaults
    assert default_amount(resumed) == 0.0
    assert (tmp_path / "next" / "samples" / "step_00000002.png").is_file()
    bad = export_model(plain, tmp_path / "bad", nets=("student",), defaults={"palette": 3.0})
    capsys.readouterr()
    assert _train(data, tmp_path / "other", *t, "--steps", "1", "--init-from", str(bad)) != 0
    assert "palette" in capsys.readouterr().err and not (tmp_path / "other" / "checkpoints").exists()


def test_freeze_generator_retrains_the_style_path_without_a_teacher(
    tmp_path: Path, make_unpaired, tiny_vgg, tiny_encoder
) -> None:
    data = make_unpaired(tmp_path / "data")
    t = ["--teacher", str(_teacher(tmp_path / "teacher", tiny_encoder, []))]
    assert _train(data, tmp_path / "first", *t, "--steps", "2") == 0
    first = latest_checkpoint(tmp_path / "first")
    style = ["--freeze-generator", "--pixel-weight", "0", "--distill-weight", "0", "--contrast-weight", "1"]
    args = ["--steps", "3", "--init-from", str(first), "--lr", "1e-2", "--random-alpha", "0", *style]
    args += ["--gram-layers", "0.5,0.5,1.5,1.5"]
    assert _train(data, tmp_path / "style", *t, *args) == 0
    run = latest_checkpoint(tmp_path / "style")
    config = read_config(run)["config"]
    assert (
        config["freeze_generator"] is True
        and config["contrast_weight"] == 1.0
        and config["gram_layers"] == [0.5, 0.5, 1.5, 1.5]
    )
    start, now = load_weights(first), load_weights(run)
    path = ("student.style_encoder.", "student.style_mlp.", "student.sites.")
    changed = {k for k in start if not torch.equal(start[k], now[k])}
    assert changed and all(k.startswith(path) for k in changed)  # the generator stays as loaded
    assert any(k.startswith("student.style_mlp.") for k in changed)
    logged = [json.loads(line) for line in (tmp_path / "style" / "metrics.jsonl").read_text().splitlines()]
    assert "contrast" in logged[-1] and "pixel" not in logged[-1]
    assert _train(data, tmp_path / "style", *t, "--steps", "4", "--resume") == 0  # resume keeps the freeze
    resumed = load_weights(latest_checkpoint(tmp_path / "style"))
    assert all(torch.equal(now[k], resumed[k]) for k in now if not k.startswith(path))


def test_stylize_fast_without_a_shipped_model_is_one_line(tmp_path: Path, monkeypatch, capsys) -> None:
    from brushwork.imageio import save_image

    models = importlib.import_module("brushwork.api._models")
    monkeypatch.setattr(models, "pretrained_names", lambda: ["adain", "vangogh"])
    photo = save_image(torch.rand(1, 3, 40, 40), tmp_path / "photo.png")
    argv = ["stylize", str(photo), "--style", str(photo), "--method", "fast", "-o", str(tmp_path / "o.png")]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no fast model is shipped yet" in err[0] and "--model" in err[0]
    assert main([*argv, "--steps", "3"]) == 2
    assert "--steps is a gatys option" in capsys.readouterr().err


@pytest.mark.parametrize("real", ["teacher", "painting"])
def test_an_adversarial_run_resumes_and_its_checkpoint_stylizes(
    tmp_path: Path, make_unpaired, tiny_vgg, tiny_encoder, real: str
) -> None:
    from brushwork.checkpoint import export_model

    data = make_unpaired(tmp_path / "data")
    t = ["--teacher", str(_teacher(tmp_path / "teacher", tiny_encoder, []))]
    gan = ("--adversarial-weight", "0.5", *(("--critic-real", real) if real != "teacher" else ()))
    assert _train(data, tmp_path / "gan", *t, "--steps", "2", *gan) == 0
    first = latest_checkpoint(tmp_path / "gan")
    assert any(k.startswith("critic.") for k in load_weights(first))
    assert read_config(first)["nets"]["critic"]["kind"] == "vgg"
    assert _train(data, tmp_path / "gan", *t, "--steps", "3", "--resume") == 0
    assert read_config(latest_checkpoint(tmp_path / "gan"))["config"]["critic_real"] == real  # kept on resume
    logged = [json.loads(line) for line in (tmp_path / "gan" / "metrics.jsonl").read_text().splitlines()]
    assert {"adversarial", "critic"} <= set(logged[-1]) and logged[-1]["step"] == 3
    shipped = export_model(latest_checkpoint(tmp_path / "gan"), tmp_path / "model", nets=("student",))
    assert not any(k.startswith("critic.") for k in load_weights(shipped))
    photo = str(data / "trainB" / sorted(p.name for p in (data / "trainB").iterdir())[0])
    for model in (latest_checkpoint(tmp_path / "gan"), shipped):  # a run's checkpoint stylizes as its export does
        out = tmp_path / f"{model.name}.png"
        argv = ["stylize", photo, "--style", photo, "--method", "fast", "--model", str(model), "-o", str(out)]
        assert main(argv) == 0 and load_image(out).shape[1] == 3


def test_the_shift_term_from_the_command_line(tmp_path: Path, make_unpaired, tiny_vgg, tiny_encoder, capsys) -> None:
    data = make_unpaired(tmp_path / "data")
    t = ["--teacher", str(_teacher(tmp_path / "teacher", tiny_encoder, []))]
    assert _train(data, tmp_path / "run", *t, "--steps", "2", "--shift-weight", "3") == 0
    assert read_config(latest_checkpoint(tmp_path / "run"))["config"]["shift_weight"] == 3.0
    logged = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert logged[-1]["shift"] > 0
    assert _train(data, tmp_path / "noisy", *t, "--steps", "1", "--shift-weight", "1", "--noise", "4") == 2
    assert "shift_weight needs noise 0" in capsys.readouterr().err


def test_deep_structure_and_the_hold_term_from_the_command_line(
    tmp_path: Path, make_unpaired, tiny_vgg, tiny_encoder
) -> None:
    data = make_unpaired(tmp_path / "data")
    t = ["--teacher", str(_teacher(tmp_path / "teacher", tiny_encoder, []))]
    deep = ["--steps", "1", "--structure-weight", "1", "--structure-layers", "0,0,1,1"]
    assert _train(data, tmp_path / "deep", *t, *deep) == 0
    assert read_config(latest_checkpoint(tmp_path / "deep"))["config"]["structure_layers"] == [0.0, 0.0, 1.0, 1.0]
    held = [
        "--steps",
        "2",
        "--hold-weight",
        "5",
        "--hold-ceiling",
        "0.3",
        "--random-alpha",
        "0",
        "--crop",
        "64",
        "--load-size",
        "64",
    ]
    assert _train(data, tmp_path / "held", *t, *held) == 0
    assert read_config(latest_checkpoint(tmp_path / "held"))["config"]["hold_ceiling"] == 0.3
    logged = [json.loads(line) for line in (tmp_path / "held" / "metrics.jsonl").read_text().splitlines()]
    assert "hold" in logged[-1]


def test_a_notched_student_from_a_plain_one(tmp_path: Path, make_unpaired, tiny_vgg, tiny_encoder, capsys) -> None:
    data = make_unpaired(tmp_path / "data")
    t = ["--teacher", str(_teacher(tmp_path / "teacher", tiny_encoder, []))]
    assert _train(data, tmp_path / "plain", *t, "--steps", "1") == 0
    first = latest_checkpoint(tmp_path / "plain")
    assert "cell_notch" not in read_config(first)["nets"]["student"]
    assert _train(data, tmp_path / "notched", *t, "--steps", "1", "--init-from", str(first), "--cell-notch", "1") == 0
    saved = read_config(latest_checkpoint(tmp_path / "notched"))
    assert saved["nets"]["student"]["cell_notch"] == 1.0 and saved["config"]["cell_notch"] == 1.0
    again = ["--steps", "1", "--init-from", str(latest_checkpoint(tmp_path / "notched"))]
    assert _train(data, tmp_path / "again", *t, *again) == 0  # inherited unless told
    assert read_config(latest_checkpoint(tmp_path / "again"))["nets"]["student"]["cell_notch"] == 1.0
    assert _train(data, tmp_path / "bad", *t, "--steps", "1", "--cell-notch", "2") == 2
    assert "cell_notch" in capsys.readouterr().err


def test_a_luma_student_from_a_colour_one(tmp_path: Path, make_unpaired, tiny_vgg, tiny_encoder, capsys) -> None:
    data = make_unpaired(tmp_path / "data")
    t = ["--teacher", str(_teacher(tmp_path / "teacher", tiny_encoder, []))]
    assert _train(data, tmp_path / "colour", *t, "--steps", "1") == 0
    first = latest_checkpoint(tmp_path / "colour")
    assert "luma_input" not in read_config(first)["nets"]["student"]
    args = ["--steps", "2", "--init-from", str(first), "--luma-input", "--structure-luma"]
    assert _train(data, tmp_path / "luma", *t, *args) == 0
    saved = read_config(latest_checkpoint(tmp_path / "luma"))
    assert saved["nets"]["student"]["luma_input"] is True and saved["config"]["structure_luma"] is True
    again = ["--steps", "1", "--init-from", str(latest_checkpoint(tmp_path / "luma")), "--structure-luma"]
    assert _train(data, tmp_path / "again", *t, *again) == 0  # a luma model's runs stay luma unless told
    assert read_config(latest_checkpoint(tmp_path / "again"))["nets"]["student"]["luma_input"] is True
    off = ["--steps", "1", "--init-from", str(first), "--luma-input"]
    assert _train(data, tmp_path / "bad", *t, *off) == 2  # the colour structure term would push the picture to grey
    assert "luma_input needs structure_luma" in capsys.readouterr().err
    config_file = latest_checkpoint(tmp_path / "colour") / "config.json"
    older = json.loads(config_file.read_text())
    del older["config"]["luma_input"]  # as a run saved before the setting existed
    config_file.write_text(json.dumps(older))
    resumed = ["--steps", "2", "--resume", "--luma-input"]
    assert _train(data, tmp_path / "colour", *t, *resumed) == 2  # its default (off) is what that run had
    assert "luma_input=True differs" in capsys.readouterr().err
    logged = [json.loads(line) for line in (tmp_path / "luma" / "metrics.jsonl").read_text().splitlines()]
    assert logged[-1]["structure"] > 0
    photo = str(data / "trainB" / sorted(p.name for p in (data / "trainB").iterdir())[0])
    out = tmp_path / "luma.png"
    argv = [
        "stylize",
        photo,
        "--style",
        photo,
        "--method",
        "fast",
        "--model",
        str(latest_checkpoint(tmp_path / "luma")),
    ]
    assert main([*argv, "-o", str(out)]) == 0 and load_image(out).shape[1] == 3


def _targets(data: Path, out: Path, *, style: str) -> Path:
    """A target folder for the tiny data: each photo's target is its inverse (decoded at the run's 40 px)."""
    from PIL import Image

    from brushwork.data.folders import decode_uint8

    out.mkdir(parents=True)
    lines = []
    for i, photo in enumerate(sorted((data / "trainB").iterdir())[:3]):
        picture = 255 - decode_uint8(photo, 40)
        Image.fromarray(picture.permute(1, 2, 0).numpy()).save(out / f"{i:06d}.png")
        entry = {"index": i, "target": f"{i:06d}.png", "content": str(photo), "load_size": 40}
        lines.append(json.dumps({**entry, "style": str(data / "trainA" / style)}))
    (out / "index.jsonl").write_text("\n".join(lines) + "\n")
    return out


def test_targets_are_learnt_every_k_steps_and_kept_on_resume(
    tmp_path: Path, make_unpaired, tiny_vgg, tiny_encoder, capsys
) -> None:
    data = make_unpaired(tmp_path / "data")
    teacher = _teacher(tmp_path / "teacher", tiny_encoder, ["000"])
    kept = sorted(p.name for p in (data / "trainA").iterdir() if not p.name.startswith("000"))[0]
    targets = _targets(data, tmp_path / "targets", style=kept)
    args = ["--teacher", str(teacher), "--exclude-style", "000", "--steps", "4"]
    assert (
        _train(data, tmp_path / "run", *args, "--targets", str(targets), "--target-every", "2", "--stop-at", "2") == 0
    )
    assert _train(data, tmp_path / "run", *args, "--resume") == 0  # the run's own targets
    logged = [json.loads(x) for x in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert ["target_pixel" in x for x in logged] == [True, False, True, False]
    saved = read_config(latest_checkpoint(tmp_path / "run"))
    assert saved["data"]["targets"] == {"folder": str(targets.resolve()), "pairs": 3, "every": 2}
    assert saved["config"]["target_every"] == 2

    bad = _targets(data, tmp_path / "bad", style=sorted((data / "trainA").iterdir())[0].name)  # 000…: held out
    assert _train(data, tmp_path / "other", *args, "--targets", str(bad)) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert "000000.png: painted with the held-out style 000" in err
    assert _train(data, tmp_path / "run", *args, "--steps", "6", "--resume", "--targets", str(bad)) == 2
    assert "is not the run's target folder" in capsys.readouterr().err
    assert _train(data, tmp_path / "new", *args, "--targets", str(tmp_path / "gone")) == 2
    assert "gone: no such folder" in capsys.readouterr().err
