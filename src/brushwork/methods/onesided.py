"""One-sided unpaired translation (CUT; Park et al., "Contrastive Learning for Unpaired Image-to-Image
Translation", ECCV 2020), built for a small compute budget.

One generator G: X → Y and one discriminator D_Y instead of CycleGAN's two of each. Content is kept by a
patchwise contrastive loss (:func:`~brushwork.losses.patchnce.patch_nce_loss`) between the VGG16 features of
the input and of the output, not by translating back. With ``discriminator="vgg"`` the discriminator is a set of
heads on the same frozen VGG16 features (:mod:`~brushwork.models.feature_discriminator`), so one encoder pass
over the output serves both the adversarial and the content loss. DiffAugment (:mod:`~brushwork.data.diffaugment`)
transforms everything D sees; the input and the output get the same transform, so PatchNCE still compares
corresponding positions. An identity term (L1 between a target-domain image and G of it, weight
``lambda_identity``) keeps G from recolouring what is already in the target style. With ``lambda_style > 0`` a
Gram-matrix loss pulls each output's texture towards the painting of the same step
(:mod:`~brushwork.losses.collection_style`).

:class:`OneSided` implements the :class:`brushwork.train.Trainable` protocol with a
:class:`~brushwork.methods.cyclegan.CycleGANConfig` (``objective="onesided"``); its checkpoints are CycleGAN
model directories holding the one generator and discriminator of ``config.direction``, so ``translate``,
``export``, ``serve`` and ``evaluate`` take them as they are.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from brushwork.data.diffaugment import diff_augment, parse_policy
from brushwork.device import autocast
from brushwork.errors import CheckpointError, ConfigError
from brushwork.losses.adversarial import discriminator_loss, generator_loss, identity_loss
from brushwork.losses.collection_style import collection_style_loss
from brushwork.losses.patchnce import patch_nce_loss
from brushwork.methods.cyclegan import (
    CycleGANConfig,
    build_nets,
    cyclegan_model_config,
    load_net_weights,
    load_part_states,
    lr_factor,
    net_weights,
    part_states,
)
from brushwork.models.generators import init_weights

__all__ = ["OneSided"]


class OneSided:
    """The generator and discriminator of ``config.direction``, their optimisers and lr schedules.

    Args:
        config: the run's settings (``objective="onesided"``).
        device: where to train.
        seed: weight initialisation.
        weights: start from these (``{"G_BA.…": tensor}``, e.g. ``--init-from``); networks they lack start fresh.
        encoder: the frozen VGG16 for PatchNCE and a feature discriminator (default: the pretrained one).
    """

    def __init__(
        self,
        config: CycleGANConfig,
        *,
        device: torch.device | str = "cpu",
        seed: int = 0,
        weights: dict[str, torch.Tensor] | None = None,
        encoder: nn.Module | None = None,
    ) -> None:
        if config.objective != "onesided":
            raise ConfigError(f"OneSided needs objective='onesided', got {config.objective!r}")
        self.config = config
        self.device = torch.device(device)
        if encoder is None:
            from brushwork.models.encoders import load_vgg16

            encoder = load_vgg16()
        self.encoder = encoder.requires_grad_(False).eval()
        self.g_name, self.d_name = config.net_names()
        gen = torch.Generator().manual_seed(seed)
        specs = {self.g_name: config.generator_spec(), self.d_name: config.discriminator_spec()}
        self.nets: dict[str, nn.Module] = {
            name: init_weights(build_nets({name: spec}, encoder=self.encoder)[name], generator=gen)
            for name, spec in specs.items()
        }
        if weights is not None:
            load_net_weights(self.nets, weights)
        self.memory_format = torch.channels_last if config.channels_last else torch.contiguous_format
        for net in self.nets.values():
            net.to(device=self.device, memory_format=self.memory_format)
        self.encoder.to(self.device)
        self.g, self.d = self.nets[self.g_name], self.nets[self.d_name]
        if config.freeze_encoder:
            for p in self.g.encoder_parameters():  # type: ignore[operator]
                p.requires_grad_(False)
        self.policy = parse_policy(config.diffaugment)
        fused = self.device.type in ("cpu", "cuda")
        g_params = [p for p in self.g.parameters() if p.requires_grad]
        self.opt_g = torch.optim.Adam(g_params, lr=config.lr, betas=config.betas, fused=fused)
        self.opt_d = torch.optim.Adam(self.d.parameters(), lr=config.lr, betas=config.betas, fused=fused)

        def factor(step: int) -> float:
            return lr_factor(step, steps=config.steps, decay_from=config.decay_from)

        self.sched_g = torch.optim.lr_scheduler.LambdaLR(self.opt_g, factor)
        self.sched_d = torch.optim.lr_scheduler.LambdaLR(self.opt_d, factor)

    @property
    def _vgg_d(self) -> bool:
        return self.config.discriminator == "vgg"

    def _split(self, batch: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """(source, target) images of this direction, on the device."""
        a, b = (x.to(self.device, non_blocking=True).contiguous(memory_format=self.memory_format) for x in batch)
        return (a, b) if self.config.direction == "AtoB" else (b, a)

    def _scores(self, image: torch.Tensor, features: dict[str, torch.Tensor] | None) -> list[torch.Tensor]:
        """D's score maps for ``image`` (from ``features`` when D reads VGG features)."""
        if self._vgg_d:
            assert features is not None
            return self.d.score_features(features)  # type: ignore[operator]
        return [self.d(image)]

    def train_step(self, batch: tuple[torch.Tensor, torch.Tensor]) -> dict[str, float]:
        """One G step then one D step on ``(real_a, real_b)``, each ``(B, 3, H, W)`` in [0, 1]; returns losses."""
        c = self.config
        source, target = self._split(batch)
        nce_layers = tuple(c.nce_layers)
        d_layers = tuple(c.d_layers) if self._vgg_d else ()
        style_layers = tuple(c.style_layers) if c.lambda_style > 0 else ()

        self.d.requires_grad_(False)
        with autocast(self.device, c.bf16):
            fake = self.g(source)
            # The painting the style loss compares with gets the same augmentation as the output it is compared to.
            shown = (fake, source, target) if style_layers else (fake, source)
            seen_fake, seen_source, *seen_painting = diff_augment(*shown, policy=self.policy) if self.policy else shown
            fake_feats = self.encoder(seen_fake, (*nce_layers, *d_layers, *style_layers))
            with torch.no_grad():
                source_feats = self.encoder(seen_source, nce_layers)
                painting_feats = self.encoder(seen_painting[0], style_layers) if style_layers else {}
            adv = torch.stack([generator_loss(s, kind=c.gan_loss) for s in self._scores(seen_fake, fake_feats)]).mean()
            nce = torch.stack(
                [patch_nce_loss(fake_feats[n], source_feats[n], num_patches=c.nce_patches) for n in nce_layers]
            ).mean()
            style = (
                collection_style_loss(fake_feats, painting_feats, layers=style_layers)
                if style_layers
                else adv.new_zeros(())
            )
            idt = identity_loss(target, self.g(target)) if c.lambda_identity > 0 else adv.new_zeros(())
        loss_g = adv + c.lambda_nce * nce + c.lambda_identity * idt + c.lambda_style * style
        self.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        self.opt_g.step()

        self.d.requires_grad_(True)
        with autocast(self.device, c.bf16):
            (seen_real,) = diff_augment(target, policy=self.policy) if self.policy else (target,)
            with torch.no_grad():
                real_feats = self.encoder(seen_real, d_layers) if self._vgg_d else None
            old_feats = {n: fake_feats[n].detach() for n in d_layers} if self._vgg_d else None
            real_scores = self._scores(seen_real, real_feats)
            fake_scores = self._scores(seen_fake.detach(), old_feats)
            loss_d = torch.stack(
                [discriminator_loss(r, f, kind=c.gan_loss) for r, f in zip(real_scores, fake_scores, strict=True)]
            ).mean()
        self.opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        self.opt_d.step()
        self.sched_g.step()
        self.sched_d.step()

        terms = {"loss_g": loss_g, "adv": adv, "nce": nce, "idt": idt, "loss_d": loss_d}
        if style_layers:
            terms["style"] = style
        values = torch.stack([t.float() for t in terms.values()]).detach().cpu().tolist()
        out = dict(zip(terms, values, strict=True))
        out["lr"] = self.opt_g.param_groups[0]["lr"]
        return out

    @torch.no_grad()
    def sample_grid(self, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        """Rows ``source | G(source) | target | G(target)`` per sample → ``(1, 3, NH, 4W)``."""
        source, target = self._split(batch)
        rows = [
            torch.cat([source[i], self.g(source[i : i + 1])[0], target[i], self.g(target[i : i + 1])[0]], dim=-1)
            for i in range(source.shape[0])
        ]
        return torch.cat(rows, dim=-2).unsqueeze(0).float().clamp(0, 1).cpu().contiguous()

    # -- state -----------------------------------------------------------------------------------------------
    def model_config(self) -> dict[str, Any]:
        """The JSON that rebuilds the networks: method, per-network specs and the run's settings."""
        return cyclegan_model_config(self.nets, self.config)

    def weights(self) -> dict[str, torch.Tensor]:
        """Generator and discriminator weights (the VGG16 is not saved: it is the package's)."""
        return net_weights(self.nets)

    def _optim(self) -> dict[str, Any]:
        return {"opt_g": self.opt_g, "opt_d": self.opt_d, "sched_g": self.sched_g, "sched_d": self.sched_d}

    def state_dict(self) -> dict[str, Any]:
        """Optimisers and schedulers (the weights come from :meth:`weights`)."""
        return part_states(self._optim())

    def load_state_dict(self, state: dict[str, Any]) -> None:
        try:
            load_part_states(self._optim(), state)
        except (KeyError, ValueError, RuntimeError) as exc:
            raise CheckpointError(f"trainer state does not match this one-sided model ({exc})") from exc
