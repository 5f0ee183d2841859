"""Running one evaluation run: the method on every pair, the per-pair metrics, the set-level distances."""

from __future__ import annotations

import math
import statistics
from pathlib import Path
from typing import Any

import torch

from brushwork.api._eval_results import PAIR_METRICS, PairResult, RunResult
from brushwork.api._eval_specs import RunSpec

__all__ = ["KID_METHODS", "Context", "run_one", "thumbnail"]

#: Long side of the images kept for the contact sheet.
THUMB = 160
#: Methods that return one output per photo: they get the KID ratio (outputs ÷ photos, vs the real art). With
#: ``pair_styles`` every method returns one output per photo and gets it.
KID_METHODS = ("cyclegan", "identity")


def thumbnail(image: torch.Tensor) -> torch.Tensor:
    from brushwork.imageio import resize

    return resize(image, long_side=min(THUMB, max(image.shape[-2:]))).cpu()


def _stats(values: list[float]) -> tuple[float, float]:
    """Mean and standard deviation, ignoring NaN (an infinite value, e.g. PSNR of a copy, makes the mean inf)."""
    kept = [v for v in values if not math.isnan(v)]
    if not kept:
        return math.nan, math.nan
    mean = math.fsum(kept) / len(kept) if all(math.isfinite(v) for v in kept) else max(kept)
    std = statistics.stdev(kept) if len(kept) > 1 and math.isfinite(mean) else math.nan
    return mean, std


def _performance(perfs: list[Any]) -> dict[str, Any]:
    seconds = [p.seconds for p in perfs]
    rss = [p.peak_rss_mib for p in perfs if p.peak_rss_mib is not None]
    cuda = [p.peak_cuda_mib for p in perfs if p.peak_cuda_mib is not None]
    return {
        "device": perfs[0].device if perfs else None,
        "images": len(perfs),
        "seconds_total": sum(seconds),
        "seconds_per_image": sum(seconds) / len(seconds) if seconds else float("nan"),
        "median_seconds_per_image": statistics.median(seconds) if seconds else float("nan"),
        "peak_rss_mib": max(rss) if rss else None,
        "peak_cuda_mib": max(cuda) if cuda else None,
    }


def _mean_stats(stats: list[Any]) -> Any:
    from brushwork.metrics import StyleStats

    def avg(attr: str) -> dict[str, torch.Tensor]:
        return {k: torch.cat([getattr(s, attr)[k] for s in stats]).mean(0, keepdim=True) for k in stats[0].layers}

    return StyleStats(grams=avg("grams"), means=avg("means"), stds=avg("stds"))


def _pair_encoder(encoder: Any) -> Any:
    from brushwork.api._eval_features import FeatureCache
    from brushwork.metrics import CONTENT_LAYERS, FRECHET_LAYERS, STYLE_LAYERS

    return FeatureCache(encoder, (*STYLE_LAYERS, *CONTENT_LAYERS, *FRECHET_LAYERS))


