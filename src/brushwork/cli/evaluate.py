"""``brushwork evaluate``: measure content preservation, style fidelity and speed; write a report folder."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from brushwork.cli._common import add_common, positive_int

DEFAULT_SIZE = 256


def _key_values(text: str) -> tuple[str, list[Any]]:
    from brushwork.api._eval_specs import parse_value

    key, eq, values = text.partition("=")
    parsed = [parse_value(v) for v in values.split(",") if v.strip()]
    if not eq or not key.strip() or not parsed:
        raise argparse.ArgumentTypeError(f"expected KEY=V1,V2,..., like strength=0.5,1,2; got {text!r}")
    return key.strip().replace("-", "_"), parsed


def _key_value(text: str) -> tuple[str, Any]:
    key, values = _key_values(text)
    if len(values) != 1:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key, values[0]


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "evaluate",
        help="compare methods, settings and checkpoints: metrics.json, report.md, contact sheet, plots",
        description="Run METHOD on every content × style pair (CycleGAN: on every content image; with --data, on "
        "DATA/testB with DATA/testA as the real art) and measure SSIM, PSNR, perceptual content distance, "
        "style distances, VGG-feature Fréchet and kernel distances to real art, a combined score, time and "
        f"memory, at --size (default {DEFAULT_SIZE} px); for cyclegan and identity also the KID ratio (outputs ÷ "
        "photos vs the real art, with a 3× sharpen of the photos as the reference); for cyclegan, the model's "
        "own discriminator accuracy.",
    )
    parser.add_argument(
        "--method",
        default="gatys",
        help="method to evaluate: gatys, cyclegan, identity (baseline), ... (default gatys; ignored with --compare)",
    )
    parser.add_argument("--model", metavar="MODEL", help="CycleGAN model dir, run dir or shipped name")
    parser.add_argument("--content", nargs="+", action="extend", metavar="PATH", help="content images/folders")
    parser.add_argument("--style", nargs="+", action="extend", metavar="PATH", help="style images/folders")
    parser.add_argument(
        "--real-art", nargs="+", action="extend", metavar="PATH", help="real artworks (default: the style images)"
    )
    parser.add_argument("--real-limit", type=positive_int, metavar="N", help="use at most N real art images")
    parser.add_argument(
        "--data", metavar="DIR", help="CycleGAN data folder: contents from testB, real art from testA (BtoA)"
    )
    parser.add_argument("--direction", choices=("AtoB", "BtoA"), help="with --data: which test folder to translate")
    parser.add_argument("--limit", type=positive_int, metavar="N", help="use the first N content images")
    parser.add_argument(
        "--compare",
        nargs="+",
        metavar="SPEC",
        help="several runs in one table, e.g. gatys:steps=50 gatys:steps=150 cyclegan:model=runs/x",
    )
    parser.add_argument(
        "--sweep",
        type=_key_values,
        action="append",
        metavar="KEY=V1,V2",
        help="repeat every run for each value, e.g. strength=0.25,0.5,1,2 (trade-off curve)",
    )
    parser.add_argument("--strength", type=float, metavar="S", help="style strength for stylize methods")
    parser.add_argument("--steps", type=positive_int, metavar="N", help="gatys steps at full resolution")
    parser.add_argument(
        "--set", type=_key_value, action="append", default=[], metavar="KEY=VALUE", help="method option (repeatable)"
    )
    parser.add_argument(
        "--pair-styles",
        action="store_true",
        help="each content image with one style (image i with style i mod n) instead of every style: one output "
        "per photo, so stylize methods get the KID ratio too",
    )
    parser.add_argument("--save-outputs", action="store_true", help="also save every output in REPORT/outputs/")
    add_common(parser, output="report folder (default out/evaluate/)")
    parser.set_defaults(func=run)


def _specs(args: argparse.Namespace) -> list[Any]:
    from brushwork.api.evaluate import parse_spec

    specs = [parse_spec(s) for s in (args.compare or [args.method])]
    if args.steps is not None:
        specs = [s.with_defaults({"steps": args.steps}) if s.method == "gatys" else s for s in specs]
    return specs


def run(args: argparse.Namespace) -> int:
    from brushwork.api.evaluate import evaluate
    from brushwork.report import json_safe, markdown, write_report

    options = dict(args.set)
    if args.strength is not None:
        options["strength"] = args.strength
    out = Path(args.output) if args.output else Path("out") / "evaluate"
    report = evaluate(
        _specs(args),
        content=args.content,
        style=args.style,
        real_art=args.real_art,
        data=args.data,
        model=args.model,
        sweep=dict(args.sweep or []),
        limit=args.limit,
        real_limit=args.real_limit,
        direction=args.direction,
        size=args.size or DEFAULT_SIZE,
        device=args.device,
        seed=args.seed,
        vgg16=args.vgg16,
        max_pixels=args.max_pixels,
        outputs_dir=out / "outputs" if args.save_outputs else None,
        progress=args.quiet == 0,
        pair_styles=args.pair_styles,
        **options,
    )
    files = write_report(report, out)
    if args.quiet == 0:
        text = markdown(json_safe(report.as_dict()))
        start = text.index("## Summary")
        print(text[start : text.index("\n## ", start + 1)].strip())
        print(f"\nreport: {files['report']}")
    return 0
