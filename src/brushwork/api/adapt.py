"""``brushwork.adapt``: your own artist from a few paintings, by fine-tuning a shipped photo → painting model.

:func:`adapt` is a preset over :func:`brushwork.api.train.train` (the one-sided recipe, the one training loop,
its atomic checkpoints and exact resume), not a loop of its own. It

1. finds the images in the paintings folder (recursively; files that are not images are counted and skipped,
   unreadable images are skipped by the data layer and counted in the model's ``config.json``), takes all of them
   up to ``max_paintings`` (default 500) or else a seeded random ``max_paintings`` of them (sorted by name first,
   so the same folder always gives the same subset), warns under 10 paintings, and warns when the folder looks
   like photos (:mod:`brushwork.metrics.painting`, on at most 16 of them);
2. lays out an unpaired data folder inside the run folder, ``RUN/data/trainA`` (the paintings) and
   ``RUN/data/trainB`` (the photos), as symbolic links named ``NNNN_<file name>`` (hard links or copies where
   the file system has no symbolic links), rebuilt on every call;
3. trains a one-sided model that starts from ``start`` (default: the shipped ``vangogh``; ``scratch=True``: the
   same architecture from random weights, the baseline) with :data:`PRESET`, until the time budget
   (``minutes`` of training, counted across ``resume``\\ s) or ``max_steps``, keeping ``RUN/preview.jpg`` (the
   sample grid: photo | painted photo | painting | painting through the generator) at most ``preview_every_s``
   old;
4. writes a clean model directory at ``out`` (fp16 generator ``G_BA`` + discriminator ``D_A``, ``config.json``,
   a generated ``MODEL_CARD.md``) that ``translate``, ``export``, ``serve --model`` and ``evaluate`` take like any
   other model.

The run folder (default ``OUT.run`` beside ``out``) keeps the checkpoints (``--resume`` continues from the newest;
they are written atomically, so a killed run loses at most ``ckpt_every`` steps), ``metrics.jsonl``, ``samples/``,
``preview.jpg``, ``data/`` and ``adapt.json`` (what was used).

Photos (domain B): ``photos`` when given; else the bundled photos (:func:`brushwork.samples.bundled_photos`) if
there are at least :data:`MIN_BUNDLED_PHOTOS` of them; else ``../shared/data/vangogh2photo/trainB`` (beside the
current folder, then beside this source checkout) when it exists; else a one-line error asking for ``--photos``.
The package ships only 4 licence-clean photos today (scikit-image's), too few to train on, so in practice it is the
second or third case.

Why :data:`PRESET` (for 10–100 paintings; the defaults are the Van Gogh recipe's, docs/vangogh_recipe.md, and the
measurement in docs/adapt.md will tune them):

- **Start from a painting model, same architecture, both networks.** The shipped generator already turns photos
  into *paint* (palette, texture) while keeping their structure (skip UNet: it predicts a change to the photo), and
  its VGG-feature discriminator already tells paint from photo; adaptation only has to move both to the new
  artist, which takes far fewer steps than learning from the photo (the from-scratch rows of the recipe table).
- **DiffAugment colour, translation, cutout on everything D sees** (Zhao et al. 2020): with tens of images a
  discriminator memorises them within a few hundred steps and its gradients become useless; the same random
  differentiable transforms on real and generated images prevent that (the paper's 100-image results).
- **Identity weight 1** (an L1 term: G of a painting should be that painting): keeps G from repainting what is
  already in the target style, and with few paintings is a cheap regulariser against inventing a style.
- **lr 2e-4, constant** (``decay_from`` 1): the recipe's rate; a time budget has no known last step to decay to.
- **128-px crops, batch 1, bf16 autocast where the CPU has it natively**: the recipe's CPU setting (0.42–0.45 CPU-s
  per step for this model on one AVX-512 core: about 8000 steps in an hour on one thread).
- **Generator encoder not frozen by default** (``freeze_encoder``): freezing the downsampling half leaves fewer
  parameters to over-fit 30 paintings but keeps the Van Gogh model's features, and saves little time (0.42 vs
  0.44 s a step measured; the frozen VGG16 passes dominate); whether it helps another artist is for the
  measurement to say, so it is an option.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from brushwork.api.adapt_eval import EVAL_LIMIT
from brushwork.errors import CheckpointError, ConfigError, ImageError

__all__ = ["MIN_BUNDLED_PHOTOS", "PRESET", "AdaptResult", "adapt", "default_run_dir", "resolve_photos"]

log = logging.getLogger(__name__)

#: Training settings of an adaptation (the architecture comes from the start model).
PRESET: dict[str, Any] = {
    "objective": "onesided",
    "direction": "BtoA",
    "diffaugment": "color,translation,cutout",
    "lambda_identity": 1.0,
    "lambda_nce": 1.0,
    "lr": 2e-4,
    "decay_from": 1.0,
    "crop_size": 128,
    "batch_size": 1,
    "freeze_encoder": False,
}
#: Fewer paintings than this: a warning (it still runs).
MIN_PAINTINGS = 10
#: At most this many paintings and photos are used (a seeded random subset of larger folders).
MAX_PAINTINGS, MAX_PHOTOS = 500, 1000
#: Bundled photos are used only when there are at least this many.
MIN_BUNDLED_PHOTOS = 10
#: Where the photo side comes from when no ``photos`` folder is given and the bundled set is too small.
FALLBACK_PHOTOS = (
    Path("..") / "shared" / "data" / "vangogh2photo" / "trainB",
    Path(__file__).resolve().parents[3].parent / "shared" / "data" / "vangogh2photo" / "trainB",
)
#: How many paintings the photo-or-painting check looks at.
CHECK_IMAGES = 16
_GENERIC_NAMES = frozenset({"traina", "testa", "train", "test", "paintings", "images", "img", "data", "style"})

PathLike = str | os.PathLike[str]


@dataclass(frozen=True)
class AdaptResult:
    """How an adaptation ended: the model directory, the run folder, steps, training seconds, data, warnings."""

    model: Path
    run: Path
    step: int
    stopped: str | None
    seconds: float
    paintings: int
    photos: int
    warnings: list[str] = field(default_factory=list)
    #: The scores against ``held_out`` paintings (:func:`brushwork.api.adapt_eval.score_adapted`), if asked.
    evaluation: dict[str, Any] | None = None


def default_run_dir(out: PathLike) -> Path:
    """The run folder of a model directory ``out``: ``OUT.run`` beside it."""
    out = Path(out)
    return out.with_name(out.name + ".run")


def _inside(path: Path, folders: tuple[Path, ...]) -> bool:
    resolved = path.resolve()
    return any(resolved.is_relative_to(f) for f in folders)


def _scan(folder: Path, what: str, *, exclude: tuple[Path, ...] = ()) -> tuple[list[Path], list[Path]]:
    """(image files by suffix, other files) under ``folder``, sorted; hidden files and folders and ``exclude``
    ignored."""
    from brushwork.imageio import IMAGE_SUFFIXES

    if not folder.is_dir():
        raise ImageError(f"{folder}: no such {what} folder")
    excluded = tuple(e.resolve() for e in exclude)
    files = sorted(
        p
        for p in folder.rglob("*")
        if p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
        and not (excluded and _inside(p, excluded))
    )
    images = [p for p in files if p.suffix.lower() in IMAGE_SUFFIXES]
    return images, [p for p in files if p.suffix.lower() not in IMAGE_SUFFIXES]


def _subset(files: list[Path], limit: int, seed: int) -> list[Path]:
    """All of ``files`` (sorted), or a seeded random ``limit`` of them, in their sorted order."""
    if len(files) <= limit:
        return files
    import numpy as np

    picks = np.random.default_rng(seed).choice(len(files), size=limit, replace=False)
    return [files[i] for i in sorted(picks.tolist())]


def resolve_photos(photos: PathLike | None, *, seed: int = 0) -> tuple[list[Path], str]:
    """The photo files to train on and where they came from (see the module docstring for the order)."""
    from brushwork.samples import bundled_photos

    if photos is not None:
        images, _ = _scan(Path(photos), "photo")
        if not images:
            raise ImageError(f"{photos}: no photos in it (jpg, png, webp, ...)")
        return _subset(images, MAX_PHOTOS, seed), str(Path(photos))
    bundled = bundled_photos()
    if len(bundled) >= MIN_BUNDLED_PHOTOS:
        return bundled, "the bundled photos"
    for candidate in FALLBACK_PHOTOS:
        if candidate.is_dir():
            images, _ = _scan(candidate, "photo")
            if images:
                return _subset(images, MAX_PHOTOS, seed), str(candidate.resolve())
    raise ConfigError(
        f"no photos to train on: only {len(bundled)} bundled and no {FALLBACK_PHOTOS[0]}; "
        "pass --photos DIR (a folder of everyday photos, 100 or more)"
    )


def _link_all(files: list[Path], folder: Path) -> None:
    """``folder`` (emptied) with one link per file, ``NNNN_<name>``: symbolic, else hard, else a copy."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for i, src in enumerate(files):
        dst = folder / f"{i:04d}_{src.name}"
        try:
            os.symlink(src.resolve(), dst)
        except OSError:
            try:
                os.link(src, dst)
            except OSError:
                shutil.copyfile(src, dst)


