"""Tiled inference: any image size in bounded memory, without seams.

An image is padded to the network's multiple, cut into overlapping tiles on that grid (so strided layers see
the same pixel grid as an untiled run), the tiles go through the network in batches, and the outputs are
blended with raised-cosine weights that ramp only across the overlaps (and ignore the outermost quarter of
each overlap, where a tile's own border disturbs the output). Memory is the input, the output and its
weight buffer (float32: 3 + 3 + 1 values per pixel, about 0.7 GB for a 24 MP photo) plus one batch of tiles.

Networks with global statistics (instance normalisation in CycleGAN generators, AdaIN's content statistics)
would compute them per tile and the tiles would disagree in colour and contrast. :func:`global_instance_norm`
fixes every ``InstanceNorm2d`` to statistics measured once on the whole image (or a downscaled copy of it when
the whole image is too large to run at once), so all tiles are normalised alike.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import torch
import torch.nn.functional as F
from torch import nn

from brushwork.workers import map_in_threads

__all__ = [
    "AUTO_TILE_PIXELS",
    "DEFAULT_TILE",
    "choose_tile",
    "global_instance_norm",
    "run_tiled",
    "tile_length",
    "tile_starts",
    "tile_weights",
]

#: Images with more pixels than this are tiled unless told otherwise (keeps peak memory near 1–2 GB).
AUTO_TILE_PIXELS = 2**21
#: The default tile side when tiling automatically.
DEFAULT_TILE = 768


def choose_tile(height: int, width: int, tile: int | None) -> int | None:
    """The tile side to use: ``tile`` as given (0 = never tile), or automatic (``None``) for large images."""
    if tile is None:
        return DEFAULT_TILE if height * width > AUTO_TILE_PIXELS else None
    if tile < 0:
        from brushwork.errors import ConfigError

        raise ConfigError(f"--tile {tile}: must be 0 (never tile) or a tile side in pixels")
    return tile or None


def tile_length(length: int, tile: int, overlap: int, multiple: int = 1, *, minimum: int = 0) -> int:
    """The side of the tiles that cut ``length`` px: at most ``tile``, as short as the fewest such tiles allow.

    As many tiles as ``tile``-px ones would need (neighbours overlapping by ``overlap``), but each only as long as
    they must be to cover ``length`` with that overlap, on the ``multiple`` grid: 3840 px in tiles of at most 768
    with an overlap of 64 and a multiple of 8 are 6 tiles of 696 px (4176 px computed) instead of 6 of 768 (4608).
    Never shorter than ``minimum`` (a network's smallest tile) unless ``tile`` itself is.
    """
    tile = max(multiple, tile // multiple * multiple)
    if tile >= length:
        return length
    count = len(tile_starts(length, tile, overlap, multiple))
    stride = math.ceil(math.ceil((length - overlap) / count) / multiple) * multiple  # count tiles reach the end
    side = math.ceil(max(stride + overlap, minimum) / multiple) * multiple
    return min(tile, side)  # never more tiles than ``tile`` needs: :func:`tile_starts` steps by ≥ ``stride``


def tile_starts(length: int, tile: int, overlap: int, multiple: int = 1) -> list[int]:
    """Start offsets of tiles of ``tile`` px covering ``length`` px, neighbours overlapping by ≥ ``overlap``.

    ``length``, ``tile`` and the starts are multiples of ``multiple``; the last tile ends at ``length``.
    """
    if tile >= length:
        return [0]
    stride = max(multiple, (tile - overlap) // multiple * multiple)
    count = math.ceil((length - tile) / stride) + 1
    starts = [min(i * stride, length - tile) for i in range(count)]
    return sorted(set(starts))


def _ramp(n: int, overlap: int, *, rise: bool, fall: bool) -> torch.Tensor:
    """1 inside; towards a side with a neighbour: 0 for ``overlap // 4`` px (where the tile's own border spoils
    the network's output), then a raised cosine up to 1 across the middle of the overlap. Two neighbours'
    ramps sum to 1 across a shared overlap, so blending is exact where both tiles are right.
    """
    w = torch.ones(n)
    k = min(overlap, n)
    if k > 0:
        margin = k // 4
        length = k - 2 * margin
        up = torch.zeros(k)
        up[margin : margin + length] = 0.5 - 0.5 * torch.cos(math.pi * (torch.arange(length) + 0.5) / length)
        up[margin + length :] = 1.0
        if rise:
            w[:k] = torch.minimum(w[:k], up)
        if fall:
            w[n - k :] = torch.minimum(w[n - k :], up.flip(0))
    return w


def tile_weights(h: int, w: int, overlap: int, *, top: bool, bottom: bool, left: bool, right: bool) -> torch.Tensor:
    """``(h, w)`` blend weights: 1 inside, a delayed raised cosine across each side that has a neighbour."""
    return _ramp(h, overlap, rise=top, fall=bottom)[:, None] * _ramp(w, overlap, rise=left, fall=right)[None, :]


def run_tiled(
    fn: Callable[[torch.Tensor], torch.Tensor],
    image: torch.Tensor,
    *,
    tile: int,
    overlap: int,
    multiple: int = 1,
    batch: int = 1,
    out_channels: int = 3,
    on_tile: Callable[[int, int], None] | None = None,
    min_tile: int = 0,
    workers: int = 1,
    positional: bool = False,
) -> torch.Tensor:
    """Apply a size-preserving ``fn`` ``(B, C, t, t) -> (B, out_channels, t, t)`` to ``(1, C, H, W)`` by tiles.

    Args:
        tile: the longest tile side in pixels (rounded down to ``multiple``); images that fit are run whole; tiles
            are as short as the same number of tiles allows (:func:`tile_length`).
        overlap: pixels shared by neighbouring tiles (more hides more of a network's border effects).
        multiple: the network's size multiple (its total stride); tiles sit on this grid.
        batch: tiles per ``fn`` call.
        on_tile: called as ``on_tile(done, total)`` after each batch.
        min_tile: the network's smallest tile side: shortened tiles stay at least this long.
        workers: batches run at once in threads (:func:`brushwork.workers.map_in_threads`; ``fn`` must be safe to
            call concurrently). The same tiles for any number; the result the same up to float rounding.
        positional: call ``fn(tiles, origins)`` with each tile's top-left pixel ``(y, x)`` in the image (a network
            that reads a fixed field, such as noise, at its position).

    Returns:
        ``(1, out_channels, H, W)`` float32 on the CPU (the input may live on any device; ``fn`` runs there).
    """
    if image.ndim != 4 or image.shape[0] != 1:
        raise ValueError(f"run_tiled: expected (1, C, H, W), got {tuple(image.shape)}")
    tile = max(multiple, tile // multiple * multiple)
    if overlap >= tile:
        raise ValueError(f"run_tiled: overlap {overlap} must be smaller than the tile {tile}")
    h, w = image.shape[-2:]
    ph, pw = -h % multiple, -w % multiple
    if ph or pw:
        mode = "reflect" if ph < h and pw < w else "replicate"
        image = F.pad(image, (0, pw, 0, ph), mode=mode)
    hp, wp = image.shape[-2:]
    th = tile_length(hp, tile, overlap, multiple, minimum=min_tile)
    tw = tile_length(wp, tile, overlap, multiple, minimum=min_tile)
    ys, xs = tile_starts(hp, th, overlap, multiple), tile_starts(wp, tw, overlap, multiple)
    boxes = [(y, x) for y in ys for x in xs]
    chunks = [boxes[i : i + batch] for i in range(0, len(boxes), batch)]

    def compute(chunk: list[tuple[int, int]]) -> torch.Tensor:
        tiles = torch.cat([image[..., y : y + th, x : x + tw] for y, x in chunk])
        return (fn(tiles, chunk) if positional else fn(tiles)).float().cpu()

    out = torch.zeros(out_channels, hp, wp)
    norm = torch.zeros(1, hp, wp)
    done = 0
    for chunk, result in zip(chunks, map_in_threads(compute, chunks, workers=workers), strict=True):
        for (y, x), res in zip(chunk, result, strict=True):
            wt = tile_weights(th, tw, overlap, top=y > 0, bottom=y + th < hp, left=x > 0, right=x + tw < wp)
            out[:, y : y + th, x : x + tw].addcmul_(res, wt)
            norm[:, y : y + th, x : x + tw].add_(wt)
        done += len(chunk)
        if on_tile is not None:
            on_tile(done, len(boxes))
    return out.div_(norm)[:, :h, :w].unsqueeze(0)


@contextmanager
def global_instance_norm(module: nn.Module, calibration: Callable[[], object]) -> Iterator[None]:
    """Within the block, every ``InstanceNorm2d`` of ``module`` uses statistics measured during ``calibration()``.

    ``calibration`` runs the module once on the whole image (or a downscaled copy); each norm layer records
    the per-channel mean and variance of its input then, and later calls (tiles) are normalised with them.
    """
    norms = [m for m in module.modules() if isinstance(m, nn.InstanceNorm2d)]
    stats: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}

    def record(m: nn.Module, args: tuple[torch.Tensor, ...]) -> None:
        x = args[0].float()
        stats[id(m)] = (x.mean(dim=(-2, -1), keepdim=True), x.var(dim=(-2, -1), keepdim=True, unbiased=False))

    handles = [m.register_forward_pre_hook(record) for m in norms]
    try:
        calibration()
    finally:
        for handle in handles:
            handle.remove()

    def fixed(m: nn.InstanceNorm2d) -> Callable[[torch.Tensor], torch.Tensor]:
        mean, var = stats[id(m)]

        def forward(x: torch.Tensor) -> torch.Tensor:
            y = (x - mean.to(x.dtype)) * torch.rsqrt(var.to(x.dtype) + m.eps)
            if m.weight is not None and m.bias is not None:
                y = y * m.weight[:, None, None] + m.bias[:, None, None]
            return y

        return forward

    for m in norms:
        m.forward = fixed(m)  # type: ignore[method-assign]
    try:
        yield
    finally:
        for m in norms:
            del m.forward
