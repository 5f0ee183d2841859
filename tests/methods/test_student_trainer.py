"""The student Trainable: distillation lowers the loss, state round-trips exactly, the config rebuilds the net."""

from __future__ import annotations

import copy
import dataclasses
import functools

import pytest
import torch
import torch.nn.functional as F

from brushwork.errors import ConfigError
from brushwork.methods.student import StudentConfig
from brushwork.methods.student_trainer import StudentTrainer
from brushwork.models.decoders import VGGDecoder
from brushwork.models.encoders import VGG16Encoder
from brushwork.models.micro_ast import build_micro_ast

TINY = StudentConfig(widths=(4, 8, 8), style_dim=8, lr=3e-3, crop=32, load_size=32)
SKIPS = {"relu3_1": 8, "relu2_1": 8, "relu1_1": 4}


@pytest.fixture
def teacher() -> VGGDecoder:
    """A tiny AdaIN decoder with skips whose output spans [0, 1] (as tests/test_onnx_export.py's adain_dir)."""
    torch.manual_seed(0)
    decoder = VGGDecoder(in_channels=8, widths=(8, 8, 4), skips=SKIPS)
    with torch.no_grad():
        for conv in decoder.modules():
            if isinstance(conv, torch.nn.Conv2d):
                torch.nn.init.kaiming_normal_(conv.weight, nonlinearity="relu")
                conv.bias.normal_(0.0, 0.1)
        decoder.to_rgb.weight.mul_(0.01)
        decoder.to_rgb.bias.fill_(0.5)
    return decoder.eval()


