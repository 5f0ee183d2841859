from __future__ import annotations

import pytest
import torch

from brushwork.losses.adversarial import cycle_loss, discriminator_loss, gan_loss, generator_loss, identity_loss


def test_lsgan_is_mean_squared_distance_to_the_label() -> None:
    scores = torch.tensor([0.0, 0.5, 1.0])
    assert gan_loss(scores, real=True).item() == pytest.approx((1 + 0.25 + 0) / 3)
    assert gan_loss(scores, real=False).item() == pytest.approx((0 + 0.25 + 1) / 3)


def test_bce_on_logits() -> None:
    scores = torch.zeros(4)
    assert gan_loss(scores, real=True, kind="bce").item() == pytest.approx(torch.log(torch.tensor(2.0)).item())
    assert gan_loss(torch.full((4,), 20.0), real=True, kind="bce").item() < 1e-6
    with pytest.raises(ValueError, match="gan loss"):
        gan_loss(scores, real=True, kind="wgan")


def test_discriminator_loss_is_halved_and_generator_wants_real() -> None:
    real, fake = torch.ones(3), torch.zeros(3)
    assert discriminator_loss(real, fake).item() == 0.0
    assert discriminator_loss(fake, real).item() == pytest.approx(1.0)  # 0.5 * (1 + 1)
    assert generator_loss(torch.ones(2)).item() == 0.0


def test_cycle_and_identity_are_l1_on_the_papers_scale() -> None:
    a = torch.zeros(1, 3, 4, 4)
    b = torch.full((1, 3, 4, 4), 0.25)
    assert cycle_loss(a, a).item() == 0.0
    assert cycle_loss(a, b).item() == pytest.approx(0.5)  # |(-1) - (-0.5)| on [-1, 1]
    assert identity_loss(a, b).item() == pytest.approx(0.5)


def test_losses_are_float32_whatever_the_input() -> None:
    x = torch.rand(2, 1, 3, 3, dtype=torch.bfloat16)
    assert gan_loss(x, real=True).dtype == torch.float32
    assert cycle_loss(x, x.flip(-1)).dtype == torch.float32
