"""Training an AdaIN decoder: the :class:`brushwork.train.Trainable` that :func:`brushwork.train.fit` drives.

The VGG16 encoder is frozen and not saved (it comes from the offline VGG16 weights); the checkpoint holds the
decoder (``decoder.*``) and ``config.json`` rebuilds it.
"""

from __future__ import annotations

from typing import Any

import torch

from brushwork.device import autocast
from brushwork.methods.adain import AdaINConfig, adain_losses, stylize
from brushwork.methods.arbitrary_trainer import OneNetTrainer, frozen, wrap_ddp
from brushwork.models.decoders import VGGDecoder
from brushwork.models.encoders import VGG16Encoder

__all__ = ["AdaINTrainer"]


class AdaINTrainer(OneNetTrainer):
    """A decoder, its Adam optimiser and the paper's inverse-time lr decay.

    Args:
        config: the run's settings.
        encoder: the frozen VGG16 encoder (moved to ``device``).
        device: where to train.
        seed: decoder initialisation (same on every rank).
        distributed: wrap the decoder in ``DistributedDataParallel`` (process group must be initialised).
        weights: start from these ``{"decoder.…": tensor}`` (resume or fine-tune).
    """

    prefix = "decoder"
    label = "AdaIN decoder"

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
        self.decoder: VGGDecoder = self._begin(config, device, seed, config.build_decoder)
        if weights is not None:
            self.load_weights(weights)
        self.decoder.to(self.device)
        self.encoder = frozen(encoder, self.device)
        self._decoder_call = wrap_ddp(self.decoder, self.device, distributed)
        self._start_adam()

    def train_step(self, batch: tuple[torch.Tensor, torch.Tensor]) -> dict[str, float]:
        """One Adam step on ``(content, style)``, each ``(B, 3, crop, crop)`` in [0, 1]; returns the losses."""
        content, style = (x.to(self.device, non_blocking=True) for x in batch)
        style, _ = self._augment(style)
        with autocast(self.device, self.config.bf16):
            losses = adain_losses(self.encoder, self._decoder_call, content, style, config=self.config)  # type: ignore[arg-type]
        return self._apply(losses)

    @torch.no_grad()
    def sample_grid(self, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        """Rows ``content | style | output`` per preview pair → ``(1, 3, N·H, 3W)``."""
        content, style = (x.to(self.device) for x in batch)
        rows = []
        for i in range(min(content.shape[0], style.shape[0])):  # a domain may have a single image
            out = stylize(content[i : i + 1], [style[i : i + 1]], encoder=self.encoder, decoder=self.decoder)
            rows.append(torch.cat([content[i], self._tile(style[i], content[i]), out[0]], dim=-1))
        return self._grid(rows)

    def model_config(self) -> dict[str, Any]:
        """The JSON that rebuilds the decoder (the encoder is the offline VGG16, named by its checksum)."""
        from brushwork.weights import VGG16_SHA256

        return {
            "method": "adain",
            "nets": {"decoder": self.decoder.spec()},
            "encoder": {"kind": "vgg16", "sha256": VGG16_SHA256, "layer": "relu4_1"},
            "config": self.config.to_dict(),
        }

    def load_weights(self, weights: dict[str, torch.Tensor]) -> None:
        from brushwork.checkpoint import load_module_weights

        sub = self._own(weights)
        # A plain decoder starts a decoder with skips: its skip convolutions keep their zero initialisation.
        own = self.decoder.state_dict()
        sub.update({k: own[k] for k in own if k.startswith("skip.") and k not in sub})
        load_module_weights(self.decoder, sub, what="decoder")
