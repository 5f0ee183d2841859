"""What the training prototypes share: the shipped ``fast`` student, the target pairs they train on, saving a copy."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import torch
from safetensors.torch import save_file
from torch import nn

from brushwork.data.paired_targets import TargetBatches

#: The shipped student, which the prototypes start from.
SHIPPED = Path(__file__).resolve().parents[2] / "src" / "brushwork" / "pretrained" / "fast"
#: Issue 13's held-out styles: never trained on.
HELD_OUT = ("candy", "feathers", "la_muse", "udnie")


def save_student(net: nn.Module, folder: Path) -> None:
    """``net`` as a model folder (the shipped ``config.json``, float32 weights) that ``--ours fast:FOLDER`` reads."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(SHIPPED / "config.json", folder / "config.json")
    weights = {f"student.{k}": v.detach().contiguous() for k, v in net.state_dict().items()}
    save_file(weights, str(folder / "model.safetensors"))


def target_batches(folder: Path) -> TargetBatches:
    """The campaign's pairs as the shipped student trained: 256-px crops of photos loaded at 512 px, batches of 4."""
    return TargetBatches(
        folder, crop=256, style_crop=256, style_load=512, load_size=512, batch_size=4, seed=46, exclude=HELD_OUT
    )


def painted_batches(
    net: nn.Module, data: TargetBatches, steps: int
) -> Iterator[tuple[int, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]]:
    """``(step, content, style, target, picture)`` for steps 1 … ``steps``: the student's picture of each batch
    (bf16 autocast, returned in float32, with its graph for the step's backward)."""
    for step in range(1, steps + 1):
        content, style, target = data.batch(step)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            picture = net(content, net.style_code(style)).float()
        yield step, content, style, target, picture
