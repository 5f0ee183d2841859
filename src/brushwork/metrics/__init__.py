"""Evaluation metrics as pure functions on tensors (batched; computed on the inputs' or encoder's device).

- ``ssim``: :func:`ssim`, :func:`ssim_luminance`, :func:`psnr`, :func:`luminance` (match scikit-image);
- ``perceptual``: :func:`perceptual_distance` (unlearned LPIPS-like content distance on VGG16);
- ``style``: :func:`gram_distance`, :func:`mean_std_distance`, :func:`style_distances`, :func:`style_stats`;
- ``frechet``: :func:`vgg_features`, :func:`gaussian_stats`, :func:`frechet_distance` (VGG-feature Fréchet
  distance, not FID), :func:`kernel_distance` (KID-style, unbiased), :func:`local_vgg_features` (per-position
  features: a SIFID-style texture distance to the style image itself);
- ``kid``: :func:`stat_features`, :func:`kid_subsets`, :func:`kid_ratio` (the style measure of translation models:
  KID of the outputs ÷ KID of the photos vs real paintings, on VGG16 relu4_3 channel mean/std, same subsets);
- ``sharpen``: :func:`sharpen` (the 3× unsharp mask whose KID ratio is reported beside a model's);
- ``photo_hold``: :func:`photo_hold` (how much of the picture's cell luma and chroma an affine colour map of the
  photo explains: 1 for a photo under a filter, low for a picture repainted by form);
- ``combined``: :func:`combined_score` ((1 + content distance) · (1 + Fréchet distance), after ArtFID);
- ``timing``: :class:`PerfMeter` / :class:`Performance` (time per image, peak memory);
- ``discriminator``: :func:`discriminator_accuracy` for PatchGAN discriminators.
"""

from brushwork.metrics.combined import combined_score
from brushwork.metrics.discriminator import DiscriminatorAccuracy, discriminator_accuracy, discriminator_scores
from brushwork.metrics.frechet import (
    FEATURE_SCALE,
    FRECHET_LAYERS,
    GaussianStats,
    KernelDistance,
    frechet_distance,
    gaussian_stats,
    kernel_distance,
    local_vgg_features,
    vgg_features,
)
from brushwork.metrics.kid import (
    KID_LAYER,
    KID_SCALE,
    KID_SHORT_SIDE,
    KID_SUBSET_SIZE,
    KID_SUBSETS,
    KIDRatio,
    kid_index_sets,
    kid_ratio,
    kid_subsets,
    stat_features,
)
from brushwork.metrics.perceptual import CONTENT_LAYERS, channel_normalize, perceptual_distance
from brushwork.metrics.photo_hold import HOLD_CELL, photo_hold
from brushwork.metrics.sharpen import SHARPEN_AMOUNT, sharpen
from brushwork.metrics.ssim import luminance, psnr, ssim, ssim_luminance
from brushwork.metrics.style import (
    STYLE_LAYERS,
    StyleStats,
    gram_distance,
    mean_std_distance,
    style_distances,
    style_stats,
)
from brushwork.metrics.timing import PerfMeter, Performance, peak_rss_mib

__all__ = [
    "CONTENT_LAYERS",
    "FEATURE_SCALE",
    "FRECHET_LAYERS",
    "HOLD_CELL",
    "KID_LAYER",
    "KID_SCALE",
    "KID_SHORT_SIDE",
    "KID_SUBSETS",
    "KID_SUBSET_SIZE",
    "SHARPEN_AMOUNT",
    "STYLE_LAYERS",
    "DiscriminatorAccuracy",
    "GaussianStats",
    "KIDRatio",
    "KernelDistance",
    "PerfMeter",
    "Performance",
    "StyleStats",
    "channel_normalize",
    "combined_score",
    "discriminator_accuracy",
    "discriminator_scores",
    "frechet_distance",
    "gaussian_stats",
    "gram_distance",
    "kernel_distance",
    "kid_index_sets",
    "kid_ratio",
    "kid_subsets",
    "local_vgg_features",
    "luminance",
    "mean_std_distance",
    "peak_rss_mib",
    "perceptual_distance",
    "photo_hold",
    "psnr",
    "sharpen",
    "ssim",
    "ssim_luminance",
    "stat_features",
    "style_distances",
    "style_stats",
    "vgg_features",
]
