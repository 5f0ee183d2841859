"""One generic training loop for every trainable method (CycleGAN now, AdaIN later).

A method plugs in by implementing :class:`Trainable`; its data by implementing :class:`BatchSource`, whose
batches are a pure function of the step (so resume needs only the step). :func:`fit` adds what every run needs:
a progress bar with losses and ETA, a JSONL metrics log, sample grids, atomic checkpoints (keep last K) that
resume bit-for-bit (weights, optimiser/scheduler/pool state, Python/NumPy/torch RNG states, step), optional
TensorBoard, graceful SIGINT/SIGTERM (checkpoint, then stop) and DDP under ``torchrun`` (rank 0 logs and saves).
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import random
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn, Protocol

import numpy as np
import torch

from brushwork.checkpoint import save_checkpoint
from brushwork.device import resolve_device
from brushwork.errors import BrushworkError

__all__ = [
    "BatchSource",
    "DistInfo",
    "FitResult",
    "LoopConfig",
    "Trainable",
    "distributed",
    "exit_rank",
    "fit",
    "get_rng_state",
    "set_rng_state",
]

log = logging.getLogger(__name__)


class Trainable(Protocol):
    """What :func:`fit` needs from a method."""

    def train_step(self, batch: Any) -> dict[str, float]:
        """One optimisation step; returns its scalar metrics (losses, lr, ...)."""
        ...

    def sample_grid(self, batch: Any) -> torch.Tensor:
        """A ``(1, 3, H, W)`` [0, 1] picture of current results on a fixed preview batch."""
        ...

    def model_config(self) -> dict[str, Any]:
        """JSON that rebuilds the networks (goes into ``config.json``)."""
        ...

    def weights(self) -> dict[str, torch.Tensor]:
        """Network weights by name (go into ``model.safetensors``)."""
        ...

    def state_dict(self) -> dict[str, Any]:
        """Everything else needed to resume exactly (optimisers, schedulers, buffers); tensors and plain types."""
        ...

    def load_state_dict(self, state: dict[str, Any]) -> None: ...


class BatchSource(Protocol):
    """Training data as a pure function of the step (so resume and sharding need no extra state)."""

    def batch(self, step: int) -> Any: ...

    def preview(self) -> Any: ...


@dataclass(frozen=True)
class LoopConfig:
    """How long to train and how often to log (steps), sample, checkpoint; ``keep`` newest checkpoints.

    ``stop_at`` (a step) and ``time_limit_s`` end this invocation early with a checkpoint: resumable chunks.
    With ``time_limit_s`` the progress bar's total is the step the time limit will reach (at the speed so far),
    so its ETA is the time left. ``preview_every_s`` also writes the current sample grid to
    ``run_dir/preview.jpg`` every that many seconds and at the end (one file, replaced atomically).
    """

    steps: int
    log_every: int = 50
    sample_every: int = 500
    ckpt_every: int = 1000
    keep: int = 3
    tensorboard: bool = False
    progress: bool = True
    stop_at: int | None = None
    time_limit_s: float | None = None
    preview_every_s: float | None = None


@dataclass(frozen=True)
class FitResult:
    """How a :func:`fit` call ended: ``finished`` (all steps done) or ``stopped`` (why), last logged metrics."""

    step: int
    finished: bool
    stopped: str | None
    checkpoint: Path | None
    metrics: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0


@dataclass(frozen=True)
class DistInfo:
    """This process's place in a distributed run (world size 1 when not distributed)."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


@contextmanager
def distributed(device: str | torch.device = "auto") -> Iterator[tuple[DistInfo, torch.device]]:
    """Join the process group that ``torchrun`` describes (``WORLD_SIZE``/``RANK``/``LOCAL_RANK``), if any.

    Yields ``(DistInfo, device)``: gloo on CPU, nccl on CUDA (one GPU per local rank). Leaves the group on exit,
    the ranks together (a barrier when the block ends normally; a rank whose block raised leaves at once, and
    ``torchrun`` then stops the others). A process that trained a ``DistributedDataParallel`` model should end
    with :func:`exit_rank`.
    """
    world = int(os.environ.get("WORLD_SIZE", "1"))
    dev = resolve_device(device)
    if world <= 1:
        yield DistInfo(), dev
        return
    import torch.distributed as dist

    rank, local = int(os.environ.get("RANK", "0")), int(os.environ.get("LOCAL_RANK", "0"))
    if dev.type == "cuda":
        dev = torch.device("cuda", local)
        torch.cuda.set_device(dev)
    owned = not dist.is_initialized()
    if owned:
        dist.init_process_group(backend="nccl" if dev.type == "cuda" else "gloo")
    try:
        yield DistInfo(rank=rank, world_size=world, local_rank=local), dev
        if owned and dist.is_initialized():
            dist.barrier()  # leave together: rank 0 may still be writing its last checkpoint
    finally:
        if owned and dist.is_initialized():
            dist.destroy_process_group()


