from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest
import torch

from brushwork.checkpoint import (
    export_model,
    latest_checkpoint,
    list_checkpoints,
    load_module_weights,
    load_trainer_state,
    load_weights,
    read_config,
    resolve_model_dir,
    save_checkpoint,
    save_model_dir,
)
from brushwork.errors import CheckpointError

NETS = {"G_AB": {"kind": "resnet", "ngf": 4, "blocks": 1, "upsample": "transpose"}}


def _weights() -> dict[str, torch.Tensor]:
    return {"G_AB.w": torch.arange(6.0).reshape(2, 3), "D_A.w": torch.ones(2)}


def test_model_dir_round_trip_is_atomic(tmp_path: Path) -> None:
    out = save_model_dir(tmp_path / "m", weights=_weights(), config={"method": "x", "nets": NETS}, card="# card\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]  # no temporary left behind
    assert sorted(p.name for p in out.iterdir()) == ["MODEL_CARD.md", "config.json", "model.safetensors"]
    config = read_config(out)
    assert config["format"] == "brushwork-model" and config["brushwork_version"] and config["nets"] == NETS
    loaded = load_weights(out)
    assert loaded.keys() == _weights().keys() and all(torch.equal(loaded[k], v) for k, v in _weights().items())
    save_model_dir(out, weights={"G_AB.w": torch.zeros(1)}, config={"method": "x", "nets": {}})  # replaces
    assert list(load_weights(out)) == ["G_AB.w"] and not (out / "MODEL_CARD.md").exists()


def test_missing_and_corrupt_model_dirs_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="not a model directory"):
        read_config(tmp_path)
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(CheckpointError, match="corrupt config"):
        read_config(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({"format": "other"}))
    with pytest.raises(CheckpointError, match="not a brushwork model"):
        read_config(tmp_path)
    with pytest.raises(CheckpointError, match=r"no model\.safetensors"):
        load_weights(tmp_path)
    (tmp_path / "model.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00garbage!")
    with pytest.raises(CheckpointError, match="corrupt weights"):
        load_weights(tmp_path)
    with pytest.raises(CheckpointError, match="no such model directory"):
        resolve_model_dir(tmp_path / "nope")


def test_trainer_state_is_loaded_weights_only(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match=r"no trainer\.pt"):
        load_trainer_state(tmp_path)

    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    (tmp_path / "trainer.pt").write_bytes(pickle.dumps({"step": 1, "x": Evil()}))
    with pytest.raises(CheckpointError, match="corrupt or unsafe"):
        load_trainer_state(tmp_path)
    torch.save({"step": 3, "t": torch.ones(2), "rng": [1, (2, 3), None]}, tmp_path / "trainer.pt")
    assert load_trainer_state(tmp_path)["step"] == 3


def test_checkpoints_keep_the_newest_k_and_skip_partial_ones(tmp_path: Path) -> None:
    for step in (5, 10, 15, 20):
        save_checkpoint(
            tmp_path, step=step, weights=_weights(), config={"method": "x", "nets": NETS}, trainer={}, keep=2
        )
    assert [p.name for p in list_checkpoints(tmp_path)] == ["step_00000015", "step_00000020"]
    (tmp_path / "checkpoints" / "step_00000099").mkdir()  # interrupted before config/trainer were written
    (tmp_path / "checkpoints" / ".step_00000100.abc.tmp").mkdir()
    assert latest_checkpoint(tmp_path) == tmp_path / "checkpoints" / "step_00000020"
    assert resolve_model_dir(tmp_path) == latest_checkpoint(tmp_path)
    assert read_config(latest_checkpoint(tmp_path))["step"] == 20
    assert load_trainer_state(latest_checkpoint(tmp_path))["step"] == 20


def test_wrong_architecture_names_the_mismatch() -> None:
    module = torch.nn.Conv2d(3, 4, 3)
    with pytest.raises(CheckpointError, match=r"G_AB: weights are for a different architecture \(weight is"):
        load_module_weights(module, {"weight": torch.zeros(8, 3, 3, 3), "bias": torch.zeros(4)}, what="G_AB")
    with pytest.raises(CheckpointError, match="missing"):
        load_module_weights(module, {"weight": torch.zeros(4, 3, 3, 3)}, what="G_AB")


def test_export_keeps_chosen_nets_in_fp16(tmp_path: Path) -> None:
    save_checkpoint(
        tmp_path / "run", step=7, weights=_weights(), config={"method": "x", "nets": {**NETS, "D_A": {}}}, trainer={}
    )
    out = export_model(tmp_path / "run", tmp_path / "ship", nets=("G_AB",), default_direction="BtoA", card="hi")
    config = read_config(out)
    assert config["nets"] == NETS and config["dtype"] == "float16" and config["default_direction"] == "BtoA"
    from safetensors.torch import load_file

    raw = load_file(str(out / "model.safetensors"))
    assert list(raw) == ["G_AB.w"] and raw["G_AB.w"].dtype == torch.float16
    assert load_weights(out)["G_AB.w"].dtype == torch.float32
    assert (out / "MODEL_CARD.md").read_text() == "hi" and not (out / "trainer.pt").exists()
    with pytest.raises(CheckpointError, match="has no"):
        export_model(tmp_path / "run", tmp_path / "x", nets=("G_BA",))