class Context:
    """What the runs share: inputs, the metric encoder and cached statistics."""

    def __init__(
        self,
        *,
        contents: Any,
        styles: Any,
        real: Any,
        encoder: Any,
        device: torch.device,
        size: int,
        pair_styles: bool = False,
    ):
        self.contents, self.styles, self.real, self.encoder, self.device, self.size = (
            contents, styles, real, encoder, device, size,
        )  # fmt: skip
        #: each photo with one style (photo i with style i mod n) instead of every style
        self.pair_styles = pair_styles
        self.content_images = list(contents.items())
        self.style_images = list(styles.items(max_side=4 * size)) if styles is not None else []
        self.pair_encoder = _pair_encoder(encoder)
        self._style_stats: dict[tuple[str, int], Any] = {}
        self._domain: Any = None
        self._real_features: torch.Tensor | None = None
        self._style_patches: dict[int, torch.Tensor] = {}
        self._kid_features: dict[str, Any] = {}
        self._kid_reference: dict[int, dict[str, Any] | None] = {}

    def style_stats(self, name: str, image: torch.Tensor, long_side: int) -> Any:
        """Statistics of a style image at the size the method used, computed once per style and size."""
        from brushwork.imageio import resize
        from brushwork.metrics import style_stats

        key = (name, long_side)
        if key not in self._style_stats:
            self._style_stats[key] = style_stats(resize(image, long_side=long_side).to(self.device), self.encoder)
        return self._style_stats[key]

    def domain_stats(self) -> Any:
        """Mean style statistics of the real art (the style target of methods without a style image)."""
        from brushwork.metrics import style_stats

        if self._domain is None:
            self._domain = _mean_stats([style_stats(x.to(self.device), self.encoder) for x in self.real.images()])
        return self._domain

    def real_features(self) -> torch.Tensor:
        from brushwork.metrics import vgg_features

        if self._real_features is None:
            self._real_features = vgg_features(self.real.images(), self.encoder, batch_size=8)
        return self._real_features

    def kid_features(self, which: str) -> Any:
        """:func:`~brushwork.metrics.stat_features` of the content photos (``"photos"``) or the real art
        (``"real"``), computed once per report. One image per encoder call, as for the outputs in
        :func:`run_one`, so a run that returns its input gets bit-identical features (a ratio of exactly 1)."""
        from brushwork.metrics import stat_features

        if which not in self._kid_features:
            images = (x for _, x in self.content_images) if which == "photos" else self.real.images()
            self._kid_features[which] = stat_features(self.encoder, (x.to(self.device) for x in images), batch_size=1)
        return self._kid_features[which]

    def kid_reference(self, seed: int) -> dict[str, Any] | None:
        """The KID ratio of the photos through :func:`~brushwork.metrics.sharpen` (3×), once per report."""
        from brushwork.metrics import SHARPEN_AMOUNT, sharpen, stat_features

        if seed not in self._kid_reference:
            sharp = (sharpen(x.to(self.device)) for _, x in self.content_images)
            features = stat_features(self.encoder, sharp, batch_size=1)
            ratio = _kid_ratio(self, features, seed, [])
            reference = {"filter": "sharpen", "amount": SHARPEN_AMOUNT}
            self._kid_reference[seed] = None if ratio is None else {**reference, **ratio}
        return self._kid_reference[seed]

    def style_patch_features(self, long_side: int) -> torch.Tensor | None:
        """Per-position relu3_3 features of every style image at the outputs' size (``None`` without styles)."""
        from brushwork.imageio import resize
        from brushwork.metrics import local_vgg_features

        if not self.style_images:
            return None
        if long_side not in self._style_patches:
            images = (resize(image, long_side=long_side).to(self.device) for _, image in self.style_images)
            self._style_patches[long_side] = local_vgg_features(images, self.encoder, per_image=None)
        return self._style_patches[long_side]


def _pair_metrics(ctx: Context, content: torch.Tensor, output: torch.Tensor, style: Any) -> dict[str, float]:
    from brushwork.imageio import resize
    from brushwork.metrics import perceptual_distance, photo_hold, psnr, ssim, ssim_luminance, style_distances

    if content.shape != output.shape:
        content = resize(content, size=tuple(output.shape[-2:]))
    out_dev, content_dev = output.to(ctx.device), content.to(ctx.device)
    style_d = style_distances(out_dev, style, ctx.pair_encoder)
    hold = photo_hold(content, output)
    return {
        "ssim": float(ssim(content, output)),
        "ssim_luminance": float(ssim_luminance(content, output)),
        "psnr": float(psnr(content, output)),
        "content_distance": float(perceptual_distance(content_dev, out_dev, ctx.pair_encoder)),
        "gram_distance": float(style_d["gram"]),
        "mean_std_distance": float(style_d["mean_std"]),
        "luma_hold": float(hold["luma"]),
        "chroma_hold": float(hold["chroma"]),
    }


def _kid_ratio(ctx: Context, outputs: Any, seed: int, notes: list[str]) -> dict[str, Any] | None:
    """KID ratio of ``outputs`` (stat features, one row per content photo, in order) vs the photos, or a note."""
    import numpy as np

    from brushwork.metrics import kid_ratio

    photos, real = ctx.kid_features("photos"), ctx.kid_features("real")
    if min(len(photos), len(real)) < 2:
        notes.append(f"KID ratio needs >= 2 photos and real images (have {len(photos)} and {len(real)})")
    elif not np.isfinite(outputs).all():
        notes.append("some outputs have non-finite VGG features: no KID ratio")
    else:
        return kid_ratio(outputs, photos, real, seed=seed).as_dict()
    return None


