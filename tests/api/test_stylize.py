"""``brushwork.stylize``: input kinds, sizes, blends, strength, colour preservation, masks, errors."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import torch
from PIL import Image

import brushwork
from brushwork.api.stylize import METHODS, Progress, output_size, stylize, stylize_result
from brushwork.color import rgb_to_yiq
from brushwork.errors import ConfigError, ImageError
from brushwork.imageio import save_image, to_pil

FAST = {
    "method": "gatys",
    "steps": 4,
    "levels": 1,
    "content_layer": "relu3_1",
    "style_layers": ("relu1_1", "relu2_1", "relu3_1"),
}


def _image(seed: int, h: int = 32, w: int = 40) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    coarse = torch.rand(1, 3, max(1, h // 4), max(1, w // 4), generator=gen)
    img = torch.nn.functional.interpolate(coarse, size=(h, w), mode="bilinear", align_corners=False)
    return (img * 255).round() / 255  # exactly representable in 8 bits, so files and tensors agree


@pytest.fixture
def images(tmp_path: Path) -> dict[str, object]:
    content, style = _image(0), _image(1, 48, 48)
    save_image(content, tmp_path / "content.png")
    save_image(style, tmp_path / "style.png")
    return {"content": content, "style": style, "dir": tmp_path}


def test_public_entry_point_and_registry() -> None:
    assert brushwork.stylize is stylize
    assert "gatys" in METHODS and METHODS["gatys"].default_size == 512


def test_path_pil_and_tensor_inputs_agree(images, tiny_encoder) -> None:
    d = images["dir"]
    from_tensor = stylize(images["content"], images["style"], encoder=tiny_encoder, **FAST)
    from_path = stylize(d / "content.png", str(d / "style.png"), encoder=tiny_encoder, **FAST)
    from_pil = stylize(to_pil(images["content"]), to_pil(images["style"]), encoder=tiny_encoder, **FAST)
    assert from_tensor.shape == (1, 3, 32, 40) and from_tensor.dtype == torch.float32
    torch.testing.assert_close(from_path, from_tensor)
    torch.testing.assert_close(from_pil, from_tensor)
    assert float(from_tensor.min()) >= 0 and float(from_tensor.max()) <= 1


def test_as_pil_and_size(images, tiny_encoder) -> None:
    pil = stylize(images["content"], images["style"], size=64, as_pil=True, encoder=tiny_encoder, **FAST)
    assert isinstance(pil, Image.Image) and pil.size == (64, 51) and pil.mode == "RGB"
    small = stylize(images["content"], images["style"], encoder=tiny_encoder, **FAST)
    assert small.shape[-2:] == (32, 40)  # no size: never upscaled beyond the input


def test_result_carries_the_method_numbers_and_progress(images, tiny_encoder) -> None:
    seen: list[Progress] = []
    result = stylize_result(images["content"], images["style"], encoder=tiny_encoder, on_step=seen.append, **FAST)
    assert result.method == "gatys"
    assert result.numbers["steps"] == 4 and result.numbers["final"]["style"] < result.numbers["initial"]["style"]
    assert [p.step for p in seen] == [1, 2, 3, 4] and all(p.total == 4 for p in seen)
    assert {"total", "content", "style", "level"} <= set(seen[0].losses)


def test_several_styles_with_weights(images, tiny_encoder) -> None:
    styles = [images["style"], _image(2, 40, 40)]
    out = stylize(images["content"], styles, style_weights=[0.7, 0.3], encoder=tiny_encoder, **FAST)
    assert out.shape == (1, 3, 32, 40)
    only_first = stylize(images["content"], styles, style_weights=[1, 0], encoder=tiny_encoder, **FAST)
    single = stylize(images["content"], images["style"], encoder=tiny_encoder, **FAST)
    torch.testing.assert_close(only_first, single)
    with pytest.raises(ConfigError, match="3 given for 2"):
        stylize(images["content"], styles, style_weights=[0.5, 0.3, 0.2], encoder=tiny_encoder, **FAST)


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_zero_strength_returns_the_content(images, tiny_encoder, precision: str) -> None:
    """In bf16 too: the content's own features are encoded in the precision of the image's passes."""
    out = stylize(images["content"], images["style"], strength=0.0, encoder=tiny_encoder, precision=precision, **FAST)
    torch.testing.assert_close(out, images["content"])


def test_luminance_preservation_keeps_content_chroma(images, tiny_encoder) -> None:
    content = images["content"] * 0.6 + 0.2  # mid-range, so no channel clips after recombination
    out = stylize(content, images["style"], preserve_color="luminance", encoder=tiny_encoder, **FAST)
    torch.testing.assert_close(rgb_to_yiq(out)[:, 1:], rgb_to_yiq(content)[:, 1:], atol=2e-3, rtol=0)
    assert not torch.allclose(out, content, atol=1e-3)


@pytest.mark.parametrize("mode", ["match", "histogram"])
def test_colour_matching_modes(images, tiny_encoder, mode: str) -> None:
    out = stylize(images["content"], images["style"], preserve_color=mode, encoder=tiny_encoder, **FAST)
    assert out.shape == (1, 3, 32, 40) and torch.isfinite(out).all()


def test_mask_limits_the_stylised_region(images, tiny_encoder) -> None:
    content = images["content"]
    full = stylize(content, images["style"], encoder=tiny_encoder, **FAST)
    left = torch.zeros(1, 1, 32, 40)
    left[..., :20] = 1
    masked = stylize(content, images["style"], mask=left, encoder=tiny_encoder, **FAST)
    torch.testing.assert_close(masked[..., :20], full[..., :20])
    torch.testing.assert_close(masked[..., 20:], content[..., 20:])
    # a mask file of another size but the same aspect ratio is resized
    big = torch.nn.functional.interpolate(left, scale_factor=2.0, mode="nearest").expand(1, 3, -1, -1)
    save_image(big, images["dir"] / "mask.png")
    resized = stylize(content, images["style"], mask=images["dir"] / "mask.png", encoder=tiny_encoder, **FAST)
    torch.testing.assert_close(resized[..., 22:], content[..., 22:])
    torch.testing.assert_close(resized[..., :18], full[..., :18])


def test_mask_of_another_aspect_ratio_is_refused(images, tiny_encoder) -> None:
    with pytest.raises(ConfigError, match="aspect ratios differ"):
        stylize(images["content"], images["style"], mask=torch.ones(1, 1, 40, 40), encoder=tiny_encoder, **FAST)


def test_tiny_content_runs_upsampled_with_a_warning_and_keeps_its_size(images, tiny_encoder, caplog) -> None:
    seen: list[tuple[int, ...]] = []
    with caplog.at_level(logging.WARNING, logger="brushwork.api.stylize"):
        out = stylize(
            _image(3, 8, 8), images["style"], encoder=tiny_encoder, on_step=lambda p: seen.append(p.image.shape), **FAST
        )
    assert out.shape == (1, 3, 8, 8)  # never larger than the content unless size asks
    assert seen[0] == (1, 3, 32, 32)  # the method ran where the encoder has room
    assert "upsampled to 32x32 px" in caplog.text


@pytest.mark.parametrize(
    ("shape", "size", "expected"),
    [
        ((3, 20000), None, (1, 512)),  # the long side capped at Gatys' default, the short side at least 1 px
        ((3, 600), None, (3, 512)),
        ((3, 200), None, (3, 200)),  # was 32x2133: upsampled for the encoder and never brought back
        ((1, 1), None, (1, 1)),
        ((1, 1), 40, (40, 40)),  # size asks for it
        ((7, 50), 100, (14, 100)),
    ],
)
def test_output_keeps_the_aspect_ratio_and_is_never_larger_than_the_content(
    tiny_encoder, shape: tuple[int, int], size: int | None, expected: tuple[int, int]
) -> None:
    content = torch.rand(1, 3, *shape, generator=torch.Generator().manual_seed(0))
    out = stylize(content, _image(1, 48, 48), size=size, encoder=tiny_encoder, **{**FAST, "steps": 1})
    assert tuple(out.shape[-2:]) == expected
    assert torch.isfinite(out).all() and float(out.min()) >= 0 and float(out.max()) <= 1


def test_output_size_rule() -> None:
    assert output_size(3, 20000, None, 1024) == (1, 1024)
    assert output_size(20000, 3, None, 512) == (512, 1)
    assert output_size(300, 400, None, 1024) == (300, 400)
    assert output_size(300, 400, 800, 1024) == (600, 800)
    assert output_size(3000, 4000, None, 512) == (384, 512)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": "magic"}, "unknown; choose from adain, fast, gatys"),
        ({"preserve_color": "sepia"}, "preserve_color"),
        ({"strength": -1.0}, "strength"),
        ({"style_scale": 0.0}, "style_scale"),
        ({"stepz": 3}, "unknown option"),
        ({"style_weight": float("inf")}, "style_weight"),
    ],
)
def test_bad_settings(images, tiny_encoder, kwargs: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        stylize(images["content"], images["style"], encoder=tiny_encoder, **{**FAST, **kwargs})


def test_bad_inputs(images, tiny_encoder) -> None:
    with pytest.raises(ImageError, match="no such file"):
        stylize(images["dir"] / "missing.png", images["style"], encoder=tiny_encoder, **FAST)
    with pytest.raises(ConfigError, match=r"expected \(1, 3, H, W\)"):
        stylize(torch.rand(2, 3, 8, 8), images["style"], encoder=tiny_encoder, **FAST)
    nan = images["content"].clone()
    nan[..., 0, 0] = float("nan")
    with pytest.raises(ConfigError, match="NaN"):
        stylize(nan, images["style"], encoder=tiny_encoder, **FAST)


@pytest.mark.parametrize(("precision", "bf16"), [("bf16", True), ("fp32", False), ("auto", None)])
def test_gatys_precision_reaches_the_optimiser(images, tiny_encoder, gatys_bf16_calls, precision: str, bf16) -> None:
    from brushwork.device import use_bf16

    result = stylize_result(images["content"], images["style"], encoder=tiny_encoder, precision=precision, **FAST)
    expected = use_bf16(torch.device("cpu"), "auto") if bf16 is None else bf16
    assert gatys_bf16_calls == [expected]
    assert result.numbers["bf16"] is expected  # as the one-pass methods report it


def test_gatys_bad_precision_is_a_config_error(images, tiny_encoder) -> None:
    with pytest.raises(ConfigError, match="precision 'fp8'"):
        stylize(images["content"], images["style"], encoder=tiny_encoder, precision="fp8", **FAST)
    with pytest.raises(ConfigError, match=r"choose from .*precision"):
        stylize(images["content"], images["style"], encoder=tiny_encoder, stepz=3, **FAST)
