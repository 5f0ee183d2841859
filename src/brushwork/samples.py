"""Sample images that ship with brushwork, so the demo runs offline with nothing to download or commit.

* :func:`astronaut`: the scikit-image astronaut photo (NASA, public domain), bundled in the scikit-image wheel.
* :func:`bundled_photos`: the four colour photos of everyday scenes in the scikit-image wheel whose licences say
  public domain or CC0 (astronaut, cat, coffee, rocket), as files.
* :func:`swirl_painting`: a procedural painting in the spirit of swirling post-impressionist night skies,
  generated at run time: white noise smeared along a vortex flow field by line-integral convolution
  (Cabral & Leedom, "Imaging Vector Fields Using Line Integral Convolution", SIGGRAPH 1993), coloured with a
  blue/yellow palette. Deterministic for a given seed; no image file involved.
"""

from __future__ import annotations

import math
from pathlib import Path

import torch
import torch.nn.functional as F

__all__ = ["BUNDLED_PHOTOS", "astronaut", "bundled_photos", "swirl_painting"]

#: Colour photos of everyday scenes in ``skimage/data`` (licences in ``skimage/data/_fetchers.py``): NASA
#: (public domain), Stefan van der Walt (CC0), Rachel Michetti (CC0), SpaceX (public domain).
BUNDLED_PHOTOS = ("astronaut.png", "chelsea.png", "coffee.png", "rocket.jpg")

# (x, y, radius, spin) of the swirls and glowing stars, in [0, 1] image coordinates (x right, y down).
_VORTICES = (
    (0.30, 0.30, 0.20, 1.0),
    (0.62, 0.22, 0.16, -1.0),
    (0.84, 0.38, 0.13, 1.0),
    (0.12, 0.12, 0.10, -1.0),
)
_STARS = ((0.88, 0.14, 0.075), (0.30, 0.30, 0.045), (0.62, 0.22, 0.04), (0.50, 0.08, 0.03), (0.12, 0.12, 0.03))
_SKY = ((0.04, 0.09, 0.30), (0.14, 0.28, 0.62), (0.45, 0.62, 0.86), (0.80, 0.88, 0.95))
_STAR = ((0.85, 0.65, 0.15), (0.98, 0.86, 0.35), (1.00, 0.98, 0.80))
_HILLS = ((0.03, 0.08, 0.14), (0.12, 0.26, 0.36), (0.35, 0.50, 0.48), (0.62, 0.66, 0.42))
_CYPRESS = ((0.03, 0.05, 0.03), (0.12, 0.16, 0.08), (0.32, 0.30, 0.14))


def astronaut() -> torch.Tensor:
    """The scikit-image astronaut photo as ``(1, 3, 512, 512)`` RGB in [0, 1] (public domain, offline)."""
    from skimage import data

    array = torch.from_numpy(data.astronaut().copy())
    return array.permute(2, 0, 1).unsqueeze(0).float().div(255.0).contiguous()


def bundled_photos() -> list[Path]:
    """The :data:`BUNDLED_PHOTOS` files that this scikit-image installation has (no download)."""
    from skimage import data

    folder = Path(data.__file__).resolve().parent
    return [folder / name for name in BUNDLED_PHOTOS if (folder / name).is_file()]


def _grid(height: int, width: int) -> tuple[torch.Tensor, torch.Tensor]:
    ys = (torch.arange(height, dtype=torch.float32) + 0.5) / height
    xs = (torch.arange(width, dtype=torch.float32) + 0.5) / width
    return torch.meshgrid(ys, xs, indexing="ij")


def _flow(y: torch.Tensor, x: torch.Tensor, aspect: float) -> torch.Tensor:
    """Unit flow field ``(H, W, 2)`` as (dx, dy): a wavy wind from left to right plus spinning vortices."""
    vx = torch.ones_like(x)
    vy = 0.35 * torch.sin(2 * math.pi * (1.6 * x + 0.8 * y))
    for cx, cy, radius, spin in _VORTICES:
        dx, dy = (x - cx) * aspect, y - cy
        falloff = 4.0 * torch.exp(-(dx**2 + dy**2) / radius**2)
        vx = vx - spin * dy / radius * falloff
        vy = vy + spin * dx / radius * falloff
    # the ground: a gentle rolling flow below the horizon
    ground = torch.sigmoid((y - 0.72 - 0.05 * torch.sin(2 * math.pi * 1.3 * x)) * 40)
    vy = vy * (1 - ground) + 0.15 * torch.sin(2 * math.pi * 3 * x) * ground
    v = torch.stack([vx, vy], dim=-1)
    return v / v.norm(dim=-1, keepdim=True).clamp_min(1e-6)


