"""Settings merging of the training API (``brushwork.api.train``)."""

from __future__ import annotations

import pytest

from brushwork.api.train import _merge
from brushwork.errors import ConfigError


def test_merge_treats_tuples_as_the_lists_config_json_stores() -> None:
    saved = {"decoder_widths": [256, 128, 64], "lr": 1e-4, "steps": 10}
    merged = _merge(saved, {"decoder_widths": (256, 128, 64), "steps": 20}, allowed=frozenset({"steps"}), source="x")
    assert merged["steps"] == 20
    with pytest.raises(ConfigError, match="decoder_widths"):
        _merge(saved, {"decoder_widths": (128, 64, 32)}, allowed=frozenset({"steps"}), source="x")
