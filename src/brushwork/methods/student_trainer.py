"""Training the ``fast`` student: the :class:`brushwork.train.Trainable` that :func:`brushwork.train.fit` drives.

The VGG16 encoder and the teacher decoder are frozen and not saved; the checkpoint holds the student
(``student.*``), with an adversarial weight also its critic's heads (``critic.*``), and ``config.json`` rebuilds
them without the frozen parts.
"""

from __future__ import annotations

import functools
from typing import Any

import torch
from torch import nn

from brushwork.device import autocast
from brushwork.methods.arbitrary_trainer import OneNetTrainer, frozen, wrap_ddp
from brushwork.methods.student import StudentConfig, student_losses, stylize, teacher_output
from brushwork.methods.student_critic import TeacherCritic
from brushwork.models.encoders import VGG16Encoder
from brushwork.models.micro_ast import MicroAST

__all__ = ["StudentTrainer"]

#: Training crops read the noise field at a random cell in ``[0, span)²`` of the 1/8 grid (a 4096-px square).
_NOISE_SPAN = 512


class _Pair(nn.Module):
    """``(content, style, alpha) → picture``: the style code and the decoder in one forward (what DDP wraps)."""

    def __init__(self, net: MicroAST) -> None:
        super().__init__()
        self.net = net

    def forward(
        self,
        content: torch.Tensor,
        style: torch.Tensor,
        alpha: torch.Tensor,
        *,
        codes: bool = False,
        origin: tuple[int, int] = (0, 0),
        stats: list | None = None,
        record: list | None = None,
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The picture; with ``codes`` also the style codes of the picture and of ``style`` (one forward).
        ``origin``: where the crops read the noise field (a random place per step: the whole field is learnt);
        ``stats``, ``record``: the per-site statistics to use, or a list to record them in (MicroAST's)."""
        code = self.net.style_code(style)
        picture = self.net(content, code, alpha=alpha, origin=origin, stats=stats, record=record)
        return (picture, self.net.style_code(picture), code) if codes else picture


class StudentTrainer(OneNetTrainer):
    """A student, its Adam optimiser and the inverse-time lr decay; the teacher and the VGG16 held frozen.

    Args:
        config: the run's settings.
        encoder: the frozen VGG16 encoder (moved to ``device``).
        teacher: the frozen teacher decoder (:func:`brushwork.methods.adain.load_decoder`).
        device: where to train.
        seed: initialisation and the per-step draws (style augmentation, random alphas); same on every rank.
        distributed: wrap the student in ``DistributedDataParallel`` (process group must be initialised).
        weights: start from these ``{"student.…": tensor}`` (resume or fine-tune).
        grow: ``weights`` may be of a shallower student (``--init-from`` with more blocks): the blocks they lack
            start as the identity (:func:`brushwork.models.grow.grown_weights`); the filter heads of sites this
            student has made static are dropped.
        preview_palette: the palette strength the previews get (:func:`brushwork.color.match_palette`): the
            model's own default when the run inherits one, so a preview has the colours the checkpoint would
            paint (at the crop's size: the inherited working scale and detail are not applied).
    """

    prefix = "student"
    label = "student"

    def __init__(
        self,
        config: StudentConfig,
        *,
        encoder: VGG16Encoder,
        teacher: nn.Module,
        device: torch.device | str = "cpu",
        seed: int = 0,
        distributed: bool = False,
        weights: dict[str, torch.Tensor] | None = None,
        grow: bool = False,
        preview_palette: float = 0.0,
    ) -> None:
        self.net: MicroAST = self._begin(config, device, seed, config.build)
        self.preview_palette = float(preview_palette)
        if weights is not None:
            self.load_weights(weights, grow=grow)
        self.net.to(self.device)
        if config.freeze_generator:
            for p in self.net.generator_parameters():
                p.requires_grad_(False)
        self.encoder = frozen(encoder, self.device)
        self.teacher = frozen(teacher, self.device)
        self._call = wrap_ddp(_Pair(self.net), self.device, distributed)
        self._start_adam()
        self.critic: TeacherCritic | None = None
        if config.adversarial_weight > 0:
            self.critic = TeacherCritic(
                self.encoder,
                lr=config.lr,
                lr_decay=config.lr_decay,
                device=self.device,
                seed=seed,
                distributed=distributed,
            )
            if weights is not None:
                self.critic.load_weights(weights)

    def _draw(self, style: torch.Tensor, n: int) -> tuple[torch.Tensor, torch.Tensor, tuple[int, int], tuple[int, int]]:
        """This step's style augmentation, per-pair alphas, noise origin and shift (of the shift-consistency term):
        a pure function of (seed, step)."""
        style, draw = self._augment(style)
        pick, value = torch.rand(2, n, generator=draw)
        alpha = torch.where(pick < self.config.random_alpha, value, torch.ones(n))
        origin = (0, 0)
        if self.net.noise_channels:  # drawn last: runs without noise draw what they always drew
            y, x = (int(v) * self.net.factor for v in torch.randint(0, _NOISE_SPAN, (2,), generator=draw))
            origin = (y, x)
        shift = (4, 4)
        if self.config.shift_weight > 0:  # after the noise origin (the two never go together): one of 63 offsets
            shift = divmod(int(torch.randint(1, 64, (1,), generator=draw)), 8)
        return style, alpha.to(self.device), origin, shift

    def train_step(self, batch: tuple[torch.Tensor, ...]) -> dict[str, float]:
        """One Adam step on ``(content, style)``, each ``(B, 3, crop, crop)`` in [0, 1], or ``(content, style,
        target)`` with precomputed target pictures that replace the teacher's (at alpha 1, the painting not
        augmented; their terms are reported as ``target_NAME``), then one of the critic (if any) on the same
        pictures; returns the losses."""
        content, style, *given = (x.to(self.device, non_blocking=True) for x in batch)
        target = given[0] if given else None
        drawn, alpha, origin, shift = self._draw(style, content.shape[0])  # drawn alike: the stream stays the same
        if target is None:
            style = drawn
        else:  # a target is the painting's own picture at full strength
            alpha = torch.ones_like(alpha)
        call = functools.partial(self._call, origin=origin)
        critic = None if self.critic is None else self.critic.generator_term
        seen: dict[str, dict[str, torch.Tensor]] = {}
        with autocast(self.device, self.config.bf16):
            losses = student_losses(
                self.encoder,
                self.teacher,
                call,
                content,
                style,
                alpha=alpha,
                config=self.config,
                critic=critic,
                seen=seen,
                shift=shift,
                target=target,
            )
        out = self._apply(losses)
        if self.critic is not None:
            with autocast(self.device, self.config.bf16):
                out["critic"] = self.critic.step(seen["real"], seen["fake"])
        if target is not None:
            out = {k if k in ("loss", "lr") else f"target_{k}": v for k, v in out.items()}
        return out

    @torch.no_grad()
    def sample_grid(self, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        """Rows ``content | style | teacher | student`` per preview pair → ``(1, 3, N·H, 4W)`` (the student's picture
        with the run's :attr:`preview_palette`, as it would ship)."""
        from brushwork.color import match_palette
        from brushwork.methods.adain import STYLE_LAYERS, decoder_layers

        content, style = (x.to(self.device) for x in batch)
        layers = set(decoder_layers(self.teacher)) | set(STYLE_LAYERS)
        rows = []
        for i in range(min(content.shape[0], style.shape[0])):  # a domain may have a single image
            c, s = content[i : i + 1], style[i : i + 1]
            one = torch.ones(1, device=self.device)
            teacher = teacher_output(self.teacher, self.encoder(c, layers), self.encoder(s, layers), one)
            out = stylize(c, [s], net=self.net)
            if self.preview_palette > 0:
                out = match_palette(out, [s], strength=self.preview_palette)
            rows.append(torch.cat([c[0], self._tile(s[0], c[0]), teacher[0], out[0].to(c.device)], dim=-1))
        return self._grid(rows)

    def model_config(self) -> dict[str, Any]:
        """The JSON that rebuilds the student (no encoder entry: the student needs no VGG16) and its critic."""
        nets = {"student": self.net.spec(), **({} if self.critic is None else {"critic": self.critic.spec()})}
        return {"method": "student", "nets": nets, "config": self.config.to_dict()}

    def weights(self) -> dict[str, torch.Tensor]:
        return {**super().weights(), **({} if self.critic is None else self.critic.weights())}

    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), **({} if self.critic is None else {"critic": self.critic.state_dict()})}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        if self.critic is not None and "critic" in state:  # a run that had no critic before starts its Adam fresh
            self.critic.load_state_dict(state["critic"])

    def load_weights(self, weights: dict[str, torch.Tensor], *, grow: bool = False) -> None:
        """Load checkpoint ``weights``; with ``grow``, blocks they lack start as the identity and the filter heads
        of sites this student has made static are dropped."""
        from brushwork.checkpoint import load_module_weights
        from brushwork.models.grow import grown_weights

        own = self._own(weights)
        if grow:  # sites made static: their filter heads go
            gone = {f"sites.{i}.kernel." for i, site in enumerate(self.net.sites) if site.kernel is None}
            own = {k: v for k, v in own.items() if not k.startswith(tuple(gone))}
        load_module_weights(self.net, grown_weights(self.net, own, what="student") if grow else own, what="student")
