"""``brushwork.train_student``: distil the one-pass AdaIN teacher into the compact ``fast`` student (resumable, DDP)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from brushwork.errors import CheckpointError, ConfigError

__all__ = ["train_student"]

#: Settings that describe the network (taken from the ``--init-from`` model).
_ARCH = ("widths", "enc_blocks", "dec_blocks", "quarter_blocks", "style_dim", "dynamic", "noise")
#: Taken from the ``--init-from`` model unless given (no weight depends on them).
_SWITCHABLE = ("upsample", "luma_input", "cell_notch")
#: Taken from the ``--init-from`` model unless given larger: the new blocks start as the identity.
_GROWABLE = ("enc_blocks", "quarter_blocks", "noise")
#: Taken from the ``--init-from`` model unless given a superset: the new static sites drop their filter heads.
_PRUNABLE = ("static",)


def _teacher(teacher: str | os.PathLike[str], exclude: Sequence[str]) -> dict[str, Any]:
    """The teacher's directory, checksum and lineage; its held-out styles must stay held out here."""
    from brushwork.api._models import find_model
    from brushwork.api._train_arbitrary import check_held_out
    from brushwork.checkpoint import WEIGHTS_FILE, read_config
    from brushwork.weights import file_sha256

    path = find_model(teacher)
    saved = read_config(path)
    if saved.get("method") != "adain":
        raise CheckpointError(f"{path}: --teacher needs an adain model, got {saved.get('method')!r}")
    check_held_out(saved, exclude, flag="--teacher", path=path)
    return {"model": str(path), "sha256": file_sha256(path / WEIGHTS_FILE), "steps": saved.get("step")}


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
    targets: str | os.PathLike[str] | None = None,
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
        init_from: a student model or run directory whose network starts a new run (its shape is taken, and its
            ``upsample``, ``luma_input`` and ``cell_notch`` unless ``config`` sets them: a :class:`StudentConfig` object
            sets every field, a dict only its keys; the optimiser starts fresh). Its held-out styles must stay held out.
            ``enc_blocks`` and ``quarter_blocks`` may be set larger than the model's: the new residual blocks start as
            the identity, so the grown network starts as the model; so does ``noise`` set on a model without it (the
            noise starts at zero). ``static`` may add sites: their dynamic filters are dropped.
        targets: a folder of precomputed target pictures (:mod:`brushwork.data.paired_targets`, e.g. Gatys'
            pictures from ``scripts/gatys_targets.py``): every ``target_every``-th step learns them instead of
            the teacher's. When resuming, the run's own (another folder is refused); it may have grown since,
            which changes the target stream from the resume on.
        **loop: :class:`~brushwork.train.LoopConfig` options (``log_every``, ``sample_every``, ``ckpt_every``,
            ``keep``, ``tensorboard``, ``progress``, ``stop_at``, ``time_limit_s``, ``preview_every_s``).

    Returns:
        :class:`~brushwork.train.FitResult`.
    """
    from brushwork.api._train_arbitrary import Inputs, Method, fit_run, open_run, start_run
    from brushwork.color import default_palette
    from brushwork.detail import default_amount
    from brushwork.methods.adain import load_decoder
    from brushwork.methods.student import StudentConfig
    from brushwork.methods.student_trainer import StudentTrainer
    from brushwork.methods.underpaint import default_amount as default_underpaint
    from brushwork.models.encoders import load_vgg16
    from brushwork.work_scale import check_defaults

    kind = "a student (fast) model"
    method = Method("student", "student", StudentConfig, kind, _ARCH, _SWITCHABLE, _GROWABLE, _PRUNABLE)
    given = Inputs(content, style, Path(out), exclude_styles, balance, device, seed, init_from)
    overrides, point = open_run(method, given, config=config, steps=steps, resume=resume)
    if point is None and teacher is None:
        raise ConfigError("a new student run needs --teacher (an adain model or run directory)")
    if point is not None and teacher is None:
        teacher = point.saved.get("teacher", {}).get("model")
        if teacher is None or not Path(teacher).exists():
            raise ConfigError(f"resume: the run's teacher {teacher} is gone; pass --teacher with a copy of it")
    assert teacher is not None
    teacher_info = _teacher(teacher, exclude_styles)
    run = start_run(method, given, point, overrides)
    before = {} if point is None else point.saved.get("teacher", {})  # another teacher: other things learnt
    if before.get("sha256") not in (None, teacher_info["sha256"]):
        raise ConfigError(f"resume: --teacher {teacher_info['model']} is not the run's teacher {before.get('model')}")
    cfg = StudentConfig.from_dict(run.values)
    inherited = {"defaults": run.defaults}  # checked here, not when a checkpoint first stylises
    palette, _, _ = default_palette(inherited), default_amount(inherited), default_underpaint(inherited)
    check_defaults(inherited)

    def trainer(dev: Any, distributed: bool) -> StudentTrainer:
        encoder = load_vgg16(vgg16, device=dev)
        teacher_net, _ = load_decoder(teacher_info["model"], device=dev)
        if encoder.widths[3] != teacher_net.in_channels:
            raise ConfigError(f"--teacher {teacher_info['model']}: its decoder does not fit the VGG16 encoder")
        return StudentTrainer(
            cfg,
            encoder=encoder,
            teacher=teacher_net,
            device=dev,
            seed=run.seed,
            distributed=distributed,
            weights=run.weights,
            grow=point is None and init_from is not None,
            preview_palette=palette,
        )

    saved_targets = None if point is None else point.saved.get("data", {}).get("targets", {}).get("folder")
    if targets is None:
        targets = saved_targets
    elif saved_targets is not None and Path(targets).resolve() != Path(saved_targets):
        raise ConfigError(f"resume: --targets {targets} is not the run's target folder {saved_targets}")
    if targets is not None and not Path(targets).is_dir():
        raise ConfigError(f"--targets {targets}: no such folder (pass --targets with the pictures' folder)")

    def add_targets(batches: Any, dist_info: Any) -> tuple[Any, dict[str, Any]]:
        from brushwork.data.paired_targets import Interleaved, TargetBatches

        assert targets is not None
        folder = Path(targets)
        pairs = TargetBatches(
            folder,
            crop=cfg.crop,
            style_crop=cfg.style_crop or cfg.crop,
            style_load=cfg.style_load_size or cfg.load_size,
            load_size=cfg.load_size,
            batch_size=cfg.batch_size,
            seed=run.seed,
            rank=dist_info.rank,
            world_size=dist_info.world_size,
            exclude=tuple(exclude_styles),
        )
        info = {"folder": str(folder.resolve()), "pairs": len(pairs), "every": cfg.target_every}
        return Interleaved(batches, pairs, cfg.target_every), {"targets": info}

    extra = None if targets is None else add_targets
    return fit_run(given, run, cfg, trainer, loop=loop, meta={"teacher": teacher_info}, add_source=extra)
