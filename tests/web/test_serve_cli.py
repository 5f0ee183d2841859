"""``brushwork serve``: defaults to localhost, warns on other addresses, a clear message without the web extra."""

from __future__ import annotations

import logging
import sys

import pytest

from brushwork.cli import main
from brushwork.cli.serve import _is_loopback


@pytest.fixture
def fake_uvicorn(monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    import uvicorn

    calls: list[dict] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append({"app": app, **kw}))
    return calls


def test_defaults_bind_localhost_7860(fake_uvicorn: list[dict], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--device", "cpu"]) == 0
    (call,) = fake_uvicorn
    assert (call["host"], call["port"]) == ("127.0.0.1", 7860)
    assert call["app"].state.jobs.max_jobs == 4
    assert "http://localhost:7860" in capsys.readouterr().out
    call["app"].state.jobs.close()


def test_other_addresses_warn(fake_uvicorn: list[dict], caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        assert main(["serve", "--host", "0.0.0.0", "--port", "8000", "--max-jobs", "2"]) == 0
    assert "anyone who can reach this address" in caplog.text
    (call,) = fake_uvicorn
    assert (call["host"], call["port"], call["app"].state.jobs.max_jobs) == ("0.0.0.0", 8000, 2)
    call["app"].state.jobs.close()


def test_missing_web_extra_is_one_clear_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # import uvicorn -> ImportError
    assert main(["serve"]) == 2
    err = capsys.readouterr().err
    assert "pip install 'brushwork[web]'" in err and "uvicorn" in err


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("localhost", True), ("::1", True), ("[::1]", True), ("0.0.0.0", False), ("10.0.0.2", False)],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert _is_loopback(host) is loopback
