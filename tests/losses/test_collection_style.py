"""The collection style loss: zero for a painting's own texture, size-free, pairs sample i with painting i."""

from __future__ import annotations

import pytest
import torch

from brushwork.losses.collection_style import collection_style_loss


def _maps(seed: int, n: int = 2, size: int = 8) -> dict[str, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    half = size // 2
    return {"a": torch.rand(n, 4, size, size, generator=gen), "b": torch.rand(n, 6, half, half, generator=gen)}


def test_zero_for_the_same_texture_at_another_size() -> None:
    paint = _maps(0)
    tiled = {k: v.repeat(1, 1, 2, 2) for k, v in paint.items()}  # the same texture, twice the size
    loss = collection_style_loss(tiled, paint, layers=("a", "b"))
    torch.testing.assert_close(loss, torch.tensor(0.0), atol=1e-6, rtol=0)


def test_pairs_each_output_with_its_own_painting() -> None:
    flat = torch.ones(1, 4, 8, 8)
    stripes = torch.zeros(1, 4, 8, 8)
    stripes[..., ::2] = 2.0
    paintings = {"a": torch.cat([flat, stripes])}
    matched = collection_style_loss({"a": torch.cat([flat, stripes])}, paintings, layers=("a",))
    swapped = collection_style_loss({"a": torch.cat([stripes, flat])}, paintings, layers=("a",))
    assert float(matched) < 1e-6
    assert float(swapped) > 0.3


def test_float32_under_a_bf16_autocast() -> None:
    out, paint = _maps(3), _maps(4)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        loss = collection_style_loss(out, paint, layers=("a", "b"))
    assert loss.dtype == torch.float32
    torch.testing.assert_close(loss, collection_style_loss(out, paint, layers=("a", "b")))


def test_gradient_reaches_the_outputs_and_layers_are_checked() -> None:
    out = {k: v.requires_grad_() for k, v in _maps(1).items()}
    collection_style_loss(out, _maps(2), layers=("a", "b")).backward()
    assert all(v.grad is not None and v.grad.abs().sum() > 0 for v in out.values())
    with pytest.raises(ValueError, match="no layers"):
        collection_style_loss(out, _maps(2), layers=())
    with pytest.raises(ValueError, match=r"b: .*outputs vs"):
        collection_style_loss({"b": torch.rand(2, 5, 4, 4)}, _maps(2), layers=("b",))
