"""Unpaired image folders for CycleGAN: ``ROOT/trainA`` and ``ROOT/trainB``, any counts, any sizes.

Every image is decoded once at start (libjpeg-turbo directly for plain JPEGs, :func:`brushwork.imageio.read_image`
for anything else), resized so its short side is ``load_size`` and kept in memory as uint8 when the whole set fits
the cache budget; unreadable files are skipped with a warning and counted. Batches are a pure function of
``(seed, step, rank)``: per-epoch permutations and per-sample crops/flips come from explicitly seeded
``torch.Generator``s, so resuming at a step reproduces the data stream exactly and ranks see disjoint samples
(like ``DistributedSampler``).
"""

from __future__ import annotations

import logging
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from brushwork.errors import ImageError
from brushwork.imageio import find_images, read_image

__all__ = ["DomainImages", "UnpairedBatches", "decode_uint8", "validate_unpaired"]

log = logging.getLogger(__name__)
_CACHE_LIMIT_BYTES = 3 * 2**30


def decode_uint8(path: Path, load_size: int) -> torch.Tensor:
    """Decode ``path`` to ``(3, H, W)`` uint8 RGB with short side ``load_size``; raises :class:`ImageError`."""
    import simplejpeg

    data = path.read_bytes()
    arr: np.ndarray | None = None
    if data[:3] == b"\xff\xd8\xff" and b"Exif" not in data[:4096]:  # plain JPEG: no orientation to apply
        try:
            arr = simplejpeg.decode_jpeg(data, colorspace="RGB", strict=True, min_height=load_size, min_width=load_size)
        except ValueError:
            arr = None  # CMYK, corrupt, ...: the general reader decides (and names the problem)
    if arr is None:
        rgb = read_image(path).rgb[0]
        arr = rgb.mul(255).round_().to(torch.uint8).permute(1, 2, 0).numpy()
    h, w = arr.shape[:2]
    scale = load_size / min(h, w)
    size = (max(load_size, round(w * scale)), max(load_size, round(h * scale)))
    if size != (w, h):
        arr = np.array(Image.fromarray(arr).resize(size, Image.Resampling.BICUBIC))
    if not arr.flags.writeable:
        arr = arr.copy()
    return torch.from_numpy(arr).permute(2, 0, 1).contiguous()


def validate_unpaired(root: str | os.PathLike[str]) -> tuple[list[Path], list[Path]]:
    """The image files of ``root/trainA`` and ``root/trainB``; a clear :class:`ImageError` when unusable."""
    root = Path(root)
    if not root.is_dir():
        raise ImageError(f"{root}: no such data folder (expected {root}/trainA and {root}/trainB)")
    found = []
    for name in ("trainA", "trainB"):
        folder = root / name
        if not folder.is_dir():
            raise ImageError(f"{folder}: missing (a CycleGAN data folder needs trainA/ and trainB/ of images)")
        found.append(find_images(folder))
    return found[0], found[1]


@dataclass
class DomainImages:
    """The readable images of one domain, decoded at ``load_size`` (kept in memory when ``cache``)."""

    files: list[Path]
    load_size: int
    cache: bool = True
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    _images: list[torch.Tensor] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        def load(path: Path) -> torch.Tensor | str:
            try:
                return decode_uint8(path, self.load_size)
            except ImageError as exc:
                return str(exc)

        unique = list(dict.fromkeys(self.files))  # a file listed several times (oversampling) is decoded once
        with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
            decoded = dict(zip(unique, pool.map(load, unique), strict=True))
        results = [decoded[p] for p in self.files]
        good = []
        for path, res in zip(self.files, results, strict=True):
            if isinstance(res, str):
                if all(path != p for p, _ in self.skipped):
                    log.warning("skipping unreadable training image: %s", res)
                    self.skipped.append((path, res))
            else:
                good.append((path, res))
        if not good:
            raise ImageError(f"{self.files[0].parent}: none of its {len(self.files)} images could be read")
        self.files = [p for p, _ in good]
        if self.cache:
            self._images = [img for _, img in good]

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i: int) -> torch.Tensor:
        return self._images[i] if self.cache else decode_uint8(self.files[i], self.load_size)


def _seed(*parts: int) -> int:
    return int(np.random.SeedSequence([int(p) % 2**63 for p in parts]).generate_state(1, np.uint64)[0]) % 2**63


