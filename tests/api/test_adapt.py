"""``brushwork.adapt``: a tiny start model adapted for a few steps; resume; the time budget; bad input."""

from __future__ import annotations

import importlib
import json
import logging
import shutil
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from brushwork.api.adapt import adapt, resolve_photos
from brushwork.checkpoint import latest_checkpoint, load_weights, read_config
from brushwork.errors import BrushworkError, ConfigError, ImageError

adapt_module = importlib.import_module("brushwork.api.adapt")  # brushwork.api.adapt is the function

#: A tiny one-sided skip model (ResNet, VGG-feature D on two layers) and settings that keep steps at ~0.1 s.
TINY = {
    "objective": "onesided",
    "direction": "BtoA",
    "discriminator": "vgg",
    "skip": True,
    "ngf": 4,
    "blocks": 1,
    "ndf": 4,
    "d_layers": ("relu2_2", "relu3_3"),
    "upsample": "nearest",
    "crop_size": 32,
    "nce_patches": 16,
}
FAST = {"crop": 32, "config": {"nce_patches": 16}, "check": False, "progress": False, "device": "cpu"}


@pytest.fixture(scope="module")
def start_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny photo (B) → painting (A) model, trained 1 step: what ``vangogh`` is to the real command."""
    import numpy as np
    from PIL import Image

    from brushwork.api.train import train

    root = tmp_path_factory.mktemp("start")
    data, rng = root / "art2photo", np.random.default_rng(5)
    for side in ("trainA", "trainB"):
        (data / side).mkdir(parents=True)
        for i in range(3):
            Image.fromarray(rng.integers(0, 256, (40, 48, 3), dtype=np.uint8)).save(data / side / f"{i}.png")
    train(data, root / "run", config=TINY, steps=1, progress=False, sample_every=0, device="cpu")
    return latest_checkpoint(root / "run")


@pytest.fixture
def folders(tmp_path: Path, make_unpaired) -> tuple[Path, Path]:
    """(paintings, photos): 12 reddish "paintings" and 6 bluish "photos"."""
    data = make_unpaired(tmp_path / "data", n_a=12, n_b=6)
    return data / "trainA", data / "trainB"


def _same_weights(a: Path, b: Path) -> bool:
    wa, wb = load_weights(a), load_weights(b)
    return wa.keys() == wb.keys() and all(torch.equal(wa[k], wb[k]) for k in wa)


def test_adapt_writes_a_model_that_translates(tmp_path: Path, folders, start_model: Path) -> None:
    import brushwork

    paintings, photos = folders
    out = tmp_path / "artist"
    result = adapt(paintings, out, photos=photos, start=start_model, max_steps=3, name="Tiny", **FAST)
    assert (result.step, result.paintings, result.photos, result.run) == (3, 12, 6, tmp_path / "artist.run")
    assert sorted(p.name for p in out.iterdir()) == ["MODEL_CARD.md", "config.json", "model.safetensors"]
    config = read_config(out)
    assert set(config["nets"]) == {"G_BA", "D_A"} and config["dtype"] == "float16"
    assert config["default_direction"] == "BtoA" and config["domains"] == {"A": "Tiny", "B": "photo"}
    assert config["config"]["diffaugment"] == "color,translation,cutout" and config["config"]["lr"] == 2e-4
    assert config["config"]["ngf"] == 4  # the start model's architecture
    assert config["adapt"]["paintings_used"] == 12 and config["step"] == 3
    assert all(v.dtype == torch.float16 for v in load_file(str(out / "model.safetensors")).values())
    card = (out / "MODEL_CARD.md").read_text()
    assert "# Tiny" in card and "12 images found, 12 used" in card and "3 steps" in card
    assert (result.run / "preview.jpg").is_file() and (result.run / "data" / "trainA" / "0000_000.jpg").exists()
    weights = load_weights(out)
    start = load_weights(start_model)
    changes = [(weights[k] - start[k]).abs().max().item() for k in weights if k.startswith("G_BA.")]
    assert 0 < max(changes) < 0.01  # fine-tuned from the start model: 3 Adam steps of 2e-4 (and fp16)
    image = torch.rand(1, 3, 40, 56)
    painted = brushwork.translate(str(out), image)
    assert painted.shape == image.shape


def test_resume_continues_exactly_and_kill_leftovers_are_ignored(tmp_path: Path, folders, start_model: Path) -> None:
    paintings, photos = folders
    args = {"photos": photos, "start": start_model, **FAST}
    adapt(paintings, tmp_path / "whole", max_steps=4, **args)
    adapt(paintings, tmp_path / "parts", max_steps=2, **args)
    with pytest.raises(ConfigError, match="pass --resume"):
        adapt(paintings, tmp_path / "parts", max_steps=4, **args)
    # a run killed while writing a checkpoint leaves a temporary folder: resume ignores it
    (tmp_path / "parts.run" / "checkpoints" / ".step_00000003.x.tmp").mkdir()
    result = adapt(paintings, tmp_path / "parts", max_steps=4, resume=True, **args)
    assert result.step == 4
    whole, parts = latest_checkpoint(tmp_path / "whole.run"), latest_checkpoint(tmp_path / "parts.run")
    assert _same_weights(whole, parts)
    with pytest.raises(ConfigError, match=r"lr=0\.001 differs"):
        adapt(paintings, tmp_path / "parts", max_steps=5, resume=True, lr=1e-3, **args)


def test_time_budget_stops_it_and_counts_across_resumes(tmp_path: Path, folders, start_model: Path, caplog) -> None:
    paintings, photos = folders
    args = {"photos": photos, "start": start_model, **FAST}
    first = adapt(paintings, tmp_path / "m", minutes=1e-4, **args)  # 6 ms: one step, then the budget is spent
    assert first.stopped == "time_limit" and first.step == 1
    with caplog.at_level(logging.WARNING):
        again = adapt(paintings, tmp_path / "m", minutes=1e-4, resume=True, **args)
    assert again.step == 1 and "raise --minutes" in caplog.text
    assert "stopped by the time budget" in (tmp_path / "m" / "MODEL_CARD.md").read_text()
    more = adapt(paintings, tmp_path / "m", minutes=10, max_steps=3, resume=True, **args)
    assert more.step == 3 and more.stopped is None


def test_scratch_starts_from_random_weights_of_the_same_architecture(
    tmp_path: Path, folders, start_model: Path
) -> None:
    paintings, photos = folders
    args = {"photos": photos, "start": start_model, **FAST}
    result = adapt(paintings, tmp_path / "s", scratch=True, max_steps=1, **{**args, "seed": 1})
    config = read_config(result.model)
    assert config["nets"]["G_BA"]["ngf"] == 4 and config["adapt"]["scratch"] is True
    assert "random weights (from scratch)" in (result.model / "MODEL_CARD.md").read_text()
    weights, start = load_weights(result.model), load_weights(start_model)
    assert max((weights[k] - start[k]).abs().max().item() for k in weights if k.startswith("G_BA.")) > 0.05
    with pytest.raises(ConfigError, match="cannot go with --scratch"):
        adapt(paintings, tmp_path / "t", scratch=True, freeze_encoder=True, max_steps=1, **args)


def test_empty_and_imageless_folders_are_one_line_errors(tmp_path: Path, folders, start_model: Path) -> None:
    _, photos = folders
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ImageError, match="no paintings in it"):
        adapt(empty, tmp_path / "m", photos=photos, start=start_model, **FAST)
    (empty / "notes.txt").write_text("not a painting")
    with pytest.raises(ImageError, match="no paintings in it"):
        adapt(empty, tmp_path / "m", photos=photos, start=start_model, **FAST)
    with pytest.raises(ImageError, match="no such paintings folder"):
        adapt(tmp_path / "missing", tmp_path / "m", photos=photos, start=start_model, **FAST)
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "a.jpg").write_bytes(b"\xff\xd8\xff not really a jpeg")
    with pytest.raises(ImageError, match="could be read"):
        adapt(broken, tmp_path / "m", photos=photos, start=start_model, max_steps=1, **FAST)


def test_one_painting_works_with_a_warning(tmp_path: Path, folders, start_model: Path) -> None:
    paintings, photos = folders
    one = tmp_path / "one"
    one.mkdir()
    shutil.copy(paintings / "000.jpg", one / "only.jpg")
    result = adapt(one, tmp_path / "m", photos=photos, start=start_model, max_steps=2, **FAST)
    assert result.step == 2 and result.paintings == 1
    assert any("only 1 painting" in w for w in result.warnings)
    assert "only 1 painting" in (result.model / "MODEL_CARD.md").read_text()


def test_5000_paintings_train_on_a_seeded_subset(tmp_path: Path, folders, start_model: Path) -> None:
    paintings, photos = folders
    many = tmp_path / "many"
    many.mkdir()
    sources = sorted(paintings.iterdir())
    for i in range(5000):  # links: 5000 files without 5000 decodes of real ones
        (many / f"p{i:05d}{sources[i % len(sources)].suffix}").symlink_to(sources[i % len(sources)])
    result = adapt(many, tmp_path / "m", photos=photos, start=start_model, max_steps=1, max_paintings=60, **FAST)
    assert result.paintings == 60 and len(list((result.run / "data" / "trainA").iterdir())) == 60
    info = json.loads((result.run / "adapt.json").read_text())
    assert info["paintings_found"] == 5000 and info["subset"] is True
    assert read_config(result.model)["data"]["images_a"] == 60
    again = adapt_module._subset(sorted(many.iterdir()), 60, 0)
    assert [str(p.resolve()) for p in again] == info["paintings_used_files"]  # the same subset every time
    assert len(adapt_module._subset(sorted(many.iterdir()), adapt_module.MAX_PAINTINGS, 0)) == 500


def test_non_images_are_skipped_and_counted(tmp_path: Path, folders, start_model: Path, caplog) -> None:
    paintings, photos = folders
    (paintings / "notes.txt").write_text("x")
    (paintings / "scan.pdf").write_bytes(b"%PDF-1.4")
    (paintings / ".DS_Store").write_bytes(b"\0")
    (paintings / ".thumbnails").mkdir()
    shutil.copy(paintings / "000.jpg", paintings / ".thumbnails" / "000.jpg")
    (paintings / "broken.jpg").write_bytes((paintings / "000.jpg").read_bytes()[:200])
    with caplog.at_level(logging.WARNING):
        result = adapt(paintings, tmp_path / "m", photos=photos, start=start_model, max_steps=1, **FAST)
    assert "2 files that are not images ignored (.pdf, .txt)" in caplog.text
    config = read_config(result.model)
    assert config["data"]["skipped"] == 1 and config["data"]["images_a"] == 12
    assert "1 unreadable skipped, 2 other files ignored" in (result.model / "MODEL_CARD.md").read_text()


def test_a_folder_of_photos_is_warned(tmp_path: Path, folders, start_model: Path) -> None:
    from brushwork.samples import bundled_photos

    _, photos = folders
    snapshots = tmp_path / "holiday"
    snapshots.mkdir()
    for path in bundled_photos():
        shutil.copy(path, snapshots / path.name)
    args = {**FAST, "check": True}
    result = adapt(snapshots, tmp_path / "m", photos=photos, start=start_model, max_steps=1, **args)
    assert any("looks like photos, not paintings" in w for w in result.warnings)


def test_the_check_tells_bundled_photos_from_a_painting(tmp_path: Path) -> None:
    from brushwork.imageio import save_image
    from brushwork.samples import bundled_photos, swirl_painting

    ok, score, looked = adapt_module._painting_check(bundled_photos(), torch.device("cpu"))
    assert not ok and looked == 4 and score < 0.45
    paths = []
    for seed in range(3):
        paths.append(save_image(swirl_painting(256, seed=seed), tmp_path / f"swirl{seed}.png"))
    ok, score, _ = adapt_module._painting_check(paths, torch.device("cpu"))
    assert ok and score >= 0.45


def test_photos_come_from_the_option_the_bundle_or_the_shared_folder(tmp_path: Path, folders, monkeypatch) -> None:
    _, photos = folders
    files, source = resolve_photos(photos)
    assert len(files) == 6 and source == str(photos)
    monkeypatch.setattr(adapt_module, "FALLBACK_PHOTOS", (tmp_path / "nowhere", photos))
    files, source = resolve_photos(None)  # 4 bundled photos are too few: the shared folder
    assert len(files) == 6 and source == str(photos.resolve())
    monkeypatch.setattr(adapt_module, "FALLBACK_PHOTOS", (tmp_path / "nowhere",))
    with pytest.raises(ConfigError, match="pass --photos DIR"):
        resolve_photos(None)
    monkeypatch.setattr(adapt_module, "MIN_BUNDLED_PHOTOS", 4)
    files, source = resolve_photos(None)
    assert len(files) == 4 and source == "the bundled photos"


def test_out_must_be_new_or_an_adapted_model(tmp_path: Path, folders, start_model: Path) -> None:
    paintings, photos = folders
    precious = tmp_path / "holiday"
    precious.mkdir()
    (precious / "a.txt").write_text("keep me")
    with pytest.raises(ConfigError, match="not a model that adapt wrote"):
        adapt(paintings, precious, photos=photos, start=start_model, **FAST)
    assert (precious / "a.txt").read_text() == "keep me"
    with pytest.raises(BrushworkError, match="G_BA"):
        from brushwork.checkpoint import export_model

        only_d = export_model(start_model, tmp_path / "d_only", nets=("D_A",))
        adapt(paintings, tmp_path / "x", photos=photos, start=only_d, **FAST)


def test_held_out_scores_go_into_the_card_and_config(tmp_path: Path, folders, start_model: Path, make_unpaired) -> None:
    paintings, photos = folders
    unseen = make_unpaired(tmp_path / "unseen", n_a=5, n_b=4, seed=3)
    args = {"photos": photos, "start": start_model, "max_steps": 1, **FAST}
    with pytest.raises(ConfigError, match="paintings the model trains on"):
        adapt(paintings, tmp_path / "a", held_out=paintings, eval_photos=unseen / "trainB", **args)
    with pytest.raises(ConfigError, match="photos the model trains on"):
        adapt(paintings, tmp_path / "a", held_out=unseen / "trainA", eval_photos=photos, **args)
    with pytest.raises(ConfigError, match="needs --eval-photos"):
        adapt(paintings, tmp_path / "a", held_out=unseen / "trainA", **args)
    assert not (tmp_path / "a.run").exists()  # checked before any training
    result = adapt(paintings, tmp_path / "a", held_out=unseen / "trainA", eval_photos=unseen / "trainB", **args)
    e = result.evaluation
    assert e is not None and e["n_photos"] == 4 and e["n_held_out"] == 5
    assert 0 < e["ssim"] <= 1 and e["kid_ratio"] is not None and 0 <= e["discriminator_accuracy"] <= 1
    assert read_config(result.model)["adapt"]["evaluation"] == e
    card = (result.model / "MODEL_CARD.md").read_text()
    assert f"| {e['ssim']:.3f} |" in card and "against 5 held-out paintings" in card
