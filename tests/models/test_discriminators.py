from __future__ import annotations

import pytest
import torch

from brushwork.models.discriminators import PatchDiscriminator, build_discriminator
from brushwork.models.generators import init_weights


def test_patchgan_scores_patches() -> None:
    d = PatchDiscriminator(ndf=4, layers=3)
    assert d(torch.rand(2, 3, 256, 256)).shape == (2, 1, 30, 30)
    assert d(torch.rand(1, 3, 128, 96)).shape == (1, 1, 14, 10)


def test_three_layers_see_70x70_patches() -> None:
    torch.manual_seed(0)
    d = init_weights(PatchDiscriminator(ndf=4, layers=3)).double()
    for i, m in enumerate(d.model):  # instance norm mixes the whole image; the convolutions are what we measure
        if isinstance(m, torch.nn.InstanceNorm2d):
            d.model[i] = torch.nn.Identity()
    x = torch.rand(1, 3, 160, 160, dtype=torch.float64, requires_grad=True)
    out = d(x)
    out[0, 0, out.shape[-2] // 2, out.shape[-1] // 2].backward()
    rows = x.grad.abs().sum(dim=(0, 1, 3)).nonzero()
    cols = x.grad.abs().sum(dim=(0, 1, 2)).nonzero()
    assert int(rows.max() - rows.min()) + 1 == 70
    assert int(cols.max() - cols.min()) + 1 == 70


def test_layers_and_width_are_configurable_and_rebuildable() -> None:
    d = PatchDiscriminator(ndf=8, layers=2)
    assert d(torch.rand(1, 3, 64, 64)).shape == (1, 1, 14, 14)
    rebuilt = build_discriminator(d.spec())
    assert {k: v.shape for k, v in rebuilt.state_dict().items()} == {k: v.shape for k, v in d.state_dict().items()}
    with pytest.raises(ValueError):
        PatchDiscriminator(layers=0)
    with pytest.raises(ValueError, match="kind"):
        build_discriminator({"kind": "pixel"})
