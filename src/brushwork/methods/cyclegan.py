"""CycleGAN (Zhu et al., "Unpaired Image-to-Image Translation using Cycle-Consistent Adversarial Networks",
ICCV 2017): two generators G_AB: A→B and G_BA: B→A, two PatchGAN discriminators D_A (real vs fake A) and D_B,
trained with adversarial + cycle + identity losses.

:class:`CycleGAN` implements the :class:`brushwork.train.Trainable` protocol; images are RGB in [0, 1] throughout.
"""

from __future__ import annotations

import itertools
import logging
import os
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from brushwork.config import DictConfig
from brushwork.data.diffaugment import parse_policy
from brushwork.data.pool import ImagePool
from brushwork.device import autocast
from brushwork.errors import CheckpointError, ConfigError
from brushwork.losses.adversarial import (
    GAN_LOSSES,
    cycle_loss,
    discriminator_loss,
    generator_loss,
    identity_loss,
)
from brushwork.models.discriminators import PatchDiscriminator, build_discriminator
from brushwork.models.encoders import LAYER_NAMES as VGG_LAYERS
from brushwork.models.generators import UPSAMPLE_MODES, Generator, build_generator, init_weights

__all__ = [
    "NET_NAMES",
    "OBJECTIVES",
    "CycleGAN",
    "CycleGANConfig",
    "build_nets",
    "cyclegan_model_config",
    "load_net_weights",
    "load_nets",
    "load_part_states",
    "lr_factor",
    "net_weights",
    "part_states",
    "translate",
    "translate_tiled",
]

