from __future__ import annotations

import pytest
import torch

from brushwork.errors import ConfigError
from brushwork.methods.adain import (
    AdaINConfig,
    adain_losses,
    feature_transform,
    stylize,
    with_margin,
    without_margin,
)
from brushwork.models.decoders import VGGDecoder
from brushwork.models.encoders import VGG16Encoder


@pytest.fixture
def decoder() -> VGGDecoder:
    torch.manual_seed(1)
    return VGGDecoder(in_channels=8, widths=(8, 8, 4))


def test_alpha_zero_is_the_decoders_reconstruction(tiny_encoder: VGG16Encoder, decoder: VGGDecoder) -> None:
    content, style = torch.rand(1, 3, 32, 40), torch.rand(1, 3, 24, 24)
    out = stylize(content, [style], encoder=tiny_encoder, decoder=decoder, alpha=0.0, edge_margin=0)
    recon = decoder(tiny_encoder(content, ["relu4_1"])["relu4_1"]).clamp(0, 1)
    assert torch.allclose(out, recon, atol=1e-6)


def test_the_edge_margin_mirrors_and_is_cropped_away(tiny_encoder: VGG16Encoder, decoder: VGGDecoder) -> None:
    x = torch.arange(12.0).reshape(1, 1, 3, 4)
    m = with_margin(x, 2)
    assert m.shape == (1, 1, 7, 8)
    assert m[0, 0, 2, :].tolist() == [2, 1, 0, 1, 2, 3, 2, 1]  # mirrored, no repeated edge pixel
    assert torch.equal(m[..., 2:5, 2:6], x)
    assert with_margin(torch.ones(1, 1, 1, 1), 16).shape == (1, 1, 33, 33)  # tiny: replicated
    content, style = torch.rand(1, 3, 32, 40), torch.rand(1, 3, 24, 24)
    out = stylize(content, [style], encoder=tiny_encoder, decoder=decoder, edge_margin=4)
    framed = stylize(with_margin(content, 4), [style], encoder=tiny_encoder, decoder=decoder, edge_margin=0)
    assert out.shape == content.shape
    assert torch.allclose(out, framed[..., 4:-4, 4:-4], atol=1e-6)


def test_a_margin_of_whole_decoder_cells_is_encoded_but_not_decoded(
    tiny_encoder: VGG16Encoder, decoder: VGGDecoder
) -> None:
    """Margin 8 = one relu4_1 cell: the statistics see the mirrored picture, the decoder only the picture's cells."""
    content, style = torch.rand(1, 3, 32, 40), torch.rand(1, 3, 24, 24)
    out = stylize(content, [style], encoder=tiny_encoder, decoder=decoder, edge_margin=8)
    deep = tiny_encoder(with_margin(content, 8), ["relu4_1"])["relu4_1"]  # (1, 8, 6, 7)
    transform = feature_transform(deep, [tiny_encoder(style, ["relu4_1"])["relu4_1"]], weights=[1.0], alpha=1.0)
    expected = decoder(transform(deep)[..., 1:-1, 1:-1]).clamp(0, 1)
    assert out.shape == content.shape
    assert torch.allclose(out, expected, atol=1e-5)


@pytest.mark.parametrize("size", [(8, 8), (5, 40), (9, 9)])
def test_pictures_of_one_decoder_cell_decode_the_margin(
    tiny_encoder: VGG16Encoder, decoder: VGGDecoder, size: tuple[int, int]
) -> None:
    content, style = torch.rand(1, 3, *size), torch.rand(1, 3, 24, 24)
    out = stylize(content, [style], encoder=tiny_encoder, decoder=decoder, edge_margin=16)
    assert out.shape == content.shape
    if min(size) <= 8:  # the decoder's reflection padding needs two cells: the margin is decoded and cropped
        framed = stylize(with_margin(content, 16), [style], encoder=tiny_encoder, decoder=decoder, edge_margin=0)
        assert torch.allclose(out, framed[..., 16:-16, 16:-16], atol=1e-6)


def test_without_margin_wants_whole_cells() -> None:
    feats = {"relu1_1": torch.zeros(1, 2, 40, 40), "relu4_1": torch.zeros(1, 2, 5, 5)}
    assert [f.shape[-1] for f in without_margin(feats, 8).values()] == [24, 3]
    with pytest.raises(ValueError, match="relu4_1"):
        without_margin(feats, 12)


def test_any_size_and_range(tiny_encoder: VGG16Encoder, decoder: VGGDecoder) -> None:
    out = stylize(torch.rand(1, 3, 37, 29), [torch.rand(1, 3, 16, 16)], encoder=tiny_encoder, decoder=decoder)
    assert out.shape == (1, 3, 37, 29) and out.min() >= 0 and out.max() <= 1


def test_style_interpolation_and_masks(tiny_encoder: VGG16Encoder, decoder: VGGDecoder) -> None:
    content = torch.rand(1, 3, 32, 32)
    s1, s2 = torch.rand(1, 3, 32, 32), torch.rand(1, 3, 32, 32) * 0.2
    kw = {"encoder": tiny_encoder, "decoder": decoder}
    only_first = stylize(content, [s1, s2], style_weights=[1, 0], **kw)
    assert torch.allclose(only_first, stylize(content, [s1], **kw), atol=1e-6)
    ones = torch.ones(1, 1, 32, 32)
    assert torch.allclose(stylize(content, [s1, s2], mask=ones, **kw), only_first, atol=1e-6)
    inside_none = stylize(content, [s1], mask=torch.zeros(1, 1, 32, 32), **kw)
    assert torch.allclose(inside_none, stylize(content, [s1], alpha=0.0, **kw), atol=1e-6)


def test_bad_settings_are_clear(tiny_encoder: VGG16Encoder, decoder: VGGDecoder) -> None:
    kw = {"encoder": tiny_encoder, "decoder": decoder}
    c, s = torch.rand(1, 3, 16, 16), torch.rand(1, 3, 16, 16)
    with pytest.raises(ConfigError, match="alpha"):
        stylize(c, [s], alpha=1.5, **kw)
    with pytest.raises(ConfigError, match="style-weights"):
        stylize(c, [s, s], style_weights=[1.0], **kw)
    with pytest.raises(ConfigError, match="at least one style"):
        stylize(c, [], **kw)


def test_decoder_trains_on_tiny_data(tiny_encoder: VGG16Encoder) -> None:
    torch.manual_seed(0)
    config = AdaINConfig(decoder_widths=(8, 8, 4), encoder_widths=(4, 8, 8, 8), lr=3e-3)
    dec = config.build_decoder()
    opt = torch.optim.Adam(dec.parameters(), lr=config.lr)
    content, style = torch.rand(4, 3, 32, 32), torch.rand(4, 3, 32, 32)
    losses = []
    for _ in range(40):
        out = adain_losses(tiny_encoder, dec, content, style, config=config)
        opt.zero_grad()
        out["loss"].backward()
        opt.step()
        losses.append(float(out["loss"].detach()))
    assert sum(losses[-5:]) / 5 < 0.5 * sum(losses[:5]) / 5
