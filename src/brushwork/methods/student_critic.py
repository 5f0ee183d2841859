"""Adversarial terms for the ``fast`` student: a critic that tells real pictures from the student's.

The perceptual terms match statistics (channel means, Gram matrices, spectra), which a small network can meet with
short repeated dashes where the teacher paints flowing shapes; regressing the teacher's pixels or features instead
paints their conditional mean, a softer picture (docs/arbitrary_recipe.md, sessions 25 and 29). A discriminator
judges the shapes themselves: as in GAN-based distillation (Aguinaldo et al., "Compressing GANs using Knowledge
Distillation", 2019), the teacher's picture of each (photo, painting, alpha) triple is "real" and the student's
"fake" (``StudentConfig.critic_real="teacher"``, the default); with ``"painting"`` the batch's paintings are real
instead, an aesthetic critic as in AesUST (Wang et al., ACM MM 2022). The critic is
:class:`~brushwork.models.feature_discriminator.VGGFeatureDiscriminator`: patch heads on the frozen VGG16
features the losses compute anyway (Projected GANs, Sauer et al. NeurIPS 2021: useful gradients from the first
steps), least-squares GAN losses (Mao et al. 2017).

Only the heads train (Adam β₁ 0.5, as in CycleGAN); their weights are saved as ``critic.*`` beside the student so
that a run resumes exactly, and a shipped model drops them. In a distributed run every rank's heads start from the
same seed and step on the gradients averaged over the ranks (what ``DistributedDataParallel`` does for the
student), so the critics stay identical.
"""

from __future__ import annotations

from typing import Any

import torch

from brushwork.losses.adversarial import discriminator_loss, generator_loss
from brushwork.methods.arbitrary_trainer import adam_state, load_adam_state
from brushwork.models.encoders import VGG16Encoder
from brushwork.models.feature_discriminator import VGGFeatureDiscriminator

__all__ = ["CRITIC_LAYERS", "TeacherCritic"]

#: The VGG16 layers the critic judges (relu4_3: the 1/8 shapes; relu2_2, relu3_3: the strokes inside them).
CRITIC_LAYERS = ("relu2_2", "relu3_3", "relu4_3")

Features = dict[str, torch.Tensor]


class TeacherCritic:
    """The critic's heads, their Adam optimiser and lr decay (``lr / (1 + decay · step)``, as the student's).

    Args:
        encoder: the frozen VGG16 the student's losses use (held, not owned).
        lr, lr_decay: as the student's.
        device: where the heads live.
        seed: their initialisation (the global RNG untouched).
        distributed: average the heads' gradients over the process group before each step.
    """

    prefix = "critic"

    def __init__(
        self,
        encoder: VGG16Encoder,
        *,
        lr: float,
        lr_decay: float,
        device: torch.device,
        seed: int = 0,
        distributed: bool = False,
    ) -> None:
        self.distributed = distributed
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed + 7919)
            self.net = VGGFeatureDiscriminator(layers=CRITIC_LAYERS, encoder=encoder)
        self.net.heads.to(device)
        fused = device.type in ("cpu", "cuda")
        self.opt = torch.optim.Adam(self.net.heads.parameters(), lr=lr, betas=(0.5, 0.999), fused=fused)
        self.sched = torch.optim.lr_scheduler.LambdaLR(self.opt, lambda step: 1.0 / (1.0 + lr_decay * step))

    def generator_term(self, fake: Features) -> torch.Tensor:
        """The student's adversarial loss on its pictures' VGG features (gradients reach the student only)."""
        self.net.requires_grad_(False)
        scores = self.net.score_features(fake)
        return torch.stack([generator_loss(s) for s in scores]).mean()

    def step(self, real: Features, fake: Features) -> float:
        """One Adam step of the heads on the real pictures' (the teacher's or the paintings') and the student's
        (``fake``, detached) features; the critic's loss."""
        self.net.requires_grad_(True)
        pairs = zip(self.net.score_features(real), self.net.score_features(fake), strict=True)
        loss = torch.stack([discriminator_loss(r, f) for r, f in pairs]).mean()
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        if self.distributed:
            self._average_gradients()
        self.opt.step()
        self.sched.step()
        return float(loss.detach())

    def _average_gradients(self) -> None:
        import torch.distributed as dist

        grads = [p.grad for p in self.net.heads.parameters() if p.grad is not None]
        flat = torch.cat([g.reshape(-1) for g in grads])
        dist.all_reduce(flat)
        flat /= dist.get_world_size()
        for g, mean in zip(grads, flat.split([g.numel() for g in grads]), strict=True):
            g.copy_(mean.view_as(g))

    def spec(self) -> dict[str, Any]:
        return self.net.spec()

    def weights(self) -> dict[str, torch.Tensor]:
        return {f"{self.prefix}.{k}": t.detach().cpu().contiguous() for k, t in self.net.state_dict().items()}

    def load_weights(self, weights: dict[str, torch.Tensor]) -> bool:
        """Load the ``critic.*`` entries of checkpoint ``weights``; ``False`` when there are none (a fresh critic
        beside a student trained without one)."""
        from brushwork.checkpoint import load_module_weights, strip_prefix

        own = strip_prefix(weights, self.prefix)
        if not own:
            return False
        load_module_weights(self.net, own, what="critic")
        return True

    def state_dict(self) -> dict[str, Any]:
        return adam_state(self.opt, self.sched)

    def load_state_dict(self, state: dict[str, Any]) -> None:
        load_adam_state(self.opt, self.sched, state, label="critic")
