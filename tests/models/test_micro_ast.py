"""The compact student network: shapes at any size, spec round trip, controls at the network level, FLOPs."""

from __future__ import annotations

import pytest
import torch

from brushwork.models.micro_ast import MicroAST, build_micro_ast, count_flops


def tiny(seed: int = 0, **kw) -> MicroAST:
    """A 4–8 channel network whose style heads are not zero (a fresh one ignores the style at first)."""
    torch.manual_seed(seed)
    net = MicroAST(**{"widths": (4, 8, 8), "style_dim": 8, **kw})
    with torch.no_grad():
        for site in net.sites:
            for head in (site.affine, site.kernel):
                if head is not None:
                    head.weight.normal_(0.0, 0.2)
    return net.eval()


def _img(seed: int, *shape: int) -> torch.Tensor:
    return torch.rand(*shape, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize(("h", "w"), [(32, 32), (37, 53), (9, 11), (64, 24)])
def test_any_size_and_batch(h: int, w: int) -> None:
    net = tiny()
    code = net.style_code(_img(1, 2, 3, 33, 41))
    assert code.shape == (2, 8) and code.dtype == torch.float32
    out = net(_img(0, 2, 3, h, w), code, alpha=torch.tensor([0.3, 1.0]))
    assert out.shape == (2, 3, h, w) and torch.isfinite(out).all()
    one = net(_img(0, 2, 3, h, w)[1:], code[1:])  # per-sample alpha and codes: the batch is independent
    assert torch.allclose(out[1:], one, atol=1e-5)


@pytest.mark.parametrize("batch", [1, 2])
def test_inference_in_place_is_the_training_forward(batch: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Under inference the network overwrites its fresh maps (ReLU, sums) and skips reflection-padded copies; the
    picture is the one autograd's forward paints, and the input and code are left as they were."""
    from brushwork.models import reflect_conv

    monkeypatch.setattr(reflect_conv, "MIN_AREA", 1)  # the copy-free convolutions at this small size too
    net = tiny(3)
    content, code = _img(4, batch, 3, 40, 27), net.style_code(_img(5, batch, 3, 30, 30)).detach()
    kept = content.clone()
    trained = net(content.requires_grad_(), code)  # autograd: plain ops, nothing in place
    with torch.inference_mode():
        fast = net(content.detach(), code)
    assert torch.allclose(fast, trained.detach(), atol=1e-5)
    assert torch.equal(content.detach(), kept)


def test_too_small_or_not_rgb_is_a_clear_error() -> None:
    net = tiny()
    code = net.style_code(_img(1, 1, 3, 16, 16))
    with pytest.raises(ValueError, match="9\\+ px"):
        net(_img(0, 1, 3, 8, 40), code)
    with pytest.raises(ValueError, match="RGB"):
        net.style_code(_img(0, 1, 4, 16, 16))


def test_bilinear_upsampling_any_size_and_round_trip() -> None:
    """The same weights upsampling either way (init-from may switch); bilinear leaves no 8-px steps."""
    nearest, bilinear = tiny(2), tiny(2, upsample="bilinear")
    assert bilinear.spec()["upsample"] == "bilinear" and nearest.spec()["upsample"] == "nearest"
    assert build_micro_ast(bilinear.spec()).upsample == "bilinear"
    assert build_micro_ast({k: v for k, v in nearest.spec().items() if k != "upsample"}).upsample == "nearest"
    bilinear.load_state_dict(nearest.state_dict())
    code = nearest.style_code(_img(1, 1, 3, 32, 32))
    with torch.no_grad():
        for h, w in [(37, 53), (9, 11), (64, 24)]:
            a, b = nearest(_img(0, 1, 3, h, w), code), bilinear(_img(0, 1, 3, h, w), code)
            assert a.shape == b.shape == (1, 3, h, w) and torch.isfinite(b).all() and not torch.equal(a, b)
    with pytest.raises(ValueError, match="upsample 'cubic'"):
        MicroAST(upsample="cubic")


def test_spec_round_trip_and_bad_specs() -> None:
    net = tiny(enc_blocks=0, dec_blocks=1, quarter_blocks=1, dynamic=False)
    spec = net.spec()
    assert spec == {"kind": "micro_ast", "widths": [4, 8, 8], "enc_blocks": 0, "dec_blocks": 1, "quarter_blocks": 1,
                    "style_dim": 8, "dynamic": False, "upsample": "nearest", "noise": 0, "static": []}  # fmt: skip
    rebuilt = build_micro_ast(spec)
    rebuilt.load_state_dict(net.state_dict())
    content, style = _img(0, 1, 3, 24, 40), _img(1, 1, 3, 30, 30)
    assert torch.equal(rebuilt(content, rebuilt.style_code(style)), net(content, net.style_code(style)))
    with pytest.raises(ValueError, match="not a micro_ast spec"):
        build_micro_ast({"kind": "vgg_decoder"})
    with pytest.raises(ValueError, match="micro_ast spec"):
        build_micro_ast({"kind": "micro_ast", "widths": [4, 8, 8]})


def test_luma_input_paints_from_the_luminance_only() -> None:
    net = tiny(luma_input=True)
    assert net.spec()["luma_input"] is True and "luma_input" not in tiny().spec()  # older specs unchanged
    rebuilt = build_micro_ast(net.spec())
    rebuilt.load_state_dict(net.state_dict())
    content, code = _img(0, 1, 3, 24, 40), net.style_code(_img(1, 1, 3, 30, 30))
    luma = (0.299 * content[:, 0] + 0.587 * content[:, 1] + 0.114 * content[:, 2]).unsqueeze(1)
    with torch.no_grad():
        picture = net(content, code)
        assert torch.allclose(picture, net(luma.expand(-1, 3, -1, -1), code), atol=1e-5)  # the hues never count
        assert torch.equal(rebuilt(content, code), picture)
        assert not torch.allclose(tiny()(content, code), tiny()(luma.expand(-1, 3, -1, -1), code), atol=1e-3)


def test_cell_notch_takes_the_alternating_cells_off_the_coarse_maps() -> None:
    from brushwork.filters import nyquist_notch

    plain = tiny()
    notched = build_micro_ast({**plain.spec(), "cell_notch": 1.0})
    notched.load_state_dict(plain.state_dict())  # no weight depends on it
    assert notched.spec()["cell_notch"] == 1.0 and "cell_notch" not in plain.spec()  # older specs unchanged
    seen: dict[str, list[torch.Tensor]] = {"plain": [], "notched": []}
    handles = [
        net.blocks[0].register_forward_hook(lambda _m, args, _o, key=key: seen[key].append(args[0]))
        for key, net in (("plain", plain), ("notched", notched))
    ]
    content, code = _img(0, 1, 3, 64, 64), plain.style_code(_img(1, 1, 3, 30, 30))
    with torch.no_grad():
        picture = notched(content, code)
        assert not torch.allclose(picture, plain(content, code), atol=1e-4)
    for h in handles:
        h.remove()
    # what the first 1/8 site hands on is its plain output notched: the alternate-cell patterns taken off
    assert torch.allclose(seen["notched"][0], nyquist_notch(seen["plain"][0], 1.0), atol=1e-6)
    with pytest.raises(ValueError, match="cell_notch"):
        MicroAST(widths=(4, 8, 8), cell_notch=1.5)


def test_static_sites_have_no_dynamic_filter() -> None:
    net = tiny(dec_blocks=2, static=(4,))
    assert [site.kernel is None for site in net.sites] == [False, False, True, False]  # strides 8, 8, 4, 2
    assert net.spec()["static"] == [4] and build_micro_ast(net.spec()).static == (4,)
    rebuilt = build_micro_ast(net.spec())
    rebuilt.load_state_dict(net.state_dict())  # the same parameters: no head at the 1/4 site
    coarse = tiny(dec_blocks=2, static=(2, 8, 8))
    assert coarse.static == (8, 2) and [site.kernel is None for site in coarse.sites] == [True, True, False, True]
    old = {k: v for k, v in net.spec().items() if k != "static"}  # configs from before the option
    assert build_micro_ast(old).static == ()
    with pytest.raises(ValueError, match="static strides"):
        MicroAST(widths=(4, 8, 8), static=(16,))


def test_a_fresh_network_ignores_the_style_until_its_heads_learn() -> None:
    torch.manual_seed(0)
    net = MicroAST(widths=(4, 8, 8), style_dim=8)
    content = _img(0, 1, 3, 32, 32)
    a, b = (net(content, net.style_code(_img(i, 1, 3, 32, 32))) for i in (1, 2))
    assert torch.equal(a, b)


def test_alpha_mask_and_code_blends() -> None:
    net = tiny()
    content = _img(0, 1, 3, 40, 48)
    z1, z2 = net.style_code(_img(1, 1, 3, 32, 32)), net.style_code(_img(2, 1, 3, 32, 32) ** 3)
    full1, full2 = net(content, z1), net(content, z2)
    assert (full1 - full2).abs().max() > 1e-3  # the style matters
    plain = net(content, z1, alpha=0.0)
    assert torch.allclose(plain, net(content, z2, alpha=0.0), atol=1e-6)  # alpha 0: every site is the identity
    assert (net(content, z1, alpha=0.5) - plain).abs().max() > 1e-4
    ones, zeros = torch.ones(1, 1, 40, 48), torch.zeros(1, 1, 40, 48)
    assert torch.allclose(net(content, z1, outside=z2, mask=ones), full1, atol=1e-6)
    assert torch.allclose(net(content, z1, outside=z2, mask=zeros), full2, atol=1e-6)
    assert torch.allclose(net(content, z1, mask=zeros), plain, atol=1e-6)  # one style: the identity outside
    for site in net.sites:  # every modulation is linear in the code: blending codes blends modulations
        g1, b1, k1 = site.params(z1)
        g2, b2, k2 = site.params(z2)
        g, b, k = site.params(0.3 * z1 + 0.7 * z2)
        assert torch.allclose(g, 0.3 * g1 + 0.7 * g2, atol=1e-6) and torch.allclose(b, 0.3 * b1 + 0.7 * b2, atol=1e-6)
        assert k is not None and k1 is not None and k2 is not None
        assert torch.allclose(k, 0.3 * k1 + 0.7 * k2, atol=1e-6)


def test_recorded_statistics_reproduce_the_run() -> None:
    net = tiny()
    content, code = _img(0, 1, 3, 40, 48), net.style_code(_img(1, 1, 3, 32, 32))
    record: list = []
    out = net(content, code, record=record)
    assert len(record) == len(net.sites) == 4 and record[0][0].shape == (1, 8, 1, 1)
    assert torch.equal(net(content, code, stats=record), out)
    other = net(content[..., :24, :24], code, stats=record)  # a crop normalised like the whole
    assert other.shape == (1, 3, 24, 24)
    with pytest.raises(ValueError, match="statistics"):
        net(content, code, stats=record[:2])


@pytest.mark.parametrize("masked", [False, True])
def test_site_stats_are_what_a_whole_pass_records(masked: bool) -> None:
    net = tiny(2, quarter_blocks=1)  # the 1/2 site's statistics come after the 1/4 block
    content, code = _img(0, 1, 3, 40, 48), net.style_code(_img(1, 2, 3, 32, 32))
    mask = _img(6, 1, 1, 40, 48) if masked else None
    outside = code[1:] if masked else None
    record: list = []
    with torch.no_grad():
        net(content, code[:1], alpha=0.6, outside=outside, mask=mask, record=record)
        stats = net.site_stats(content, code[:1], alpha=0.6, outside=outside, mask=mask)
    assert len(stats) == len(record) == len(net.sites)
    for (m1, s1), (m2, s2) in zip(stats, record, strict=True):
        assert torch.equal(m1, m2) and torch.equal(s1, s2)


@pytest.mark.parametrize("upsample", ["nearest", "bilinear"])
@pytest.mark.parametrize(("batch", "masked"), [(1, False), (2, False), (1, True)])
def test_channels_last_inference_is_the_training_forward(upsample: str, batch: int, masked: bool) -> None:
    """At inference a channels-last network fuses each modulation into one depthwise pass, runs its 1×1 skips as
    matrix products and adds nearest-upsampled maps through broadcast views: the picture autograd's plain
    forward paints, at even and odd sizes."""
    net = tiny(4, upsample=upsample, quarter_blocks=1).to(memory_format=torch.channels_last)
    for h, w in ((48, 40), (37, 29)):
        content = _img(7, batch, 3, h, w).contiguous(memory_format=torch.channels_last)
        codes = net.style_code(_img(8, 2, 3, 30, 30)).detach()
        code, outside = (codes[:1], codes[1:]) if masked else (codes[:batch], None)
        mask = _img(9, 1, 1, h, w) if masked else None
        alpha = torch.tensor([0.4, 1.0][:batch])
        trained = net(content.clone().requires_grad_(), code, alpha=alpha, outside=outside, mask=mask)
        with torch.inference_mode():
            fast = net(content, code, alpha=alpha, outside=outside, mask=mask)
        assert torch.allclose(fast, trained.detach(), atol=1e-5)


def test_flops_parameters_and_the_counter() -> None:
    conv = torch.nn.Conv2d(4, 6, 3, padding=1)
    assert count_flops(conv, lambda: conv(torch.rand(1, 4, 10, 10))) == 2 * 6 * 100 * 4 * 9
    net = MicroAST().eval()  # the default size
    assert 0.4e6 < sum(p.numel() for p in net.parameters()) < 1.0e6
    content, style = torch.rand(1, 3, 512, 512), torch.rand(1, 3, 256, 256)
    code = net.style_code(style)
    flops = count_flops(net, lambda: net(content, code))
    assert 3e9 < flops < 8e9  # VGG16 encoder + decoder: ~200 GFLOP
    assert count_flops(net, lambda: net.style_code(style)) < 0.6e9
