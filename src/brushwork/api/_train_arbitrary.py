"""What ``train_adain`` and ``train_student`` share: one network beside a frozen VGG16, trained on content and style
folders with held-out styles (image lists, ``--init-from``, resuming, the run's metadata, the loop)."""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from brushwork.errors import CheckpointError, ConfigError, ImageError

if TYPE_CHECKING:
    from brushwork.api.train import ResumePoint

__all__ = ["Inputs", "Method", "Start", "check_held_out", "collect_images", "fit_run", "open_run", "start_run"]

log = logging.getLogger(__name__)
Folders = Sequence[str | os.PathLike[str]]


@dataclass(frozen=True)
class Method:
    """A method's names: ``name`` (config.json's ``method``), ``net`` (its network), ``config`` (its config
    class), ``kind`` (what ``--init-from`` must be, for errors), ``arch`` (settings taken from ``--init-from``),
    ``switchable`` (settings taken from ``--init-from`` unless given: no weight depends on them), ``growable``
    (network settings taken from ``--init-from`` unless given larger: the trainer grows the network),
    ``prunable`` (sets of parts taken from ``--init-from`` unless given a superset: the trainer drops the
    weights of the parts added to the set)."""

    name: str
    net: str
    config: type
    kind: str
    arch: tuple[str, ...]
    switchable: tuple[str, ...] = ()
    growable: tuple[str, ...] = ()
    prunable: tuple[str, ...] = ()


@dataclass(frozen=True)
class Inputs:
    """A run's arguments as given: folders, run directory, held-out styles, style balance, device, seed and
    ``--init-from`` model."""

    content: Folders
    style: Folders
    out: Path
    exclude: Sequence[str]
    balance: bool
    device: str
    seed: int
    init_from: str | os.PathLike[str] | None


@dataclass(frozen=True)
class Start:
    """Where a run begins: its checkpoint (``point``; ``None`` for a new run), settings, seed, starting weights
    and the data lineage it inherits (``--init-from``)."""

    point: ResumePoint | None
    values: dict[str, Any]
    seed: int
    weights: dict[str, Any] | None
    inherited: dict[str, Any]
    #: the inference defaults (``config.json`` ``defaults``, e.g. the student's ``detail``) of the model the run
    #: started from: its checkpoints keep them, so a checkpoint stylises as the model it would ship as
    defaults: dict[str, Any] = field(default_factory=dict)


def collect_images(folders: Folders, *, exclude: Sequence[str] = (), balance: bool = True) -> list[Path]:
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


def _data(content: Folders, style: Folders) -> dict[str, list[str]]:
    return {"content": [str(Path(c).resolve()) for c in content], "style": [str(Path(s).resolve()) for s in style]}


def check_held_out(saved: dict[str, Any], exclude: Sequence[str], *, flag: str, path: Path) -> None:
    """A model's held-out styles (its ``config.json``, ``saved``) must stay held out in a run that uses it."""
    missing = sorted(set(saved.get("data", {}).get("held_out_styles", ())) - set(exclude))
    if missing:
        raise ConfigError(f"{flag} {path} held out {missing}: hold them out here too (--exclude-style)")


