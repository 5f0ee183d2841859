"""Uploads in, tensors out: size limits, image-only decoding, and no client path ever on the filesystem.

An upload is held in memory, written to an anonymous temporary file under a name of our making (brushwork's
reader takes a path: content decides the format, corrupt and oversized images are refused before decoding),
read, and deleted. The client's file name appears only in messages, shortened and stripped of control
characters.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from typing import Any

import torch

from brushwork.errors import ImageError

__all__ = ["MAX_UPLOAD_BYTES", "BodyLimit", "UploadTooLargeError", "decode_upload", "display_name"]

#: Largest accepted image upload (one file).
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
_MB = 1024 * 1024


class UploadTooLargeError(ImageError):
    """An upload (or the whole request) is over the size limit; answered with HTTP 413."""


def display_name(filename: str | None, fallback: str) -> str:
    """A client-supplied file name made safe to show: base name only, printable, at most 60 characters."""
    name = re.split(r"[\\/]", filename or "")[-1]
    name = "".join(ch for ch in name if ch.isprintable())[:60]
    return name or fallback


def decode_upload(data: bytes, label: str, *, max_bytes: int = MAX_UPLOAD_BYTES, max_pixels: int) -> torch.Tensor:
    """Decode an uploaded image to ``(1, 3, H, W)`` RGB in [0, 1] (alpha composited on white).

    Raises:
        UploadTooLargeError: more than ``max_bytes``.
        ImageError: empty, not an image, corrupt, or more than ``max_pixels`` pixels; the message names ``label``.
    """
    from brushwork.imageio import read_image

    if len(data) > max_bytes:
        raise UploadTooLargeError(
            f"{label}: {len(data) / _MB:.1f} MB is over the upload limit of {max_bytes / _MB:.0f} MB"
        )
    if not data:
        raise ImageError(f"{label}: empty file (0 bytes)")
    fd, tmp = tempfile.mkstemp(prefix="brushwork-upload-", suffix=".bin")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        try:
            return read_image(tmp, max_pixels=max_pixels).rgb
        except ImageError as exc:
            message = str(exc).replace(tmp, label)
            hint = "raise it with --max-pixels or BRUSHWORK_MAX_PIXELS if you trust the file"
            raise ImageError(message.replace(hint, "the server's --max-pixels setting")) from None
    finally:
        os.unlink(tmp)


class BodyLimit:
    """ASGI middleware: refuse request bodies over ``max_bytes`` with 413, by header or by counting the stream."""

    def __init__(self, app: Any, max_bytes: int, per_file: int = MAX_UPLOAD_BYTES) -> None:
        self.app, self.max_bytes, self.per_file = app, max_bytes, per_file

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit, each = self.max_bytes / _MB, self.per_file / _MB
        message = f"request body over the limit of {limit:.0f} MB (at most {each:.0f} MB an image)"
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            await _send_error(send, 413, message)
            return
        seen, started = 0, False

        async def counted_receive() -> dict[str, Any]:
            nonlocal seen
            event = await receive()
            seen += len(event.get("body", b""))
            if seen > self.max_bytes:
                raise UploadTooLargeError(message)
            return event

        async def tracked_send(event: dict[str, Any]) -> None:
            nonlocal started
            started = started or event["type"] == "http.response.start"
            await send(event)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except UploadTooLargeError:
            if started:
                raise
            await _send_error(send, 413, message)


async def _send_error(send: Any, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
