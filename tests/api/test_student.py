"""``brushwork.stylize(..., method="fast")`` with a tiny student saved as a model directory (no VGG16 involved)."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
import torch

from brushwork.api._adain import style_for
from brushwork.api._student import STYLE_MAX_SIDE
from brushwork.api.stylize import METHODS, stylize, stylize_result
from brushwork.detail import add_detail
from brushwork.errors import CheckpointError, ConfigError
from brushwork.methods import student


@pytest.fixture
def model(tmp_path: Path, make_student) -> Path:
    return make_student(tmp_path / "model")


@pytest.fixture
def no_vgg(monkeypatch) -> None:
    """The fast method must never load the VGG16."""

    def refuse(*args: object) -> None:
        raise AssertionError("the fast method loaded the VGG16")

    monkeypatch.setattr(importlib.import_module("brushwork.api._models"), "vgg16_encoder", refuse)


def _img(seed: int, h: int = 40, w: int = 48) -> torch.Tensor:
    return torch.rand(1, 3, h, w, generator=torch.Generator().manual_seed(seed))


def test_registered_like_adain() -> None:
    assert METHODS["fast"].two_style_mask and METHODS["fast"].default_size == METHODS["adain"].default_size


def test_matches_the_method_and_reports_numbers(model: Path, no_vgg, caplog) -> None:
    content, style = _img(0), _img(1, 48, 48)
    result = stylize_result(content, style, method="fast", model=str(model), device="cpu", precision="fp32")
    assert result.image.shape == content.shape and result.method == "fast"
    assert result.numbers["alpha"] == 1.0 and result.numbers["model"] == str(model)
    assert result.numbers["layout"] == "channels_last" and result.numbers["style_sizes"] == [
        [64, 64]
    ]  # style_for: at least 64 px
    net, _ = student.load_student(model)
    expected = student.stylize(content, [style_for(style, content_long_side=48, scale=1.0)], net=net)
    assert torch.allclose(result.image, add_detail(expected, content, amount=result.numbers["detail"]), atol=1e-5)
    assert not result.image.is_inference() and not expected.is_inference()  # callers may change them in place
    result.image.mul_(0.5)


def test_the_model_may_carry_its_own_default_detail(tmp_path: Path, model: Path, make_student, no_vgg) -> None:
    """``defaults.detail`` in config.json: used unless ``detail`` is given, baked into the ONNX export too; a bad
    value is a checkpoint error naming it."""
    import json

    from brushwork.detail import DEFAULT_AMOUNT

    content, style = _img(0), _img(1, 48, 48)
    run = {"model": str(model), "device": "cpu", "precision": "fp32"}
    assert stylize_result(content, style, method="fast", **run).numbers["detail"] == DEFAULT_AMOUNT
    model = make_student(tmp_path / "own")
    config_file = model / "config.json"
    config = json.loads(config_file.read_text())
    config_file.write_text(json.dumps({**config, "defaults": {"detail": 0.1}}))
    run["model"] = str(model)
    assert stylize_result(content, style, method="fast", **run).numbers["detail"] == pytest.approx(0.1)
    assert stylize_result(content, style, method="fast", alpha=0.5, **run).numbers["detail"] == pytest.approx(0.05)
    assert stylize_result(content, style, method="fast", detail=0.6, **run).numbers["detail"] == 0.6
    pytest.importorskip("onnx")
    from brushwork.onnx_export import export_onnx

    onnx_path = export_onnx(model, model.parent / "fast.onnx", sample_size=32)
    import onnx

    meta = {p.key: p.value for p in onnx.load(str(onnx_path)).metadata_props}
    assert "0.1" in json.dumps(meta)
    bad = make_student(tmp_path / "bad")
    (bad / "config.json").write_text(json.dumps({**config, "defaults": {"detail": "lots"}}))
    with pytest.raises(CheckpointError, match=r"defaults\.detail 'lots'"):
        stylize_result(content, style, method="fast", **{**run, "model": str(bad)})


def test_the_model_may_carry_its_own_default_palette(tmp_path: Path, make_student, no_vgg) -> None:
    """``defaults.palette`` in config.json: applied unless ``palette`` is given, never with ``preserve_color``;
    a bad value is a checkpoint error naming it."""
    import json

    content, style = _img(0), _img(1, 48, 48)
    plain_model = make_student(tmp_path / "plain")
    run = {"method": "fast", "model": str(plain_model), "device": "cpu", "precision": "fp32"}
    plain = stylize_result(content, style, **run)
    assert plain.numbers["palette"] == 0.0 and "model_palette" not in plain.numbers
    model = make_student(tmp_path / "own")  # the same weights (seeded): only its defaults differ
    config = json.loads((model / "config.json").read_text())
    (model / "config.json").write_text(json.dumps({**config, "defaults": {"palette": 1.0}}))
    run["model"] = str(model)
    own = stylize_result(content, style, **run)
    assert own.numbers["palette"] == 1.0
    assert torch.allclose(own.image, stylize_result(content, style, palette=1.0, **run).image)
    assert not torch.allclose(own.image, plain.image, atol=0.02)
    assert torch.equal(stylize_result(content, style, palette=0.0, **run).image, plain.image)
    assert stylize_result(content, style, alpha=0.5, **run).numbers["palette"] == 0.5  # × alpha, as the detail
    at_zero = stylize_result(content, style, alpha=0.0, **run)  # no style, no palette
    assert at_zero.numbers["palette"] == 0.0
    assert torch.equal(at_zero.image, stylize_result(content, style, alpha=0.0, palette=0.0, **run).image)
    kept = stylize_result(content, style, preserve_color="luminance", **run)  # no conflict: the default yields
    assert kept.numbers["palette"] == 0.0
    pytest.importorskip("onnx")
    import onnx

    from brushwork.onnx_export import export_onnx

    onnx_path = export_onnx(model, tmp_path / "fast.onnx", sample_size=32)
    meta = {p.key: p.value for p in onnx.load(str(onnx_path)).metadata_props}
    assert json.loads(meta["palette_after"]) == 1.0  # not in the graph: the caller applies it
    bad = make_student(tmp_path / "bad")
    (bad / "config.json").write_text(json.dumps({**config, "defaults": {"palette": 2}}))
    with pytest.raises(CheckpointError, match=r"defaults\.palette 2"):
        stylize_result(content, style, **{**run, "model": str(bad)})


def test_the_style_is_scaled_as_for_a_content_of_at_most_512_px(model: Path, no_vgg) -> None:
    content, style = _img(0, 300, 700), _img(1, 900, 1200)
    numbers = stylize_result(content, style, method="fast", model=str(model), device="cpu", size=700).numbers
    assert numbers["style_sizes"] == [[384, STYLE_MAX_SIDE]]


def test_alpha_strength_masks_and_options(model: Path, no_vgg) -> None:
    content, s1, s2 = _img(0), _img(1), _img(2) ** 3
    kw = {"method": "fast", "model": str(model), "device": "cpu"}
    zero = stylize(content, s1, alpha=0.0, **kw)
    assert torch.equal(zero, stylize(content, s1, strength=0.0, **kw))
    assert not torch.equal(zero, stylize(content, s1, **kw))
    white = torch.ones(1, 1, 40, 48)
    assert torch.allclose(stylize(content, [s1, s2], mask=white, **kw), stylize(content, s1, **kw), atol=1e-6)
    black = torch.zeros(1, 1, 40, 48)
    assert torch.allclose(stylize(content, [s1, s2], mask=black, **kw), stylize(content, s2, **kw), atol=1e-6)
    assert torch.allclose(stylize(content, s1, mask=black, **kw), content, atol=1e-6)  # one style: content kept
    kept = stylize(content, s1, preserve_color="luminance", **kw)
    assert kept.shape == content.shape
    painted = stylize(content, s1, **kw)
    tinted = stylize(content, s1, palette=1.0, **kw)
    assert torch.allclose(tinted.mean(dim=(2, 3)), s1.mean(dim=(2, 3)), atol=0.03)  # the painting's colours
    assert (painted.mean(dim=(2, 3)) - s1.mean(dim=(2, 3))).abs().max() > 0.05
    both = stylize(content, [s1, s2], mask=white, palette=1.0, **kw)  # the mask's white area: the first painting
    assert torch.allclose(both, tinted, atol=1e-5)
    with pytest.raises(ConfigError, match="choose one"):
        stylize(content, s1, palette=0.5, preserve_color="luminance", **kw)
    with pytest.raises(ConfigError, match=r"palette 1\.5"):
        stylize(content, s1, palette=1.5, **kw)
    with pytest.raises(ConfigError, match="alpha"):
        stylize(content, s1, strength=2.0, **kw)
    with pytest.raises(ConfigError, match="unknown option"):
        stylize(content, s1, steps=3, **kw)


def test_tiles_run_and_agree(model: Path, no_vgg) -> None:
    content, style = _img(0, 120, 160), _img(1, 48, 48)
    kw = {"method": "fast", "model": str(model), "device": "cpu", "precision": "fp32"}
    whole = stylize_result(content, style, tile=0, **kw)
    tiled = stylize_result(content, style, tile=96, **kw)
    assert whole.numbers["tile"] is None and tiled.numbers["tile"] == 96
    assert float((whole.image - tiled.image).pow(2).mean()) < 1e-2


def test_without_a_shipped_fast_model_the_error_says_so(no_vgg, monkeypatch) -> None:
    models = importlib.import_module("brushwork.api._models")
    monkeypatch.setattr(models, "pretrained_names", lambda: ["adain", "vangogh"])
    with pytest.raises(CheckpointError, match="no fast model is shipped yet"):
        stylize(_img(0), _img(1), method="fast", device="cpu")


def test_an_adain_model_is_not_a_student(tmp_path: Path, tiny_encoder, no_vgg) -> None:
    from brushwork.checkpoint import save_model_dir
    from brushwork.methods.adain import AdaINConfig
    from brushwork.methods.adain_trainer import AdaINTrainer

    trainer = AdaINTrainer(AdaINConfig(decoder_widths=(8, 8, 4), encoder_widths=(4, 8, 8, 8)), encoder=tiny_encoder)
    teacher = save_model_dir(tmp_path / "adain", weights=trainer.weights(), config=trainer.model_config())
    with pytest.raises(CheckpointError, match="not a fast"):
        stylize(_img(0), _img(1), method="fast", model=str(teacher), device="cpu")


def test_work_scale_and_detail_may_come_as_text_but_not_as_anything_else(tmp_path: Path, make_student, no_vgg) -> None:
    """``work_scale`` and ``detail`` as text (a form, a JSON file) act as the numbers; anything else is a one-line
    error naming the option."""
    content, style = _img(0, 64, 64), _img(1, 48, 48)
    run = {"method": "fast", "model": str(make_student(tmp_path / "m")), "device": "cpu", "precision": "fp32"}
    number = stylize_result(content, style, size=64, work_scale=0.75, detail=0.5, **run).image
    text = stylize_result(content, style, size=64, work_scale="0.75", detail="0.5", **run).image
    assert torch.equal(text, number)
    for bad in ("x", True, [0.5], "nan", "inf"):
        with pytest.raises(ConfigError, match=r"work_scale .* must be a number between 0\.25 and 1"):
            stylize_result(content, style, size=64, work_scale=bad, **run)
    for bad in ("x", True, [0.5], "nan"):
        with pytest.raises(ConfigError, match=r"detail .* is not a number"):
            stylize_result(content, style, size=64, detail=bad, **run)
        with pytest.raises(ConfigError, match=r"alpha \(style strength\) .* is not a number"):
            stylize_result(content, style, size=64, alpha=bad, **run)
    assert torch.equal(
        stylize_result(content, style, size=64, alpha="0.5", **run).image,
        stylize_result(content, style, size=64, alpha=0.5, **run).image,
    )


def test_work_scale_paints_a_smaller_copy_and_the_model_may_default_it(tmp_path: Path, make_student, no_vgg) -> None:
    """``work_scale``: the network paints at that fraction and the picture comes back at the size asked, as if the
    smaller photo had been stylised and enlarged; a model's ``defaults.work_scale`` applies unless told."""
    import json

    import torch.nn.functional as F

    content, style = _img(0, 96, 128), _img(1, 48, 48)
    plain_model = make_student(tmp_path / "plain")
    run = {"method": "fast", "model": str(plain_model), "device": "cpu", "precision": "fp32", "detail": 0.0}
    full = stylize_result(content, style, size=128, **run)
    assert full.numbers["work_size"] == [96, 128]
    half = stylize_result(content, style, size=128, work_scale=0.75, **run)
    assert half.image.shape == content.shape and half.numbers["work_size"] == [72, 96]
    assert (half.numbers["work_scale"], full.numbers["work_scale"]) == (0.75, 1.0)
    lifted = stylize_result(content, style, size=128, work_scale=0.25, **run).numbers  # short side kept at 64
    assert lifted["work_size"] == [64, 85] and lifted["work_scale"] == 85 / 128  # the scale applied, not asked
    small = F.interpolate(content, size=(72, 96), mode="bilinear", antialias=True, align_corners=False)
    by_hand = stylize_result(small.clamp(0, 1), style, size=96, **run).image
    expected = F.interpolate(by_hand, size=(96, 128), mode="bicubic", align_corners=False).clamp(0, 1)
    assert torch.allclose(half.image, expected, atol=1e-5)
    assert not torch.allclose(half.image, full.image, atol=0.02)
    mask = torch.zeros(1, 1, 96, 128)
    mask[..., 64:] = 1.0
    masked = stylize_result(content, style, size=128, work_scale=0.75, mask=mask, **run).image
    assert torch.allclose(masked[..., :60], content[..., :60], atol=1e-6)  # the unmasked half is the photo
    other = _img(2, 48, 48) ** 3
    two = stylize_result(content, [style, other], size=128, work_scale=0.75, mask=mask, **run).image
    small_mask = F.interpolate(mask, size=(72, 96), mode="bilinear", antialias=True, align_corners=False)
    by_hand = stylize_result(small.clamp(0, 1), [style, other], size=96, mask=small_mask.clamp(0, 1), **run).image
    expected = F.interpolate(by_hand, size=(96, 128), mode="bicubic", align_corners=False).clamp(0, 1)
    assert torch.allclose(two, expected, atol=1e-5)  # two styles by a mask: the mask is reduced with the photo
    model = make_student(tmp_path / "own")  # the same weights (seeded): only its defaults differ
    config = json.loads((model / "config.json").read_text())
    (model / "config.json").write_text(json.dumps({**config, "defaults": {"work_scale": 0.75}}))
    own = {**run, "model": str(model)}
    assert torch.equal(stylize_result(content, style, size=128, **own).image, half.image)
    assert torch.equal(stylize_result(content, style, size=128, work_scale=1.0, **own).image, full.image)
    with pytest.raises(ConfigError, match=r"work_scale 0\.1 must be"):
        stylize_result(content, style, size=128, work_scale=0.1, **run)
    pytest.importorskip("onnx")
    import onnx

    from brushwork.onnx_export import export_onnx

    meta = {
        p.key: p.value for p in onnx.load(str(export_onnx(model, tmp_path / "f.onnx", sample_size=32))).metadata_props
    }
    assert json.loads(meta["work_scale"]) == 0.75  # not in the graph: the caller resizes
    assert (json.loads(meta["work_side"]), json.loads(meta["work_scale_min"])) == (0, 0.25)
    capped = make_student(tmp_path / "capped")  # a long side of at most 96 px by default, floor 0.5
    defaults = {"work_scale": 1.0, "work_side": 96, "work_scale_min": 0.5}
    (capped / "config.json").write_text(json.dumps({**config, "defaults": defaults}))
    at_cap = stylize_result(content, style, size=128, **{**run, "model": str(capped)})
    assert at_cap.numbers["work_size"] == [72, 96] and at_cap.numbers["work_scale"] == 0.75
    assert torch.equal(at_cap.image, half.image)  # the same as asking for 0.75
    small_one = stylize_result(_img(3, 72, 80), style, size=80, **{**run, "model": str(capped)})
    assert small_one.numbers["work_size"] == [72, 80]  # under the cap: painted at its size
    floored = make_student(tmp_path / "floored")  # a cap of 64 px that may not go below 0.75
    (floored / "config.json").write_text(
        json.dumps({**config, "defaults": {"work_scale": 1.0, "work_side": 64, "work_scale_min": 0.75}})
    )
    at_floor = stylize_result(content, style, size=128, **{**run, "model": str(floored)})
    assert at_floor.numbers["work_size"] == [72, 96] and at_floor.numbers["work_scale"] == 0.75  # not 0.5
    asked = stylize_result(content, style, size=128, work_scale=1.0, **{**run, "model": str(capped)})
    assert asked.numbers["work_size"] == [96, 128]  # a scale the caller gives is used as given
    meta = {
        p.key: p.value for p in onnx.load(str(export_onnx(capped, tmp_path / "c.onnx", sample_size=32))).metadata_props
    }
    assert (json.loads(meta["work_side"]), json.loads(meta["work_scale_min"])) == (96, 0.5)
    bad = make_student(tmp_path / "bad")  # (loaded models are cached by folder)
    (bad / "config.json").write_text(json.dumps({**config, "defaults": {"work_scale": 0.1}}))
    with pytest.raises(CheckpointError, match=r"defaults\.work_scale 0\.1"):
        stylize_result(content, style, size=128, **{**run, "model": str(bad)})


