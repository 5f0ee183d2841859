"""Image quilting: a texture of any size from an exemplar's own patches, repeatable, seams that continue it."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from brushwork.quilting import MAX_CANDIDATE_PIXELS, MAX_CANDIDATES, _candidates, quilt


def _random(h: int = 40, w: int = 56, seed: int = 0) -> torch.Tensor:
    return torch.rand(1, 3, h, w, generator=torch.Generator().manual_seed(seed))


def _seeded(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_size_dtype_and_a_repeatable_draw() -> None:
    exemplar = _random()
    out = quilt(exemplar, (30, 70), patch=12, generator=_seeded(3))
    assert out.shape == (1, 3, 30, 70) and out.dtype == torch.float32
    assert torch.equal(out, quilt(exemplar, (30, 70), patch=12, generator=_seeded(3)))
    assert not torch.equal(out, quilt(exemplar, (30, 70), patch=12, generator=_seeded(4)))
    assert quilt(exemplar.double(), (5, 6), patch=12).dtype == torch.float64
    assert out.min() >= exemplar.min() and out.max() <= exemplar.max()  # blends of the exemplar's own pixels


def test_the_first_patch_is_a_piece_of_the_exemplar() -> None:
    exemplar = _random()
    out = quilt(exemplar, (32, 32), patch=16, generator=_seeded(0))
    step = 16 - 4  # no later patch overlaps the first one's top-left step × step
    corner = out[..., :step, :step]
    windows = exemplar.unfold(2, step, 1).unfold(3, step, 1)  # (1, 3, H', W', step, step)
    match = (windows - corner[:, :, None, None]).abs().amax(dim=(0, 1, 4, 5))
    assert match.min() == 0


def test_a_patch_that_fits_exactly_continues_the_texture() -> None:
    """Vertical stripes of period 8: with tolerance 0, each patch is one whose overlap matches exactly, so the seams
    vanish and the whole texture has the exemplar's period."""
    x = torch.arange(64, dtype=torch.float32)
    stripes = (0.5 + 0.5 * torch.sin(2 * torch.pi * x / 8)).view(1, 1, 1, 64).expand(1, 3, 40, 64).contiguous()
    out = quilt(stripes, (36, 90), patch=16, tolerance=0.0, generator=_seeded(1))
    assert torch.allclose(out[..., 8:], out[..., :-8], atol=1e-5)
    assert torch.allclose(out[..., 1:, :], out[..., :-1, :], atol=1e-5)  # constant down each column


def _reference(exemplar: torch.Tensor, size: tuple[int, int], patch: int, first: torch.Tensor) -> torch.Tensor:
    """Quilting written out plainly (every candidate at stride 1; with tolerance 0 each later patch is the one whose
    squared difference over the L-shaped overlap is least), starting from the ``first`` patch."""
    src, p = exemplar[0], patch
    overlap, step = max(1, p // 4), p - max(1, p // 4)
    cands = F.unfold(src[None], p)[0].T.reshape(-1, src.shape[0], p, p)
    rows, cols = -(-(size[0] - overlap) // step), -(-(size[1] - overlap) // step)
    canvas = torch.zeros(src.shape[0], rows * step + overlap, cols * step + overlap)
    ramp = torch.linspace(0, 1, overlap + 2)[1:-1]
    for i in range(rows):
        for j in range(cols):
            region = canvas[:, i * step : i * step + p, j * step : j * step + p]
            mask, alpha = torch.zeros(p, p), torch.ones(p, p)
            if i > 0:
                mask[:overlap, :], alpha[:overlap, :] = 1, alpha[:overlap, :] * ramp[:, None]
            if j > 0:
                mask[:, :overlap], alpha[:, :overlap] = 1, alpha[:, :overlap] * ramp[None, :]
            chosen = first if i == j == 0 else cands[((cands - region) ** 2 * mask).sum((1, 2, 3)).argmin()]
            region.copy_(region * (1 - alpha) + chosen * alpha)
    return canvas[None, :, : size[0], : size[1]]


def test_each_patch_is_the_best_fit_and_the_seams_are_feathered() -> None:
    """Against the plain version: the overlap each patch is judged on (rows above, columns to the left), the best
    one chosen at tolerance 0, and each seam a linear ramp from what was laid to the new patch."""
    exemplar = _random(24, 30, seed=5)
    out = quilt(exemplar, (20, 26), patch=8, tolerance=0.0, generator=_seeded(2))
    corner = out[..., :8, :8]  # the first patch, whole where nothing overlaps it: found among the candidates
    cands = F.unfold(exemplar, 8)[0].T.reshape(-1, 3, 8, 8)
    first = cands[(cands[..., :6, :6] - corner[0, :, :6, :6]).abs().amax((1, 2, 3)).argmin()]
    assert torch.allclose(out, _reference(exemplar, (20, 26), 8, first), atol=1e-5)


def test_patches_are_clipped_to_the_exemplar_and_candidates_are_bounded() -> None:
    small = _random(10, 14)
    assert quilt(small, (25, 25), patch=32, generator=_seeded(0)).shape == (1, 3, 25, 25)
    windows = _candidates(_random(400, 400)[0].numpy(), 8)
    assert windows.shape[1] * windows.shape[2] <= MAX_CANDIDATES and windows.shape[-2:] == (8, 8)
    windows = _candidates(_random(400, 400)[0].numpy(), 120)  # large patches: fewer of them
    assert windows.shape[1] * windows.shape[2] * 120 * 120 <= MAX_CANDIDATE_PIXELS


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match=r"expected a \(1, C, h, w\) exemplar"):
        quilt(torch.rand(2, 3, 8, 8), (8, 8), patch=4)
    with pytest.raises(ValueError, match="patch 1 >= 2"):
        quilt(_random(), (8, 8), patch=1)
    with pytest.raises(ValueError, match=r"size \(0, 8\) must be positive"):
        quilt(_random(), (0, 8), patch=4)
    with pytest.raises(ValueError, match="under 2 px"):
        quilt(torch.rand(1, 3, 1, 9), (8, 8), patch=4)
