"""A compact arbitrary-style network that runs at full resolution: the student of the ``fast`` method.

In the spirit of MicroAST (Wang, Zhao, Xing & Lu, "MicroAST: Towards Super-Fast Ultra-Resolution Arbitrary
Style Transfer", AAAI 2023, arXiv:2211.15313): no VGG at inference, a small content encoder, a separate small
style encoder, and a small decoder into which the style is injected at several depths by *dual modulation*:

1. an AdaIN-like per-channel affine map (Huang & Belongie, ICCV 2017): the decoder feature is normalised by its
   own channel mean/std and scaled/shifted by ``γ, β`` that the style code gives;
2. a dynamic 3×3 depthwise filter generated from the style code (as Dynamic Instance Normalization, Jing et al.,
   AAAI 2020, generates a convolution from the style): local texture, not only channel statistics.

Differences from the paper, chosen for a CPU at full resolution (2 threads): the style code ``z`` is an MLP of
the channel mean/std of every style-encoder map, and every modulation is linear in ``z`` (blending codes blends the
modulations exactly); the encoders start with a stride-2 convolution and the decoder ends with a convolution to
12 channels and a depth-to-space ×2 (ESPCN, Shi et al. CVPR 2016; ICNR initialisation, Aitken et al. 2017), so
no convolution runs at full resolution (oneDNN reaches 5–10 GFLOP/s on 3- to 16-channel full-resolution maps and
60–70 on 64-channel quarter-resolution ones, measured); the deepest maps are at 1/8 like the teacher's relu4_1;
skip connections (1×1 convolutions) carry the content encoder's 1/2 and 1/4 maps into the decoder (structure);
nearest upsampling to the skip's exact size (any input size, no padding step) and reflection padding everywhere
(no border band, no checkerboard).

Layout, widths ``(c1, c2, c3)`` (default 32, 64, 64), ``N`` images of ``H × W``::

    content encoder  (N,3,H,W) → conv3×3/2 c1 → f1 (H/2) → conv3×3/2 c2 → f2 (H/4) → conv3×3/2 c3
                     → residual blocks ×enc_blocks → f3 (N, c3, H/8, W/8)
    style encoder    the same layout, its own weights, any style size → channel mean/std of f1, f2, f3 before
                     and after the blocks (N, 2·(c1+c2+2·c3)) → MLP → code z (N, style_dim)
    decoder          f3 → [DM(c3) → residual block] ×dec_blocks → conv3×3 c2 → ↑ + 1×1(f2) → DM(c2)
                     → [residual block, c2/2 between] ×quarter_blocks → conv3×3 c1 → ↑ + 1×1(f1) → DM(c1)
                     → conv3×3 c1 → conv3×3 12 → depth-to-space → (N, 3, H, W)

Default size (widths 32, 64, 64; 1 encoder, 2 decoder and no 1/4 blocks; 64-long code; dynamic filters): 0.67 M
parameters (the teacher: 2.9 M in VGG16 to relu4_1 plus 3.0 M in its skip decoder); 5.7 GFLOP for a 512×512
content (multiply-add = 2 FLOP; :func:`count_flops`) plus 1.6 GFLOP for a 512×512 style (0.4 at 256²); the
teacher needs about 200 GFLOP at 512×512. A 1/4 block adds 37 k parameters and 1.2 GFLOP at 512×512.

Measured once on the development machine (2-core AVX-512 CPU, fp32, channels-last, glibc allocator tuned as the
CLI does, median of 5) while a 2-thread training job ran on the same cores, so indicative only (2-thread runs
suffer most from the sharing): the content path takes 92 ms at 512×512 and 383 ms at 1024×1024 with 1 thread,
224 ms and 613 ms with 2 threads; the style code 26 ms at 512² (1 thread). End to end through
``brushwork.stylize(method="fast")`` (1 thread, fp32, style at 512 px): 133 ms at a 512-px long side, 430 ms at
1024 px; 3840×2160 in automatic 768-px tiles: 3.9 s, peak RSS 0.89 GB (whole: 4.4 s, 3.1 GB). Later
measurements, after the inference changes of sessions 17–19, are in the model card and docs/arbitrary_recipe.md.

Controls: ``alpha`` blends each modulation with the identity (the feature keeps its own statistics), exactly as
AdaIN's alpha does in feature space; several styles blend their codes; a mask blends two modulations (or one and
the identity) at every site, the statistics shared; tiles agree when the per-site content statistics are measured
once (:meth:`MicroAST.site_stats` or ``record=`` on a whole-image pass, then ``stats=`` for every tile).

At inference (no autograd, no trace) each modulation with filters runs as one depthwise convolution (the affine
map folded into the dynamic kernel and a bias), and the 1×1 skips, the nearest upsample-and-add and the
depth-to-space take :mod:`brushwork.models.fast_ops`' forms on channels-last maps; the pictures are those of the
plain forward up to float rounding (tested).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from brushwork.color import gray3
from brushwork.filters import nyquist_notch
from brushwork.models.fast_ops import Pointwise, depth_to_space2, inference_only, upsample2_add_
from brushwork.models.noise_field import NoiseInjection
from brushwork.models.reflect_conv import ReflectConv2d, reflect_conv3x3

__all__ = ["MIN_SIDE", "DualModulation", "MicroAST", "Stats", "build_micro_ast", "count_flops"]

#: Per-site content statistics ``[(mean, std), ...]``, each ``(N, C, 1, 1)`` float32.
Stats = list[tuple[torch.Tensor, torch.Tensor]]
_EPS = 1e-5
#: The smallest image side: the 1/8 maps need 2 px for reflection padding.
MIN_SIDE = 9


def _conv(cin: int, cout: int, stride: int = 1) -> nn.Conv2d:
    return ReflectConv2d(cin, cout, stride=stride)


def _mean_std(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Channel mean and std over space, float32: ``(N, C, H, W) -> 2 × (N, C, 1, 1)`` (traceable for ONNX)."""
    x = x.float()
    mean = x.mean(dim=(2, 3), keepdim=True)
    var = (x - mean).pow(2).mean(dim=(2, 3), keepdim=True)
    return mean, (var + _EPS).sqrt()


