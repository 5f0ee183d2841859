"""What the AdaIN and the student trainers share: one network trained on ``(content, style)`` batches beside a
frozen VGG16, with Adam and an inverse-time lr decay, its per-step draws a pure function of (seed, step)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

import torch
import torch.nn.functional as F
from torch import nn

from brushwork.errors import CheckpointError
from brushwork.models.encoders import VGG16Encoder

__all__ = ["OneNetTrainer", "adam_state", "frozen", "load_adam_state", "wrap_ddp"]

_M = TypeVar("_M", bound=nn.Module)


def frozen(module: _M, device: torch.device) -> _M:
    """``module`` on ``device``, in eval mode, without gradients."""
    return module.to(device).eval().requires_grad_(False)


def wrap_ddp(module: nn.Module, device: torch.device, distributed: bool) -> nn.Module:
    """``module`` in ``DistributedDataParallel`` when ``distributed`` (process group initialised), else itself."""
    if not distributed:
        return module
    from torch.nn.parallel import DistributedDataParallel

    ids = [device.index] if device.type == "cuda" else None
    return DistributedDataParallel(module, device_ids=ids)


class OneNetTrainer:
    """The shared half of a :class:`brushwork.train.Trainable`: settings, seeded network, optimiser and state.

    A subclass names its weights' :attr:`prefix` in checkpoints and the :attr:`label` its errors use, builds its
    network with :meth:`_begin`, starts the optimiser with :meth:`_start_adam` and steps with :meth:`_apply`.
    """

    prefix: ClassVar[str]
    label: ClassVar[str]
    config: Any
    device: torch.device
    seed: int
    encoder: VGG16Encoder
    opt: torch.optim.Adam
    sched: torch.optim.lr_scheduler.LambdaLR
    _net: nn.Module

    def _begin(self, config: Any, device: torch.device | str, seed: int, build: Callable[[], _M]) -> _M:
        """Keep the settings; ``build()`` under ``seed`` (the global RNG untouched: same network on every rank)."""
        self.config, self.device, self.seed = config, torch.device(device), seed
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            net = build()
        self._net = net
        return net

    def _start_adam(self) -> None:
        """Adam on the network's trainable parameters, its rate decayed as ``lr / (1 + lr_decay · step)``."""
        fused = self.device.type in ("cpu", "cuda")
        trainable = [p for p in self._net.parameters() if p.requires_grad]
        self.opt = torch.optim.Adam(trainable, lr=self.config.lr, fused=fused)
        decay = self.config.lr_decay
        self.sched = torch.optim.lr_scheduler.LambdaLR(self.opt, lambda step: 1.0 / (1.0 + decay * step))

    def _augment(self, style: torch.Tensor) -> tuple[torch.Tensor, torch.Generator]:
        """``style`` augmented when configured, and this step's generator (after the augmentation's draws)."""
        draw = torch.Generator().manual_seed(self.seed * 1_000_003 + self.sched.last_epoch)
        if self.config.style_augment:
            from brushwork.data.style_augment import augment_styles

            style = augment_styles(style, generator=draw)
        return style, draw

    def _apply(self, losses: dict[str, torch.Tensor]) -> dict[str, float]:
        """One optimiser step on ``losses["loss"]``; the losses as numbers, with the rate used."""
        self.opt.zero_grad(set_to_none=True)
        losses["loss"].backward()
        self.opt.step()
        self.sched.step()
        out = {k: float(v.detach()) for k, v in losses.items()}
        out["lr"] = self.opt.param_groups[0]["lr"]
        return out

    @staticmethod
    def _tile(image: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
        """``image`` ``(3, h, w)`` resized to ``like``'s height and width for a preview row (style crops may be
        larger than photo crops)."""
        if image.shape[-2:] == like.shape[-2:]:
            return image
        return F.interpolate(image[None].float(), size=like.shape[-2:], mode="bilinear", antialias=True)[0]

    @staticmethod
    def _grid(rows: list[torch.Tensor]) -> torch.Tensor:
        """Preview rows ``(3, H, k·W)`` stacked into one ``(1, 3, N·H, k·W)`` picture in [0, 1] on the CPU."""
        return torch.cat(rows, dim=-2).unsqueeze(0).float().clamp(0, 1).cpu().contiguous()

    def _own(self, weights: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """The network's entries of checkpoint ``weights``, without the prefix."""
        from brushwork.checkpoint import strip_prefix

        return strip_prefix(weights, self.prefix)

    def weights(self) -> dict[str, torch.Tensor]:
        return {f"{self.prefix}.{k}": t.detach().cpu().contiguous() for k, t in self._net.state_dict().items()}

    def state_dict(self) -> dict[str, Any]:
        return adam_state(self.opt, self.sched)

    def load_state_dict(self, state: dict[str, Any]) -> None:
        load_adam_state(self.opt, self.sched, state, label=self.label)


def adam_state(opt: torch.optim.Optimizer, sched: torch.optim.lr_scheduler.LRScheduler) -> dict[str, Any]:
    """An optimiser's and its schedule's state, as trainer checkpoints store it."""
    return {"opt": opt.state_dict(), "sched": sched.state_dict()}


def load_adam_state(
    opt: torch.optim.Optimizer, sched: torch.optim.lr_scheduler.LRScheduler, state: dict[str, Any], *, label: str
) -> None:
    """Restore :func:`adam_state`; a one-line :class:`CheckpointError` naming ``label`` when it does not fit."""
    try:
        opt.load_state_dict(state["opt"])
        sched.load_state_dict(state["sched"])
    except (KeyError, ValueError, RuntimeError) as exc:
        raise CheckpointError(f"trainer state does not match this {label} ({exc})") from exc
