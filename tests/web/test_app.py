"""The web app at the HTTP level, on a real uvicorn server: jobs, results, limits, busy, safety."""

from __future__ import annotations

import io
import threading

import numpy as np
import pytest
from PIL import Image

VANGOGH = {"method": "vangogh", "size": "64"}


def decode_png(body: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(body)) as img:
        assert img.format == "PNG"
        return np.asarray(img.convert("RGB"))


def test_page_and_static_files(serve_app) -> None:
    http, _ = serve_app()
    page = http.get("/")
    assert page.status == 200
    assert b'id="content-input"' in page.body and b"/static/app.js" in page.body
    assert "default-src 'self'" in page.headers["content-security-policy"]
    script = http.get("/static/app.js")
    assert script.status == 200 and b"/api/jobs" in script.body
    info = http.get("/api/info").json()
    assert "vangogh" in info["methods"] and "gatys" in info["methods"]
    assert info["methods"]["gatys"]["style"] is True and info["methods"]["vangogh"]["style"] is False


def test_vangogh_job_gives_a_painted_png(serve_app, small_png) -> None:
    http, _ = serve_app()
    resp = http.post("/api/jobs", VANGOGH, {"content": ("astronaut.png", small_png)})
    assert resp.status == 202, resp.body
    job = http.wait(resp.json()["id"])
    assert job["state"] == "done", job
    result = http.get(f"/api/jobs/{job['id']}/result")
    assert result.status == 200 and result.headers["content-type"] == "image/png"
    painted, photo = decode_png(result.body), decode_png(small_png)
    assert painted.shape == (64, 64, 3)
    assert np.abs(painted.astype(int) - photo.astype(int)).mean() > 5  # really repainted, not echoed back


def test_strength_zero_and_preserve_color(serve_app, small_png) -> None:
    http, _ = serve_app()
    photo = decode_png(small_png).astype(int)
    results = {}
    for name, fields in {"zero": {"strength": "0"}, "keep": {"preserve_color": "1"}, "full": {}}.items():
        resp = http.post("/api/jobs", {**VANGOGH, **fields}, {"content": ("a.png", small_png)})
        job = http.wait(resp.json()["id"])
        assert job["state"] == "done", job
        results[name] = decode_png(http.get(f"/api/jobs/{job['id']}/result").body).astype(int)
    assert np.abs(results["zero"] - photo).max() <= 1  # strength 0 is the photo itself
    assert np.abs(results["keep"] - results["full"]).mean() > 1  # colour preservation changes the result


