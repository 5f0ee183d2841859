"""The VGG16 encoder: layer selection, early stop, the Caffe convention, parity with onnxruntime."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from brushwork.models.encoders import LAYER_NAMES, VGG16Encoder
from brushwork.weights import _provider_onnx


def test_returns_requested_layers_with_vgg_shapes(tiny_encoder: VGG16Encoder) -> None:
    x = torch.rand(2, 3, 32, 48)
    feats = tiny_encoder(x, ["relu1_1", "relu2_1", "pool3", "relu4_3"])
    assert {k: tuple(v.shape) for k, v in feats.items()} == {
        "relu1_1": (2, 4, 32, 48),
        "relu2_1": (2, 8, 16, 24),
        "pool3": (2, 8, 4, 6),
        "relu4_3": (2, 8, 4, 6),
    }
    assert tiny_encoder(x, []) == {}


def test_stops_at_the_deepest_requested_layer(tiny_encoder: VGG16Encoder) -> None:
    calls: list[str] = []
    for name, conv in tiny_encoder.convs.items():
        conv.register_forward_hook(lambda *_a, name=name: calls.append(name))
    tiny_encoder(torch.rand(1, 3, 16, 16), ["relu2_1"])
    assert calls == ["conv1_1", "conv1_2", "conv2_1"]


def test_rejects_unknown_layers_and_bad_shapes(tiny_encoder: VGG16Encoder) -> None:
    with pytest.raises(ValueError, match="unknown VGG16 layers"):
        tiny_encoder(torch.rand(1, 3, 16, 16), ["relu5_1"])
    with pytest.raises(ValueError, match=r"expected \(N, 3, H, W\)"):
        tiny_encoder(torch.rand(1, 1, 16, 16), ["relu1_1"])
    assert LAYER_NAMES[0] == "conv1_1" and LAYER_NAMES[-1] == "relu4_3"


def test_caffe_preprocessing_is_bgr_0_255_minus_mean_and_not_in_place(tiny_encoder: VGG16Encoder) -> None:
    x = torch.zeros(1, 3, 2, 2)
    x[:, 0] = 1.0  # pure red
    before = x.clone()
    pre = tiny_encoder.preprocess(x)
    assert torch.equal(x, before)
    expected = torch.tensor([0 - 103.939, 0 - 116.779, 255 - 123.68])
    assert torch.allclose(pre[0, :, 0, 0], expected, atol=1e-3)


def test_gradients_flow_to_the_image(tiny_encoder: VGG16Encoder) -> None:
    x = torch.rand(1, 3, 16, 16, requires_grad=True)
    tiny_encoder(x, ["relu3_1"])["relu3_1"].sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    assert all(p.grad is None for p in tiny_encoder.parameters())


def test_avg_pool_and_reflect_options() -> None:
    enc = VGG16Encoder(widths=(4, 4, 4, 4), pool="avg", padding_mode="reflect")
    assert enc(torch.rand(1, 3, 16, 16), ["pool1"])["pool1"].shape == (1, 4, 8, 8)
    with pytest.raises(ValueError, match="pool"):
        VGG16Encoder(pool="min")


@pytest.mark.integration
def test_matches_onnxruntime_on_the_provider_model(vgg16: VGG16Encoder, tmp_path) -> None:
    ort = pytest.importorskip("onnxruntime")
    from onnx import utils

    outputs = {
        "relu1_2": "functional_1/block1_conv2_1/Relu:0",
        "relu2_2": "functional_1/block2_conv2_1/Relu:0",
        "relu3_1": "functional_1/block3_conv1_1/Relu:0",
        "relu4_3": "functional_1/block4_conv3_1/Relu:0",
    }
    sub = tmp_path / "vgg16_sub.onnx"
    utils.extract_model(str(_provider_onnx()), str(sub), ["input"], list(outputs.values()))
    session = ort.InferenceSession(str(sub), providers=["CPUExecutionProvider"])
    x = torch.rand(1, 3, 240, 240, generator=torch.Generator().manual_seed(0))
    ours = vgg16(x, outputs)
    nhwc = vgg16.preprocess(x).permute(0, 2, 3, 1).numpy()
    theirs = session.run(list(outputs.values()), {"input": nhwc})
    for name, ref in zip(outputs, theirs, strict=True):
        got = ours[name].numpy()
        assert got.shape == ref.shape
        # activations reach ~1e4 on the Caffe scale: compare relative to each layer's scale
        assert np.abs(got - ref).max() / np.abs(ref).max() < 1e-4, name


def test_max_pool_2x2_matches_max_pool2d_on_odd_sizes_and_passes_gradients() -> None:
    import torch.nn.functional as F

    from brushwork.models.encoders import max_pool_2x2

    x = torch.randn(2, 3, 7, 10, requires_grad=True)
    out = max_pool_2x2(x)
    assert torch.equal(out, F.max_pool2d(x, 2))
    out.sum().backward()
    assert float(x.grad.sum()) == out.numel()  # every window's maximum gets the gradient once (no ties here)
