"""``brushwork export MODEL -o model.onnx [--direction AtoB|BtoA]``: a trained model as an ONNX file."""

from __future__ import annotations

import argparse
from pathlib import Path

from brushwork.cli._common import add_common, positive_int


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "export",
        help="export a trained model to ONNX (onnxruntime, no PyTorch needed)",
        description="Export a CycleGAN generator (input 'image', output 'stylized': (N, 3, H, W) RGB float32 in "
        "[0, 1], any size) or an AdaIN model (inputs 'content', 'style', 'alpha'; output 'stylized') to ONNX. "
        "MODEL is a shipped name like 'vangogh', a model directory or a training run. Runs on the CPU.",
    )
    parser.add_argument("model", metavar="MODEL", help="shipped model name, model directory or run directory")
    parser.add_argument("--direction", choices=("AtoB", "BtoA"), help="CycleGAN: default the model's own")
    parser.add_argument("--opset", type=positive_int, default=17, help="ONNX opset version (default 17)")
    parser.add_argument(
        "--sample-size",
        type=positive_int,
        default=256,
        metavar="N",
        help="side of the images the export traces with (default 256; the file accepts any size)",
    )
    parser.add_argument(
        "--detail",
        type=float,
        metavar="D",
        help="adain and fast: the photo detail added back, 0 ... 2, as 'stylize --detail' (default: the model's)",
    )
    add_common(parser, size=False, output="the .onnx file (default ./<MODEL name>.onnx)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from brushwork.onnx_export import export_onnx

    output = Path(args.output) if args.output else Path(f"{Path(str(args.model)).name or 'model'}.onnx")
    path = export_onnx(
        args.model,
        output,
        direction=args.direction,
        opset=args.opset,
        encoder=args.vgg16,
        sample_size=args.sample_size,
        detail=args.detail,
    )
    if args.quiet == 0:
        print(f"exported {args.model} -> {path} ({path.stat().st_size / 1e6:.1f} MB)")
    return 0