def _init_weights(
    method: Method, init_from: str | os.PathLike[str], exclude: Sequence[str]
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Weights, data lineage, network shape and inference defaults of a ``method`` model that starts a new run."""
    from brushwork.api._models import find_model
    from brushwork.checkpoint import load_weights, read_config

    src = find_model(init_from)
    saved = read_config(src)
    if saved.get("method") != method.name:
        raise CheckpointError(f"{src}: --init-from needs {method.kind}, got {saved.get('method')!r}")
    check_held_out(saved, exclude, flag="--init-from", path=src)
    taken = method.arch + method.switchable + method.prunable
    arch = {k: saved["config"][k] for k in taken if k in saved.get("config", {})}
    data = saved.get("data", {})
    lineage = {"init_from": {"model": str(src), "steps": saved.get("step"), "content": data.get("content")}}
    log.info("starting from %s (step %s)", src, saved.get("step"))
    return load_weights(src), lineage, arch, _inference_defaults(saved)


def _inference_defaults(saved: dict[str, Any]) -> dict[str, Any]:
    """A model's or checkpoint's ``config.json`` ``defaults`` (``{}`` when it has none)."""
    defaults = saved.get("defaults")
    return dict(defaults) if isinstance(defaults, dict) else {}


def open_run(
    method: Method, given: Inputs, *, config: Any, steps: int | None, resume: bool
) -> tuple[dict[str, Any], ResumePoint | None]:
    """The settings given (``config`` and ``steps``) and the checkpoint to resume (``None``: a new run)."""
    from brushwork.api.train import resume_point

    if not given.content or not given.style:
        raise ConfigError(f"{method.name} training needs at least one --content and one --style folder")
    overrides = config.to_dict() if isinstance(config, method.config) else dict(config or {})
    if steps is not None:
        overrides["steps"] = steps
    point = resume_point(
        given.out,
        resume=resume,
        method=method.name,
        nets=(method.net,),
        overrides=overrides,
        defaults=method.config().to_dict(),
    )
    if point is not None and given.init_from is not None:
        raise ConfigError("--init-from starts a new run; it cannot be combined with resuming one")
    return overrides, point


def start_run(method: Method, given: Inputs, point: ResumePoint | None, overrides: dict[str, Any]) -> Start:
    """A new run's settings (defaults, ``--init-from``'s shape, ``overrides``; bf16 where native) or a resumed
    run's, whose folders and held-out styles must be the run's own."""
    if point is None:
        weights, inherited, defaults = None, {}, {}
        if given.init_from is not None:
            weights, inherited, arch, defaults = _init_weights(method, given.init_from, given.exclude)
            for key in set(method.growable) & set(arch) & set(overrides):
                if overrides[key] < arch[key]:
                    raise ConfigError(f"--init-from has {key}={arch[key]}; a grown network cannot have fewer")
            for key in set(method.prunable) & set(arch) & set(overrides):
                if not set(overrides[key]) >= set(arch[key]):
                    raise ConfigError(f"--init-from has {key}={arch[key]}; a pruned network keeps those")
            given_ok = set(method.switchable) | set(method.growable) | set(method.prunable)
            kept = {k: v for k, v in arch.items() if k not in given_ok or k not in overrides}
            overrides = {**overrides, **kept}
        values = {**method.config().to_dict(), **overrides}
        if "bf16" not in overrides:
            from brushwork.device import bf16_supported, resolve_device

            values["bf16"] = bf16_supported(resolve_device(given.device))
        return Start(None, values, given.seed, weights, inherited, defaults)
    data = point.saved.get("data", {})
    now = {**_data(given.content, given.style), "held_out_styles": sorted(given.exclude)}
    for key, value in now.items():
        if key in data and data[key] != value:
            raise ConfigError(f"resume: {key} {value} differs from the run's {data[key]} (pass the run's own)")
    lineage = data.get("init_from")
    inherited = {} if lineage is None else {"init_from": lineage}
    seed = point.seed if point.seed is not None else given.seed
    return Start(point, point.values, seed, point.weights, inherited, _inference_defaults(point.saved))


def fit_run(
    given: Inputs,
    start: Start,
    cfg: Any,
    make_trainer: Callable[[Any, bool], Any],
    *,
    loop: dict[str, Any],
    meta: dict[str, Any] | None = None,
    add_source: Callable[[Any, Any], tuple[Any, dict[str, Any]]] | None = None,
) -> Any:
    """Train ``make_trainer(device, distributed)`` on the folders' images (DDP under ``torchrun``) → ``FitResult``.

    ``meta`` (e.g. the teacher) joins the run's metadata after ``data``; ``add_source(batches, dist_info)`` →
    ``(the batches to train on, what joins data)`` mixes more data into the folders' stream (target pictures).
    """
    from brushwork.api.train import loop_config, open_batches
    from brushwork.seed import seed_everything
    from brushwork.train import distributed, fit

    content_files = collect_images(given.content)
    style_files = collect_images(given.style, exclude=given.exclude, balance=given.balance)
    with distributed(given.device) as (dist_info, dev):
        seed_everything(start.seed + dist_info.rank)
        source = open_batches(
            dist_info,
            seed=start.seed,
            crop=cfg.crop,
            load=cfg.load_size,
            crop_b=cfg.style_crop,
            load_b=cfg.style_load_size or cfg.load_size,  # 0: the photos' scale, as the config says
            batch=cfg.batch_size,
            files=(content_files, style_files),
        )
        trainer = make_trainer(dev, dist_info.enabled)
        if start.point is not None:
            trainer.load_state_dict(start.point.trainer_state["trainable"])
        data = {
            **_data(given.content, given.style),
            "content_images": len(set(source.domains[0].files)),
            "style_images": len(set(source.domains[1].files)),
            "held_out_styles": sorted(given.exclude),
            "skipped": len(source.skipped),
            **start.inherited,
        }
        if add_source is not None:
            source, more = add_source(source, dist_info)
            data.update(more)
        info = {"data": data, **(meta or {}), "seed": start.seed, "world_size": dist_info.world_size}
        if start.defaults:
            info["defaults"] = start.defaults
        loop.setdefault("sample_every", max(1, min(500, math.ceil(cfg.steps / 10))))
        return fit(
            trainer,
            source,
            run_dir=given.out,
            loop=loop_config(cfg.steps, loop),
            resume_state=None if start.point is None else start.point.trainer_state,
            meta=info,
            dist_info=dist_info,
        )