NET_NAMES = ("G_AB", "G_BA", "D_A", "D_B")
OBJECTIVES = ("cycle", "onesided")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CycleGANConfig(DictConfig):
    """Everything that defines a CycleGAN run (saved in every checkpoint's ``config.json``).

    Attributes:
        generator: ``"resnet"`` (paper) or ``"unet"``; ``ngf`` its width; ``blocks`` ResNet residual blocks;
            ``unet_depth`` UNet downsamplings; ``upsample`` ``"transpose"``, ``"nearest"`` or ``"bilinear"``.
        ndf, disc_layers: PatchGAN width and stride-2 layers (3 → 70×70 patches).
        gan_loss: ``"lsgan"`` (paper) or ``"bce"``.
        lambda_cycle: weight of each cycle loss (10); lambda_identity: identity weight as a fraction of it (0.5).
        lr, betas: Adam settings; steps: total steps; decay_from: fraction of steps at constant lr before the
            linear decay to zero.
        batch_size, crop_size, load_size (``None``: crop × 286/256), pool_size: data and history buffer.
        bf16: bf16 autocast for forward passes; channels_last: NHWC memory format.
        freeze_encoder: train without the generators' downsampling halves (style adaptation).
        skip: generators predict a change to their input and start as the identity (see ``models/generators``).
        objective: ``"cycle"`` (the paper: two generators, two discriminators, cycle loss) or ``"onesided"``
            (CUT, Park et al. 2020: one generator for ``direction``, one discriminator, PatchNCE content loss on
            VGG16 features instead of the cycle; about half the compute per step; see ``methods/onesided``).
        direction: the one direction a ``"onesided"`` run learns (``"AtoB"`` or ``"BtoA"``).
        discriminator: ``"patchgan"`` (paper) or ``"vgg"`` (heads on frozen VGG16 features at ``d_layers``,
            ``ndf`` wide; Projected GAN / Vision-aided GAN); ``diffaugment``: DiffAugment policy for everything a
            discriminator sees, e.g. ``"color,translation,cutout"`` (Zhao et al. 2020), ``""`` for none.
        lambda_nce, nce_layers, nce_patches: PatchNCE weight, VGG16 layers and sampled positions (one-sided).
            A one-sided run's identity loss (on target-domain images) has weight ``lambda_identity`` itself.
        lambda_style, style_layers: weight and VGG16 layers of a Gram-matrix loss between each output and a random
            target-domain image (one-sided; 0 = off; :mod:`~brushwork.losses.collection_style`).
    """

    generator: str = "resnet"
    ngf: int = 64
    blocks: int = 9
    unet_depth: int = 7
    upsample: str = "transpose"
    ndf: int = 64
    disc_layers: int = 3
    gan_loss: str = "lsgan"
    lambda_cycle: float = 10.0
    lambda_identity: float = 0.5
    lr: float = 2e-4
    betas: tuple[float, float] = (0.5, 0.999)
    steps: int = 10_000
    decay_from: float = 0.5
    batch_size: int = 1
    crop_size: int = 256
    load_size: int | None = None
    pool_size: int = 50
    bf16: bool = False
    channels_last: bool = False
    freeze_encoder: bool = False
    skip: bool = False
    objective: str = "cycle"
    direction: str = "AtoB"
    discriminator: str = "patchgan"
    d_layers: tuple[str, ...] = ("relu2_2", "relu3_3", "relu4_3")
    diffaugment: str = ""
    lambda_nce: float = 1.0
    nce_layers: tuple[str, ...] = ("relu1_2", "relu2_2", "relu3_3", "relu4_3")
    nce_patches: int = 256
    lambda_style: float = 0.0
    style_layers: tuple[str, ...] = ("relu2_2", "relu3_3")

    def __post_init__(self) -> None:
        checks = {
            "generator": self.generator in ("resnet", "unet"),
            "upsample": self.upsample in UPSAMPLE_MODES,
            "gan_loss": self.gan_loss in GAN_LOSSES,
            "ngf": self.ngf >= 1,
            "blocks": self.blocks >= 0,
            "unet_depth": self.unet_depth >= 2,
            "ndf": self.ndf >= 1,
            "disc_layers": self.disc_layers >= 1,
            "lambda_cycle": self.lambda_cycle >= 0,
            "lambda_identity": self.lambda_identity >= 0,
            "lr": self.lr > 0,
            "steps": self.steps >= 1,
            "decay_from": 0 <= self.decay_from <= 1,
            "batch_size": self.batch_size >= 1,
            "crop_size": self.crop_size >= 16,
            "pool_size": self.pool_size >= 0,
            "objective": self.objective in OBJECTIVES,
            "direction": self.direction in ("AtoB", "BtoA"),
            "discriminator": self.discriminator in ("patchgan", "vgg"),
            "d_layers": bool(self.d_layers) and all(n in VGG_LAYERS for n in self.d_layers),
            "diffaugment": _policy_ok(self.diffaugment),
            "lambda_nce": self.lambda_nce >= 0,
            "nce_layers": bool(self.nce_layers) and all(n in VGG_LAYERS for n in self.nce_layers),
            "nce_patches": self.nce_patches >= 1,
            "lambda_style": self.lambda_style >= 0,
            "style_layers": bool(self.style_layers) and all(n in VGG_LAYERS for n in self.style_layers),
        }
        bad = [name for name, ok in checks.items() if not ok]
        if bad:
            raise ConfigError(f"cyclegan config: invalid {', '.join(f'{n}={getattr(self, n)!r}' for n in bad)}")
        multiple = 4 if self.generator == "resnet" else 2**self.unet_depth
        if self.crop_size % multiple:
            raise ConfigError(f"cyclegan config: crop_size {self.crop_size} must be a multiple of {multiple}")
        if self.load_size is not None and self.load_size < self.crop_size:
            raise ConfigError(f"cyclegan config: load_size {self.load_size} is smaller than crop_size")

    def generator_spec(self) -> dict[str, Any]:
        skip = {"skip": True} if self.skip else {}
        if self.generator == "resnet":
            return {"kind": "resnet", "ngf": self.ngf, "blocks": self.blocks, "upsample": self.upsample, **skip}
        return {"kind": "unet", "ngf": self.ngf, "depth": self.unet_depth, "upsample": self.upsample, **skip}

    def discriminator_spec(self) -> dict[str, Any]:
        if self.discriminator == "vgg":
            return {"kind": "vgg", "layers": list(self.d_layers), "width": self.ndf}
        return {"kind": "patchgan", "ndf": self.ndf, "layers": self.disc_layers}

    def net_names(self) -> tuple[str, ...]:
        """The networks a run trains: all four, or (one-sided) the generator and discriminator of ``direction``."""
        if self.objective == "cycle":
            return NET_NAMES
        return ("G_AB", "D_B") if self.direction == "AtoB" else ("G_BA", "D_A")


