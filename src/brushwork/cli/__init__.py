"""The ``brushwork`` command line: argparse on top of :mod:`brushwork.api`, nothing more.

Each subcommand lives in its own module with ``register(subparsers)``; modules import the API (and so torch)
only inside their ``run`` function, which keeps ``brushwork --help`` fast. Every
:class:`~brushwork.errors.BrushworkError` becomes one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import traceback
from collections.abc import Sequence

from brushwork._version import __version__
from brushwork.cli import adapt, demo, evaluate, export, info, serve, stylize, train, translate, weights
from brushwork.errors import BrushworkError

__all__ = ["build_parser", "console_main", "main"]

_COMMANDS = (adapt, demo, evaluate, export, info, serve, stylize, train, translate, weights)
log = logging.getLogger("brushwork")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="brushwork",
        description="Artistic style transfer: make a photo look as if a chosen artist painted it.",
    )
    parser.add_argument("--version", action="version", version=f"brushwork {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in _COMMANDS:
        module.register(sub)
    return parser


def _setup_logging(verbosity: int) -> None:
    levels = {-1: logging.ERROR, 0: logging.WARNING, 1: logging.INFO}
    level = levels.get(max(-1, verbosity), logging.DEBUG)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    logging.getLogger("brushwork").setLevel(level)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (0 ok, 2 user error, 130 interrupted)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    _setup_logging(getattr(args, "verbose", 0) - getattr(args, "quiet", 0))
    try:
        return int(args.func(args) or 0)
    except BrushworkError as exc:
        print(f"brushwork: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("brushwork: interrupted", file=sys.stderr)
        return 130


def console_main() -> None:
    """The ``brushwork`` executable: tunes the allocator for large tensors (see :mod:`brushwork.allocator`)."""
    from brushwork.allocator import tune_allocator

    if sys.argv[1:2] != ["serve"]:  # a long-lived server should give freed memory back
        tune_allocator()
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        sys.exit(main())
    try:  # a torchrun rank: gloo's threads must not see the interpreter's shutdown, whatever the outcome
        code = main()
    except SystemExit as exc:  # argparse: --help, a usage error
        code = exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 1
    except BaseException:
        traceback.print_exc()
        code = 1
    from brushwork.api import exit_rank

    exit_rank(code)