def run_one(
    ctx: Context, spec: RunSpec, runner: Any, *, seed: int, outputs_dir: Path | None, progress: bool
) -> RunResult:
    import numpy as np
    from tqdm import tqdm

    from brushwork.imageio import save_image
    from brushwork.metrics import (
        PerfMeter,
        combined_score,
        discriminator_accuracy,
        frechet_distance,
        kernel_distance,
        local_vgg_features,
        stat_features,
        vgg_features,
    )
    from brushwork.seed import seed_everything

    seed_everything(seed)
    styles = ctx.style_images if runner.uses_style and ctx.style_images else [(None, None)]
    if ctx.pair_styles:
        jobs = [(c, styles[i % len(styles)]) for i, c in enumerate(ctx.content_images)]
    else:
        jobs = [(c, s) for c in ctx.content_images for s in styles]
    pairs, perfs, features, patches, thumbs, kept = [], [], [], [], {}, []
    notes = list(runner.notes)
    kid_rows: dict[str, Any] | None = {} if spec.method in KID_METHODS or ctx.pair_styles else None
    for (c_name, content), (s_name, style) in tqdm(jobs, desc=spec.label, unit="img", disable=not progress):
        with PerfMeter(ctx.device) as meter:
            output = runner(content, style)
            meter.lap()
        perfs.append(meter.result())
        long_side = round(max(output.shape[-2:]) * runner.style_scale)
        target = ctx.domain_stats() if style is None else ctx.style_stats(s_name, style, long_side)
        numbers = _pair_metrics(ctx, content, output, target)
        pairs.append(PairResult(content=c_name, style=s_name, **numbers, seconds=perfs[-1].seconds))
        features.append(vgg_features(output.to(ctx.device), ctx.pair_encoder))
        patches.append(local_vgg_features(output.to(ctx.device), ctx.pair_encoder, seed=len(patches)))
        thumbs[(c_name, s_name)] = thumbnail(output)
        if kid_rows is not None and c_name not in kid_rows:  # one row per photo (identity repeats per style)
            kid_rows[c_name] = stat_features(ctx.pair_encoder, output.to(ctx.device), batch_size=1)
        if runner.discriminator is not None:
            kept.append(output)
        if outputs_dir is not None:
            stem = Path(c_name).stem + (f"__{Path(s_name).stem}" if s_name else "")
            save_image(output, outputs_dir / _slug(spec.label) / f"{stem}.png")
    notes += [n for n in runner.notes if n not in notes]  # what the runs found out (a model's defaults)
    means, stds = {}, {}
    for key in PAIR_METRICS:
        means[key], stds[key] = _stats([getattr(p, key) for p in pairs])
    fd = kd = score = None
    outs, real = torch.cat(features), ctx.real_features()
    if min(len(outs), len(real)) < 2:
        notes.append(f"set-level distances need >= 2 outputs and real images (have {len(outs)} and {len(real)})")
    elif not bool(torch.isfinite(outs).all()):
        notes.append("some outputs have non-finite VGG features: no set-level distances")
    else:
        fd = frechet_distance(outs, real)
        kd = kernel_distance(outs, real, seed=seed).as_dict()
    style_fd = None
    style_patches = ctx.style_patch_features(ctx.size)
    if style_patches is not None and bool(torch.isfinite(outs).all()):
        style_fd = frechet_distance(torch.cat(patches), style_patches)
    # ArtFID's style factor compares outputs with the style images; with one or a few style images that is only
    # possible patch-wise (style_fd). Every run of a table is judged against the same reference, so when style
    # images are given, runs that ignore them (identity, CycleGAN) are judged against them too; without style
    # images (``--data``), against the real art set.
    style_factor = style_fd if style_fd is not None else fd
    if style_factor is not None and math.isfinite(means["content_distance"]):
        score = combined_score(means["content_distance"], style_factor)
    kid = None
    if kid_rows is not None:
        kid_outputs = np.concatenate([kid_rows[name] for name, _ in ctx.content_images])
        kid = _kid_ratio(ctx, kid_outputs, seed, notes)
    accuracy = None
    if runner.discriminator is not None:
        accuracy = discriminator_accuracy(runner.discriminator, ctx.real.images(), kept, batch_size=8).as_dict()
    return RunResult(
        label=spec.label,
        group=spec.group,
        method=spec.method,
        settings={**runner.settings},
        sweep=dict(spec.sweep),
        pairs=tuple(pairs),
        means=means,
        stds=stds,
        frechet_distance=fd,
        kernel_distance=kd,
        combined_score=score,
        style_frechet_distance=style_fd,
        performance=_performance(perfs),
        discriminator=accuracy,
        notes=tuple(notes),
        outputs=thumbs,
        kid_ratio=kid,
    )


def _slug(label: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_.=" else "_" for ch in label).strip("_") or "run"
