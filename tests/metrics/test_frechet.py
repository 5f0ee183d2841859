"""VGG features, the VGG-feature Fréchet distance and the kernel distance: known values, batching, real domains."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.linalg
import torch

from brushwork.metrics.frechet import (
    FEATURE_SCALE,
    GaussianStats,
    frechet_distance,
    gaussian_stats,
    kernel_distance,
    vgg_features,
)
from brushwork.models.encoders import VGG16Encoder


def _random_cov(rng: np.random.Generator, d: int) -> np.ndarray:
    a = rng.standard_normal((d, d))
    return a @ a.T / d + 0.1 * np.eye(d)


def _stats(mean: np.ndarray, cov: np.ndarray) -> GaussianStats:
    return GaussianStats(mean=np.asarray(mean, float), cov=np.asarray(cov, float), n=1000)


# --- Fréchet distance -------------------------------------------------------------------------------------


def test_closed_form_in_one_dimension() -> None:
    # N(1, 2²) vs N(3, 3²): (1 − 3)² + (2 − 3)² = 5.
    assert frechet_distance(_stats([1.0], [[4.0]]), _stats([3.0], [[9.0]])) == pytest.approx(5.0, abs=1e-12)


def test_closed_form_for_diagonal_covariances() -> None:
    mu_a, mu_b = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 0.0])
    var_a, var_b = np.array([1.0, 4.0, 0.25]), np.array([9.0, 1.0, 0.25])
    expected = np.sum((mu_a - mu_b) ** 2) + np.sum((np.sqrt(var_a) - np.sqrt(var_b)) ** 2)  # 5 + 4 + 1 + 0 = 10
    got = frechet_distance(_stats(mu_a, np.diag(var_a)), _stats(mu_b, np.diag(var_b)))
    assert got == pytest.approx(expected, abs=1e-10) and expected == pytest.approx(10.0)


def test_matches_the_sqrtm_formula_for_full_covariances_and_is_symmetric() -> None:
    rng = np.random.default_rng(0)
    d = 6
    mu_a, mu_b = rng.standard_normal(d), rng.standard_normal(d)
    cov_a, cov_b = _random_cov(rng, d), _random_cov(rng, d)
    covmean = scipy.linalg.sqrtm(cov_a @ cov_b).real
    expected = float(np.sum((mu_a - mu_b) ** 2) + np.trace(cov_a + cov_b - 2 * covmean))
    a, b = _stats(mu_a, cov_a), _stats(mu_b, cov_b)
    assert frechet_distance(a, b) == pytest.approx(expected, rel=1e-9)
    assert frechet_distance(b, a) == pytest.approx(expected, rel=1e-9)


def test_large_samples_approach_the_population_value() -> None:
    rng = np.random.default_rng(1)
    d = 3
    mu_a, mu_b = np.zeros(d), np.array([1.0, -1.0, 0.5])
    cov_a, cov_b = _random_cov(rng, d), _random_cov(rng, d)
    x = rng.multivariate_normal(mu_a, cov_a, size=50_000)
    y = rng.multivariate_normal(mu_b, cov_b, size=50_000)
    population = frechet_distance(_stats(mu_a, cov_a), _stats(mu_b, cov_b))
    assert frechet_distance(x, torch.from_numpy(y)) == pytest.approx(population, rel=0.02)


def test_a_set_with_itself_is_zero_even_when_rank_deficient() -> None:
    rng = np.random.default_rng(2)
    feats = rng.standard_normal((10, 64)) * 5 + 3  # 10 vectors in 64-d: covariance of rank 9
    assert abs(frechet_distance(feats, feats)) < 1e-8
    stats = gaussian_stats(feats)
    assert stats.mean.shape == (64,) and stats.cov.shape == (64, 64) and stats.n == 10
    assert frechet_distance(stats, stats) == frechet_distance(feats, feats)


def test_gaussian_stats_and_frechet_reject_bad_features() -> None:
    with pytest.raises(ValueError, match="at least 2"):
        gaussian_stats(np.ones((1, 4)))
    with pytest.raises(ValueError, match="NaN"):
        gaussian_stats(np.array([[0.0, np.nan], [1.0, 2.0]]))
    with pytest.raises(ValueError, match=r"\(M, D\)"):
        gaussian_stats(np.ones(4))
    with pytest.raises(ValueError, match="dimensions differ"):
        frechet_distance(np.ones((3, 4)), np.ones((3, 5)))
    assert gaussian_stats(np.array([[1.0], [3.0]])).cov.shape == (1, 1)


# --- kernel distance --------------------------------------------------------------------------------------


def _unbiased_mmd2_by_loops(x: np.ndarray, y: np.ndarray) -> float:
    k = lambda a, b: (a @ b / x.shape[1] + 1.0) ** 3  # noqa: E731
    m = len(x)
    xx = sum(k(x[i], x[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    yy = sum(k(y[i], y[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    xy = sum(k(x[i], y[j]) for i in range(m) for j in range(m)) / (m * m)
    return xx + yy - 2 * xy


def test_kernel_distance_is_the_unbiased_mmd2_estimate() -> None:
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((7, 4)), rng.standard_normal((7, 4)) + 0.5
    got = kernel_distance(x, y, subsets=3, subset_size=7)  # every round uses both whole sets
    assert got.subset_size == 7 and got.subsets == 3
    assert got.mean == pytest.approx(_unbiased_mmd2_by_loops(x, y), rel=1e-10)
    assert got.std == pytest.approx(0.0, abs=1e-12)


def test_kernel_distance_is_about_zero_for_one_distribution_and_positive_for_two() -> None:
    rng = np.random.default_rng(4)
    a, b = rng.standard_normal((200, 16)), rng.standard_normal((200, 16))
    shifted = rng.standard_normal((200, 16)) + 0.5
    same_set, same_dist = kernel_distance(a, a), kernel_distance(a, b)
    different = kernel_distance(a, shifted)
    assert different.mean > 5 * different.std > 0
    assert abs(same_dist.mean) < 3 * same_dist.std
    assert abs(same_set.mean) < 0.1 * different.mean  # slightly negative: the draws share rows
    assert same_dist.subset_size == 100  # half the smaller set by default
    assert kernel_distance(a, b, seed=7) == kernel_distance(a, b, seed=7)


def test_kernel_distance_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="at least 2"):
        kernel_distance(np.ones((1, 3)), np.ones((5, 3)))
    with pytest.raises(ValueError, match="dimensions differ"):
        kernel_distance(np.ones((4, 3)), np.ones((4, 2)))


# --- feature extraction -----------------------------------------------------------------------------------


class _SpyEncoder(torch.nn.Module):
    """Wraps an encoder and records the batch sizes it is called with."""

    def __init__(self, inner: torch.nn.Module) -> None:
        super().__init__()
        self.inner = inner
        self.batches: list[int] = []

    def forward(self, image: torch.Tensor, layers):
        self.batches.append(image.shape[0])
        return self.inner(image, layers)


def test_vgg_features_are_scaled_pooled_means(tiny_encoder: VGG16Encoder) -> None:
    x = torch.rand(3, 3, 32, 32)
    feats = vgg_features(x, tiny_encoder, layers=("relu2_2", "relu3_3"))
    assert feats.shape == (3, 16) and feats.dtype == torch.float64
    ref = tiny_encoder(x, ["relu2_2", "relu3_3"])
    expected = torch.cat([ref["relu2_2"].mean((2, 3)), ref["relu3_3"].mean((2, 3))], 1).double() / FEATURE_SCALE
    assert torch.allclose(feats, expected, atol=1e-7)


def test_vgg_features_batches_a_stream_of_mixed_sizes_with_bounded_batches(tiny_encoder: VGG16Encoder) -> None:
    g = torch.Generator().manual_seed(0)
    images = [torch.rand(1, 3, 32, 32, generator=g) for _ in range(5)]
    images += [torch.rand(3, 24, 40, generator=g), torch.rand(2, 3, 32, 32, generator=g)]
    spy = _SpyEncoder(tiny_encoder)
    streamed = vgg_features((im for im in images), spy, batch_size=2)
    assert max(spy.batches) <= 2 and sum(spy.batches) == 8
    one_by_one = torch.cat([vgg_features(im, tiny_encoder) for im in images])
    assert streamed.shape == (8, 8)
    assert torch.allclose(streamed, one_by_one, atol=1e-6)


def test_vgg_features_rejects_empty_and_bad_input(tiny_encoder: VGG16Encoder) -> None:
    with pytest.raises(ValueError, match="no images"):
        vgg_features([], tiny_encoder)
    with pytest.raises(ValueError, match="RGB"):
        vgg_features(torch.rand(1, 1, 16, 16), tiny_encoder)
    with pytest.raises(ValueError, match="batch_size"):
        vgg_features(torch.rand(1, 3, 16, 16), tiny_encoder, batch_size=0)


# --- real domains -----------------------------------------------------------------------------------------


def _first_images(folder: Path, count: int):
    from brushwork.imageio import load_image, resize

    names = sorted(folder.iterdir(), key=lambda p: int(p.stem))[:count]
    for path in names:
        yield resize(load_image(path), size=(128, 128))


@pytest.fixture(scope="module")
def vangogh_features(vgg16: VGG16Encoder, shared_data: Path) -> dict[str, torch.Tensor]:
    """relu3_3 features of 32 trainA paintings and 64 trainB photos (two halves of 32) at 128 px."""
    root = shared_data / "vangogh2photo"
    paintings = vgg_features(_first_images(root / "trainA", 32), vgg16, batch_size=16)
    photos = vgg_features(_first_images(root / "trainB", 64), vgg16, batch_size=16)
    return {"paintings": paintings, "photos_1": photos[:32], "photos_2": photos[32:]}


@pytest.mark.integration
def test_frechet_separates_paintings_from_photos(vangogh_features: dict[str, torch.Tensor]) -> None:
    paint, photos_1, photos_2 = (vangogh_features[k] for k in ("paintings", "photos_1", "photos_2"))
    across = frechet_distance(paint, photos_1)
    within = frechet_distance(photos_1, photos_2)
    assert frechet_distance(photos_1, photos_1) < 1e-6
    assert across == pytest.approx(frechet_distance(photos_1, paint), rel=1e-6)
    assert across > 2.0 * within > 0  # measured ≈ 3.1× at 32 vs 32


@pytest.mark.integration
def test_kernel_distance_separates_paintings_from_photos(vangogh_features: dict[str, torch.Tensor]) -> None:
    paint, photos_1, photos_2 = (vangogh_features[k] for k in ("paintings", "photos_1", "photos_2"))
    across = kernel_distance(paint, photos_1)
    within = kernel_distance(photos_1, photos_2)
    itself = kernel_distance(photos_1, photos_1)
    assert across.mean > 5 * max(abs(within.mean), within.std)
    assert abs(itself.mean) < 0.1 * across.mean
