"""scripts/student_gpu.py: the carry folder it packs, the command lines it runs and what it brings back."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from safetensors.torch import load_file, save_file

from brushwork.cli import build_parser


@pytest.fixture(scope="module")
def script(load_script):
    return load_script("scripts/student_gpu.py")


def _images(folder: Path, names: list[str], size: tuple[int, int] = (40, 32)) -> None:
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for name in names:
        Image.fromarray(rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)).save(folder / name)


def _size(path: Path) -> tuple[int, int]:
    with Image.open(path) as image:
        return image.size


def test_pack_subsamples_resizes_halves_and_leaves_the_held_out_styles_out(script, tmp_path: Path) -> None:
    data = tmp_path / "data"
    _images(data / "vangogh2photo/trainB", [f"{i}.jpg" for i in range(10)])
    _images(data / "vangogh2photo/trainA", [f"{i}.jpg" for i in (0, 1, 2, 96, 97, 98)])
    _images(data / "content", ["big.png"], size=(900, 600))
    _images(data / "styles", ["candy.jpg", "udnie.jpg", "mosaic.png"], size=(700, 1000))
    _images(data / "cezanne/trainA", [f"{i}.jpg" for i in (1, 2, 3, 96, 97)], size=(750, 600))
    vgg = tmp_path / "vgg.safetensors"
    save_file({"conv1_1.weight": torch.randn(4, 3, 3, 3), "conv1_1.bias": torch.randn(4)}, str(vgg))

    counts = script.pack(tmp_path / "carry", data, vgg, photos=5, vangogh=3, cezanne=2)

    assert counts == {"photos": 5, "content": 1, "styles": 1, "vangogh": 3, "cezanne": 2}
    cezannes = sorted(p.name for p in (tmp_path / "carry/data/cezanne").iterdir())
    assert cezannes == ["1.jpg", "2.jpg"]  # the validation Cezannes (96-99) stay out
    vangoghs = sorted(p.name for p in (tmp_path / "carry/data/vangogh").iterdir())
    assert vangoghs == ["0.jpg", "2.jpg", "97.jpg"]  # Van Goghs of those numbers stay: every 2nd of 6
    assert _size(tmp_path / "carry/data/cezanne/1.jpg") == (640, 512)
    carry = tmp_path / "carry"
    assert sorted(p.name for p in (carry / "data/styles").iterdir()) == ["mosaic.jpg"]
    assert _size(carry / "data/styles/mosaic.jpg") == (512, 731)
    assert _size(carry / "data/content/big.jpg") == (768, 512)
    assert _size(carry / "data/photos/0.jpg") == (40, 32)  # photos keep their size
    (carry / "data/vangogh/stale.jpg").write_bytes(b"from an older pack")
    assert script.pack(carry, data, vgg, photos=5, vangogh=3, cezanne=2) == counts
    assert not (carry / "data/vangogh/stale.jpg").exists()
    halved = load_file(str(carry / "vgg16_fp16.safetensors"))
    assert {v.dtype for v in halved.values()} == {torch.float16}


@pytest.mark.parametrize("variant", sorted("abcdefghijkmnpqrs"))
def test_every_variant_is_a_valid_train_student_command(script, variant: str, tmp_path: Path) -> None:
    line = script.command(variant, tmp_path / "carry", tmp_path / "run", minutes=7, device="cuda", init_from="fast")
    assert line[1:3] == ["-m", "brushwork"]
    args = build_parser().parse_args(line[3:])
    assert args.time_limit == 7 and args.device == "cuda" and args.init_from == "fast"
    assert set(args.exclude_style) == set(script.HELD_OUT)
    assert args.load_size == 512 and args.crop in (256, 384)
    assert set(script.VARIANTS) == set("abcdefghijkmnpqrs")  # every variant is checked here
    if variant == "k":  # the variant's own settings override the common ones
        assert (args.structure_weight, args.structure_magnitude, args.coarse_gram_weight) == (0.4, 1, 5)
    if variant == "m":
        assert (args.adversarial_weight, args.critic_real) == (2, "painting")
    if variant == "p":
        assert args.shift_weight == 30
    if variant == "s":  # the Gatys objective: no teacher terms
        assert (args.spectrum_weight, args.orientation_weight, args.gram_weight) == (0, 0, 10)
        assert args.structure_layers == (0, 0, 0, 1)
    assert args.luma_input == args.structure_luma == (True if variant == "q" else None)
    assert args.cell_notch == (1.0 if variant == "r" else None)
    folders = [Path(f).name for f in args.style]
    assert folders == (["vangogh", "styles", "cezanne"] if variant == "n" else ["vangogh", "styles"])


def test_a_run_that_already_saved_is_resumed_with_its_own_settings(script, tmp_path: Path) -> None:
    run = tmp_path / "run"
    (run / "checkpoints" / "step_00000500").mkdir(parents=True)
    (run / "checkpoints" / "step_00000500" / "config.json").write_text(json.dumps({"step": 500}))
    (run / "checkpoints" / "step_00000500" / "trainer.pt").write_bytes(b"state")
    line = script.command("e", tmp_path / "carry", run, minutes=3, device="cuda", init_from="fast")
    args = build_parser().parse_args(line[3:])
    assert args.resume and args.out == str(run) and args.time_limit == 3 and args.device == "cuda"
    assert args.init_from is None and args.orientation_weight == 3  # the run's own folders and settings


def test_collect_brings_back_the_newest_complete_checkpoint_and_the_metrics(script, tmp_path: Path) -> None:
    run = tmp_path / "run"
    for step in (500, 1000):
        (run / "checkpoints" / f"step_{step:08d}").mkdir(parents=True)
        (run / "checkpoints" / f"step_{step:08d}" / "config.json").write_text(json.dumps({"step": step}))
        (run / "checkpoints" / f"step_{step:08d}" / "trainer.pt").write_bytes(b"state")
    (run / "checkpoints" / "step_00001500").mkdir()  # a save cut off by a kill: no trainer state, not collected
    (run / "metrics.jsonl").write_text('{"step": 1000}\n')
    assert script.collect(run, tmp_path / "a.tar")
    with tarfile.open(tmp_path / "a.tar") as tar:
        assert sorted(tar.getnames()) == [
            "checkpoints/step_00001000",
            "checkpoints/step_00001000/config.json",
            "checkpoints/step_00001000/trainer.pt",
            "metrics.jsonl",
        ]
    assert not script.collect(tmp_path / "empty", tmp_path / "b.tar")


def test_unknown_variants_are_refused(script, tmp_path: Path, capsys) -> None:
    with pytest.raises(SystemExit):
        script.main(["train", str(tmp_path), str(tmp_path / "out"), "--variants", "a,z"])
    assert "unknown ['z']" in capsys.readouterr().err
