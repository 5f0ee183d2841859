"""The unlearned LPIPS-like content distance: zero, symmetry, range, batching; ranking with the real VGG16."""

from __future__ import annotations

import pytest
import torch

from brushwork.metrics.perceptual import CONTENT_LAYERS, channel_normalize, perceptual_distance
from brushwork.models.encoders import VGG16Encoder


def test_zero_for_identical_symmetric_and_bounded(tiny_encoder: VGG16Encoder) -> None:
    g = torch.Generator().manual_seed(0)
    x, y = torch.rand(3, 3, 32, 32, generator=g), torch.rand(3, 3, 32, 32, generator=g)
    assert torch.equal(perceptual_distance(x, x, tiny_encoder), torch.zeros(3))
    d_xy, d_yx = perceptual_distance(x, y, tiny_encoder), perceptual_distance(y, x, tiny_encoder)
    assert d_xy.shape == (3,)
    assert torch.allclose(d_xy, d_yx)
    assert ((d_xy > 0) & (d_xy <= 2)).all()  # unit vectors of ReLU features differ by at most √2


def test_batched_equals_one_by_one_and_inputs_untouched(tiny_encoder: VGG16Encoder) -> None:
    x, y = torch.rand(2, 3, 24, 40), torch.rand(2, 3, 24, 40)
    before = x.clone()
    batched = perceptual_distance(x, y, tiny_encoder)
    single = torch.cat([perceptual_distance(x[i : i + 1], y[i : i + 1], tiny_encoder) for i in range(2)])
    assert torch.allclose(batched, single, atol=1e-6)
    assert torch.equal(x, before)


def test_per_layer_formula_by_hand(tiny_encoder: VGG16Encoder) -> None:
    x, y = torch.rand(1, 3, 16, 16), torch.rand(1, 3, 16, 16)
    fx, fy = tiny_encoder(x, ["relu2_2"])["relu2_2"], tiny_encoder(y, ["relu2_2"])["relu2_2"]
    ux = fx / fx.norm(dim=1, keepdim=True).clamp_min(1e-10)
    uy = fy / fy.norm(dim=1, keepdim=True).clamp_min(1e-10)
    expected = (ux - uy).pow(2).sum(1).mean()
    got = perceptual_distance(x, y, tiny_encoder, layers=["relu2_2"])
    assert got.item() == pytest.approx(expected.item(), rel=1e-4)


def test_channel_normalize_keeps_zero_vectors_zero() -> None:
    f = torch.zeros(1, 4, 2, 2)
    f[0, :, 0, 0] = torch.tensor([3.0, 4.0, 0.0, 0.0])
    out = channel_normalize(f)
    assert torch.allclose(out[0, :, 0, 0], torch.tensor([0.6, 0.8, 0.0, 0.0]))
    assert torch.equal(out[0, :, 1, 1], torch.zeros(4))


def test_rejects_bad_inputs(tiny_encoder: VGG16Encoder) -> None:
    with pytest.raises(ValueError, match="shapes differ"):
        perceptual_distance(torch.rand(1, 3, 16, 16), torch.rand(1, 3, 16, 20), tiny_encoder)
    with pytest.raises(ValueError, match="RGB"):
        perceptual_distance(torch.rand(1, 1, 16, 16), torch.rand(1, 1, 16, 16), tiny_encoder)
    with pytest.raises(ValueError, match="no layers"):
        perceptual_distance(torch.rand(1, 3, 16, 16), torch.rand(1, 3, 16, 16), tiny_encoder, layers=[])


@pytest.mark.integration
def test_real_vgg16_ranks_more_blur_as_more_distant(vgg16: VGG16Encoder, coffee: torch.Tensor, blur) -> None:
    from brushwork.imageio import resize

    x = resize(coffee, long_side=128)
    batch = torch.cat([x, blur(x, 1.0), blur(x, 2.5)])
    d = perceptual_distance(x.expand_as(batch), batch, vgg16, layers=CONTENT_LAYERS)
    assert d[0] == 0
    assert 0 < d[1] < d[2] < 2
    # A different photo of the same size is farther than a mild blur.
    other = torch.flip(x, dims=[2])
    assert perceptual_distance(x, other, vgg16).item() > d[1].item()


def test_images_follow_the_encoders_dtype(tiny_encoder: VGG16Encoder) -> None:
    x, y = torch.rand(1, 3, 16, 16), torch.rand(1, 3, 16, 16)
    expected = perceptual_distance(x, y, tiny_encoder)
    got = perceptual_distance(x, y, tiny_encoder.double())  # float32 images, float64 encoder
    assert torch.allclose(got, expected, atol=1e-5)
