"""``brushwork weights [list|verify]``: where the named weights come from, and whether they check out."""

from __future__ import annotations

import argparse

from brushwork.cli._common import add_common


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("weights", help="list or verify the offline weights (VGG16, shipped models)")
    parser.add_argument("action", nargs="?", choices=("list", "verify"), default="list")
    add_common(parser, size=False)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from brushwork.weights import load_vgg16_state, vgg16_info

    info = vgg16_info(args.vgg16, convert=args.action == "verify")
    if args.action == "verify":
        load_vgg16_state(args.vgg16)
    status = "ok" if info.verified else ("missing" if info.path is None else "unverified")
    print(f"vgg16\t{status}\t{info.source}\t{info.path or '-'}\t{info.sha256 or '-'}")
    return 0
