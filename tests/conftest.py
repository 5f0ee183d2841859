"""Shared fixtures: the shared data folder, the real VGG16 (session-scoped), tiny random encoders."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest
import torch

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = (REPO / ".." / "shared" / "data").resolve()


@pytest.fixture(autouse=True)
def _two_threads() -> None:
    """The CI machine has two cores; pin torch so tests behave the same everywhere."""
    torch.set_num_threads(2)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``<repo>/../shared/data`` (always present in CI; tests fail loudly if it is not)."""
    assert SHARED_DATA.is_dir(), f"{SHARED_DATA} is missing: the shared data must sit beside the repo"
    return SHARED_DATA


@pytest.fixture(scope="session")
def vgg16():
    """The real, frozen VGG16 encoder on CPU (converted once from the offline provider)."""
    from brushwork.models.encoders import load_vgg16

    return load_vgg16()


@pytest.fixture
def tiny_encoder():
    """A random-weight VGG16-shaped encoder with 4–8 channels, frozen."""
    from brushwork.models.encoders import VGG16Encoder

    torch.manual_seed(0)
    return VGG16Encoder(widths=(4, 8, 8, 8)).requires_grad_(False).eval()


def _make_unpaired(root: Path, *, n_a: int = 4, n_b: int = 6, seed: int = 0) -> Path:
    """``root/trainA`` (reddish) and ``root/trainB`` (bluish) blocky images, JPEG and PNG, 40–63 px."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(seed)
    for name, count, tint in (("trainA", n_a, (1.0, 0.5, 0.3)), ("trainB", n_b, (0.3, 0.6, 1.0))):
        folder = root / name
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(count):
            h, w = int(rng.integers(40, 64)), int(rng.integers(40, 64))
            base = rng.random((h // 4 + 1, w // 4 + 1, 3))
            img = np.kron(base, np.ones((4, 4, 1)))[:h, :w] * np.array(tint)
            Image.fromarray((img * 255).astype(np.uint8)).save(folder / f"{i:03d}{'.jpg' if i % 2 == 0 else '.png'}")
    return root


@pytest.fixture
def make_unpaired():
    """Factory for synthetic unpaired CycleGAN folders: ``make_unpaired(root, n_a=4, n_b=6, seed=0) -> root``."""
    return _make_unpaired


def _make_student(
    root: Path,
    *,
    seed: int = 0,
    widths: tuple[int, int, int] = (4, 8, 8),
    style_dim: int = 8,
    upsample: str = "nearest",
    noise: int = 0,
    static: tuple[int, ...] = (),
    quarter_blocks: int = 0,
    luma_input: bool = False,
    cell_notch: float = 0.0,
) -> Path:
    """A tiny ``fast`` student model directory whose style heads and output are not trivial (a fresh network
    ignores the style until its zero-initialised heads learn), with ``noise`` channels of style-scaled noise, no
    dynamic filter at the ``static`` strides and ``quarter_blocks`` residual blocks at 1/4."""
    from brushwork.checkpoint import save_model_dir
    from brushwork.methods.student import StudentConfig

    config = StudentConfig(
        widths=widths,
        style_dim=style_dim,
        upsample=upsample,
        noise=noise,
        static=static,
        quarter_blocks=quarter_blocks,
        luma_input=luma_input,
        structure_luma=luma_input,
        cell_notch=cell_notch,
    )
    torch.manual_seed(seed)
    net = config.build()
    with torch.no_grad():
        for site in net.sites:
            for head in (site.affine, site.kernel):
                if head is not None:
                    head.weight.normal_(0.0, 0.3)
        for injection in net.noise:
            injection.mix.weight.normal_(0.0, 0.3)
        net.to_rgb.bias.fill_(0.5)
    meta = {"method": "student", "nets": {"student": net.spec()}, "config": config.to_dict()}
    return save_model_dir(root, weights={f"student.{k}": v for k, v in net.state_dict().items()}, config=meta)


@pytest.fixture
def make_student():
    """Factory for tiny student model directories: ``make_student(root, seed=0) -> root``."""
    return _make_student


def _torchrun(*args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """``torchrun --standalone --nproc_per_node=2 ARGS`` on the CPU, one thread per process; output captured."""
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", *args]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, check=False)


@pytest.fixture
def torchrun() -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run two CPU processes under ``torch.distributed.run`` (a script, or ``"-m", "brushwork", ...``)."""
    return _torchrun


def _load_script(relative: str) -> ModuleType:
    """A script outside the package (``bench/…``, ``scripts/…``) imported as a module, by its path in the repository."""
    path = Path(__file__).resolve().parents[1] / relative
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def load_script() -> Callable[[str], ModuleType]:
    """Import a repository script by its relative path: ``load_script("bench/blind_ab.py")``."""
    return _load_script


@pytest.fixture
def gatys_bf16_calls(monkeypatch) -> list[bool]:
    """The ``bf16`` argument of every call of ``methods.gatys.stylize`` (which still runs), in order."""
    from brushwork.methods import gatys

    calls: list[bool] = []
    real = gatys.stylize

    def spy(*args, **kwargs):
        calls.append(kwargs["bf16"])
        return real(*args, **kwargs)

    monkeypatch.setattr(gatys, "stylize", spy)
    return calls
