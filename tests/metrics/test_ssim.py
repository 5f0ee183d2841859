"""SSIM and PSNR against scikit-image's reference implementation, on random and real images."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from brushwork.metrics.ssim import LUMA_WEIGHTS, luminance, psnr, ssim, ssim_luminance


def _skimage_ssim(a: torch.Tensor, b: torch.Tensor) -> float:
    """The reference: Wang et al. 2004 settings, channel-averaged for (3, H, W), 2-D for (1, H, W)."""
    kwargs = {"data_range": 1.0, "gaussian_weights": True, "sigma": 1.5, "use_sample_covariance": False}
    x = a.double().permute(1, 2, 0).numpy()
    y = b.double().permute(1, 2, 0).numpy()
    if x.shape[2] == 1:
        return float(structural_similarity(x[..., 0], y[..., 0], **kwargs))
    return float(structural_similarity(x, y, channel_axis=-1, **kwargs))


def _skimage_luma_ssim(a: torch.Tensor, b: torch.Tensor) -> float:
    w = np.array(LUMA_WEIGHTS)
    x = a.double().permute(1, 2, 0).numpy() @ w
    y = b.double().permute(1, 2, 0).numpy() @ w
    return float(
        structural_similarity(x, y, data_range=1.0, gaussian_weights=True, sigma=1.5, use_sample_covariance=False)
    )


@pytest.mark.parametrize("shape", [(3, 3, 32, 32), (2, 3, 11, 40), (1, 1, 25, 17)])
def test_matches_skimage_on_random_images(shape: tuple[int, ...]) -> None:
    g = torch.Generator().manual_seed(sum(shape))
    x = torch.rand(shape, generator=g)
    y = (x + 0.3 * torch.randn(shape, generator=g)).clamp(0, 1)
    got = ssim(x, y)
    assert got.shape == (shape[0],) and got.dtype == torch.float32
    for i in range(shape[0]):
        assert got[i].item() == pytest.approx(_skimage_ssim(x[i], y[i]), abs=1e-3)
    if shape[1] == 3:
        got_luma = ssim_luminance(x, y)
        for i in range(shape[0]):
            assert got_luma[i].item() == pytest.approx(_skimage_luma_ssim(x[i], y[i]), abs=1e-3)


def test_matches_skimage_on_a_real_photo_and_a_degraded_copy(coffee: torch.Tensor, blur) -> None:
    g = torch.Generator().manual_seed(0)
    degraded = (blur(coffee, 1.5) + 0.05 * torch.randn(coffee.shape, generator=g)).clamp(0, 1)
    rgb, luma = ssim(coffee, degraded).item(), ssim_luminance(coffee, degraded).item()
    assert rgb == pytest.approx(_skimage_ssim(coffee[0], degraded[0]), abs=1e-3)
    assert luma == pytest.approx(_skimage_luma_ssim(coffee[0], degraded[0]), abs=1e-3)
    assert 0.2 < rgb < 0.9  # a real degradation, not a trivial case


def test_float64_inputs_stay_float64_and_agree_to_1e_9() -> None:
    x = torch.rand(1, 3, 20, 20, dtype=torch.float64)
    y = torch.rand(1, 3, 20, 20, dtype=torch.float64)
    got = ssim(x, y)
    assert got.dtype == torch.float64
    assert got.item() == pytest.approx(_skimage_ssim(x[0], y[0]), abs=1e-9)


def test_identical_symmetric_batched_and_ranks_blur(coffee: torch.Tensor, blur) -> None:
    x = coffee[..., :96, :128]
    assert torch.allclose(ssim(x, x), torch.ones(1))
    mild, strong = blur(x, 1.0), blur(x, 3.0)
    batch_a, batch_b = torch.cat([x, x]), torch.cat([mild, strong])
    forward, backward = ssim(batch_a, batch_b), ssim(batch_b, batch_a)
    assert torch.allclose(forward, backward)
    assert 1.0 > forward[0] > forward[1]
    assert torch.allclose(forward[1], ssim(x, strong)[0])  # batching changes nothing
    luma = ssim_luminance(batch_a, batch_b)
    assert 1.0 > luma[0] > luma[1]


def test_inputs_are_not_modified_and_bad_shapes_raise() -> None:
    x, y = torch.rand(1, 3, 16, 16), torch.rand(1, 3, 16, 16)
    before = x.clone(), y.clone()
    ssim(x, y), ssim_luminance(x, y), psnr(x, y)
    assert torch.equal(x, before[0]) and torch.equal(y, before[1])
    with pytest.raises(ValueError, match="shapes differ"):
        ssim(x, torch.rand(1, 3, 16, 17))
    with pytest.raises(ValueError, match="smaller than the 11-px window"):
        ssim(torch.rand(1, 3, 10, 30), torch.rand(1, 3, 10, 30))
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        ssim(torch.rand(3, 16, 16), torch.rand(3, 16, 16))
    with pytest.raises(ValueError, match="RGB"):
        ssim_luminance(torch.rand(1, 1, 16, 16), torch.rand(1, 1, 16, 16))


def test_luminance_is_bt601() -> None:
    x = torch.zeros(1, 3, 1, 2)
    x[0, :, 0, 0] = torch.tensor([1.0, 0.0, 0.0])
    x[0, :, 0, 1] = 1.0
    assert torch.allclose(luminance(x).flatten(), torch.tensor([0.299, 1.0]))


def test_psnr_matches_skimage_and_is_inf_for_identical() -> None:
    g = torch.Generator().manual_seed(1)
    x = torch.rand(2, 3, 8, 9, generator=g)
    y = (x + 0.1 * torch.randn(x.shape, generator=g)).clamp(0, 1)
    got = psnr(x, y)
    for i in range(2):
        ref = peak_signal_noise_ratio(x[i].double().numpy(), y[i].double().numpy(), data_range=1.0)
        assert got[i].item() == pytest.approx(ref, abs=1e-3)
    assert math.isinf(psnr(x, x)[0].item())


def test_a_mask_averages_skimages_ssim_map_over_the_masked_pixels() -> None:
    g = torch.Generator().manual_seed(3)
    x = torch.rand(2, 3, 30, 40, generator=g)
    y = x.clone()
    y[..., 20:] = (x[..., 20:] + 0.4 * torch.randn(2, 3, 30, 20, generator=g)).clamp(0, 1)  # right half noisy
    kwargs = {"data_range": 1.0, "gaussian_weights": True, "sigma": 1.5, "use_sample_covariance": False}
    _, full_map = structural_similarity(
        x[0].double().permute(1, 2, 0).numpy(), y[0].double().permute(1, 2, 0).numpy(), channel_axis=-1, full=True,
        **kwargs,
    )  # fmt: skip
    mask = torch.zeros(2, 1, 30, 40)
    mask[..., 25:] = 1.0  # the noisy half only
    want = float(full_map[5:-5, 25:-5].mean())  # skimage's kept region (5 px per side) ∩ the mask
    got = ssim(x, y, mask=mask)
    assert got[0].item() == pytest.approx(want, abs=1e-3) and got[0] < ssim(x, y)[0] < 1.0
    assert torch.allclose(ssim(x, y, mask=torch.ones(2, 1, 30, 40)), ssim(x, y))
    left = torch.zeros(2, 1, 30, 40)
    left[..., :15] = 1.0  # windows here (radius 5) never reach the noisy half
    assert ssim(x, y, mask=left)[0].item() == pytest.approx(1.0, abs=1e-6)
    with pytest.raises(ValueError, match="mask"):
        ssim(x, y, mask=torch.ones(1, 1, 30, 40))