def _batch(seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return torch.rand(2, 3, 32, 32, generator=g), torch.rand(2, 3, 32, 32, generator=g) * 0.5


def test_train_step_lowers_the_loss_and_reports_numbers(tiny_encoder: VGG16Encoder, teacher: VGGDecoder) -> None:
    trainer = StudentTrainer(TINY, encoder=tiny_encoder, teacher=teacher, seed=0)
    batch = _batch(0)
    history = [trainer.train_step(batch) for _ in range(30)]
    assert set(history[0]) == {"loss", "pixel", "distill", "structure", "style", "gram", "lr"}
    assert history[-1]["loss"] < 0.7 * history[0]["loss"]
    assert history[-1]["pixel"] < history[0]["pixel"]  # it learns the teacher's picture
    assert history[-1]["lr"] < TINY.lr
    grid = trainer.sample_grid(batch)
    assert grid.shape == (1, 3, 64, 128) and grid.min() >= 0 and grid.max() <= 1
    assert not any(p.requires_grad for p in teacher.parameters())


@pytest.mark.parametrize("adversarial", [0.0, 0.5], ids=["plain", "critic"])
def test_state_round_trip_continues_identically(
    tiny_encoder: VGG16Encoder, teacher: VGGDecoder, adversarial: float
) -> None:
    config = dataclasses.replace(TINY, style_augment=True, random_alpha=0.5, adversarial_weight=adversarial)
    a = StudentTrainer(config, encoder=tiny_encoder, teacher=teacher, seed=0)
    for step in range(3):
        a.train_step(_batch(step))
    b = StudentTrainer(config, encoder=tiny_encoder, teacher=teacher, seed=0, weights=a.weights())
    b.load_state_dict(copy.deepcopy(a.state_dict()))  # as if saved and loaded (no shared tensors)
    la, lb = a.train_step(_batch(9)), b.train_step(_batch(9))
    assert la == lb  # the random alphas and the style augmentation are drawn alike
    assert all(torch.equal(a.weights()[k], b.weights()[k]) for k in a.weights())
    critic = {k for k in a.weights() if k.startswith("critic.")}
    assert bool(critic) == (adversarial > 0) and ("critic" in la) == ("adversarial" in la) == bool(critic)
    assert ("critic" in a.model_config()["nets"]) == bool(critic)


def test_random_alphas_are_a_pure_function_of_seed_and_step(tiny_encoder: VGG16Encoder, teacher: VGGDecoder) -> None:
    trainer = StudentTrainer(dataclasses.replace(TINY, random_alpha=0.5), encoder=tiny_encoder, teacher=teacher)
    style = torch.rand(64, 3, 8, 8)
    _, first, origin, _ = trainer._draw(style, 64)
    _, again, _, _ = trainer._draw(style, 64)
    assert torch.equal(first, again) and 0.25 < float((first < 1).float().mean()) < 0.75
    assert origin == (0, 0)  # no noise field: nothing more drawn
    trainer.train_step(_batch(0))
    assert not torch.equal(trainer._draw(style, 64)[1], first)
    never = StudentTrainer(dataclasses.replace(TINY, random_alpha=0.0), encoder=tiny_encoder, teacher=teacher)
    assert torch.equal(never._draw(style, 64)[1], torch.ones(64))


def test_noise_is_read_at_a_new_place_each_step_and_learns(tiny_encoder: VGG16Encoder, teacher: VGGDecoder) -> None:
    config = dataclasses.replace(TINY, noise=2, random_alpha=0.5)
    a = StudentTrainer(config, encoder=tiny_encoder, teacher=teacher, seed=0)
    plain = StudentTrainer(dataclasses.replace(TINY, random_alpha=0.5), encoder=tiny_encoder, teacher=teacher)
    style = torch.rand(4, 3, 8, 8)
    _, alpha, origin, _ = a._draw(style, 4)
    assert torch.equal(alpha, plain._draw(style, 4)[1])  # the alphas drawn as without noise
    assert origin == a._draw(style, 4)[2] and all(v % 8 == 0 for v in origin)
    a.train_step(_batch(0))
    assert a._draw(style, 4)[2] != origin
    assert all(inj.mix.weight.abs().sum() > 0 for inj in a.net.noise)  # the zero heads get gradients
    b = StudentTrainer(config, encoder=tiny_encoder, teacher=teacher, seed=0, weights=a.weights())
    b.load_state_dict(copy.deepcopy(a.state_dict()))
    assert a.train_step(_batch(5)) == b.train_step(_batch(5))  # exact resume: the same place in the field


def test_model_config_rebuilds_the_student_without_a_vgg(tiny_encoder: VGG16Encoder, teacher: VGGDecoder) -> None:
    trainer = StudentTrainer(TINY, encoder=tiny_encoder, teacher=teacher, seed=0)
    trainer.train_step(_batch(0))
    config = trainer.model_config()
    assert config["method"] == "student" and "encoder" not in config
    assert StudentConfig.from_dict(config["config"]) == TINY
    rebuilt = build_micro_ast(config["nets"]["student"])
    rebuilt.load_state_dict({k.removeprefix("student."): v for k, v in trainer.weights().items()})
    content, style = _batch(1)
    with torch.no_grad():
        assert torch.equal(
            rebuilt(content, rebuilt.style_code(style)), trainer.net(content, trainer.net.style_code(style))
        )


def test_only_the_weighted_terms_are_computed(tiny_encoder: VGG16Encoder, teacher: VGGDecoder) -> None:
    config = dataclasses.replace(TINY, distill_weight=0.0, structure_weight=0.0, gram_weight=0.0, random_alpha=1.0)
    trainer = StudentTrainer(config, encoder=tiny_encoder, teacher=teacher, seed=0)
    out = trainer.train_step(_batch(0))
    assert set(out) == {"loss", "pixel", "style", "lr"}
    assert out["style"] == 0.0  # no pair at alpha 1: the style terms do not apply


def test_without_teacher_terms_the_teacher_does_not_run(tiny_encoder: VGG16Encoder, teacher: VGGDecoder) -> None:
    config = dataclasses.replace(TINY, pixel_weight=0.0, distill_weight=0.0, random_alpha=0.0)
    trainer = StudentTrainer(config, encoder=tiny_encoder, teacher=teacher, seed=0)
    calls: list[int] = []
    teacher.register_forward_hook(lambda *_: calls.append(1))
    history = [trainer.train_step(_batch(0)) for _ in range(20)]
    assert not calls
    assert set(history[0]) == {"loss", "structure", "style", "gram", "lr"}
    assert history[-1]["loss"] < history[0]["loss"]
    trainer.sample_grid(_batch(0))  # the preview still shows the teacher
    assert calls


def test_given_targets_replace_the_teachers_pictures(tiny_encoder: VGG16Encoder, teacher: VGGDecoder) -> None:
    config = dataclasses.replace(TINY, random_alpha=1.0, style_augment=True)  # every drawn alpha below 1
    trainer = StudentTrainer(config, encoder=tiny_encoder, teacher=teacher, seed=0)
    calls: list[int] = []
    teacher.register_forward_hook(lambda *_: calls.append(1))
    content, style = _batch(0)
    target = content.flip(-1).mul(0.5).add(0.25)  # a picture no teacher paints
    history = [trainer.train_step((content, style, target)) for _ in range(30)]
    assert not calls
    assert set(history[0]) == {
        "loss",
        "target_pixel",
        "target_distill",
        "target_structure",
        "target_style",
        "target_gram",
        "lr",
    }
    assert history[0]["target_style"] > 0  # alpha 1 for targets, whatever was drawn
    assert history[-1]["target_pixel"] < 0.7 * history[0]["target_pixel"]
    with torch.no_grad():  # it learns the target, the painting as given (not augmented)
        out = trainer._call(content, style, torch.ones(2))
    assert F.l1_loss(out, target) < F.l1_loss(out, content)
    plain = trainer.train_step((content, style))
    assert "pixel" in plain and "target_pixel" not in plain and calls
    with pytest.raises(ValueError, match="targets"):
        trainer.train_step((content, style, target[..., :16]))


def test_the_contrast_term_uses_the_students_own_style_codes(tiny_encoder: VGG16Encoder, teacher) -> None:
    config = dataclasses.replace(TINY, pixel_weight=0.0, distill_weight=0.0, contrast_weight=1.0, random_alpha=0.0)
    trainer = StudentTrainer(config, encoder=tiny_encoder, teacher=teacher, seed=0)
    history = [trainer.train_step(_batch(0)) for _ in range(15)]
    assert set(history[0]) == {"loss", "structure", "style", "gram", "contrast", "lr"}
    assert history[0]["contrast"] > 0.0 and history[-1]["contrast"] < history[0]["contrast"]
    half = dataclasses.replace(config, random_alpha=1.0)  # no pair at alpha 1: nothing to contrast
    assert StudentTrainer(half, encoder=tiny_encoder, teacher=teacher, seed=0).train_step(_batch(0))["contrast"] == 0


def test_freeze_generator_trains_the_style_path_only(tiny_encoder: VGG16Encoder, teacher: VGGDecoder) -> None:
    config = dataclasses.replace(TINY, freeze_generator=True, random_alpha=0.0)
    trainer = StudentTrainer(config, encoder=tiny_encoder, teacher=teacher, seed=0)
    style_ids = {id(p) for m in trainer.net.style_path() for p in m.parameters()}
    before = {n: p.detach().clone() for n, p in trainer.net.named_parameters()}
    history = [trainer.train_step(_batch(0)) for _ in range(5)]
    assert history[-1]["loss"] < history[0]["loss"]
    moved = {n for n, p in trainer.net.named_parameters() if not torch.equal(p, before[n])}
    generator = {n for n, p in trainer.net.named_parameters() if id(p) not in style_ids}
    assert moved and not moved & generator  # the style path learns; the rest stays as loaded
    resumed = StudentTrainer(config, encoder=tiny_encoder, teacher=teacher, seed=0, weights=trainer.weights())
    resumed.load_state_dict(copy.deepcopy(trainer.state_dict()))  # Adam holds the style path only, here too
    assert resumed.train_step(_batch(1)) == trainer.train_step(_batch(1))


def _one_teacher_term(encoder: VGG16Encoder, teacher, **weight: float):
    """The teacher's picture for batch 1 and ``losses(picture)`` with every weight 0 but ``weight``."""
    from brushwork.methods.student import student_losses, teacher_output

    others = ("pixel_weight", "distill_weight", "structure_weight", "style_weight", "gram_weight")
    config = dataclasses.replace(TINY, **dict.fromkeys(others, 0.0), **weight)
    content, style = _batch(1)
    alpha = torch.ones(2)
    with torch.no_grad():
        layers = {"relu4_1", "relu3_1", "relu2_1", "relu1_1"}
        target = teacher_output(teacher, encoder(content, layers), encoder(style, layers), alpha)

    def losses(picture: torch.Tensor) -> dict[str, torch.Tensor]:
        return student_losses(encoder, teacher, lambda *_: picture, content, style, alpha=alpha, config=config)

    return target, losses


def test_the_tv_term_penalises_only_what_differs_from_the_teacher(tiny_encoder: VGG16Encoder, teacher) -> None:
    target, losses = _one_teacher_term(tiny_encoder, teacher, tv_weight=1.0)
    checker = (torch.arange(32)[:, None] + torch.arange(32)[None, :]) % 2 * 0.2 - 0.1
    assert set(losses(target)) == {"loss", "tv"}
    assert float(losses(target)["tv"]) == pytest.approx(0.0, abs=1e-10)  # the teacher's own edges are free
    assert float(losses(target + checker)["tv"]) == pytest.approx(0.08, rel=1e-4)  # 2 · mean (±0.2)²
    with pytest.raises(ConfigError, match="tv_weight"):
        StudentConfig(tv_weight=-1.0)


def test_the_spectrum_term_compares_texture_with_the_teacher(tiny_encoder: VGG16Encoder, teacher) -> None:
    target, losses = _one_teacher_term(tiny_encoder, teacher, spectrum_weight=2.0)
    assert set(losses(target)) == {"loss", "spectrum"}
    assert float(losses(target)["loss"]) == pytest.approx(0.0, abs=1e-6)
    flat = target.mean(dim=(2, 3), keepdim=True).expand_as(target) + 0.01 * target  # the teacher's shapes, faint
    got = losses(flat)
    assert float(got["spectrum"]) > 1.0 and float(got["loss"]) == pytest.approx(2 * float(got["spectrum"]))
    with pytest.raises(ConfigError, match="spectrum_weight"):
        StudentConfig(spectrum_weight=-1.0)


def test_the_orientation_term_compares_stroke_directions_with_the_teacher(tiny_encoder: VGG16Encoder, teacher) -> None:
    target, losses = _one_teacher_term(tiny_encoder, teacher, orientation_weight=3.0)
    assert set(losses(target)) == {"loss", "orientation"}
    assert float(losses(target)["loss"]) == 0.0
    stripes = 0.2 * (torch.arange(32) % 6 < 3).float()[:, None].expand(32, 32)  # horizontal strokes
    got = losses(target + stripes)  # strokes the teacher does not paint
    assert float(got["orientation"]) > 0.1 and float(got["loss"]) == pytest.approx(3 * float(got["orientation"]))
    with pytest.raises(ConfigError, match="orientation_weight"):
        StudentConfig(orientation_weight=-1.0)


def test_the_layout_term_compares_what_is_where_with_the_teacher(tiny_encoder: VGG16Encoder, teacher) -> None:
    target, losses = _one_teacher_term(tiny_encoder, teacher, layout_weight=2.0)
    assert set(losses(target)) == {"loss", "layout"}
    assert float(losses(target)["loss"]) == pytest.approx(0.0, abs=1e-6)
    brighter = losses(0.8 * target + 0.1)  # the same picture, other contrast: nearly free
    moved = losses(target.roll(8, dims=-1))  # the same picture, shifted: what was where has moved
    assert float(moved["layout"]) > 2 * float(brighter["layout"])
    assert float(moved["loss"]) == pytest.approx(2 * float(moved["layout"]))
    with pytest.raises(ConfigError, match="layout_weight"):
        StudentConfig(layout_weight=-1.0)


def test_static_strides_are_stored_as_the_network_stores_them() -> None:
    assert StudentConfig(static=(2, 4, 4)).static == (4, 2) == StudentConfig(static=(4, 2)).static
    assert StudentConfig.from_dict(StudentConfig(static=(2, 8)).to_dict()).build().static == (8, 2)
    for bad in (4, (16,), ("4",)):
        with pytest.raises(ConfigError, match="static"):
            StudentConfig(static=bad)


def test_gram_layers_weigh_the_gram_term(tiny_encoder: VGG16Encoder, teacher) -> None:
    from brushwork.methods.student import student_losses

    content, style = _batch(1)
    picture = content.flip(-1) * 0.8

    def gram(layers: tuple[float, ...]) -> float:
        config = dataclasses.replace(
            TINY, pixel_weight=0.0, distill_weight=0.0, structure_weight=0.0, style_weight=0.0, gram_layers=layers
        )
        out = student_losses(
            tiny_encoder, teacher, lambda *_: picture, content, style, alpha=torch.ones(2), config=config
        )
        return float(out["gram"])

    single = [gram(tuple(float(i == j) for j in range(4))) for i in range(4)]
    assert gram((1.0, 1.0, 1.0, 1.0)) == pytest.approx(sum(single) / 4, rel=1e-5)  # the default: the plain mean
    assert gram((0.0, 0.0, 1.0, 3.0)) == pytest.approx((single[2] + 3 * single[3]) / 4, rel=1e-5)
    assert len(set(round(v, 6) for v in single)) == 4  # the layers differ, so the weights matter
    for bad in ((1.0, 1.0, 1.0), (0.0, 0.0, 0.0, 0.0), (1.0, -1.0, 1.0, 1.0)):
        with pytest.raises(ConfigError, match="gram_layers"):
            dataclasses.replace(TINY, gram_layers=bad)


def test_style_sizes_default_to_the_photos_and_are_checked() -> None:
    assert StudentConfig(crop=128, load_size=256, style_crop=256).style_crop == 256  # loads at 256: fits
    with pytest.raises(ConfigError, match="style_load_size"):  # 0 = the photos' 256 px: smaller than the crop
        StudentConfig(crop=128, load_size=256, style_crop=320)
    assert StudentConfig(crop=128, load_size=256, style_crop=320, style_load_size=384).style_load_size == 384
    with pytest.raises(ConfigError, match="style_crop"):
        StudentConfig(style_crop=100)


def test_the_coarse_gram_term_compares_half_scale_texture_with_the_painting(
    tiny_encoder: VGG16Encoder, teacher
) -> None:
    from brushwork.methods.student import student_losses

    content, style = _batch(1)
    others = ("pixel_weight", "distill_weight", "structure_weight", "style_weight", "gram_weight")
    config = dataclasses.replace(TINY, **dict.fromkeys(others, 0.0), coarse_gram_weight=2.0)

    def losses(picture: torch.Tensor, alpha: torch.Tensor) -> dict[str, torch.Tensor]:
        return student_losses(tiny_encoder, teacher, lambda *_: picture, content, style, alpha=alpha, config=config)

    ones = torch.ones(2)
    assert set(losses(style, ones)) == {"loss", "coarse_gram"}
    assert float(losses(style, ones)["loss"]) == pytest.approx(0.0, abs=1e-6)  # the painting itself: free
    got = losses(content, ones)
    assert float(got["coarse_gram"]) > 0.01 and float(got["loss"]) == pytest.approx(2 * float(got["coarse_gram"]))
    # at half scale the painting's 2 × 2 blocks count, not its finest grain: a pixel checker on it costs little
    checker = ((torch.arange(32)[:, None] + torch.arange(32)[None, :]) % 2 * 0.2 - 0.1).expand_as(style)
    assert float(losses((style + checker).clamp(0, 1), ones)["coarse_gram"]) < 0.1 * float(got["coarse_gram"])
    assert float(losses(content, torch.full((2,), 0.5))["loss"]) == 0.0  # style terms: pairs at alpha 1 only
    with pytest.raises(ConfigError, match="coarse_gram_weight"):
        StudentConfig(coarse_gram_weight=-1.0)


def test_structure_magnitude_weighs_the_structure_term_by_the_photos_feature_strength(
    tiny_encoder: VGG16Encoder, teacher
) -> None:
    from brushwork.methods.student import student_losses

    content, style = _batch(1)
    others = ("pixel_weight", "distill_weight", "style_weight", "gram_weight")
    plain = dataclasses.replace(TINY, **dict.fromkeys(others, 0.0), structure_weight=1.0)
    weighted = dataclasses.replace(plain, structure_magnitude=2.0)

    def structure(picture: torch.Tensor, config: StudentConfig) -> float:
        got = student_losses(
            tiny_encoder, teacher, lambda *_: picture, content, style, alpha=torch.ones(2), config=config
        )
        assert set(got) == {"loss", "structure"}
        return float(got["structure"])

    assert structure(content, weighted) == pytest.approx(0.0, abs=1e-6)  # the photo itself: free either way
    assert structure(style, weighted) != pytest.approx(structure(style, plain), rel=1e-3)  # the weights count
    with pytest.raises(ConfigError, match="structure_magnitude"):
        StudentConfig(structure_magnitude=-0.5)


def test_structure_layers_weigh_the_structure_terms_layers(tiny_encoder: VGG16Encoder, teacher) -> None:
    from brushwork.losses.structure import normalized_feature_loss
    from brushwork.methods.adain import STRUCTURE_LAYERS
    from brushwork.methods.student import student_losses

    content, style = _batch(1)
    others = ("pixel_weight", "distill_weight", "style_weight", "gram_weight")
    plain = dataclasses.replace(TINY, **dict.fromkeys(others, 0.0), structure_weight=1.0)
    deep = dataclasses.replace(plain, structure_layers=(0.0, 0.0, 1.0, 3.0))

    def structure(picture: torch.Tensor, config: StudentConfig) -> float:
        got = student_losses(
            tiny_encoder, teacher, lambda *_: picture, content, style, alpha=torch.ones(2), config=config
        )
        return float(got["structure"])

    with torch.no_grad():
        photo, other = tiny_encoder(content, STRUCTURE_LAYERS), tiny_encoder(style, STRUCTURE_LAYERS)
        per_layer = [float(normalized_feature_loss(other[n], photo[n])) for n in STRUCTURE_LAYERS]
    assert structure(style, plain) == pytest.approx(sum(per_layer) / 4, rel=1e-5)  # equal weights: the mean
    assert structure(style, deep) == pytest.approx((per_layer[2] + 3 * per_layer[3]) / 4, rel=1e-5)
    assert structure(content, deep) == pytest.approx(0.0, abs=1e-6)
    for bad in ((1.0, 1.0, 1.0), (1.0, -1.0, 1.0, 1.0), (0.0, 0.0, 0.0, 0.0)):
        with pytest.raises(ConfigError, match="structure_layers"):
            StudentConfig(structure_layers=bad)


def test_the_hold_term_asks_the_pairs_at_full_strength_to_retone(tiny_encoder: VGG16Encoder, teacher) -> None:
    from brushwork.losses.photo_hold import photo_hold_loss
    from brushwork.methods.student import student_losses

    g = torch.Generator().manual_seed(1)
    content = F.interpolate(torch.rand(2, 3, 8, 8, generator=g), size=(64, 64), mode="bilinear")  # 16 cells
    style = F.interpolate(torch.rand(2, 3, 8, 8, generator=g), size=(64, 64), mode="bilinear")
    others = ("pixel_weight", "distill_weight", "style_weight", "gram_weight")
    config = dataclasses.replace(
        TINY, **dict.fromkeys(others, 0.0), structure_weight=0.0, hold_weight=2.0, crop=64, load_size=64
    )
    filtered = 0.5 * content + 0.25  # the photo under a filter: holds about 1

    def hold(picture: torch.Tensor, alpha: torch.Tensor) -> dict[str, float]:
        got = student_losses(tiny_encoder, teacher, lambda *_: picture, content, style, alpha=alpha, config=config)
        return {k: float(v) for k, v in got.items()}

    got = hold(filtered, torch.ones(2))
    assert set(got) == {"loss", "hold"} and got["hold"] == pytest.approx(0.36, abs=0.01)  # (1 - 0.4)²
    assert got["loss"] == pytest.approx(2 * got["hold"])
    assert hold(style, torch.ones(2))["hold"] < 0.05  # another layout: (nearly) free
    mixed = torch.stack([filtered[0], style[1]])
    one = hold(mixed, torch.tensor([1.0, 0.3]))["hold"]  # only the pair at alpha 1 counts: the filtered one
    assert one == pytest.approx(float(photo_hold_loss(filtered[:1], content[:1])), abs=1e-6) and one > 0.3
    assert hold(mixed, torch.tensor([0.3, 1.0]))["hold"] < 0.05
    assert hold(filtered, torch.full((2,), 0.5))["loss"] == 0.0
    with pytest.raises(ConfigError, match="hold_ceiling"):
        StudentConfig(hold_ceiling=1.0)
    with pytest.raises(ConfigError, match="hold_weight needs crops of 64"):
        StudentConfig(hold_weight=1.0, crop=48, load_size=48)


def test_structure_luma_keeps_the_photos_forms_and_frees_its_hues(tiny_encoder: VGG16Encoder, teacher) -> None:
    from brushwork.color import rgb_to_yiq, yiq_to_rgb
    from brushwork.methods.student import student_losses

    content, style = _batch(1)
    content = 0.35 + 0.3 * content  # room to change the hue without clipping
    others = ("pixel_weight", "distill_weight", "style_weight", "gram_weight")
    colour = dataclasses.replace(TINY, **dict.fromkeys(others, 0.0), structure_weight=1.0)
    luma = dataclasses.replace(colour, structure_luma=True)
    yiq = rgb_to_yiq(content)
    recoloured = yiq_to_rgb(torch.cat([yiq[:, :1], yiq[:, 2:3], -yiq[:, 1:2]], dim=1))  # the same luma, hues turned
    assert recoloured.min() >= 0 and recoloured.max() <= 1

    def structure(picture: torch.Tensor, config: StudentConfig) -> float:
        got = student_losses(
            tiny_encoder, teacher, lambda *_: picture, content, style, alpha=torch.ones(2), config=config
        )
        assert set(got) == {"loss", "structure"}
        return float(got["structure"])

    assert structure(recoloured, luma) == pytest.approx(0.0, abs=1e-5)  # the forms kept: free whatever the hues
    assert structure(recoloured, colour) > 1e-3  # in colour the hues count
    assert structure(style, luma) > 1e-3  # other forms still cost
    picture = content.clone().requires_grad_()
    got = student_losses(
        tiny_encoder, teacher, lambda *_: picture * 0.9, content, style, alpha=torch.ones(2), config=luma
    )
    got["loss"].backward()
    assert picture.grad is not None and picture.grad.abs().sum() > 0  # the picture gets a gradient through its luma


def test_a_luma_input_student_learns_the_teachers_picture_of_the_grey_photo(
    tiny_encoder: VGG16Encoder, teacher
) -> None:
    from brushwork.color import gray3
    from brushwork.methods.student import student_losses, teacher_output

    content, style = _batch(1)
    alpha = torch.tensor([1.0, 0.3])
    config = dataclasses.replace(TINY, luma_input=True, structure_luma=True, distill_weight=0.0)
    layers = {"relu4_1", "relu3_1", "relu2_1", "relu1_1"}
    with torch.no_grad():
        grey = teacher_output(teacher, tiny_encoder(gray3(content), layers), tiny_encoder(style, layers), alpha)
        colour = teacher_output(teacher, tiny_encoder(content, layers), tiny_encoder(style, layers), alpha)

    def pixel(picture: torch.Tensor) -> float:
        got = student_losses(tiny_encoder, teacher, lambda *_: picture, content, style, alpha=alpha, config=config)
        return float(got["pixel"])

    assert pixel(grey) == pytest.approx(0.0, abs=1e-6) and pixel(colour) > 1e-4  # no hue it cannot see is asked
    with pytest.raises(ConfigError, match="luma_input needs structure_luma"):
        dataclasses.replace(TINY, luma_input=True)


def test_the_regional_term_asks_every_region_for_the_paintings_texture(tiny_encoder: VGG16Encoder, teacher) -> None:
    from brushwork.methods.student import student_losses

    content, style = _batch(4)
    others = ("pixel_weight", "distill_weight", "structure_weight", "style_weight", "gram_weight")
    config = dataclasses.replace(TINY, **dict.fromkeys(others, 0.0), regional_weight=3.0, regional_cells=2)

    def losses(picture: torch.Tensor, alpha: torch.Tensor) -> dict[str, torch.Tensor]:
        return student_losses(tiny_encoder, teacher, lambda *_: picture, content, style, alpha=alpha, config=config)

    ones = torch.ones(2)
    assert set(losses(style, ones)) == {"loss", "regional"}
    assert float(losses(style, ones)["loss"]) == pytest.approx(0.0, abs=1e-8)  # the painting itself: free
    calm = style.clone()
    calm[..., :16] = calm[..., :16].mean(dim=(-2, -1), keepdim=True)  # its left half flattened
    got = losses(calm, ones)
    assert float(got["regional"]) > 1e-4 and float(got["loss"]) == pytest.approx(3 * float(got["regional"]))
    assert float(losses(calm, torch.full((2,), 0.5))["loss"]) == 0.0  # style terms: pairs at alpha 1 only
    small_style = style[..., :16, :16]  # a 2 × 2 relu4_1 map: the cells shrink to fit it
    four = dataclasses.replace(config, regional_cells=4)
    got = student_losses(tiny_encoder, teacher, lambda *_: calm, content, small_style, alpha=ones, config=four)
    assert float(got["regional"]) > 0
    for bad in (0, 5):  # crop 32: 4 cells fit relu4_1's 4 × 4 map, 5 do not
        with pytest.raises(ConfigError, match="regional_cells"):
            dataclasses.replace(config, regional_cells=bad)
    assert dataclasses.replace(TINY, regional_cells=5).regional_cells == 5  # unused: any size
    with pytest.raises(ConfigError, match="regional_weight"):
        StudentConfig(regional_weight=-1.0)


def test_previews_get_the_runs_palette(tiny_encoder: VGG16Encoder, teacher: VGGDecoder) -> None:
    from brushwork.color import match_palette

    batch = _batch(5)
    plain = StudentTrainer(TINY, encoder=tiny_encoder, teacher=teacher, seed=0)
    recoloured = StudentTrainer(TINY, encoder=tiny_encoder, teacher=teacher, seed=0, preview_palette=1.0)
    a, b = plain.sample_grid(batch), recoloured.sample_grid(batch)
    assert torch.equal(a[..., :96], b[..., :96])  # photo, painting and teacher alike
    student = a[..., :32, 96:]  # first row's student picture, its palette matched to the first painting
    assert torch.allclose(b[..., :32, 96:], match_palette(student, [batch[1][:1]]), atol=1e-5)
    assert not torch.allclose(a[..., 96:], b[..., 96:], atol=1e-3)


@pytest.mark.parametrize("orientation", [0.0, 1.0], ids=["alone", "beside-a-teacher-term"])
def test_a_painting_critic_judges_the_paintings_as_real(
    tiny_encoder: VGG16Encoder, teacher, orientation: float
) -> None:
    from brushwork.methods.student import student_losses
    from brushwork.methods.student_critic import CRITIC_LAYERS

    content, style = _batch(2)
    picture = content * 0.5
    config = dataclasses.replace(
        TINY,
        pixel_weight=0.0,
        distill_weight=0.0,
        orientation_weight=orientation,
        adversarial_weight=1.0,
        critic_real="painting",
    )
    ran, pushed = [], []

    def teacher_hook(*_: object) -> None:
        ran.append(True)

    def critic(feats: dict[str, torch.Tensor]) -> torch.Tensor:
        pushed.append({n: f.shape[0] for n, f in feats.items()})
        return sum(f.mean() for f in feats.values())

    handle = teacher.register_forward_hook(teacher_hook)
    seen: dict[str, dict[str, torch.Tensor]] = {}
    losses = functools.partial(student_losses, tiny_encoder, teacher, lambda *_: picture, content, style)
    out = losses(alpha=torch.tensor([1.0, 0.5]), config=config, critic=critic, seen=seen)
    handle.remove()
    assert bool(ran) == (orientation > 0)  # the teacher runs only for a term that needs its picture
    with torch.no_grad():
        real, fake = tiny_encoder(style, CRITIC_LAYERS), tiny_encoder(picture, CRITIC_LAYERS)
    assert all(torch.equal(seen["real"][n], real[n]) and torch.equal(seen["fake"][n], fake[n]) for n in CRITIC_LAYERS)
    assert pushed == [dict.fromkeys(CRITIC_LAYERS, 1)]  # only the pair at alpha 1 is pushed to look painted
    assert float(losses(alpha=torch.full((2,), 0.5), config=config, critic=critic)["adversarial"]) == 0.0
    assert "adversarial" in out and len(pushed) == 1  # with no pair at alpha 1 the critic is not asked
    with pytest.raises(ConfigError, match="critic_real"):
        dataclasses.replace(TINY, critic_real="photo")


def test_the_shift_term_asks_the_picture_to_move_with_the_photo(tiny_encoder: VGG16Encoder, teacher) -> None:
    from brushwork.methods.student import student_losses

    content, style = _batch(5)
    others = ("pixel_weight", "distill_weight", "structure_weight", "style_weight", "gram_weight")
    config = dataclasses.replace(TINY, **dict.fromkeys(others, 0.0), shift_weight=2.0)
    calls: list[dict] = []

    def lattice(photo: torch.Tensor, *_: object, **kw: object) -> torch.Tensor:  # marks on every 8th row
        calls.append(kw)
        marked = photo.clone()
        marked[..., ::8, :] = 1.0
        return marked

    def losses(painter, shift=(4, 4)) -> dict[str, torch.Tensor]:
        return student_losses(
            tiny_encoder, teacher, painter, content, style, alpha=torch.ones(2), config=config, shift=shift
        )

    assert set(losses(lattice)) == {"loss", "shift"}
    record, stats = calls[0]["record"], calls[1]["stats"]
    assert record == [] and stats is record  # the shifted pass gets what the first one records
    squared = losses(lambda photo, *_, **__: photo**2)["loss"]
    assert float(squared) == pytest.approx(0.0, abs=1e-7)  # moves with the photo
    got = losses(lattice)
    assert float(got["shift"]) > 0.05 and float(got["loss"]) == pytest.approx(2 * float(got["shift"]))
    assert float(losses(lattice, shift=(0, 3))["shift"]) == pytest.approx(0.0, abs=1e-7)  # rows marks: a column shift
    trainer = StudentTrainer(config, encoder=tiny_encoder, teacher=teacher, seed=0)
    assert trainer._draw(style, 2)[3] == trainer._draw(style, 2)[3]  # a pure function of (seed, step)
    shifts = set()
    for step in range(40):
        trainer.sched.last_epoch = step
        shifts.add(trainer._draw(style, 2)[3])
    trainer.sched.last_epoch = 0
    assert len(shifts) > 20 and all(0 <= dy < 8 and 0 <= dx < 8 and (dy, dx) != (0, 0) for dy, dx in shifts)
    assert float(trainer.train_step((content, style))["shift"]) > 0  # the real network, one more pass
    with pytest.raises(ConfigError, match="shift_weight needs noise 0"):
        StudentConfig(shift_weight=1.0, noise=8)
    with pytest.raises(ConfigError, match="shift_weight needs crops of 24"):
        StudentConfig(shift_weight=1.0, crop=16, load_size=32)
    with pytest.raises(ConfigError, match="shift_weight"):
        StudentConfig(shift_weight=-1.0)