def _domain_name(folder: Path, name: str | None) -> str:
    if name:
        return name
    for part in (folder.resolve(), *folder.resolve().parents):
        if part.name and part.name.lower() not in _GENERIC_NAMES:
            return part.name
    return "paintings"


def _painting_check(files: list[Path], device: Any) -> tuple[bool, float, int]:
    """(looks like paintings, mean probability, images looked at) for up to :data:`CHECK_IMAGES` of ``files``."""
    import numpy as np
    import torch

    from brushwork.api._models import vgg16_encoder
    from brushwork.data.folders import decode_uint8
    from brushwork.metrics.painting import PAINTING_SIZE, looks_like_paintings, painting_probability

    encoder = vgg16_encoder(device)
    picks = np.linspace(0, len(files) - 1, num=min(CHECK_IMAGES, len(files))).round().astype(int)
    probabilities = []
    for i in dict.fromkeys(picks.tolist()):
        try:
            image = decode_uint8(files[i], PAINTING_SIZE).unsqueeze(0).float().div(255).to(device)
        except (ImageError, OSError):
            continue  # the data layer reports unreadable files
        probabilities.append(float(painting_probability(encoder, image)[0]))
    if not probabilities:
        return True, float("nan"), 0
    ok, mean = looks_like_paintings(torch.tensor(probabilities))
    return ok, mean, len(probabilities)


