from __future__ import annotations

import torch

from brushwork.data.pool import ImagePool


def test_pool_returns_inputs_until_full_then_mixes_history() -> None:
    pool = ImagePool(3, seed=0)
    first = [torch.full((1, 3, 2, 2), float(i)) for i in range(3)]
    for img in first:
        assert torch.equal(pool.query(img), img)
    assert len(pool) == 3
    outs = [pool.query(torch.full((1, 3, 2, 2), 100.0 + i))[0, 0, 0, 0].item() for i in range(40)]
    assert any(v < 100 for v in outs) and any(v >= 100 for v in outs)
    assert len(pool) == 3


def test_pool_batches_and_size_zero() -> None:
    pool = ImagePool(0)
    x = torch.rand(4, 3, 2, 2, requires_grad=True)
    out = pool.query(x)
    assert torch.equal(out, x) and not out.requires_grad
    assert ImagePool(50).query(torch.rand(4, 3, 2, 2)).shape == (4, 3, 2, 2)


def test_state_dict_makes_the_continuation_identical() -> None:
    a = ImagePool(4, seed=3)
    for i in range(6):
        a.query(torch.full((2, 3, 2, 2), float(i)))
    b = ImagePool(4, seed=99)
    b.load_state_dict(a.state_dict())
    for i in range(10):
        x = torch.full((1, 3, 2, 2), 50.0 + i)
        assert torch.equal(a.query(x), b.query(x))
    empty = ImagePool(5)
    c = ImagePool(5)
    c.load_state_dict(empty.state_dict())
    assert len(c) == 0
