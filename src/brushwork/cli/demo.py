"""``brushwork demo [-o DIR] [--style PATH]``: paint the bundled astronaut photo offline, with no arguments.

Three real methods, all offline: the shipped Van Gogh CycleGAN (``pretrained/vangogh``) translates the photo in
well under a second (before | after panel); the shipped AdaIN decoder (``pretrained/adain``) repaints it in a
style image in one pass, at strengths 0.5 and 1 (before | style | after panel); then Gatys with the real VGG16
optimises it in the same style at a size that finishes in well under a minute on two CPU cores. The default style
is :func:`brushwork.samples.swirl_painting`, generated at run time (no file to ship).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from brushwork.cli._common import add_common, positive_int

#: Output long side of the demo: about a minute on two CPU cores with the default Gatys settings.
DEMO_SIZE = 384


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("demo", help="stylise a bundled photo (no arguments needed; offline)")
    parser.add_argument("--style", metavar="PATH", help="style image (default: a built-in swirling night sky)")
    parser.add_argument("--steps", type=positive_int, help="full-resolution steps (default: the method's)")
    parser.add_argument("--no-vangogh", action="store_true", help="skip the shipped Van Gogh model")
    parser.add_argument("--no-adain", action="store_true", help="skip the shipped fast arbitrary-style model")
    add_common(parser, output="output folder (default out/demo)")
    parser.set_defaults(func=run)


def side_by_side(images: list, *, height: int, gap: int = 8):
    """Images ``(1, 3, h, w)`` scaled to one ``height`` and laid out left to right on white: ``(1, 3, H, W)``."""
    import torch

    from brushwork.imageio import resize

    scaled = [resize(im, size=(height, max(1, round(im.shape[-1] * height / im.shape[-2])))) for im in images]
    width = sum(im.shape[-1] for im in scaled) + gap * (len(scaled) + 1)
    canvas = torch.ones(1, 3, height + 2 * gap, width)
    x = gap
    for im in scaled:
        canvas[..., gap : gap + height, x : x + im.shape[-1]] = im
        x += im.shape[-1] + gap
    return canvas


def _vangogh(content, out_dir: Path, args: argparse.Namespace) -> None:
    """Translate ``content`` with the shipped Van Gogh model; write the result and a before|after panel."""
    from brushwork.api.translate import load_model, translate
    from brushwork.imageio import save_image

    start = time.perf_counter()
    painted = translate(load_model("vangogh", device=args.device), content)
    seconds = time.perf_counter() - start
    result_path = save_image(painted, out_dir / "astronaut_vangogh.png")
    panel = side_by_side([content, painted], height=384)
    panel_path = save_image(panel, out_dir / "astronaut_before_after_vangogh.png")
    if args.quiet == 0:
        print(f"brushwork demo: astronaut -> Van Gogh (shipped CycleGAN) in {seconds:.1f} s")
        print(f"wrote {result_path}")
        print(f"wrote {panel_path}  (before | after)")


def _adain(content, style, out_dir: Path, args: argparse.Namespace) -> None:
    """Stylise ``content`` with the shipped AdaIN decoder at alpha 0.5 and 1; write the result and a panel."""
    from brushwork.api.stylize import stylize_result
    from brushwork.imageio import save_image

    start = time.perf_counter()
    common = {"method": "adain", "device": args.device, "vgg16": args.vgg16, "size": args.size or 512}
    half = stylize_result(content, style, alpha=0.5, **common).image
    full = stylize_result(content, style, **common).image
    seconds = time.perf_counter() - start
    result_path = save_image(full, out_dir / "astronaut_adain.png")
    panel = side_by_side([content, style, half, full], height=384)
    panel_path = save_image(panel, out_dir / "astronaut_style_adain.png")
    if args.quiet == 0:
        print(
            f"brushwork demo: astronaut x style, fast arbitrary style (shipped AdaIN), two strengths in {seconds:.1f} s"
        )
        print(f"wrote {result_path}")
        print(f"wrote {panel_path}  (before | style | alpha 0.5 | alpha 1)")


def run(args: argparse.Namespace) -> int:
    from brushwork.api.stylize import stylize_result
    from brushwork.imageio import load_image, save_image
    from brushwork.samples import astronaut, swirl_painting

    out_dir = Path(args.output) if args.output else Path("out") / "demo"
    if out_dir.suffix:
        from brushwork.errors import ConfigError

        raise ConfigError(f"-o {out_dir}: the demo writes two images; give a folder")
    size = args.size or DEMO_SIZE
    content = astronaut()
    style = load_image(args.style, max_pixels=args.max_pixels) if args.style else swirl_painting(size, seed=args.seed)
    if not args.no_vangogh:
        _vangogh(content, out_dir, args)
    if not args.no_adain:
        _adain(content, style, out_dir, args)
    if args.quiet == 0:
        print(f"brushwork demo: astronaut x {args.style or 'built-in swirl painting'}, {size} px, gatys ...")
    start = time.perf_counter()
    result = stylize_result(
        content,
        style,
        method="gatys",
        size=size,
        device=args.device,
        seed=args.seed,
        vgg16=args.vgg16,
        steps=args.steps,
    )
    seconds = time.perf_counter() - start
    result_path = save_image(result.image, out_dir / "astronaut_stylized.png")
    panel = side_by_side([content, style, result.image], height=min(size, 384))
    panel_path = save_image(panel, out_dir / "astronaut_before_style_after.png")
    if args.quiet == 0:
        final, initial = result.numbers["final"], result.numbers["initial"]
        print(f"done in {seconds:.0f} s (style loss {initial['style']:.3g} -> {final['style']:.3g})")
        print(f"wrote {result_path}")
        print(f"wrote {panel_path}  (before | style | after)")
    return 0
