"""``brushwork.metrics.kid`` (the KID ratio) and ``brushwork.metrics.sharpen`` (its 3× sharpen reference)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from brushwork.imageio import resize
from brushwork.metrics import (
    KIDRatio,
    kid_index_sets,
    kid_ratio,
    kid_subsets,
    sharpen,
    stat_features,
)


def _unbiased_mmd2_by_loops(x: np.ndarray, y: np.ndarray) -> float:
    """Bińkowski et al. 2018 eq. 3 written out, for sets of different sizes, with the kernel (x·y/d + 1)³."""
    k = lambda a, b: (a @ b / x.shape[1] + 1.0) ** 3  # noqa: E731
    m, n = len(x), len(y)
    xx = sum(k(x[i], x[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    yy = sum(k(y[i], y[j]) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    xy = sum(k(x[i], y[j]) for i in range(m) for j in range(n)) / (m * n)
    return xx + yy - 2 * xy


def test_kid_subsets_is_the_unbiased_mmd2_on_the_given_index_sets() -> None:
    rng = np.random.default_rng(0)
    x, r = rng.standard_normal((9, 5)), rng.standard_normal((7, 5)) + 0.3
    idx_x, idx_r = np.array([[0, 2, 4, 6], [1, 3, 5, 8]]), np.array([[0, 1, 2], [4, 5, 6]])
    got = kid_subsets(x, r, index_sets=(idx_x, idx_r))
    want = [_unbiased_mmd2_by_loops(x[a], r[b]) for a, b in zip(idx_x, idx_r, strict=True)]
    assert got.shape == (2,) and got == pytest.approx(want, rel=1e-10)
    # drawn subsets: m = min(subset_size, n_x, n_real), distinct rows per subset, seeded
    a, b = kid_index_sets(9, 7, subsets=5, subset_size=100, seed=3)
    assert a.shape == b.shape == (5, 7) and all(len(set(row)) == 7 for row in a)
    assert (kid_index_sets(9, 7, subsets=5, seed=3)[0] == a).all()
    assert (kid_subsets(x, r, subsets=5, seed=3) == kid_subsets(x, r, index_sets=(a, b))).all()


def test_kid_is_about_zero_for_one_distribution_and_can_be_negative() -> None:
    rng = np.random.default_rng(1)
    values = []
    for _ in range(20):
        a, b = rng.standard_normal((40, 8)), rng.standard_normal((40, 8))
        values.append(kid_subsets(a, b, subsets=10, subset_size=20, seed=int(rng.integers(1 << 30))).mean())
    values = np.array(values)
    shifted = kid_subsets(rng.standard_normal((40, 8)) + 0.5, rng.standard_normal((40, 8)), subsets=10).mean()
    assert (values < 0).any()  # unbiased: no positive floor
    assert abs(values.mean()) < 3 * values.std(ddof=1) / math.sqrt(len(values))
    assert shifted > 10 * values.std(ddof=1)


def test_ratio_is_exactly_one_for_the_photos_themselves_and_follows_the_distance() -> None:
    rng = np.random.default_rng(2)
    photos, real = rng.standard_normal((30, 6)), rng.standard_normal((25, 6)) + 1.0
    # subsets of 10 out of 30: only the same index subsets on both sides give exactly 1
    same = kid_ratio(photos.copy(), photos, real, subsets=7, subset_size=10, seed=5)
    assert isinstance(same, KIDRatio) and same.ratio == 1.0 and same.kid_photos > 0
    assert (same.n, same.n_real, same.subsets, same.subset_size) == (30, 25, 7, 10)
    towards = kid_ratio(photos + 0.5, photos, real, subsets=7, subset_size=10)  # half way to the paintings
    away = kid_ratio(photos - 0.5, photos, real, subsets=7, subset_size=10)
    assert towards.ratio < 0.7 and away.ratio > 1.3
    assert math.isfinite(towards.kid_outputs_std) and towards.as_dict()["ratio"] == towards.ratio
    single = kid_ratio(photos + 0.5, photos, real, subsets=1, subset_size=10)
    assert math.isnan(single.kid_photos_std)


def test_shapes_are_checked() -> None:
    ok = np.zeros((5, 4))
    with pytest.raises(ValueError, match="paired"):
        kid_ratio(np.zeros((4, 4)), ok, ok)
    with pytest.raises(ValueError, match="dimensions differ"):
        kid_subsets(ok, np.zeros((5, 3)))
    with pytest.raises(ValueError, match=r"\(M, D\)"):
        kid_subsets(np.zeros(5), ok)
    with pytest.raises(ValueError, match="at least 2"):
        kid_ratio(ok, ok, np.zeros((1, 4)))
    with pytest.raises(ValueError, match="NaN"):
        kid_ratio(np.full((5, 4), np.nan), ok, ok)
    with pytest.raises(ValueError, match="repeats an index"):
        kid_subsets(ok, ok, index_sets=(np.array([[0, 0]]), np.array([[0, 1]])))
    with pytest.raises(ValueError, match="out of range"):
        kid_subsets(ok, ok, index_sets=(np.array([[0, 5]]), np.array([[0, 1]])))
    with pytest.raises(ValueError, match="subsets must be"):
        kid_index_sets(5, 5, subsets=0)


def test_stat_features_are_relu4_3_channel_mean_and_std_at_a_256_px_short_side(tiny_encoder) -> None:
    torch.manual_seed(0)
    wide, small = torch.rand(1, 3, 40, 80), torch.rand(1, 3, 256, 256)
    feats = stat_features(tiny_encoder, [wide, small], batch_size=4)
    assert feats.shape == (2, 2 * 8) and feats.dtype == np.float64  # 8 channels at relu4_3: means, stds
    big = resize(wide, short_side=256)
    assert big.shape[-2:] == (256, 512)
    f = tiny_encoder(big, ["relu4_3"])["relu4_3"]
    direct = torch.cat([f.mean(dim=(2, 3)), f.std(dim=(2, 3), correction=0)], dim=1).double() / 100
    assert feats[0] == pytest.approx(direct[0].numpy(), rel=1e-4, abs=1e-7)
    assert (stat_features(tiny_encoder, small) == feats[1:]).all()  # a tensor works too; one row per image
    with pytest.raises(ValueError, match="RGB"):
        stat_features(tiny_encoder, [torch.rand(3, 32, 32)])
    with pytest.raises(ValueError, match="no images"):
        stat_features(tiny_encoder, [])


def test_sharpen_is_an_unsharp_mask_with_amount_3() -> None:
    torch.manual_seed(1)
    flat = torch.full((1, 3, 8, 8), 0.4)
    assert torch.allclose(sharpen(flat), flat, atol=1e-6)  # nothing to sharpen
    image = torch.rand(2, 3, 16, 12)
    out = sharpen(image)
    assert out.shape == image.shape and out.min() >= 0 and out.max() <= 1
    assert torch.equal(sharpen(image, amount=0.0), image)
    # an inner pixel by hand: blur = [1 2 1]ᵀ[1 2 1]/16 around it
    patch = image[0, 1, 4:7, 5:8]
    blurred = (torch.tensor([[1.0, 2, 1], [2, 4, 2], [1, 2, 1]]) / 16 * patch).sum()
    assert out[0, 1, 5, 6] == pytest.approx(float((image[0, 1, 5, 6] + 3 * (image[0, 1, 5, 6] - blurred)).clamp(0, 1)))
    assert (out - image).abs().mean() > 0.1  # it changes a noisy image a lot
    with pytest.raises(ValueError, match="RGB"):
        sharpen(torch.rand(1, 1, 8, 8))
