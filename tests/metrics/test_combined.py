"""The ArtFID-style combined score."""

from __future__ import annotations

import math

import pytest

from brushwork.metrics.combined import combined_score


def test_product_of_one_plus_each_term() -> None:
    assert combined_score(0.0, 0.0) == 1.0
    assert combined_score(0.5, 9.0) == pytest.approx(15.0)
    assert combined_score(0.2, 3.0) < combined_score(0.4, 3.0) < combined_score(0.4, 4.0)


@pytest.mark.parametrize("bad", [-0.1, math.nan, math.inf])
def test_rejects_negative_and_non_finite_terms(bad: float) -> None:
    with pytest.raises(ValueError, match="content_distance"):
        combined_score(bad, 1.0)
    with pytest.raises(ValueError, match="frechet_distance"):
        combined_score(1.0, bad)
