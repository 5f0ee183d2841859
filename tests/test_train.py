from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from brushwork.checkpoint import latest_checkpoint, list_checkpoints, load_trainer_state, load_weights
from brushwork.errors import BrushworkError
from brushwork.train import LoopConfig, fit, get_rng_state, set_rng_state


class Regression:
    """A tiny Trainable: noisy linear regression that uses all three global RNGs in every step."""

    def __init__(self) -> None:
        self.net = torch.nn.Linear(3, 1)
        torch.nn.init.zeros_(self.net.weight)
        self.opt = torch.optim.Adam(self.net.parameters(), lr=0.1)
        self.nan_at: int | None = None
        self.steps = 0

    def train_step(self, batch: torch.Tensor) -> dict[str, float]:
        x = batch + 0.01 * torch.randn(batch.shape) + 0.01 * float(np.random.rand()) + 0.01 * random.random()
        loss = (self.net(x).squeeze(1) - x.sum(1)).pow(2).mean()
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
        self.steps += 1
        return {"loss": float("nan") if self.steps == self.nan_at else loss.item()}

    def sample_grid(self, batch: torch.Tensor) -> torch.Tensor:
        return torch.full((1, 3, 4, 4), 0.5)

    def model_config(self) -> dict[str, Any]:
        return {"method": "regression", "nets": {"net": {}}}

    def weights(self) -> dict[str, torch.Tensor]:
        return {f"net.{k}": v for k, v in self.net.state_dict().items()}

    def state_dict(self) -> dict[str, Any]:
        return {"opt": self.opt.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.opt.load_state_dict(state["opt"])


class Source:
    def __init__(self, fail_at: int | None = None, signal_at: int | None = None) -> None:
        self.fail_at, self.signal_at = fail_at, signal_at

    def batch(self, step: int) -> torch.Tensor:
        if step == self.fail_at:
            raise RuntimeError("power cut")
        if step == self.signal_at:
            signal.raise_signal(signal.SIGINT)
        return torch.rand(4, 3, generator=torch.Generator().manual_seed(step))

    def preview(self) -> None:
        return None


def _seed_all(seed: int) -> None:
    torch.manual_seed(seed)
    np.random.seed(seed)
    random.seed(seed)


def _resume(run: Path, loop: LoopConfig, source: Source | None = None) -> tuple[Regression, Any]:
    model = Regression()
    ckpt = latest_checkpoint(run)
    assert ckpt is not None
    model.net.load_state_dict({k[4:]: v for k, v in load_weights(ckpt).items()})
    state = load_trainer_state(ckpt)
    model.load_state_dict(state["trainable"])
    return model, fit(model, source or Source(), run_dir=run, loop=loop, resume_state=state)


def test_fit_logs_samples_and_keeps_the_newest_checkpoints(tmp_path: Path) -> None:
    loop = LoopConfig(steps=10, log_every=3, sample_every=5, ckpt_every=4, keep=2, progress=False)
    result = fit(Regression(), Source(), run_dir=tmp_path, loop=loop)
    assert result.finished and result.step == 10 and result.stopped is None
    records = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records] == [3, 6, 9, 10]
    assert {"loss", "s_per_step", "elapsed_s"} <= set(records[0])
    assert records[-1]["loss"] < records[0]["loss"]
    assert sorted(p.name for p in (tmp_path / "samples").iterdir()) == ["step_00000005.png", "step_00000010.png"]
    assert [p.name for p in list_checkpoints(tmp_path)] == ["step_00000008", "step_00000010"]
    assert result.checkpoint == tmp_path / "checkpoints" / "step_00000010"


class Alternating(Regression):
    """Reports ``even`` on even steps and ``odd`` on odd ones (as a student with interleaved target batches)."""

    def train_step(self, batch: torch.Tensor) -> dict[str, float]:
        out = super().train_step(batch)
        return {**out, ("even" if self.steps % 2 else "odd"): float(self.steps)}


def test_each_logged_term_is_averaged_over_the_steps_that_reported_it(tmp_path: Path) -> None:
    fit(Alternating(), Source(), run_dir=tmp_path, loop=LoopConfig(steps=4, log_every=4, progress=False))
    (record,) = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert record["even"] == 2.0 and record["odd"] == 3.0  # steps 1 and 3 (counted from 1) report "even"


