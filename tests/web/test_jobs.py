"""The bounded job queue: one worker, busy when full, cancellation, failures that do not stop it."""

from __future__ import annotations

import threading
import time

import pytest

from brushwork.errors import ImageError
from brushwork.web.jobs import BusyError, Job, JobQueue


def wait(job: Job, timeout: float = 10.0) -> Job:
    deadline = time.monotonic() + timeout
    while not job.finished:
        assert time.monotonic() < deadline, f"job still {job.state}"
        time.sleep(0.01)
    return job


@pytest.fixture
def jobs():
    queue = JobQueue(max_jobs=2, keep_finished=3)
    yield queue
    queue.close()


def test_jobs_run_one_at_a_time_in_order(jobs: JobQueue) -> None:
    running, order, overlap = [], [], []
    lock = threading.Lock()

    def work(name: str):
        def run(job: Job) -> str:
            with lock:
                running.append(name)
                overlap.append(len(running))
            time.sleep(0.05)
            with lock:
                running.remove(name)
                order.append(name)
            return name

        return run

    submitted = []
    for name in ("a", "b"):
        jobs.reserve()
        submitted.append(jobs.submit(work(name)))
    assert [wait(j).result for j in submitted] == ["a", "b"]
    assert order == ["a", "b"] and max(overlap) == 1


def test_full_queue_is_busy_until_a_job_finishes(jobs: JobQueue) -> None:
    gate = threading.Event()
    held = []
    for _ in range(2):
        jobs.reserve()
        held.append(jobs.submit(lambda j: gate.wait(10)))
    with pytest.raises(BusyError, match="busy"):
        jobs.reserve()
    assert jobs.pending() == 2
    gate.set()
    for job in held:
        wait(job)
    jobs.reserve()  # a slot is free again
    jobs.release()


def test_cancel_running_and_queued_jobs(jobs: JobQueue) -> None:
    started = threading.Event()

    def long_job(job: Job) -> None:
        for step in range(1, 1000):
            started.set()
            job.progress(step, 999)
            time.sleep(0.01)

    jobs.reserve()
    running = jobs.submit(long_job)
    jobs.reserve()
    queued = jobs.submit(lambda j: "never")
    assert started.wait(5)
    jobs.cancel(queued.id)
    jobs.cancel(running.id)
    assert wait(running).state == "cancelled" and 0 < running.step < 999
    assert wait(queued).state == "cancelled" and queued.result is None


def test_a_failing_job_does_not_stop_the_worker(jobs: JobQueue) -> None:
    def bad(job: Job) -> None:
        raise ImageError("photo.png: not an image")

    def crash(job: Job) -> None:
        raise RuntimeError("boom")

    results = []
    for run in (bad, crash, lambda j: "fine"):
        jobs.reserve()
        results.append(wait(jobs.submit(run)))
    assert [(j.state, j.message) for j in results] == [
        ("error", "photo.png: not an image"),
        ("error", "boom"),
        ("done", results[2].message),
    ]
    assert results[2].result == "fine"


def test_finished_jobs_are_pruned(jobs: JobQueue) -> None:
    finished = []
    for i in range(6):
        jobs.reserve()
        finished.append(wait(jobs.submit(lambda j, i=i: i)))
    deadline = time.monotonic() + 5
    while jobs.get(finished[2].id) is not None and time.monotonic() < deadline:
        time.sleep(0.01)  # pruning follows the last job's end
    kept = [j.id for j in finished if jobs.get(j.id) is not None]
    assert kept == [j.id for j in finished[-3:]]
