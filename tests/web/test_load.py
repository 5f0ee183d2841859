"""A bounded load test: 20 concurrent requests against ``brushwork serve``; each completes or is told "busy".

Prints the counts and the server's resident memory before and after (``pytest -s`` shows them).
"""

from __future__ import annotations

import io
import threading

import pytest
from PIL import Image

pytestmark = pytest.mark.integration

CLIENTS = 20


def test_twenty_concurrent_requests(server_process, small_png: bytes) -> None:
    http = server_process.http
    fields = {"method": "vangogh", "size": "64"}
    warm = http.post("/api/jobs", fields, {"content": ("warm.png", small_png)})
    assert warm.status == 202 and http.wait(warm.json()["id"])["state"] == "done"  # model loaded
    rss_before = server_process.rss_mb()

    start = threading.Barrier(CLIENTS)
    outcomes: list[tuple[str, str]] = []
    lock = threading.Lock()

    def client(i: int) -> None:
        start.wait(30)
        try:
            resp = http.post("/api/jobs", fields, {"content": (f"photo{i}.png", small_png)})
            if resp.status == 503:
                outcome = ("busy", resp.json()["detail"])
            elif resp.status == 202:
                job = http.wait(resp.json()["id"], timeout=120)
                result = http.get(f"/api/jobs/{job['id']}/result")
                with Image.open(io.BytesIO(result.body)) as img:
                    outcome = (job["state"], f"{img.size}")
            else:
                outcome = (f"http {resp.status}", resp.body.decode(errors="replace")[:200])
        except Exception as exc:  # recorded, then asserted on below
            outcome = ("exception", repr(exc))
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(180)
    rss_after = server_process.rss_mb()

    done = [o for o in outcomes if o[0] == "done"]
    busy = [o for o in outcomes if o[0] == "busy"]
    print(f"\nload: {len(done)} completed, {len(busy)} busy of {CLIENTS}; RSS {rss_before:.0f} -> {rss_after:.0f} MB")
    assert len(outcomes) == CLIENTS
    assert len(done) + len(busy) == CLIENTS, [o for o in outcomes if o[0] not in ("done", "busy")]
    assert done, "no request completed"
    assert all(size == "(64, 64)" for _, size in done)
    assert all("busy" in detail and "try again" in detail for _, detail in busy)
    assert server_process.process.poll() is None  # still up
    info = http.get("/api/info").json()
    assert info["pending"] == 0
    after = http.post("/api/jobs", fields, {"content": ("after.png", small_png)})
    assert after.status == 202 and http.wait(after.json()["id"])["state"] == "done"
    assert rss_after < rss_before + 300, f"server memory grew from {rss_before:.0f} to {rss_after:.0f} MB"
