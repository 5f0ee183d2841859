"""A phase-free texture loss: distance between the log power spectra of two pictures.

The power spectrum is estimated as Welch (IEEE Trans. Audio Electroacoustics, 1967) does: the picture is cut
into overlapping Hann-windowed square patches, each patch's mean is removed, and the squared magnitudes of their
2-D Fourier transforms are averaged over patches and colour channels. The loss is the mean absolute difference of
the logarithms, so every frequency counts by its ratio, not its energy (a frequency-domain loss in the spirit of
the focal frequency loss, Jiang et al., ICCV 2021, without its phase term).

Without phase, it says nothing about *where* strokes are, only how much of each scale and orientation there is:
a picture with the target's large shapes but not its fine texture costs, and so does one in flat cells with hard
steps, while it stays free to place its strokes differently from the target's. Every frequency bin counts alike,
so broad-band differences dominate; a single pure periodic pattern moves only a few bins and costs little.
"""

from __future__ import annotations

import torch

__all__ = ["log_power_spectrum", "spectrum_loss"]


def log_power_spectrum(image: torch.Tensor, *, window: int = 64, eps: float = 1e-8) -> torch.Tensor:
    """Welch estimate of the log power spectrum of each picture, channels averaged.

    Args:
        image: ``(N, C, H, W)`` with ``H, W ≥ window``.
        window: side of the square Hann-windowed patches (stride ``window // 2``).
        eps: added to the power before the logarithm (the floor of what counts).

    Returns:
        ``(N, window, window // 2 + 1)`` float32 (``rfft2``'s layout; patch means removed before the taper).
    """
    if window < 4:
        raise ValueError(f"log_power_spectrum: window {window} is under 4 px")
    if image.ndim != 4 or min(image.shape[-2:]) < window:
        raise ValueError(f"log_power_spectrum: expected (N, C, H, W) of {window}+ px, got {tuple(image.shape)}")
    x = image.float()
    stride = window // 2
    patches = x.unfold(2, window, stride).unfold(3, window, stride)  # (N, C, ph, pw, window, window)
    patches = patches - patches.mean(dim=(-2, -1), keepdim=True)
    hann = torch.hann_window(window, periodic=False, dtype=x.dtype, device=x.device)
    taper = hann[:, None] * hann[None, :]
    power = torch.fft.rfft2(patches * taper).abs().pow(2) / taper.pow(2).sum()
    return (power.mean(dim=(1, 2, 3)) + eps).log()


def spectrum_loss(output: torch.Tensor, target: torch.Tensor, *, window: int = 64) -> torch.Tensor:
    """Mean absolute difference of the log power spectra of ``output`` and ``target`` (``(N, C, H, W)``, equal
    shapes; ``target`` carries no gradient): 0 for pictures with the same texture spectrum."""
    if output.shape != target.shape:
        raise ValueError(f"spectrum_loss: shapes differ {tuple(output.shape)} vs {tuple(target.shape)}")
    reference = log_power_spectrum(target.detach(), window=window)
    return (log_power_spectrum(output, window=window) - reference).abs().mean()