def _in_place_ok() -> bool:
    """Whether fresh intermediate maps may be overwritten: no autograd graph to keep, no trace to record."""
    return not torch.is_grad_enabled() and not torch.jit.is_tracing()


def _relu(x: torch.Tensor) -> torch.Tensor:
    """ReLU of a freshly computed map, in place where allowed (at inference: one large allocation less)."""
    return F.relu(x, inplace=_in_place_ok())


def _add(fresh: torch.Tensor, other: torch.Tensor) -> torch.Tensor:
    """``fresh + other``, written into ``fresh`` (a map nobody else holds) where allowed and the shapes agree."""
    if _in_place_ok() and fresh.shape == other.shape and fresh.dtype == other.dtype:
        return fresh.add_(other)
    return fresh + other


#: How the decoder upsamples (the weights do not depend on it; ``--init-from`` may switch).
UPSAMPLING = ("nearest", "bilinear")


def _up_to(x: torch.Tensor, like: torch.Tensor, mode: str) -> torch.Tensor:
    """``x`` upsampled to ``like``'s height and width (×2 for even sizes; any size works)."""
    if mode == "nearest":
        return F.interpolate(x, size=like.shape[-2:], mode="nearest")
    return F.interpolate(x, size=like.shape[-2:], mode="bilinear", align_corners=False)


