"""DiffAugment: shapes, the same transform for paired tensors, differentiability, policies."""

from __future__ import annotations

import pytest
import torch

from brushwork.data.diffaugment import diff_augment, parse_policy

ALL = "color,translation,cutout"


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_policy_parsing() -> None:
    assert parse_policy(ALL) == ("color", "translation", "cutout")
    assert parse_policy("") == parse_policy("none") == ()
    with pytest.raises(ValueError, match="unknown DiffAugment"):
        parse_policy("color,rotate")


def test_empty_policy_is_the_identity_and_shapes_are_kept() -> None:
    x = torch.rand(3, 3, 20, 28)
    assert torch.equal(diff_augment(x, policy="")[0], x)
    (y,) = diff_augment(x, policy=ALL, generator=_gen())
    assert y.shape == x.shape and not torch.equal(y, x)


def test_paired_tensors_get_the_same_transform_per_sample() -> None:
    x = torch.rand(4, 3, 16, 16)
    a, b = diff_augment(x, x.clone(), policy=ALL, generator=_gen(1))
    torch.testing.assert_close(a, b)
    (c,) = diff_augment(x, policy=ALL, generator=_gen(1))
    torch.testing.assert_close(a, c)  # deterministic given the generator
    (d,) = diff_augment(x, policy=ALL, generator=_gen(2))
    assert not torch.allclose(a, d)


def test_translation_moves_content_and_cutout_grays_half_the_side() -> None:
    x = torch.zeros(1, 3, 32, 32)
    x[..., 10:20, 10:20] = 1.0
    moved = [diff_augment(x, policy="translation", generator=_gen(s))[0] for s in range(8)]
    assert any(not torch.equal(m, x) for m in moved)
    assert all(abs(float(m.sum()) - float(x.sum())) < 1e-3 * x.numel() + 300 * 3 for m in moved)
    (cut,) = diff_augment(torch.zeros(2, 3, 32, 32), policy="cutout", generator=_gen())
    assert ((cut == 0.5).sum(dim=(1, 2, 3)) == 3 * 16 * 16).all()


def test_gradients_flow_through_every_policy() -> None:
    x = torch.rand(2, 3, 16, 16, requires_grad=True)
    (y,) = diff_augment(x, policy=ALL, generator=_gen())
    y.sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0


def test_mismatched_shapes_raise() -> None:
    with pytest.raises(ValueError, match="one \\(N, C, H, W\\) shape"):
        diff_augment(torch.rand(1, 3, 8, 8), torch.rand(1, 3, 8, 9), policy=ALL)