def _lic(noise: torch.Tensor, flow: torch.Tensor, *, length: int, step: float) -> torch.Tensor:
    """Line-integral convolution: average ``noise (1, 1, H, W)`` along streamlines of ``flow (H, W, 2)``."""
    h, w = noise.shape[-2:]
    flow_img = flow.permute(2, 0, 1).unsqueeze(0)  # (1, 2, H, W) in pixel directions
    scale = torch.tensor([2.0 / w, 2.0 / h]) * step  # pixel step -> grid_sample units
    y, x = _grid(h, w)
    start = torch.stack([x * 2 - 1, y * 2 - 1], dim=-1).unsqueeze(0)  # (1, H, W, 2)
    total = noise.clone()
    weight_sum = torch.ones_like(noise)
    for direction in (1.0, -1.0):
        pos = start.clone()
        for k in range(1, length + 1):
            v = F.grid_sample(flow_img, pos, mode="bilinear", padding_mode="border", align_corners=False)
            pos = pos + direction * v.permute(0, 2, 3, 1) * scale
            weight = 0.5 * (1 + math.cos(math.pi * k / (length + 1)))  # Hann taper
            sample = F.grid_sample(noise, pos, mode="bilinear", padding_mode="reflection", align_corners=False)
            total = total + weight * sample
            weight_sum = weight_sum + weight
    return total / weight_sum


def _palette(t: torch.Tensor, colors: tuple[tuple[float, float, float], ...]) -> torch.Tensor:
    """Piecewise-linear colour ramp: ``t (H, W)`` in [0, 1] -> ``(3, H, W)``."""
    stops = torch.tensor(colors, dtype=torch.float32)  # (K, 3)
    pos = t.clamp(0, 1) * (len(colors) - 1)
    lo = pos.floor().long().clamp(max=len(colors) - 2)
    frac = (pos - lo).unsqueeze(0)
    return stops[lo].permute(2, 0, 1) * (1 - frac) + stops[lo + 1].permute(2, 0, 1) * frac


def _stretch(t: torch.Tensor) -> torch.Tensor:
    lo, hi = torch.quantile(t.flatten()[::7], torch.tensor([0.02, 0.98]))
    return ((t - lo) / (hi - lo).clamp_min(1e-6)).clamp(0, 1)


def swirl_painting(size: int = 512, *, seed: int = 0) -> torch.Tensor:
    """A swirling blue-and-yellow night-sky painting of long side ``size`` (4:3), ``(1, 3, H, W)`` in [0, 1].

    Brush strokes are white noise (a few pixels thick) smeared along a flow field of vortices; stars are
    glowing yellow discs with rings; rolling hills fill the bottom. Same ``seed``, same image.
    """
    if size < 16:
        raise ValueError(f"size must be at least 16, got {size}")
    width, height = size, max(12, round(size * 3 / 4))
    gen = torch.Generator().manual_seed(seed)
    stroke = max(2, round(size / 170))  # stroke width in pixels
    coarse = torch.rand((1, 1, -(-height // stroke), -(-width // stroke)), generator=gen)
    noise = F.interpolate(coarse, size=(height, width), mode="nearest")
    y, x = _grid(height, width)
    flow = _flow(y, x, width / height)
    streaks = _stretch(_lic(noise, flow, length=max(6, size // 24), step=1.0)[0, 0])

    sky = _palette(0.75 * streaks + 0.25 * (1 - y), _SKY)
    glow = torch.zeros_like(x)
    rings = torch.zeros_like(x)
    for cx, cy, radius in _STARS:
        dist = (((x - cx) * width / height) ** 2 + (y - cy) ** 2).sqrt() / radius
        glow = torch.maximum(glow, torch.exp(-(dist**2)))
        rings = torch.maximum(rings, (0.5 + 0.5 * torch.cos(2 * math.pi * dist)) * torch.exp(-dist / 3.0))
    star = _palette(0.6 * streaks + 0.4 * glow, _STAR)
    star_mix = (glow + rings * streaks.pow(2)).clamp(0, 1)
    image = sky * (1 - star_mix) + star * star_mix

    horizon = 0.72 + 0.05 * torch.sin(2 * math.pi * 1.3 * x) + 0.02 * torch.sin(2 * math.pi * 5.1 * x)
    ground = torch.sigmoid((y - horizon) * size / 6)
    hills = _palette(0.1 + 0.8 * streaks * (1.3 - y), _HILLS)
    image = image * (1 - ground) + hills * ground

    # a dark cypress: a flame-shaped silhouette rising from the bottom left
    half_width = 0.075 * ((y - 0.2) / 0.8).clamp(0, 1).sqrt() * (1 + 0.3 * torch.sin(2 * math.pi * 9 * y)) - 0.005
    cypress = torch.sigmoid((half_width - (x - 0.2 - 0.02 * torch.sin(2 * math.pi * 3 * y)).abs()) * size)
    image = image * (1 - cypress) + _palette(streaks, _CYPRESS) * cypress
    return image.clamp(0, 1).unsqueeze(0).contiguous()