class _ResBlock(nn.Module):
    """``x + conv(relu(conv(x)))`` with 3×3 reflection-padded convolutions (``mid`` channels between; 0: as many
    as ``x`` has)."""

    def __init__(self, channels: int, mid: int = 0) -> None:
        super().__init__()
        mid = mid or channels
        self.conv1, self.conv2 = _conv(channels, mid), _conv(mid, channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _add(self.conv2(_relu(self.conv1(x))), x)

    def to_identity(self) -> None:
        """Zero the last convolution: the block passes its input through (a new block in a grown network)."""
        with torch.no_grad():
            self.conv2.weight.zero_()
            self.conv2.bias.zero_()


class _Encoder(nn.Module):
    """``(N, 3, H, W)`` in [0, 1] → ``[f1 (c1, ⌈H/2⌉), f2 (c2, ⌈H/4⌉), f3 before and after the blocks (c3, ⌈H/8⌉)]``."""

    def __init__(self, widths: tuple[int, int, int], blocks: int) -> None:
        super().__init__()
        c1, c2, c3 = widths
        self.stem = _conv(3, c1, stride=2)
        self.down1, self.down2 = _conv(c1, c2, stride=2), _conv(c2, c3, stride=2)
        self.blocks = nn.Sequential(*(_ResBlock(c3) for _ in range(blocks)))

    def forward(self, image: torch.Tensor) -> list[torch.Tensor]:
        f1 = _relu(self.stem(image * 2 - 1))
        f2 = _relu(self.down1(f1))
        f3 = _relu(self.down2(f2))
        return [f1, f2, f3, self.blocks(f3)]


class DualModulation(nn.Module):
    """One style-injection site: ``x → dw_k((x − μ_x) / σ_x · γ + β)`` with ``γ, β, k`` linear in the code.

    ``μ_x, σ_x`` are the feature's own channel statistics (measured, or given so that tiles agree); ``γ = 1 + A z``,
    ``β = B z`` (``(N, C, 1, 1)``) and the per-channel 3×3 kernel ``k = δ + K z`` (``(N, C, 3, 3)``, reflection
    padding) start as plain instance normalisation (the heads are zero-initialised).
    """

    def __init__(self, channels: int, style_dim: int, *, dynamic: bool = True) -> None:
        super().__init__()
        self.channels = channels
        self.affine = nn.Linear(style_dim, 2 * channels)
        self.kernel = nn.Linear(style_dim, 9 * channels) if dynamic else None
        for head in (self.affine, self.kernel):
            if head is not None:
                nn.init.zeros_(head.weight)
                nn.init.zeros_(head.bias)

    def params(self, code: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """``γ, β`` ``(N, C, 1, 1)`` and the kernel offset ``K z`` ``(N, C, 3, 3)`` (``None`` without filters)."""
        c = self.channels
        gb = self.affine(code.float())
        gamma, beta = (1 + gb[:, :c]).reshape(-1, c, 1, 1), gb[:, c:].reshape(-1, c, 1, 1)
        if self.kernel is None:
            return gamma, beta, None
        return gamma, beta, self.kernel(code.float()).reshape(-1, c, 3, 3)

    def forward(
        self,
        x: torch.Tensor,
        stats: tuple[torch.Tensor, torch.Tensor],
        code: torch.Tensor,
        alpha: torch.Tensor,
        *,
        outside: torch.Tensor | None = None,
        mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Modulate ``x`` ``(N, C, h, w)`` by ``code`` (``(N, D)``) at strength ``alpha`` (``(N|1, 1, 1, 1)``).

        With ``mask`` ``(N|1, 1, h, w)``: ``code`` where it is 1, ``outside`` (a second code) or, without one,
        the identity (``x`` unchanged) where it is 0; the two share ``x``'s statistics.
        """
        inside = self._one(x, stats, code, alpha)
        if mask is None:
            return inside
        other = x if outside is None else self._one(x, stats, outside, alpha)
        return mask * inside + (1 - mask) * other

    def _one(
        self, x: torch.Tensor, stats: tuple[torch.Tensor, torch.Tensor], code: torch.Tensor, alpha: torch.Tensor
    ) -> torch.Tensor:
        """AdaIN's alpha in feature space: ``γ, β, k`` blended with the identity (``σ_x, μ_x, δ``) by ``alpha``."""
        mean, std = stats
        gamma, beta, dk = self.params(code)
        scale = (alpha * gamma + (1 - alpha) * std) / std
        shift = alpha * beta + (1 - alpha) * mean - mean * scale
        if dk is not None and inference_only(x, dk, scale, shift):
            # one depthwise pass: (δ + αKz) * (scale·x + shift) = ((δ + αKz)·scale) * x + shift·Σ(δ + αKz), since
            # reflection padding commutes with a per-channel affine map (no affine map and sum written first)
            kernel = alpha * dk
            kernel[:, :, 1, 1] += 1
            bias = (shift.flatten(1) * kernel.sum(dim=(2, 3))).to(x.dtype)
            return _depthwise(x, (kernel * scale).to(x.dtype), bias)
        y = torch.addcmul(shift.to(x.dtype), x, scale.to(x.dtype))  # = (x − μ)/σ · (αγ + (1−α)σ) + αβ + (1−α)μ
        if dk is None:
            return y
        return _add(_depthwise(y, (alpha * dk).to(y.dtype)), y)  # (δ + α K z) * y: the identity plus a dynamic filter


def _depthwise(x: torch.Tensor, kernel: torch.Tensor, bias: torch.Tensor | None = None) -> torch.Tensor:
    """Per-sample depthwise 3×3 convolution, reflection padding: ``x`` ``(N, C, h, w)``, ``kernel`` ``(N, C, 3, 3)``,
    ``bias`` ``(N, C)`` or ``None``."""
    n, c = x.shape[0], x.shape[1]
    flat = None if bias is None else bias.reshape(n * c)
    if n == 1:
        return reflect_conv3x3(x, kernel.reshape(c, 1, 3, 3), flat, groups=c)
    stacked = x.reshape(1, n * c, x.shape[2], x.shape[3])
    return reflect_conv3x3(stacked, kernel.reshape(n * c, 1, 3, 3), flat, groups=n * c).reshape(x.shape)


class MicroAST(nn.Module):
    """The student: content ``(N, 3, H, W)`` + style code ``(N|1, style_dim)`` → image ``(N, 3, H, W)``.

    Args:
        widths: channels at 1/2, 1/4 and 1/8 resolution ``(c1, c2, c3)``.
        enc_blocks: residual blocks at the end of each encoder (1/8 resolution).
        dec_blocks: modulated residual blocks at the start of the decoder (1/8 resolution).
        quarter_blocks: residual blocks after the 1/4 modulation (``c2`` channels, ``c2 // 2`` between their two
            convolutions): room at 1/4 for the decoder to draw shapes longer than one 3×3 layer can.
        style_dim: length of the style code.
        dynamic: also generate the dynamic depthwise filters (else the modulation is the affine map only).
        upsample: ``"nearest"`` (the first campaigns) or ``"bilinear"``: nearest turns a slowly varying 1/8 map
            into 8-px steps, which the dynamic filters of the finer sites can sharpen into a grid over flat areas.
        noise: channels of a fixed noise field added, scaled by the style code, after each 1/8 and 1/4 site
            (:class:`~brushwork.models.noise_field.NoiseInjection`; 0: none): texture where the photo is flat.
        static: strides (8, 4, 2) whose sites have no dynamic filter even with ``dynamic``: a filter at a coarse
            site that amplifies the grid's highest frequencies paints a hatching with the site's period.
        luma_input: paint from the photo's luminance (Rec. 601, repeated into three channels) instead of its colours:
            every colour of the picture then comes from the painting; fed the colours, a student keeps the photo's
            hues under the painting's marks (docs/arbitrary_recipe.md, session 41). The identity (alpha 0, or
            outside a one-style mask) is then the grey photo.
        cell_notch: strength (0 … 1) of :func:`~brushwork.filters.nyquist_notch` on each 1/8 site's output: what
            alternates from one 1/8 cell to the next — the 16-px lattice blind viewers name first against the
            shipped student (docs/arbitrary_recipe.md, sessions 36 and 42) — taken off those maps, their smoother
            marks kept. 0: none (the shipped student). No weight depends on it; each 1/8 site reaches 2 cells
            (16 px) further.

    The output is on the [0, 1] scale but not clamped (losses see it raw; callers clamp).
    """

    factor = 8  # three stride-2 convolutions: tiles sit on this grid

    def __init__(
        self,
        *,
        widths: Sequence[int] = (32, 64, 64),
        enc_blocks: int = 1,
        dec_blocks: int = 2,
        quarter_blocks: int = 0,
        style_dim: int = 64,
        dynamic: bool = True,
        upsample: str = "nearest",
        noise: int = 0,
        static: Sequence[int] = (),
        luma_input: bool = False,
        cell_notch: float = 0.0,
    ) -> None:
        super().__init__()
        c1, c2, c3 = (int(w) for w in widths)
        if min(c1, c2, c3) < 1 or min(enc_blocks, dec_blocks, quarter_blocks, noise) < 0 or style_dim < 1:
            raise ValueError(
                f"micro_ast: bad sizes widths={tuple(widths)} blocks={enc_blocks},{dec_blocks},{quarter_blocks} "
                f"noise={noise}"
            )
        if not set(static) <= {2, 4, 8}:
            raise ValueError(f"micro_ast: static strides {tuple(static)} are not among 8, 4, 2")
        if not 0.0 <= cell_notch <= 1.0:
            raise ValueError(f"micro_ast: cell_notch {cell_notch} must be between 0 and 1")
        if upsample not in UPSAMPLING:
            raise ValueError(f"micro_ast: upsample {upsample!r} is not one of {', '.join(UPSAMPLING)}")
        self.upsample = upsample
        self.widths, self.enc_blocks, self.dec_blocks = (c1, c2, c3), int(enc_blocks), int(dec_blocks)
        self.quarter_blocks = int(quarter_blocks)
        self.style_dim, self.dynamic, self.noise_channels = int(style_dim), bool(dynamic), int(noise)
        self.static = tuple(sorted({int(s) for s in static}, reverse=True))
        self.luma_input = bool(luma_input)
        self.cell_notch = float(cell_notch)
        self.content_encoder = _Encoder(self.widths, self.enc_blocks)
        self.style_encoder = _Encoder(self.widths, self.enc_blocks)
        stats_in = 2 * (c1 + c2 + 2 * c3)  # mean and std of f1, f2, f3 before and after the residual blocks
        self.style_mlp = nn.Sequential(nn.Linear(stats_in, style_dim), nn.ReLU(), nn.Linear(style_dim, style_dim))
        site_channels = [c3] * self.dec_blocks + [c2, c1]
        #: each site's stride (pixels per map cell) and, for the 1/8 and 1/4 ones, its noise
        self.strides = [8] * self.dec_blocks + [4, 2]
        self.sites = nn.ModuleList(
            DualModulation(c, style_dim, dynamic=dynamic and s not in self.static)
            for c, s in zip(site_channels, self.strides, strict=True)
        )
        coarse = site_channels[: self.dec_blocks + 1] if self.noise_channels else []
        self.noise = nn.ModuleList(
            NoiseInjection(c, style_dim, self.noise_channels, seed=i + 1) for i, c in enumerate(coarse)
        )
        self.blocks = nn.ModuleList(_ResBlock(c3) for _ in range(self.dec_blocks))
        self.to_quarter, self.skip_quarter = _conv(c3, c2), Pointwise(c2, c2)
        self.quarter = nn.ModuleList(_ResBlock(c2, max(1, c2 // 2)) for _ in range(self.quarter_blocks))
        self.to_half, self.skip_half = _conv(c2, c1), Pointwise(c1, c1)
        self.refine, self.to_rgb = _conv(c1, c1), _conv(c1, 12)
        with torch.no_grad():  # ICNR (Aitken et al. 2017): the 4 sub-pixels start alike, no checkerboard
            self.to_rgb.weight.copy_(self.to_rgb.weight[::4].repeat_interleave(4, dim=0))
            self.to_rgb.bias.copy_(self.to_rgb.bias[::4].repeat_interleave(4, dim=0))

    def _merge(self, skip: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """``skip`` (a fresh map) plus ``x`` upsampled to its size."""
        if (done := upsample2_add_(skip, x, mode=self.upsample)) is not None:
            return done
        return _add(skip, _up_to(x, skip, self.upsample))

    def spec(self) -> dict[str, Any]:
        """The JSON that rebuilds this network (see :func:`build_micro_ast`)."""
        return {
            "kind": "micro_ast",
            "widths": list(self.widths),
            "enc_blocks": self.enc_blocks,
            "dec_blocks": self.dec_blocks,
            "quarter_blocks": self.quarter_blocks,
            "style_dim": self.style_dim,
            "dynamic": self.dynamic,
            "upsample": self.upsample,
            "noise": self.noise_channels,
            "static": list(self.static),
            **({"luma_input": True} if self.luma_input else {}),  # older specs stay as they were
            **({"cell_notch": self.cell_notch} if self.cell_notch else {}),
        }

    def style_path(self) -> list[nn.Module]:
        """What turns a painting into the modulations: the style encoder, its MLP and the modulation sites."""
        return [self.style_encoder, self.style_mlp, self.sites, self.noise]

    def generator_parameters(self) -> Iterator[nn.Parameter]:
        """Every parameter outside :meth:`style_path`: the content encoder and the decoder's convolutions."""
        style = {id(p) for m in self.style_path() for p in m.parameters()}
        return (p for p in self.parameters() if id(p) not in style)

    def style_code(self, style: torch.Tensor) -> torch.Tensor:
        """Style images ``(N, 3, h, w)`` in [0, 1], any size ≥ 9 px → codes ``(N, style_dim)`` (float32).

        Codes blend linearly: ``Σ wᵢ zᵢ`` with weights summing to 1 is the weighted blend of the modulations.
        """
        _check_image(style, "style")
        stats = [t.flatten(1) for f in self.style_encoder(style) for t in _mean_std(f)]
        return self.style_mlp(torch.cat(stats, dim=1)).float()

    def forward(
        self,
        content: torch.Tensor,
        code: torch.Tensor,
        *,
        alpha: float | torch.Tensor = 1.0,
        outside: torch.Tensor | None = None,
        mask: torch.Tensor | None = None,
        stats: Stats | None = None,
        record: Stats | None = None,
        origin: tuple[int, int] = (0, 0),
    ) -> torch.Tensor:
        """Stylise ``content`` ``(N, 3, H, W)`` in [0, 1] (any size ≥ 9 px) with ``code`` ``(N|1, style_dim)``.

        Args:
            alpha: 0 (every feature keeps its own statistics) … 1 (full style); a float or ``(N,)``.
            outside, mask: two styles by a mask ``(N|1, 1, H, W)`` in [0, 1]: ``code`` where it is 1, ``outside``
                where it is 0 (no ``outside``: the unmodulated network there).
            stats: the per-site content statistics to use (from ``record`` on a whole-image pass): tiles agree.
            record: a list that receives the statistics used at each site.
            origin: ``content``'s top-left pixel in the whole image (tiles; multiples of 8): where the noise
                field is read.

        Returns:
            ``(N, 3, H, W)``, unclamped.
        """
        if stats is not None and len(stats) != len(self.sites):
            raise ValueError(f"micro_ast: {len(stats)} statistics given for {len(self.sites)} sites")
        out = self._run(content, code, alpha, outside, mask, stats=stats, record=record, origin=origin)
        assert out is not None
        return out

    def site_stats(
        self,
        content: torch.Tensor,
        code: torch.Tensor,
        *,
        alpha: float | torch.Tensor = 1.0,
        outside: torch.Tensor | None = None,
        mask: torch.Tensor | None = None,
    ) -> Stats:
        """What ``forward(..., record=stats)`` records, without the layers after the last site (a third of the
        network's work): the statistics that tiles share, measured on a whole image or a downscaled copy."""
        record: Stats = []
        self._run(content, code, alpha, outside, mask, stats=None, record=record, stats_only=True)
        return record

    def _run(
        self,
        content: torch.Tensor,
        code: torch.Tensor,
        alpha: float | torch.Tensor,
        outside: torch.Tensor | None,
        mask: torch.Tensor | None,
        *,
        stats: Stats | None,
        record: Stats | None,
        stats_only: bool = False,
        origin: tuple[int, int] = (0, 0),
    ) -> torch.Tensor | None:
        """:meth:`forward`; with ``stats_only``, stop once the last site's statistics are recorded (``None``)."""
        _check_image(content, "content")
        if self.luma_input:
            content = gray3(content)
        n = content.shape[0]
        code = code.expand(n, -1) if code.shape[0] == 1 else code
        outside = None if outside is None else (outside.expand(n, -1) if outside.shape[0] == 1 else outside)
        a = torch.as_tensor(alpha, dtype=torch.float32, device=content.device).reshape(-1, 1, 1, 1)
        f1, f2, _, x = self.content_encoder(content)
        site = iter(range(len(self.sites)))

        def statistics(h: torch.Tensor, i: int) -> tuple[torch.Tensor, torch.Tensor]:
            """Site ``i``'s statistics: given, or measured on ``h``; recorded when asked."""
            s = _mean_std(h) if stats is None else stats[i]
            if record is not None:
                record.append((s[0].detach(), s[1].detach()))
            return s

        def modulate(h: torch.Tensor) -> torch.Tensor:
            i = next(site)
            s = statistics(h, i)
            m = None if mask is None else F.interpolate(mask, size=h.shape[-2:], mode="bilinear", align_corners=False)
            m = None if m is None else m.to(h.dtype)
            h = self.sites[i](h, s, code, a, outside=outside, mask=m)
            if self.cell_notch and self.strides[i] == 8:
                h = nyquist_notch(h, self.cell_notch)
            if i < len(self.noise):
                at = (origin[0] // self.strides[i], origin[1] // self.strides[i])
                h = self.noise[i](h, code, a, origin=at, outside=outside, mask=m)
            return h

        for block in self.blocks:
            x = block(modulate(x))
        x = modulate(self._merge(self.skip_quarter(f2), _relu(self.to_quarter(x))))
        for block in self.quarter:
            x = block(x)
        x = self._merge(self.skip_half(f1), _relu(self.to_half(x)))
        if stats_only:
            statistics(x, next(site))
            return None
        x = modulate(x)
        out = depth_to_space2(self.to_rgb(_relu(self.refine(x))))  # (N, 12, h, w) -> (N, 3, 2h, 2w)
        return out[..., : content.shape[-2], : content.shape[-1]]


def _check_image(image: torch.Tensor, what: str) -> None:
    if image.ndim != 4 or image.shape[1] != 3 or min(image.shape[-2:]) < MIN_SIDE:
        raise ValueError(f"micro_ast: expected {what} (N, 3, H, W) RGB of {MIN_SIDE}+ px, got {tuple(image.shape)}")


def build_micro_ast(spec: dict[str, Any]) -> MicroAST:
    """The network from its :meth:`MicroAST.spec`; ``ValueError`` for a spec it does not understand."""
    if spec.get("kind") != "micro_ast":
        raise ValueError(f"not a micro_ast spec: {spec}")
    try:
        return MicroAST(
            widths=tuple(int(w) for w in spec["widths"]),
            enc_blocks=int(spec["enc_blocks"]),
            dec_blocks=int(spec["dec_blocks"]),
            quarter_blocks=int(spec.get("quarter_blocks", 0)),
            style_dim=int(spec["style_dim"]),
            dynamic=bool(spec.get("dynamic", True)),
            upsample=str(spec.get("upsample", "nearest")),
            noise=int(spec.get("noise", 0)),
            static=tuple(int(s) for s in spec.get("static", ())),
            luma_input=bool(spec.get("luma_input", False)),
            cell_notch=float(spec.get("cell_notch", 0.0)),
        )
    except (KeyError, TypeError) as exc:
        raise ValueError(f"micro_ast spec {spec}: {exc}") from exc


def count_flops(net: nn.Module, run: Callable[[], object]) -> int:
    """FLOPs (multiply-add = 2) of the convolutions, linear layers and dynamic filters that ``run()`` executes.

    Hooks on every ``Conv2d``/``Linear`` count ``2 · output elements · inputs per output``; each
    :class:`DualModulation` with filters adds ``2 · 9`` per element it filters. Elementwise work is not counted.
    """
    total = [0]

    def conv(m: nn.Module, _: Any, out: torch.Tensor) -> None:
        assert isinstance(m, nn.Conv2d)
        per_out = m.in_channels // m.groups * m.kernel_size[0] * m.kernel_size[1]
        total[0] += 2 * out.numel() * per_out

    def linear(m: nn.Module, _: Any, out: torch.Tensor) -> None:
        assert isinstance(m, nn.Linear)
        total[0] += 2 * out.numel() * m.in_features

    def dynamic(m: nn.Module, _: Any, kwargs: dict[str, Any], out: torch.Tensor) -> None:
        assert isinstance(m, DualModulation)
        if m.kernel is not None:
            total[0] += 2 * 9 * out.numel() * (2 if kwargs.get("outside") is not None else 1)

    handles = []
    for m in net.modules():
        if isinstance(m, DualModulation):
            handles.append(m.register_forward_hook(dynamic, with_kwargs=True))
        elif isinstance(m, nn.Conv2d | nn.Linear):
            handles.append(m.register_forward_hook(conv if isinstance(m, nn.Conv2d) else linear))
    try:
        with torch.no_grad():
            run()
    finally:
        for h in handles:
            h.remove()
    return total[0]
