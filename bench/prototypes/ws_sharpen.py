"""Prototype (session 42): ``fast`` painting at a working scale, then the 3 × 3 unsharp mask of ``metrics.sharpen``.

``make("w=0.75;a=1")`` (the defaults): working scale ``w``, unsharp amount ``a`` (0: none). Judged blind in
session 42 against ``fast`` as shipped: 11 / 48 (``bench/blind_results/session42/``)::

    .venv/bin/python bench/blind_ab.py make --ours "py:bench/prototypes/ws_sharpen.py:w=0.75;a=1" \\
        --against fast:fast --against peer --start 26 --seed 4202 --out out/blind/ws --key out/blind/ws.json
"""

from __future__ import annotations

from collections.abc import Callable

from PIL import Image


def make(arg: str = "") -> Callable[[Image.Image, Image.Image], Image.Image]:
    import brushwork
    from arbitrary_quality import prototype_settings
    from brushwork.imageio import to_pil
    from brushwork.metrics import sharpen

    settings = {k: float(v) for k, v in prototype_settings(arg, {"w": "0.75", "a": "1"}, "ws_sharpen").items()}

    def run(photo: Image.Image, style: Image.Image) -> Image.Image:
        picture = brushwork.stylize(
            photo, style, method="fast", model="fast", device="cpu", work_scale=settings["w"], underpaint=0
        )
        return to_pil(sharpen(picture, amount=settings["a"]) if settings["a"] else picture)

    return run
