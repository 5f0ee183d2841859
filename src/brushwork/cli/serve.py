"""``brushwork serve [--host 127.0.0.1] [--port 7860] [--model DIR]``: the local web page (needs ``brushwork[web]``)."""

from __future__ import annotations

import argparse
import ipaddress

from brushwork.cli._common import add_common, positive_int


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "serve",
        help="a local web page: upload a photo, pick a style, download the painting",
        description="Serve the brushwork web page (needs the web extra: pip install 'brushwork[web]'). "
        "Binds to localhost by default; requests run one at a time, a full queue answers 'busy'.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this computer only)")
    parser.add_argument("--port", type=int, default=7860, help="port (default 7860)")
    parser.add_argument(
        "--max-jobs", type=positive_int, default=4, metavar="N", help="jobs queued or running before 'busy' (default 4)"
    )
    parser.add_argument(
        "--max-size", type=positive_int, default=1024, metavar="N", help="largest output long side in px (default 1024)"
    )
    parser.add_argument(
        "--model",
        action="append",
        default=[],
        metavar="DIR",
        help="also offer this model directory, e.g. from 'brushwork adapt' (repeatable; named after its folder)",
    )
    add_common(parser, size=False)
    parser.set_defaults(func=run)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def run(args: argparse.Namespace) -> int:
    import logging

    from brushwork.errors import ConfigError

    try:
        import uvicorn

        from brushwork.web.app import LOCAL_HOSTS, create_app
    except ImportError as exc:
        raise ConfigError(f"serve needs the web extra ({exc.name} is missing): pip install 'brushwork[web]'") from exc
    hosts: list[str] = list(LOCAL_HOSTS)
    if not _is_loopback(args.host):
        logging.getLogger(__name__).warning(
            "serving on %s: anyone who can reach this address can use the page and your CPU", args.host
        )
        hosts = ["*"]
    app = create_app(
        device=args.device,
        seed=args.seed,
        vgg16=args.vgg16,
        max_jobs=args.max_jobs,
        max_pixels=args.max_pixels or 25_000_000,
        max_size=args.max_size,
        allowed_hosts=hosts,
        models=args.model,
    )
    shown = "localhost" if args.host == "127.0.0.1" else args.host
    if args.quiet == 0:
        print(f"brushwork: serving on http://{shown}:{args.port}  (Ctrl-C stops it)", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning" if args.quiet else "info")
    return 0