class UnpairedBatches:
    """Random crops of ``trainA`` and ``trainB``: :meth:`batch` ``(step) -> (a, b)``, each ``(B, 3, crop, crop)``
    float32 in [0, 1].

    Args:
        root: folder with ``trainA/`` and ``trainB/``; or ``files``: the two lists of image files (a file may
            appear several times to oversample it).
        crop_size: square training crop (multiple of the generator's needs, e.g. 4 for ResNet).
        load_size: short side images are resized to before cropping (default ``crop_size`` × 1.12, as 286/256).
        crop_size_b, load_size_b: other sizes for domain B (e.g. larger style crops). Defaults: A's crop; A's load
            size for A's crop, else B's crop × 286/256.
        batch_size: images per domain per step and rank.
        seed, rank, world_size: the data stream; ranks get disjoint samples of every epoch.
        flip: random horizontal flips.
        cache: keep decoded images in memory (``None``: when they fit in 3 GiB).
    """

    def __init__(
        self,
        root: str | os.PathLike[str] | None = None,
        *,
        files: tuple[list[Path], list[Path]] | None = None,
        crop_size: int,
        load_size: int | None = None,
        crop_size_b: int | None = None,
        load_size_b: int | None = None,
        batch_size: int = 1,
        seed: int = 0,
        rank: int = 0,
        world_size: int = 1,
        flip: bool = True,
        cache: bool | None = None,
    ) -> None:
        if (root is None) == (files is None):
            raise ValueError("UnpairedBatches: give either root or files")
        files_a, files_b = validate_unpaired(root) if files is None else files
        for label, found in (("A", files_a), ("B", files_b)):
            if not found:
                raise ImageError(f"domain {label}: no images to train on")
        load_a = load_size or round(crop_size * 286 / 256)
        crop_b = crop_size_b or crop_size
        load_b = load_size_b or (load_a if crop_b == crop_size else round(crop_b * 286 / 256))
        #: ``(A, B)`` crop and load sizes.
        self.crop_sizes, self.load_sizes = (crop_size, crop_b), (load_a, load_b)
        for crop, load in zip(self.crop_sizes, self.load_sizes, strict=True):
            if load < crop:
                raise ImageError(f"load size {load} is smaller than the crop size {crop}")
        if cache is None:
            cache = 3.6 * (len(files_a) * load_a**2 + len(files_b) * load_b**2) < _CACHE_LIMIT_BYTES
        self.domains = (DomainImages(files_a, load_a, cache), DomainImages(files_b, load_b, cache))
        self.batch_size, self.seed, self.rank, self.world_size, self.flip = batch_size, seed, rank, world_size, flip
        self._perm: dict[int, tuple[int, torch.Tensor]] = {}

    @property
    def crop_size(self) -> int:
        """Domain A's crop."""
        return self.crop_sizes[0]

    @property
    def load_size(self) -> int:
        """Domain A's load size."""
        return self.load_sizes[0]

    @property
    def skipped(self) -> list[tuple[Path, str]]:
        """Unreadable files that were left out, with the reason."""
        return self.domains[0].skipped + self.domains[1].skipped

    def _permutation(self, domain: int, epoch: int) -> torch.Tensor:
        cached = self._perm.get(domain)
        if cached is None or cached[0] != epoch:
            gen = torch.Generator().manual_seed(_seed(self.seed, domain, epoch, 0x5EED))
            cached = self._perm[domain] = (epoch, torch.randperm(len(self.domains[domain]), generator=gen))
        return cached[1]

    def _sample(self, domain: int, position: int) -> torch.Tensor:
        images = self.domains[domain]
        epoch, offset = divmod(position, len(images))
        image = images[int(self._permutation(domain, epoch)[offset])]
        gen = torch.Generator().manual_seed(_seed(self.seed, domain, position))
        h, w = image.shape[-2:]
        size = self.crop_sizes[domain]
        top = int(torch.randint(h - size + 1, (1,), generator=gen))
        left = int(torch.randint(w - size + 1, (1,), generator=gen))
        crop = image[:, top : top + size, left : left + size]
        if self.flip and torch.rand(1, generator=gen).item() < 0.5:
            crop = crop.flip(-1)
        return crop

    def batch(self, step: int) -> tuple[torch.Tensor, torch.Tensor]:
        """The batch of ``step`` for this rank: ``(a, b)``, each ``(batch_size, 3, crop, crop)`` in [0, 1] (its
        domain's crop)."""
        first = (step * self.world_size + self.rank) * self.batch_size
        out = []
        for domain in (0, 1):
            crops = [self._sample(domain, first + j) for j in range(self.batch_size)]
            out.append(torch.stack(crops).float().div_(255))
        return out[0], out[1]

    def preview(self, count: int = 2) -> tuple[torch.Tensor, torch.Tensor]:
        """Fixed centre crops of ``count`` evenly spaced images per domain (as many of each), for sample grids."""
        out = []
        count = min(count, *(len(images) for images in self.domains))
        for images, c in zip(self.domains, self.crop_sizes, strict=True):
            picks = np.linspace(0, len(images) - 1, num=count).round().astype(int)
            crops = []
            for i in picks:
                img = images[int(i)]
                top, left = (img.shape[-2] - c) // 2, (img.shape[-1] - c) // 2
                crops.append(img[:, top : top + c, left : left + c])
            out.append(torch.stack(crops).float().div_(255))
        return out[0], out[1]