def test_resume_continues_bit_for_bit_including_global_rngs(tmp_path: Path) -> None:
    loop = LoopConfig(steps=9, log_every=1, sample_every=0, ckpt_every=100, progress=False)
    _seed_all(0)
    whole = Regression()
    fit(whole, Source(), run_dir=tmp_path / "a", loop=loop)
    _seed_all(0)
    first = fit(Regression(), Source(), run_dir=tmp_path / "b", loop=LoopConfig(**{**loop.__dict__, "stop_at": 4}))
    assert first.stopped == "stop_at" and first.step == 4
    torch.manual_seed(123)  # the checkpoint's RNG states must win
    resumed, result = _resume(tmp_path / "b", loop)
    assert result.finished
    assert all(torch.equal(a, b) for a, b in zip(whole.weights().values(), resumed.weights().values(), strict=True))
    assert (tmp_path / "a" / "metrics.jsonl").read_text().count("\n") == 9
    lines = [json.loads(x) for x in (tmp_path / "b" / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in lines] == list(range(1, 10))
    ref = [json.loads(x)["loss"] for x in (tmp_path / "a" / "metrics.jsonl").read_text().splitlines()]
    assert [r["loss"] for r in lines] == ref


def test_a_crash_loses_at_most_one_checkpoint_interval(tmp_path: Path) -> None:
    loop = LoopConfig(steps=10, log_every=1, sample_every=0, ckpt_every=3, progress=False)
    _seed_all(1)
    whole = Regression()
    fit(whole, Source(), run_dir=tmp_path / "a", loop=loop)
    _seed_all(1)
    with pytest.raises(RuntimeError, match="power cut"):
        fit(Regression(), Source(fail_at=7), run_dir=tmp_path / "b", loop=loop)
    assert latest_checkpoint(tmp_path / "b").name == "step_00000006"  # steps 7.. are lost, at most ckpt_every
    lines = (tmp_path / "b" / "metrics.jsonl").read_text().splitlines()
    assert json.loads(lines[-1])["step"] == 7
    resumed, _ = _resume(tmp_path / "b", loop)
    assert [json.loads(x)["step"] for x in (tmp_path / "b" / "metrics.jsonl").read_text().splitlines()] == list(
        range(1, 11)
    )
    assert all(torch.equal(a, b) for a, b in zip(whole.weights().values(), resumed.weights().values(), strict=True))


def test_sigint_writes_a_checkpoint_then_stops(tmp_path: Path) -> None:
    before = signal.getsignal(signal.SIGINT)
    loop = LoopConfig(steps=50, log_every=10, sample_every=0, ckpt_every=100, progress=False)
    result = fit(Regression(), Source(signal_at=4), run_dir=tmp_path, loop=loop)
    assert result.stopped == "SIGINT" and result.step == 5 and not result.finished
    assert latest_checkpoint(tmp_path).name == "step_00000005"
    assert signal.getsignal(signal.SIGINT) is before


def test_divergence_is_a_clear_error(tmp_path: Path) -> None:
    model = Regression()
    model.nan_at = 3
    with pytest.raises(BrushworkError, match="diverged at step 3"):
        fit(model, Source(), run_dir=tmp_path, loop=LoopConfig(steps=5, progress=False, sample_every=0))


def test_time_limit_stops_with_a_checkpoint(tmp_path: Path) -> None:
    loop = LoopConfig(steps=1000, time_limit_s=0.0, sample_every=0, progress=False)
    result = fit(Regression(), Source(), run_dir=tmp_path, loop=loop)
    assert result.stopped == "time_limit" and result.step == 1 and result.checkpoint is not None


def test_time_limit_sets_the_bar_total_and_a_preview_is_kept_fresh(tmp_path: Path, monkeypatch) -> None:
    import tqdm

    totals: list[int] = []

    class Bar(tqdm.tqdm):
        def refresh(self, *args: Any, **kwargs: Any) -> Any:
            totals.append(self.total)
            return super().refresh(*args, **kwargs)

    monkeypatch.setattr(tqdm, "tqdm", Bar)
    clock = iter(range(10_000))  # every perf_counter() call is one more second
    monkeypatch.setattr("brushwork.train.time.perf_counter", lambda: float(next(clock)))
    loop = LoopConfig(steps=1000, time_limit_s=60, preview_every_s=10, sample_every=0, progress=False)
    result = fit(Regression(), Source(), run_dir=tmp_path, loop=loop)
    assert result.stopped == "time_limit" and 5 < result.step < 60
    assert totals and totals[-1] == result.step  # the bar ends where the time limit did, not at 1000
    assert all(t < 1000 for t in totals)
    assert (tmp_path / "preview.jpg").is_file()


def test_rng_state_round_trip_survives_weights_only_save(tmp_path: Path) -> None:
    state = get_rng_state()
    torch.save(state, tmp_path / "s.pt")
    expected = (torch.rand(3), np.random.rand(), random.random())
    set_rng_state(torch.load(tmp_path / "s.pt", weights_only=True))
    assert torch.equal(torch.rand(3), expected[0])
    assert np.random.rand() == expected[1] and random.random() == expected[2]


_DDP_SCRIPT = textwrap.dedent(
    """
    import os, sys, torch
    torch.set_num_threads(1)
    import brushwork.train as loop
    from brushwork.api.train import train

    captured = {}
    original = loop.fit

    def spy(trainable, source, **kw):
        result = original(trainable, source, **kw)
        captured["weights"] = trainable.weights()
        captured["ddp"] = type(trainable._call["D_A"]).__name__
        return result

    loop.fit = spy
    data, out = sys.argv[1], sys.argv[2]
    config = {"ngf": 4, "blocks": 1, "ndf": 4, "disc_layers": 2, "crop_size": 32, "load_size": 36}
    result = train(data, out, config=config, steps=3, log_every=1, sample_every=0, progress=False, device="cpu")
    rank = os.environ["RANK"]
    torch.save({**captured, "step": result.step}, os.path.join(out, f"rank{rank}.pt"))
    from brushwork import exit_rank

    exit_rank(0)  # a rank that trained DDP ends so (gloo's threads outlive the group)
    """
)


def test_ddp_on_cpu_with_two_processes_keeps_ranks_in_sync(tmp_path: Path, make_unpaired, torchrun) -> None:
    data = make_unpaired(tmp_path / "data")
    script = tmp_path / "ddp.py"
    script.write_text(_DDP_SCRIPT)
    out = tmp_path / "run"
    out.mkdir()
    proc = torchrun(str(script), str(data), str(out))
    assert proc.returncode == 0, proc.stderr[-3000:]
    r0, r1 = (torch.load(out / f"rank{r}.pt", weights_only=True) for r in (0, 1))
    assert r0["step"] == r1["step"] == 3 and r0["ddp"] == "DistributedDataParallel"
    assert all(torch.equal(r0["weights"][k], r1["weights"][k]) for k in r0["weights"])
    ckpt = latest_checkpoint(out)
    assert ckpt is not None and json.loads((ckpt / "config.json").read_text())["world_size"] == 2
    assert len((out / "metrics.jsonl").read_text().splitlines()) == 3  # rank 0 only


_EXIT_SCRIPT = textwrap.dedent(
    """
    import logging, logging.handlers, sys
    from brushwork.train import exit_rank

    buffered = logging.handlers.MemoryHandler(100, target=logging.FileHandler(sys.argv[1]))  # writes when flushed
    logging.basicConfig(handlers=[buffered], level=logging.INFO)
    logging.getLogger("x").info("logged before the exit")
    sys.stdout.write("unflushed line without a newline")
    exit_rank(3)
    """
)


def test_exit_rank_flushes_logs_and_streams_and_keeps_the_code(tmp_path: Path) -> None:
    log_file = tmp_path / "run.log"
    proc = subprocess.run(
        [sys.executable, "-c", _EXIT_SCRIPT, str(log_file)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"},  # stdout to a pipe is then buffered
    )
    assert proc.returncode == 3, proc.stderr[-2000:]
    assert proc.stdout == "unflushed line without a newline"
    assert "logged before the exit" in log_file.read_text()
