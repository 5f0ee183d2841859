"""Flags that mean the same thing in every subcommand."""

from __future__ import annotations

import argparse


def positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def blend_fraction(text: str) -> float:
    """A number in [0, 1) (``--temporal``)."""
    value = float(text)
    if not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError(f"must be in [0, 1), got {text}")
    return value


def add_common(parser: argparse.ArgumentParser, *, size: bool = True, output: str | None = None) -> None:
    """``--device --seed -q -v`` everywhere; ``--size`` and ``-o`` where the command makes images."""
    group = parser.add_argument_group("common options")
    group.add_argument("--device", default="auto", help="auto (cuda > mps > cpu), cpu, cuda, cuda:N, mps")
    group.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    if size:
        group.add_argument(
            "--size",
            type=positive_int,
            default=None,
            metavar="N",
            help="long side of the output in pixels (default: the method's own)",
        )
    if output is not None:
        group.add_argument("-o", "--output", default=None, metavar="PATH", help=output)
    group.add_argument(
        "--max-pixels",
        type=positive_int,
        default=None,
        metavar="N",
        help="refuse input images larger than N pixels (default 100 MP or $BRUSHWORK_MAX_PIXELS)",
    )
    group.add_argument(
        "--vgg16",
        default=None,
        metavar="PATH",
        help="VGG16 safetensors (default: $BRUSHWORK_VGG16, the cache, or the offline provider)",
    )
    group.add_argument("-q", "--quiet", action="count", default=0, help="less output")
    group.add_argument("-v", "--verbose", action="count", default=0, help="more output")


def add_batch_options(parser: argparse.ArgumentParser) -> None:
    """Options of commands that process many images: tiling, skipping finished outputs, decode threads."""
    group = parser.add_argument_group("batch and large images")
    add_tile(group)
    group.add_argument("--skip-existing", action="store_true", help="skip inputs whose output file already exists")
    group.add_argument("--jobs", type=int, default=2, metavar="N", help="threads decoding images ahead (default 2)")
    add_precision(group)


def add_temporal(parser: argparse._ActionsContainer) -> None:
    """``--temporal T``: the videos' flicker reducer (see :func:`brushwork.video.stylize_video`)."""
    parser.add_argument(
        "--temporal",
        type=blend_fraction,
        default=0.0,
        metavar="T",
        help="videos: blend each frame with the previous output warped along the optical flow (0 off; 0.6 "
        "measured: half the flicker, no ghosting; up to 0.9 steadier)",
    )


def add_tile(group: argparse._ActionsContainer, *, painted: bool = False) -> None:
    """``--tile PX``: tiled inference for large images (``painted``: PX of the picture the network paints)."""
    what = "PX of the picture the network paints (see --work-scale)" if painted else "PX"
    group.add_argument(
        "--tile",
        type=int,
        metavar="PX",
        help=f"run in overlapping tiles of {what} (default: automatic above 2 MP; 0: never)",
    )


def add_precision(group: argparse._ActionsContainer, *, gatys: bool = False) -> None:
    """``--precision auto|fp32|bf16`` for a network's inference (and, with ``gatys``, Gatys' VGG16 passes)."""
    also = "; gatys about 1.5x, the same look with its strokes arranged differently" if gatys else ""
    group.add_argument(
        "--precision",
        choices=("auto", "fp32", "bf16"),
        default="auto",
        help=f"auto: bf16 where the CPU/GPU does it natively, else fp32 (networks about 2x faster, PSNR ~45 dB vs "
        f"fp32{also})",
    )


def describe_rank(line: str) -> str:
    """``line`` prefixed with ``[rank r/N]`` when running under torchrun."""
    from brushwork.batchwork import rank_and_world

    rank, world = rank_and_world()
    return f"[rank {rank}/{world}] {line}" if world > 1 else line
