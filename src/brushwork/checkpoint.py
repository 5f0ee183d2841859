"""Model directories and training checkpoints.

A *model directory* holds ``model.safetensors`` (weights, prefixed by network name: ``G_AB.…``), ``config.json``
(format, method, per-network architecture specs, settings, domains, step, package version: enough to rebuild the
networks with no other input) and optionally ``MODEL_CARD.md``. A *checkpoint* is a model directory plus
``trainer.pt`` (optimisers, schedulers, pools, RNG states, step), written with ``torch.save`` and read only with
``torch.load(weights_only=True)``. A *run directory* keeps checkpoints in ``checkpoints/step_NNNNNNNN/``.

Directories are written atomically: into a temporary sibling, then renamed into place.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import nn

from brushwork._version import __version__
from brushwork.errors import CheckpointError

__all__ = [
    "CONFIG_FILE",
    "FORMAT",
    "TRAINER_FILE",
    "WEIGHTS_FILE",
    "export_model",
    "latest_checkpoint",
    "list_checkpoints",
    "load_module_weights",
    "load_trainer_state",
    "load_weights",
    "read_config",
    "resolve_model_dir",
    "save_checkpoint",
    "save_model_dir",
]

log = logging.getLogger(__name__)

FORMAT = "brushwork-model"
WEIGHTS_FILE, CONFIG_FILE, CARD_FILE, TRAINER_FILE = "model.safetensors", "config.json", "MODEL_CARD.md", "trainer.pt"
_STEP_DIR = re.compile(r"^step_(\d+)$")


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def save_model_dir(
    directory: str | os.PathLike[str],
    *,
    weights: dict[str, torch.Tensor],
    config: dict[str, Any],
    card: str | None = None,
    trainer: dict[str, Any] | None = None,
) -> Path:
    """Write a model directory (plus ``trainer.pt`` when given) atomically; replaces an existing one."""
    from safetensors.torch import save_file

    directory = Path(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", suffix=".tmp", dir=directory.parent))
    try:
        full = {**config, "format": FORMAT, "format_version": 1, "brushwork_version": __version__}
        save_file({k: v.detach().cpu().contiguous() for k, v in weights.items()}, str(tmp / WEIGHTS_FILE))
        (tmp / CONFIG_FILE).write_text(json.dumps(full, indent=2, sort_keys=True) + "\n")
        if card is not None:
            (tmp / CARD_FILE).write_text(card)
        if trainer is not None:
            torch.save(trainer, tmp / TRAINER_FILE)
        for f in tmp.iterdir():
            with open(f, "rb") as fh:
                os.fsync(fh.fileno())
        old = None
        if directory.exists():
            old = directory.with_name(f".{directory.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(directory, old)
        os.replace(tmp, directory)
        _fsync_dir(directory.parent)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return directory


def read_config(directory: str | os.PathLike[str]) -> dict[str, Any]:
    """``config.json`` of a model directory, checked to be a brushwork model."""
    path = Path(directory) / CONFIG_FILE
    if not path.is_file():
        raise CheckpointError(f"{Path(directory)}: not a model directory (no {CONFIG_FILE})")
    try:
        config = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"{path}: corrupt config ({exc})") from exc
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not a brushwork model config (format is not {FORMAT!r})")
    if not isinstance(config.get("nets"), dict):
        raise CheckpointError(f"{path}: config has no 'nets' section")
    return config


def load_weights(directory: str | os.PathLike[str]) -> dict[str, torch.Tensor]:
    """All tensors of ``model.safetensors`` (float32 on CPU, whatever dtype they were stored in)."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    path = Path(directory) / WEIGHTS_FILE
    if not path.is_file():
        raise CheckpointError(f"{Path(directory)}: no {WEIGHTS_FILE}")
    try:
        tensors = load_file(str(path))
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        raise CheckpointError(f"{path}: corrupt weights ({exc})") from exc
    return {k: v.float() if v.is_floating_point() else v for k, v in tensors.items()}


def load_module_weights(module: nn.Module, weights: dict[str, torch.Tensor], *, what: str) -> None:
    """Strictly load ``weights`` into ``module``; a mismatch is a one-line "wrong architecture" error."""
    own = module.state_dict()
    missing = sorted(set(own) - set(weights))
    extra = sorted(set(weights) - set(own))
    shapes = [k for k in own if k in weights and tuple(own[k].shape) != tuple(weights[k].shape)]
    if missing or extra or shapes:
        detail = (
            f"missing {missing[:3]}"
            if missing
            else f"unexpected {extra[:3]}"
            if extra
            else f"{shapes[0]} is {tuple(weights[shapes[0]].shape)}, expected {tuple(own[shapes[0]].shape)}"
        )
        raise CheckpointError(f"{what}: weights are for a different architecture ({detail})")
    with torch.no_grad():
        for key, tensor in own.items():
            tensor.copy_(weights[key])


def strip_prefix(weights: dict[str, torch.Tensor], net: str) -> dict[str, torch.Tensor]:
    """The entries of network ``net`` in checkpoint ``weights`` (``net.*``), without the prefix; a run's checkpoint
    may hold other networks too (a critic)."""
    head = f"{net}."
    return {k.removeprefix(head): v for k, v in weights.items() if k.startswith(head)}


