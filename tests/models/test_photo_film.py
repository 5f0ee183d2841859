"""The photo-aware code: the identity when new, affine in the painting's code, shapes checked."""

from __future__ import annotations

import pytest
import torch

from brushwork.models.photo_film import PhotoFiLM


def test_a_new_film_passes_the_code_and_its_hidden_layer_can_learn() -> None:
    torch.manual_seed(0)
    film = PhotoFiLM(12, 8, 6)
    code, photo = torch.randn(3, 8), torch.randn(3, 12)
    assert torch.equal(film(code, photo), code)
    assert film.hidden.weight.abs().sum() > 0  # gradients reach the zeroed output layer
    film(code, photo).pow(2).sum().backward()
    assert film.out.weight.grad is not None and film.out.weight.grad.abs().sum() > 0


def test_codes_still_blend_exactly_and_photos_matter() -> None:
    torch.manual_seed(1)
    film = PhotoFiLM(12, 8, 6)
    with torch.no_grad():
        film.out.weight.normal_(std=0.3)
        film.out.bias.normal_(std=0.3)
    z1, z2, photo = torch.randn(1, 8), torch.randn(1, 8), torch.randn(1, 12)
    blend = film(0.3 * z1 + 0.7 * z2, photo)
    assert torch.allclose(blend, 0.3 * film(z1, photo) + 0.7 * film(z2, photo), atol=1e-6)
    assert (film(z1, photo) - film(z1, torch.randn(1, 12))).abs().max() > 1e-3


def test_bad_sizes_and_shapes_are_errors() -> None:
    with pytest.raises(ValueError, match="bad sizes"):
        PhotoFiLM(12, 8, 0)
    film = PhotoFiLM(12, 8, 6)
    with pytest.raises(ValueError, match=r"codes \(N, 8\)"):
        film(torch.randn(2, 7), torch.randn(2, 12))
    with pytest.raises(ValueError, match="photos"):
        film(torch.randn(2, 8), torch.randn(2, 12, 1))
