"""A mixin for frozen dataclass configs: the JSON form stored in ``config.json`` and back; a model's own defaults."""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Self

from brushwork.errors import CheckpointError, ConfigError

__all__ = ["DictConfig", "model_default"]


class DictConfig:
    """``to_dict``/``from_dict`` for a dataclass; unknown keys are an error, JSON lists become tuples again."""

    @classmethod
    def field_names(cls) -> frozenset[str]:
        """Names of the settings (for callers that forward keyword options)."""
        return frozenset(f.name for f in dataclasses.fields(cls))  # type: ignore[arg-type]

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)  # type: ignore[call-overload]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        """Inverse of :meth:`to_dict`; unknown keys mean a newer or foreign file."""
        unknown = sorted(set(data) - cls.field_names())
        if unknown:
            raise ConfigError(f"{cls.__name__}: unknown settings {unknown}")
        values = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
        return cls(**values)


def model_default(config: dict[str, Any], name: str, *, fallback: float, high: float, low: float = 0.0) -> float:
    """A model's ``config.json`` ``defaults.NAME`` (``fallback`` when it has none) as a number in [``low``,
    ``high``]; anything else (a bool, a string, out of range, ``defaults`` not an object) is a
    :class:`~brushwork.errors.CheckpointError` naming it."""
    defaults = config.get("defaults", {})
    if not isinstance(defaults, dict):
        raise CheckpointError(f"config.json: defaults {defaults!r} is not an object (defaults.{name} unreadable)")
    value = defaults.get(name, fallback)
    try:
        number = math.nan if isinstance(value, bool) else float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not low <= number <= high:
        raise CheckpointError(f"config.json: defaults.{name} {value!r} is not a number between {low:g} and {high:g}")
    return number
