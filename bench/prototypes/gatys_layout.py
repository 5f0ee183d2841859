"""Prototype (session 47): Gatys' coarse level as the layout under ``fast``.

Session 44: on calm photos the picture blind viewers keep is our Gatys optimisation's (it repaints fog, still water
and plain skies with the painting's large shapes); ``fast`` leaves them as the photo's tones. This prototype asks
whether the large shapes alone are enough: Gatys paints only a small copy of the photo (its pyramid's coarse level,
``s`` px long side, ``n`` L-BFGS steps), and ``fast`` paints the full-size photo with its low frequencies replaced
by that small picture enlarged (``m=under``), or paints the enlarged small picture itself (``m=input``).

``net=DIR``: a student trained by ``layout_train.py`` paints the small picture instead of Gatys (with a reflected
16-px margin, as ``brushwork.methods.underpaint`` paints Gatys'); ``b=SIGMA`` blurs the small picture and the small
photo alike before they are enlarged (the network's lattice out).
``make("s=128;n=20;m=under;k=1")`` (the defaults); ``k`` scales the change of the low frequencies;
``c=1`` makes that change only where the photo is calm (``brushwork.methods.underpaint.calm_weight``, which began
here: local luma spread under 0.03, none above 0.10; the same weights for the 512-px photos judged).
"""

from __future__ import annotations

from collections.abc import Callable

from PIL import Image


def make(arg: str = "") -> Callable[[Image.Image, Image.Image], Image.Image]:
    import torch.nn.functional as F

    import brushwork
    from arbitrary_quality import prototype_settings
    from brushwork.imageio import from_pil, to_pil
    from brushwork.methods.underpaint import MARGIN_FRACTION, calm_weight

    defaults = {"s": "128", "n": "20", "m": "under", "k": "1", "c": "0", "net": "", "b": "0"}
    settings = prototype_settings(arg, defaults, "gatys_layout")
    side, steps, mode, amount = int(settings["s"]), int(settings["n"]), settings["m"], float(settings["k"])
    calm_only = settings["c"] != "0"
    painter = None
    if settings["net"]:
        from brushwork.methods.student import load_student

        painter, _ = load_student(settings["net"])

    def coarse_of(small, style: Image.Image):
        if painter is None:
            return brushwork.stylize(small, style, method="gatys", device="cpu", levels=1, steps=steps, size=side)
        import torch

        painting = from_pil(style)
        scale = side / max(painting.shape[-2:])
        size = (max(1, round(painting.shape[-2] * scale)), max(1, round(painting.shape[-1] * scale)))
        painting = F.interpolate(painting, size=size, mode="area")
        m = min(round(side * MARGIN_FRACTION), small.shape[-2] - 1, small.shape[-1] - 1)  # as methods.underpaint
        padded = F.pad(small, (m, m, m, m), mode="reflect")
        with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
            picture = painter(padded, painter.style_code(painting)).float().clamp(0, 1)
        return picture[..., m : m + small.shape[-2], m : m + small.shape[-1]]

    def run(photo: Image.Image, style: Image.Image) -> Image.Image:
        full = from_pil(photo)
        h, w = full.shape[-2:]
        scale = side / max(h, w)
        small_size = (max(1, round(h * scale)), max(1, round(w * scale)))
        small = F.interpolate(full, size=small_size, mode="area")
        coarse = coarse_of(small, style)
        if float(settings["b"]):
            from brushwork.filters import gaussian_blur

            coarse, small = gaussian_blur(coarse, float(settings["b"])), gaussian_blur(small, float(settings["b"]))
        up = F.interpolate(coarse, size=(h, w), mode="bicubic", align_corners=False)
        if mode == "under":
            base = F.interpolate(small, size=(h, w), mode="bicubic", align_corners=False)
            weight = calm_weight(full) if calm_only else 1.0
            content = (full + amount * weight * (up - base)).clamp(0, 1)
        else:
            content = up.clamp(0, 1)
        return to_pil(brushwork.stylize(content, style, method="fast", model="fast", device="cpu", underpaint=0))

    return run
