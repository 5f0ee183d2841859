"""``brushwork.train_student``: distil the one-pass AdaIN teacher into the compact ``fast`` student (resumable, DDP)."""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from brushwork.errors import CheckpointError, ConfigError

__all__ = ["train_student"]

log = logging.getLogger(__name__)
#: Settings that describe the network (taken from the ``--init-from`` model).
_ARCH = ("widths", "enc_blocks", "dec_blocks", "style_dim", "dynamic")


def _held_out(saved: dict[str, Any]) -> set[str]:
    return set(saved.get("data", {}).get("held_out_styles", ()))


def _teacher(teacher: str | os.PathLike[str], exclude: Sequence[str]) -> dict[str, Any]:
    """The teacher's directory, checksum and lineage; its held-out styles must stay held out here."""
    from brushwork.api._models import find_model
    from brushwork.checkpoint import WEIGHTS_FILE, read_config
    from brushwork.weights import file_sha256

    path = find_model(teacher)
    saved = read_config(path)
    if saved.get("method") != "adain":
        raise CheckpointError(f"{path}: --teacher needs an adain model, got {saved.get('method')!r}")
    missing = sorted(_held_out(saved) - set(exclude))
    if missing:
        raise ConfigError(f"--teacher {path} held out {missing}: hold them out here too (--exclude-style)")
    return {"model": str(path), "sha256": file_sha256(path / WEIGHTS_FILE), "steps": saved.get("step")}


def _init_weights(
    init_from: str | os.PathLike[str], exclude: Sequence[str]
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Weights, data lineage and network shape of a student that starts a new run."""
    from brushwork.api._models import find_model
    from brushwork.checkpoint import load_weights, read_config

    src = find_model(init_from)
    saved = read_config(src)
    if saved.get("method") != "student":
        raise CheckpointError(f"{src}: --init-from needs a student (fast) model, got {saved.get('method')!r}")
    missing = sorted(_held_out(saved) - set(exclude))
    if missing:
        raise ConfigError(f"--init-from {src} held out {missing}: hold them out here too (--exclude-style)")
    arch = {k: saved["config"][k] for k in _ARCH if k in saved.get("config", {})}
    data = saved.get("data", {})
    lineage = {"init_from": {"model": str(src), "steps": saved.get("step"), "content": data.get("content")}}
    log.info("starting from %s (step %s)", src, saved.get("step"))
    return load_weights(src), lineage, arch


def _check_same_run(
    saved: dict[str, Any],
    content: Sequence[str | os.PathLike[str]],
    style: Sequence[str | os.PathLike[str]],
    exclude: Sequence[str],
    teacher: dict[str, Any],
) -> None:
    """Resuming with other folders, held-out styles or another teacher would change what is learnt."""
    data = saved.get("data", {})
    now = {
        "content": [str(Path(c).resolve()) for c in content],
        "style": [str(Path(s).resolve()) for s in style],
        "held_out_styles": sorted(exclude),
    }
    for key, value in now.items():
        if key in data and data[key] != value:
            raise ConfigError(f"resume: {key} {value} differs from the run's {data[key]} (pass the run's own)")
    before = saved.get("teacher", {})
    if before.get("sha256") not in (None, teacher["sha256"]):
        raise ConfigError(f"resume: --teacher {teacher['model']} is not the run's teacher {before.get('model')}")


def train_student(
    content: Sequence[str | os.PathLike[str]],
    style: Sequence[str | os.PathLike[str]],
    out: str | os.PathLike[str],
    *,
    teacher: str | os.PathLike[str] | None = None,
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
    """Train the ``fast`` student by distillation from an AdaIN ``teacher`` on photos and paintings.

    Args:
        content, style: folders of images (searched recursively; several allowed).
        out: the run directory (``checkpoints/``, ``metrics.jsonl``, ``samples/``).
        teacher: an AdaIN model or run directory (or shipped name): the network whose pictures the student
            learns. Required for a new run; when resuming, the run's own (checked by its weights' checksum).
            Its held-out styles must be held out here too.
        config: a :class:`~brushwork.methods.student.StudentConfig` or a dict of its fields (the rest default, or
            come from the checkpoint when resuming). Unless set, bf16 autocast where the device has it natively.
        resume: continue from ``out``'s newest checkpoint (starts fresh when it has none).
        steps: total steps (may be raised when resuming).
        exclude_styles: style file names or stems to hold out (e.g. for testing on unseen styles).
        balance: draw every style folder about equally often.
        init_from: a student model or run directory whose network starts a new run (its shape is taken; the
            optimiser starts fresh). Its held-out styles must stay held out.
        **loop: :class:`~brushwork.train.LoopConfig` options (``log_every``, ``sample_every``, ``ckpt_every``,
            ``keep``, ``tensorboard``, ``progress``, ``stop_at``, ``time_limit_s``, ``preview_every_s``).

    Returns:
        :class:`~brushwork.train.FitResult`.
    """
    from brushwork.api.train import loop_config, open_batches, resume_point
    from brushwork.api.train_adain import collect_images
    from brushwork.device import bf16_supported, resolve_device
    from brushwork.methods.adain import load_decoder
    from brushwork.methods.student import StudentConfig
    from brushwork.methods.student_trainer import StudentTrainer
    from brushwork.models.encoders import load_vgg16
    from brushwork.seed import seed_everything
    from brushwork.train import distributed, fit

    if not content or not style:
        raise ConfigError("student training needs at least one --content and one --style folder")
    out = Path(out)
    overrides = config.to_dict() if isinstance(config, StudentConfig) else dict(config or {})
    if steps is not None:
        overrides["steps"] = steps
    point = resume_point(out, resume=resume, method="student", nets=("student",), overrides=overrides)
    start, inherited = None, {}
    if point is not None and init_from is not None:
        raise ConfigError("--init-from starts a new run; it cannot be combined with resuming one")
    if point is None and teacher is None:
        raise ConfigError("a new student run needs --teacher (an adain model or run directory)")
    if point is not None and teacher is None:
        teacher = point.saved.get("teacher", {}).get("model")
        if teacher is None or not Path(teacher).exists():
            raise ConfigError(f"resume: the run's teacher {teacher} is gone; pass --teacher with a copy of it")
    assert teacher is not None
    teacher_info = _teacher(teacher, exclude_styles)
    if point is None and init_from is not None:
        start, inherited, arch = _init_weights(init_from, exclude_styles)
        overrides = {**overrides, **arch}
    if point is None:
        values = {**StudentConfig().to_dict(), **overrides}
        if "bf16" not in overrides:
            values["bf16"] = bf16_supported(resolve_device(device))
    else:
        values, seed = point.values, point.seed if point.seed is not None else seed
        _check_same_run(point.saved, content, style, exclude_styles, teacher_info)
        lineage = point.saved.get("data", {}).get("init_from")
        inherited = {} if lineage is None else {"init_from": lineage}
    cfg = StudentConfig.from_dict(values)
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
        encoder = load_vgg16(vgg16, device=dev)
        teacher_net, _ = load_decoder(teacher_info["model"], device=dev)
        if encoder.widths[3] != teacher_net.in_channels:
            raise ConfigError(f"--teacher {teacher_info['model']}: its decoder does not fit the VGG16 encoder")
        trainer = StudentTrainer(
            cfg,
            encoder=encoder,
            teacher=teacher_net,
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
            "teacher": teacher_info,
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
