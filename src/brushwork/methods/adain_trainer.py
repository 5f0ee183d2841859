"""Training an AdaIN decoder: the :class:`brushwork.train.Trainable` that :func:`brushwork.train.fit` drives.

The VGG16 encoder is frozen and not saved (it comes from the offline VGG16 weights); the checkpoint holds the
decoder (``decoder.*``) and ``config.json`` rebuilds it.
"""

from __future__ import annotations

from typing import Any

import torch

from brushwork.device import autocast
from brushwork.errors import CheckpointError
from brushwork.methods.adain import AdaINConfig, adain_losses, stylize
from brushwork.models.decoders import VGGDecoder
from brushwork.models.encoders import VGG16Encoder

__all__ = ["AdaINTrainer"]


class AdaINTrainer:
    """A decoder, its Adam optimiser and the paper's inverse-time lr decay.

    Args:
        config: the run's settings.
        encoder: the frozen VGG16 encoder (moved to ``device``).
        device: where to train.
        seed: decoder initialisation (same on every rank).
        distributed: wrap the decoder in ``DistributedDataParallel`` (process group must be initialised).
        weights: start from these ``{"decoder.…": tensor}`` (resume or fine-tune).
    """

    def __init__(
        self,
        config: AdaINConfig,
        *,
        encoder: VGG16Encoder,
        device: torch.device | str = "cpu",
        seed: int = 0,
        distributed: bool = False,
        weights: dict[str, torch.Tensor] | None = None,
    ) -> None:
        self.config = config
        self.device = torch.device(device)
        self.seed = seed
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.decoder: VGGDecoder = config.build_decoder()
        if weights is not None:
            self.load_weights(weights)
        self.decoder.to(self.device)
        self.encoder = encoder.to(self.device).eval().requires_grad_(False)
        self._decoder_call: torch.nn.Module = self.decoder
        if distributed:
            from torch.nn.parallel import DistributedDataParallel

            ids = [self.device.index] if self.device.type == "cuda" else None
            self._decoder_call = DistributedDataParallel(self.decoder, device_ids=ids)
        fused = self.device.type in ("cpu", "cuda")
        self.opt = torch.optim.Adam(self.decoder.parameters(), lr=config.lr, fused=fused)
        self.sched = torch.optim.lr_scheduler.LambdaLR(self.opt, lambda step: 1.0 / (1.0 + config.lr_decay * step))

    def train_step(self, batch: tuple[torch.Tensor, torch.Tensor]) -> dict[str, float]:
        """One Adam step on ``(content, style)``, each ``(B, 3, crop, crop)`` in [0, 1]; returns the losses."""
        content, style = (x.to(self.device, non_blocking=True) for x in batch)
        if self.config.style_augment:
            from brushwork.data.style_augment import augment_styles

            draw = torch.Generator().manual_seed(self.seed * 1_000_003 + self.sched.last_epoch)
            style = augment_styles(style, generator=draw)
        with autocast(self.device, self.config.bf16):
            losses = adain_losses(self.encoder, self._decoder_call, content, style, config=self.config)  # type: ignore[arg-type]
        self.opt.zero_grad(set_to_none=True)
        losses["loss"].backward()
        self.opt.step()
        self.sched.step()
        out = {k: float(v.detach()) for k, v in losses.items()}
        out["lr"] = self.opt.param_groups[0]["lr"]
        return out

    @torch.no_grad()
    def sample_grid(self, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        """Rows ``content | style | output`` per preview pair → ``(1, 3, N·H, 3W)``."""
        content, style = (x.to(self.device) for x in batch)
        rows = []
        for i in range(min(content.shape[0], style.shape[0])):  # a domain may have a single image
            out = stylize(content[i : i + 1], [style[i : i + 1]], encoder=self.encoder, decoder=self.decoder)
            rows.append(torch.cat([content[i], style[i], out[0]], dim=-1))
        return torch.cat(rows, dim=-2).unsqueeze(0).float().clamp(0, 1).cpu().contiguous()

    def model_config(self) -> dict[str, Any]:
        """The JSON that rebuilds the decoder (the encoder is the offline VGG16, named by its checksum)."""
        from brushwork.weights import VGG16_SHA256

        return {
            "method": "adain",
            "nets": {"decoder": self.decoder.spec()},
            "encoder": {"kind": "vgg16", "sha256": VGG16_SHA256, "layer": "relu4_1"},
            "config": self.config.to_dict(),
        }

    def weights(self) -> dict[str, torch.Tensor]:
        return {f"decoder.{k}": t.detach().cpu().contiguous() for k, t in self.decoder.state_dict().items()}

    def load_weights(self, weights: dict[str, torch.Tensor]) -> None:
        from brushwork.checkpoint import load_module_weights

        sub = {k.removeprefix("decoder."): v for k, v in weights.items() if k.startswith("decoder.")}
        # A plain decoder starts a decoder with skips: its skip convolutions keep their zero initialisation.
        own = self.decoder.state_dict()
        sub.update({k: own[k] for k in own if k.startswith("skip.") and k not in sub})
        load_module_weights(self.decoder, sub, what="decoder")

    def state_dict(self) -> dict[str, Any]:
        return {"opt": self.opt.state_dict(), "sched": self.sched.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        try:
            self.opt.load_state_dict(state["opt"])
            self.sched.load_state_dict(state["sched"])
        except (KeyError, ValueError, RuntimeError) as exc:
            raise CheckpointError(f"trainer state does not match this AdaIN decoder ({exc})") from exc
