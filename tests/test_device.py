from __future__ import annotations

import pytest
import torch

from brushwork.device import autocast, bf16_supported, resolve_device
from brushwork.errors import ConfigError
from brushwork.seed import make_generator, seed_everything


def test_resolve_device() -> None:
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device("auto").type in ("cpu", "cuda", "mps")
    assert resolve_device(torch.device("cpu")) == torch.device("cpu")
    with pytest.raises(ConfigError, match="not a device"):
        resolve_device("gpu0")
    if not torch.cuda.is_available():
        with pytest.raises(ConfigError, match="CUDA is not available"):
            resolve_device("cuda")


def test_autocast_context() -> None:
    cpu = torch.device("cpu")
    assert isinstance(bf16_supported(cpu), bool)
    a = torch.rand(4, 4)
    with autocast(cpu, enabled=False):
        assert (a @ a).dtype == torch.float32
    with autocast(cpu, enabled=True):
        assert (a @ a).dtype == torch.bfloat16


def test_seeding_is_reproducible() -> None:
    seed_everything(3)
    first = torch.rand(3)
    seed_everything(3)
    assert torch.equal(first, torch.rand(3))
    assert torch.equal(torch.rand(2, generator=make_generator(5)), torch.rand(2, generator=make_generator(5)))


def test_forced_bf16_without_native_support_warns(monkeypatch, caplog) -> None:
    import logging

    import brushwork.device as device_module

    monkeypatch.setattr(device_module, "bf16_supported", lambda device: False)
    cpu = torch.device("cpu")
    assert device_module.use_bf16(cpu, "auto") is False and not caplog.records
    with caplog.at_level(logging.WARNING, logger="brushwork.device"):
        assert device_module.use_bf16(cpu, "bf16") is True
    assert "without native bf16" in caplog.text


def test_a_gpu_that_emulates_bf16_is_not_native(monkeypatch) -> None:
    """Pre-Ampere GPUs run bf16 autocast by emulation, slower than fp32: ``auto`` must not pick it there."""
    import contextlib

    seen: list = []
    monkeypatch.setattr(torch.cuda, "device", lambda device: seen.append(device) or contextlib.nullcontext())
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda including_emulation=True: including_emulation)
    gpu = torch.device("cuda", 1)
    assert bf16_supported(gpu) is False and seen == [gpu]  # asked about that GPU, emulation not counted
