"""A deeper student grown from a trained one computes the same pictures; bad growth is a one-line error."""

from __future__ import annotations

import pytest
import torch

from brushwork.errors import CheckpointError
from brushwork.models.grow import grown_weights
from brushwork.models.micro_ast import MicroAST


def _net(enc_blocks: int, dec_blocks: int = 1, seed: int = 0, quarter_blocks: int = 0) -> MicroAST:
    torch.manual_seed(seed)
    net = MicroAST(
        widths=(4, 8, 8), enc_blocks=enc_blocks, dec_blocks=dec_blocks, quarter_blocks=quarter_blocks, style_dim=8
    )
    with torch.no_grad():
        for p in net.parameters():  # the modulation heads start at zero: make every path matter
            p.normal_(std=0.2)
    return net


def test_new_blocks_start_as_the_identity() -> None:
    small, big = _net(1), _net(3, seed=1, quarter_blocks=2)
    big.load_state_dict(grown_weights(big, small.state_dict(), what="student"))
    content, style = torch.rand(2, 3, 40, 48), torch.rand(1, 3, 32, 32)
    with torch.no_grad():
        want = small(content, small.style_code(style))
        got = big(content, big.style_code(style))
    assert torch.allclose(want, got, atol=1e-6)
    new = big.content_encoder.blocks[2]
    assert not new.conv2.weight.any() and new.conv1.weight.abs().sum() > 0  # trainable: gradients reach conv2
    quarter = big.quarter[1]  # the decoder's 1/4 blocks: 8 channels, 4 between the convolutions
    assert quarter.conv1.weight.shape == (4, 8, 3, 3) and not quarter.conv2.weight.any()


def test_a_different_network_is_not_grown() -> None:
    with pytest.raises(CheckpointError, match="another architecture"):
        grown_weights(_net(1), _net(2).state_dict(), what="student")  # fewer blocks
    static = MicroAST(widths=(4, 8, 8), enc_blocks=1, dec_blocks=1, style_dim=8, dynamic=False)
    with pytest.raises(CheckpointError, match="no new block explains"):
        grown_weights(_net(1), static.state_dict(), what="student")  # new filter heads are not the identity
    wide = MicroAST(widths=(4, 8, 16), enc_blocks=1, dec_blocks=1, style_dim=8)
    with pytest.raises(CheckpointError, match="another architecture"):
        grown_weights(wide, _net(1).state_dict(), what="student")
