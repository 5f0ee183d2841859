"""Perceptual losses: zero for identical inputs, gradients that point downhill, size-invariant Gram matrices."""

from __future__ import annotations

import pytest
import torch

from brushwork.losses.perceptual import (
    content_loss,
    gram_loss,
    gram_matrix,
    mean_std,
    mean_std_loss,
    total_variation,
)


def _feats(*shape: int, seed: int = 0) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


def _descends(loss_fn, x: torch.Tensor, lr: float = 1e-2) -> tuple[float, float]:
    """Loss before and after one small step against the gradient."""
    x = x.clone().requires_grad_(True)
    before = loss_fn(x)
    (grad,) = torch.autograd.grad(before, x)
    with torch.no_grad():
        after = loss_fn(x - lr * grad / grad.norm().clamp_min(1e-12))
    return float(before.detach()), float(after)


def test_losses_are_zero_for_identical_inputs() -> None:
    f = _feats(2, 8, 12, 10)
    assert float(content_loss(f, f.clone())) == 0.0
    assert float(gram_loss(f, gram_matrix(f))) == pytest.approx(0.0, abs=1e-12)
    assert float(mean_std_loss(f, f.clone())) == 0.0
    assert float(total_variation(torch.full((1, 3, 9, 9), 0.3))) == 0.0


def test_losses_are_positive_for_different_inputs() -> None:
    f, g = _feats(1, 8, 12, 10), _feats(1, 8, 12, 10, seed=1)
    assert float(content_loss(f, g)) > 0
    assert float(gram_loss(f, gram_matrix(g))) > 0
    assert float(mean_std_loss(f, g + 1)) > 0
    assert float(total_variation(f)) > 0


@pytest.mark.parametrize("name", ["content", "gram", "mean_std", "tv"])
def test_gradient_points_downhill(name: str) -> None:
    target = _feats(1, 8, 12, 10, seed=1).abs()
    fns = {
        "content": lambda x: content_loss(x, target),
        "gram": lambda x: gram_loss(x, gram_matrix(target)),
        "mean_std": lambda x: mean_std_loss(x, target),
        "tv": total_variation,
    }
    before, after = _descends(fns[name], _feats(1, 8, 12, 10).abs())
    assert after < before


def test_content_gradient_is_the_analytic_one() -> None:
    f, t = _feats(1, 4, 5, 6), _feats(1, 4, 5, 6, seed=1)
    x = f.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(content_loss(x, t), x)
    torch.testing.assert_close(grad, 2 * (f - t) / f.numel())


def test_gram_matrix_is_invariant_to_tiling() -> None:
    """A texture tiled 2×2 has the same (normalised) Gram matrix: the style loss does not depend on size."""
    tile = _feats(1, 6, 7, 9).relu()
    tiled = tile.repeat(1, 1, 2, 2)
    torch.testing.assert_close(gram_matrix(tiled), gram_matrix(tile))
    assert float(gram_loss(tiled, gram_matrix(tile))) == pytest.approx(0.0, abs=1e-10)


def test_gram_loss_of_encoder_features_is_size_invariant_for_a_tiled_texture(tiny_encoder) -> None:
    """Through a (random) VGG16-shaped encoder, a texture tiled to 64 px and to 128 px has (almost) one Gram
    matrix: far closer than a different texture's, although the larger image has 4× the feature positions."""
    gen = torch.Generator().manual_seed(3)
    tile, other_tile = torch.rand(1, 3, 16, 16, generator=gen), torch.rand(1, 3, 16, 16, generator=gen) ** 3
    layers = ["relu1_1", "relu2_1", "relu3_1"]
    small, large = tiny_encoder(tile.repeat(1, 1, 4, 4), layers), tiny_encoder(tile.repeat(1, 1, 8, 8), layers)
    other = tiny_encoder(other_tile.repeat(1, 1, 4, 4), layers)
    for name in layers:
        target = gram_matrix(small[name])
        same_texture = float(gram_loss(large[name], target))
        other_texture = float(gram_loss(other[name], target))
        assert same_texture < 0.1 * other_texture, name


def test_gram_loss_broadcasts_a_single_target_over_a_batch() -> None:
    f = _feats(3, 4, 5, 5)
    target = gram_matrix(f[:1])
    loss = gram_loss(f, target)
    assert loss.ndim == 0 and float(loss) > 0


def test_mean_std_shapes() -> None:
    mu, sd = mean_std(_feats(2, 5, 4, 4))
    assert mu.shape == sd.shape == (2, 5, 1, 1)
    assert bool((sd > 0).all())


def test_losses_do_not_modify_inputs() -> None:
    f, t = _feats(1, 4, 6, 6), _feats(1, 4, 6, 6, seed=1)
    f0, t0 = f.clone(), t.clone()
    content_loss(f, t), gram_loss(f, gram_matrix(t)), mean_std_loss(f, t), total_variation(f)
    assert torch.equal(f, f0) and torch.equal(t, t0)


@pytest.mark.parametrize("fn", [gram_matrix, total_variation, lambda x: mean_std(x)[0]])
def test_rejects_non_4d(fn) -> None:
    with pytest.raises(ValueError, match="expected"):
        fn(torch.zeros(3, 4, 4))