def exit_rank(code: int = 0) -> NoReturn:
    """End this ``torchrun`` rank now: flush the logs and standard streams, then ``os._exit(code)``.

    After ``destroy_process_group`` a ``DistributedDataParallel`` model still holds the gloo group in C++ (its
    reducer), so the group's worker threads outlive the training; one that releases a finished collective's
    tensors while the interpreter shuts down aborts the process (SIGABRT, "terminate called without an active
    exception", about one exit in 25–40 on 2 busy cores; see pytorch/pytorch#179291). Skipping the interpreter's
    shutdown avoids that; everything a run writes is already closed (atomic checkpoints, closed logs).
    """
    try:
        logging.shutdown()
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(AttributeError, OSError, ValueError):  # no stream, a closed pipe or file
                stream.flush()
        os._exit(code)


def get_rng_state() -> dict[str, Any]:
    """Python, NumPy (legacy global) and torch RNG states, as tensors and plain types (``weights_only``-safe)."""
    version, internal, gauss = random.getstate()
    name, keys, pos, has_gauss, cached = np.random.get_state()
    state: dict[str, Any] = {
        "python": [version, list(internal), gauss],
        "numpy": [name, torch.from_numpy(keys.astype(np.int64)), int(pos), int(has_gauss), float(cached)],
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    """Inverse of :func:`get_rng_state`."""
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    name, keys, pos, has_gauss, cached = state["numpy"]
    np.random.set_state((name, keys.numpy().astype(np.uint32), pos, has_gauss, cached))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


class _StopRequest:
    """SIGINT/SIGTERM set a flag (a second SIGINT interrupts at once); handlers restored on close."""

    def __init__(self) -> None:
        self.signal: str | None = None
        self._old: dict[int, Any] = {}
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._old[sig] = signal.signal(sig, self._handle)

    def _handle(self, signum: int, frame: Any) -> None:
        if self.signal is not None and signum == signal.SIGINT:
            raise KeyboardInterrupt
        self.signal = signal.Signals(signum).name
        log.warning("%s received: finishing this step, writing a checkpoint, then stopping", self.signal)

    def close(self) -> None:
        for sig, handler in self._old.items():
            signal.signal(sig, handler)


class _MetricsLog:
    """Rank 0's JSONL metrics (one object per logged step) and optional TensorBoard scalars."""

    def __init__(self, run_dir: Path, *, resume_step: int, tensorboard: bool) -> None:
        self.path = run_dir / "metrics.jsonl"
        if resume_step and self.path.is_file():  # drop what was logged after the checkpoint we resume from
            kept = [line for line in self.path.read_text().splitlines() if _logged_step(line) <= resume_step]
            self.path.write_text("".join(f"{line}\n" for line in kept))
        self._fh = open(self.path, "a")  # noqa: SIM115 (closed in close())
        self._tb = None
        if tensorboard:
            try:
                from torch.utils.tensorboard import SummaryWriter
            except ImportError:
                log.warning("--tensorboard: the tensorboard package is not installed; logging JSONL only")
            else:
                self._tb = SummaryWriter(str(run_dir / "tensorboard"), purge_step=resume_step or None)

    def write(self, record: dict[str, Any]) -> None:
        self._fh.write(json.dumps(record) + "\n")
        self._fh.flush()
        if self._tb is not None:
            for key, value in record.items():
                if key != "step" and isinstance(value, int | float):
                    self._tb.add_scalar(key, value, record["step"])

    def close(self) -> None:
        self._fh.close()
        if self._tb is not None:
            self._tb.close()


def _logged_step(line: str) -> int:
    try:
        return int(json.loads(line)["step"])
    except (ValueError, KeyError, TypeError):
        return 0


def _all_reduce_mean(values: dict[str, float], dist_info: DistInfo) -> dict[str, float]:
    if not dist_info.enabled:
        return values
    import torch.distributed as dist

    keys = sorted(values)
    t = torch.tensor([values[k] for k in keys], dtype=torch.float64)
    dist.all_reduce(t)
    return {k: float(v) / dist_info.world_size for k, v in zip(keys, t.tolist(), strict=True)}


def _any_rank(flag: bool, dist_info: DistInfo) -> bool:
    if not dist_info.enabled:
        return flag
    import torch.distributed as dist

    t = torch.tensor([1 if flag else 0])
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return bool(t.item())


def fit(
    trainable: Trainable,
    source: BatchSource,
    *,
    run_dir: str | os.PathLike[str],
    loop: LoopConfig,
    resume_state: dict[str, Any] | None = None,
    meta: dict[str, Any] | None = None,
    dist_info: DistInfo | None = None,
) -> FitResult:
    """Train ``trainable`` on ``source`` until ``loop.steps`` (or a stop), writing into ``run_dir``.

    Args:
        resume_state: a checkpoint's ``trainer.pt`` (the trainable's own state must already be loaded):
            restores the step and RNG states.
        meta: extra ``config.json`` entries (domains, data description, ...).
    """
    from tqdm import tqdm

    from brushwork.imageio import save_image

    run_dir = Path(run_dir)
    dist_info = dist_info or DistInfo()
    main = dist_info.is_main
    step = 0
    if resume_state is not None:
        step = int(resume_state["step"])
        set_rng_state(resume_state["rng"])
    elapsed_before = float(resume_state.get("elapsed_s", 0.0)) if resume_state else 0.0
    if main:
        run_dir.mkdir(parents=True, exist_ok=True)
    metrics_log = _MetricsLog(run_dir, resume_step=step, tensorboard=loop.tensorboard) if main else None
    stop = _StopRequest()
    preview = source.preview() if main and (loop.sample_every or loop.preview_every_s) else None
    start_time = time.perf_counter()
    window: dict[str, float] = {}
    seen: dict[str, int] = {}
    window_count, window_start = 0, time.perf_counter()
    last: dict[str, float] = {}
    checkpoint: Path | None = None
    stopped: str | None = None
    first_step, last_preview = step, time.perf_counter()

    def write_preview() -> None:
        save_image(trainable.sample_grid(preview), run_dir / "preview.jpg", quality=90)

    def save() -> Path | None:
        if not main:
            return None
        trainer = {
            "trainable": trainable.state_dict(),
            "rng": get_rng_state(),
            "elapsed_s": elapsed_before + time.perf_counter() - start_time,
        }
        config = {**trainable.model_config(), **(meta or {})}
        return save_checkpoint(
            run_dir, step=step, weights=trainable.weights(), config=config, trainer=trainer, keep=loop.keep
        )

    if step >= loop.steps:
        log.warning("%s is already at step %d of %d; raise the step count to train more", run_dir, step, loop.steps)
    bar = tqdm(total=loop.steps, initial=step, disable=not (main and loop.progress), unit="step", dynamic_ncols=True)
    try:
        while step < loop.steps:
            metrics = trainable.train_step(source.batch(step))
            step += 1
            bad = [k for k, v in metrics.items() if not math.isfinite(v)]
            if bad:
                raise BrushworkError(
                    f"training diverged at step {step} ({bad[0]} = {metrics[bad[0]]}); resume from the last "
                    "checkpoint with a lower learning rate"
                )
            for k, v in metrics.items():  # each key averaged over the steps that reported it (mixed batches)
                window[k] = window.get(k, 0.0) + v
                seen[k] = seen.get(k, 0) + 1
            window_count += 1
            bar.update(1)
            if step % loop.log_every == 0 or step == loop.steps:
                last = _all_reduce_mean({k: v / seen[k] for k, v in window.items()}, dist_info)
                now = time.perf_counter()
                if metrics_log is not None:
                    record = {"step": step, **last, "s_per_step": (now - window_start) / window_count}
                    record["elapsed_s"] = elapsed_before + now - start_time
                    metrics_log.write(record)
                bar.set_postfix({k: f"{v:.3g}" for k, v in last.items() if k != "lr"}, refresh=False)
                if main and not loop.progress:
                    log.info("step %d/%d %s", step, loop.steps, " ".join(f"{k}={v:.4g}" for k, v in last.items()))
                window, seen, window_count, window_start = {}, {}, 0, now
            if main and loop.sample_every and step % loop.sample_every == 0:
                save_image(trainable.sample_grid(preview), run_dir / "samples" / f"step_{step:08d}.png")
            now = time.perf_counter()
            if main and loop.preview_every_s is not None and now - last_preview >= loop.preview_every_s:
                write_preview()
                last_preview = now = time.perf_counter()
            if loop.time_limit_s is not None:  # the bar ends where the time limit will (its ETA: the time left)
                rate = (now - start_time) / (step - first_step)
                reach = min(loop.steps, step + math.ceil(max(0.0, loop.time_limit_s - (now - start_time)) / rate))
                if reach != bar.total and (abs(reach - bar.total) > 0.01 * reach or reach <= step):
                    bar.total = reach
                    bar.refresh()
            over_time = loop.time_limit_s is not None and now - start_time >= loop.time_limit_s
            reason = stop.signal or (
                "stop_at" if loop.stop_at is not None and step >= loop.stop_at else "time_limit" if over_time else None
            )
            must_stop = _any_rank(reason is not None, dist_info)
            if must_stop or step % loop.ckpt_every == 0 or step == loop.steps:
                checkpoint = save() or checkpoint
            if must_stop:
                stopped = reason or "another rank stopped"
                break
        if main and loop.preview_every_s is not None and step > first_step:
            write_preview()
    finally:
        stop.close()
        bar.close()
        if metrics_log is not None:
            metrics_log.close()
    if stopped and main:
        log.warning("stopped at step %d (%s); continue with --resume", step, stopped)
    return FitResult(
        step=step,
        finished=step >= loop.steps,
        stopped=stopped,
        checkpoint=checkpoint,
        metrics=last,
        seconds=time.perf_counter() - start_time,
    )
