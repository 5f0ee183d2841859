"""``brushwork evaluate``: flags, one-line errors, and an end-to-end report on the shared data."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from PIL import Image

from brushwork.cli import main


def test_bad_flags_fail_before_any_work(tmp_path: Path, capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["evaluate", "--content", "x", "--style", "y", "--sweep", "strength"])
    assert exc.value.code == 2 and "KEY=V1,V2" in capsys.readouterr().err
    assert main(["evaluate", "--compare", "gatys:steps", "--content", "x", "--style", "y", "-o", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "'steps' is not KEY=VALUE" in err


def _check_report(out: Path, labels: set[str]) -> dict:
    def no_constants(name: str) -> None:
        raise AssertionError(f"non-standard JSON constant {name}")

    data = json.loads((out / "metrics.json").read_text(), parse_constant=no_constants)
    assert {"ranking", "runs", "settings", "inputs", "environment", "caveats"} <= set(data)
    assert set(data["ranking"]) == labels
    for run in data["runs"]:
        for key in ("ssim", "ssim_luminance", "content_distance", "gram_distance", "mean_std_distance"):
            assert math.isfinite(run["means"][key]), (run["label"], key)
        assert run["means"]["psnr"] is None if run["method"] == "identity" else run["means"]["psnr"] > 0
        holds = (run["means"]["luma_hold"], run["means"]["chroma_hold"])
        if run["method"] == "identity":
            assert holds == pytest.approx((1.0, 1.0)), holds
        elif run["method"] != "cyclegan":  # an untrained tiny CycleGAN may paint a flat picture: no hold (null)
            assert all(h is not None and 0 <= h <= 1 for h in holds), (run["label"], holds)
        assert math.isfinite(run["frechet_distance"]) and math.isfinite(run["combined_score"])
        assert run["performance"]["seconds_per_image"] > 0
    assert all(len(item["sha256"]) == 64 for item in data["inputs"]["content"] + data["inputs"]["real_art"])
    for name in ("contact_sheet.png", "tradeoff.png"):
        with Image.open(out / name) as img:
            img.load()
    text = (out / "report.md").read_text()
    assert "| # | run | images |" in text and all(f"`{label}`" in text for label in labels)
    return data


@pytest.mark.integration
def test_evaluate_gatys_and_cyclegan_end_to_end(shared_data: Path, tmp_path: Path, capsys) -> None:
    """4 contents × 2 styles at 128 px: the identity baseline, AdaIN (shipped), Gatys and a tiny CycleGAN checkpoint."""
    import torch

    from brushwork.checkpoint import save_checkpoint
    from brushwork.methods.cyclegan import CycleGAN, CycleGANConfig

    torch.manual_seed(0)
    model = CycleGAN(CycleGANConfig(ngf=8, blocks=1, ndf=8, crop_size=64))
    config = {**model.model_config(), "default_direction": "BtoA"}
    save_checkpoint(tmp_path / "run", step=2, weights=model.weights(), config=config, trainer={"x": 1})
    styles = [shared_data / "styles" / "starry_night.jpg", shared_data / "styles" / "mosaic.jpg"]
    out = tmp_path / "report"
    cyclegan = f"cyclegan:model={tmp_path / 'run'}"
    argv = ["evaluate", "--data", str(shared_data / "vangogh2photo"), "--limit", "4", "--real-limit", "12"]
    argv += ["--compare", "identity", "adain", "gatys:levels=1", cyclegan, "--style", *map(str, styles)]
    argv += ["--steps", "4", "--size", "128", "-o", str(out)]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "## Summary" in printed and f"report: {out / 'report.md'}" in printed
    data = _check_report(out, {"identity", "adain", "gatys:levels=1", cyclegan})
    runs = {run["label"]: run for run in data["runs"]}
    copy, gatys = runs["identity"], runs["gatys:levels=1"]
    assert len(copy["pairs"]) == len(gatys["pairs"]) == 8 and gatys["settings"] == {"levels": 1, "steps": 4}
    # Gatys moves towards the style and away from the content, but keeps the content recognisable.
    assert copy["means"]["ssim"] == pytest.approx(1.0) and 0.3 < gatys["means"]["ssim"] < 0.99
    assert gatys["means"]["gram_distance"] < 0.7 * copy["means"]["gram_distance"]
    adain = runs["adain"]
    assert len(adain["pairs"]) == 8 and adain["means"]["gram_distance"] < 0.7 * copy["means"]["gram_distance"]
    assert adain["settings"] == {} and "the model's own defaults applied: detail 0.3" in adain["notes"][0]
    assert not any("defaults" in n for n in gatys["notes"])  # palette 0, no detail: nothing applied
    # the patch-level style distance to the style images ranks both methods ahead of doing nothing
    assert max(adain["style_frechet_distance"], gatys["style_frechet_distance"]) < copy["style_frechet_distance"]
    disc = runs[cyclegan]["discriminator"]
    assert disc["n_real"] == 12 and disc["n_fake"] == 4 and 0 <= disc["overall"] <= 1
    assert [p["style"] for p in runs[cyclegan]["pairs"]] == [None] * 4
    assert data["settings"]["direction"] == "BtoA" and len(data["inputs"]["content"]) == 4
    assert Path(data["inputs"]["content"][0]["path"]).parent.name == "testB"
    # the KID ratio: one row per photo for identity (exactly 1, though it ran per style) and CycleGAN only
    assert copy["kid_ratio"]["ratio"] == 1.0 and copy["kid_ratio"]["n"] == 4 and gatys["kid_ratio"] is None
    assert math.isfinite(runs[cyclegan]["kid_ratio"]["ratio"]) and runs[cyclegan]["kid_ratio"]["n_real"] == 12
    assert data["kid_reference"]["filter"] == "sharpen" and 0 < data["kid_reference"]["ratio"] != 1
    assert "KID ratio ↓" in printed and "3× sharpen filter" in printed
