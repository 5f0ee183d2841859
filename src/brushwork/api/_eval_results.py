"""The numbers of an evaluation: per pair, per run, and the whole report (frozen dataclasses)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

import torch

__all__ = ["ORIGINAL_DESIGN", "PAIR_METRICS", "EvaluationReport", "PairResult", "RunResult", "rank_key"]

#: Per-pair numbers, in table order.
PAIR_METRICS = (
    "ssim",
    "ssim_luminance",
    "psnr",
    "content_distance",
    "gram_distance",
    "mean_std_distance",
    "luma_hold",
    "chroma_hold",
    "seconds",
)
#: The original design's CycleGAN results on vangogh2photo (discriminator accuracy: 50 % is ideal).
ORIGINAL_DESIGN = {"ssim": 0.822, "discriminator_accuracy": 0.6531}


@dataclass(frozen=True)
class PairResult:
    """Numbers of one output: ``content``/``style`` are input names (``style`` None for CycleGAN); the holds are
    :func:`brushwork.metrics.photo_hold` (NaN where not measured)."""

    content: str
    style: str | None
    ssim: float
    ssim_luminance: float
    psnr: float
    content_distance: float
    gram_distance: float
    mean_std_distance: float
    seconds: float
    luma_hold: float = float("nan")
    chroma_hold: float = float("nan")


@dataclass(frozen=True)
class RunResult:
    """One run: its pairs, their means/stds, set-level distances, performance; ``outputs`` are thumbnails."""

    label: str
    group: str
    method: str
    settings: dict[str, Any]
    sweep: dict[str, Any]
    pairs: tuple[PairResult, ...]
    means: dict[str, float]
    stds: dict[str, float]
    frechet_distance: float | None
    kernel_distance: dict[str, Any] | None
    combined_score: float | None
    style_frechet_distance: float | None
    performance: dict[str, Any]
    discriminator: dict[str, Any] | None
    notes: tuple[str, ...]
    outputs: dict[tuple[str, str | None], torch.Tensor] = field(repr=False, compare=False)
    #: :class:`brushwork.metrics.KIDRatio` as a dict, for runs with one output per photo (CycleGAN, identity).
    kid_ratio: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in ("pairs", "outputs")}
        out["pairs"] = [{f.name: getattr(p, f.name) for f in fields(p)} for p in self.pairs]
        return out


def rank_key(run: RunResult) -> tuple[int, float, float]:
    score = run.combined_score
    return (score is None, score if score is not None else 0.0, run.means.get("content_distance", 0.0))


@dataclass(frozen=True)
class EvaluationReport:
    """All runs, best first (lowest combined score), with settings, input hashes, environment and caveats.

    ``thumbnails`` holds small ``(1, 3, h, w)`` images by name: ``{"content": {...}, "style": {...}}``.
    ``kid_reference``: the KID ratio of the photos through the 3× sharpen filter (the level to beat), when a run
    has a KID ratio.
    """

    runs: tuple[RunResult, ...]
    settings: dict[str, Any]
    inputs: dict[str, Any]
    environment: dict[str, Any]
    caveats: tuple[str, ...]
    thumbnails: dict[str, dict[str, torch.Tensor]] = field(repr=False, compare=False)
    kid_reference: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        """Plain data for ``metrics.json`` (may hold inf/NaN: the writer turns them into null)."""
        return {
            "format": "brushwork-evaluation",
            "format_version": 1,
            "ranking": [r.label for r in self.runs],
            "runs": [r.as_dict() for r in self.runs],
            "kid_reference": self.kid_reference,
            "settings": self.settings,
            "inputs": self.inputs,
            "environment": self.environment,
            "caveats": list(self.caveats),
        }
