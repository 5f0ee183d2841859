"""Style-scaled noise for the student's coarse decoder maps: texture where the photo is flat.

The teacher paints irregular blobs over flat areas (skies) because AdaIN amplifies small variations of deep VGG
features; the student's shallow content encoder has nearly constant 1/8 maps there, so its modulations have
nothing to shape, and the paintings' larger texture (relu3_1/relu4_1) is where it loses (docs/arbitrary_recipe.md,
sessions 18 and 27). As StyleGAN injects per-pixel noise scaled per channel (Karras et al., CVPR 2019, §2), a
:class:`NoiseInjection` adds ``M(z) n`` after a modulation: ``n`` is a fixed noise field of ``k`` channels and the
``(C, k)`` mixing matrix ``M`` is linear in the style code (blends stay exact; zero at first, so a grown network
starts as the one it grew from).

The field is deterministic and defined at every integer position of an unbounded grid: a sum of ``K`` plane waves
per channel with random frequencies and phases (a random Fourier field, Gaussian-like by the central limit
theorem, unit variance), so tiles of one image see the same field as the whole image (each passes its origin),
video frames see the same canvas, and nothing repeats. It factorises into a product of two small matrices
(``sin(a·y + b·x + φ) = sin(a·y) cos(b·x + φ) + cos(a·y) sin(b·x + φ)``): ``(k, h, 2K) @ (k, 2K, w)``, cheap at 4K
and exportable to ONNX.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from brushwork.models.fast_ops import is_channels_last

__all__ = ["NoiseField", "NoiseInjection"]


class NoiseField(nn.Module):
    """``k`` channels of unit-variance noise on the integer grid, any window: ``(1, k, h, w)``.

    Args:
        channels: ``k``.
        waves: plane waves per channel ``K``.
        seed: the field (frequencies and phases are drawn from it once and stored as buffers).
        band: the range of angular frequencies in radians per grid cell (``π`` is the grid's Nyquist limit).
    """

    def __init__(self, channels: int, *, waves: int = 32, seed: int = 0, band: tuple[float, float] = (0.15, 2.8)):
        super().__init__()
        draw = torch.Generator().manual_seed(seed)
        radius = band[0] + (band[1] - band[0]) * torch.rand(channels, waves, generator=draw)
        angle = math.pi * torch.rand(channels, waves, generator=draw)  # half a turn: ±ω is the same wave
        self.register_buffer("freq_y", radius * torch.sin(angle))
        self.register_buffer("freq_x", radius * torch.cos(angle))
        self.register_buffer("phase", 2 * math.pi * torch.rand(channels, waves, generator=draw))
        self.channels, self.waves = int(channels), int(waves)

    def forward(self, like: torch.Tensor, origin: tuple[int, int] = (0, 0)) -> torch.Tensor:
        """The field on ``like``'s ``(h, w)`` grid starting at grid position ``origin`` → ``(1, k, h, w)``, like's
        dtype and device."""
        h, w = like.shape[-2:]
        dev = self.freq_y.device
        ys = (torch.arange(h, device=dev, dtype=torch.float32) + float(origin[0]))[None, :, None]  # (1, h, 1)
        xs = (torch.arange(w, device=dev, dtype=torch.float32) + float(origin[1]))[None, None, :]  # (1, 1, w)
        ay = ys * self.freq_y[:, None, :]  # (k, h, K)
        bx = xs * self.freq_x[:, :, None] + self.phase[:, :, None]  # (k, K, w)
        rows = torch.cat([torch.sin(ay), torch.cos(ay)], dim=2)  # (k, h, 2K)
        cols = torch.cat([torch.cos(bx), torch.sin(bx)], dim=1)  # (k, 2K, w)
        field = torch.bmm(rows, cols) * math.sqrt(2.0 / self.waves)
        return field.unsqueeze(0).to(device=like.device, dtype=like.dtype)


class NoiseInjection(nn.Module):
    """``x + α · M(z) n``: a noise field mixed into ``C`` channels by a matrix linear in the style code.

    Args:
        channels: ``C``, the map's channels.
        style_dim: the code's length.
        noise_channels: ``k``, the field's channels.
        seed: the field's seed (each site its own).
    """

    def __init__(self, channels: int, style_dim: int, noise_channels: int, *, seed: int) -> None:
        super().__init__()
        self.channels, self.noise_channels = int(channels), int(noise_channels)
        self.field = NoiseField(noise_channels, seed=seed)
        self.mix = nn.Linear(style_dim, channels * noise_channels)
        self.to_identity()

    def to_identity(self) -> None:
        """No noise until trained (a new site in a grown network passes its input unchanged)."""
        with torch.no_grad():
            self.mix.weight.zero_()
            self.mix.bias.zero_()

    def matrix(self, code: torch.Tensor) -> torch.Tensor:
        """``M(z)``: codes ``(N, D)`` → ``(N, C, k)`` float32."""
        return self.mix(code.float()).reshape(-1, self.channels, self.noise_channels)

    def forward(
        self,
        x: torch.Tensor,
        code: torch.Tensor,
        alpha: torch.Tensor,
        *,
        origin: tuple[int, int] = (0, 0),
        outside: torch.Tensor | None = None,
        mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """``x`` ``(N, C, h, w)`` plus the noise scaled by ``code`` ``(N, D)`` and ``alpha`` ``(N|1, 1, 1, 1)``.

        ``origin``: ``x``'s top-left position on the field's grid (tiles pass theirs). With ``mask``
        ``(N|1, 1, h, w)``: ``code``'s noise where it is 1, ``outside``'s (or none) where it is 0.
        """
        if x.shape[1] != self.channels:
            raise ValueError(f"noise injection: expected {self.channels} channels, got {tuple(x.shape)}")
        field = self.field(x, origin).flatten(2)[0]  # (k, h·w)
        scale = alpha.reshape(-1, 1, 1).to(torch.float32)
        noise = self._mixed(x, field, scale * self.matrix(code))
        if mask is not None:
            other = None if outside is None else self._mixed(x, field, scale * self.matrix(outside))
            noise = mask * noise if other is None else mask * noise + (1 - mask) * other
        return x + noise

    @staticmethod
    def _mixed(x: torch.Tensor, field: torch.Tensor, matrix: torch.Tensor) -> torch.Tensor:
        """``matrix`` ``(N, C, k)`` times ``field`` ``(k, h·w)`` → ``(N, C, h, w)`` in ``x``'s memory layout (a
        channels-last sum stays channels-last: no layout change for the convolutions after it)."""
        n, c, h, w = x.shape
        matrix = matrix.to(x.dtype)
        if not is_channels_last(x):
            return (matrix @ field).reshape(n, c, h, w)
        return (field.t() @ matrix.transpose(1, 2)).reshape(n, h, w, c).permute(0, 3, 1, 2)  # (N, h·w, C) rows