def test_non_image_upload_is_a_400_and_server_goes_on(serve_app, small_png) -> None:
    http, _ = serve_app()
    resp = http.post("/api/jobs", VANGOGH, {"content": ("../../etc/notes.png", b"just some text, not pixels")})
    assert resp.status == 400
    detail = resp.json()["detail"]
    assert "notes.png: not an image" in detail and "/tmp" not in detail and "etc" not in detail
    truncated = small_png[: len(small_png) // 2]
    resp = http.post("/api/jobs", VANGOGH, {"content": ("half.png", truncated)})
    assert resp.status == 400 and "half.png" in resp.json()["detail"]
    ok = http.post("/api/jobs", VANGOGH, {"content": ("a.png", small_png)})
    assert ok.status == 202 and http.wait(ok.json()["id"])["state"] == "done"


def test_oversize_upload_is_a_413_with_the_limit(serve_app) -> None:
    http, _ = serve_app()
    resp = http.post("/api/jobs", VANGOGH, {"content": ("big.png", b"\x89PNG" + bytes(21 * 1024 * 1024))})
    assert resp.status == 413
    assert resp.json()["detail"] == "big.png: over the upload limit of 20 MB"


def test_whole_request_over_the_limit_is_refused_before_parsing(serve_app) -> None:
    http, app = serve_app(max_upload_bytes=1024)
    body = b"x" * (3 * 1024 * 1024)
    resp = http.request("POST", "/api/jobs", body, {"Content-Type": "multipart/form-data; boundary=b"})
    assert resp.status == 413 and "request body over the limit of 1 MB" in resp.json()["detail"]
    assert app.state.jobs.pending() == 0


def test_pixel_limit_is_a_400(serve_app, small_png) -> None:
    http, _ = serve_app(max_pixels=1000)
    resp = http.post("/api/jobs", VANGOGH, {"content": ("a.png", small_png)})
    assert resp.status == 400
    assert "a.png: 64x64" in resp.json()["detail"] and "exceeds the pixel limit" in resp.json()["detail"]


@pytest.mark.parametrize(
    ("fields", "files", "message"),
    [
        ({"method": "vangogh"}, {}, "upload a content image"),
        ({"method": "nope"}, {"content": ("a.png", None)}, "method 'nope': not available"),
        ({"method": "vangogh", "strength": "2"}, {"content": ("a.png", None)}, "strength 2.0: must be between"),
        ({"method": "vangogh", "size": "big"}, {"content": ("a.png", None)}, "size 'big': expected a whole number"),
        ({"method": "vangogh", "size": "5000"}, {"content": ("a.png", None)}, "size 5000: the output's long side"),
        ({"method": "gatys"}, {"content": ("a.png", None)}, "gatys: upload a style image"),
        ({"method": "vangogh", "palette": "0.5"}, {"content": ("a.png", None)}, "vangogh takes no painting"),
        ({"method": "vangogh", "palette": "2"}, {"content": ("a.png", None)}, "palette 2.0: the painting's colours"),
        (
            {"method": "fast", "palette": "0.5", "preserve_color": "1"},
            {"content": ("a.png", None), "style": ("b.png", None)},
            "not both",
        ),
    ],
)
def test_bad_settings_are_400s(serve_app, small_png, fields, files, message) -> None:
    http, app = serve_app()
    files = {k: (name, small_png) for k, (name, _) in files.items()}
    resp = http.post("/api/jobs", fields, files)
    assert resp.status == 400, resp.body
    assert message in resp.json()["detail"]
    assert app.state.jobs.pending() == 0


def test_malformed_requests_are_400s(serve_app) -> None:
    http, app = serve_app()
    garbage = http.request("POST", "/api/jobs", b"garbage", {"Content-Type": "multipart/form-data; boundary=zz"})
    assert garbage.status == 400, garbage.body
    as_json = http.request("POST", "/api/jobs", b'{"content": "/etc/passwd"}', {"Content-Type": "application/json"})
    assert as_json.status == 400 and "upload a content image" in as_json.json()["detail"]
    assert app.state.jobs.pending() == 0


def test_numbers_sent_as_files_and_thin_strips_are_400s(serve_app, small_png) -> None:
    http, app = serve_app()
    as_file = http.post("/api/jobs", {"method": "vangogh"}, {"content": ("a.png", small_png), "size": ("s", b"64")})
    assert as_file.status == 400 and "expected a whole number" in as_file.json()["detail"]
    strip = io.BytesIO()
    Image.new("RGB", (400, 10), (200, 100, 50)).save(strip, format="PNG")
    resp = http.post("/api/jobs", VANGOGH, {"content": ("strip.png", strip.getvalue())})
    assert resp.status == 400 and resp.json()["detail"] == "strip.png: 400x10 px is too elongated (at most 8:1)"
    assert app.state.jobs.pending() == 0


def test_full_queue_answers_503_busy(serve_app, small_png) -> None:
    http, app = serve_app(max_jobs=1)
    app.state.jobs.reserve()  # the one slot is taken, as by a long job
    try:
        resp = http.post("/api/jobs", VANGOGH, {"content": ("a.png", small_png)})
        assert resp.status == 503
        assert "busy" in resp.json()["detail"]
    finally:
        app.state.jobs.release()
    resp = http.post("/api/jobs", VANGOGH, {"content": ("a.png", small_png)})
    assert resp.status == 202 and http.wait(resp.json()["id"])["state"] == "done"


def test_unknown_job_and_result_before_done(serve_app) -> None:
    http, app = serve_app()
    assert http.get("/api/jobs/nope").status == 404
    assert http.request("POST", "/api/jobs/nope/cancel").status == 404
    release = threading.Event()
    app.state.jobs.reserve()
    job = app.state.jobs.submit(lambda j: release.wait(30) and b"result bytes")
    early = http.get(f"/api/jobs/{job.id}/result")
    assert early.status == 409 and "no result" in early.json()["detail"]
    release.set()
    assert http.wait(job.id)["state"] == "done"
    assert http.get(f"/api/jobs/{job.id}/result").body == b"result bytes"


def test_other_hosts_and_cross_origin_posts_are_refused(serve_app, small_png) -> None:
    http, _ = serve_app()
    evil = http.request("GET", "/api/info", headers={"Host": "evil.example"})
    assert evil.status == 400
    resp = http.post("/api/jobs", VANGOGH, {"content": ("a.png", small_png)}, {"Origin": "http://evil.example"})
    assert resp.status == 403 and "cross-origin" in resp.json()["detail"]
    same = http.post("/api/jobs", VANGOGH, {"content": ("a.png", small_png)}, {"Origin": http.base})
    assert same.status == 202
    http.wait(same.json()["id"])


@pytest.mark.integration
def test_adain_job_with_an_uploaded_painting(serve_app, small_png, shared_data) -> None:
    http, _ = serve_app()
    assert "adain" in http.get("/api/info").json()["methods"]  # shown because the decoder ships
    painting = (shared_data / "styles" / "candy.jpg").read_bytes()
    fields = {"method": "adain", "size": "64", "strength": "0.8"}
    resp = http.post("/api/jobs", fields, {"content": ("a.png", small_png), "style": ("candy.jpg", painting)})
    assert resp.status == 202, resp.body
    job = http.wait(resp.json()["id"])
    assert job["state"] == "done", job
    painted = decode_png(http.get(f"/api/jobs/{job['id']}/result").body)
    assert painted.shape[:2] == (64, 64)
    assert np.abs(painted.astype(int) - decode_png(small_png).astype(int)).mean() > 5


def test_fast_is_offered_and_every_method_has_a_preview(serve_app) -> None:
    methods = serve_app()[0].get("/api/info").json()["methods"]
    assert methods["fast"]["style"] is True  # the shipped student
    assert all(info["preview"] for info in methods.values())


def test_a_model_preview_comes_back_at_once_small_and_painted(serve_app, astronaut_png) -> None:
    http, _ = serve_app()
    resp = http.post("/api/preview", {"method": "vangogh", "size": "1024"}, {"content": ("a.png", astronaut_png)})
    assert resp.status == 200, resp.body
    assert resp.headers["content-type"] == "image/png" and resp.headers["x-method"] == "vangogh"
    painted = decode_png(resp.body)
    assert painted.shape == (384, 384, 3)  # the preview size, whatever size the form asks for
    photo = np.asarray(Image.open(io.BytesIO(astronaut_png)).convert("RGB").resize((384, 384)), dtype=int)
    assert np.abs(painted.astype(int) - photo).mean() > 5
    assert http.get("/api/info").json()["pending"] == 0  # previews bypass the job queue


@pytest.mark.integration
@pytest.mark.parametrize("method", ["fast", "gatys"])
def test_painting_styles_are_previewed_by_fast(serve_app, small_png, shared_data, method) -> None:
    http, _ = serve_app()
    painting = (shared_data / "styles" / "candy.jpg").read_bytes()
    files = {"content": ("a.png", small_png), "style": ("candy.jpg", painting)}
    resp = http.post("/api/preview", {"method": method, "strength": "3"}, files)
    if method == "fast":  # fast's strength is an alpha in [0, 1]
        assert resp.status == 400 and "strength 3.0" in resp.json()["detail"]
        resp = http.post("/api/preview", {"method": method, "strength": "1"}, files)
    assert resp.status == 200, resp.body
    assert resp.headers["x-method"] == "fast"  # Gatys' 3 became fast's full alpha
    painted = decode_png(resp.body)
    assert painted.shape == (384, 384, 3)
    photo = np.asarray(Image.open(io.BytesIO(small_png)).convert("RGB").resize((384, 384)), dtype=int)
    assert np.abs(painted.astype(int) - photo).mean() > 5


@pytest.mark.integration
def test_the_paintings_colours_slider(serve_app, small_png, shared_data) -> None:
    http, _ = serve_app()
    path = shared_data / "styles" / "candy.jpg"
    files = {"content": ("a.png", small_png), "style": ("candy.jpg", path.read_bytes())}
    target = np.asarray(Image.open(path).convert("RGB"), dtype=float).reshape(-1, 3).mean(axis=0)
    pictures = []
    for palette in ("0", "1", None):  # None: the slider left alone, the model's own (the shipped fast: 1)
        resp = http.post("/api/preview", {"method": "fast", **({} if palette is None else {"palette": palette})}, files)
        assert resp.status == 200, resp.body
        pictures.append(decode_png(resp.body).reshape(-1, 3).astype(float))
    assert np.abs(pictures[1].mean(axis=0) - target).max() < 3  # 1: the painting's mean colour (within rounding)
    assert np.abs(pictures[1] - pictures[0]).mean() > 2  # the slider is wired (the covariance moves too)
    assert np.array_equal(pictures[2], pictures[1])
    adain = [http.post("/api/preview", {"method": "adain", **extra}, files) for extra in ({}, {"palette": "0"})]
    assert all(r.status == 200 for r in adain)  # previewed by fast, but in adain's own colours (no palette)
    assert np.array_equal(decode_png(adain[0].body), decode_png(adain[1].body))


def test_preview_errors_are_one_line_400s(serve_app, small_png) -> None:
    http, _ = serve_app()
    no_style = http.post("/api/preview", {"method": "fast"}, {"content": ("a.png", small_png)})
    assert no_style.status == 400 and "upload a style image" in no_style.json()["detail"]
    no_photo = http.post("/api/preview", {"method": "vangogh"})
    assert no_photo.status == 400 and "content image" in no_photo.json()["detail"]
    junk = http.post("/api/preview", {"method": "vangogh"}, {"content": ("notes.jpg", b"not a picture")})
    assert junk.status == 400 and "notes.jpg" in junk.json()["detail"]
    unknown = http.post("/api/preview", {"method": "nope"}, {"content": ("a.png", small_png)})
    assert unknown.status == 400 and "nope" in unknown.json()["detail"]
    evil = http.post("/api/preview", {"method": "vangogh"}, {"content": ("a.png", small_png)}, {"Origin": "http://x.y"})
    assert evil.status == 403


def test_preview_method_without_the_fast_model() -> None:
    from brushwork.errors import ConfigError
    from brushwork.web.stylist import preview_method

    methods = {"vangogh": {"style": False}, "gatys": {"style": True}}
    assert preview_method(methods, "vangogh") == "vangogh"
    with pytest.raises(ConfigError, match="fast model is not installed"):
        preview_method(methods, "gatys")
    assert preview_method({**methods, "fast": {"style": True}}, "gatys") == "fast"


def test_a_second_preview_meanwhile_is_a_503_and_the_next_one_works(serve_app, small_png) -> None:
    http, app = serve_app()
    fields, files = {"method": "vangogh"}, {"content": ("a.png", small_png)}
    with app.state.preview_lock:  # a preview being painted
        busy = http.post("/api/preview", fields, files)
    assert busy.status == 503 and "try again" in busy.json()["detail"]
    assert http.post("/api/preview", fields, files).status == 200
