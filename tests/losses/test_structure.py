"""Structure loss (channel-normalised features) and the relative Gram loss."""

from __future__ import annotations

import pytest
import torch

from brushwork.losses.perceptual import gram_matrix, relative_gram_loss
from brushwork.losses.structure import normalized_feature_loss, unit_channels


def test_normalized_loss_sees_structure_not_strength() -> None:
    g = torch.Generator().manual_seed(0)
    x = torch.rand(2, 6, 5, 7, generator=g)
    gain = torch.rand(2, 1, 5, 7, generator=g) * 3 + 0.5  # a different strength at every position
    assert float(normalized_feature_loss(x * gain, x)) < 1e-10
    y = torch.rand(2, 6, 5, 7, generator=g)
    d = float(normalized_feature_loss(x, y))
    assert 0 < d <= 4
    assert float(normalized_feature_loss(x, -x)) == pytest.approx(4.0)  # opposite directions: the maximum
    zero = torch.zeros(1, 6, 2, 2)
    assert torch.equal(unit_channels(zero), zero)
    with pytest.raises(ValueError, match="shapes differ"):
        normalized_feature_loss(x, x[:, :4])


def test_magnitude_power_leaves_weak_positions_free() -> None:
    g = torch.Generator().manual_seed(2)
    target = torch.rand(1, 6, 4, 4, generator=g) + 0.1
    target[..., :2] *= 0.01  # a flat, faint left half (a sky), strong features on the right
    wrong_left, wrong_right = target.clone(), target.clone()
    wrong_left[..., :2] = -wrong_left[..., :2]  # every direction reversed where the photo is faint
    wrong_right[..., 2:] = -wrong_right[..., 2:]  # ... where it is strong
    plain = [float(normalized_feature_loss(w, target)) for w in (wrong_left, wrong_right)]
    assert plain[0] == pytest.approx(plain[1]) == pytest.approx(2.0)  # unweighted: half the positions at 4
    left, right = (float(normalized_feature_loss(w, target, magnitude_power=1.0)) for w in (wrong_left, wrong_right))
    assert left < 0.05 and right > 3.9  # weights of mean 1: the strong half carries nearly all of it
    assert float(normalized_feature_loss(target * 2, target, magnitude_power=1.0)) < 1e-10
    assert float(normalized_feature_loss(wrong_left, target, magnitude_power=0.0)) == pytest.approx(plain[0])
    with pytest.raises(ValueError, match="negative"):
        normalized_feature_loss(target, target, magnitude_power=-1.0)


def test_relative_gram_loss() -> None:
    g = torch.Generator().manual_seed(1)
    x = torch.rand(3, 4, 6, 6, generator=g)
    target = gram_matrix(x[:1])
    assert float(relative_gram_loss(x[:1], target)) < 1e-6
    assert float(relative_gram_loss(2 * x[:1], target)) == pytest.approx(3.0, rel=1e-5)  # G scales with 4
    assert relative_gram_loss(x, target).shape == ()  # a (1, C, C) target broadcasts over the batch
