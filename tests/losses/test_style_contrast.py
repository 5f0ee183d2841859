"""The style-signal contrastive loss: zero at its own painting's code, ratio form, shape checks."""

from __future__ import annotations

import pytest
import torch

from brushwork.losses.style_contrast import style_contrastive_loss


def test_zero_when_every_output_has_its_paintings_code() -> None:
    codes = torch.randn(4, 8, generator=torch.Generator().manual_seed(0))
    assert float(style_contrastive_loss(codes, codes)) == pytest.approx(0.0, abs=1e-12)


def test_the_ratio_of_positive_to_negative_distances() -> None:
    styles = torch.tensor([[0.0, 0.0], [2.0, 0.0]])
    outputs = torch.tensor([[1.0, 0.0], [1.0, 0.0]])  # halfway: positive and negative distances equal
    assert float(style_contrastive_loss(outputs, styles)) == pytest.approx(1.0)
    nearer = torch.tensor([[0.5, 0.0], [1.5, 0.0]])  # d+ = 0.125, d- = 1.125 (mean over D = 2)
    assert float(style_contrastive_loss(nearer, styles)) == pytest.approx(0.125 / 1.125)


def test_shrinking_every_code_does_not_lower_it() -> None:
    g = torch.Generator().manual_seed(1)
    outputs, styles = torch.randn(3, 5, generator=g), torch.randn(3, 5, generator=g)
    full = style_contrastive_loss(outputs, styles)
    assert float(style_contrastive_loss(outputs * 0.1, styles * 0.1)) == pytest.approx(float(full), rel=1e-5)


def test_gradient_pulls_an_output_towards_its_painting() -> None:
    styles = torch.tensor([[0.0, 0.0], [4.0, 0.0], [0.0, 4.0]])
    outputs = torch.tensor([[1.0, 1.0], [3.0, 0.0], [0.0, 3.0]], requires_grad=True)
    style_contrastive_loss(outputs, styles).backward()
    assert outputs.grad is not None and bool((outputs.grad[0] > 0).all())  # descent moves output 0 towards (0, 0)


@pytest.mark.parametrize(("a", "b"), [((4, 8), (4, 7)), ((4, 8, 1), (4, 8, 1)), ((1, 8), (1, 8))])
def test_bad_shapes_are_clear(a: tuple[int, ...], b: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match="style_contrastive_loss"):
        style_contrastive_loss(torch.zeros(a), torch.zeros(b))
