"""Tiled inference: tile grids, blend weights, and tiled == untiled for local and normalised networks."""

from __future__ import annotations

import itertools

import torch
from torch import nn

from brushwork.tiling import global_instance_norm, run_tiled, tile_length, tile_starts, tile_weights


def test_tile_starts_cover_the_length_on_the_grid() -> None:
    assert tile_starts(100, 128, 16) == [0]
    starts = tile_starts(200, 64, 16, multiple=8)
    assert starts[0] == 0 and starts[-1] == 200 - 64 and all(s % 8 == 0 for s in starts)
    assert all(b - a <= 64 - 16 for a, b in itertools.pairwise(starts))


def test_tiles_are_as_short_as_their_number_allows() -> None:
    assert tile_length(3840, 768, 64, 8) == 696 and tile_length(2160, 768, 64, 8) == 768  # 6 × 3 tiles either way
    assert tile_length(500, 768, 64, 8) == 500
    assert tile_starts(72, tile_length(72, 40, 10, 8), 10, 8) == [0, 24, 32]  # an overlap off the grid: no extra tile
    assert tile_length(40, 32, 8, 8) == 24 and tile_length(40, 32, 8, 8, minimum=32) == 32  # a network's minimum
    for length, tile, overlap, multiple in itertools.product(
        (37, 72, 200, 1000, 3840), (16, 40, 64, 768), (4, 10), (1, 8)
    ):
        if tile <= overlap + multiple or length % multiple:
            continue
        side = tile_length(length, tile, overlap, multiple)
        starts = tile_starts(length, side, overlap, multiple)
        before = tile_starts(length, tile // multiple * multiple, overlap, multiple)
        assert (side <= tile and side % multiple == 0) or side == length
        assert len(starts) <= len(before) and starts[-1] + side == length
        assert all(b - a <= side - overlap for a, b in itertools.pairwise(starts))


def test_weights_ramp_only_towards_neighbours() -> None:
    w = tile_weights(8, 8, 4, top=False, bottom=True, left=True, right=False)
    assert torch.all(w >= 0) and torch.all(w <= 1)
    assert torch.equal(w[0, 4:], torch.ones(4)) and w[-1, -1] == 0 and w[0, 0] == 0 and w[4, 4] == 1


def test_identity_and_pointwise_functions_are_exact() -> None:
    image = torch.rand(1, 3, 37, 53)
    assert torch.allclose(run_tiled(lambda t: t, image, tile=16, overlap=6), image, atol=1e-6)
    out = run_tiled(lambda t: t.mean(1, keepdim=True), image, tile=16, overlap=4, batch=3, out_channels=1)
    assert torch.allclose(out, image.mean(1, keepdim=True), atol=1e-6)


def test_a_local_network_matches_untiled_away_from_tile_borders() -> None:
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 3, 3, padding=1)).eval()
    image = torch.rand(1, 3, 40, 60)
    with torch.no_grad():
        whole, tiled = net(image), run_tiled(net, image, tile=24, overlap=8)
    assert (whole - tiled).abs().max() < 1e-5  # receptive field 5 px < overlap / 2: exact up to rounding
    calls: list[int] = []
    with torch.no_grad():
        both = run_tiled(net, image, tile=24, overlap=8, batch=2, workers=2, on_tile=lambda d, n: calls.append(d))
    assert torch.allclose(both, tiled, atol=1e-6) and calls == [2, 4, 6, 8]  # two at once: the same tiles, in order


def test_instance_norm_statistics_are_shared_by_all_tiles() -> None:
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.InstanceNorm2d(4), nn.Conv2d(4, 3, 1)).eval()
    image = torch.rand(1, 3, 48, 64)
    image[..., :, 32:] *= 0.2  # halves with very different statistics
    with torch.no_grad():
        whole = net(image)
        naive = run_tiled(net, image, tile=24, overlap=8)
        with global_instance_norm(net, lambda: net(image)):
            fixed = run_tiled(net, image, tile=24, overlap=8)
        assert torch.equal(net(image), whole)  # restored afterwards
    assert (whole - fixed).abs().max() < 1e-4 < (whole - naive).abs().max()


def _psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    return float(10 * torch.log10(1 / (a - b).pow(2).mean()))


def test_cyclegan_generators_tiled_match_untiled() -> None:
    from brushwork.methods.cyclegan import translate, translate_tiled
    from brushwork.models.generators import build_generator, init_weights

    gen = init_weights(build_generator({"kind": "resnet", "ngf": 4, "blocks": 2, "upsample": "nearest"}))
    gen.eval()
    image = torch.rand(1, 3, 70, 90)
    whole = translate(gen, image)
    tiled = translate_tiled(gen, image, tile=48, overlap=24, batch=2)
    assert tiled.shape == whole.shape and _psnr(tiled, whole) > 35


def test_adain_tiled_matches_untiled(tiny_encoder) -> None:
    from brushwork.methods.adain import stylize
    from brushwork.models.decoders import VGGDecoder

    torch.manual_seed(1)
    decoder = VGGDecoder(in_channels=8, widths=(8, 8, 4)).eval()
    content, style = torch.rand(1, 3, 72, 100), torch.rand(1, 3, 40, 40)
    kw = {"encoder": tiny_encoder, "decoder": decoder}
    whole = stylize(content, [style], **kw)
    tiled = stylize(content, [style], tile=48, overlap=24, **kw)
    assert tiled.shape == whole.shape and _psnr(tiled, whole) > 35
    mask = (torch.arange(100) < 50).float().expand(1, 1, 72, 100)
    two = stylize(content, [style, style * 0.3], mask=mask, **kw)
    assert _psnr(stylize(content, [style, style * 0.3], mask=mask, tile=48, overlap=24, **kw), two) > 35
