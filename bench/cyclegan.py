"""CycleGAN speed on CPU (2 threads): seconds per training step and per translated image, fp32 vs bf16 autocast
(and NCHW vs channels_last), interleaved. Prints JSON.

    .venv/bin/python bench/cyclegan.py                      # shipped size (ngf=32, 6 blocks) at 256 and 512 px
    .venv/bin/python bench/cyclegan.py --train-size 128 --translate-size 256 --reps 5   # the shipped training
    .venv/bin/python bench/cyclegan.py --ngf 64 --blocks 9  # the paper's generator
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from brushwork.methods.cyclegan import CycleGAN, CycleGANConfig
from brushwork.methods.cyclegan import translate as run_generator
from harness import compare, emit, setup


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ngf", type=int, default=32)
    parser.add_argument("--blocks", type=int, default=6)
    parser.add_argument("--ndf", type=int, default=64)
    parser.add_argument("--train-size", type=int, nargs="+", default=[256, 512])
    parser.add_argument("--translate-size", type=int, nargs="+", default=[256, 512])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--channels-last", action="store_true", help="also time channels_last variants")
    args = parser.parse_args()
    result: dict = {"env": setup(args.threads), "ngf": args.ngf, "blocks": args.blocks, "ndf": args.ndf}
    layouts = (False, True) if args.channels_last else (False,)

    for size in args.train_size:
        candidates = {}
        for cl in layouts:
            for bf16 in (False, True):
                cfg = CycleGANConfig(
                    ngf=args.ngf, blocks=args.blocks, ndf=args.ndf, crop_size=size, bf16=bf16, channels_last=cl
                )
                model = CycleGAN(cfg)
                batch = (torch.rand(1, 3, size, size), torch.rand(1, 3, size, size))
                name = ("bf16" if bf16 else "fp32") + ("_channels_last" if cl else "")
                candidates[name] = lambda m=model, b=batch: m.train_step(b)
        result[f"train_step_{size}px_s"] = compare(candidates, warmup=1, reps=args.reps)

    generator = CycleGAN(CycleGANConfig(ngf=args.ngf, blocks=args.blocks, ndf=args.ndf)).g_ab.eval()
    for size in args.translate_size:
        image = torch.rand(1, 3, size, size)
        candidates = {}
        for cl in layouts:
            g = generator.to(memory_format=torch.channels_last if cl else torch.contiguous_format)
            x = image.contiguous(memory_format=torch.channels_last) if cl else image
            for bf16 in (False, True):
                name = ("bf16" if bf16 else "fp32") + ("_channels_last" if cl else "")
                candidates[name] = lambda g=g, x=x, b=bf16: run_generator(g, x, bf16=b)
        result[f"translate_{size}px_s_per_image"] = compare(candidates, warmup=1, reps=args.reps)
    emit(result)


if __name__ == "__main__":
    main()