def load_one_net(
    directory: str | os.PathLike[str],
    *,
    method: str,
    net: str,
    build: Callable[[dict[str, Any]], nn.Module],
    label: str,
    device: torch.device | str = "cpu",
) -> tuple[nn.Module, dict[str, Any]]:
    """The network ``net`` of a ``method`` model directory, built from its spec by ``build`` (eval mode, frozen,
    float32), and the directory's ``config.json``; a one-line :class:`CheckpointError` naming ``label`` otherwise."""
    config = read_config(directory)
    if config.get("method") != method or net not in config.get("nets", {}):
        raise CheckpointError(f"{directory}: a {config.get('method')!r} model, not {label}")
    try:
        module = build(config["nets"][net])
    except (TypeError, ValueError, KeyError) as exc:
        raise CheckpointError(f"{directory}: cannot build the {net} ({exc})") from exc
    weights = {k: v.float() for k, v in strip_prefix(load_weights(directory), net).items()}
    load_module_weights(module, weights, what=f"{directory} {net}")
    return module.eval().requires_grad_(False).to(device), config


def load_trainer_state(directory: str | os.PathLike[str]) -> dict[str, Any]:
    """``trainer.pt`` loaded with ``weights_only=True`` (tensors, numbers, strings, lists, dicts only)."""
    path = Path(directory) / TRAINER_FILE
    if not path.is_file():
        raise CheckpointError(f"{Path(directory)}: no {TRAINER_FILE} (a model directory, not a checkpoint?)")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for corrupt or unsafe pickles
        raise CheckpointError(f"{path}: corrupt or unsafe trainer state ({type(exc).__name__}: {exc})") from exc
    if not isinstance(state, dict) or "step" not in state:
        raise CheckpointError(f"{path}: not a brushwork trainer state")
    return state


def list_checkpoints(run_dir: str | os.PathLike[str]) -> list[Path]:
    """Complete checkpoints of a run, oldest first (temporary and partial directories are ignored)."""
    folder = Path(run_dir) / "checkpoints"
    if not folder.is_dir():
        return []
    found = [
        (int(m.group(1)), p)
        for p in folder.iterdir()
        if (m := _STEP_DIR.match(p.name)) and (p / CONFIG_FILE).is_file() and (p / TRAINER_FILE).is_file()
    ]
    return [p for _, p in sorted(found)]


def latest_checkpoint(run_dir: str | os.PathLike[str]) -> Path | None:
    """The newest complete checkpoint of a run, or ``None``."""
    found = list_checkpoints(run_dir)
    return found[-1] if found else None


def save_checkpoint(
    run_dir: str | os.PathLike[str],
    *,
    step: int,
    weights: dict[str, torch.Tensor],
    config: dict[str, Any],
    trainer: dict[str, Any],
    keep: int = 3,
) -> Path:
    """Write ``run_dir/checkpoints/step_NNNNNNNN`` atomically, then delete all but the newest ``keep``."""
    path = save_model_dir(
        Path(run_dir) / "checkpoints" / f"step_{step:08d}",
        weights=weights,
        config={**config, "step": step},
        trainer={**trainer, "step": step},
    )
    for old in list_checkpoints(run_dir)[: -max(keep, 1)]:
        shutil.rmtree(old, ignore_errors=True)
    return path


def resolve_model_dir(path: str | os.PathLike[str]) -> Path:
    """A model directory as given, or a run directory's newest checkpoint."""
    path = Path(path)
    if (path / CONFIG_FILE).is_file():
        return path
    latest = latest_checkpoint(path)
    if latest is not None:
        return latest
    if not path.exists():
        raise CheckpointError(f"{path}: no such model directory")
    raise CheckpointError(f"{path}: neither a model directory ({CONFIG_FILE}) nor a run with checkpoints")


def export_model(
    source: str | os.PathLike[str],
    destination: str | os.PathLike[str],
    *,
    nets: tuple[str, ...] = ("G_AB", "G_BA"),
    half: bool = True,
    card: str | None = None,
    **config_updates: Any,
) -> Path:
    """Copy the ``nets`` of a model/run directory into a slim model directory for shipping (fp16 by default).

    ``config_updates`` (e.g. ``domains={"A": "vangogh", "B": "photo"}``, ``default_direction="BtoA"``) are
    merged into ``config.json``.
    """
    src = resolve_model_dir(source)
    config, weights = read_config(src), load_weights(src)
    missing = [n for n in nets if n not in config["nets"]]
    if missing:
        raise CheckpointError(f"{src}: has no {missing} to export (it has {sorted(config['nets'])})")
    kept = {k: (v.half() if half else v) for k, v in weights.items() if k.split(".", 1)[0] in nets}
    config = {**config, **config_updates, "nets": {n: config["nets"][n] for n in nets}}
    config["dtype"] = "float16" if half else "float32"
    if card is None and (src / CARD_FILE).is_file():
        card = (src / CARD_FILE).read_text()
    return save_model_dir(destination, weights=kept, config=config, card=card)
