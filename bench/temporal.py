"""Temporal consistency of stylised video: flow-warped blend (``brushwork.flow``) vs per-frame and the old blend.

A synthetic camera pan over a real photo (a crop window moving ``--dx`` px right and ``--dy`` px down per
frame, so the content moves the other way), each frame stylised on its own with the shipped AdaIN at
``--size`` px. Warping error ``E = mean over t of the masked mean |O_t − W(O_{t−1})|`` (flow and occlusion mask
from the input frames, :func:`brushwork.flow.warping_error`) for the input clip, per-frame stylisation, the
old moving-average blend and the flow method at each ``--temporal`` strength; plus the seconds per frame the
flow method adds at ``--time-size`` px (two DIS flows at long side 320, the mask, the warp and the blend),
next to the seconds of one AdaIN stylisation at that size; and the ghosting check: the lowest SSIM of a flow
output frame to its own stylisation, over whole frames and over the pixels where the flow is reliable. Prints JSON.

    .venv/bin/python bench/temporal.py [--frames 30] [--size 256] [--temporal 0.5 0.8] > temporal.json
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import emit, measure, setup

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
CONTENT, STYLE = DATA / "content" / "tubingen.jpg", DATA / "styles" / "candy.jpg"

log = logging.getLogger("bench.temporal")


def pan(photo: torch.Tensor, *, frames: int, size: int, dx: int, dy: int) -> list[torch.Tensor]:
    """``frames`` crops ``(1, 3, 3·size/4, size)`` of ``photo`` (resized to fit the whole path)."""
    from brushwork.imageio import resize

    h, w = size * 3 // 4, size
    need_h, need_w = h + dy * (frames - 1), w + dx * (frames - 1)
    ph, pw = photo.shape[-2:]
    scale = max(need_h / ph, need_w / pw)
    photo = resize(photo, long_side=round(max(ph, pw) * scale) + 2)
    return [photo[..., dy * t : dy * t + h, dx * t : dx * t + w].contiguous() for t in range(frames)]


def zoom(photo: torch.Tensor, *, frames: int, size: int, rate: float) -> list[torch.Tensor]:
    """A zoom in: centred crops shrinking by ``rate`` per frame, each resized to ``(1, 3, 3·size/4, size)``."""
    from brushwork.imageio import resize

    h, w = size * 3 // 4, size
    photo = resize(photo, long_side=size * 2)
    ph, pw = photo.shape[-2:]
    scale0 = min(ph / h, pw / w)
    out = []
    for t in range(frames):
        ch, cw = round(h * scale0 * rate**t), round(w * scale0 * rate**t)
        y, x = (ph - ch) // 2, (pw - cw) // 2
        out.append(resize(photo[..., y : y + ch, x : x + cw], size=(h, w)).contiguous())
    return out


def moving_object(photo: torch.Tensor, thing: torch.Tensor, *, frames: int, size: int, dx: int) -> list[torch.Tensor]:
    """A still background with a ``size/3`` square cut from ``thing`` sliding ``dx`` px right per frame."""
    from brushwork.imageio import resize

    h, w = size * 3 // 4, size
    background = resize(photo, size=(h, w))
    side = size // 3
    patch = resize(thing, size=(side, side))
    out = []
    for t in range(frames):
        frame = background.clone()
        x = min(w - side, 4 + dx * t)
        frame[..., h // 3 : h // 3 + side, x : x + side] = patch
        out.append(frame)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--dx", type=int, default=4)
    parser.add_argument("--dy", type=int, default=1)
    parser.add_argument("--temporal", type=float, nargs="+", default=[0.5, 0.8])
    parser.add_argument("--time-size", type=int, default=512)
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    env = setup()

    import brushwork
    from brushwork.flow import reliable_flow, temporal_step, warping_error
    from brushwork.imageio import load_image, resize
    from brushwork.metrics import ssim

    photo, style = load_image(CONTENT), load_image(STYLE)
    clips = {
        "pan": pan(photo, frames=args.frames, size=args.size, dx=args.dx, dy=args.dy),
        "zoom": zoom(photo, frames=args.frames, size=args.size, rate=0.99),
        "moving_object": moving_object(
            load_image(DATA / "content" / "golden_gate.jpg"), photo, frames=args.frames, size=args.size, dx=3
        ),
    }

    def styl(x: torch.Tensor) -> torch.Tensor:
        return brushwork.stylize(x, style, method="adain", size=max(x.shape[-2:]), device="cpu").float().cpu()

    errors: dict[str, dict[str, float]] = {}
    ghosting: dict[str, float] = {}
    ghosting_reliable: dict[str, float] = {}
    for name, frames in clips.items():
        start = time.perf_counter()
        stylised = [styl(f) for f in frames]
        adain_s = (time.perf_counter() - start) / len(frames)
        log.info("%s: stylised %d frames at %d px, %.2f s/frame", name, len(frames), args.size, adain_s)
        clip_errors = {"input": warping_error(frames, frames), "per_frame": warping_error(frames, stylised)}
        masks = [reliable_flow(frames[t], frames[t - 1], like=stylised[t])[1] for t in range(1, len(frames))]
        for strength in args.temporal:
            ema, flow = [stylised[0]], [stylised[0]]
            for t in range(1, len(frames)):
                ema.append(strength * ema[-1] + (1 - strength) * stylised[t])
                flow.append(temporal_step(frames[t], frames[t - 1], stylised[t], flow[-1], strength))
            clip_errors[f"blend_T{strength}"] = warping_error(frames, ema)
            clip_errors[f"flow_T{strength}"] = warping_error(frames, flow)
            # ghosting: every flow output frame against that frame's own stylisation, whole frames (unreliable
            # pixels are the stylisation itself, so this flatters it somewhat)
            ghosting[f"{name}_T{strength}"] = min(float(ssim(o, s)) for o, s in zip(flow, stylised, strict=True))
            # the reading: SSIM averaged over the pixels where the flow is reliable only
            ghosting_reliable[f"{name}_T{strength}"] = min(
                float(ssim(o, s, mask=m)) for o, s, m in zip(flow[1:], stylised[1:], masks, strict=True)
            )
        clip_errors["flow_over_per_frame"] = {
            f"T{t}": clip_errors[f"flow_T{t}"] / clip_errors["per_frame"] for t in args.temporal
        }
        errors[name] = clip_errors
        log.info("%s: %s", name, clip_errors)
    frames = clips["pan"]

    big = [resize(f, long_side=args.time_size) for f in frames[:2]]
    big_out = [styl(b) for b in big]
    flow_timing = measure(lambda: temporal_step(big[1], big[0], big_out[1], big_out[0], 0.5), reps=args.reps)
    adain_timing = measure(lambda: styl(big[1]), reps=max(2, args.reps // 2))
    emit(
        {
            "env": env,
            "clips": {
                "content": CONTENT.name,
                "style": STYLE.name,
                "frames": args.frames,
                "size": [int(frames[0].shape[-1]), int(frames[0].shape[-2])],
                "pan_px_per_frame": [args.dx, args.dy],
                "zoom_per_frame": 0.99,
                "moving_object": "a tubingen square sliding 3 px/frame over golden_gate",
            },
            "warping_error": errors,
            "min_ssim_flow_vs_per_frame": {k: round(v, 4) for k, v in ghosting.items()},
            "min_ssim_flow_vs_per_frame_reliable_pixels": {k: round(v, 4) for k, v in ghosting_reliable.items()},
            f"flow_added_s_per_frame_at_{args.time_size}": round(flow_timing["median_s"], 4),
            f"adain_s_per_frame_at_{args.time_size}": round(adain_timing["median_s"], 4),
            "flow_timing": flow_timing,
        }
    )


if __name__ == "__main__":
    main()
