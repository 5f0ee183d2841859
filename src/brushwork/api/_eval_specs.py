"""What to evaluate: run specs like ``gatys:steps=50,strength=2`` or ``cyclegan:model=runs/x``, and sweeps."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from brushwork.errors import ConfigError

__all__ = ["RunSpec", "expand_sweep", "parse_spec", "parse_value"]


def parse_value(text: str) -> Any:
    """``"50"`` -> 50, ``"0.5"`` -> 0.5, ``"true"`` -> True, ``"none"`` -> None, anything else stays a string."""
    low = text.strip().lower()
    if low in ("true", "false"):
        return low == "true"
    if low in ("none", "null"):
        return None
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text.strip()


def _format(settings: Mapping[str, Any]) -> str:
    return ",".join(f"{k}={v}" for k, v in settings.items())


@dataclass(frozen=True)
class RunSpec:
    """One method with its settings (``settings`` go to ``stylize_result`` or, for CycleGAN, ``model``/``direction``).

    ``group`` names the spec before a sweep (sweeps of one spec share it); ``sweep`` holds the swept values.
    """

    method: str
    settings: Mapping[str, Any] = field(default_factory=dict)
    sweep: Mapping[str, Any] = field(default_factory=dict)
    label: str = ""
    group: str = ""

    def __post_init__(self) -> None:
        base = self.method + (f":{_format(self.settings)}" if self.settings else "")
        if not self.group:
            object.__setattr__(self, "group", base)
        if not self.label:
            swept = f" {_format(self.sweep)}" if self.sweep else ""
            object.__setattr__(self, "label", self.group + swept)

    def all_settings(self) -> dict[str, Any]:
        """``settings`` with the swept values on top."""
        return {**self.settings, **self.sweep}

    def with_defaults(self, defaults: Mapping[str, Any]) -> RunSpec:
        """The same spec with ``defaults`` filled in where the spec sets nothing (label unchanged)."""
        merged = {**defaults, **self.settings}
        return replace(self, settings=merged) if merged != dict(self.settings) else self


def parse_spec(text: str) -> RunSpec:
    """``METHOD[:KEY=VALUE,KEY=VALUE...]`` -> :class:`RunSpec` (e.g. ``gatys:steps=50``, ``cyclegan:model=runs/x``)."""
    method, _, rest = text.partition(":")
    method = method.strip()
    if not method:
        raise ConfigError(f"--compare {text!r}: expected METHOD[:KEY=VALUE,...], like gatys:steps=50")
    settings: dict[str, Any] = {}
    for item in filter(None, (part.strip() for part in rest.split(","))):
        key, eq, value = item.partition("=")
        if not eq or not key.strip():
            raise ConfigError(f"--compare {text!r}: {item!r} is not KEY=VALUE")
        settings[key.strip().replace("-", "_")] = parse_value(value)
    return RunSpec(method, settings, group=text.strip())


def expand_sweep(
    specs: Sequence[RunSpec],
    sweep: Mapping[str, Sequence[Any]] | None,
    *,
    accepts: Callable[[RunSpec, str], bool] | None = None,
) -> list[RunSpec]:
    """Every spec × every combination of the ``sweep`` values (e.g. ``{"strength": [0.5, 1, 2]}``).

    ``accepts(spec, key)`` picks the swept settings that apply to a spec (default: all); a spec that takes none
    of them runs once.
    """
    sweep = sweep or {}
    for key, values in sweep.items():
        if not values:
            raise ConfigError(f"--sweep {key}: no values given")
    out = []
    for spec in specs:
        keys = [k for k in sweep if accepts is None or accepts(spec, k)]
        for combo in itertools.product(*(sweep[k] for k in keys)):
            out.append(RunSpec(spec.method, dict(spec.settings), dict(zip(keys, combo, strict=True)), group=spec.group))
    return out
