"""Folder runs: expanding inputs (files, folders, glob patterns), sharding across ``torchrun`` ranks, skipping
finished outputs, and decoding ahead in worker threads.

A folder run under ``torchrun --nproc_per_node N`` (or several nodes) needs no process group to split the work:
every rank lists the same jobs in the same (sorted) order and takes every N-th one, so no image is done twice or
skipped. It joins the ranks once at the end (:func:`join_ranks`): torchrun stops every rank as soon as one exits
non-zero, so a rank whose batch had failures must not exit before the others have finished theirs.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from brushwork.errors import BrushworkError, ImageError

__all__ = ["expand_inputs", "join_ranks", "prefetch", "rank_and_world", "shard"]

T = TypeVar("T")
R = TypeVar("R")


def expand_inputs(inputs: Sequence[str | os.PathLike[str]]) -> list[Path]:
    """Paths as given, with glob patterns (``*``, ``?``, ``[``, ``**``) expanded and sorted; a pattern that
    matches nothing, or a path that does not exist, is an :class:`ImageError`.
    """
    out: list[Path] = []
    for item in inputs:
        text = str(item)
        if not Path(text).exists() and any(c in text for c in "*?["):
            matches = sorted(glob.glob(text, recursive=True))
            if not matches:
                raise ImageError(f"{text}: no file matches this pattern")
            out += [Path(m) for m in matches]
        elif not Path(text).exists():
            raise ImageError(f"{text}: no such file or folder")
        else:
            out.append(Path(text))
    return out


def rank_and_world() -> tuple[int, int]:
    """This process's rank and the world size from ``torchrun``'s environment (0, 1 when not distributed)."""
    return int(os.environ.get("RANK", "0")), int(os.environ.get("WORLD_SIZE", "1"))


def join_ranks() -> None:
    """Under ``torchrun`` (``WORLD_SIZE`` > 1 and a ``MASTER_ADDR``), wait until every rank gets here; else nothing.

    Every rank of a sharded run calls it after its share and its summary line (flushed first), before returning
    its exit code: a rank that exits 1 for a skipped image would otherwise make torchrun stop ranks still working.
    """
    import sys

    _, world = rank_and_world()
    if world <= 1 or "MASTER_ADDR" not in os.environ:
        return
    import torch.distributed as dist

    sys.stdout.flush()
    sys.stderr.flush()
    if not dist.is_available():
        return
    dist.init_process_group("gloo")
    try:
        dist.barrier()
    finally:
        dist.destroy_process_group()


def shard(jobs: Sequence[T], rank: int | None = None, world_size: int | None = None) -> list[T]:
    """This rank's share of ``jobs``: every ``world_size``-th job starting at ``rank``."""
    env_rank, env_world = rank_and_world()
    rank = env_rank if rank is None else rank
    world_size = env_world if world_size is None else world_size
    if not 0 <= rank < world_size:
        raise BrushworkError(f"rank {rank} is outside a world of {world_size}")
    return list(jobs[rank::world_size])


def prefetch(items: Iterable[T], load: Callable[[T], R], *, workers: int = 2) -> Iterator[tuple[T, R | BrushworkError]]:
    """``(item, load(item))`` in order, loading up to ``2 × workers`` items ahead in threads.

    A :class:`BrushworkError` raised by ``load`` is yielded in place of the result (the caller reports and
    skips it); any other exception propagates.
    """

    def safe(item: T) -> R | BrushworkError:
        try:
            return load(item)
        except BrushworkError as exc:
            return exc

    if workers <= 0:
        for item in items:
            yield item, safe(item)
        return
    with ThreadPoolExecutor(max_workers=workers) as pool:
        pending: list[tuple[T, Future[R | BrushworkError]]] = []
        iterator = iter(items)
        for item in iterator:
            pending.append((item, pool.submit(safe, item)))
            if len(pending) >= 2 * workers:
                break
        while pending:
            item, future = pending.pop(0)
            nxt = next(iterator, None)
            if nxt is not None:
                pending.append((nxt, pool.submit(safe, nxt)))
            yield item, future.result()
