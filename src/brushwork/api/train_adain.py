"""``brushwork.train_adain``: train an AdaIN decoder on folders of photos and paintings (resumable, DDP)."""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from brushwork.errors import ConfigError, ImageError

__all__ = ["collect_images", "train_adain"]

log = logging.getLogger(__name__)


def collect_images(
    folders: Sequence[str | os.PathLike[str]], *, exclude: Sequence[str] = (), balance: bool = True
) -> list[Path]:
    """The images of ``folders`` (recursive), without files whose name or stem is in ``exclude``.

    With ``balance``, a folder with fewer images is listed repeatedly so every folder is drawn about equally
    often (e.g. 18 varied styles beside 348 Van Goghs).
    """
    from brushwork.imageio import find_images

    skip = set(exclude)
    groups = []
    for folder in folders:
        files = [f for f in find_images(Path(folder)) if f.name not in skip and f.stem not in skip]
        if not files:
            raise ImageError(f"{folder}: no images left to train on")
        groups.append(files)
    if not balance:
        return [f for files in groups for f in files]
    most = max(len(files) for files in groups)
    return [f for files in groups for f in files * max(1, round(most / len(files)))]


def _check_same_data(
    saved: dict[str, Any],
    content: Sequence[str | os.PathLike[str]],
    style: Sequence[str | os.PathLike[str]],
    exclude: Sequence[str],
) -> None:
    """Resuming with other folders or held-out styles would change the data stream (and could train on test styles)."""
    now = {
        "content": [str(Path(c).resolve()) for c in content],
        "style": [str(Path(s).resolve()) for s in style],
        "held_out_styles": sorted(exclude),
    }
    for key, value in now.items():
        if key in saved and saved[key] != value:
            raise ConfigError(f"resume: {key} {value} differs from the run's {saved[key]} (pass the run's own)")


def _init_weights(
    init_from: str | os.PathLike[str], exclude: Sequence[str]
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Weights, data lineage and decoder widths of an AdaIN model that starts a new run."""
    from brushwork.api._models import find_model
    from brushwork.checkpoint import load_weights, read_config
    from brushwork.errors import CheckpointError

    src = find_model(init_from)
    saved = read_config(src)
    if saved.get("method") != "adain":
        raise CheckpointError(f"{src}: --init-from needs an adain model, got {saved.get('method')!r}")
    data = saved.get("data", {})
    missing = sorted(set(data.get("held_out_styles", ())) - set(exclude))
    if missing:
        raise ConfigError(f"--init-from {src} held out {missing}: hold them out here too (--exclude-style)")
    arch = {k: saved["config"][k] for k in ("decoder_widths", "encoder_widths") if k in saved.get("config", {})}
    lineage = {"init_from": {"model": str(src), "steps": saved.get("step"), "content": data.get("content")}}
    log.info("starting from %s (step %s)", src, saved.get("step"))
    return load_weights(src), lineage, arch


def train_adain(
    content: Sequence[str | os.PathLike[str]],
    style: Sequence[str | os.PathLike[str]],
    out: str | os.PathLike[str],
    *,
    config: Any = None,
    resume: bool = False,
    steps: int | None = None,
    exclude_styles: Sequence[str] = (),
    balance: bool = True,
    vgg16: str | os.PathLike[str] | None = None,
    device: str = "auto",
    seed: int = 0,
    init_from: str | os.PathLike[str] | None = None,
    **loop: Any,
) -> Any:
    """Train an AdaIN decoder (Huang & Belongie 2017) with photos from ``content`` and art from ``style``.

    Args:
        content, style: folders of images (searched recursively; several allowed).
        out: the run directory (``checkpoints/``, ``metrics.jsonl``, ``samples/``).
        config: an :class:`~brushwork.methods.adain.AdaINConfig` or a dict of its fields (the rest default, or
            come from the checkpoint when resuming). Unless set, bf16 autocast where the device has it natively.
        resume: continue from ``out``'s newest checkpoint (starts fresh when it has none).
        steps: total steps (may be raised when resuming).
        exclude_styles: style file names or stems to hold out (e.g. for testing on unseen styles).
        balance: draw every style folder about equally often.
        init_from: an AdaIN model or run directory (or shipped name) whose decoder starts a new run (its widths
            are taken; the optimiser starts fresh). Its held-out styles must stay held out.
        **loop: :class:`~brushwork.train.LoopConfig` options (``log_every``, ``sample_every``, ``ckpt_every``,
            ``keep``, ``tensorboard``, ``progress``, ``stop_at``, ``time_limit_s``).

    Returns:
        :class:`~brushwork.train.FitResult`.
    """
    from brushwork.api.train import loop_config, open_batches, resume_point
    from brushwork.device import bf16_supported, resolve_device
    from brushwork.methods.adain import AdaINConfig
    from brushwork.methods.adain_trainer import AdaINTrainer
    from brushwork.models.encoders import load_vgg16
    from brushwork.seed import seed_everything
    from brushwork.train import distributed, fit

    if not content or not style:
        raise ConfigError("adain training needs at least one --content and one --style folder")
    out = Path(out)
    overrides = config.to_dict() if isinstance(config, AdaINConfig) else dict(config or {})
    if steps is not None:
        overrides["steps"] = steps
    point = resume_point(out, resume=resume, method="adain", nets=("decoder",), overrides=overrides)
    start, inherited = None, {}
    if point is not None and init_from is not None:
        raise ConfigError("--init-from starts a new run; it cannot be combined with resuming one")
    if point is None and init_from is not None:
        start, inherited, arch = _init_weights(init_from, exclude_styles)
        overrides = {**overrides, **arch}
    if point is None:
        values = {**AdaINConfig().to_dict(), **overrides}
        if "bf16" not in overrides:
            values["bf16"] = bf16_supported(resolve_device(device))
    else:
        values, seed = point.values, point.seed if point.seed is not None else seed
        _check_same_data(point.saved.get("data", {}), content, style, exclude_styles)
        lineage = point.saved.get("data", {}).get("init_from")
        inherited = {} if lineage is None else {"init_from": lineage}
    cfg = AdaINConfig.from_dict(values)
    content_files = collect_images(content)
    style_files = collect_images(style, exclude=exclude_styles, balance=balance)

    with distributed(device) as (dist_info, dev):
        seed_everything(seed + dist_info.rank)
        source = open_batches(
            dist_info,
            seed=seed,
            crop=cfg.crop,
            load=cfg.load_size,
            batch=cfg.batch_size,
            files=(content_files, style_files),
        )
        trainer = AdaINTrainer(
            cfg,
            encoder=load_vgg16(vgg16, device=dev),
            device=dev,
            seed=seed,
            distributed=dist_info.enabled,
            weights=start if point is None else point.weights,
        )
        if point is not None:
            trainer.load_state_dict(point.trainer_state["trainable"])
        meta = {
            "data": {
                "content": [str(Path(c).resolve()) for c in content],
                "style": [str(Path(s).resolve()) for s in style],
                "content_images": len(set(source.domains[0].files)),
                "style_images": len(set(source.domains[1].files)),
                "held_out_styles": sorted(exclude_styles),
                "skipped": len(source.skipped),
                **inherited,
            },
            "seed": seed,
            "world_size": dist_info.world_size,
        }
        loop.setdefault("sample_every", max(1, min(500, math.ceil(cfg.steps / 10))))
        return fit(
            trainer,
            source,
            run_dir=out,
            loop=loop_config(cfg.steps, loop),
            resume_state=None if point is None else point.trainer_state,
            meta=meta,
            dist_info=dist_info,
        )
