"""Property: every method, on an image file of any size, aspect ratio, mode and bit depth, gives an image of the
promised size (:func:`brushwork.api.stylize.output_size`) in [0, 1], or one :class:`BrushworkError` line.

Tiny random models (AdaIN decoder, CycleGAN generator, VGG16-shaped encoder), small sizes and a bounded,
derandomised set of examples keep it to a few seconds.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from brushwork.api.stylize import METHODS, output_size, stylize
from brushwork.api.translate import load_model, translate
from brushwork.checkpoint import save_model_dir
from brushwork.errors import BrushworkError
from brushwork.methods.adain import AdaINConfig
from brushwork.methods.adain_trainer import AdaINTrainer
from brushwork.methods.cyclegan import CycleGAN, CycleGANConfig

#: Pillow modes and the format each is written in: 1, 8, 16 and 32 bits, palettes, alpha, CMYK, floats.
MODES = {
    "1": "PNG",
    "L": "PNG",
    "LA": "PNG",
    "P": "PNG",
    "RGB": "PNG",
    "RGBA": "PNG",
    "CMYK": "JPEG",
    "I;16": "PNG",
    "I": "TIFF",
    "F": "TIFF",
}
GATYS = {"steps": 1, "levels": 1, "content_layer": "relu3_1", "style_layers": ("relu1_1", "relu2_1")}

#: ``(height, width)``: ordinary, tiny, and thin strips either way.
shapes = st.one_of(
    st.tuples(st.integers(1, 48), st.integers(1, 48)),
    st.tuples(st.integers(1, 3), st.integers(40, 100)),
    st.tuples(st.integers(40, 100), st.integers(1, 3)),
)


def _write(path: Path, shape: tuple[int, int], mode: str, seed: int) -> Path:
    rng = np.random.default_rng(seed)
    h, w = shape
    if mode == "I;16":
        image = Image.fromarray(rng.integers(0, 65536, (h, w), dtype=np.uint16))
    elif mode == "I":
        image = Image.fromarray(rng.integers(0, 65536, (h, w)).astype(np.int32))
    elif mode == "F":
        image = Image.fromarray(rng.random((h, w), dtype=np.float32))
    else:
        image = Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)).convert(mode)
    assert image.mode == mode
    path = path.with_suffix({"PNG": ".png", "JPEG": ".jpg", "TIFF": ".tif"}[MODES[mode]])
    image.save(path, format=MODES[mode])
    return path


@pytest.fixture
def models(tmp_path: Path, tiny_encoder) -> dict[str, Any]:
    """The AdaIN decoder's model directory and the loaded CycleGAN (loaded once, not per example)."""
    adain = AdaINTrainer(AdaINConfig(decoder_widths=(8, 8, 4), encoder_widths=(4, 8, 8, 8)), encoder=tiny_encoder)
    cyclegan = CycleGAN(CycleGANConfig(ngf=4, blocks=1, ndf=4, crop_size=32))
    cyclegan_dir = save_model_dir(tmp_path / "cyclegan", weights=cyclegan.weights(), config=cyclegan.model_config())
    return {
        "adain": save_model_dir(tmp_path / "adain", weights=adain.weights(), config=adain.model_config()),
        "cyclegan": load_model(cyclegan_dir, device="cpu"),
    }


@settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    method=st.sampled_from(["adain", "gatys", "translate"]),
    shape=shapes,
    mode=st.sampled_from(sorted(MODES)),
    size=st.none() | st.integers(1, 64),
    style_shape=shapes,
    style_mode=st.sampled_from(sorted(MODES)),
)
def test_every_method_gives_the_promised_size_or_one_line(  # noqa: PLR0917 (hypothesis passes them by name)
    models: dict[str, Any],
    tiny_encoder,
    method: str,
    shape: tuple[int, int],
    mode: str,
    size: int | None,
    style_shape: tuple[int, int],
    style_mode: str,
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        content = _write(Path(tmp) / "content", shape, mode, seed=1)
        style = _write(Path(tmp) / "style", style_shape, style_mode, seed=2)
        try:
            if method == "translate":
                out = translate(models["cyclegan"], content, size=size, device="cpu")
                expected = output_size(*shape, size, default=max(shape))  # translate keeps the size by default
            else:
                options = GATYS if method == "gatys" else {"model": str(models["adain"]), "precision": "fp32"}
                out = stylize(content, style, method=method, size=size, device="cpu", encoder=tiny_encoder, **options)
                expected = output_size(*shape, size, default=METHODS[method].default_size)
        except BrushworkError as exc:  # allowed: one line naming the problem
            assert str(exc) and "\n" not in str(exc)
            return
    assert isinstance(out, torch.Tensor)
    assert tuple(out.shape) == (1, 3, *expected)
    assert torch.isfinite(out).all() and float(out.min()) >= 0 and float(out.max()) <= 1
    if size is None:  # never larger than the input unless asked
        assert expected[0] <= shape[0] and expected[1] <= shape[1]
