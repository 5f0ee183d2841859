"""``brushwork.train``: train CycleGAN on unpaired folders, resumable, on one device or under ``torchrun``."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from brushwork.errors import CheckpointError, ConfigError

__all__ = ["ResumePoint", "loop_config", "resume_point", "train"]

log = logging.getLogger(__name__)

#: Settings that may change when resuming (they do not change what was learnt so far).
_RESUMABLE = frozenset({"steps"})
#: Settings that describe the networks (taken from the ``--init-from`` model).
_ARCH = (
    "generator", "ngf", "blocks", "unet_depth", "upsample", "skip", "ndf", "disc_layers", "discriminator", "d_layers"
)  # fmt: skip


def _domain_names(data: Path) -> dict[str, str]:
    """``vangogh2photo`` → A = vangogh, B = photo; otherwise A and B."""
    a, sep, b = data.resolve().name.partition("2")
    return {"A": a, "B": b} if sep and a and b else {"A": "A", "B": "B"}


def _arch_from(model_config: dict[str, Any]) -> dict[str, Any]:
    """Architecture settings of a saved CycleGAN (from its network specs)."""
    g = model_config["nets"].get("G_AB") or model_config["nets"].get("G_BA")
    if g is None:
        raise CheckpointError("the --init-from model has no generators")
    arch = {"generator": g["kind"], "ngf": g["ngf"], "upsample": g["upsample"], "skip": bool(g.get("skip", False))}
    arch["blocks" if g["kind"] == "resnet" else "unet_depth"] = g["blocks" if g["kind"] == "resnet" else "depth"]
    d = model_config["nets"].get("D_A") or model_config["nets"].get("D_B")
    if d is not None and d["kind"] == "vgg":
        arch.update(discriminator="vgg", ndf=d["width"], d_layers=tuple(d["layers"]))
    elif d is not None:
        arch.update(discriminator="patchgan", ndf=d["ndf"], disc_layers=d["layers"])
    return arch


def _weightless_changes(arch: dict[str, Any], overrides: dict[str, Any]) -> frozenset[str]:
    """Architecture settings ``--init-from`` may change because no weight depends on them: resize-then-conv
    upsampling is ``nearest`` or ``bilinear`` with the same convolutions."""
    resize = {"nearest", "bilinear"}
    if arch.get("upsample") in resize and overrides.get("upsample") in resize:
        return frozenset({"upsample"})
    return frozenset()


def _plain(value: Any) -> Any:
    """Tuples as lists (``config.json`` stores sequences as lists)."""
    return [_plain(v) for v in value] if isinstance(value, list | tuple) else value


def _merge(base: dict[str, Any], overrides: dict[str, Any], *, allowed: frozenset[str] | None, source: str) -> dict:
    """``base`` updated by ``overrides``; a changed key outside ``allowed`` (None: all allowed) is an error."""
    merged = dict(base)
    for key, value in overrides.items():
        if key in base and _plain(base[key]) != _plain(value) and allowed is not None and key not in allowed:
            raise ConfigError(f"{key}={value!r} differs from {source}'s {base[key]!r} (drop it, or use a new --out)")
        merged[key] = value
    return merged


@dataclass(frozen=True)
class ResumePoint:
    """A run's newest checkpoint, ready to continue: merged settings, weights, trainer state, saved config."""

    values: dict[str, Any]
    weights: dict[str, Any]
    trainer_state: dict[str, Any]
    saved: dict[str, Any]
    seed: int | None


