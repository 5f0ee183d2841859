"""Precomputed target pictures of (photo, painting) pairs: a teacher's pictures read from disk.

A target folder holds ``NNNNNN.png`` pictures and ``index.jsonl``, one JSON object a line: ``index``, ``target``
(the file name), ``content`` and ``style`` (the pair's image paths), ``load_size`` (the short side the photo
was decoded at; the picture has the decoded photo's exact size) and, for a picture of part of the photo,
``box``: ``[top, left, height, width]`` of that part. ``scripts/gatys_targets.py`` writes them
(Gatys' pictures; docs/arbitrary_recipe.md, session 45). :class:`TargetBatches` serves random crops of the photo
and its picture at the same place, with a crop of the pair's painting: ``(content, style, target)``;
:class:`Interleaved` puts them into a run's stream of unpaired batches every few steps.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from brushwork.data.folders import _seed, decode_uint8
from brushwork.errors import ImageError

__all__ = ["INDEX", "Interleaved", "TargetBatches", "TargetPair", "read_index"]

log = logging.getLogger(__name__)

#: The index file of a target folder.
INDEX = "index.jsonl"
#: Folder names of test splits (``testA``, ``testB``, ``test``): never trained on.
_TEST_SPLIT = re.compile(r"test[A-Z]?")


def read_index(folder: Path) -> list[dict]:
    """The entries of ``folder/INDEX`` (none when it does not exist); a torn last line (a run killed while it
    wrote) is left out, any other bad line is an :class:`ImageError` naming the file and line."""
    path = Path(folder) / INDEX
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    entries = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError as err:
            if n == len(lines):
                log.warning("%s: line %d is incomplete (a run stopped while writing it); left out", path, n)
                continue
            raise ImageError(f"{path}: line {n} is not JSON ({err.msg})") from None
        missing = {"index", "target", "content", "style", "load_size"} - set(entry)
        if missing:
            raise ImageError(f"{path}: line {n} lacks {', '.join(sorted(missing))}")
        entries.append(entry)
    return entries


@dataclass(frozen=True)
class TargetPair:
    """One decoded pair: ``(3, H, W)`` uint8 photo and target (same size) and ``(3, h, w)`` painting."""

    content: torch.Tensor
    target: torch.Tensor
    style: torch.Tensor


class TargetBatches:
    """Random crops of target pairs: :meth:`batch` ``(step) → (content, style, target)``, content and target
    ``(B, 3, crop, crop)`` cut at the same place (and flipped together), style ``(B, 3, style_crop, style_crop)``
    from the pair's painting at ``style_load`` (short side); float32 in [0, 1]. A pure function of
    ``(seed, step, rank)``, as :class:`~brushwork.data.folders.UnpairedBatches`; every pair is decoded once and
    kept in memory.

    Args:
        folder: the target folder.
        crop, style_crop, style_load: crop sides and the paintings' short side.
        batch_size, seed, rank, world_size: the data stream.
        load_size: the photos' short side the run trains at; every entry must have been painted at it.
        exclude: style file names or stems held out of the run: a pair painted with one is an error, as is a pair
            from a test split (a ``testA``, ``testB`` or ``test`` folder).
    """

    def __init__(
        self,
        folder: str | Path,
        *,
        crop: int,
        style_crop: int,
        style_load: int,
        load_size: int,
        batch_size: int = 1,
        seed: int = 0,
        rank: int = 0,
        world_size: int = 1,
        exclude: tuple[str, ...] | list[str] = (),
    ) -> None:
        self.folder = Path(folder)
        entries = sorted(read_index(self.folder), key=lambda e: e["index"])  # the order a campaign meant
        if not entries:
            raise ImageError(f"{self.folder}: no targets ({INDEX} missing or empty)")
        for e in entries:
            style, content = Path(e["style"]), Path(e["content"])
            if style.name in exclude or style.stem in exclude:
                raise ImageError(f"{self.folder / e['target']}: painted with the held-out style {style.name}")
            if any(_TEST_SPLIT.fullmatch(part) for part in (*style.parent.parts, *content.parent.parts)):
                raise ImageError(f"{self.folder / e['target']}: a pair from a test split ({content}, {style})")
        other = sorted({e["load_size"] for e in entries} - {load_size})
        if other:
            raise ImageError(f"{self.folder}: targets painted at load size {other}, the run trains at {load_size}")
        if style_load < style_crop or load_size < crop:
            raise ImageError(f"load sizes {load_size}/{style_load} are smaller than the crops {crop}/{style_crop}")
        self.crop, self.style_crop, self.batch_size = crop, style_crop, batch_size
        self.seed, self.rank, self.world_size = seed, rank, world_size
        self.pairs = [self._decode(e, load_size, style_load) for e in entries]
        self._order: tuple[int, torch.Tensor] | None = None

    def _decode(self, entry: dict, load_size: int, style_load: int) -> TargetPair:
        content = decode_uint8(Path(entry["content"]), load_size)
        if "box" in entry:
            top, left, h, w = (int(v) for v in entry["box"])
            content = content[:, top : top + h, left : left + w].clone()  # not a view of the whole photo
        if min(content.shape[-2:]) < self.crop:
            raise ImageError(
                f"{self.folder / entry['target']}: {tuple(content.shape[-2:])} px, under the crop {self.crop}"
            )
        target = decode_uint8(self.folder / entry["target"], min(content.shape[-2:]))
        if target.shape != content.shape:
            raise ImageError(
                f"{self.folder / entry['target']}: {tuple(target.shape[-2:])} px, its photo decodes to "
                f"{tuple(content.shape[-2:])}"
            )
        return TargetPair(content, target, decode_uint8(Path(entry["style"]), style_load))

    def __len__(self) -> int:
        return len(self.pairs)

    def _sample(self, position: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        epoch, offset = divmod(position, len(self.pairs))
        if self._order is None or self._order[0] != epoch:  # one permutation per epoch, drawn once
            gen = torch.Generator().manual_seed(_seed(self.seed, epoch))
            self._order = (epoch, torch.randperm(len(self.pairs), generator=gen))
        pair = self.pairs[int(self._order[1][offset])]
        gen = torch.Generator().manual_seed(_seed(self.seed, position, 0x7A9))

        def cut(image: torch.Tensor, size: int) -> tuple[int, int]:
            h, w = image.shape[-2:]
            return int(torch.randint(h - size + 1, (1,), generator=gen)), int(
                torch.randint(w - size + 1, (1,), generator=gen)
            )

        top, left = cut(pair.content, self.crop)
        window = (slice(None), slice(top, top + self.crop), slice(left, left + self.crop))
        content, target = pair.content[window], pair.target[window]
        if torch.rand(1, generator=gen).item() < 0.5:
            content, target = content.flip(-1), target.flip(-1)
        top, left = cut(pair.style, self.style_crop)
        style = pair.style[:, top : top + self.style_crop, left : left + self.style_crop]
        return content, style, target

    def batch(self, step: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The batch of ``step`` for this rank: ``(content, style, target)`` float32 in [0, 1]."""
        first = (step * self.world_size + self.rank) * self.batch_size
        samples = [self._sample(first + j) for j in range(self.batch_size)]
        return tuple(torch.stack(part).float().div_(255) for part in zip(*samples, strict=True))  # type: ignore[return-value]


class Interleaved:
    """A run's unpaired batches with a target batch every ``every`` steps (steps 0, every, 2·every, …; 1: every
    step): :meth:`batch` gives ``(content, style)`` or ``(content, style, target)``; previews, skips and the
    image lists are the unpaired source's. The folders' stream is read at the step, the targets' at the step's
    count of target batches (``step // every``: each epoch of targets reached in turn); both pure functions of it.
    A target folder that grew since the run began changes the target stream after a resume."""

    def __init__(self, folders: Any, targets: TargetBatches, every: int) -> None:
        if every < 1:
            raise ValueError(f"Interleaved: every={every} must be at least 1")
        self.folders, self.targets, self.every = folders, targets, every

    @property
    def domains(self) -> Any:
        return self.folders.domains

    @property
    def skipped(self) -> list:
        return self.folders.skipped

    def batch(self, step: int) -> tuple[torch.Tensor, ...]:
        return self.targets.batch(step // self.every) if step % self.every == 0 else self.folders.batch(step)

    def preview(self, count: int = 2) -> tuple[torch.Tensor, torch.Tensor]:
        return self.folders.preview(count)
