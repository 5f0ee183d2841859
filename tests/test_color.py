"""Colour functions: YIQ round trip, luminance transfer, mean–covariance and histogram matching."""

from __future__ import annotations

import pytest
import torch

from brushwork.color import (
    gray3,
    luminance,
    match_histogram,
    match_luminance,
    match_mean_cov,
    rgb_to_yiq,
    transfer_luminance,
    yiq_to_rgb,
)


def _image(seed: int, h: int = 24, w: int = 20, lo: float = 0.0, hi: float = 1.0) -> torch.Tensor:
    return lo + (hi - lo) * torch.rand(1, 3, h, w, generator=torch.Generator().manual_seed(seed))


def _stats(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    flat = x.double().reshape(3, -1)
    centred = flat - flat.mean(1, keepdim=True)
    return flat.mean(1), centred @ centred.T / flat.shape[1]


def test_yiq_round_trip_and_luma() -> None:
    x = _image(0)
    torch.testing.assert_close(yiq_to_rgb(rgb_to_yiq(x)), x, atol=1e-5, rtol=0)
    gray = torch.full((1, 3, 4, 4), 0.4)
    torch.testing.assert_close(luminance(gray), torch.full((1, 1, 4, 4), 0.4))
    torch.testing.assert_close(rgb_to_yiq(gray)[:, 1:], torch.zeros(1, 2, 4, 4), atol=1e-6, rtol=0)
    assert gray3(x).shape == x.shape and torch.equal(gray3(x)[:, 0], gray3(x)[:, 2])


def test_transfer_luminance_keeps_content_chroma_and_stylized_luma() -> None:
    content = _image(1, lo=0.3, hi=0.7)
    stylized = _image(2, lo=0.35, hi=0.65)
    out = transfer_luminance(stylized, content)
    torch.testing.assert_close(luminance(out), luminance(stylized), atol=1e-5, rtol=0)
    torch.testing.assert_close(rgb_to_yiq(out)[:, 1:], rgb_to_yiq(content)[:, 1:], atol=1e-5, rtol=0)
    torch.testing.assert_close(transfer_luminance(content, content), content, atol=1e-5, rtol=0)


def test_transfer_luminance_resizes_content() -> None:
    out = transfer_luminance(_image(2, 16, 12), _image(1, 32, 24))
    assert out.shape == (1, 3, 16, 12)


def test_match_luminance_matches_mean_and_std() -> None:
    style, content = _image(3, lo=0.0, hi=0.4), _image(4, lo=0.3, hi=0.7)
    out = match_luminance(style, content)
    assert out.shape == style.shape and torch.equal(out[:, 0], out[:, 1])
    y, yc = luminance(out), luminance(content)
    assert float(y.mean()) == pytest.approx(float(yc.mean()), abs=1e-4)
    assert float(y.std(unbiased=False)) == pytest.approx(float(yc.std(unbiased=False)), abs=1e-4)


def test_match_mean_cov_matches_statistics() -> None:
    reference = _image(5, 30, 30, lo=0.3, hi=0.7)
    reference = reference * torch.tensor([1.0, 0.8, 0.5]).view(1, 3, 1, 1)  # coloured reference
    source = 0.45 + 0.1 * torch.randn(1, 3, 40, 20, generator=torch.Generator().manual_seed(6)).clamp(-2, 2)
    out = match_mean_cov(source, reference)
    assert out.shape == source.shape
    mu_o, cov_o = _stats(out)
    mu_r, cov_r = _stats(reference)
    torch.testing.assert_close(mu_o, mu_r, atol=2e-3, rtol=0)
    torch.testing.assert_close(cov_o, cov_r, atol=2e-4, rtol=0)


def test_match_mean_cov_of_an_image_with_itself_is_identity() -> None:
    x = _image(7)
    torch.testing.assert_close(match_mean_cov(x, x), x, atol=1e-4, rtol=0)


def test_match_histogram_takes_reference_values_in_source_order() -> None:
    source, reference = _image(8, 10, 10), _image(9, 10, 10) ** 2
    out = match_histogram(source, reference)
    for c in range(3):
        torch.testing.assert_close(out[0, c].flatten().sort().values, reference[0, c].flatten().sort().values)
        assert torch.equal(out[0, c].flatten().argsort(), source[0, c].flatten().argsort())


def test_match_histogram_with_a_reference_of_another_size() -> None:
    out = match_histogram(_image(8, 16, 16), torch.full((1, 3, 5, 7), 0.25))
    torch.testing.assert_close(out, torch.full((1, 3, 16, 16), 0.25))


def test_colour_functions_are_pure_and_check_shapes() -> None:
    a, b = _image(10), _image(11)
    a0, b0 = a.clone(), b.clone()
    for fn in (transfer_luminance, match_luminance, match_mean_cov, match_histogram):
        fn(a, b)
    assert torch.equal(a, a0) and torch.equal(b, b0)
    with pytest.raises(ValueError, match="RGB"):
        match_mean_cov(torch.zeros(1, 1, 4, 4), a)


def _moments(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    flat = x[0].reshape(3, -1).double()
    return flat.mean(dim=1), torch.cov(flat, correction=0)


def test_match_palette_takes_the_paintings_mean_and_covariance() -> None:
    from brushwork.color import match_palette

    g = torch.Generator().manual_seed(0)
    image = 0.3 + 0.2 * torch.rand(1, 3, 40, 48, generator=g)
    painting = 0.1 + torch.rand(1, 3, 30, 30, generator=g) ** 2 * torch.tensor([0.5, 0.4, 0.3]).reshape(1, 3, 1, 1)
    full = match_palette(image, [painting], strength=1.0)
    (m_out, c_out), (m_ref, c_ref) = _moments(full), _moments(painting)
    assert torch.allclose(m_out, m_ref, atol=2e-3) and torch.allclose(c_out, c_ref, atol=2e-3)
    assert torch.allclose(match_palette(image, [painting], strength=0.0), image, atol=1e-6)
    half = match_palette(image, [painting], strength=0.5)
    assert torch.allclose(half, (image + full) / 2, atol=1e-5)  # the blend is linear (nothing clamped here)
    # two paintings blend as the mixture of their pixels
    other = 1 - painting
    mixed = match_palette(image, [painting, other], weights=[3.0, 1.0])
    pooled = match_palette(image, [torch.cat([painting] * 3 + [other], dim=-1)])
    assert torch.allclose(mixed, pooled, atol=1e-4)


def test_match_palette_keeps_the_image_order_of_colours_and_checks_inputs() -> None:
    from brushwork.color import match_palette

    ramp = torch.linspace(0, 1, 64).reshape(1, 1, 1, 64).expand(1, 3, 8, 64).clone()
    ramp[:, 1] *= 0.5
    painting = torch.rand(1, 3, 16, 16, generator=torch.Generator().manual_seed(1))
    out = match_palette(ramp, [painting], strength=0.7)
    assert out.shape == ramp.shape and out.dtype == ramp.dtype
    assert (out[0, :, 0].sum(dim=0).diff() >= -1e-6).all()  # a monotone map: brighter stays brighter
    for bad in ({"weights": [1.0, 1.0]}, {"weights": [-1.0]}):
        with pytest.raises(ValueError, match="weights"):
            match_palette(ramp, [painting], **bad)
    with pytest.raises(ValueError, match="one image"):
        match_palette(torch.cat([ramp, ramp]), [painting])


def test_default_palette_reads_the_models_config() -> None:
    from brushwork.color import default_palette
    from brushwork.errors import CheckpointError

    assert default_palette({}) == 0.0 and default_palette({"defaults": {"detail": 0.3}}) == 0.0
    assert default_palette({"defaults": {"palette": 1}}) == 1.0
    for bad in (1.5, -0.1, "x", True, None):
        with pytest.raises(CheckpointError, match=r"defaults\.palette"):
            default_palette({"defaults": {"palette": bad}})
    with pytest.raises(CheckpointError, match=r"defaults\.palette"):
        default_palette({"defaults": 1})
