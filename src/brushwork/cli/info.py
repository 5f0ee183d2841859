"""``brushwork info IMAGE...``: how brushwork reads each image (size, alpha), or why it cannot."""

from __future__ import annotations

import argparse
import sys

from brushwork.cli._common import add_common


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("info", help="check images: the size brushwork reads, alpha, or the problem")
    parser.add_argument("images", nargs="+", metavar="IMAGE", help="image files or folders")
    add_common(parser, size=False)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from brushwork.errors import ImageError
    from brushwork.imageio import find_images, read_image

    failed = 0
    for item in args.images:
        files = find_images(item) if Path(item).is_dir() else [Path(item)]
        for path in files:
            try:
                image = read_image(path, max_pixels=args.max_pixels)
            except ImageError as exc:
                print(f"brushwork: error: {exc}", file=sys.stderr)
                failed += 1
                continue
            height, width = image.size
            alpha = "alpha" if image.alpha is not None else "opaque"
            print(f"{path}\t{width}x{height}\t{alpha}")
    return 2 if failed else 0
