from __future__ import annotations

import pytest
import torch

from brushwork.losses.perceptual import mean_std
from brushwork.models.adain import adain
from brushwork.models.decoders import VGGDecoder


def test_adain_output_has_the_style_statistics() -> None:
    torch.manual_seed(0)
    content = torch.randn(2, 5, 8, 8) * 3 + 1
    style = torch.randn(1, 5, 12, 6) * 0.5 - 2
    out = adain(content, style)
    mu_o, sd_o = mean_std(out)
    mu_s, sd_s = mean_std(style)
    assert out.shape == content.shape
    assert torch.allclose(mu_o, mu_s.expand_as(mu_o), atol=1e-4)
    assert torch.allclose(sd_o, sd_s.expand_as(sd_o), atol=1e-3)


def test_adain_is_finite_on_constant_channels() -> None:
    out = adain(torch.ones(1, 3, 4, 4), torch.rand(1, 3, 4, 4))
    assert torch.isfinite(out).all()
    with pytest.raises(ValueError, match="features"):
        adain(torch.rand(1, 3, 4, 4), torch.rand(1, 4, 4, 4))


def test_decoder_upsamples_by_eight() -> None:
    dec = VGGDecoder(in_channels=8, widths=(8, 8, 4))
    assert dec(torch.rand(2, 8, 3, 5)).shape == (2, 3, 24, 40)
    assert not any(isinstance(m, torch.nn.ConvTranspose2d) for m in dec.modules())
