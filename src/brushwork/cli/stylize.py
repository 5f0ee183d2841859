"""``brushwork stylize CONTENT... --style STYLE [...] -o OUT``: paint photos in the style of one or more images."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from brushwork.cli._common import add_common, add_precision, add_temporal, add_tile, positive_int

_METHODS = ("adain", "fast", "gatys")
#: GatysConfig's defaults, for --help without importing torch (tests/cli/test_stylize.py keeps them in sync).
GATYS_DEFAULTS = {
    "steps": 30,
    "coarse_steps": 20,
    "levels": 3,
    "optimizer": "lbfgs",
    "init": "content",
    "content_weight": 1.0,
    "style_weight": 10.0,
    "tv_weight": 0.0,
    "content_layer": "relu4_2",
    "pool": "avg",
}


def _float_list(text: str) -> list[float]:
    try:
        return [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers like 0.7,0.3, got {text!r}") from None


def _nonneg_float(text: str) -> float:
    value = float(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be a number >= 0, got {text}")
    return value


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "stylize",
        help="repaint photos in the style of one or more style images",
        description="Repaint CONTENT in the style of STYLE. Several contents or a folder need -o to be a folder.",
    )
    parser.add_argument(
        "content",
        nargs="+",
        metavar="CONTENT",
        help="content image(s), video(s) (.mp4 .mov .mkv .webm .avi) or folder(s)",
    )
    parser.add_argument("--style", action="append", required=True, metavar="STYLE", help="style image (repeatable)")
    parser.add_argument("--style-weights", type=_float_list, metavar="W1,W2", help="blend weights, one per --style")
    parser.add_argument(
        "--method",
        choices=_METHODS,
        default="adain",
        help="adain: any style in one fast pass (default); fast: a compact network distilled from adain, no "
        "VGG16, full resolution in real time (--model: a student from 'brushwork train student'); gatys: "
        "optimisation, slower, highest quality",
    )
    parser.add_argument(
        "--each-style", action="store_true", help="one output per content x style instead of blending the styles"
    )
    parser.add_argument(
        "--style-strength", type=_nonneg_float, default=1.0, metavar="S", help="1 = default balance, 0 = content"
    )
    parser.add_argument("--style-scale", type=float, default=1.0, metavar="F", help="style size relative to content")
    parser.add_argument(
        "--preserve-color",
        choices=("none", "luminance", "match", "histogram"),
        default="none",
        help="keep the content's colours: luminance-only transfer, or recolour the style (mean/cov or histogram)",
    )
    parser.add_argument(
        "--palette",
        type=float,
        default=None,
        metavar="P",
        help="move the result's colours towards the painting's (0 = as painted ... 1 = the painting's colour mean "
        "and covariance; default the model's × alpha: 1 for the shipped fast and models trained from it, else 0); "
        "not with --preserve-color",
    )
    parser.add_argument(
        "--mask",
        metavar="MASK",
        help="stylise only where MASK is white (or opaque); with adain or fast and two --style, the first style "
        "goes where it is white and the second where it is black",
    )
    parser.add_argument("--feather", type=_nonneg_float, default=0.0, metavar="PX", help="blur the mask edge")
    parser.add_argument("--overwrite", action="store_true", help="allow overwriting an input image")
    parser.add_argument("--save-every", type=positive_int, metavar="K", help="also save the image every K steps")
    add_precision(parser, gatys=True)
    fast = parser.add_argument_group("adain and fast options")
    fast.add_argument(
        "--alpha", type=_nonneg_float, metavar="A", help="content 0 ... 1 style (default --style-strength)"
    )
    fast.add_argument(
        "--model", metavar="MODEL", help="adain decoder or fast student: a model or run folder (default: shipped)"
    )
    fast.add_argument(
        "--detail",
        type=_nonneg_float,
        metavar="D",
        help="how much of the photo's fine detail to put back, 0 (none) ... 2, times alpha (default: the model's; "
        "0.3 unless its config.json says otherwise)",
    )
    fast.add_argument(
        "--work-scale",
        type=_nonneg_float,
        metavar="S",
        help="paint at this fraction of the output size, 0.25 ... 1, and enlarge: larger strokes, no fine network "
        "grid (default: the model's config.json, else 1; it may lower the scale for large pictures: the shipped "
        "fast paints at 0.875, at most 1024 px, but never below 0.6 of the size)",
    )
    fast.add_argument(
        "--underpaint",
        type=_nonneg_float,
        metavar="U",
        help="0 ... 1, times alpha: put a small picture in the painting's marks under the photo's calm areas (fog, "
        "water, plain sky) first, so they are repainted with the painting's shapes (default: the model's config.json, "
        "else 0; the shipped fast 0.5, adain 0; videos 0, and not settable for them)",
    )
    fast.add_argument(
        "--underpaint-by",
        choices=("quilt", "gatys"),
        help="what paints that picture: quilt, the painting's own patches (default; milliseconds) or gatys, Gatys' "
        "objective on a small copy of the photo, which follows its layout (seconds: about 2 at 512 px, 10 at 1440 "
        "px on 2 cores, and the VGG16)",
    )
    add_tile(fast, painted=True)
    parser.add_argument("--skip-existing", action="store_true", help="skip contents whose output already exists")
    add_temporal(parser)
    gatys = parser.add_argument_group("gatys options (defaults chosen by measurement; see bench/gatys.py)")
    d = GATYS_DEFAULTS
    gatys.add_argument("--steps", type=positive_int, help=f"steps at full resolution (default {d['steps']})")
    gatys.add_argument("--coarse-steps", type=int, help=f"steps at each coarser level (default {d['coarse_steps']})")
    gatys.add_argument("--levels", type=positive_int, help=f"pyramid levels, 1 = single scale (default {d['levels']})")
    gatys.add_argument("--optimizer", choices=("lbfgs", "adam"), help=f"(default {d['optimizer']})")
    gatys.add_argument("--lr", type=float, help="step size (default 1 for lbfgs, 0.02 for adam)")
    gatys.add_argument("--init", choices=("content", "noise", "style"), help=f"start image (default {d['init']})")
    gatys.add_argument("--content-weight", type=float, help=f"raw content weight (default {d['content_weight']})")
    gatys.add_argument(
        "--style-weight", type=float, help=f"raw style weight, times --style-strength (default {d['style_weight']})"
    )
    gatys.add_argument("--tv-weight", type=float, help=f"total-variation weight (default {d['tv_weight']})")
    gatys.add_argument("--content-layer", help=f"VGG16 layer of the content loss (default {d['content_layer']})")
    gatys.add_argument("--pool", choices=("avg", "max"), help=f"encoder pooling (default {d['pool']})")
    add_common(parser, output="output file, or folder for several contents (default out/stylize/)")
    parser.set_defaults(func=run)


def _plan(args: argparse.Namespace) -> list[tuple[Path, list[str], Path]]:
    """(content, styles, output) jobs: one file -> -o file (or folder); several or a folder -> -o folder.

    Styles are blended into one output, or with ``--each-style`` give one output per content x style.
    """
    from brushwork.batchwork import expand_inputs
    from brushwork.errors import ConfigError
    from brushwork.imageio import IMAGE_SUFFIXES, SAVE_SUFFIXES, find_images
    from brushwork.video import VIDEO_SUFFIXES, check_same_kind, is_video, output_suffix

    contents: list[Path] = []
    for path in expand_inputs(args.content):
        contents.extend(find_images(path) if path.is_dir() else [path])
    style_sets = [[s] for s in args.style] if args.each_style else [list(args.style)]
    out = Path(args.output) if args.output else Path("out") / "stylize"
    jobs = len(contents) * len(style_sets)
    file_suffixes = (*IMAGE_SUFFIXES, *VIDEO_SUFFIXES)
    single_file = jobs == 1 and not Path(args.content[0]).is_dir() and out.suffix.lower() in file_suffixes
    if single_file:
        check_same_kind(contents[0], out)
        if not is_video(out) and out.suffix.lower() not in SAVE_SUFFIXES:
            raise ConfigError(f"-o {out}: cannot write {out.suffix} images (use .png, .jpg or .webp)")
        return [(contents[0], style_sets[0], out)]
    if out.suffix.lower() in file_suffixes and not out.is_dir():
        raise ConfigError(f"-o {out}: several outputs need -o to be a folder")
    stems = [c.stem for c in contents]
    if len(set(stems)) != len(stems):  # same stem in different folders: keep the parent
        stems = [f"{c.parent.name}_{c.stem}" for c in contents]
    jobs_list = [
        (
            c,
            styles,
            out / f"{stem}_{'+'.join(Path(x).stem for x in styles)}{output_suffix(c) if is_video(c) else '.png'}",
        )
        for c, stem in zip(contents, stems, strict=True)
        for styles in style_sets
    ]
    seen: dict[Path, Path] = {}
    for content, _, dst in jobs_list:
        if dst in seen:
            raise ConfigError(
                f"{content} and {seen[dst]} would both be written to {dst}: rename one, or run them apart"
            )
        seen[dst] = content
    return jobs_list


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from brushwork.api.stylize import Progress, stylize_result
    from brushwork.batchwork import join_ranks, shard
    from brushwork.cli._common import describe_rank
    from brushwork.errors import ConfigError, ImageError, MethodError
    from brushwork.imageio import guard_output, save_image
    from brushwork.video import is_video

    for style in args.style:
        if not Path(style).is_file():
            raise ImageError(f"{style}: no such file" if not Path(style).exists() else f"{style}: not a file")
    plan = _plan(args)
    videos = [c for c, _, _ in plan if is_video(c)]
    if (args.underpaint or args.underpaint_by) and videos and args.method in ("adain", "fast"):
        flag = "--underpaint" if args.underpaint else "--underpaint-by"
        raise ConfigError(f"{videos[0]}: {flag} is for still pictures (fixed to the screen while the scene moves)")
    inputs = [*args.style, *(c for c, _, _ in plan), *([args.mask] if args.mask else [])]
    if not args.overwrite:
        guard_output([out for _, _, out in plan], inputs)
    plan = shard(plan)  # under torchrun: this rank's share
    done = [job for job in plan if args.skip_existing and job[2].exists()]
    plan = [job for job in plan if job not in done]
    options: dict[str, Any] = {
        "steps": args.steps,
        "coarse_steps": args.coarse_steps,
        "levels": args.levels,
        "optimizer": args.optimizer,
        "lr": args.lr,
        "init": args.init,
        "content_weight": args.content_weight,
        "style_weight": args.style_weight,
        "tv_weight": args.tv_weight,
        "content_layer": args.content_layer,
        "pool": args.pool,
    }
    if args.method in ("adain", "fast"):
        given = [f"--{k.replace('_', '-')}" for k, v in options.items() if v is not None]
        if given or args.save_every:
            raise ConfigError(f"{(given or ['--save-every'])[0]} is a gatys option (add --method gatys)")
        options = {
            "alpha": args.alpha,
            "model": args.model,
            "tile": args.tile,
            "detail": args.detail,
            "work_scale": args.work_scale,
            "underpaint": args.underpaint,
            "underpaint_by": args.underpaint_by,
        }
    elif any(
        v is not None
        for v in (args.alpha, args.model, args.tile, args.detail, args.work_scale, args.underpaint, args.underpaint_by)
    ):
        raise ConfigError(
            "--alpha, --model, --tile, --detail, --work-scale, --underpaint and --underpaint-by are adain and fast "
            "options; for gatys use --style-strength"
        )
    options["precision"] = args.precision
    unreadable = failed = 0
    for content, styles, out in plan:
        bars: list[tqdm] = []

        def on_step(p: Progress, bars: list[tqdm] = bars, content: Path = content, out: Path = out) -> None:
            if not bars:  # created on the first step, so a failing input leaves no empty bar behind
                bars.append(tqdm(total=p.total, desc=content.name, unit="step", disable=args.quiet > 0, leave=False))
            bars[0].set_postfix(loss=f"{p.losses.get('total', float('nan')):.4g}", refresh=False)
            bars[0].update(1)
            if args.save_every and p.step % args.save_every == 0:
                save_image(p.image.clamp(0, 1), out.with_name(f"{out.stem}_step{p.step:05d}.png"))

        try:
            if is_video(content):
                numbers = _stylize_video(args, content, styles, out, options)
            else:
                result = stylize_result(
                    content, styles, max_pixels=args.max_pixels, on_step=on_step, **_settings(args), **options
                )
        except MethodError as exc:  # these images and settings found no result; other pairs may work
            error = MethodError(f"{content} with style {' + '.join(styles)}: {exc}")
            if len(plan) == 1:
                raise error from None
            failed += 1
            print(f"skipped: {error}", file=sys.stderr)
            continue
        except ImageError as exc:
            if len(plan) == 1 or str(content) not in str(exc):  # a bad style or mask fails every job: stop
                raise
            unreadable += 1
            print(f"skipped: {exc}", file=sys.stderr)
            continue
        finally:
            for bar in bars:
                bar.close()
        if is_video(content):
            if args.quiet == 0:
                print(f"{out}\t{numbers['frames']} frames, {numbers['fps']:.2f} frames/s")
            continue
        save_image(result.image, out)
        if args.quiet == 0:
            print(f"{out}\t{_summary(result.numbers)}")
    if unreadable:
        print(f"{unreadable} of {len(plan)} images could not be read (see above)", file=sys.stderr)
    if failed:
        print(f"{failed} of {len(plan)} content x style pairs failed in the method (see above)", file=sys.stderr)
    skipped = unreadable + failed
    if args.quiet == 0 and (len(plan) + len(done) > 1):
        print(describe_rank(f"stylized {len(plan) - skipped} image(s); {len(done)} already done; {skipped} failed"))
    join_ranks()  # under torchrun: no rank exits (maybe with 1) while another is still working
    return 1 if skipped else 0


def _settings(args: argparse.Namespace) -> dict[str, Any]:
    """The :func:`~brushwork.api.stylize.stylize_result` settings every job of this command shares."""
    return {
        "method": args.method,
        "size": args.size,
        "device": args.device,
        "seed": args.seed,
        "strength": args.style_strength,
        "style_weights": args.style_weights,
        "style_scale": args.style_scale,
        "preserve_color": args.preserve_color,
        "palette": args.palette,
        "mask": args.mask,
        "feather": args.feather,
        "vgg16": args.vgg16,
    }


def _stylize_video(
    args: argparse.Namespace, content: Path, styles: list[str], out: Path, options: dict[str, Any]
) -> dict[str, Any]:
    """Every frame through the method, style images decoded once; audio kept (see :mod:`brushwork.video`)."""
    import torch

    from brushwork.api.stylize import stylize_result
    from brushwork.imageio import load_image
    from brushwork.video import stylize_video

    style_images = [load_image(s, max_pixels=args.max_pixels) for s in styles]

    if args.method in ("adain", "fast"):
        options = {**options, "underpaint": 0.0}  # a still picture's: fixed to the screen while the scene moves

    def frame_fn(frame: torch.Tensor) -> torch.Tensor:  # the same seed every frame: no noise flicker
        return stylize_result(frame, style_images, **_settings(args), **options).image

    return stylize_video(content, out, frame_fn, temporal=args.temporal, progress=args.quiet == 0)


def _summary(numbers: dict[str, Any]) -> str:
    parts = []
    if "seconds" in numbers:
        parts.append(f"{numbers['seconds']:.1f} s")
    final, initial = numbers.get("final", {}), numbers.get("initial", {})
    if "style" in final and initial.get("style"):
        parts.append(f"style loss {initial['style']:.4g} -> {final['style']:.4g}")
    if "content" in final:
        parts.append(f"content loss {final['content']:.4g}")
    if numbers.get("underpaint"):
        amount, by, seconds = numbers["underpaint"], numbers["underpaint_by"], numbers["underpaint_seconds"]
        parts.append(f"underpaint {amount:g} by {by} ({seconds:.2f} s)")
    return ", ".join(parts)