def resume_point(
    out: Path,
    *,
    resume: bool,
    method: str,
    nets: tuple[str, ...],
    overrides: dict[str, Any],
    defaults: dict[str, Any] | None = None,
) -> ResumePoint | None:
    """The checkpoint to resume ``out`` from (``None`` for a new run); errors for a run that cannot continue.

    ``defaults``: the config's defaults, which a setting newer than the checkpoint had (absent from it) is checked
    against: a run saved before it existed ran with its default.
    """
    from brushwork.checkpoint import latest_checkpoint, load_trainer_state, load_weights, read_config

    ckpt = latest_checkpoint(out)
    if ckpt is None:
        return None
    if not resume:
        raise ConfigError(f"{out}: already has checkpoints (newest {ckpt.name}); pass --resume or a new --out")
    saved = read_config(ckpt)
    if saved.get("method") != method:
        raise CheckpointError(f"{ckpt}: a {saved.get('method')!r} checkpoint, not {method}")
    absent = [n for n in nets if n not in saved.get("nets", {})]
    if absent:
        raise CheckpointError(f"{ckpt}: cannot resume, the checkpoint lacks {', '.join(absent)}")
    values = _merge({**(defaults or {}), **saved["config"]}, overrides, allowed=_RESUMABLE, source=str(ckpt))
    log.info("resuming %s from %s", out, ckpt.name)
    seed = saved.get("seed")
    return ResumePoint(values, load_weights(ckpt), load_trainer_state(ckpt), saved, None if seed is None else int(seed))


def loop_config(steps: int, options: dict[str, Any]) -> Any:
    """:class:`~brushwork.train.LoopConfig` from keyword options; unknown ones are a :class:`ConfigError`."""
    from brushwork.train import LoopConfig

    try:
        return LoopConfig(steps=steps, **options)
    except TypeError as exc:
        raise ConfigError(f"training options: {exc}") from exc


def open_batches(
    dist_info: Any, *, seed: int, crop: int, load: int, batch: int, crop_b: int = 0, load_b: int = 0, **source: Any
) -> Any:
    """This rank's shard of unpaired training batches (``source``: ``root=`` or ``files=``), warning on skips;
    ``crop_b``, ``load_b``: other sizes for domain B (0: A's)."""
    from brushwork.data.folders import UnpairedBatches

    batches = UnpairedBatches(
        **source,
        crop_size=crop,
        load_size=load,
        crop_size_b=crop_b or None,
        load_size_b=load_b or None,
        batch_size=batch,
        seed=seed,
        rank=dist_info.rank,
        world_size=dist_info.world_size,
    )
    if batches.skipped:
        log.warning("%d unreadable training images skipped", len(batches.skipped))
    return batches


