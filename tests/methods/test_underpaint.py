"""The underpainting: calm areas found, a quilt of the painting or Gatys' coarse picture put under them only, two
styles by a mask, a model's default amount."""

from __future__ import annotations

import pytest
import torch

from brushwork.methods.underpaint import calm_weight, coarse_picture, default_amount, quilted_picture, under


def _calm_and_busy(h: int = 64, w: int = 96) -> torch.Tensor:
    """A calm left half (a faint vertical ramp) and a right half of black and white bars 2 px wide."""
    ramp = torch.linspace(0, 1, h).view(1, 1, h, 1) * torch.tensor([0.1, 0.05, 0.02]).view(1, 3, 1, 1)
    image = (0.4 + ramp).expand(1, 3, h, w).clone()
    bars = (torch.arange(w - w // 2) // 2 % 2).float()
    image[..., w // 2 :] = bars.view(1, 1, 1, -1)
    return image


def _stripes(h: int = 48, w: int = 48) -> torch.Tensor:
    x = torch.arange(w, dtype=torch.float32)
    pattern = 0.5 + 0.5 * torch.sin(x / 2.0)
    return torch.stack([pattern, 1 - pattern, 0.5 * pattern]).unsqueeze(1).expand(3, h, w).unsqueeze(0).clone()


def test_calm_weight_is_one_where_flat_and_zero_where_busy() -> None:
    weight = calm_weight(_calm_and_busy())
    assert weight.shape == (1, 1, 64, 96) and weight.dtype == torch.float32
    assert torch.allclose(weight[..., :30], torch.ones(1, 1, 64, 30))
    assert weight[..., 66:].max() == 0
    assert torch.allclose(calm_weight(torch.full((2, 3, 20, 30), 0.2)), torch.ones(2, 1, 20, 30))
    assert calm_weight(torch.rand(1, 3, 128, 512, generator=torch.Generator().manual_seed(1))).max() == 0
    with pytest.raises(ValueError, match=r"expected \(N, 3, H, W\)"):
        calm_weight(torch.rand(1, 1, 8, 8))


def test_under_repaints_the_calm_half_and_keeps_the_busy_half(tiny_encoder) -> None:
    content = _calm_and_busy()
    out = under(content, [_stripes()], by="gatys", encoder=tiny_encoder, amount=1.0, steps=5)
    assert out.shape == content.shape and out.dtype == content.dtype
    assert out.min() >= 0 and out.max() <= 1
    assert torch.equal(out[..., 66:], content[..., 66:])  # busy: the photo, untouched
    assert (out[..., :30] - content[..., :30]).abs().mean() > 0.002  # calm: repainted (a tiny random encoder)
    half = under(content, [_stripes()], by="gatys", encoder=tiny_encoder, amount=0.5, steps=5)
    assert torch.allclose(half - content, 0.5 * (out - content), atol=0.02)  # linear in the amount (no clamping here)
    assert under(content, [_stripes()], encoder=tiny_encoder, amount=0.0) is content


def test_under_checks_its_arguments(tiny_encoder) -> None:
    with pytest.raises(ValueError, match=r"amount 1\.5 must be between 0 and 1"):
        under(_calm_and_busy(), [_stripes()], encoder=tiny_encoder, amount=1.5)
    with pytest.raises(ValueError, match=r"expected a \(1, 3, H, W\) content"):
        under(torch.rand(2, 3, 32, 32), [_stripes()], encoder=tiny_encoder, amount=0.5)
    for bad in ({"margin": -1}, {"side": 0}, {"steps": 0}):
        with pytest.raises(ValueError, match=r"side .* steps .* margin"):
            under(_calm_and_busy(), [_stripes()], encoder=tiny_encoder, amount=0.5, **bad)
    with pytest.raises(ValueError, match="by 'oil' is not one of quilt, gatys"):
        under(_calm_and_busy(), [_stripes()], amount=0.5, by="oil")
    with pytest.raises(ValueError, match="by 'gatys' needs the VGG16 encoder"):
        under(_calm_and_busy(), [_stripes()], amount=0.5, by="gatys")


def test_under_keeps_the_content_dtype_and_caps_an_elongated_copy(tiny_encoder, monkeypatch) -> None:
    from brushwork.methods import underpaint

    sizes = []
    real = underpaint.coarse_picture

    def spy(small: torch.Tensor, styles, **kwargs) -> torch.Tensor:
        sizes.append(tuple(small.shape[-2:]))
        assert small.dtype == torch.float32
        return real(small, styles, **kwargs)

    monkeypatch.setattr(underpaint, "coarse_picture", spy)
    content = _calm_and_busy(32, 48).double()
    out = under(content, [_stripes()], by="gatys", encoder=tiny_encoder, amount=0.5, steps=2, margin=0)
    assert out.dtype == torch.float64 and out.shape == content.shape
    assert under(content, [_stripes()], amount=0.5).dtype == torch.float64  # the quilt too
    wide = torch.full((1, 3, 48, 4000), 0.5)
    under(wide, [_stripes()], by="gatys", encoder=tiny_encoder, amount=0.5, steps=1, margin=0)
    h, w = sizes[-1]
    assert h * w <= 1.02 * 2 * underpaint.SIDE**2 and h < 48  # the short-side floor gives way to the pixel cap


def test_a_mask_places_each_style_painted_alone(tiny_encoder) -> None:
    small = _calm_and_busy(32, 48)
    other = _stripes().flip(1)
    first = coarse_picture(small, [_stripes()], encoder=tiny_encoder, steps=3)
    second = coarse_picture(small, [other], encoder=tiny_encoder, steps=3)
    mask = torch.zeros(1, 1, 32, 48)
    mask[..., :24] = 1
    both = coarse_picture(small, [_stripes(), other], encoder=tiny_encoder, mask=mask, steps=3)
    assert torch.allclose(both[..., :24], first[..., :24]) and torch.allclose(both[..., 24:], second[..., 24:])
    with pytest.raises(ValueError, match="a mask places two styles, got 1"):
        coarse_picture(small, [other], encoder=tiny_encoder, mask=mask)


def test_the_small_copy_is_painted_with_a_reflected_margin(tiny_encoder, monkeypatch) -> None:
    """Gatys paints a frame along an image's edges: the copy gets ``margin`` px of its reflection, the style is
    scaled so that its strokes keep their size, and the margin is cropped before the picture is enlarged."""
    from brushwork.methods import underpaint

    seen = []

    def spy(small: torch.Tensor, styles, **kwargs) -> torch.Tensor:
        seen.append((tuple(small.shape), kwargs["style_scale"], small.clone()))
        return small.clone()  # the copy itself: cropped where it was padded, it changes nothing

    monkeypatch.setattr(underpaint, "coarse_picture", spy)
    content = _calm_and_busy(64, 96)
    out = under(content, [_stripes()], by="gatys", encoder=tiny_encoder, amount=1.0, margin=8, style_scale=2.0)
    ((shape, style_scale, small),) = seen
    assert shape == (1, 3, 80, 112) and style_scale == pytest.approx(2.0 * 96 / 112)
    assert torch.equal(small[..., 8:-8, :8], small[..., 8:-8, 9:17].flip(-1))  # reflected
    assert torch.allclose(out, content, atol=1e-6)  # a crop missing or off by a pixel would change it
    under(content[..., :8, :12], [_stripes()], by="gatys", encoder=tiny_encoder, amount=1.0, margin=16)
    assert seen[-1][0] == (1, 3, 8 + 14, 12 + 14)  # at most the copy's side less one (reflection needs it)


def test_the_underpainting_is_sized_for_the_picture_the_network_paints() -> None:
    from brushwork.methods.underpaint import MAX_SIDE, SIDE, side_for

    assert side_for(448) == SIDE == 128  # a 512-px picture, painted at 0.875
    assert side_for(1024) == 293  # 1440 px and more, painted at 1024 px
    assert side_for(100) == SIDE and side_for(10_000) == MAX_SIDE


def test_the_quilt_repaints_the_calm_half_with_the_painting_and_needs_no_encoder() -> None:
    content = _calm_and_busy()
    out = under(content, [_stripes()], amount=1.0)  # by="quilt", the default
    assert out.shape == content.shape and torch.equal(out[..., 66:], content[..., 66:])
    calm = out[..., 8:-8, 8:30]
    assert calm.std(dim=-1).mean() > 5 * content[..., 8:-8, 8:30].std(dim=-1).mean()  # the stripes, across
    assert torch.equal(out, under(content, [_stripes()], amount=1.0))  # the same draw: repeatable
    assert not torch.equal(out, under(content, [_stripes()], amount=1.0, seed=1))
    half = under(content, [_stripes()], amount=0.5)
    assert torch.allclose(half - content, 0.5 * (out - content), atol=1e-5)


def test_a_quilted_picture_is_the_painting_s_marks_at_the_small_copy_s_scale() -> None:
    from brushwork.methods.underpaint import EXEMPLAR_FRACTION

    painting = _stripes(48, 48)  # period 4π ≈ 12.6 px across its 48 px
    picture = quilted_picture((40, 64), [painting])
    assert picture.shape == (1, 3, 40, 64)
    spectrum = torch.fft.rfft(picture[0, 0] - picture[0, 0].mean(), dim=-1).abs().mean(0)
    period = 64 / int(spectrum[1:].argmax() + 1)  # the exemplar: the painting shrunk to 0.6 × 64 px
    assert period == pytest.approx(4 * torch.pi * EXEMPLAR_FRACTION * 64 / 48, rel=0.2)
    bigger = quilted_picture((40, 64), [painting], style_scale=2.0)
    spectrum = torch.fft.rfft(bigger[0, 0] - bigger[0, 0].mean(), dim=-1).abs().mean(0)
    assert 64 / int(spectrum[1:].argmax() + 1) > 1.5 * period


def test_quilted_styles_blend_by_weight_or_by_mask() -> None:
    red, blue = torch.zeros(1, 3, 32, 32), torch.zeros(1, 3, 32, 32)
    red[:, 0], blue[:, 2] = 1.0, 1.0
    blend = quilted_picture((20, 30), [red, blue], style_blend=[0.75, 0.25])
    assert torch.allclose(blend[:, 0], torch.full((1, 20, 30), 0.75)) and torch.allclose(
        blend[:, 2], torch.full((1, 20, 30), 0.25)
    )
    mask = torch.zeros(1, 1, 20, 30)
    mask[..., :10] = 1
    placed = quilted_picture((20, 30), [red, blue], mask=mask)
    assert placed[:, 0, :, :10].min() == 1 and placed[:, 2, :, 10:].min() == 1 and placed[:, 0, :, 10:].max() == 0
    with pytest.raises(ValueError, match="a mask places two styles, got 1"):
        quilted_picture((20, 30), [red], mask=mask)


def test_a_model_s_default_amount() -> None:
    from brushwork.errors import CheckpointError

    assert default_amount({}) == 0.0 and default_amount({"defaults": {"underpaint": 0.5}}) == 0.5
    with pytest.raises(CheckpointError, match=r"defaults\.underpaint 2"):
        default_amount({"defaults": {"underpaint": 2}})


def test_an_elongated_picture_s_quilt_stays_small(monkeypatch) -> None:
    """The painting and its patches are sized by the side of a square of twice the small copy's (capped) area, not
    by its long side (a 12000 × 30 picture's would otherwise quilt a 6500-px painting in 1700-px squares)."""
    from brushwork.methods import underpaint

    seen = []
    real = underpaint.quilt

    def spy(exemplar: torch.Tensor, size, **kwargs) -> torch.Tensor:
        seen.append((tuple(exemplar.shape[-2:]), kwargs["patch"]))
        return real(exemplar, size, **kwargs)

    monkeypatch.setattr(underpaint, "quilt", spy)
    under(torch.full((1, 3, 12000, 30), 0.5), [_stripes(64, 64)], amount=0.5, side=384)
    ((shape, patch),) = seen
    reference = 2 * 384  # the copy's area is at most 2 × 384², so the side of twice that is at most 2 × 384
    assert max(shape) <= underpaint.EXEMPLAR_FRACTION * reference + 1  # not 0.6 × its 10860-px long side
    assert patch <= underpaint.PATCH_FRACTION * reference + 1


def test_the_box_mean_is_the_window_mean_inside_the_image() -> None:
    import torch.nn.functional as F

    from brushwork.methods.underpaint import _box

    for shape in ((1, 2, 40, 57), (1, 1, 7, 9), (2, 1, 30, 1)):
        x = torch.rand(*shape, generator=torch.Generator().manual_seed(sum(shape)))
        expected = F.avg_pool2d(x, 25, stride=1, padding=12, count_include_pad=False)
        assert torch.allclose(_box(x), expected, atol=1e-5)


def test_quilted_blends_are_normalised_and_checked() -> None:
    red, blue = torch.zeros(1, 3, 32, 32), torch.zeros(1, 3, 32, 32)
    red[:, 0], blue[:, 2] = 1.0, 1.0
    blend = quilted_picture((20, 30), [red, blue], style_blend=[3, 1])
    assert torch.allclose(blend[:, 0], torch.full((1, 20, 30), 0.75))
    for bad in ([1.0], [-1.0, 2.0], [0.0, 0.0]):
        with pytest.raises(ValueError, match="style_blend"):
            quilted_picture((20, 30), [red, blue], style_blend=bad)


def test_the_shipped_fast_model_underpaints_by_default() -> None:
    import json
    from pathlib import Path

    import brushwork

    config = json.loads((Path(brushwork.__file__).parent / "pretrained" / "fast" / "config.json").read_text())
    assert default_amount(config) == 0.5
    adain = json.loads((Path(brushwork.__file__).parent / "pretrained" / "adain" / "config.json").read_text())
    assert default_amount(adain) == 0.0
