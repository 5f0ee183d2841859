"""``brushwork.onnx_export``: onnxruntime matches PyTorch at sizes other than the trace size."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from brushwork.checkpoint import save_model_dir
from brushwork.detail import DEFAULT_AMOUNT, add_detail
from brushwork.errors import CheckpointError, ConfigError
from brushwork.methods import adain
from brushwork.methods.cyclegan import CycleGAN, CycleGANConfig, load_nets
from brushwork.methods.cyclegan import translate as run_generator
from brushwork.onnx_export import export_onnx

ort = pytest.importorskip("onnxruntime")
onnx = pytest.importorskip("onnx")

TOL = 1e-3
TRACE = 32  # sample_size: the trace runs on 32 × 40 (content) images


def _session(path: Path):
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def cyclegan_dir(root: Path, **config) -> Path:
    torch.manual_seed(0)
    model = CycleGAN(CycleGANConfig(ndf=4, crop_size=32, **config))
    meta = {**model.model_config(), "default_direction": "BtoA", "domains": {"A": "art", "B": "photo"}}
    return save_model_dir(root, weights=model.weights(), config=meta)


def adain_dir(root: Path, encoder, skips: tuple[str, ...] = ()) -> Path:
    from brushwork.methods.adain_trainer import AdaINTrainer

    torch.manual_seed(0)
    config = adain.AdaINConfig(decoder_widths=(8, 8, 4), encoder_widths=(4, 8, 8, 8), skips=skips)
    trainer = AdaINTrainer(config, encoder=encoder)
    decoder = trainer.decoder
    with torch.no_grad():  # an untrained decoder gives a near-constant image: make its output span [0, 1]
        for conv in decoder.modules():
            if isinstance(conv, torch.nn.Conv2d):
                torch.nn.init.kaiming_normal_(conv.weight, nonlinearity="relu")
                conv.bias.normal_(0.0, 0.1)
        feats = encoder(torch.rand(1, 3, 48, 48), decoder.layers)
        raw = decoder(feats["relu4_1"], {name: feats[name] for name in skips})
        scale = 0.25 / raw.std()
        decoder.to_rgb.weight.mul_(scale)
        decoder.to_rgb.bias.mul_(scale).add_(0.5 - raw.mean() * scale)
    return save_model_dir(root, weights=trainer.weights(), config=trainer.model_config())


@pytest.mark.parametrize(
    ("config", "sizes"),
    [
        ({"generator": "resnet", "ngf": 4, "blocks": 1}, [(2, 45, 61), (1, 64, 24), (1, 6, 9)]),
        (
            {"generator": "unet", "ngf": 4, "unet_depth": 3, "upsample": "nearest"},
            [(2, 45, 61), (1, 64, 24), (1, 5, 7)],
        ),
        ({"generator": "unet", "ngf": 4, "unet_depth": 3, "skip": True}, [(1, 45, 61)]),
        (
            {"generator": "unet", "ngf": 4, "unet_depth": 3, "skip": True, "upsample": "bilinear"},
            [(1, 45, 61), (1, 5, 7)],
        ),
    ],
    ids=["resnet", "unet", "unet-skip", "unet-skip-bilinear"],
)
def test_cyclegan_generator_parity_at_other_sizes(tmp_path: Path, config: dict, sizes: list) -> None:
    model = cyclegan_dir(tmp_path / "model", **config)
    out = export_onnx(model, tmp_path / "g.onnx", sample_size=TRACE)
    assert out == tmp_path / "g.onnx"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.onnx", "model"]  # no temporary file left
    proto = onnx.load(str(out))
    props = {p.key: p.value for p in proto.metadata_props}
    assert props["method"] == "cyclegan" and props["direction"] == "BtoA" and props["generator"] == "G_BA"
    generator = load_nets(model, ("G_BA",))[0]["G_BA"]
    session = _session(out)
    assert [i.name for i in session.get_inputs()] == ["image"]
    assert [o.name for o in session.get_outputs()] == ["stylized"]
    torch.manual_seed(1)
    for n, h, w in sizes:
        image = torch.rand(n, 3, h, w)
        expected = run_generator(generator, image).numpy()
        (got,) = session.run(None, {"image": image.numpy()})
        assert got.shape == (n, 3, h, w)
        assert np.abs(got - expected).max() < TOL, (n, h, w)


def test_direction_choice_and_errors(tmp_path: Path) -> None:
    model = cyclegan_dir(tmp_path / "model", ngf=4, blocks=1)
    out = export_onnx(model, tmp_path / "ab.onnx", direction="AtoB", sample_size=TRACE)
    generator = load_nets(model, ("G_AB",))[0]["G_AB"]
    image = torch.rand(1, 3, 36, 52)
    (got,) = _session(out).run(None, {"image": image.numpy()})
    assert np.abs(got - run_generator(generator, image).numpy()).max() < TOL
    with pytest.raises(ConfigError, match="AtoB or BtoA"):
        export_onnx(model, tmp_path / "x.onnx", direction="sideways")
    (tmp_path / "empty").mkdir()
    with pytest.raises(CheckpointError, match="empty"):
        export_onnx(tmp_path / "empty", tmp_path / "x.onnx")
    with pytest.raises(CheckpointError, match="no such model"):
        export_onnx("no-such-artist", tmp_path / "x.onnx")
    with pytest.raises(Exception, match="refusing to overwrite"):
        export_onnx(model, model / "model.safetensors")
    assert not (tmp_path / "x.onnx").exists()


@pytest.mark.parametrize("skips", [(), ("relu3_1", "relu2_1", "relu1_1")])
def test_adain_parity_at_other_sizes(tmp_path: Path, tiny_encoder, skips: tuple[str, ...]) -> None:
    model = adain_dir(tmp_path / "adain", tiny_encoder, skips)
    out = export_onnx(model, tmp_path / "adain.onnx", encoder=tiny_encoder, sample_size=TRACE)
    decoder, _ = adain.load_decoder(model)
    session = _session(out)
    assert [i.name for i in session.get_inputs()] == ["content", "style", "alpha"]
    torch.manual_seed(2)
    cases = [((45, 61), (50, 70), 1.0), ((45, 61), (50, 70), 0.0), ((24, 64), (33, 29), 0.4), ((16, 16), (40, 40), 0.7)]
    cases += [((8, 8), (40, 40), 1.0), ((5, 40), (40, 40), 1.0)]  # one decoder cell: the margin is decoded too
    results = []
    for (h, w), (sh, sw), alpha in cases:
        content, style = torch.rand(1, 3, h, w), torch.rand(1, 3, sh, sw) ** 4  # style: darker, other statistics
        raw = adain.stylize(content, [style], encoder=tiny_encoder, decoder=decoder, alpha=alpha)
        expected = add_detail(raw, content, amount=DEFAULT_AMOUNT * alpha).numpy()  # as brushwork.stylize
        feeds = {"content": content.numpy(), "style": style.numpy(), "alpha": np.array([alpha], np.float32)}
        (got,) = session.run(None, feeds)
        assert got.shape == (1, 3, h, w)
        assert np.abs(got - expected).max() < TOL, (h, w, alpha)
        assert expected.std() > 0.1  # a meaningful picture, not a clamped constant
        results.append(got)
    assert np.abs(results[0] - results[1]).max() > 10 * TOL  # alpha is wired in


def test_adain_encoder_must_match_the_decoder(tmp_path: Path, tiny_encoder) -> None:
    from brushwork.models.encoders import VGG16Encoder

    model = adain_dir(tmp_path / "adain", tiny_encoder)
    with pytest.raises(ConfigError, match="8-channel features"):
        export_onnx(model, tmp_path / "a.onnx", encoder=VGG16Encoder(widths=(4, 4, 4, 4)), sample_size=TRACE)


def test_bad_config_is_a_checkpoint_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "config.json").write_text("{not json")
    with pytest.raises(CheckpointError, match="corrupt config"):
        export_onnx(bad, tmp_path / "x.onnx")
    (bad / "config.json").write_text(json.dumps({"format": "brushwork-model", "method": "gatys", "nets": {}}))
    with pytest.raises(CheckpointError, match="cannot export a 'gatys' model"):
        export_onnx(bad, tmp_path / "x.onnx")


@pytest.mark.integration
def test_shipped_vangogh_parity_on_a_real_photo(tmp_path: Path, shared_data: Path) -> None:
    from brushwork.api.translate import load_model
    from brushwork.imageio import load_image, resize

    photo = sorted((shared_data / "content").glob("*.jpg"))[0]
    image = resize(load_image(photo), size=(100, 130))
    out = export_onnx("vangogh", tmp_path / "vangogh.onnx", sample_size=64)
    model = load_model("vangogh", device="cpu")
    expected = run_generator(model.generator(), image).numpy()
    (got,) = _session(out).run(None, {"image": image.numpy()})
    assert got.shape == (1, 3, 100, 130)
    assert np.abs(got - expected).max() < TOL