def test_underpaint_goes_under_the_photo_before_the_network(tmp_path: Path, make_student, tiny_encoder) -> None:
    """``underpaint`` with ``underpaint_by="gatys"``: the content's calm areas moved towards Gatys' coarse picture
    (with the encoder given) before the student paints; times alpha; anything outside 0 … 1 is a one-line error."""
    from brushwork.methods.underpaint import under

    content, style = _img(0, 64, 64), _img(1, 48, 48)
    content[..., :32] = 0.4  # a calm half
    run = {"method": "fast", "model": str(make_student(tmp_path / "m")), "device": "cpu", "precision": "fp32"}
    run |= {"size": 64, "detail": 0.0, "encoder": tiny_encoder}
    plain = stylize_result(content, style, **run)
    assert plain.numbers["underpaint"] == 0.0 and plain.numbers["underpaint_by"] is None
    run["underpaint_by"] = "gatys"
    painted = stylize_result(content, style, underpaint=0.5, **run)
    assert painted.numbers["underpaint"] == 0.5 and painted.numbers["underpaint_seconds"] > 0
    assert painted.numbers["underpaint_by"] == "gatys"
    laid = under(content, [style], by="gatys", encoder=tiny_encoder, amount=0.5)
    assert not torch.equal(laid, content)
    assert torch.allclose(painted.image, stylize_result(laid, style, **run).image, atol=1e-5)
    assert stylize_result(content, style, underpaint="0.5", alpha=0.5, **run).numbers["underpaint"] == 0.25
    for bad in ("x", 1.5, -0.1, True, "nan"):
        with pytest.raises(ConfigError, match=r"fast: underpaint .* must be a number between 0 and 1"):
            stylize_result(content, style, underpaint=bad, **run)
    mask = torch.zeros(1, 1, 64, 64)
    mask[..., :, :20] = 1.0
    other = _img(2, 48, 48) ** 3
    two = stylize_result(content, [style, other], underpaint=1.0, mask=mask, **run)
    laid = under(content, [style, other], by="gatys", encoder=tiny_encoder, amount=1.0, mask=mask)
    assert torch.allclose(two.image, stylize_result(laid, [style, other], mask=mask, **run).image, atol=1e-5)


