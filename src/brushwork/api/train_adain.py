"""``brushwork.train_adain``: train an AdaIN decoder on folders of photos and paintings (resumable, DDP)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from brushwork.api._train_arbitrary import collect_images

__all__ = ["collect_images", "train_adain"]


def train_adain(
    content: Sequence[str | os.PathLike[str]],
    style: Sequence[str | os.PathLike[str]],
    out: str | os.PathLike[str],
    *,
    config: Any = None,
    resume: bool = False,
    steps: int | None = None,
    exclude_styles: Sequence[str] = (),
    balance: bool = True,
    vgg16: str | os.PathLike[str] | None = None,
    device: str = "auto",
    seed: int = 0,
    init_from: str | os.PathLike[str] | None = None,
    **loop: Any,
) -> Any:
    """Train an AdaIN decoder (Huang & Belongie 2017) with photos from ``content`` and art from ``style``.

    Args:
        content, style: folders of images (searched recursively; several allowed).
        out: the run directory (``checkpoints/``, ``metrics.jsonl``, ``samples/``).
        config: an :class:`~brushwork.methods.adain.AdaINConfig` or a dict of its fields (the rest default, or
            come from the checkpoint when resuming). Unless set, bf16 autocast where the device has it natively.
        resume: continue from ``out``'s newest checkpoint (starts fresh when it has none).
        steps: total steps (may be raised when resuming).
        exclude_styles: style file names or stems to hold out (e.g. for testing on unseen styles).
        balance: draw every style folder about equally often.
        init_from: an AdaIN model or run directory (or shipped name) whose decoder starts a new run (its widths
            are taken; the optimiser starts fresh). Its held-out styles must stay held out.
        **loop: :class:`~brushwork.train.LoopConfig` options (``log_every``, ``sample_every``, ``ckpt_every``,
            ``keep``, ``tensorboard``, ``progress``, ``stop_at``, ``time_limit_s``).

    Returns:
        :class:`~brushwork.train.FitResult`.
    """
    from brushwork.api._train_arbitrary import Inputs, Method, fit_run, open_run, start_run
    from brushwork.methods.adain import AdaINConfig
    from brushwork.methods.adain_trainer import AdaINTrainer
    from brushwork.models.encoders import load_vgg16

    method = Method("adain", "decoder", AdaINConfig, "an adain model", ("decoder_widths", "encoder_widths"))
    given = Inputs(content, style, Path(out), exclude_styles, balance, device, seed, init_from)
    overrides, point = open_run(method, given, config=config, steps=steps, resume=resume)
    run = start_run(method, given, point, overrides)
    cfg = AdaINConfig.from_dict(run.values)

    def trainer(dev: Any, distributed: bool) -> AdaINTrainer:
        encoder = load_vgg16(vgg16, device=dev)
        return AdaINTrainer(
            cfg, encoder=encoder, device=dev, seed=run.seed, distributed=distributed, weights=run.weights
        )

    return fit_run(given, run, cfg, trainer, loop=loop)
