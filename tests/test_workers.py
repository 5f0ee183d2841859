"""``brushwork.workers``: pieces of work in a few threads that share the torch CPU threads."""

from __future__ import annotations

import threading

import pytest
import torch

from brushwork.workers import map_in_threads, tile_workers


@pytest.fixture
def two_threads():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(before)


def test_results_in_order_in_other_threads_with_the_threads_split(two_threads: None) -> None:
    seen: list[tuple[int, str, int]] = []

    def work(i: int) -> int:
        seen.append((i, threading.current_thread().name, torch.get_num_threads()))
        return i * i

    assert list(map_in_threads(work, range(7), workers=2)) == [i * i for i in range(7)]
    assert all(name.startswith("brushwork-tile") and threads == 1 for _, name, threads in seen)
    assert torch.get_num_threads() == 2  # restored
    assert list(map_in_threads(work, range(3), workers=1)) == [0, 1, 4]  # one worker: the caller's thread
    assert seen[-1][1] == threading.current_thread().name


def test_other_threads_keep_the_full_count_while_the_workers_run(two_threads: None) -> None:
    """The split is the workers' own: a thread whose first torch call falls inside the map (a web request, say)
    gets the process's count, and one piece alone runs on the caller's thread with all of it."""
    inside = threading.Event()
    release = threading.Event()
    seen: dict[str, int] = {}

    def work(i: int) -> int:
        if i == 0:
            inside.set()
            release.wait(timeout=30)
        return torch.get_num_threads()

    def newcomer() -> None:
        inside.wait(timeout=30)
        seen["newcomer"] = torch.get_num_threads()
        release.set()

    other = threading.Thread(target=newcomer)
    other.start()
    assert list(map_in_threads(work, range(4), workers=2)) == [1, 1, 1, 1]
    other.join()
    assert seen["newcomer"] == 2 and torch.get_num_threads() == 2
    assert list(map_in_threads(lambda _: torch.get_num_threads(), [0], workers=2)) == [2]


def test_the_callers_modes_reach_the_workers(two_threads: None) -> None:
    def modes(_: int) -> tuple[bool, bool, bool, torch.dtype]:
        return (
            torch.is_grad_enabled(),
            torch.is_inference_mode_enabled(),
            torch.is_autocast_enabled("cpu"),
            torch.get_autocast_dtype("cpu"),
        )

    with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16):
        inside = list(map_in_threads(modes, range(2), workers=2))
    assert inside == [(False, True, True, torch.bfloat16)] * 2
    outside = list(map_in_threads(modes, range(2), workers=2))
    assert [m[:3] for m in outside] == [(True, False, False)] * 2


def test_an_error_surfaces_in_order_and_the_rest_is_not_started(two_threads: None) -> None:
    started: list[int] = []

    def work(i: int) -> int:
        started.append(i)
        if i == 1:
            raise ValueError("tile 1 is bad")
        return i

    results = map_in_threads(work, range(50), workers=2)
    assert next(results) == 0
    with pytest.raises(ValueError, match="tile 1"):
        next(results)
    assert len(started) <= 5 and torch.get_num_threads() == 2  # a bounded window; threads restored


def test_tile_workers_by_device_and_threads(two_threads: None) -> None:
    assert tile_workers("cpu") == 2 and tile_workers(torch.device("cuda")) == 1
    torch.set_num_threads(1)
    assert tile_workers("cpu") == 1
