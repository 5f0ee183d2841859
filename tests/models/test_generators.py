from __future__ import annotations

import pytest
import torch

from brushwork.models.generators import ResnetGenerator, UnetGenerator, build_generator, init_weights


def _count(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize("upsample", ["transpose", "nearest", "bilinear"])
@pytest.mark.parametrize("size", [(32, 32), (37, 50), (5, 3)])
def test_resnet_any_size_maps_unit_range_to_unit_range(upsample: str, size: tuple[int, int]) -> None:
    torch.manual_seed(0)
    g = init_weights(ResnetGenerator(ngf=4, blocks=2, upsample=upsample)).eval()
    x = torch.rand(2, 3, *size)
    y = g(x)
    assert y.shape == x.shape
    assert y.min() >= 0 and y.max() <= 1
    assert torch.isfinite(y).all()


def test_resnet_matches_the_paper_layout() -> None:
    g = ResnetGenerator(ngf=64, blocks=9)
    convs = [m for m in g.modules() if isinstance(m, torch.nn.Conv2d | torch.nn.ConvTranspose2d)]
    # c7s1-64, d128, d256, 9 x (2 convs of 256), u128, u64, c7s1-3
    assert [(c.in_channels, c.out_channels, c.kernel_size[0]) for c in convs[:3]] == [
        (3, 64, 7),
        (64, 128, 3),
        (128, 256, 3),
    ]
    assert len(convs) == 3 + 18 + 3
    assert [type(c).__name__ for c in convs[-3:-1]] == ["ConvTranspose2d", "ConvTranspose2d"]
    assert (convs[-1].in_channels, convs[-1].out_channels, convs[-1].kernel_size[0]) == (64, 3, 7)
    assert 11.3e6 < _count(g) < 11.4e6  # the paper's 9-block generator
    assert 1.9e6 < _count(ResnetGenerator(ngf=32, blocks=6)) < 2.0e6  # the shipped size
    assert isinstance(g.net(torch.zeros(1, 3, 8, 8)), torch.Tensor)


def test_resize_upsampling_has_no_transposed_convs() -> None:
    g = ResnetGenerator(ngf=4, blocks=1, upsample="nearest")
    assert not any(isinstance(m, torch.nn.ConvTranspose2d) for m in g.modules())


@pytest.mark.parametrize("size", [(64, 64), (50, 70), (9, 130)])
def test_unet_pads_to_its_multiple_and_crops_back(size: tuple[int, int]) -> None:
    torch.manual_seed(0)
    g = init_weights(UnetGenerator(ngf=4, depth=4)).eval()
    assert g.multiple == 16
    x = torch.rand(1, 3, *size)
    y = g(x)
    assert y.shape == x.shape and y.min() >= 0 and y.max() <= 1


def test_unet_skip_connections_carry_the_input_through() -> None:
    g = UnetGenerator(ngf=4, depth=3)
    x = torch.rand(1, 3, 32, 32, requires_grad=True)
    g(x).sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    # the outermost level concatenates nothing; each inner level doubles its channels for the skip
    assert g.root.up[1].in_channels == 8


def test_spec_rebuilds_the_same_architecture() -> None:
    for g in (ResnetGenerator(ngf=4, blocks=3, upsample="bilinear"), UnetGenerator(ngf=4, depth=5)):
        rebuilt = build_generator(g.spec())
        assert type(rebuilt) is type(g)
        assert {k: v.shape for k, v in rebuilt.state_dict().items()} == {k: v.shape for k, v in g.state_dict().items()}


def test_encoder_parameters_are_the_downsampling_half() -> None:
    for g in (ResnetGenerator(ngf=4, blocks=2), UnetGenerator(ngf=4, depth=3)):
        enc = {id(p) for p in g.encoder_parameters()}
        allp = {id(p) for p in g.parameters()}
        assert enc and enc < allp


def test_init_is_normal_002_and_reproducible() -> None:
    g1 = init_weights(ResnetGenerator(ngf=16, blocks=2), generator=torch.Generator().manual_seed(1))
    g2 = init_weights(ResnetGenerator(ngf=16, blocks=2), generator=torch.Generator().manual_seed(1))
    w = torch.cat([m.weight.flatten() for m in g1.modules() if isinstance(m, torch.nn.Conv2d)])
    assert abs(w.std().item() - 0.02) < 0.002 and abs(w.mean().item()) < 0.002
    assert all(torch.equal(a, b) for a, b in zip(g1.state_dict().values(), g2.state_dict().values(), strict=True))


def test_bad_arguments_raise() -> None:
    with pytest.raises(ValueError, match="upsample"):
        ResnetGenerator(ngf=4, blocks=1, upsample="pixelshuffle")
    with pytest.raises(ValueError, match="ngf"):
        ResnetGenerator(ngf=0)
    with pytest.raises(ValueError, match="depth"):
        UnetGenerator(depth=1)
    with pytest.raises(ValueError, match="kind"):
        build_generator({"kind": "transformer"})


@pytest.mark.parametrize(
    "spec",
    [
        {"kind": "resnet", "ngf": 4, "blocks": 1, "upsample": "nearest", "skip": True},
        {"kind": "unet", "ngf": 4, "depth": 3, "upsample": "transpose", "skip": True},
    ],
)
def test_skip_generator_starts_as_the_identity_and_learns_a_change(spec: dict) -> None:
    g = init_weights(build_generator(spec), generator=torch.Generator().manual_seed(0))
    assert g.spec() == spec
    x = torch.rand(2, 3, 21, 30)
    torch.testing.assert_close(g(x), x, atol=1e-6, rtol=0)  # odd sizes too (padding is cropped back)
    target = x.flip(-1)
    opt = torch.optim.Adam(g.parameters(), lr=1e-2)
    for _ in range(3):
        opt.zero_grad()
        loss = (g(x) - target).abs().mean()
        loss.backward()
        opt.step()
    assert not torch.allclose(g(x), x, atol=1e-3)


def test_specs_without_skip_build_plain_generators() -> None:
    g = build_generator({"kind": "resnet", "ngf": 4, "blocks": 1, "upsample": "nearest"})
    assert g.skip is False and "skip" not in g.spec()


def test_strength_scales_the_change_of_a_skip_generator_only() -> None:
    g = build_generator({"kind": "resnet", "ngf": 4, "blocks": 1, "upsample": "nearest", "skip": True})
    torch.nn.init.normal_(g.output_conv().weight, std=0.002)
    x = torch.rand(1, 3, 16, 16) * 0.5 + 0.25  # away from the clamp
    with torch.no_grad():
        change = g(x) - x
        torch.testing.assert_close(g.with_strength(0)(x), x)
        torch.testing.assert_close(g.with_strength(0.5)(x) - x, 0.5 * change, atol=1e-5, rtol=1e-3)
    assert g.strength == 1.0 and g.with_strength(None) is g
    assert build_generator(g.with_strength(2).spec()).strength == 2.0
    with pytest.raises(ValueError, match="strength"):
        build_generator({"kind": "resnet", "ngf": 4, "blocks": 1, "strength": 2.0})
