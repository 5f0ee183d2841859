"""The style-scaled noise of the student: a deterministic field any window reads alike; the injection's controls."""

from __future__ import annotations

import pytest
import torch

from brushwork.models.grow import grown_weights
from brushwork.models.micro_ast import MicroAST
from brushwork.models.noise_field import NoiseField, NoiseInjection


def test_the_field_is_unit_noise_and_any_window_reads_the_same_values() -> None:
    field = NoiseField(3, seed=5)
    whole = field(torch.zeros(1, 1, 96, 128))
    assert whole.shape == (1, 3, 96, 128)
    assert whole.mean().abs() < 0.1 and 0.85 < whole.std() < 1.15
    window = field(torch.zeros(1, 1, 40, 50), origin=(17, 33))
    assert torch.allclose(window, whole[..., 17:57, 33:83], atol=1e-4)
    assert torch.allclose(NoiseField(3, seed=5)(torch.zeros(1, 1, 8, 8)), whole[..., :8, :8], atol=1e-5)  # rebuilt
    assert not torch.allclose(NoiseField(3, seed=6)(torch.zeros(1, 1, 8, 8)), whole[..., :8, :8])
    near = torch.corrcoef(torch.stack([whole[0, 0, :, :-8].flatten(), whole[0, 0, :, 8:].flatten()]))[0, 1]
    assert near.abs() < 0.3  # not a smooth ramp: cells 8 apart are nearly independent
    assert field(torch.zeros(1, 1, 4, 4, dtype=torch.bfloat16)).dtype == torch.bfloat16


def test_the_injection_starts_at_zero_and_is_linear_in_the_code() -> None:
    torch.manual_seed(0)
    inject = NoiseInjection(6, 5, 2, seed=1)
    x, z1, z2, one = torch.rand(2, 6, 9, 11), torch.randn(2, 5), torch.randn(2, 5), torch.ones(1, 1, 1, 1)
    assert torch.equal(inject(x, z1, one), x)  # new: nothing added
    with torch.no_grad():
        inject.mix.weight.normal_()
    a, b = inject(x, z1, one) - x, inject(x, z2, one) - x
    assert a.abs().max() > 0.1
    assert torch.allclose(inject(x, 0.3 * z1 + 0.7 * z2, one) - x, 0.3 * a + 0.7 * b, atol=1e-5)
    assert torch.allclose(inject(x, z1, torch.tensor([0.0, 0.5]).reshape(2, 1, 1, 1)) - x,
                          torch.stack([torch.zeros_like(a[0]), 0.5 * a[1]]), atol=1e-6)  # fmt: skip
    mask = (torch.arange(11) < 5).float().expand(1, 1, 9, 11)
    mixed = inject(x, z1, one, outside=z2, mask=mask) - x
    assert torch.allclose(mixed, mask * a + (1 - mask) * b, atol=1e-6)
    assert torch.allclose(inject(x, z1, one, mask=mask) - x, mask * a, atol=1e-6)  # one style: none outside
    last = inject(x.contiguous(memory_format=torch.channels_last), z1, one)  # as at inference: no layout change
    assert last.is_contiguous(memory_format=torch.channels_last) and torch.allclose(last - x, a, atol=1e-6)
    with pytest.raises(ValueError, match="channels"):
        inject(torch.rand(1, 4, 9, 9), z1[:1], one)


def _noisy(seed: int = 0) -> MicroAST:
    torch.manual_seed(seed)
    net = MicroAST(widths=(4, 8, 8), style_dim=8, dec_blocks=1, noise=2)
    with torch.no_grad():
        for p in net.parameters():
            p.normal_(std=0.2)
    return net.eval()


def test_a_tile_reads_the_field_where_it_lies() -> None:
    net = _noisy()
    content, code = torch.rand(1, 3, 96, 96), torch.randn(1, 8)
    with torch.no_grad():
        whole = net(content, code)
        stats: list = []
        net(content, code, record=stats)
        placed = net(content[..., 32:, 40:], code, stats=stats, origin=(32, 40))
        unplaced = net(content[..., 32:, 40:], code, stats=stats)
    inner = whole[..., 32 + 24 : -24, 40 + 24 : -24]
    assert (placed[..., 24:-24, 24:-24] - inner).abs().max() < 0.3 * (unplaced[..., 24:-24, 24:-24] - inner).abs().max()


def test_noise_grows_from_a_network_without_it_and_round_trips() -> None:
    torch.manual_seed(0)
    plain = MicroAST(widths=(4, 8, 8), style_dim=8, dec_blocks=1)
    with torch.no_grad():
        for p in plain.parameters():
            p.normal_(std=0.2)
    noisy = MicroAST(widths=(4, 8, 8), style_dim=8, dec_blocks=1, noise=2)
    noisy.load_state_dict(grown_weights(noisy, plain.state_dict(), what="student"))
    content, code = torch.rand(1, 3, 40, 48), torch.randn(1, 8)
    with torch.no_grad():
        assert torch.allclose(noisy(content, code), plain(content, code), atol=1e-6)
    assert len(noisy.noise) == 2 and noisy.spec()["noise"] == 2  # the 1/8 site and the 1/4 site
    assert {id(p) for p in noisy.noise.parameters()} <= {id(p) for m in noisy.style_path() for p in m.parameters()}
