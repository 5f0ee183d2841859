"""``brushwork.api.evaluate`` on tiny synthetic images with a tiny random encoder and tiny CycleGAN models."""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from brushwork.api._eval_specs import RunSpec, expand_sweep, parse_spec
from brushwork.api.evaluate import evaluate
from brushwork.errors import ConfigError, ImageError

FAST = {"steps": 2, "levels": 1}


def _images(folder: Path, count: int, *, seed: int, size: tuple[int, int] = (32, 32)) -> Path:
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        base = rng.random((size[1] // 4, size[0] // 4, 3))
        img = np.kron(base, np.ones((4, 4, 1)))
        Image.fromarray((img * 255).astype(np.uint8)).save(folder / f"{folder.name}{i}.png")
    return folder


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    """Tiny tensors: one thread is faster, and avoids thread hand-off stalls on a busy 2-core machine."""
    import torch

    torch.set_num_threads(1)


@pytest.fixture
def folders(tmp_path: Path) -> dict[str, Path]:
    return {name: _images(tmp_path / name, n, seed=i) for i, (name, n) in enumerate((("c", 2), ("s", 1), ("r", 3)))}


def test_specs_parse_values_and_sweeps_repeat_every_run() -> None:
    spec = parse_spec("gatys:steps=50,strength=0.5,init=noise,verbose=true")
    assert spec.method == "gatys" and spec.label == "gatys:steps=50,strength=0.5,init=noise,verbose=true"
    assert spec.settings == {"steps": 50, "strength": 0.5, "init": "noise", "verbose": True}
    runs = expand_sweep([spec, RunSpec("adain")], {"strength": [0.5, 2], "style_scale": [1]})
    assert len(runs) == 4 and runs[0].all_settings()["strength"] == 0.5 and runs[1].all_settings()["strength"] == 2
    assert runs[3].label == "adain strength=2,style_scale=1" and runs[3].group == "adain"
    assert spec.with_defaults({"steps": 9, "levels": 1}).settings == {**spec.settings, "levels": 1}
    for bad in ("", ":steps=1", "gatys:steps"):
        with pytest.raises(ConfigError):
            parse_spec(bad)


def test_gatys_pairs_metrics_ranking_and_reproducibility(folders, tiny_encoder) -> None:
    kwargs = {"content": folders["c"], "style": folders["s"], "real_art": folders["r"], "size": 32, "device": "cpu"}
    report = evaluate("gatys", sweep={"strength": [0, 1]}, encoder=tiny_encoder, **kwargs, **FAST)
    assert [r.sweep["strength"] for r in report.runs] == [0, 1]  # copying the content ranks first here
    copy, styled = report.runs
    assert len(copy.pairs) == 2 and copy.pairs[0].style == "s0.png"
    assert copy.means["ssim"] == pytest.approx(1.0) and copy.means["content_distance"] == pytest.approx(0, abs=1e-6)
    assert math.isinf(copy.means["psnr"])  # identical images
    assert styled.means["ssim"] < 1 and styled.means["gram_distance"] < copy.means["gram_distance"]
    for run in report.runs:
        assert run.frechet_distance is not None and run.frechet_distance >= 0
        assert run.combined_score == pytest.approx((1 + run.means["content_distance"]) * (1 + run.frechet_distance))
        assert run.kernel_distance is not None and run.discriminator is None
        assert run.performance["images"] == 2 and run.performance["seconds_per_image"] > 0
        assert set(run.outputs) == {("c0.png", "s0.png"), ("c1.png", "s0.png")}
    assert report.settings["runs"][0]["settings"] == {**FAST, "strength": 0}
    content = report.inputs["content"]
    assert content[0]["sha256"] == hashlib.sha256((folders["c"] / "c0.png").read_bytes()).hexdigest()
    assert len(report.inputs["real_art"]) == 3 and report.environment["vgg16"].startswith("custom")
    assert report.environment["packages"]["torch"]
    assert any("not FID" in c for c in report.caveats)
    again = evaluate("gatys:strength=1", limit=1, encoder=tiny_encoder, **kwargs, **FAST)
    assert again.runs[0].pairs[0].ssim == styled.pairs[0].ssim  # seeded: same numbers


def test_default_real_art_is_the_styles_with_a_caveat_and_bad_files_are_skipped(folders, tiny_encoder) -> None:
    (folders["c"] / "broken.jpg").write_bytes(b"\xff\xd8\xff not a jpeg")
    _images(folders["s"], 2, seed=9)  # s0 replaced, s1 added
    report = evaluate(
        "gatys:strength=0", content=folders["c"], style=folders["s"], size=32, device="cpu", encoder=tiny_encoder,
        **FAST,
    )  # fmt: skip
    (run,) = report.runs
    assert len(run.pairs) == 2 * 2 and str(folders["c"] / "broken.jpg") in report.inputs["skipped"]
    assert report.settings["real_art_is_style"] and any("No real art" in c for c in report.caveats)
    assert len(report.inputs["real_art"]) == 2


def test_identity_baseline_runs_with_or_without_styles(folders, tiny_encoder) -> None:
    common = {"content": folders["c"], "real_art": folders["r"], "size": 32, "device": "cpu", "encoder": tiny_encoder}
    (run,) = evaluate("identity", sweep={"strength": [1, 2]}, **common).runs  # sweeps do not apply to it
    assert [p.style for p in run.pairs] == [None, None] and run.means["ssim"] == pytest.approx(1.0)
    assert run.combined_score == pytest.approx(1 + run.frechet_distance)
    report = evaluate(["identity", "gatys"], style=folders["s"], steps=1, levels=1, **common)
    assert {r.label: len(r.pairs) for r in report.runs} == {"identity": 2, "gatys": 2}
    assert any("baseline" in c for c in report.caveats)


def _cyclegan(tmp_path: Path) -> tuple[Path, Path]:
    """A tiny random CycleGAN run directory (with discriminators) and a data folder with testA/testB."""
    from brushwork.checkpoint import save_checkpoint
    from brushwork.methods.cyclegan import CycleGAN, CycleGANConfig

    model = CycleGAN(CycleGANConfig(ngf=4, blocks=1, ndf=4, disc_layers=2, crop_size=32))
    config = {**model.model_config(), "default_direction": "BtoA"}
    save_checkpoint(tmp_path / "run", step=2, weights=model.weights(), config=config, trainer={"x": 1})
    data = tmp_path / "data"
    _images(data / "testA", 3, seed=5)
    _images(data / "testB", 4, seed=6, size=(48, 32))
    return tmp_path / "run", data


def test_cyclegan_on_data_folder_reports_discriminator_accuracy(tmp_path: Path, tiny_encoder) -> None:
    from brushwork.checkpoint import export_model

    run_dir, data = _cyclegan(tmp_path)
    report = evaluate("cyclegan", model=run_dir, data=data, limit=2, size=32, device="cpu", encoder=tiny_encoder)
    (run,) = report.runs
    assert [p.content for p in run.pairs] == ["testB0.png", "testB1.png"] and run.pairs[0].style is None
    assert run.settings["direction"] == "BtoA" and run.settings["model"].endswith("step_00000002")
    disc = run.discriminator
    assert disc is not None and disc["n_real"] == 3 and disc["n_fake"] == 2 and 0 <= disc["overall"] <= 1
    assert math.isfinite(run.means["gram_distance"])  # vs the real art's mean statistics
    assert [Path(m["path"]).name for m in report.inputs["models"]] == ["model.safetensors", "config.json"]
    assert report.settings["direction"] == "BtoA" and len(report.inputs["real_art"]) == 3
    slim = export_model(run_dir, tmp_path / "slim", nets=("G_BA",))
    report = evaluate(f"cyclegan:model={slim}", data=data, limit=2, size=32, device="cpu", encoder=tiny_encoder)
    assert report.runs[0].discriminator is None and "no discriminator D_A" in report.runs[0].notes[0]


def test_bad_requests_fail_with_one_clear_error(folders, tmp_path: Path, tiny_encoder) -> None:
    common = {"size": 32, "device": "cpu", "encoder": tiny_encoder}
    with pytest.raises(ConfigError, match="needs style images"):
        evaluate("gatys", content=folders["c"], real_art=folders["r"], **common)
    with pytest.raises(ConfigError, match="no model given"):
        evaluate("cyclegan", content=folders["c"], real_art=folders["r"], **common)
    with pytest.raises(ConfigError, match="unknown; choose from"):
        evaluate("nope", content=folders["c"], style=folders["s"], **common)
    with pytest.raises(ConfigError, match="only CycleGAN runs take a model"):
        evaluate("gatys", model=tmp_path, content=folders["c"], style=folders["s"], **common)
    with pytest.raises(ConfigError, match="cannot be set per run"):
        evaluate("gatys:size=64", content=folders["c"], style=folders["s"], **common)
    with pytest.raises(ImageError, match="no such content"):
        evaluate("gatys", content=tmp_path / "missing", style=folders["s"], **common)


def test_kid_ratio_for_cyclegan_and_identity_with_the_sharpen_reference(tmp_path: Path, tiny_encoder) -> None:
    from brushwork.checkpoint import export_model
    from brushwork.report import json_safe, markdown

    run_dir, data = _cyclegan(tmp_path)
    slim = export_model(run_dir, tmp_path / "slim", nets=("G_BA",))
    specs = ["identity", f"cyclegan:model={run_dir}", f"cyclegan:model={slim}"]
    report = evaluate(specs, data=data, limit=3, size=32, device="cpu", encoder=tiny_encoder)
    runs = {r.label: r for r in report.runs}
    same, full, shipped = runs["identity"].kid_ratio, runs[specs[1]].kid_ratio, runs[specs[2]].kid_ratio
    assert same is not None and full is not None and shipped is not None
    assert same["ratio"] == 1.0 and same["kid_photos"] > 0  # the photos themselves: exactly 1
    assert (same["n"], same["n_real"], same["subset_size"], same["subsets"]) == (3, 3, 3, 50)
    assert same["kid_photos"] == full["kid_photos"] == shipped["kid_photos"]  # photo features once, same subsets
    assert math.isfinite(full["ratio"]) and full["ratio"] != 1.0
    assert shipped["ratio"] == pytest.approx(full["ratio"], rel=1e-3)  # the same generator, exported to fp16
    reference = report.kid_reference
    assert reference is not None and reference["filter"] == "sharpen" and reference["amount"] == 3.0
    assert reference["kid_photos"] == same["kid_photos"] and reference["ratio"] not in (1.0, full["ratio"])
    assert report.settings["kid"]["layer"] == "relu4_3" and any("KID ratio" in c for c in report.caveats)
    text = markdown(json_safe(report.as_dict()))
    summary = text[text.index("## Summary") : text.index("## `")]
    header = next(line for line in summary.splitlines() if line.startswith("| # |")).split(" | ")
    column, d_column = header.index("KID ratio ↓"), header.index("D acc. (50% ideal)")
    rows = {row.split(" | ")[1]: row.split(" | ") for row in summary.splitlines() if row[:3].strip("| ").isdigit()}
    assert rows["`identity`"][column] == "1.000" and rows[f"`{specs[1]}`"][column] == f"{full['ratio']:.3f}"
    assert rows[f"`{specs[2]}`"][d_column] == "absent" and rows["`identity`"][d_column] == "—"
    assert "%" in rows[f"`{specs[1]}`"][d_column]
    assert f"3× sharpen filter: {reference['ratio']:.3f}" in summary
    gatys = evaluate("gatys", data=data, style=data / "testA", limit=2, size=32, device="cpu", encoder=tiny_encoder,
                     **FAST)  # fmt: skip
    assert gatys.runs[0].kid_ratio is None and gatys.kid_reference is None


def test_pair_styles_gives_each_photo_one_style_and_every_method_the_kid_ratio(tmp_path: Path, tiny_encoder) -> None:
    contents, styles = _images(tmp_path / "c", 3, seed=1), _images(tmp_path / "s", 2, seed=2)
    common = {"content": contents, "style": styles, "real_art": _images(tmp_path / "r", 3, seed=3)}
    kwargs = {"size": 32, "device": "cpu", "encoder": tiny_encoder, **FAST}
    report = evaluate(["gatys", "identity"], pair_styles=True, **common, **kwargs)
    runs = {r.label: r for r in report.runs}
    assert [(p.content, p.style) for p in runs["gatys"].pairs] == [("c0.png", "s0.png"), ("c1.png", "s1.png"),
                                                                   ("c2.png", "s0.png")]  # fmt: skip
    assert runs["gatys"].kid_ratio is not None and runs["identity"].kid_ratio["ratio"] == 1.0
    assert report.settings["pair_styles"] and report.kid_reference is not None
    every = evaluate("gatys", **common, **kwargs).runs[0]  # without pairing: every pair, no KID ratio
    assert len(every.pairs) == 6 and every.kid_ratio is None
    with pytest.raises(ConfigError, match="needs style images"):
        evaluate("identity", pair_styles=True, content=contents, real_art=styles, size=32, device="cpu",
                 encoder=tiny_encoder)  # fmt: skip