def _start_model(start: PathLike) -> tuple[Path, dict[str, Any]]:
    """The start model's directory and config; it must hold a photo (B) → painting (A) generator ``G_BA``."""
    from brushwork.api._models import find_model
    from brushwork.checkpoint import read_config

    src = find_model(start)
    config = read_config(src)
    if config.get("method") != "cyclegan" or "G_BA" not in config["nets"]:
        raise CheckpointError(
            f"{start}: adapt starts from a photo → painting model with a G_BA generator (like vangogh), "
            f"got a {config.get('method')!r} model with {', '.join(config['nets'])}"
        )
    return src, config


def _card(info: dict[str, Any], config: dict[str, Any]) -> str:
    """The adapted model's MODEL_CARD.md."""
    from brushwork.api.adapt_eval import card_lines

    settings = config["config"]
    g = config["nets"]["G_BA"]
    start = "random weights (from scratch), the architecture of " if info["scratch"] else ""
    minutes = info["seconds"] / 60
    photos = f" --photos {info['photos']}" if info["photos_given"] else ""
    lines = [
        f"# {info['name']} — photo → {info['name']} (adapted by `brushwork adapt`)",
        "",
        f"Paints photos like the {info['paintings_used']} paintings it was adapted to. Use: `brushwork translate "
        f"{info['model']} photo.jpg -o out.jpg` (`--strength S` scales the painted change: 0 = the photo, 1 = as "
        f"trained; this model's default is {g.get('strength', 1.0)}).",
        "",
        "## Data",
        f"- Paintings: `{info['paintings']}`: {info['paintings_found']} images found, {info['paintings_used']} used"
        + (f" (a random {info['paintings_used']}, seed {info['seed']})" if info["subset"] else "")
        + f", {config['data']['skipped']} unreadable skipped, {info['not_images']} other files ignored. Their "
        "copyright is the owner's: check it before you share outputs.",
        f"- Photos: {info['photos']} ({info['photos_used']} images).",
    ]
    lines += [f"- Warning: {w}" for w in info["warnings"]]
    lines += [
        "",
        "## Model and settings",
        f"- Started from: {start}`{info['start']}` ({g['kind']} generator, ngf {g['ngf']}, "
        f"{'skip, ' if g.get('skip') else ''}discriminator {settings['discriminator']}).",
        f"- One-sided training (CUT + PatchNCE on VGG16), DiffAugment `{settings['diffaugment'] or 'none'}`, identity "
        f"weight {settings['lambda_identity']}, Adam lr {settings['lr']} (constant), {settings['crop_size']}-px crops, "
        f"batch {settings['batch_size']}, bf16 autocast {'on' if settings['bf16'] else 'off'}, generator encoder "
        f"{'frozen' if settings['freeze_encoder'] else 'trained'}, seed {info['seed']}.",
        f"- Training: {config['step']} steps in {minutes:.1f} minutes of training (wall clock, {info['device']}, "
        f"{info['threads']} thread{'s' if info['threads'] > 1 else ''}; budget {info['minutes']:g} min); stopped by "
        f"{info['stopped'] or 'finishing its steps'}.",
        f"- Run folder (checkpoints, metrics.jsonl, samples/, preview.jpg): `{info['run']}`; more time: "
        f"`brushwork adapt --paintings {info['paintings']}{photos} --out {info['model']} --resume --minutes M` (M: the "
        "new total).",
        "",
    ]
    lines += card_lines(info.get("evaluation"), info["model"])
    return "\n".join(lines)


