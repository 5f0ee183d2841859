"""Motion-compensated temporal consistency for video: optical flow, backward warping, occlusion mask, blend.

Pure functions on the public image tensors, ``(N, 3, H, W)`` float RGB in [0, 1]. A flow field is
``(N, 2, H, W)`` float32 in pixels, channel 0 = x (right), channel 1 = y (down), and is *backward*: for a pixel
``p`` of the frame it belongs to, ``flow[p]`` points to where that content sits in the other frame, so
``warp(other, flow)`` lines ``other`` up with this frame.

Flow is measured between consecutive *input* frames with OpenCV's DIS optical flow (Kroeger et al., 2016) at a
reduced size (long side ``max_side``) and scaled up; the previous *output* frame is warped with it and blended
where a forward–backward check finds the flow reliable (Sundaram et al., 2010; Ruder et al., 2016):

``out_t = mask · (T · warp(out_{t−1}) + (1 − T) · stylised_t) + (1 − mask) · stylised_t``.

OpenCV is imported inside the functions, so importing this module costs nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F

if TYPE_CHECKING:
    import numpy as np

__all__ = ["blend", "consistency_mask", "estimate_flow", "reliable_flow", "temporal_step", "warp", "warping_error"]

#: Default long side, in pixels, at which flow is measured (then scaled up to the frame's size).
FLOW_SIDE = 320


def _gray_u8(image: torch.Tensor) -> np.ndarray:
    """``(3, H, W)`` RGB in [0, 1] → ``(H, W)`` uint8 luma as a numpy array."""
    r, g, b = image.detach().float().clamp(0, 1)
    luma = 0.299 * r + 0.587 * g + 0.114 * b
    return luma.mul(255).round().to(torch.uint8).cpu().numpy()


def estimate_flow(
    frame: torch.Tensor,
    other: torch.Tensor,
    *,
    size: tuple[int, int] | None = None,
    max_side: int = FLOW_SIDE,
) -> torch.Tensor:
    """DIS optical flow from ``frame`` to ``other``, both ``(N, 3, H, W)`` RGB in [0, 1].

    Measured on luma at long side ``max_side`` (never upscaled), then resized (values scaled) to ``size``
    ``(H', W')`` (default: the frames' own size), so it can warp frames of another size than the inputs
    (e.g. a stylised output at a different resolution).

    Returns:
        ``(N, 2, H', W')`` float32 backward flow: ``frame[p] ≈ other[p + flow[p]]``.
    """
    import cv2

    if frame.shape != other.shape or frame.ndim != 4 or frame.shape[1] != 3:
        raise ValueError(
            f"flow needs two (N, 3, H, W) frames of one size, got {tuple(frame.shape)}, {tuple(other.shape)}"
        )
    n, _, h, w = frame.shape
    out_h, out_w = size if size is not None else (h, w)
    scale = min(1.0, max_side / max(h, w))
    small = (max(1, round(h * scale)), max(1, round(w * scale)))
    if small != (h, w):
        frame = F.interpolate(frame.float(), size=small, mode="area")
        other = F.interpolate(other.float(), size=small, mode="area")
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    flows = [torch.from_numpy(dis.calc(_gray_u8(frame[i]), _gray_u8(other[i]), None)) for i in range(n)]
    flow = torch.stack(flows).permute(0, 3, 1, 2).float()  # (N, 2, h, w)
    if small != (out_h, out_w):
        flow = F.interpolate(flow, size=(out_h, out_w), mode="bilinear", align_corners=False)
        flow[:, 0] *= out_w / small[1]
        flow[:, 1] *= out_h / small[0]
    return flow.contiguous()


def _sample_grid(flow: torch.Tensor) -> torch.Tensor:
    """``(N, 2, H, W)`` pixel flow → ``(N, H, W, 2)`` grid of normalised sample positions (align_corners=True)."""
    _, _, h, w = flow.shape
    ys, xs = torch.meshgrid(
        torch.arange(h, dtype=flow.dtype, device=flow.device),
        torch.arange(w, dtype=flow.dtype, device=flow.device),
        indexing="ij",
    )
    x = (xs + flow[:, 0]) * (2.0 / max(w - 1, 1)) - 1.0
    y = (ys + flow[:, 1]) * (2.0 / max(h - 1, 1)) - 1.0
    return torch.stack([x, y], dim=-1)


def warp(image: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    """Backward-warp ``image`` ``(N, C, H, W)`` with ``flow`` ``(N, 2, H, W)``: ``out[p] = image[p + flow[p]]``.

    Bilinear; positions outside the image take the nearest border value (see :func:`consistency_mask` for
    which pixels to trust). Returns ``(N, C, H, W)`` in ``image``'s dtype.
    """
    if image.shape[0] != flow.shape[0] or image.shape[-2:] != flow.shape[-2:]:
        raise ValueError(f"image {tuple(image.shape)} and flow {tuple(flow.shape)} must share N, H, W")
    grid = _sample_grid(flow.to(image.device, torch.float32))
    out = F.grid_sample(image.float(), grid, mode="bilinear", padding_mode="border", align_corners=True)
    return out.to(image.dtype)


def consistency_mask(
    flow: torch.Tensor,
    back: torch.Tensor,
    *,
    rel: float = 0.01,
    abs_px: float = 0.5,
) -> torch.Tensor:
    """Which pixels' ``flow`` to trust, by the forward–backward check.

    ``flow`` ``(N, 2, H, W)`` is this frame → the other, ``back`` (same shape) the other → this frame. A pixel
    ``p`` is reliable when ``p + flow[p]`` lies inside the image and following ``back`` from there returns to
    ``p``: ``|flow + warp(back, flow)|² ≤ rel · (|flow|² + |warp(back, flow)|²) + abs_px``. Disoccluded pixels
    (content not visible in the other frame, e.g. the strip a pan brings in) and flow errors fail it.

    Returns:
        ``(N, 1, H, W)`` float32 of 0.0 (unreliable) and 1.0 (reliable).
    """
    if flow.shape != back.shape:
        raise ValueError(f"flow {tuple(flow.shape)} and back {tuple(back.shape)} must have one shape")
    flow = flow.float()
    returned = warp(back.float(), flow)
    error = (flow + returned).pow(2).sum(1, keepdim=True)
    bound = rel * (flow.pow(2).sum(1, keepdim=True) + returned.pow(2).sum(1, keepdim=True)) + abs_px
    grid = _sample_grid(flow).permute(0, 3, 1, 2)  # normalised positions, inside is [-1, 1]
    inside = (grid.abs() <= 1.0 + 1e-6).all(1, keepdim=True)
    return ((error <= bound) & inside).float()


def blend(stylised: torch.Tensor, warped: torch.Tensor, mask: torch.Tensor, temporal: float) -> torch.Tensor:
    """``mask · (T · warped + (1 − T) · stylised) + (1 − mask) · stylised`` with ``T = temporal``.

    ``stylised`` and ``warped`` ``(N, 3, H, W)``, ``mask`` ``(N, 1, H, W)`` in [0, 1]. ``temporal`` 0 returns
    ``stylised`` itself.
    """
    if temporal == 0:
        return stylised
    weight = mask.to(stylised.dtype) * temporal
    return stylised + weight * (warped.to(stylised.dtype) - stylised)


def reliable_flow(
    frame: torch.Tensor, previous_frame: torch.Tensor, *, like: torch.Tensor, max_side: int = FLOW_SIDE
) -> tuple[torch.Tensor, torch.Tensor]:
    """Backward flow ``frame`` → ``previous_frame`` at ``like``'s size and its forward–backward
    :func:`consistency_mask`: ``((N, 2, H', W'), (N, 1, H', W'))``."""
    size = (int(like.shape[-2]), int(like.shape[-1]))
    flow = estimate_flow(frame, previous_frame, size=size, max_side=max_side)
    back = estimate_flow(previous_frame, frame, size=size, max_side=max_side)
    return flow, consistency_mask(flow, back)


def temporal_step(
    frame: torch.Tensor,
    previous_frame: torch.Tensor,
    stylised: torch.Tensor,
    previous_output: torch.Tensor,
    temporal: float,
    *,
    max_side: int = FLOW_SIDE,
) -> torch.Tensor:
    """One step of flow temporal consistency: the output frame for ``stylised``.

    ``frame``, ``previous_frame``: consecutive input frames ``(N, 3, H, W)``; ``stylised``: this frame's
    stylisation and ``previous_output`` the previous written frame, both ``(N, 3, H', W')`` (any size: the
    flow is scaled to it). Returns ``(N, 3, H', W')``.
    """
    if temporal == 0:
        return stylised
    flow, mask = reliable_flow(frame, previous_frame, like=stylised, max_side=max_side)
    return blend(stylised, warp(previous_output, flow), mask, temporal)


def warping_error(frames: list[torch.Tensor], outputs: list[torch.Tensor], *, max_side: int = FLOW_SIDE) -> float:
    """Temporal warping error of ``outputs`` given the input ``frames`` (each ``(1, 3, H, W)``, one per frame).

    ``E = mean over t ≥ 1 of the masked mean |O_t − warp(O_{t−1}, flow_t)|`` with the flow and the
    forward–backward mask measured on the inputs (scaled to the outputs' size). Lower is steadier.
    """
    if len(frames) != len(outputs) or len(frames) < 2:
        raise ValueError("warping_error needs as many outputs as frames, at least two")
    errors = []
    for t in range(1, len(frames)):
        flow, mask = reliable_flow(frames[t], frames[t - 1], like=outputs[t], max_side=max_side)
        diff = (outputs[t].float() - warp(outputs[t - 1].float(), flow)).abs().mean(1, keepdim=True)
        errors.append(float((diff * mask).sum() / mask.sum().clamp_min(1.0)))
    return sum(errors) / len(errors)
