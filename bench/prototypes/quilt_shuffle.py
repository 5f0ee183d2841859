"""Prototype (session 48): the quilted underpainting with and without ``shuffle``.

``brushwork.quilting.quilt`` first chose each patch as the best fit within 10 % of the best; at large sizes that
copied whole stretches of the painting, or tiled one patch (a figure of la_muse repeated in a lattice across a
2560-px sky). ``shuffle`` bans the neighbours' sources and their continuations. ``make("s=0")`` is ``fast`` as
shipped with the quilt unshuffled (what was judged blind before), ``s=1`` with it shuffled (the default since).
"""

from __future__ import annotations

from collections.abc import Callable

from PIL import Image


def make(arg: str = "") -> Callable[[Image.Image, Image.Image], Image.Image]:
    import functools

    import brushwork
    from arbitrary_quality import prototype_settings
    from brushwork.methods import underpaint
    from brushwork.quilting import quilt

    shuffle = prototype_settings(arg, {"s": "1"}, "quilt_shuffle")["s"] != "0"

    def run(photo: Image.Image, style: Image.Image) -> Image.Image:
        real = underpaint.quilt
        underpaint.quilt = functools.partial(quilt, shuffle=shuffle)
        try:
            return brushwork.stylize(photo, style, method="fast", device="cpu", size=max(photo.size), as_pil=True)
        finally:
            underpaint.quilt = real

    return run
