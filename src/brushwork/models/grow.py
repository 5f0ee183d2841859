"""Start a deeper network from a trained shallower one: new residual blocks begin as the identity.

Net2Net-style growth (Chen, Goodfellow & Shlens, ICLR 2016): the grown network computes exactly what the trained
one did, so training continues from its quality instead of from scratch. A residual block ``x + f(x)`` whose last
layer is zero is the identity (as in Fixup, Zhang et al. ICLR 2019, and "zero-γ" ResNet initialisation, Goyal et
al. 2017); its first layer keeps its fresh random weights so that gradients reach the last one.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import torch
from torch import nn

from brushwork.errors import CheckpointError

__all__ = ["Growable", "grown_weights"]


@runtime_checkable
class Growable(Protocol):
    """A block that can be inserted into a trained network as the identity."""

    def to_identity(self) -> None:
        """Set the weights that make the block compute its input unchanged (in place)."""


def grown_weights(net: nn.Module, weights: dict[str, torch.Tensor], *, what: str) -> dict[str, torch.Tensor]:
    """``net``'s full state dict: ``weights`` where they have an entry, new blocks as the identity elsewhere.

    Args:
        net: the (larger) network, freshly initialised; the blocks that ``weights`` lacks are reset in place.
        weights: a trained state dict of a network that ``net`` extends by whole :class:`Growable` blocks.
        what: names the network in errors.

    Raises:
        CheckpointError: ``weights`` has entries ``net`` lacks, a shape differs, or a missing entry is not part of a
            whole new :class:`Growable` block.
    """
    own = net.state_dict()
    extra = sorted(set(weights) - set(own))
    shapes = [k for k in weights if k in own and tuple(own[k].shape) != tuple(weights[k].shape)]
    if extra or shapes:
        detail = f"unexpected {extra[:3]}" if extra else f"{shapes[0]} is {tuple(weights[shapes[0]].shape)}"
        raise CheckpointError(f"{what}: cannot grow from weights of another architecture ({detail})")
    missing = set(own) - set(weights)
    covered: set[str] = set()
    for name, module in net.named_modules():
        keys = {f"{name}.{k}" for k in module.state_dict()}
        if isinstance(module, Growable) and keys and keys <= missing:
            module.to_identity()
            covered |= keys
    if missing - covered:
        raise CheckpointError(f"{what}: weights lack {sorted(missing - covered)[:3]}, which no new block explains")
    fresh = net.state_dict()
    return {k: weights[k] if k in weights else fresh[k] for k in own}
