"""Prototype (session 46): distil only the large-scale layout of Gatys' pictures into ``fast``, with no VGG16.

Each step takes a batch of the target campaign's pairs (``data.paired_targets.TargetBatches``: a 256-px square of a
training photo, its Gatys picture and the painting) and minimises

    L1(pool_k(picture), pool_k(Gatys picture))                  the layout and tones at k-px cells, the squares'
                                                                 32-px border left out (Gatys paints a frame there)
  + anchor · L1(highpass(picture), highpass(shipped picture))   the shipped student's fine marks kept

One student pass and one of a frozen copy a step: 0.5 s at batch 4 on one thread (an AVX-512 Xeon with native
bf16), against 4–8 s for a step with the VGG16 terms. Result (docs/arbitrary_recipe.md, session 46; k 8, anchor 1,
lr 2e-4, 1750 steps from ``fast`` over 394 targets): the pooled L1 on the training pairs fell from 0.135 (the shipped
student) to 0.073, and the calm photos' pictures came out duller with the fog and the sky as blank as before: the
regression learnt the Gatys pictures' colours, not their fill, which imperceptible noise on the photo already
rearranges (``gatys_stability.py``).

usage: .venv/bin/python bench/prototypes/lowpass_distill.py OUT STEPS [--lr 2e-4 --anchor 1 --pool 8 --threads 1]
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

from brushwork.methods.student import load_student

BAND = 32


def lowpass(x: torch.Tensor, pool: int) -> torch.Tensor:
    """``(N, 3, H, W)`` → the means over ``pool``-px cells of the square less its ``BAND``-px border."""
    return F.avg_pool2d(x[..., BAND:-BAND, BAND:-BAND], pool)


def highpass(x: torch.Tensor) -> torch.Tensor:
    """``x`` less its 5 × 5 box mean (edges replicated)."""
    return x - F.avg_pool2d(F.pad(x, (2, 2, 2, 2), mode="replicate"), 5, stride=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("steps", type=int)
    parser.add_argument("--targets", type=Path, default=Path.home() / "brushwork-runs" / "gatys_targets")
    parser.add_argument("--lr", type=float, default=2e-4)
    parser.add_argument("--anchor", type=float, default=1.0)
    parser.add_argument("--pool", type=int, default=8)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    args.out.mkdir(parents=True, exist_ok=True)
    net, _ = load_student(SHIPPED)
    frozen, _ = load_student(SHIPPED)
    net.train().requires_grad_(True)
    data = target_batches(args.targets)
    optimizer = torch.optim.Adam(net.parameters(), lr=args.lr)
    start = time.perf_counter()
    with (args.out / "log.jsonl").open("a", encoding="utf-8") as log:
        for step, content, style, target, picture in painted_batches(net, data, args.steps):
            with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
                shipped = frozen(content, frozen.style_code(style)).float()
            layout = (lowpass(picture, args.pool) - lowpass(target, args.pool)).abs().mean()
            detail = (highpass(picture) - highpass(shipped)).abs().mean()
            optimizer.zero_grad(set_to_none=True)
            (layout + args.anchor * detail).backward()
            optimizer.step()
            shipped_layout = float((lowpass(shipped, args.pool) - lowpass(target, args.pool)).abs().mean())
            record = {"step": step, "layout": layout.item(), "layout_shipped": shipped_layout, "detail": detail.item()}
            log.write(json.dumps({**record, "seconds": round(time.perf_counter() - start, 1)}) + "\n")
            if step % 250 == 0 or step == args.steps:
                save_student(net, args.out / f"step_{step}")


if __name__ == "__main__":
    main()
