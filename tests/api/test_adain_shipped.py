"""The shipped AdaIN decoder with the real VGG16 on real images and styles it never saw in training."""

from __future__ import annotations

from pathlib import Path

import pytest

import brushwork
from brushwork.imageio import load_image, resize
from brushwork.metrics.ssim import ssim_luminance
from brushwork.metrics.style import gram_distance

pytestmark = pytest.mark.integration
HELD_OUT = ("candy", "la_muse", "udnie", "feathers")  # excluded from training (see the model card)


def test_the_held_out_styles_are_recorded_in_the_model() -> None:
    from brushwork.api._models import find_model
    from brushwork.checkpoint import read_config

    config = read_config(find_model("adain"))
    assert config["method"] == "adain" and sorted(config["data"]["held_out_styles"]) == sorted(HELD_OUT)


@pytest.mark.parametrize("style_name", ["candy", "la_muse"])
def test_unseen_style_moves_gram_statistics_and_keeps_the_scene(shared_data: Path, vgg16, style_name: str) -> None:
    content = resize(load_image(shared_data / "content" / "tubingen.jpg"), long_side=256)
    style = load_image(shared_data / "styles" / f"{style_name}.jpg")
    out = brushwork.stylize(content, style, method="adain", encoder=vgg16, device="cpu")
    assert out.shape == content.shape
    style_small = resize(style, long_side=256)
    before = float(gram_distance(content, style_small, vgg16)[0])
    after = float(gram_distance(out, style_small, vgg16)[0])
    assert after < 0.5 * before  # the output's texture statistics moved at least half way to the style's
    # The scene must survive: the output's luminance SSIM with the photo must clearly beat the style image's own
    # (the style resized to the photo's shape: what "only style, no content" scores; ~0.05–0.1) and a floor of 0.12.
    style_as_content = resize(style, size=tuple(content.shape[-2:]))
    floor = max(0.12, 2 * float(ssim_luminance(style_as_content, content)))
    kept = float(ssim_luminance(out, content))
    assert kept > floor, (kept, floor)
    half = brushwork.stylize(content, style, method="adain", encoder=vgg16, device="cpu", alpha=0.5)
    assert float(ssim_luminance(half, content)) > kept
