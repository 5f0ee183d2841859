"""``brushwork serve``: a local web page for stylising images (optional extra: ``pip install brushwork[web]``).

Why a small FastAPI app with one plain HTML/JS page, and not a UI framework (Gradio, Streamlit) or websockets:

- **Few dependencies.** FastAPI, uvicorn and python-multipart, and nothing else; the page is three static
  files with no build step and no CDN, so it works offline like the rest of brushwork.
- **No websockets framework.** A job is submitted with one ``POST`` and polled with ``GET`` every few hundred
  milliseconds: progress and cancellation of a Gatys run need nothing more, and plain HTTP is what every
  client, proxy and test tool speaks.
- **Easy to test.** Every behaviour is an HTTP request with a JSON or PNG answer (FastAPI's ``TestClient``
  or any HTTP client on a real server), and the page itself is driven in a real headless browser.
- **Safe by default.** Binds to localhost and accepts only loopback ``Host`` names; uploads are limited in
  bytes (20 MB) and pixels and decoded by :mod:`brushwork.imageio` in memory or an anonymous temporary file;
  one worker thread runs one job at a time with a bounded queue (full: HTTP 503 "busy"); a bad upload is an
  HTTP 400 with a one-line message, never a crash.

Layout: :mod:`~brushwork.web.app` (routes), :mod:`~brushwork.web.jobs` (queue, worker, cancel),
:mod:`~brushwork.web.uploads` (limits, decoding), :mod:`~brushwork.web.stylist` (methods, the models),
``static/`` (the page). Only this package imports FastAPI.
"""

from __future__ import annotations

__all__: list[str] = []