def train(
    data: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    config: Any = None,
    resume: bool = False,
    init_from: str | os.PathLike[str] | None = None,
    steps: int | None = None,
    log_every: int = 50,
    sample_every: int = 500,
    ckpt_every: int = 1000,
    keep: int = 3,
    tensorboard: bool = False,
    progress: bool = True,
    stop_at: int | None = None,
    time_limit_s: float | None = None,
    preview_every_s: float | None = None,
    domains: tuple[str, str] | None = None,
    default_direction: str | None = None,
    device: str = "auto",
    seed: int = 0,
) -> Any:
    """Train a CycleGAN on ``data/trainA`` and ``data/trainB`` into the run directory ``out``.

    Args:
        config: a :class:`~brushwork.methods.cyclegan.CycleGANConfig` or a dict of its fields to set (the rest
            default, or come from the checkpoint when resuming, or the architecture from ``init_from``). Unless
            set, a new run uses bf16 autocast where the device supports it natively (AVX512-BF16/AMX, CUDA).
        resume: continue from ``out``'s newest checkpoint (starts fresh when it has none).
        init_from: a model or run directory whose weights start the training (style adaptation).
        steps: total steps (overrides ``config.steps``; may be raised when resuming).
        stop_at, time_limit_s: stop this call early (with a checkpoint) at a step or after some seconds.
        preview_every_s: also keep ``out/preview.jpg`` (the current sample grid) at most this many seconds old.
        domains: names of A and B (default from the folder name, ``vangogh2photo`` → vangogh, photo).
        default_direction: ``"AtoB"``/``"BtoA"``, the direction ``translate`` uses unless told otherwise (default:
            the resumed or ``init_from`` model's, else AtoB).

    Returns:
        :class:`~brushwork.train.FitResult`.
    """
    from brushwork.checkpoint import load_weights, read_config
    from brushwork.device import bf16_supported, resolve_device
    from brushwork.methods.cyclegan import CycleGAN, CycleGANConfig
    from brushwork.seed import seed_everything
    from brushwork.train import LoopConfig, distributed, fit

    if default_direction not in (None, "AtoB", "BtoA"):
        raise ConfigError(f"default_direction must be AtoB or BtoA, got {default_direction!r}")
    data, out = Path(data), Path(out)
    overrides = config.to_dict() if isinstance(config, CycleGANConfig) else dict(config or {})
    if steps is not None:
        overrides["steps"] = steps
    point = resume_point(
        out, resume=resume, method="cyclegan", nets=(), overrides=overrides, defaults=CycleGANConfig().to_dict()
    )
    weights, trainer_state = None, None
    inherited: dict[str, Any] = {}
    if point is not None:
        if init_from is not None:
            raise ConfigError("--init-from starts a new run; it cannot be combined with resuming one")
        values, weights, trainer_state, inherited = point.values, point.weights, point.trainer_state, point.saved
        seed = point.seed if point.seed is not None else seed
    elif init_from is not None:
        from brushwork.api._models import find_model

        src = find_model(init_from)
        source_config = read_config(src)
        if source_config.get("method") != "cyclegan":
            raise CheckpointError(f"{src}: --init-from needs a cyclegan model, got {source_config.get('method')!r}")
        arch = _arch_from(source_config)
        free = frozenset(set(overrides) - set(_ARCH)) | _weightless_changes(arch, overrides)
        values = _merge({**CycleGANConfig().to_dict(), **arch}, overrides, allowed=free, source=str(src))
        weights = load_weights(src)
        inherited = {k: v for k, v in source_config.items() if k in ("domains", "default_direction")}
        log.info("fine-tuning from %s", src)
    else:
        values = {**CycleGANConfig().to_dict(), **overrides}
    if point is None and "bf16" not in overrides:  # new runs: bf16 autocast where the device does it natively
        values["bf16"] = bf16_supported(resolve_device(device))
    cfg = CycleGANConfig.from_dict(values)
    if point is not None:
        absent = [n for n in cfg.net_names() if n not in point.saved.get("nets", {})]
        if absent:
            raise CheckpointError(f"{out}: cannot resume, the checkpoint lacks {', '.join(absent)}")
    if cfg.objective == "onesided" and default_direction is None and "default_direction" not in inherited:
        default_direction = cfg.direction

    with distributed(device) as (dist_info, dev):
        seed_everything(seed + dist_info.rank)
        source = open_batches(
            dist_info, seed=seed, crop=cfg.crop_size, load=cfg.load_size, batch=cfg.batch_size, root=data
        )
        if cfg.objective == "onesided":
            if dist_info.enabled:
                raise ConfigError("one-sided training runs in one process (no torchrun); use one GPU or CPU")
            from brushwork.methods.onesided import OneSided

            model: Any = OneSided(cfg, device=dev, seed=seed, weights=weights)
        else:
            model = CycleGAN(
                cfg, device=dev, seed=seed, rank=dist_info.rank, distributed=dist_info.enabled, weights=weights
            )
        if trainer_state is not None:
            model.load_state_dict(trainer_state["trainable"])
        meta = {
            "domains": dict(zip(("A", "B"), domains, strict=True))
            if domains
            else inherited.get("domains", _domain_names(data)),
            "default_direction": default_direction or inherited.get("default_direction", "AtoB"),
            "data": {
                "root": str(data.resolve()),
                "images_a": len(source.domains[0]),
                "images_b": len(source.domains[1]),
                "skipped": len(source.skipped),
            },
            "seed": seed,
            "world_size": dist_info.world_size,
        }
        loop = LoopConfig(
            steps=cfg.steps,
            log_every=log_every,
            sample_every=sample_every,
            ckpt_every=ckpt_every,
            keep=keep,
            tensorboard=tensorboard,
            progress=progress,
            stop_at=stop_at,
            time_limit_s=time_limit_s,
            preview_every_s=preview_every_s,
        )
        return fit(model, source, run_dir=out, loop=loop, resume_state=trainer_state, meta=meta, dist_info=dist_info)
