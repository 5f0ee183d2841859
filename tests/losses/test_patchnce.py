"""PatchNCE on feature maps: low for corresponding positions, high for scrambled ones, gradient to the query."""

from __future__ import annotations

import pytest
import torch

from brushwork.losses.patchnce import patch_nce_loss


def test_matching_positions_score_low_and_scrambled_ones_high() -> None:
    gen = torch.Generator().manual_seed(0)
    key = torch.randn(2, 16, 8, 8, generator=gen)
    same = patch_nce_loss(key.clone(), key, num_patches=64, generator=torch.Generator().manual_seed(1))
    scrambled = key.flatten(2)[:, :, torch.randperm(64, generator=gen)].view_as(key)
    wrong = patch_nce_loss(scrambled, key, num_patches=64, generator=torch.Generator().manual_seed(1))
    assert float(same) < 0.05 and float(wrong) > 3.0


def test_uninformative_features_give_log_of_the_patch_count() -> None:
    flat = torch.ones(1, 4, 4, 4)
    torch.testing.assert_close(patch_nce_loss(flat, flat, num_patches=16), torch.tensor(16.0).log())


def test_gradient_reaches_the_query_only_and_patches_are_capped() -> None:
    q = torch.randn(1, 8, 3, 3, requires_grad=True)
    k = torch.randn(1, 8, 3, 3, requires_grad=True)
    patch_nce_loss(q, k, num_patches=1000).backward()  # 9 positions exist: all are used
    assert q.grad is not None and q.grad.abs().sum() > 0 and k.grad is None


def test_bad_arguments_raise() -> None:
    with pytest.raises(ValueError, match="must match"):
        patch_nce_loss(torch.rand(1, 4, 4, 4), torch.rand(1, 4, 4, 5))
    with pytest.raises(ValueError, match="temperature"):
        patch_nce_loss(torch.rand(1, 4, 4, 4), torch.rand(1, 4, 4, 4), temperature=0)