def _write_model(checkpoint: Path, out: Path, info: dict[str, Any], strength: float | None) -> Path:
    """The slim fp16 model directory (G_BA + D_A) with its card, from a run's checkpoint."""
    from brushwork.checkpoint import load_weights, read_config, save_model_dir

    config, weights = read_config(checkpoint), load_weights(checkpoint)
    nets = {n: dict(config["nets"][n]) for n in ("G_BA", "D_A") if n in config["nets"]}
    if strength is not None:
        if strength < 0 or (strength != 1.0 and not nets["G_BA"].get("skip")):
            raise ConfigError(f"--strength {strength}: needs a skip generator and a value >= 0")
        nets["G_BA"]["strength"] = float(strength)
    kept = {k: v.half() for k, v in weights.items() if k.split(".", 1)[0] in nets}
    keys = ("paintings", "paintings_used", "photos", "start", "scratch", "seconds", "evaluation")
    adapt_info = {k: info[k] for k in keys if k in info}
    config = {**config, "nets": nets, "dtype": "float16", "adapt": adapt_info}
    for key in ("format", "format_version", "brushwork_version"):
        config.pop(key, None)
    return save_model_dir(out, weights=kept, config=config, card=_card(info, config))


def _check_out(out: Path) -> None:
    """``out`` must be new, or a model directory that ``adapt`` wrote (it is replaced)."""
    if not out.exists():
        return
    config_file = out / "config.json"
    if out.is_dir() and not any(out.iterdir()):
        return
    try:
        adapted = "adapt" in json.loads(config_file.read_text())
    except (OSError, ValueError):
        adapted = False
    if not adapted:
        raise ConfigError(f"{out}: exists and is not a model that adapt wrote; choose a new --out")


