"""``brushwork translate MODEL INPUT... [-o OUT] [--direction AtoB|BtoA]``: run a trained CycleGAN on images,
folders and videos."""

from __future__ import annotations

import argparse
import sys

from brushwork.cli._common import add_batch_options, add_common, add_temporal, positive_int


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "translate",
        help="apply a trained CycleGAN (photo -> Van Gogh)",
        description="Translate images and folders (recursively) with a trained model: a shipped name like "
        "'vangogh', a model directory or a training run. File names and relative paths are kept.",
    )
    parser.add_argument("model", metavar="MODEL", help="shipped model name, model directory or run directory")
    parser.add_argument(
        "inputs", nargs="+", metavar="INPUT", help="image files, folders, glob patterns or videos (.mp4 .mov .webm ...)"
    )
    parser.add_argument("--direction", choices=("AtoB", "BtoA"), help="default: the model's own")
    parser.add_argument(
        "--strength",
        type=float,
        metavar="S",
        help="for models that paint a change onto the photo: 0 = the photo, 1 = as trained, >1 stronger",
    )
    parser.add_argument("--batch-size", type=positive_int, default=1, help="images per forward pass (default 1)")
    add_batch_options(parser)
    parser.add_argument(
        "--compile", action="store_true", help="torch.compile the generator (25 s once, then ~1.3x faster per image)"
    )
    add_temporal(parser)
    add_common(parser, output="output folder (default ./translated), or a file name for a single input")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from brushwork.api.translate import translate_files
    from brushwork.batchwork import join_ranks
    from brushwork.cli._common import describe_rank
    from brushwork.errors import ImageError
    from brushwork.video import is_video

    report = translate_files(
        args.model,
        args.inputs,
        args.output,
        direction=args.direction,
        size=args.size,
        batch_size=args.batch_size,
        max_pixels=args.max_pixels,
        progress=args.quiet == 0,
        device=args.device,
        tile=args.tile,
        skip_existing=args.skip_existing,
        workers=args.jobs,
        precision=args.precision,
        compile=args.compile,
        temporal=args.temporal,
        strength=args.strength,
    )
    if not report.written and report.failed and not report.existing:
        join_ranks()
        raise ImageError(f"no input could be translated ({len(report.failed)} failed; first: {report.failed[0][1]})")
    for src, reason in report.failed:
        print(f"brushwork: skipped {src}: {reason}", file=sys.stderr)
    if args.quiet == 0:
        videos = sum(is_video(p) for p in report.written)
        images = len(report.written) - videos
        rate = images / report.seconds if report.seconds > 0 and not videos else 0.0
        line = f"translated {images} image(s)" + (f" and {videos} video(s)" if videos else "")
        line += f" in {report.seconds:.1f} s" + (f" ({rate:.2f} img/s)" if rate else "")
        if report.written:
            line += f" -> {report.written[0] if len(report.written) == 1 else report.written[0].parent}"
        if report.existing:
            line += f"; {len(report.existing)} already done"
        if report.failed:
            line += f"; {len(report.failed)} failed"
        print(describe_rank(line))
    join_ranks()  # under torchrun: no rank exits (maybe with 1) while another is still working
    return 1 if report.failed else 0
