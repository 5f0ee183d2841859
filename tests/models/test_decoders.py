"""The AdaIN decoder with optional skip inputs: spec round trip, zero-initialised skips, shape checks."""

from __future__ import annotations

import pytest
import torch

from brushwork.models.decoders import VGGDecoder, build_decoder

SKIPS = {"relu3_1": 8, "relu2_1": 8, "relu1_1": 4}


def _feats(seed: int = 0) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    g = torch.Generator().manual_seed(seed)
    skips = {
        "relu3_1": torch.rand(1, 8, 8, 8, generator=g) * 300,
        "relu2_1": torch.rand(1, 8, 16, 16, generator=g) * 200,
        "relu1_1": torch.rand(1, 4, 32, 32, generator=g) * 30,
    }
    return torch.rand(1, 8, 4, 4, generator=g) * 150, skips


def test_zero_initialised_skips_start_as_the_plain_decoder() -> None:
    torch.manual_seed(0)
    plain = VGGDecoder(in_channels=8, widths=(8, 8, 4))
    skip = VGGDecoder(in_channels=8, widths=(8, 8, 4), skips=SKIPS)
    missing = skip.load_state_dict(plain.state_dict(), strict=False).missing_keys
    assert missing and all(k.startswith("skip.") for k in missing)
    x, skips = _feats()
    assert torch.equal(skip(x, skips), plain(x))
    assert skip.layers == ("relu4_1", "relu3_1", "relu2_1", "relu1_1") and plain.layers == ("relu4_1",)
    with torch.no_grad():
        for conv in skip.skip.values():
            conv.weight.normal_()
    out = skip(x, skips)
    assert out.shape == (1, 3, 32, 32) and not torch.allclose(out, plain(x))


def test_spec_round_trip_and_bad_specs() -> None:
    decoder = VGGDecoder(in_channels=8, widths=(8, 8, 4), skips={"relu1_1": 4, "relu3_1": 8})
    spec = decoder.spec()
    assert spec["skips"] == {"relu3_1": 8, "relu1_1": 4}  # stored deep to shallow
    rebuilt = build_decoder(spec)
    assert rebuilt.layers == decoder.layers
    assert set(rebuilt.state_dict()) == set(decoder.state_dict())
    assert "skips" not in VGGDecoder(in_channels=8, widths=(8, 8, 4)).spec()  # old model files stay as they were
    with pytest.raises(ValueError, match="relu4_2"):
        VGGDecoder(in_channels=8, widths=(8, 8, 4), skips={"relu4_2": 8})
    with pytest.raises(ValueError, match="needs skip features"):
        decoder(torch.rand(1, 8, 4, 4))


def test_a_folded_skip_affine_equals_transforming_first() -> None:
    torch.manual_seed(1)
    decoder = VGGDecoder(in_channels=8, widths=(8, 8, 4), skips=SKIPS)
    with torch.no_grad():
        for conv in decoder.skip.values():
            conv.weight.normal_()
            conv.bias.normal_()
    x, skips = _feats(2)
    affine = {k: (torch.rand(1, f.shape[1], 1, 1) * 2, torch.randn(1, f.shape[1], 1, 1) * 10) for k, f in skips.items()}
    moved = {k: f * affine[k][0] + affine[k][1] for k, f in skips.items()}
    assert torch.allclose(decoder(x, skips, affine), decoder(x, moved), atol=1e-4, rtol=1e-4)