def _policy_ok(policy: str) -> bool:
    try:
        parse_policy(policy)
    except ValueError:
        return False
    return True


def build_nets(specs: dict[str, dict[str, Any]], *, encoder: nn.Module | None = None) -> dict[str, nn.Module]:
    """Networks by name from the ``nets`` section of a ``config.json`` (feature discriminators on ``encoder``)."""
    try:
        return {
            name: build_generator(spec) if name.startswith("G") else build_discriminator(spec, encoder=encoder)
            for name, spec in specs.items()
        }
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise CheckpointError(f"cannot build networks from {specs}: {exc}") from exc


def lr_factor(step: int, *, steps: int, decay_from: float) -> float:
    """1 until ``decay_from`` × ``steps``, then linear to 0 at ``steps`` (the paper's schedule)."""
    start = round(steps * decay_from)
    if step < start:
        return 1.0
    return max(0.0, 1.0 - (step - start + 1) / (steps - start + 1))


def _set_requires_grad(modules: tuple[nn.Module, ...], flag: bool) -> None:
    for module in modules:
        for p in module.parameters():
            p.requires_grad_(flag)


class CycleGAN:
    """G_AB, G_BA, D_A, D_B with their optimisers, lr schedules and history pools.

    Args:
        config: the run's settings.
        device: where to train.
        seed: weight initialisation (same on every rank); pools use ``seed + rank``.
        rank: this process's rank (distributed training).
        distributed: wrap the networks in ``DistributedDataParallel`` (process group must be initialised).
        weights: start from these (``{"G_AB.…": tensor}``, e.g. ``--init-from``); networks they lack start fresh.
    """

    def __init__(
        self,
        config: CycleGANConfig,
        *,
        device: torch.device | str = "cpu",
        seed: int = 0,
        rank: int = 0,
        distributed: bool = False,
        weights: dict[str, torch.Tensor] | None = None,
    ) -> None:
        onesided_parts = config.discriminator != "patchgan" or config.diffaugment or config.lambda_style > 0
        if config.objective != "cycle" or onesided_parts:
            raise ConfigError(
                "the cycle objective trains PatchGAN discriminators without augmentation or style loss; "
                "discriminator='vgg', diffaugment and lambda_style are for objective='onesided'"
            )
        self.config = config
        self.device = torch.device(device)
        gen = torch.Generator().manual_seed(seed)
        g_spec, d_spec = config.generator_spec(), config.discriminator_spec()
        self.nets: dict[str, nn.Module] = {
            name: init_weights(build_nets({name: g_spec if name.startswith("G") else d_spec})[name], generator=gen)
            for name in NET_NAMES
        }
        if weights is not None:
            fresh = [n for n in NET_NAMES if not any(k.startswith(f"{n}.") for k in weights)]
            if fresh:
                log.warning("no weights for %s: initialised fresh", ", ".join(fresh))
            self.load_weights(weights, require=())
        self.memory_format = torch.channels_last if config.channels_last else torch.contiguous_format
        for net in self.nets.values():
            net.to(device=self.device, memory_format=self.memory_format)
        self.g_ab: Generator = self.nets["G_AB"]  # type: ignore[assignment]
        self.g_ba: Generator = self.nets["G_BA"]  # type: ignore[assignment]
        self.d_a: PatchDiscriminator = self.nets["D_A"]  # type: ignore[assignment]
        self.d_b: PatchDiscriminator = self.nets["D_B"]  # type: ignore[assignment]
        if config.freeze_encoder:
            for g in (self.g_ab, self.g_ba):
                for p in g.encoder_parameters():
                    p.requires_grad_(False)
        # The callables used in training: DDP wrappers when distributed (D is called unwrapped in the G step,
        # where it is frozen, so its gradient sync only happens in the D step).
        self._call = dict(self.nets)
        if distributed:
            from torch.nn.parallel import DistributedDataParallel

            ids = [self.device.index] if self.device.type == "cuda" else None
            self._call = {name: DistributedDataParallel(net, device_ids=ids) for name, net in self.nets.items()}
        g_params = [p for g in (self.g_ab, self.g_ba) for p in g.parameters() if p.requires_grad]
        d_params = list(itertools.chain(self.d_a.parameters(), self.d_b.parameters()))
        fused = self.device.type in ("cpu", "cuda")  # one kernel per step instead of ~10 per parameter
        self.opt_g = torch.optim.Adam(g_params, lr=config.lr, betas=config.betas, fused=fused)
        self.opt_d = torch.optim.Adam(d_params, lr=config.lr, betas=config.betas, fused=fused)

        def factor(step: int) -> float:
            return lr_factor(step, steps=config.steps, decay_from=config.decay_from)

        self.sched_g = torch.optim.lr_scheduler.LambdaLR(self.opt_g, factor)
        self.sched_d = torch.optim.lr_scheduler.LambdaLR(self.opt_d, factor)
        self.pool_a = ImagePool(config.pool_size, seed=seed + rank + 1)
        self.pool_b = ImagePool(config.pool_size, seed=seed + rank + 1_000_003)

    def _prepare(self, x: torch.Tensor) -> torch.Tensor:
        return x.to(self.device, non_blocking=True).contiguous(memory_format=self.memory_format)

    def train_step(self, batch: tuple[torch.Tensor, torch.Tensor]) -> dict[str, float]:
        """One G step then one D step on ``(real_a, real_b)``, each ``(B, 3, H, W)`` in [0, 1]; returns losses."""
        c = self.config
        real_a, real_b = self._prepare(batch[0]), self._prepare(batch[1])
        g_ab, g_ba, d_a, d_b = (self._call[n] for n in NET_NAMES)
        use_idt = c.lambda_identity > 0

        _set_requires_grad((self.d_a, self.d_b), False)
        with autocast(self.device, c.bf16):
            fake_b = g_ab(real_a)
            rec_a = g_ba(fake_b)
            fake_a = g_ba(real_b)
            rec_b = g_ab(fake_a)
            adv_ab = generator_loss(self.d_b(fake_b), kind=c.gan_loss)
            adv_ba = generator_loss(self.d_a(fake_a), kind=c.gan_loss)
            zero = real_a.new_zeros(())
            idt_a = identity_loss(real_a, g_ba(real_a)) if use_idt else zero
            idt_b = identity_loss(real_b, g_ab(real_b)) if use_idt else zero
        cyc_a, cyc_b = cycle_loss(real_a, rec_a), cycle_loss(real_b, rec_b)
        loss_g = adv_ab + adv_ba + c.lambda_cycle * (cyc_a + cyc_b + c.lambda_identity * (idt_a + idt_b))
        self.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        self.opt_g.step()

        _set_requires_grad((self.d_a, self.d_b), True)
        with autocast(self.device, c.bf16):
            loss_d_a = discriminator_loss(d_a(real_a), d_a(self.pool_a.query(fake_a)), kind=c.gan_loss)
            loss_d_b = discriminator_loss(d_b(real_b), d_b(self.pool_b.query(fake_b)), kind=c.gan_loss)
        self.opt_d.zero_grad(set_to_none=True)
        (loss_d_a + loss_d_b).backward()
        self.opt_d.step()
        self.sched_g.step()
        self.sched_d.step()

        names = ("loss_g", "adv_ab", "adv_ba", "cyc_a", "cyc_b", "idt_a", "idt_b", "loss_d_a", "loss_d_b")
        values = torch.stack([loss_g, adv_ab, adv_ba, cyc_a, cyc_b, idt_a, idt_b, loss_d_a, loss_d_b]).detach()
        out = dict(zip(names, values.float().cpu().tolist(), strict=True))
        out["lr"] = self.opt_g.param_groups[0]["lr"]
        return out

    @torch.no_grad()
    def sample_grid(self, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        """Rows ``real A | fake B | rec A`` and ``real B | fake A | rec B`` per sample → ``(1, 3, 2NH, 3W)``."""
        real_a, real_b = self._prepare(batch[0]), self._prepare(batch[1])
        fake_b, fake_a = self.g_ab(real_a), self.g_ba(real_b)
        rec_a, rec_b = self.g_ba(fake_b), self.g_ab(fake_a)
        rows = []
        for i in range(real_a.shape[0]):
            rows.append(torch.cat([real_a[i], fake_b[i], rec_a[i]], dim=-1))
            rows.append(torch.cat([real_b[i], fake_a[i], rec_b[i]], dim=-1))
        return torch.cat(rows, dim=-2).unsqueeze(0).float().clamp(0, 1).cpu().contiguous()

    # -- state -----------------------------------------------------------------------------------------------
    def model_config(self) -> dict[str, Any]:
        """The JSON that rebuilds the networks: method, per-network specs and the run's settings."""
        return cyclegan_model_config(self.nets, self.config)

    def weights(self) -> dict[str, torch.Tensor]:
        """All network weights as ``{"G_AB.encoder.0.weight": tensor, ...}`` (contiguous, on CPU)."""
        return net_weights(self.nets)

    def load_weights(self, weights: dict[str, torch.Tensor], *, require: tuple[str, ...] = NET_NAMES) -> None:
        """Load ``{"G_AB.…": tensor}`` into the networks present; the ``require``d ones must be complete."""
        load_net_weights(self.nets, weights, require=require)

    def _optim(self) -> dict[str, Any]:
        return {"opt_g": self.opt_g, "opt_d": self.opt_d, "sched_g": self.sched_g, "sched_d": self.sched_d}

    def state_dict(self) -> dict[str, Any]:
        """Optimisers, schedulers and pools (the weights come from :meth:`weights`)."""
        return {**part_states(self._optim()), "pool_a": self.pool_a.state_dict(), "pool_b": self.pool_b.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        try:
            load_part_states(self._optim(), state)
            self.pool_a.load_state_dict(state["pool_a"], device=self.device)
            self.pool_b.load_state_dict(state["pool_b"], device=self.device)
        except (KeyError, ValueError, RuntimeError) as exc:
            raise CheckpointError(f"trainer state does not match this CycleGAN ({exc})") from exc


def cyclegan_model_config(nets: dict[str, nn.Module], config: CycleGANConfig) -> dict[str, Any]:
    """``config.json``'s model part: the method, each network's spec and the run's settings."""
    specs = {name: net.spec() for name, net in nets.items()}  # type: ignore[operator]
    return {"method": "cyclegan", "nets": specs, "config": config.to_dict()}


def part_states(parts: dict[str, Any]) -> dict[str, Any]:
    """``{name: part.state_dict()}`` for optimisers, schedulers and the like."""
    return {name: part.state_dict() for name, part in parts.items()}


def load_part_states(parts: dict[str, Any], state: dict[str, Any]) -> None:
    """Inverse of :func:`part_states` (KeyError, ValueError or RuntimeError when ``state`` does not fit).

    A ``LambdaLR``'s learning rate is then recomputed for its step under *this* run's schedule: the same value
    when the schedule is unchanged, and the new schedule's when the step count was raised on resume (the saved
    rate of a finished run is the schedule's final 0).
    """
    for name, part in parts.items():
        part.load_state_dict(state[name])
    for part in parts.values():
        if isinstance(part, torch.optim.lr_scheduler.LambdaLR):
            groups = part.optimizer.param_groups
            for group, base, factor in zip(groups, part.base_lrs, part.lr_lambdas, strict=True):
                group["lr"] = base * factor(part.last_epoch)
            part._last_lr = [group["lr"] for group in groups]


def net_weights(nets: dict[str, nn.Module]) -> dict[str, torch.Tensor]:
    """Weights of named networks as ``{"G_AB.encoder.0.weight": tensor, ...}`` (contiguous, on CPU)."""
    return {
        f"{name}.{key}": t.detach().cpu().contiguous()
        for name, net in nets.items()
        for key, t in net.state_dict().items()
    }


def load_net_weights(
    nets: dict[str, nn.Module], weights: dict[str, torch.Tensor], *, require: tuple[str, ...] = ()
) -> None:
    """Load ``{"G_AB.…": tensor}`` into the networks present; the ``require``d ones must be complete."""
    from brushwork.checkpoint import load_module_weights

    for name, net in nets.items():
        sub = {k[len(name) + 1 :]: v for k, v in weights.items() if k.startswith(f"{name}.")}
        if sub or name in require:
            load_module_weights(net, sub, what=name)


def load_nets(
    directory: str | os.PathLike[str], names: tuple[str, ...] | None = None, *, device: torch.device | str = "cpu"
) -> tuple[dict[str, nn.Module], dict[str, Any]]:
    """Networks of a CycleGAN model directory (all, or ``names``), eval mode and frozen, plus its config."""
    from brushwork.checkpoint import load_module_weights, load_weights, read_config

    config = read_config(directory)
    if config.get("method", "cyclegan") != "cyclegan":
        raise CheckpointError(f"{directory}: a {config.get('method')!r} model, not cyclegan")
    wanted = tuple(config["nets"]) if names is None else names
    missing = [n for n in wanted if n not in config["nets"]]
    if missing:
        raise CheckpointError(f"{directory}: has no {', '.join(missing)} (it has {', '.join(config['nets'])})")
    nets = build_nets({n: config["nets"][n] for n in wanted})
    weights = load_weights(directory)
    for name, net in nets.items():
        sub = {k[len(name) + 1 :]: v for k, v in weights.items() if k.startswith(f"{name}.")}
        load_module_weights(net, sub, what=f"{directory} {name}")
        net.eval().requires_grad_(False).to(device)
    return nets, config


@torch.no_grad()
def translate(generator: nn.Module, image: torch.Tensor, *, bf16: bool = False) -> torch.Tensor:
    """Run ``generator`` on ``(N, 3, H, W)`` RGB in [0, 1] of any size; returns float32 in [0, 1], same shape."""
    device = next(generator.parameters()).device
    with autocast(device, bf16):
        out = generator(image.to(device))
    return out.float().clamp_(0, 1)


@torch.no_grad()
def translate_tiled(
    generator: Generator,
    image: torch.Tensor,
    *,
    tile: int = 512,
    overlap: int = 128,
    batch: int = 1,
    calibration_side: int = 1024,
    bf16: bool = False,
) -> torch.Tensor:
    """:func:`translate` for ``(1, 3, H, W)`` of any size in bounded memory: overlapping tiles, blended.

    The generator's instance normalisation uses statistics measured once, on the whole image or (when its long
    side exceeds ``calibration_side``) on a downscaled copy, so every tile is normalised alike. Returns float32 in
    [0, 1] on the CPU.
    """
    from brushwork.imageio import resize
    from brushwork.tiling import global_instance_norm, run_tiled

    device = next(generator.parameters()).device
    calib = image if max(image.shape[-2:]) <= calibration_side else resize(image, long_side=calibration_side)

    def run(x: torch.Tensor) -> torch.Tensor:
        with autocast(device, bf16):
            return generator(x.to(device)).float().clamp_(0, 1)

    with global_instance_norm(generator, lambda: run(calib)):
        return run_tiled(run, image, tile=tile, overlap=overlap, multiple=generator.multiple, batch=batch)
