"""Fixtures for the web app: a scikit-image photo, real uvicorn servers on free ports, a stdlib HTTP client."""

from __future__ import annotations

import http.client
import io
import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def png_bytes(array: Any) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture(scope="session")
def astronaut_png() -> bytes:
    """scikit-image's astronaut (512x512 RGB) as PNG bytes."""
    from skimage import data

    return png_bytes(data.astronaut())


@pytest.fixture(scope="session")
def small_png() -> bytes:
    """The astronaut at 64x64: quick to paint."""
    from skimage import data
    from skimage.transform import resize

    small = (resize(data.astronaut(), (64, 64), anti_aliasing=True) * 255).round().astype("uint8")
    return png_bytes(small)


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Http:
    """A tiny client for one server: ``get``/``post`` with multipart uploads, and job polling."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.host, port = base.removeprefix("http://").split(":")
        self.port = int(port)

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> Response:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            return Response(resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read())
        finally:
            conn.close()

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def post(
        self,
        path: str,
        fields: dict[str, str] | None = None,
        files: dict[str, tuple[str, bytes]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        boundary = uuid.uuid4().hex
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
            for k, v in (fields or {}).items()
        ]
        for name, (filename, data) in (files or {}).items():
            head = (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                "Content-Type: application/octet-stream\r\n\r\n"
            )
            parts.append(head.encode() + data + b"\r\n")
        parts.append(f"--{boundary}--\r\n".encode())
        all_headers = {"Content-Type": f"multipart/form-data; boundary={boundary}", **(headers or {})}
        return self.request("POST", path, b"".join(parts), all_headers)

    def wait(self, job_id: str, timeout: float = 120.0) -> dict[str, Any]:
        """Poll a job until it is finished; its final state."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = self.get(f"/api/jobs/{job_id}").json()
            if job["state"] not in ("queued", "running"):
                return job
            time.sleep(0.05)
        raise AssertionError(f"job {job_id} did not finish in {timeout} s")


@pytest.fixture
def serve_app() -> Iterator[Callable[..., tuple[Http, Any]]]:
    """Factory: ``serve_app(**create_app_kwargs) -> (client, app)``, a real uvicorn server in a thread."""
    import uvicorn

    from brushwork.web.app import create_app

    servers: list[tuple[Any, threading.Thread]] = []

    def start(**kwargs: Any) -> tuple[Http, Any]:
        app = create_app(device="cpu", **kwargs)
        port = free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", ws="none", lifespan="on")
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        servers.append((server, thread))
        deadline = time.monotonic() + 30
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)
        return Http(f"http://127.0.0.1:{port}"), app

    yield start
    for server, thread in servers:
        server.should_exit = True
        thread.join(10)


@dataclass
class ServerProcess:
    """``brushwork serve`` running in its own process."""

    process: subprocess.Popen[bytes]
    http: Http
    log: Path

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise AssertionError("no VmRSS in /proc")


@pytest.fixture(scope="module")
def server_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """The real CLI, ``brushwork serve --port P --device cpu``, on a free port (module-scoped: started once)."""
    port = free_port()
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "2")}
    cmd = [sys.executable, "-m", "brushwork", "serve", "--port", str(port), "--device", "cpu", "--max-jobs", "4"]
    with log.open("wb") as out:
        process = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=REPO, env=env)
    client = Http(f"http://127.0.0.1:{port}")
    deadline = time.monotonic() + 120
    try:
        while True:
            assert process.poll() is None, f"brushwork serve exited: {log.read_text()[-2000:]}"
            assert time.monotonic() < deadline, f"brushwork serve did not answer in 120 s: {log.read_text()[-2000:]}"
            try:
                if client.get("/api/info").status == 200:
                    break
            except OSError:
                time.sleep(0.2)
        yield ServerProcess(process, client, log)
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
