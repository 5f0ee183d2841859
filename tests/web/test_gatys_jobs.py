"""Gatys through the web app with the real VGG16: progress is reported, and a running job can be cancelled."""

from __future__ import annotations

import io
import time

import pytest

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def painting_png() -> bytes:
    """brushwork's built-in swirl painting, 128 px, as PNG bytes."""
    from brushwork.imageio import to_pil
    from brushwork.samples import swirl_painting

    buffer = io.BytesIO()
    to_pil(swirl_painting(128)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_gatys_reports_progress_and_finishes(serve_app, small_png, painting_png) -> None:
    http, _ = serve_app()
    files = {"content": ("astronaut.png", small_png), "style": ("swirl.png", painting_png)}
    resp = http.post("/api/jobs", {"method": "gatys", "size": "64", "strength": "1"}, files)
    assert resp.status == 202, resp.body
    job = http.wait(resp.json()["id"], timeout=300)
    assert job["state"] == "done", job
    assert job["total"] > 1 and job["step"] == job["total"]
    result = http.get(f"/api/jobs/{job['id']}/result")
    assert result.status == 200 and result.body.startswith(b"\x89PNG")


def test_a_running_gatys_job_can_be_cancelled(serve_app, small_png, painting_png) -> None:
    http, app = serve_app()
    files = {"content": ("astronaut.png", small_png), "style": ("swirl.png", painting_png)}
    job_id = http.post("/api/jobs", {"method": "gatys", "size": "128"}, files).json()["id"]
    deadline = time.monotonic() + 300
    while (job := http.get(f"/api/jobs/{job_id}").json())["step"] < 1:
        assert job["state"] in ("queued", "running") and time.monotonic() < deadline, job
        time.sleep(0.05)
    cancel = http.request("POST", f"/api/jobs/{job_id}/cancel")
    assert cancel.status == 200
    job = http.wait(job_id, timeout=60)
    assert job["state"] == "cancelled" and job["step"] < job["total"], job
    assert http.get(f"/api/jobs/{job_id}/result").status == 409
    assert app.state.jobs.pending() == 0
