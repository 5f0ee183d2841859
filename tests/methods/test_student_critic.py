"""The student's critic: it learns to tell the teacher's features from the student's, and the student's term
sends gradients to the student only."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import torch

from brushwork.errors import CheckpointError
from brushwork.methods.student_critic import CRITIC_LAYERS, TeacherCritic
from brushwork.models.encoders import VGG16Encoder
from brushwork.models.feature_discriminator import FEATURE_SCALES


def _features(encoder: VGG16Encoder, seed: int, scale: float) -> dict[str, torch.Tensor]:
    """Tiny-VGG features at the real network's typical magnitude (what the heads are scaled for), times ``scale``."""
    image = torch.rand(2, 3, 32, 32, generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():
        raw = encoder(image, CRITIC_LAYERS)
    return {n: v / v.pow(2).mean().sqrt() * FEATURE_SCALES[n] * scale for n, v in raw.items()}


def test_the_critic_learns_and_round_trips(tiny_encoder: VGG16Encoder) -> None:
    critic = TeacherCritic(tiny_encoder, lr=1e-2, lr_decay=0.0, device=torch.device("cpu"))
    real, fake = _features(tiny_encoder, 0, 1.0), _features(tiny_encoder, 1, 0.2)
    losses = [critic.step(real, fake) for _ in range(40)]
    assert losses[-1] < 0.5 * losses[0]
    again = TeacherCritic(tiny_encoder, lr=1e-2, lr_decay=0.0, device=torch.device("cpu"), seed=1)
    assert again.load_weights({"student.x": torch.zeros(1), **critic.weights()})
    again.load_state_dict(critic.state_dict())
    assert critic.step(real, fake) == again.step(real, fake)
    assert not again.load_weights({"student.x": torch.zeros(1)})  # a checkpoint without a critic
    with pytest.raises(CheckpointError, match="critic"):
        again.load_state_dict({"opt": {}})


def test_the_generator_term_reaches_the_student_only(tiny_encoder: VGG16Encoder) -> None:
    critic = TeacherCritic(tiny_encoder, lr=1e-2, lr_decay=0.0, device=torch.device("cpu"))
    image = torch.rand(1, 3, 32, 32, requires_grad=True)
    term = critic.generator_term(tiny_encoder(image, CRITIC_LAYERS))
    term.backward()
    assert image.grad is not None and image.grad.abs().sum() > 0
    assert all(p.grad is None for p in critic.net.parameters())


_DDP_SCRIPT = textwrap.dedent(
    """
    import os, sys, torch
    import torch.distributed as dist
    torch.set_num_threads(1)
    from brushwork.methods.student_critic import CRITIC_LAYERS, TeacherCritic
    from brushwork.models.encoders import VGG16Encoder
    from brushwork.train import exit_rank

    dist.init_process_group("gloo")
    rank = dist.get_rank()
    torch.manual_seed(0)
    encoder = VGG16Encoder(widths=(4, 8, 8, 8)).requires_grad_(False).eval()
    critic = TeacherCritic(encoder, lr=1e-2, lr_decay=0.0, device=torch.device("cpu"), distributed=True)
    with torch.no_grad():  # each rank sees its own pictures, as under a DistributedSampler
        real, fake = (encoder(torch.rand(2, 3, 32, 32) * (1 + rank + k), CRITIC_LAYERS) for k in (0, 1))
    for _ in range(3):
        critic.step(real, fake)
    torch.save(critic.weights(), os.path.join(sys.argv[1], f"rank{rank}.pt"))
    dist.barrier()
    dist.destroy_process_group()
    exit_rank(0)  # as the CLI's ranks end: gloo's threads may abort an interpreter shutdown (see exit_rank)
    """
)


def test_distributed_critics_stay_identical(tmp_path: Path, tiny_encoder: VGG16Encoder, torchrun) -> None:
    script = tmp_path / "ddp.py"
    script.write_text(_DDP_SCRIPT)
    proc = torchrun(str(script), str(tmp_path))
    assert proc.returncode == 0, proc.stderr[-3000:]
    r0, r1 = (torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in (0, 1))
    assert all(torch.equal(r0[k], r1[k]) for k in r0)
    start = TeacherCritic(tiny_encoder, lr=1e-2, lr_decay=0.0, device=torch.device("cpu")).weights()
    assert any(not torch.equal(start[k], r0[k]) for k in r0)  # the heads did learn
