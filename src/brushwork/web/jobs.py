"""A bounded job queue served by one worker thread: requests wait their turn, never run side by side.

One thread means one model instance in memory and no two requests competing for the CPU. A semaphore bounds
how many jobs may be waiting or running; past that :meth:`JobQueue.reserve` raises :class:`BusyError` at once (the
app answers HTTP 503) instead of letting memory and latency grow without limit.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["BusyError", "Job", "JobCancelledError", "JobQueue"]

log = logging.getLogger(__name__)


def _spent(job: Job) -> None:
    raise RuntimeError(f"job {job.id} has already run")


class BusyError(Exception):
    """The queue is full; try again later."""


class JobCancelledError(Exception):
    """Raised inside a running job (from a progress callback) when its cancellation was asked for."""


@dataclass
class Job:
    """One request's state. ``run(job)`` returns the result; it may call :meth:`progress` as it goes."""

    run: Callable[[Job], Any] = field(repr=False)
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    state: str = "queued"  # queued -> running -> done | error | cancelled
    step: int = 0
    total: int = 0
    message: str = ""
    result: Any = field(default=None, repr=False)
    created: float = field(default_factory=time.monotonic)
    cancel_requested: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def finished(self) -> bool:
        return self.state in ("done", "error", "cancelled")

    def progress(self, step: int, total: int) -> None:
        """Record progress; raises :class:`JobCancelledError` when the job should stop."""
        self.step, self.total = step, total
        if self.cancel_requested.is_set():
            raise JobCancelledError

    def public(self) -> dict[str, Any]:
        """What a client may see (no result bytes)."""
        return {"id": self.id, "state": self.state, "step": self.step, "total": self.total, "message": self.message}


class JobQueue:
    """At most ``max_jobs`` jobs queued or running; one worker thread runs them in order.

    Finished jobs are kept (for their result) until ``keep_finished`` newer ones have finished.
    """

    def __init__(self, *, max_jobs: int = 4, keep_finished: int = 16) -> None:
        if max_jobs < 1:
            raise ValueError(f"max_jobs must be >= 1, got {max_jobs}")
        self.max_jobs = max_jobs
        self._slots = threading.BoundedSemaphore(max_jobs)
        self._queue: queue.Queue[Job | None] = queue.Queue()
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()
        self._keep = keep_finished
        self._thread = threading.Thread(target=self._work, name="brushwork-web-worker", daemon=True)
        self._thread.start()

    def reserve(self) -> None:
        """Take a slot before any work for a new job (decoding uploads); :class:`BusyError` when none is free."""
        if not self._slots.acquire(blocking=False):
            raise BusyError(f"the server is busy ({self.max_jobs} jobs queued or running); try again in a moment")

    def release(self) -> None:
        """Give back a slot taken by :meth:`reserve` that did not become a job."""
        self._slots.release()

    def submit(self, run: Callable[[Job], Any]) -> Job:
        """Queue ``run`` under a slot taken by :meth:`reserve`; the slot is released when the job finishes."""
        job = Job(run=run)
        with self._lock:
            self._jobs[job.id] = job
        self._queue.put(job)
        return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def cancel(self, job_id: str) -> Job | None:
        """Ask a job to stop: a queued one is skipped, a running one stops at its next progress call."""
        job = self.get(job_id)
        if job is not None and not job.finished:
            job.cancel_requested.set()
        return job

    def pending(self) -> int:
        """Jobs queued or running."""
        with self._lock:
            return sum(not j.finished for j in self._jobs.values())

    def close(self, timeout: float = 5.0) -> None:
        """Cancel what is left and stop the worker thread."""
        with self._lock:
            for job in self._jobs.values():
                job.cancel_requested.set()
        self._queue.put(None)
        self._thread.join(timeout)

    def _work(self) -> None:
        while (job := self._queue.get()) is not None:
            try:
                self._run(job)
            finally:
                self._slots.release()
                self._prune()

    def _run(self, job: Job) -> None:
        if job.cancel_requested.is_set():
            job.state, job.message = "cancelled", "cancelled before it started"
            return
        job.state = "running"
        start = time.perf_counter()
        try:
            job.result = job.run(job)
        except JobCancelledError:
            job.state, job.message = "cancelled", "cancelled"
        except Exception as exc:  # a job's failure must never stop the worker
            from brushwork.errors import BrushworkError

            if not isinstance(exc, BrushworkError):
                log.exception("job %s failed", job.id)
            job.state, job.message = "error", str(exc) or type(exc).__name__
        else:
            job.state, job.message = "done", f"{time.perf_counter() - start:.1f} s"
        finally:
            job.run = _spent  # drop the request's images now; only the result is kept
        log.info("job %s: %s %s", job.id, job.state, job.message)

    def _prune(self) -> None:
        with self._lock:
            finished = [k for k, j in self._jobs.items() if j.finished]
            for key in finished[: max(0, len(finished) - self._keep)]:
                del self._jobs[key]