def test_the_quilted_underpainting_loads_no_vgg_and_may_be_the_model_s_default(
    tmp_path: Path, make_student, no_vgg
) -> None:
    """``underpaint_by="quilt"`` (the default): the painting's patches, no VGG16 (Gatys' loads it); a model's
    ``defaults.underpaint`` applies unless ``underpaint`` is given (times alpha); a bad painter is a one-line error."""
    import json

    from brushwork.methods.underpaint import under

    content, style = _img(0, 64, 64), _img(1, 48, 48)
    content[..., :32] = 0.4  # a calm half
    run = {"method": "fast", "model": str(make_student(tmp_path / "m")), "device": "cpu", "size": 64, "detail": 0.0}
    run["precision"] = "fp32"
    assert stylize_result(content, style, **run).numbers["underpaint"] == 0.0  # no default in its config.json
    quilted = stylize_result(content, style, underpaint=0.5, **run)
    assert quilted.numbers["underpaint"] == 0.5 and quilted.numbers["underpaint_by"] == "quilt"
    laid = under(content, [style], amount=0.5)
    assert torch.allclose(quilted.image, stylize_result(laid, style, underpaint=0, **run).image, atol=1e-5)
    assert stylize_result(content, style, underpaint=0.5, alpha=0, **run).numbers["underpaint"] == 0.0
    with pytest.raises(AssertionError, match="loaded the VGG16"):
        stylize_result(content, style, underpaint=0.5, underpaint_by="gatys", **run)
    with pytest.raises(ConfigError, match="fast: underpaint_by 'oil' must be one of quilt, gatys"):
        stylize_result(content, style, underpaint_by="oil", **run)
    own = make_student(tmp_path / "own")  # the same weights (seeded): only its defaults differ
    config = json.loads((own / "config.json").read_text())
    (own / "config.json").write_text(json.dumps({**config, "defaults": {"underpaint": 0.5}}))
    run["model"] = str(own)
    by_default = stylize_result(content, style, **run)
    assert by_default.numbers["underpaint"] == 0.5 and torch.equal(by_default.image, quilted.image)
    assert stylize_result(content, style, alpha=0.5, **run).numbers["underpaint"] == 0.25
    assert stylize_result(content, style, underpaint=0, **run).numbers["underpaint"] == 0.0
    pytest.importorskip("onnx")
    import onnx

    from brushwork.onnx_export import export_onnx

    meta = {
        p.key: p.value for p in onnx.load(str(export_onnx(own, tmp_path / "own.onnx", sample_size=32))).metadata_props
    }
    assert json.loads(meta["underpaint_before"]) == 0.5  # not in the graph: how much to put under first
    bad = make_student(tmp_path / "bad")
    (bad / "config.json").write_text(json.dumps({**config, "defaults": {"underpaint": "lots"}}))
    with pytest.raises(CheckpointError, match=r"defaults\.underpaint 'lots'"):
        stylize_result(content, style, **{**run, "model": str(bad)})
