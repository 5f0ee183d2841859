"""The FastAPI app: the page, and a small JSON API of jobs (submit, poll, fetch the result, cancel).

``POST /api/jobs`` (multipart: ``content``, optional ``style``, ``method``, ``strength``, ``size``,
``preserve_color``, ``palette``) answers 202 with a job id, 400 for a bad upload or setting, 413 for an oversized
upload, 503 when the queue is full. ``GET /api/jobs/{id}`` gives its state and progress, ``GET /api/jobs/{id}/result``
the PNG, ``POST /api/jobs/{id}/cancel`` stops it. ``POST /api/preview`` (the same fields) answers at once with a
small PNG (:data:`PREVIEW_SIZE` px), painted by the fast student for painting styles or by the translation model
itself, outside the job queue: the page shows it while the user chooses. Every error is ``{"detail": "one line"}``.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import UploadFile
from starlette.middleware.trustedhost import TrustedHostMiddleware

from brushwork.errors import BrushworkError, ConfigError, ImageError
from brushwork.web.jobs import BusyError, Job, JobQueue
from brushwork.web.stylist import (
    PREVIEW_SIZE,
    StyleRequest,
    Stylist,
    available_methods,
    check_settings,
    preview_method,
    to_png,
    user_models,
)
from brushwork.web.uploads import MAX_UPLOAD_BYTES, BodyLimit, UploadTooLargeError, decode_upload, display_name

__all__ = ["LOCAL_HOSTS", "create_app"]

log = logging.getLogger(__name__)
STATIC = Path(__file__).resolve().parent / "static"
LOCAL_HOSTS = ("127.0.0.1", "localhost", "[::1]")
#: Style images are scaled down to this long side at most: their statistics barely change, the cost does.
STYLE_MAX_SIDE = 1024
#: Longest accepted side ratio of an uploaded photo (the output keeps it, within the size limit).
MAX_ASPECT = 8
_MB = 1024 * 1024
_PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' blob: data:; object-src 'none'",
    "X-Content-Type-Options": "nosniff",
}


class _JobNotFoundError(Exception):
    """No job of that id (never existed, or its result expired)."""


def _error(status: int, detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status)


def _number(form: Any, name: str, default: str, kind: type) -> Any:
    raw = form.get(name) or default
    try:
        if not isinstance(raw, str):  # e.g. a file part where a number belongs
            raise ValueError(raw)
        return kind(raw)
    except ValueError:
        expected = "a whole number" if kind is int else "a number"
        raise ConfigError(f"{name} {str(raw)[:20]!r}: expected {expected}") from None


async def _read(form: Any, name: str, max_bytes: int) -> tuple[bytes, str] | None:
    item = form.get(name)
    if not isinstance(item, UploadFile):
        return None
    data, label = await item.read(max_bytes + 1), display_name(item.filename, f"{name} image")
    if len(data) > max_bytes:
        raise UploadTooLargeError(f"{label}: over the upload limit of {max_bytes / _MB:.0f} MB")
    return data, label


def create_app(
    *,
    device: str = "auto",
    seed: int = 0,
    vgg16: str | None = None,
    max_jobs: int = 4,
    max_pixels: int = 25_000_000,
    max_size: int = 1024,
    max_upload_bytes: int = MAX_UPLOAD_BYTES,
    allowed_hosts: tuple[str, ...] | list[str] = LOCAL_HOSTS,
    models: tuple[str, ...] | list[str] = (),
) -> FastAPI:
    """The web app. ``max_jobs`` jobs may be queued or running; images over ``max_upload_bytes`` (20 MB) or
    ``max_pixels`` are refused; outputs are at most ``max_size`` px on the long side.

    ``allowed_hosts`` are the ``Host`` header names accepted (default: loopback only, against DNS rebinding).
    ``models``: the user's own CycleGAN model directories (e.g. from ``brushwork adapt``), offered by folder name.
    """
    own = user_models(models)
    jobs = JobQueue(max_jobs=max_jobs)
    stylist = Stylist(device, seed=seed, vgg16=vgg16, models=own)
    previewer, preview_lock = Stylist(device, seed=seed, vgg16=vgg16, models=own), threading.Lock()
    methods = available_methods(own)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        jobs.close()

    app = FastAPI(title="brushwork", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.state.jobs = jobs
    app.state.preview_lock = preview_lock
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts))
    app.add_middleware(BodyLimit, max_bytes=2 * max_upload_bytes + _MB, per_file=max_upload_bytes)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.exception_handler(BrushworkError)
    async def _bad_input(_: Request, exc: BrushworkError) -> JSONResponse:
        return _error(413 if isinstance(exc, UploadTooLargeError) else 400, str(exc))

    @app.exception_handler(BusyError)
    async def _busy(_: Request, exc: BusyError) -> JSONResponse:
        return _error(503, str(exc))

    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", headers=_PAGE_HEADERS)

    @app.get("/api/info")
    async def info() -> dict[str, Any]:
        return {
            "methods": methods,
            "max_upload_mb": max_upload_bytes / _MB,
            "max_pixels": max_pixels,
            "max_size": max_size,
            "pending": jobs.pending(),
            "max_jobs": max_jobs,
            "preview_size": PREVIEW_SIZE,
        }

    def _same_origin(request: Request) -> JSONResponse | None:
        origin = request.headers.get("origin")
        if origin and urlsplit(origin).netloc != request.headers.get("host"):
            return _error(403, f"cross-origin request from {origin[:80]} refused")
        return None

    async def _fields(request: Request) -> tuple[Any, Any, dict[str, Any]]:
        """The uploads (``(bytes, label)`` or ``None``) and the settings of a job or preview form."""
        async with request.form(max_files=2, max_fields=8) as form:
            content, style = (
                await _read(form, "content", max_upload_bytes),
                await _read(form, "style", max_upload_bytes),
            )
            settings = {
                "method": str(form.get("method") or next(iter(methods))),
                "strength": _number(form, "strength", "1", float),
                "size": _number(form, "size", "512", int),
                "preserve_color": str(form.get("preserve_color") or "").lower() in ("1", "true", "on", "luminance"),
                "palette": _number(form, "palette", "0", float) if form.get("palette") else None,  # None: the model's
            }
        if content is None:
            raise ImageError("upload a content image (a photo) first")
        return content, style, settings

    @app.post("/api/preview")
    async def preview(request: Request) -> Response:
        if refused := _same_origin(request):
            return refused
        content, style, settings = await _fields(request)
        size = min(PREVIEW_SIZE, max_size)
        check_settings(
            methods,
            settings["method"],
            settings["strength"],
            size,
            has_style=style is not None,
            max_size=max_size,
            palette=settings["palette"],
            preserve_color=settings["preserve_color"],
        )
        requested = settings["method"]
        method = preview_method(methods, requested)
        low, high = methods[method]["strength"]  # e.g. Gatys' style weight 0-5 becomes fast's alpha 0-1
        settings = {**settings, "method": method, "size": size, "strength": min(high, max(low, settings["strength"]))}
        # Previewed by fast: the requested method's colours (its palette, 0), fast's own working scale and detail.
        # Measured (session 40, 24 photo-painting pairs at 384 px): fast with adain's detail 0.3 and full size is
        # no closer to adain's picture than fast as it ships (mean difference 46.1 against 46.4 of 255).
        if settings["palette"] is None and method != requested:
            settings["palette"] = 0.0
        style = style if methods[method]["style"] else None

        def paint() -> bytes:
            # One preview at a time, decoding included (bounded memory and threads); the page sends its next
            # only when this one is back, and retries a 503 a moment later.
            if not preview_lock.acquire(blocking=False):
                raise BusyError("a preview is being painted; try again in a moment")
            try:
                return to_png(previewer.run(_decode(content, style, settings)))
            finally:
                preview_lock.release()

        png = await run_in_threadpool(paint)
        return Response(png, media_type="image/png", headers={"Cache-Control": "no-store", "X-Method": method})

    @app.post("/api/jobs", status_code=202)
    async def submit(request: Request) -> JSONResponse:
        if refused := _same_origin(request):
            return refused
        content, style, settings = await _fields(request)
        method = settings["method"]
        check_settings(
            methods,
            method,
            settings["strength"],
            settings["size"],
            has_style=style is not None,
            max_size=max_size,
            palette=settings["palette"],
            preserve_color=settings["preserve_color"],
        )
        jobs.reserve()  # BusyError -> 503 before any decoding work
        try:
            style = style if methods[method]["style"] else None
            job_request = await run_in_threadpool(_decode, content, style, settings)
        except BaseException:
            jobs.release()
            raise
        job = jobs.submit(lambda j: _run(stylist, job_request, j))
        return JSONResponse(job.public(), status_code=202)

    def _decode(content: tuple[bytes, str], style: tuple[bytes, str] | None, settings: dict) -> StyleRequest:
        """Both uploads decoded (or the first one's ImageError), the photo at the output size."""
        from brushwork.imageio import resize

        image = decode_upload(*content, max_bytes=max_upload_bytes, max_pixels=max_pixels)
        h, w = image.shape[-2:]
        if max(h, w) > MAX_ASPECT * min(h, w):  # a thin strip would be upsampled far past the size limit
            raise ImageError(f"{content[1]}: {w}x{h} px is too elongated (at most {MAX_ASPECT}:1)")
        image = resize(image, long_side=settings["size"])
        painting = None
        if style is not None:
            painting = decode_upload(*style, max_bytes=max_upload_bytes, max_pixels=max_pixels)
            if max(painting.shape[-2:]) > STYLE_MAX_SIDE:
                painting = resize(painting, long_side=STYLE_MAX_SIDE)
        return StyleRequest(content=image, style=painting, **settings)

    def _job(job_id: str) -> Job:
        job = jobs.get(job_id)
        if job is None:
            raise _JobNotFoundError(job_id)
        return job

    @app.exception_handler(_JobNotFoundError)
    async def _not_found(_: Request, exc: _JobNotFoundError) -> JSONResponse:
        return _error(404, f"job {str(exc)[:40]}: unknown or expired")

    @app.get("/api/jobs/{job_id}")
    async def status(job_id: str) -> dict[str, Any]:
        return _job(job_id).public()

    @app.post("/api/jobs/{job_id}/cancel")
    async def cancel(job_id: str) -> dict[str, Any]:
        job = jobs.cancel(job_id)
        if job is None:
            raise _JobNotFoundError(job_id)
        return job.public()

    @app.get("/api/jobs/{job_id}/result")
    async def result(job_id: str) -> Response:
        job = _job(job_id)
        if job.state != "done":
            return _error(409, f"job {job_id}: no result ({job.state}{': ' + job.message if job.message else ''})")
        return Response(job.result, media_type="image/png", headers={"Cache-Control": "no-store"})

    return app


def _run(stylist: Stylist, request: StyleRequest, job: Job) -> bytes:
    return to_png(stylist.run(request, on_step=job.progress))
