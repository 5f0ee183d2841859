"""``brushwork.evaluate``: one yardstick for methods, settings and checkpoints.

Every run (a method with its settings) stylises every content × style pair (CycleGAN: translates every content
image), and the report holds per pair: SSIM on RGB and luminance, PSNR and the perceptual content distance
(output vs content), the Gram and mean/std style distances (output vs its style image; for CycleGAN vs the real
art's mean statistics), seconds; per run: the VGG-feature Fréchet and kernel distances of all outputs vs the
real art, the combined score, time per image, peak memory and, for CycleGAN, its discriminator's accuracy on
real art vs generated images (the original design's diagnostic); for CycleGAN and ``identity`` (for every method
with ``pair_styles``: one style per photo), the style measure of issue 12: the KID ratio, KID(outputs, real art) ÷
KID(photos, real art) on VGG16 relu4_3 channel statistics with the same subsets on both sides (exactly 1 for
``identity``), with the ratio of a 3× sharpen of the photos reported once beside it
(:attr:`EvaluationReport.kid_reference`). See :mod:`brushwork.metrics` for definitions.
Write the files with :func:`brushwork.report.write_report`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch

from brushwork.api._eval_measure import KID_METHODS, Context, run_one, thumbnail
from brushwork.api._eval_results import (
    ORIGINAL_DESIGN,
    PAIR_METRICS,
    EvaluationReport,
    PairResult,
    RunResult,
    rank_key,
)
from brushwork.api._eval_specs import RunSpec, expand_sweep, parse_spec

__all__ = ["PAIR_METRICS", "EvaluationReport", "PairResult", "RunResult", "RunSpec", "evaluate", "parse_spec"]

log = logging.getLogger(__name__)

PathLike = str | os.PathLike[str]


def _unique_labels(specs: list[RunSpec]) -> list[RunSpec]:
    seen: dict[str, int] = {}
    out = []
    for spec in specs:
        seen[spec.label] = seen.get(spec.label, 0) + 1
        out.append(spec if seen[spec.label] == 1 else replace(spec, label=f"{spec.label} #{seen[spec.label]}"))
    return out


def _caveats(ctx: Context, runs: list[RunResult], real_is_style: bool) -> list[str]:
    from brushwork.metrics import FRECHET_LAYERS

    n_real = len(ctx.real_features())
    dim = ctx.real_features().shape[1]
    n_out = max((len(r.pairs) for r in runs), default=0)
    out = [
        f"Fréchet and kernel distances are on VGG16 {'+'.join(FRECHET_LAYERS)} features (D={dim}), not Inception: "
        "they are not FID/KID and not comparable with published numbers.",
        f"The Fréchet distance is biased for small sets: here up to {n_out} outputs vs {n_real} real images"
        + (f" (fewer than D={dim}, so the covariances are rank-deficient)" if min(n_out, n_real) < dim else "")
        + ". Compare values only at the same set sizes and image size; the kernel distance (unbiased) behaves "
        "better on small sets.",
        "Combined score = (1 + mean content distance) × (1 + Fréchet distance), after ArtFID but on this "
        "project's unlearned VGG16 distances: lower is better, and the values are not ArtFID values.",
        "SSIM/PSNR/content distance measure content preservation only: style transfer is meant to change the "
        "image, so the best method is a balance, not the highest SSIM.",
        "Gram and mean/std style distances are on Caffe-scale VGG16 features: compare them, don't read them.",
        f"Times are wall-clock per image on {ctx.device} with {torch.get_num_threads()} torch threads, possibly "
        "on a shared machine; peak RSS is the process's peak since it started (an upper bound for the run).",
    ]
    if real_is_style:
        out.append(
            f"No real art given: the {n_real} style image(s) serve as the real art, far too few for stable "
            "set-level distances (undefined below 2 images); pass a folder of real artworks for meaningful values."
        )
    if any(not r.pairs or r.pairs[0].style is None for r in runs):
        out.append(
            "Runs without a style image (CycleGAN) are compared with the real art's mean Gram and mean/std "
            "statistics, so their style distances are not comparable with per-style-image ones."
        )
    if any(r.method == "identity" for r in runs):
        out.append(
            "`identity` is the content itself (SSIM 1, content distance 0): the baseline a method must beat on the "
            "style and Fréchet distances; its combined score is just 1 + the photos' Fréchet distance."
        )
    if any(r.kid_ratio is not None for r in runs):
        from brushwork.metrics import KID_LAYER, KID_SHORT_SIDE, KID_SUBSETS

        out.append(
            "KID ratio = KID(outputs, real art) ÷ KID(photos, real art): unbiased MMD² with the kernel "
            f"(x·y/d + 1)³ on VGG16 {KID_LAYER} channel means and stds (d = 2 × channels) at a "
            f"{KID_SHORT_SIDE}-px short side, {KID_SUBSETS} subsets shared by both sides (so `identity` is exactly "
            "1); below 1 = closer to the real art than the photos were. Compare it with the 3× sharpen reference "
            "under the summary: a model should beat a filter that only adds edges."
        )
    if any(r.discriminator is not None for r in runs):
        out.append(
            "Discriminator accuracy uses the model's own discriminator (trained against this generator) on real "
            "art vs generated images; 50 % is ideal. The original design reported SSIM "
            f"{ORIGINAL_DESIGN['ssim']} and accuracy {ORIGINAL_DESIGN['discriminator_accuracy']:.2%}."
        )
    return out


def evaluate(
    method: str | RunSpec | Sequence[str | RunSpec] = "gatys",
    *,
    content: PathLike | Sequence[PathLike] | None = None,
    style: PathLike | Sequence[PathLike] | None = None,
    real_art: PathLike | Sequence[PathLike] | None = None,
    data: PathLike | None = None,
    model: PathLike | None = None,
    sweep: Mapping[str, Sequence[Any]] | None = None,
    limit: int | None = None,
    real_limit: int | None = None,
    direction: str | None = None,
    size: int = 256,
    device: str | torch.device = "auto",
    seed: int = 0,
    encoder: torch.nn.Module | None = None,
    vgg16: PathLike | None = None,
    max_pixels: int | None = None,
    outputs_dir: PathLike | None = None,
    progress: bool = False,
    pair_styles: bool = False,
    **options: Any,
) -> EvaluationReport:
    """Evaluate one or more methods/settings/checkpoints on the same inputs (see the module doc).

    Args:
        method: a method name (``"gatys"``, ``"cyclegan"``, ``"identity"`` (the content itself, a baseline),
            ...), a spec string ``"gatys:steps=50"``, a :class:`RunSpec`, or a list of them (one report).
        content: content images (files and/or folders); the first ``limit`` are used.
        style: style images (files and/or folders), for methods that take one.
        real_art: real artworks for the set-level distances (default: ``data``'s target folder, else the styles).
        data: a CycleGAN data folder: contents from ``data/testX`` and real art from ``data/testY`` for the
            direction X→Y (``direction``, else the first CycleGAN model's, else ``BtoA``), unless given.
        model: model for a ``method="cyclegan"`` given by name (same as ``"cyclegan:model=..."``).
        sweep: setting -> values; every run is repeated for each combination (e.g. ``{"strength": [0.5, 1, 2]}``)
            of the settings its method takes (CycleGAN: ``model``, ``direction``, ``strength``).
        real_limit: use at most this many real art images.
        size: long side in pixels of contents, outputs and real art (all metrics are computed at this size).
        encoder: the VGG16 encoder for the metrics (and for methods that need one); default: the real one.
        outputs_dir: also save every output there, in one folder per run.
        pair_styles: give each content image one style (content i, in order, with style i mod n) instead of
            every style, so every method makes one output per photo and gets the KID ratio (e.g. an
            arbitrary-style model given an artist's paintings as styles, compared with a model of that artist).
        options: settings for every run of a stylize method (e.g. ``steps=50`` for Gatys).

    Returns:
        An :class:`EvaluationReport`, runs sorted by combined score (best first).
    """
    from brushwork.api._eval_inputs import ImageSet, environment, image_paths
    from brushwork.api._eval_runners import accepts_setting, make_runner
    from brushwork.device import resolve_device
    from brushwork.errors import ConfigError
    from brushwork.metrics import (
        CONTENT_LAYERS,
        FRECHET_LAYERS,
        KID_LAYER,
        KID_SCALE,
        KID_SHORT_SIDE,
        KID_SUBSET_SIZE,
        KID_SUBSETS,
        STYLE_LAYERS,
    )

    if size < 16:
        raise ConfigError(f"size {size}: evaluation needs at least 16 px (SSIM's window is 11 px)")
    dev = resolve_device(device)
    items = [method] if isinstance(method, str | RunSpec) else list(method)
    if not items:
        raise ConfigError("nothing to evaluate: no method given")
    specs = [parse_spec(m) if isinstance(m, str) else m for m in items]
    if model is not None and not any(s.method == "cyclegan" for s in specs):
        raise ConfigError(f"--model {model}: only CycleGAN runs take a model (use --method cyclegan)")
    specs = [s.with_defaults({"model": str(model)}) if s.method == "cyclegan" and model else s for s in specs]
    specs = [s.with_defaults(options) if s.method not in ("cyclegan", "identity") else s for s in specs]
    specs = _unique_labels(expand_sweep(specs, sweep, accepts=accepts_setting))
    custom_encoder = encoder is not None
    if encoder is None:
        from brushwork.models.encoders import load_vgg16

        encoder = load_vgg16(vgg16, device=dev)
    runners = [make_runner(s, device=dev, seed=seed, encoder=encoder) for s in specs]

    direction = direction or next((r.direction for r in runners if r.direction), None) or "BtoA"
    if data is not None and not Path(data).is_dir():
        raise ConfigError(f"--data {data}: no such folder")
    if content is None and data is None:
        raise ConfigError("no content images: give content folders/files or a data folder")
    content_paths = image_paths(content if content is not None else Path(data) / f"test{direction[0]}", "content")
    contents = ImageSet(content_paths[:limit], "content", size, max_pixels)
    styles = ImageSet(image_paths(style, "style"), "style", None, max_pixels) if style is not None else None
    for spec, runner in zip(specs, runners, strict=True):
        if runner.needs_style and styles is None:
            raise ConfigError(f"{spec.label}: needs style images")
    if real_art is None and data is not None:
        real_art = Path(data) / f"test{direction[-1]}"
    real_is_style = real_art is None
    if real_art is not None:
        real = ImageSet(image_paths(real_art, "real art", limit=real_limit), "real art", size, max_pixels)
    elif styles is not None:
        real = ImageSet(styles.paths[:real_limit], "real art", size, max_pixels)
    else:
        raise ConfigError("no real art: give real art (or style images) for the set-level distances")

    if pair_styles and styles is None:
        raise ConfigError("pairing photos with styles needs style images (--style)")
    ctx = Context(
        contents=contents, styles=styles, real=real, encoder=encoder, device=dev, size=size, pair_styles=pair_styles
    )
    if not ctx.content_images:
        raise ConfigError("no readable content images")
    out_dir = Path(outputs_dir) if outputs_dir is not None else None
    runs = [
        run_one(ctx, spec, runner, seed=seed, outputs_dir=out_dir, progress=progress)
        for spec, runner in zip(specs, runners, strict=True)
    ]
    runs.sort(key=rank_key)
    kid_reference = ctx.kid_reference(seed) if any(r.kid_ratio is not None for r in runs) else None
    skipped = {**contents.skipped, **(styles.skipped if styles else {}), **real.skipped}
    settings = {
        "runs": [{"label": s.label, "method": s.method, "settings": s.all_settings()} for s in specs],
        "sweep": {k: list(v) for k, v in (sweep or {}).items()},
        "size": size,
        "device": str(dev),
        "seed": seed,
        "limit": limit,
        "real_limit": real_limit,
        "pair_styles": pair_styles,
        "data": str(data) if data is not None else None,
        "direction": direction if data is not None else None,
        "real_art_is_style": real_is_style,
        "layers": {"content": CONTENT_LAYERS, "style": STYLE_LAYERS, "frechet": FRECHET_LAYERS},
        "kid": {
            "layer": KID_LAYER,
            "short_side": KID_SHORT_SIDE,
            "scale": KID_SCALE,
            "subsets": KID_SUBSETS,
            "subset_size": KID_SUBSET_SIZE,
            "methods": KID_METHODS,
        },
        "original_design": ORIGINAL_DESIGN,
    }
    inputs = {
        "content": contents.describe(),
        "style": styles.describe() if styles is not None else [],
        "real_art": real.describe(),
        "models": [f for r in runners for f in r.files],
        "skipped": skipped,
    }
    thumbnails = {
        "content": {n: thumbnail(x) for n, x in ctx.content_images},
        "style": {n: thumbnail(x) for n, x in ctx.style_images},
    }
    return EvaluationReport(
        runs=tuple(runs),
        settings=settings,
        inputs=inputs,
        environment=environment(dev, vgg16, custom_encoder=custom_encoder),
        caveats=tuple(_caveats(ctx, runs, real_is_style)),
        thumbnails=thumbnails,
        kid_reference=kid_reference,
    )
