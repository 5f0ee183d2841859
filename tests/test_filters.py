"""``brushwork.filters``: the separable Gaussian blur and the Nyquist notch."""

from __future__ import annotations

import pytest
import torch

from brushwork.filters import STRIP_ROWS, gaussian_blur, nyquist_notch


def test_keeps_constants_and_shape_and_smooths_noise() -> None:
    flat = torch.full((2, 3, 9, 7), 0.25)
    assert torch.allclose(gaussian_blur(flat, 1.5), flat)
    noise = torch.rand(1, 4, 32, 32, generator=torch.Generator().manual_seed(0))
    out = gaussian_blur(noise, 2.0)
    assert out.shape == noise.shape and out.std() < 0.3 * noise.std()
    assert abs(float(out.mean() - noise.mean())) < 0.01


def test_an_impulse_spreads_as_a_symmetric_normalised_gaussian() -> None:
    x = torch.zeros(1, 1, 21, 21)
    x[..., 10, 10] = 1
    y = gaussian_blur(x, 2.0)
    assert torch.isclose(y.sum(), torch.tensor(1.0)) and torch.allclose(y, y.flip(-1)) and torch.allclose(y, y.mT)
    assert y[0, 0, 10, 12] / y[0, 0, 10, 10] == pytest.approx(torch.exp(torch.tensor(-0.5)).item(), rel=1e-4)


def test_images_smaller_than_the_kernel_and_bad_arguments() -> None:
    assert torch.allclose(gaussian_blur(torch.ones(1, 3, 1, 1), 3.0), torch.ones(1, 3, 1, 1))
    assert gaussian_blur(torch.rand(1, 3, 2, 50), 3.0).shape == (1, 3, 2, 50)
    with pytest.raises(ValueError, match="sigma"):
        gaussian_blur(torch.ones(1, 1, 4, 4), 0.0)
    with pytest.raises(ValueError, match="N, C, H, W"):
        gaussian_blur(torch.ones(4, 4), 1.0)


def test_large_images_blur_strip_by_strip_to_the_same_sums(monkeypatch: pytest.MonkeyPatch) -> None:
    from brushwork import filters

    image = torch.rand(2, 3, 45, 31, generator=torch.Generator().manual_seed(1))
    monkeypatch.setattr(filters, "STRIP_ROWS", 1000)
    whole = gaussian_blur(image, 2.0)
    monkeypatch.setattr(filters, "STRIP_ROWS", 8)  # 6 strips, the last one short
    assert torch.equal(gaussian_blur(image, 2.0), whole)
    assert torch.equal(
        gaussian_blur(image.double(), 1.0),
        filters._taps(
            filters._taps(torch.nn.functional.pad(image.double(), (3, 3, 3, 3), mode="replicate"), _w(1.0), dim=-1),
            _w(1.0),
            dim=-2,
        ),
    )


def _w(sigma: float) -> list[float]:
    import math

    pad = max(1, round(3 * sigma))
    raw = [math.exp(-(i * i) / (2 * sigma**2)) for i in range(-pad, pad + 1)]
    return [v / sum(raw) for v in raw]


def test_an_image_that_needs_gradients_is_blurred_whole_and_differentiably() -> None:
    image = torch.rand(1, 2, 300, 40, generator=torch.Generator().manual_seed(0))  # rows past two strips
    leaf = image.clone().requires_grad_()
    blurred = gaussian_blur(leaf, 2.0)
    assert torch.allclose(blurred, gaussian_blur(image, 2.0), atol=1e-6)  # the strip-by-strip sums, no grad
    blurred.sum().backward()
    assert leaf.grad is not None and leaf.grad.abs().sum() > 0


def test_the_notch_removes_2px_patterns_and_keeps_coarser_ones() -> None:
    y, x = torch.meshgrid(torch.arange(48.0), torch.arange(40.0), indexing="ij")
    rows, checker = 0.5 + 0.1 * torch.cos(torch.pi * y), 0.5 + 0.1 * torch.cos(torch.pi * (x + y))
    for pattern in (rows, checker):
        out = nyquist_notch(pattern.expand(1, 3, 48, 40))
        assert (out[..., 4:-4, 4:-4] - 0.5).abs().max() < 1e-6  # the 2-px pattern is gone
    wave = 0.5 + 0.1 * torch.cos(2 * torch.pi * x / 8)  # an 8-px period keeps 98 % of its amplitude
    kept = (nyquist_notch(wave.expand(1, 1, 48, 40)) - 0.5)[..., 4:-4, 4:-4].abs().max() / 0.1
    assert 0.97 < float(kept) < 0.99
    flat = torch.full((1, 3, 9, 7), 0.3, dtype=torch.float64)
    assert torch.allclose(nyquist_notch(flat), flat) and nyquist_notch(flat).dtype == torch.float64


def test_the_notch_in_strips_equals_the_whole_image() -> None:
    image = torch.rand(1, 3, 3 * STRIP_ROWS + 5, 50, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        stripped = nyquist_notch(image)
    whole = nyquist_notch(image.clone().requires_grad_())  # autograd: the one-pass path
    assert torch.allclose(stripped, whole.detach(), atol=1e-6)
    with pytest.raises(ValueError, match="expected"):
        nyquist_notch(image[0])


def test_a_weaker_notch_leaves_part_of_the_pattern() -> None:
    y = torch.arange(48.0)[:, None].expand(48, 40)
    rows = (0.5 + 0.1 * torch.cos(torch.pi * y)).expand(1, 1, 48, 40)
    half = nyquist_notch(rows, 0.5) - 0.5
    assert torch.allclose(half[..., 4:-4, 4:-4].abs(), torch.full_like(half[..., 4:-4, 4:-4], 0.05), atol=1e-6)
    assert torch.equal(nyquist_notch(rows, 0.0), rows)
    with pytest.raises(ValueError, match=r"strength 1\.5"):
        nyquist_notch(rows, 1.5)