def adapt(
    paintings: PathLike,
    out: PathLike,
    *,
    photos: PathLike | None = None,
    start: PathLike = "vangogh",
    scratch: bool = False,
    minutes: float = 60.0,
    resume: bool = False,
    run: PathLike | None = None,
    max_steps: int = 100_000,
    max_paintings: int = MAX_PAINTINGS,
    lr: float | None = None,
    crop: int | None = None,
    lambda_identity: float | None = None,
    diffaugment: str | None = None,
    freeze_encoder: bool | None = None,
    bf16: bool | None = None,
    config: dict[str, Any] | None = None,
    strength: float | None = None,
    name: str | None = None,
    check: bool = True,
    preview_every_s: float = 60.0,
    ckpt_every: int = 250,
    sample_every: int = 250,
    progress: bool = True,
    device: str = "auto",
    seed: int = 0,
    held_out: PathLike | None = None,
    eval_photos: PathLike | None = None,
    eval_limit: int = EVAL_LIMIT,
) -> AdaptResult:
    """Adapt a photo → painting model to the paintings in ``paintings``; write the model directory ``out``.

    Args:
        paintings: folder of one artist's paintings (any image files, searched recursively).
        out: the model directory to write (new, or one that ``adapt`` wrote before: replaced).
        photos: folder of photos (default: see the module docstring).
        start: the model to start from (shipped name, model or run directory; default ``vangogh``).
        scratch: same architecture as ``start`` but random weights (the baseline to compare with).
        minutes: training time budget (wall clock, the training loop only; with ``resume`` the total so far
            counts, so ``minutes=60`` after a 40-minute run trains 20 more).
        resume: continue the run folder's newest checkpoint (starts a new run when there is none).
        run: the run folder (default ``OUT.run``).
        max_steps: stop at this many steps even with time left.
        max_paintings: a seeded random subset of larger folders (default 500).
        lr, crop, lambda_identity, diffaugment, freeze_encoder, bf16: override :data:`PRESET` (``None``: the
            preset, or the run's own settings when resuming); ``config``: any other
            :class:`~brushwork.methods.cyclegan.CycleGANConfig` fields.
        strength: the written model's default ``--strength`` (default 1: as trained).
        name: the artist's name for the model card and ``config.json`` (default: the folder's name).
        check: warn when the paintings look like photos (costs a few seconds).
        preview_every_s: ``RUN/preview.jpg`` is refreshed this often (seconds).
        ckpt_every, sample_every: checkpoint and ``RUN/samples/`` grid every N steps.
        held_out: paintings of the same artist that it does not train on: after training, the model is scored
            against them (SSIM, KID ratio, discriminator accuracy; :mod:`brushwork.api.adapt_eval`) and the
            numbers go into its card and ``config.json``; checked before training.
        eval_photos, eval_limit: the photos to score on (the first ``eval_limit``; default: the ``testB`` beside
            the fallback ``trainB`` photos; never training photos).

    Returns:
        :class:`AdaptResult`. Errors (:class:`~brushwork.errors.BrushworkError`) are one line.
    """
    from brushwork.api.train import train
    from brushwork.checkpoint import latest_checkpoint, load_trainer_state
    from brushwork.device import resolve_device

    paintings, out = Path(paintings), Path(out)
    run_dir = Path(run) if run is not None else default_run_dir(out)
    if minutes <= 0 or max_steps < 1 or max_paintings < 1:
        raise ConfigError("--minutes, --max-steps and --max-paintings must be positive")
    if run_dir.resolve() == out.resolve():
        raise ConfigError(f"{out}: the model directory and the run folder must differ")
    _check_out(out)
    checkpoint = latest_checkpoint(run_dir)
    if checkpoint is not None and not resume:
        raise ConfigError(
            f"{run_dir}: an adaptation is already there ({checkpoint.name}); pass --resume to continue it"
        )
    warnings: list[str] = []

    def warn(message: str) -> None:
        log.warning("%s", message)
        warnings.append(message)

    found, others = _scan(paintings, "paintings", exclude=(run_dir, out))
    if not found:
        raise ImageError(f"{paintings}: no paintings in it (jpg, png, webp, ...): adapt needs 10–100 of one artist")
    if others:
        kinds = ", ".join(sorted({p.suffix.lower() or "(no suffix)" for p in others})[:5])
        log.warning("%s: %d files that are not images ignored (%s)", paintings, len(others), kinds)
    used = _subset(found, max_paintings, seed)
    if len(used) < len(found):
        log.warning("%d paintings found; training on a random %d of them (--max-paintings)", len(found), len(used))
    if len(found) < MIN_PAINTINGS:
        warn(
            f"only {len(found)} painting{'s' if len(found) > 1 else ''}: the model will copy "
            f"{'them' if len(found) > 1 else 'it'} closely; {MIN_PAINTINGS}–100 paintings of one artist work best"
        )
    photo_files, photo_source = resolve_photos(photos, seed=seed)
    scored_on = None
    if held_out is not None:
        from brushwork.api.adapt_eval import check_held_out

        scored_on = check_held_out(held_out, eval_photos, paintings=used, photos=photo_files, photo_source=photo_source)

    saved_info: dict[str, Any] = {}
    if checkpoint is not None and (run_dir / "adapt.json").is_file():
        saved_info = json.loads((run_dir / "adapt.json").read_text())
    if checkpoint is None:
        start_dir, _ = _start_model(start)
    else:  # the run's own start (not needed to continue it)
        start_dir = Path(saved_info.get("start_dir", str(start)))
        scratch = bool(saved_info.get("scratch", scratch))
    explicit = {
        "lr": lr,
        "crop_size": crop,
        "lambda_identity": lambda_identity,
        "diffaugment": diffaugment,
        "freeze_encoder": freeze_encoder,
        "bf16": bf16,
        **(config or {}),
    }
    explicit = {k: v for k, v in explicit.items() if v is not None}
    if checkpoint is not None:  # the run's own settings; what is given must agree (train() checks)
        overrides = explicit
    else:
        overrides = {**PRESET, **explicit}
        if scratch:
            from brushwork.api.train import _arch_from
            from brushwork.checkpoint import read_config

            overrides = {**_arch_from(read_config(start_dir)), **overrides}
            if overrides.get("freeze_encoder"):
                raise ConfigError("--freeze-encoder keeps the start model's encoder: it cannot go with --scratch")
        if check:
            from brushwork.metrics.painting import PAINTING_THRESHOLD

            ok, score, looked = _painting_check(used, resolve_device(device))
            if not ok:
                warn(
                    f"{paintings} looks like photos, not paintings (painting score {score:.2f} < "
                    f"{PAINTING_THRESHOLD} over {looked} images): the model will learn to paint like these photos"
                )
    if saved_info and saved_info.get("paintings_used_files") != [str(p.resolve()) for p in used]:
        log.warning("the paintings differ from those this run started with; resuming on the current ones")
    name = name or saved_info.get("name") or _domain_name(paintings, None)

    _link_all(used, run_dir / "data" / "trainA")
    _link_all(photo_files, run_dir / "data" / "trainB")
    if checkpoint is None:
        (run_dir / "metrics.jsonl").unlink(missing_ok=True)  # left by a run that never reached a checkpoint
    info = {
        "name": name,
        "paintings": str(paintings),
        "paintings_found": len(found),
        "paintings_used": len(used),
        "paintings_used_files": [str(p.resolve()) for p in used],
        "subset": len(used) < len(found),
        "not_images": len(others),
        "photos": photo_source,
        "photos_given": photos is not None or bool(saved_info.get("photos_given")),
        "photos_used": len(photo_files),
        "start": str(saved_info.get("start", start)),
        "start_dir": str(start_dir),
        "scratch": scratch,
        "seed": seed,
        "minutes": minutes,
        "warnings": saved_info.get("warnings", []) + [w for w in warnings if w not in saved_info.get("warnings", [])],
    }
    (run_dir / "adapt.json").write_text(json.dumps(info, indent=2) + "\n")

    elapsed = float(load_trainer_state(checkpoint).get("elapsed_s", 0.0)) if checkpoint is not None else 0.0
    remaining = minutes * 60 - elapsed
    stopped: str | None = "time_limit"
    if checkpoint is not None and remaining <= 0:
        log.warning(
            "%s already trained %.1f of %g minutes; raise --minutes to train more", run_dir, elapsed / 60, minutes
        )
    else:
        result = train(
            run_dir / "data",
            run_dir,
            config=overrides,
            resume=checkpoint is not None,
            init_from=None if checkpoint is not None or scratch else start_dir,
            steps=max_steps,
            log_every=25,
            sample_every=sample_every,
            ckpt_every=ckpt_every,
            keep=2,
            progress=progress,
            time_limit_s=remaining,
            preview_every_s=preview_every_s,
            domains=(name, "photo"),
            default_direction="BtoA",
            device=device,
            seed=seed,
        )
        stopped = result.stopped
    checkpoint = latest_checkpoint(run_dir)
    if checkpoint is None:
        raise CheckpointError(f"{run_dir}: training stopped before its first checkpoint")
    import torch

    seconds = float(load_trainer_state(checkpoint).get("elapsed_s", 0.0))
    info.update(
        model=str(out),
        run=str(run_dir),
        seconds=seconds,
        stopped={"time_limit": "the time budget", None: None}.get(stopped, stopped),
        device=str(resolve_device(device)),
        threads=torch.get_num_threads(),
    )
    _write_model(checkpoint, out, info, strength)
    if scored_on is not None and stopped not in ("SIGINT", "SIGTERM"):
        from brushwork.api.adapt_eval import score_adapted

        log.info("scoring %s on %s against %s", out, scored_on, held_out)
        info["evaluation"] = score_adapted(
            out, held_out=held_out, eval_photos=scored_on, limit=eval_limit, device=device
        )
        _write_model(checkpoint, out, info, strength)  # the same weights, the card and config with the scores
    step = int(checkpoint.name.split("_")[-1])
    return AdaptResult(
        model=out,
        run=run_dir,
        step=step,
        stopped=stopped,
        seconds=seconds,
        paintings=len(used),
        photos=len(photo_files),
        warnings=info["warnings"],
        evaluation=info.get("evaluation"),
    )
