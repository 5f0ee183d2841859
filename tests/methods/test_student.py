"""The ``fast`` method: controls (alpha, blends, masks, tiles), the batched teacher, loading, ONNX parity."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from brushwork.checkpoint import save_model_dir
from brushwork.detail import add_detail
from brushwork.errors import CheckpointError, ConfigError
from brushwork.filters import nyquist_notch
from brushwork.methods import adain
from brushwork.methods.student import (
    NOTCH_STRENGTH,
    StudentConfig,
    StudentExport,
    load_student,
    stylize,
    teacher_output,
)
from brushwork.models.decoders import VGGDecoder
from brushwork.models.micro_ast import MicroAST


@pytest.fixture(params=[(0, 0.0), (2, 0.0), (0, 1.0)], ids=["plain", "noise", "cell_notch"])
def net(make_student, tmp_path: Path, request: pytest.FixtureRequest) -> MicroAST:
    """A tiny student (4–8 channels) whose style heads and output are not trivial; with and without noise, and
    with the 1/8 maps notched."""
    noise, cell_notch = request.param
    return load_student(make_student(tmp_path / "student", noise=noise, cell_notch=cell_notch))[0]


def _img(seed: int, h: int = 40, w: int = 48) -> torch.Tensor:
    return torch.rand(1, 3, h, w, generator=torch.Generator().manual_seed(seed))


def _psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    return float(10 * torch.log10(1 / (a - b).pow(2).mean()))


def test_alpha_style_weights_and_range(net: MicroAST) -> None:
    content, s1, s2 = _img(0), _img(1, 32, 32), _img(2, 36, 30) ** 3
    full = stylize(content, [s1], net=net)
    assert full.shape == content.shape and full.min() >= 0 and full.max() <= 1
    zero = stylize(content, [s1], net=net, alpha=0.0)
    assert (full - zero).abs().max() > 1e-3
    assert torch.allclose(zero, stylize(content, [s2], net=net, alpha=0.0))  # alpha 0: no style at all
    assert torch.allclose(stylize(content, [s1, s2], net=net, style_weights=[1, 0]), full, atol=1e-6)
    half = stylize(content, [s1, s2], net=net, style_weights=[0.5, 0.5])
    code = 0.5 * net.style_code(s1) + 0.5 * net.style_code(s2)
    unpadded = stylize(content, [s1, s2], net=net, style_weights=[0.5, 0.5], margin=0, notch=0.0)
    assert torch.allclose(unpadded, net(content, code).clamp(0, 1), atol=1e-6)  # the codes blend
    assert torch.allclose(stylize(content, [s1, s2], net=net), half, atol=1e-6)  # default: equal weights


def test_the_margin_pads_the_edges_and_crops(net: MicroAST) -> None:
    content, style = _img(0, 17, 30), _img(1, 32, 32)  # smaller than the margin: replication pads any size
    code = net.style_code(style)
    padded = F.pad(content, (16, 16, 16, 16), mode="replicate")
    expected = net(padded, code).clamp(0, 1)[..., 16:33, 16:46]
    got = stylize(content, [style], net=net, margin=20, notch=0.0)  # rounded down to the 8-px grid
    assert got.shape == content.shape and got.is_contiguous()
    assert torch.allclose(got, expected, atol=1e-6)
    assert (got - stylize(content, [style], net=net, margin=0, notch=0.0)).abs().max() > 1e-3  # the border changes
    assert torch.equal(stylize(content, [style], net=net, margin=7), stylize(content, [style], net=net, margin=0))
    notched = nyquist_notch(net(padded, code), NOTCH_STRENGTH).clamp(0, 1)[..., 16:33, 16:46]  # before the crop
    assert torch.allclose(stylize(content, [style], net=net, margin=16), notched, atol=1e-6)
    full = nyquist_notch(net(padded, code)).clamp(0, 1)[..., 16:33, 16:46]
    assert torch.allclose(stylize(content, [style], net=net, margin=16, notch=1.0), full, atol=1e-6)
    with pytest.raises(ConfigError, match="margin -8"):
        stylize(content, [style], net=net, margin=-8)


def test_masks_place_one_or_two_styles(net: MicroAST) -> None:
    content, s1, s2 = _img(0), _img(1, 32, 32), _img(2, 32, 32) ** 3
    ones, zeros = torch.ones(1, 1, 40, 48), torch.zeros(1, 1, 40, 48)
    one, two = stylize(content, [s1], net=net), stylize(content, [s2], net=net)
    assert torch.allclose(stylize(content, [s1, s2], net=net, mask=ones), one, atol=1e-6)
    assert torch.allclose(stylize(content, [s1, s2], net=net, mask=zeros), two, atol=1e-6)
    assert torch.allclose(stylize(content, [s1], net=net, mask=zeros), stylize(content, [s1], net=net, alpha=0.0))
    left = (torch.arange(48) < 24).float().expand(1, 1, 40, 48)
    split = stylize(content, [s1, s2], net=net, mask=left)
    assert _psnr(split[..., 4:-4, 2:16], one[..., 4:-4, 2:16]) > _psnr(split[..., 4:-4, 2:16], two[..., 4:-4, 2:16])
    assert _psnr(split[..., 4:-4, 32:46], two[..., 4:-4, 32:46]) > _psnr(split[..., 4:-4, 32:46], one[..., 4:-4, 32:46])


def test_tiles_agree_with_the_whole_image(net: MicroAST) -> None:
    content, style = _img(0, 120, 160), _img(1, 40, 40)
    whole = stylize(content, [style], net=net, margin=0)
    tiled = stylize(content, [style], net=net, tile=96, overlap=64, margin=0)  # 2 x 3 tiles
    assert tiled.shape == whole.shape and _psnr(tiled, whole) > 35
    padded = stylize(content, [style], net=net, tile=128, overlap=64)  # the margin: 184 x 224 px in 2 x 3 tiles
    assert padded.shape == whole.shape and _psnr(padded, stylize(content, [style], net=net)) > 35
    mask = (torch.arange(160) < 80).float().expand(1, 1, 120, 160)
    two = stylize(content, [style, style * 0.3], net=net, mask=mask, margin=0)
    assert _psnr(stylize(content, [style, style * 0.3], net=net, mask=mask, tile=96, overlap=64, margin=0), two) > 35
    code = net.style_code(style)
    halves = [net(content[..., :, :80], code), net(content[..., :, 80:], code)]  # each with its own statistics
    naive = torch.cat(halves, dim=-1).clamp(0, 1)
    assert _psnr(naive[..., 40:120], whole[..., 40:120]) < 30  # would disagree in colour and contrast
    small = stylize(content, [style], net=net, tile=96, overlap=64, calibration_side=80, margin=0)  # stats of a copy
    assert small.shape == whole.shape and torch.isfinite(small).all()


def test_bad_settings_are_clear(net: MicroAST) -> None:
    content, style = _img(0), _img(1)
    with pytest.raises(ConfigError, match="at least one style"):
        stylize(content, [], net=net)
    with pytest.raises(ConfigError, match="alpha"):
        stylize(content, [style], net=net, alpha=1.5)
    with pytest.raises(ConfigError, match="style-weights"):
        stylize(content, [style, style], net=net, style_weights=[1.0])
    with pytest.raises(ConfigError, match=r"one style .* or two"):
        stylize(content, [style] * 3, net=net, mask=torch.ones(1, 1, 40, 48))
    with pytest.raises(ConfigError, match="sizes differ"):
        stylize(content, [style], net=net, mask=torch.ones(1, 1, 10, 10))
    with pytest.raises(ConfigError, match="--tile 8"):
        stylize(content, [style], net=net, tile=8)
    with pytest.raises(ConfigError, match="at least 9 px"):
        stylize(content[..., :8, :], [style], net=net)
    with pytest.raises(ConfigError, match="student config: invalid crop"):
        StudentConfig(crop=30)
    with pytest.raises(ConfigError, match="nothing to learn"):
        StudentConfig(pixel_weight=0, distill_weight=0, structure_weight=0, style_weight=0, gram_weight=0)


@pytest.mark.parametrize("skips", [(), ("relu3_1", "relu2_1", "relu1_1")])
def test_the_batched_teacher_paints_as_adain_stylize(tiny_encoder, skips: tuple[str, ...]) -> None:
    torch.manual_seed(0)
    channels = {"relu3_1": 8, "relu2_1": 8, "relu1_1": 4}
    decoder = VGGDecoder(in_channels=8, widths=(8, 8, 4), skips={k: channels[k] for k in skips}).eval()
    content, style = torch.rand(2, 3, 32, 40), torch.rand(2, 3, 24, 24)
    layers = adain.decoder_layers(decoder)
    alpha = torch.tensor([1.0, 0.4])
    with torch.no_grad():
        got = teacher_output(decoder, tiny_encoder(content, layers), tiny_encoder(style, layers), alpha)
    for i in range(2):
        one = content[i : i + 1], [style[i : i + 1]]  # training crops: no mirrored margin, as the teacher trained
        expected = adain.stylize(*one, encoder=tiny_encoder, decoder=decoder, alpha=float(alpha[i]), edge_margin=0)
        assert torch.allclose(got[i : i + 1], expected, atol=1e-5)


def test_load_student_round_trip_and_errors(tmp_path: Path, tiny_encoder, make_student) -> None:
    from brushwork.methods.adain_trainer import AdaINTrainer

    model = make_student(tmp_path / "student")
    net, config = load_student(model)
    assert config["method"] == "student" and config["nets"]["student"]["kind"] == "micro_ast" and not net.training
    assert not any(p.requires_grad for p in net.parameters())
    content, style = _img(0), _img(1)
    again = load_student(make_student(tmp_path / "again"))[0]
    assert torch.equal(stylize(content, [style], net=net), stylize(content, [style], net=again))
    trainer = AdaINTrainer(
        adain.AdaINConfig(decoder_widths=(8, 8, 4), encoder_widths=(4, 8, 8, 8)), encoder=tiny_encoder
    )
    teacher = save_model_dir(tmp_path / "adain", weights=trainer.weights(), config=trainer.model_config())
    with pytest.raises(CheckpointError, match="not a fast"):
        load_student(teacher)


ort = pytest.importorskip("onnxruntime")


@pytest.mark.parametrize(
    "layout",
    [
        {"upsample": "nearest"},
        {"upsample": "bilinear"},
        {"upsample": "bilinear", "noise": 2, "static": (4,), "quarter_blocks": 1},  # as shipped until session 39
        {"upsample": "bilinear", "static": (4,), "quarter_blocks": 1, "seed": 1},  # as shipped (seed 0: a flat picture)
        {"upsample": "bilinear", "static": (4,), "quarter_blocks": 1, "seed": 1, "luma_input": True},
        {"upsample": "bilinear", "static": (4,), "quarter_blocks": 1, "seed": 1, "cell_notch": 1.0},
    ],
    ids=["nearest", "bilinear", "noise", "shipped", "luma", "cell_notch"],
)
def test_onnx_export_matches_pytorch_at_other_sizes(tmp_path: Path, make_student, layout: dict) -> None:
    from brushwork.checkpoint import read_config
    from brushwork.onnx_export import _build, export_onnx

    model = make_student(tmp_path / "student", **layout)
    module, _, _ = _build(model, read_config(model), direction=None, encoder=None, sample_size=32)
    assert isinstance(module, StudentExport)
    path = export_onnx(model, tmp_path / "fast.onnx", sample_size=32, detail=0.0)  # the network alone
    options = ort.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    with_detail = ort.InferenceSession(
        str(export_onnx(model, tmp_path / "fast_d.onnx", sample_size=32, detail=1.5)),
        options,
        providers=["CPUExecutionProvider"],
    )
    net, _ = load_student(model)
    cases = [((45, 61), (50, 70), 1.0), ((45, 61), (50, 70), 0.0), ((24, 64), (33, 29), 0.4), ((17, 16), (40, 40), 0.7)]
    results = []
    for (h, w), (sh, sw), alpha in cases:
        content, style = _img(h * w, h, w), _img(sh, sh, sw) ** 4
        expected = stylize(content, [style], net=net, alpha=alpha).numpy()
        feeds = {"content": content.numpy(), "style": style.numpy(), "alpha": np.array([alpha], np.float32)}
        (got,) = session.run(None, feeds)
        assert got.shape == (1, 3, h, w)
        assert np.abs(got - expected).max() < 1e-3, (h, w, alpha)
        assert expected.std() > 0.02  # a picture, not a clamped constant
        (sharp,) = with_detail.run(None, feeds)
        detailed = add_detail(torch.from_numpy(expected), content, amount=1.5 * alpha).numpy()
        assert np.abs(sharp - detailed).max() < 1e-3, (h, w, alpha)
        results.append(got)
    assert np.abs(results[0] - results[1]).max() > 1e-2  # alpha is wired in
