"""Prototype (session 42): ``fast`` with the 2-cell notch of ``filters.nyquist_notch`` on its 1/8 sites' outputs.

The lattice blind viewers name first against ``fast`` ("grid", "checker", 8–16 px) is the 1/8 dynamic filters'
(docs/arbitrary_recipe.md, sessions 31 and 36): their maps alternating from cell to cell, enlarged 8×. The
shipped notch takes the 2-px screen off the picture; this one takes the alternate-cell patterns off the 1/8 maps
only, leaving their smoother marks. ``make("s=1")``: notch strength ``s`` (0 … 1). Forward hooks on the cached
``fast`` network, active only inside this prototype's calls (other specs in the same run share the network).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PIL import Image


class _Active(list):
    """The strengths of the calls in progress; one list for the network and its channels-last copies."""

    def __deepcopy__(self, memo: dict) -> _Active:
        return self


def _hook(module: Any, _inputs: Any, output: Any) -> Any:
    from brushwork.filters import nyquist_notch

    active = module.notch8_active  # shared by every copy of this file loaded in one run
    return nyquist_notch(output, strength=active[-1]) if active else output


def make(arg: str = "") -> Callable[[Image.Image, Image.Image], Image.Image]:
    import torch

    import brushwork
    from brushwork.api._models import student_net

    strength = 1.0
    for pair in filter(None, arg.split(";")):
        key, _, value = pair.partition("=")
        if key != "s" or not value:
            raise SystemExit(f"notch8: {pair!r} is not s=STRENGTH")
        strength = float(value)
    net, _, _ = student_net("fast", torch.device("cpu"))
    if not hasattr(net, "notch8_active"):
        net.notch8_active = _Active()
        for stride, site in zip(net.strides, net.sites, strict=True):
            if stride == 8:
                site.notch8_active = net.notch8_active
                site.register_forward_hook(_hook)

    def run(photo: Image.Image, style: Image.Image) -> Image.Image:
        net.notch8_active.append(strength)
        try:
            return brushwork.stylize(photo, style, method="fast", model="fast", device="cpu", as_pil=True, underpaint=0)
        finally:
            net.notch8_active.pop()

    return run
