"""Prototype (session 46): teach ``fast`` a Gatys-like fill with a pixel-space critic, no VGG16.

A regression towards Gatys' pictures cannot teach the fill of calm areas (``gatys_stability.py``: it changes with
invisible noise on the photo). A critic can: it asks for a fill that looks like Gatys', not for the one Gatys
painted. Each step takes a batch of the target campaign's pairs and trains

  the student:  adv · (C(photo, picture) − 1)²  +  L1(pool_16(picture), pool_16(Gatys picture))
  the critic C: (C(photo, Gatys picture) − 1)² + C(photo, picture)²          (least squares, Mao et al. 2017)

C is a conditional PatchGAN (Isola et al. 2017: the photo and a picture stacked, 70-px receptive field) on the
squares less their 32-px border (Gatys paints a frame there); the pooled L1 keeps the scene and the colours. One
student pass and two small critic passes a step, no VGG16.

Result (docs/arbitrary_recipe.md, session 46; the defaults, from ``fast``, 438 targets, 0.8 s a step on one thread
of an AVX-512 Xeon): the two stayed balanced (both critic terms near 0.25 for 1750 steps); on calm photos the fog
and the dusk sky gained faint horizontal streaks and ripples and every mark turned softer than ``fast``'s. Visibly
worse; not judged blind.

usage: .venv/bin/python bench/prototypes/critic_distill.py OUT STEPS [--adv 1 --lr 1e-4 --threads 1]
OUT/step_N holds a model folder (``--ours fast:OUT/step_N``) every 250 steps; OUT/log.jsonl the losses.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from _student_io import SHIPPED, painted_batches, save_student, target_batches
from torch import nn

from brushwork.methods.student import load_student

BAND = 32


def critic(width: int = 48) -> nn.Module:
    """``(N, 6, H, W)`` (photo and picture) → ``(N, 1, H/8 − 2, W/8 − 2)`` patch scores; spectral norm throughout."""
    sn = nn.utils.parametrizations.spectral_norm
    layers: list[nn.Module] = []
    channels = 6
    for out in (width, 2 * width, 4 * width):
        layers += [sn(nn.Conv2d(channels, out, 4, 2, 1)), nn.LeakyReLU(0.2)]
        channels = out
    layers += [sn(nn.Conv2d(channels, channels, 4, 1, 1)), nn.LeakyReLU(0.2), sn(nn.Conv2d(channels, 1, 4, 1, 1))]
    return nn.Sequential(*layers)


def inner(x: torch.Tensor) -> torch.Tensor:
    return x[..., BAND:-BAND, BAND:-BAND]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("steps", type=int)
    parser.add_argument("--targets", type=Path, default=Path.home() / "brushwork-runs" / "gatys_targets")
    parser.add_argument("--adv", type=float, default=1.0)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(46)
    args.out.mkdir(parents=True, exist_ok=True)
    net, _ = load_student(SHIPPED)
    net.train().requires_grad_(True)
    judge = critic()
    data = target_batches(args.targets)
    opt_g = torch.optim.Adam(net.parameters(), lr=args.lr, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(judge.parameters(), lr=2 * args.lr, betas=(0.5, 0.999))
    start = time.perf_counter()
    with (args.out / "log.jsonl").open("a", encoding="utf-8") as log:
        for step, content, _, target, picture in painted_batches(net, data, args.steps):
            photo, fake, real = inner(content), inner(picture), inner(target)
            layout = (F.avg_pool2d(picture, 16) - F.avg_pool2d(target, 16)).abs().mean()
            adversarial = (judge(torch.cat([photo, fake], 1)) - 1).pow(2).mean()
            opt_g.zero_grad(set_to_none=True)
            (args.adv * adversarial + layout).backward()
            opt_g.step()
            d_real = (judge(torch.cat([photo, real], 1)) - 1).pow(2).mean()
            d_fake = judge(torch.cat([photo, fake.detach()], 1)).pow(2).mean()
            opt_d.zero_grad(set_to_none=True)
            (d_real + d_fake).backward()
            opt_d.step()
            record = {"step": step, "layout": layout.item(), "adv": adversarial.item()}
            record |= {"d_real": d_real.item(), "d_fake": d_fake.item(), "seconds": round(time.perf_counter() - start)}
            log.write(json.dumps(record) + "\n")
            log.flush()
            if step % 250 == 0 or step == args.steps:
                save_student(net, args.out / f"step_{step}")


if __name__ == "__main__":
    main()
