"""brushwork: artistic style transfer (CycleGAN, Gatys, fast arbitrary style), offline, CPU or GPU.

The public API is imported lazily so that ``import brushwork`` (and ``brushwork --help``) stays fast::

    import brushwork
    out = brushwork.stylize("photo.jpg", "painting.jpg", method="gatys")
"""

from __future__ import annotations

from typing import Any

from brushwork._version import __version__

__all__ = ["__version__"]
_API = ("stylize", "translate", "load_model", "train", "train_adain", "train_student", "adapt", "evaluate", "exit_rank")


def __getattr__(name: str) -> Any:
    if name in _API:
        from brushwork import api

        return getattr(api, name)
    raise AttributeError(f"module 'brushwork' has no attribute {name!r}")
