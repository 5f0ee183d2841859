"""Scoring an adapted model on held-out paintings of its artist, for its model card (``adapt --held-out DIR``).

The measure of docs/adapt.md: :func:`brushwork.api.evaluate.evaluate` of the model on photos it did not train on
against paintings it did not train on, at 256 px: SSIM to the photo (structure kept), the KID ratio (KID of the
outputs to the held-out paintings ÷ KID of the photos themselves: 1 = the photos, lower = closer to the artist) and
the accuracy of the model's own discriminator (outputs vs the held-out paintings).

Photos for this (``eval_photos``): the folder given, else the ``testB`` beside the fallback ``trainB`` photos
(``../shared/data/vangogh2photo/testB``) when training used those; never a folder the model trained on.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from brushwork.errors import ConfigError, ImageError

__all__ = ["EVAL_LIMIT", "card_lines", "check_held_out", "score_adapted"]

PathLike = str | os.PathLike[str]
#: Photos scored by default (the first N by sorted name).
EVAL_LIMIT = 100
EVAL_SIZE = 256


def _images(folder: Path, what: str) -> list[Path]:
    from brushwork.api.adapt import _scan

    found, _ = _scan(folder, what)
    if not found:
        raise ImageError(f"{folder}: no {what}s in it (jpg, png, webp, ...)")
    return found


def check_held_out(
    held_out: PathLike,
    eval_photos: PathLike | None,
    *,
    paintings: list[Path],
    photos: list[Path],
    photo_source: str,
) -> Path:
    """Check before training that the scoring can run and sees nothing trained on; return the photo folder.

    Raises:
        ImageError: a folder without images. ConfigError: no photo folder to score on, or held-out paintings or
        scoring photos that are also training images.
    """
    held = {p.resolve() for p in _images(Path(held_out), "painting")}
    if held & {p.resolve() for p in paintings}:
        raise ConfigError(
            f"--held-out {held_out}: contains paintings the model trains on; give paintings it never sees"
        )
    if eval_photos is None:
        sibling = Path(photo_source).parent / "testB"
        if Path(photo_source).name != "trainB" or not sibling.is_dir():
            raise ConfigError("--held-out needs --eval-photos DIR: photos the model does not train on")
        eval_photos = sibling
    scored = {p.resolve() for p in _images(Path(eval_photos), "photo")}
    if scored & {p.resolve() for p in photos}:
        raise ConfigError(f"--eval-photos {eval_photos}: contains photos the model trains on; give other photos")
    return Path(eval_photos)


def score_adapted(
    model: PathLike,
    *,
    held_out: PathLike,
    eval_photos: PathLike,
    limit: int = EVAL_LIMIT,
    size: int = EVAL_SIZE,
    device: str = "auto",
) -> dict[str, Any]:
    """``model`` scored as above: ``{"ssim", "kid_ratio", "discriminator_accuracy", "photos", "n_photos",
    "held_out", "n_held_out", "size", "command"}`` (plain numbers and strings, for ``config.json``)."""
    from brushwork.api.evaluate import evaluate

    report = evaluate(
        f"cyclegan:model={model}", content=eval_photos, real_art=held_out, limit=limit, size=size, device=device
    )
    run = report.runs[0]
    kid = run.kid_ratio or {}
    disc = run.discriminator or {}
    return {
        "ssim": round(float(run.means["ssim"]), 4),
        "kid_ratio": None if "ratio" not in kid else round(float(kid["ratio"]), 4),
        "discriminator_accuracy": None if "overall" not in disc else round(float(disc["overall"]), 4),
        "photos": str(eval_photos),
        "n_photos": len(run.pairs),
        "held_out": str(held_out),
        "n_held_out": kid.get("n_real"),
        "size": size,
        "command": f"brushwork evaluate --compare cyclegan:model={model} identity --content {eval_photos} "
        f"--limit {limit} --real-art {held_out} --size {size} -o REPORT",
    }


def card_lines(evaluation: dict[str, Any] | None, model: str) -> list[str]:
    """The model card's Evaluation section: the scores when measured, else how to measure them."""
    lines = ["## Evaluation"]
    if evaluation is None:
        return [
            *lines,
            "Not measured (`brushwork adapt --held-out DIR` measures it). To score it on held-out paintings of the "
            "same artist (SSIM and the KID ratio):",
            f"`brushwork evaluate --compare cyclegan:model={model} identity --content PHOTOS --limit 100 "
            "--real-art HELD_OUT_PAINTINGS -o REPORT`.",
            "",
        ]
    e = evaluation
    kid = "—" if e["kid_ratio"] is None else f"{e['kid_ratio']:.3f}"
    acc = "—" if e["discriminator_accuracy"] is None else f"{100 * e['discriminator_accuracy']:.1f} %"
    return [
        *lines,
        f"Measured after training on {e['n_photos']} photos it never trained on (`{e['photos']}`) against "
        f"{e['n_held_out']} held-out paintings (`{e['held_out']}`), at {e['size']} px:",
        "",
        "| SSIM to the photo ↑ | KID ratio ↓ (1 = the photos) | own discriminator accuracy (50 % ideal) |",
        "|---|---|---|",
        f"| {e['ssim']:.3f} | {kid} | {acc} |",
        "",
        f"Reproduce it, with the photos as a baseline row: `{e['command']}`.",
        "",
    ]
