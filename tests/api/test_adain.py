"""``brushwork.stylize(..., method="adain")`` on a tiny random encoder and decoder saved as a model directory."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import torch

from brushwork.api._adain import style_for
from brushwork.api.stylize import METHODS, stylize, stylize_result
from brushwork.checkpoint import save_model_dir
from brushwork.detail import DEFAULT_AMOUNT, add_detail
from brushwork.errors import CheckpointError, ConfigError, ImageError
from brushwork.methods import adain
from brushwork.methods.adain import AdaINConfig, load_decoder
from brushwork.methods.adain_trainer import AdaINTrainer


@pytest.fixture
def model(tmp_path: Path, tiny_encoder) -> Path:
    config = AdaINConfig(decoder_widths=(8, 8, 4), encoder_widths=(4, 8, 8, 8))
    trainer = AdaINTrainer(config, encoder=tiny_encoder, seed=0)
    return save_model_dir(tmp_path / "model", weights=trainer.weights(), config=trainer.model_config())


def _img(seed: int, h: int = 40, w: int = 48) -> torch.Tensor:
    return torch.rand(1, 3, h, w, generator=torch.Generator().manual_seed(seed))


def test_registered_as_the_default_method() -> None:
    assert METHODS["adain"].two_style_mask and stylize.__kwdefaults__["method"] == "adain"


def test_matches_the_method_and_reports_numbers(model: Path, tiny_encoder) -> None:
    content, style = _img(0), _img(1, 48, 48)
    result = stylize_result(content, style, model=str(model), encoder=tiny_encoder, device="cpu", precision="fp32")
    assert result.image.shape == content.shape and result.method == "adain"
    assert result.numbers["alpha"] == 1.0 and result.numbers["model"] == str(model)
    assert result.numbers["layout"] == "channels_last"  # fp32 on CPU: channels-last copies of both networks
    decoder, _ = load_decoder(model)
    expected = adain.stylize(
        content, [style_for(style, content_long_side=48, scale=1.0)], encoder=tiny_encoder, decoder=decoder
    )
    assert result.numbers["detail"] == DEFAULT_AMOUNT  # the photo's detail layer goes back in, × alpha
    assert torch.allclose(result.image, add_detail(expected, content, amount=DEFAULT_AMOUNT), atol=1e-5)
    plain = stylize_result(
        content, style, model=str(model), encoder=tiny_encoder, device="cpu", precision="fp32", detail=0.0
    )
    assert torch.allclose(plain.image, expected.clamp(0, 1), atol=1e-5)


def test_channels_last_copies_are_cached_until_the_weights_change(tiny_encoder) -> None:
    from brushwork.api._models import channels_last

    first = channels_last(tiny_encoder)
    assert first is not tiny_encoder and channels_last(tiny_encoder) is first
    weight = next(iter(first.parameters()))
    assert weight.dim() == 4 and weight.is_contiguous(memory_format=torch.channels_last)
    assert next(iter(tiny_encoder.parameters())).is_contiguous()  # the original keeps its layout
    with torch.no_grad():
        next(iter(tiny_encoder.parameters())).add_(1.0)
    second = channels_last(tiny_encoder)
    assert second is not first
    assert torch.equal(next(iter(second.parameters())), next(iter(tiny_encoder.parameters())))
    conv = torch.nn.Conv2d(3, 4, 3)
    single = channels_last(conv)
    conv.double()  # the same parameter objects, new storage: a new copy, not the float32 one
    assert channels_last(conv) is not single and channels_last(conv).weight.dtype == torch.float64


def test_alpha_and_strength(model: Path, tiny_encoder) -> None:
    content, style = _img(0), _img(1)
    kw = {"model": str(model), "encoder": tiny_encoder, "device": "cpu"}
    zero = stylize(content, style, alpha=0.0, **kw)
    assert torch.equal(zero, stylize(content, style, strength=0.0, **kw))
    assert not torch.equal(zero, stylize(content, style, **kw))
    with pytest.raises(ConfigError, match="alpha"):
        stylize(content, style, strength=2.0, **kw)
    with pytest.raises(ConfigError, match="unknown option"):
        stylize(content, style, steps=3, **kw)
    with pytest.raises(ConfigError, match=r"detail 3\.0 must be between 0 and 2"):
        stylize(content, style, detail=3.0, **kw)
    with pytest.raises(ConfigError, match="detail 'x' is not a number"):
        stylize(content, style, detail="x", **kw)
    half = stylize_result(content, style, alpha=0.5, **kw)
    assert half.numbers["detail"] == 0.5 * DEFAULT_AMOUNT


def test_two_styles_by_mask(model: Path, tiny_encoder) -> None:
    content, s1, s2 = _img(0), _img(1), _img(2) * 0.3
    kw = {"model": str(model), "encoder": tiny_encoder, "device": "cpu"}
    white = torch.ones(1, 1, 40, 48)
    assert torch.allclose(stylize(content, [s1, s2], mask=white, **kw), stylize(content, s1, **kw), atol=1e-6)
    black = torch.zeros(1, 1, 40, 48)
    assert torch.allclose(stylize(content, [s1, s2], mask=black, **kw), stylize(content, s2, **kw), atol=1e-6)


def test_style_sizes(caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="brushwork.api._adain"):
        tiny = style_for(torch.rand(1, 3, 1, 1), content_long_side=256, scale=1.0)
    assert tiny.shape[-2:] == (256, 256) and "1x1 px" in caplog.text
    wide = style_for(torch.rand(1, 3, 20, 2000), content_long_side=512, scale=1.0)
    assert wide.shape[-2:] == (64, 512)  # a thin strip: its 8:1 middle, then at least 64 px short side
    huge = style_for(torch.rand(1, 3, 3000, 5000), content_long_side=4000, scale=1.0)
    assert max(huge.shape[-2:]) == 2048
    assert max(style_for(torch.rand(1, 3, 100, 80), content_long_side=512, scale=0.5).shape[-2:]) == 256


def test_a_thin_content_keeps_its_size_and_its_style_stays_small(model: Path, tiny_encoder) -> None:
    """A 3 px high strip: run 32 px high (the encoder's minimum) and shrunk back, not returned 32 px high; the
    style sized by the content's area, not stretched to the strip's long side."""
    content = _img(0, 3, 600)
    result = stylize_result(content, _img(1, 48, 48), model=str(model), encoder=tiny_encoder, device="cpu")
    assert result.image.shape == (1, 3, 3, 600)  # was (1, 3, 32, 6400)
    assert result.numbers["style_sizes"] == [[640, 640]]  # twice the 32x6400 content's area; was 2048x2048
    small = style_for(_img(1, 48, 48), content_long_side=600, scale=1.0, content_pixels=3 * 600)
    assert small.shape[-2:] == (64, 64)  # never below the 64 px minimum


def test_wrong_models_are_clear(tmp_path: Path, tiny_encoder) -> None:
    with pytest.raises(CheckpointError, match="no such model"):
        stylize(_img(0), _img(1), model=str(tmp_path / "nope"), encoder=tiny_encoder, device="cpu")
    save_model_dir(tmp_path / "cg", weights={"G_AB.w": torch.zeros(1)}, config={"method": "cyclegan", "nets": {}})
    with pytest.raises(CheckpointError, match="not an adain decoder"):
        stylize(_img(0), _img(1), model=str(tmp_path / "cg"), encoder=tiny_encoder, device="cpu")


def test_awkward_style_files_and_masks(model: Path, tiny_encoder, shared_data: Path, tmp_path: Path, caplog) -> None:
    from brushwork.imageio import save_image

    kw = {"model": str(model), "encoder": tiny_encoder, "device": "cpu"}
    content = _img(0)
    bad = shared_data / "bad-inputs"
    for name in ("gray16.png", "gray_alpha.png", "palette_alpha.png", "rgba.png", "cmyk.jpg"):
        out = stylize(content, bad / name, **kw)
        assert out.shape == content.shape and torch.isfinite(out).all()
    with caplog.at_level(logging.WARNING, logger="brushwork.api._adain"):
        assert stylize(content, bad / "tiny_1x1.png", **kw).shape == content.shape
    assert "1x1 px" in caplog.text
    strip = save_image(torch.rand(1, 3, 40, 20000), tmp_path / "strip.png")  # 20000 px wide
    assert stylize(content, strip, **kw).shape == content.shape
    with pytest.raises(ImageError, match=r"bomb_900mp\.png"):
        stylize(content, bad / "bomb_900mp.png", **kw)
    with pytest.raises(ConfigError, match="aspect ratio"):
        stylize(content, _img(1), mask=torch.ones(1, 1, 40, 80), **kw)


def test_underpaint_goes_under_the_photo_for_adain_too(model: Path, tiny_encoder) -> None:
    """The one-pass option reaches AdaIN (either painter): its picture of the underpainted photo, the photo's own
    detail on top."""
    from brushwork.methods.underpaint import under

    content, style = _img(0, 48, 64), _img(1, 48, 48)
    content[..., :32] = 0.45
    run = {"model": str(model), "encoder": tiny_encoder, "device": "cpu", "precision": "fp32", "detail": 0.0}
    for by in ("quilt", "gatys"):  # the adain model has no default: off unless asked
        result = stylize_result(content, style, underpaint=0.5, underpaint_by=by, **run)
        assert result.numbers["underpaint"] == 0.5 and result.numbers["underpaint_by"] == by
        laid = under(content, [style], by=by, encoder=tiny_encoder, amount=0.5)
        assert torch.allclose(result.image, stylize_result(laid, style, **run).image, atol=1e-5)
        assert (laid - content).abs().max() > 1e-3  # the underpainting changed the photo the decoder painted
    assert stylize_result(content, style, **run).numbers["underpaint"] == 0.0
