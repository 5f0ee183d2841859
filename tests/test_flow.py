"""``brushwork.flow``: backward warping, the forward–backward mask, the blend; flow temporal consistency on a pan."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from brushwork.flow import blend, consistency_mask, estimate_flow, warp, warping_error

pytest.importorskip("cv2")


def _texture(h: int, w: int, seed: int = 0) -> torch.Tensor:
    """A smooth random colour texture ``(1, 3, h, w)`` in [0, 1] (trackable by optical flow)."""
    g = torch.Generator().manual_seed(seed)
    coarse = torch.rand(1, 3, h // 6 + 2, w // 6 + 2, generator=g)
    return F.interpolate(coarse, size=(h, w), mode="bicubic", align_corners=False).clamp(0, 1)


def _constant_flow(h: int, w: int, dx: float, dy: float) -> torch.Tensor:
    return torch.tensor([dx, dy]).view(1, 2, 1, 1).expand(1, 2, h, w).contiguous()


def test_warp_with_an_integer_flow_reproduces_the_shifted_image() -> None:
    image = torch.rand(1, 3, 32, 40, generator=torch.Generator().manual_seed(1))
    shifted = torch.zeros_like(image)
    shifted[..., 2:, 3:] = image[..., :-2, :-3]  # content moved 3 px right, 2 px down
    warped = warp(image, _constant_flow(32, 40, -3.0, -2.0))  # shifted[p] = image[p + (-3, -2)]
    assert warped.shape == image.shape
    torch.testing.assert_close(warped[..., 2:, 3:], shifted[..., 2:, 3:], atol=1e-5, rtol=0)


def test_forward_backward_mask_marks_the_disoccluded_strip_of_a_given_shift() -> None:
    h, w = 24, 30
    mask = consistency_mask(_constant_flow(h, w, -3.0, -2.0), _constant_flow(h, w, 3.0, 2.0))
    assert mask.shape == (1, 1, h, w)
    expected = torch.zeros(1, 1, h, w)
    expected[..., 2:, 3:] = 1.0
    assert torch.equal(mask, expected)
    # a flow that does not come back is unreliable everywhere
    assert consistency_mask(_constant_flow(h, w, 0.0, 0.0), _constant_flow(h, w, 4.0, 0.0)).sum() == 0


def test_estimated_flow_and_mask_of_a_synthetic_pan() -> None:
    scene = _texture(64, 120)
    previous, current = scene[..., 4:100], scene[..., 0:96]  # the camera pans left: content moves 4 px right
    flow = estimate_flow(current, previous)
    back = estimate_flow(previous, current)
    assert flow.shape == (1, 2, 64, 96)
    interior = (..., slice(8, -8), slice(12, -12))
    assert float((flow[:, 0:1][interior] + 4).abs().median()) < 0.25
    assert float(flow[:, 1:2][interior].abs().median()) < 0.25
    mask = consistency_mask(flow, back)
    assert float(mask[..., :, :3].mean()) < 0.1  # the strip the pan brings in has no source
    assert float(mask[interior].mean()) > 0.95
    # measured at a reduced size and scaled up to another one, the flow keeps its meaning in pixels
    half = estimate_flow(current, previous, size=(32, 48), max_side=48)
    assert half.shape == (1, 2, 32, 48) and abs(float(half[:, 0, 8:-8, 8:-8].median()) + 2) < 0.3


def test_blend_zero_strength_is_the_stylised_frame_and_mask_selects() -> None:
    g = torch.Generator().manual_seed(2)
    stylised, warped = torch.rand(1, 3, 8, 10, generator=g), torch.rand(1, 3, 8, 10, generator=g)
    mask = (torch.rand(1, 1, 8, 10, generator=g) > 0.5).float()
    assert torch.equal(blend(stylised, warped, mask, 0.0), stylised)
    out = blend(stylised, warped, mask, 0.25)
    torch.testing.assert_close(out, torch.where(mask.bool(), 0.25 * warped + 0.75 * stylised, stylised))


def test_flow_temporal_lowers_the_warping_error_of_a_stylised_pan(tmp_path: Path) -> None:
    from brushwork.video import read_frames, stylize_video, write_video

    scene = _texture(64, 140, seed=3)
    clip = write_video([scene[..., 40 - 3 * t : 136 - 3 * t] for t in range(8)], tmp_path / "pan.mp4", fps=12)

    def flickering(seed: int) -> object:
        g = torch.Generator().manual_seed(seed)

        def frame_fn(x: torch.Tensor) -> torch.Tensor:  # a "style" whose colours and grain change every frame
            gain = 1 + 0.3 * (torch.rand(1, 3, 1, 1, generator=g) - 0.5)
            grain = 0.15 * (torch.rand(x.shape, generator=g) - 0.5)
            return (x * gain + grain).clamp(0, 1)

        return frame_fn

    errors = {}
    for name, temporal, mode in [("none", 0.0, "flow"), ("flow", 0.7, "flow"), ("blend", 0.7, "blend")]:
        out = tmp_path / f"{name}.mp4"
        stylize_video(clip, out, flickering(0), temporal=temporal, temporal_mode=mode, progress=False)
        errors[name] = warping_error(list(read_frames(clip)), list(read_frames(out)))
    assert errors["flow"] < 0.7 * errors["none"], errors
    assert errors["flow"] < errors["blend"], errors


def test_unknown_temporal_mode_is_a_config_error(tmp_path: Path) -> None:
    from brushwork.errors import ConfigError
    from brushwork.video import stylize_video, write_video

    clip = write_video([torch.rand(1, 3, 16, 16) for _ in range(2)], tmp_path / "c.mp4", fps=10)
    with pytest.raises(ConfigError, match="temporal mode"):
        stylize_video(clip, tmp_path / "o.mp4", lambda x: x, temporal=0.5, temporal_mode="ema", progress=False)
