"""bench/fast.py: where the student's tiles overlap on the picture it returns (the seams measure)."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="module")
def fast(load_script):
    return load_script("bench/fast.py")


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """``[start, stop)`` of each run of True."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], flags.astype(int), [0]])))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True))


def test_joins_follow_the_tiles_of_the_painted_picture(fast):
    from brushwork.tiling import DEFAULT_TILE, tile_length, tile_starts

    overlap = min(64, DEFAULT_TILE // 4)
    side = tile_length(2048, DEFAULT_TILE, overlap, 8)
    starts = tile_starts(2048, side, overlap, 8)
    at_size = fast.join_mask((64, 2048), (64, 2048), pad=0, factor=8)
    expected = [(s, p + side) for s, p in zip(starts[1:], starts, strict=False)]
    assert _runs(at_size.all(axis=0)) == expected  # painted at full size: the overlaps themselves
    enlarged = fast.join_mask((64, 4096), (64, 2048), pad=0, factor=8)
    assert _runs(enlarged.all(axis=0)) == [(2 * a, 2 * b) for a, b in expected]  # painted at half: twice as far
    margin = fast.join_mask((64, 2048 - 64), (64, 2048 - 64), pad=32, factor=8)
    assert _runs(margin.all(axis=0)) == [(a - 32, b - 32) for a, b in expected]  # the margin is cropped after
    uhd = fast.join_mask((2160, 3840), (1296, 2304), pad=32, factor=8)  # 4K painted at 0.6
    assert [a for a, _ in _runs(uhd.all(axis=0))] == [906, 1866, 2826]
