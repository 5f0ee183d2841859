"""A shift-consistency loss: a fully convolutional painter should paint a shifted photo as the shifted picture.

A network that samples down by 8 and back up aliases: its strided layers see the photo on a fixed 8-px grid, so
what it paints depends on where a form falls on that grid, and the picture carries a lattice tied to the grid, not
to the photo (Zhang, "Making Convolutional Networks Shift-Invariant Again", ICML 2019; Azulay & Weiss, JMLR 2019).
Painting the photo and a copy shifted by part of a cell, shifting the second picture back and asking both to agree
penalises what moves with the grid instead of the content under that shift: an equivariance regulariser in the
spirit of consistency training (Laine & Aila, ICLR 2017), with the shift standing in for the augmentation. A
pattern that repeats under the shift (a 4-px checker under a (4, 4) shift) costs nothing, so a caller draws a new
shift each step. The border, where the two pictures see different surroundings, is left out; a network that
normalises by whole-image statistics should use the first picture's for the second (otherwise the crop's own
statistics cost too).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["shift_consistency_loss", "shifted_crop"]


def _check(shift: tuple[int, int], cell: int) -> tuple[int, int]:
    dy, dx = shift
    if not (0 <= dy < cell and 0 <= dx < cell) or dy == dx == 0:
        raise ValueError(f"shift {shift}: each of (dy, dx) must be between 0 and {cell - 1} px, not both 0")
    return dy, dx


def shifted_crop(image: torch.Tensor, shift: tuple[int, int], cell: int = 8) -> torch.Tensor:
    """``image`` ``(N, C, H, W)`` moved by ``shift = (dy, dx)`` px up and left, one ``cell`` smaller on each axis
    (rows ``dy … dy + H − cell``, columns ``dx … dx + W − cell``): the shared area of the photo and its copy, with
    the copy off the grid by ``shift``."""
    dy, dx = _check(shift, cell)
    h, w = image.shape[-2:]
    if h <= cell or w <= cell:
        raise ValueError(f"shifted_crop: a {h}x{w} image has no room for a {cell}-px shift")
    return image[..., dy : dy + h - cell, dx : dx + w - cell]


def shift_consistency_loss(
    picture: torch.Tensor, shifted_picture: torch.Tensor, *, shift: tuple[int, int], margin: int, cell: int = 8
) -> torch.Tensor:
    """Mean absolute difference between ``picture`` and the picture of the shifted photo, shifted back.

    Args:
        picture: ``(N, C, H, W)``, what the network painted from a photo.
        shifted_picture: ``(N, C, H − cell, W − cell)``, what it painted from :func:`shifted_crop` of that photo.
        shift: ``(dy, dx)`` of that crop in px.
        margin: px left out on every side of the shared area (where the two crops' surroundings differ).

    Returns:
        a scalar ≥ 0 (0: the two pictures agree away from the border: no mark tied to the grid under this shift).
    """
    n, c, h, w = picture.shape
    if shifted_picture.shape != (n, c, h - cell, w - cell):
        raise ValueError(
            f"shift_consistency_loss: expected a shifted picture of {(n, c, h - cell, w - cell)}, "
            f"got {tuple(shifted_picture.shape)}"
        )
    if margin < 0 or 2 * margin >= min(h, w) - cell:
        raise ValueError(f"shift_consistency_loss: margin {margin} leaves nothing of a {h}x{w} picture")
    inner = shifted_picture[..., margin : h - cell - margin, margin : w - cell - margin]
    same = shifted_crop(picture, shift, cell)[..., margin : h - cell - margin, margin : w - cell - margin]
    return F.l1_loss(inner.float(), same.float())
