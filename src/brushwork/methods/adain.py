"""Fast arbitrary style transfer with adaptive instance normalisation (AdaIN).

Huang & Belongie, "Arbitrary Style Transfer in Real-time with Adaptive Instance Normalization", ICCV 2017.
A frozen VGG16 encoder (to relu4_1) and a trained decoder stylise a photo with any style image in one
forward pass. This module holds the training step and the stylisation; the generic loop lives in
``brushwork.train``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F

from brushwork.config import DictConfig
from brushwork.errors import CheckpointError, ConfigError
from brushwork.losses.perceptual import content_loss, mean_std_loss
from brushwork.models.adain import adain
from brushwork.models.decoders import VGGDecoder, build_decoder
from brushwork.models.encoders import VGG16Encoder

__all__ = [
    "FEATURE_SCALE",
    "AdaINConfig",
    "FeatureTransform",
    "adain_losses",
    "feature_transform",
    "load_decoder",
    "stylize",
]

CONTENT_LAYER = "relu4_1"
STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1")
#: Mean activation of each style layer of the Caffe VGG16 over vangogh2photo photos and paintings (measured).
#: Dividing by it makes every layer contribute comparably, the role of Gatys et al.'s normalised VGG;
#: without it relu1_1 (≈26) counts ~100× less than relu3_1 (≈272) in a squared loss.
FEATURE_SCALE = {"relu1_1": 26.0, "relu2_1": 204.0, "relu3_1": 272.0, "relu4_1": 150.0}


@dataclass(frozen=True)
class AdaINConfig(DictConfig):
    """Everything that defines an AdaIN model and its training (the contract stored in ``config.json``).

    Attributes:
        decoder_widths, encoder_widths: network widths (the encoder's must be VGG16's to load its weights).
        content_weight, style_weight: loss weights (style ~10 as in the paper, on scaled features).
        lr, lr_decay: Adam's rate, decayed as ``lr / (1 + lr_decay · step)`` (the paper's code).
        steps, batch_size: training length and content/style pairs per step and rank.
        crop, load_size: square random crop after resizing the short side to ``load_size``.
        bf16: bf16 autocast for the forward passes (losses in fp32).
    """

    decoder_widths: tuple[int, int, int] = (256, 128, 64)
    encoder_widths: tuple[int, int, int, int] = (64, 128, 256, 512)
    content_weight: float = 1.0
    style_weight: float = 10.0
    lr: float = 1e-4
    lr_decay: float = 5e-5
    steps: int = 20_000
    batch_size: int = 8
    crop: int = 256
    load_size: int = 512
    bf16: bool = False

    def __post_init__(self) -> None:
        checks = {
            "lr": self.lr > 0,
            "lr_decay": self.lr_decay >= 0,
            "steps": self.steps >= 1,
            "batch_size": self.batch_size >= 1,
            "crop": self.crop >= 16 and self.crop % 8 == 0,
            "load_size": self.load_size >= self.crop,
            "style_weight": self.style_weight >= 0,
            "content_weight": self.content_weight >= 0,
        }
        bad = [name for name, ok in checks.items() if not ok]
        if bad:
            raise ConfigError(f"adain config: invalid {', '.join(f'{n}={getattr(self, n)!r}' for n in bad)}")

    def build_decoder(self) -> VGGDecoder:
        return VGGDecoder(in_channels=self.encoder_widths[3], widths=self.decoder_widths)


def _scaled(features: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {name: feat.float() / FEATURE_SCALE[name] for name, feat in features.items()}


def adain_losses(
    encoder: VGG16Encoder,
    decoder: VGGDecoder,
    content: torch.Tensor,
    style: torch.Tensor,
    *,
    config: AdaINConfig,
) -> dict[str, torch.Tensor]:
    """The AdaIN training objective on a batch.

    Args:
        content: ``(N, 3, H, W)`` photos in [0, 1].
        style: ``(N, 3, H, W)`` paintings in [0, 1] (paired with ``content`` at random).

    Returns:
        ``{"loss", "content", "style"}`` scalar tensors; ``loss`` carries the gradient to the decoder.
    """
    with torch.no_grad():
        content_feat = encoder(content, [CONTENT_LAYER])[CONTENT_LAYER]
        style_raw = encoder(style, STYLE_LAYERS)
        target = adain(content_feat, style_raw[CONTENT_LAYER])
        style_feats = _scaled(style_raw)
    output = decoder(target)
    out_feats = _scaled(encoder(output, STYLE_LAYERS))
    loss_content = content_loss(out_feats[CONTENT_LAYER], target.float() / FEATURE_SCALE[CONTENT_LAYER])
    loss_style = sum((mean_std_loss(out_feats[name], style_feats[name]) for name in STYLE_LAYERS), torch.zeros(()))
    loss = config.content_weight * loss_content + config.style_weight * loss_style
    return {"loss": loss, "content": loss_content.detach(), "style": loss_style.detach()}


def _feature_mask(mask: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    return F.interpolate(mask, size=like.shape[-2:], mode="bilinear", align_corners=False).clamp(0, 1)


@dataclass(frozen=True)
class FeatureTransform:
    """AdaIN with fixed statistics as a per-channel affine map ``f -> f · scale + shift`` (``(1, C, 1, 1)`` each).

    ``σ_s · (f − μ_c) / σ_c + μ_s`` is affine in ``f`` once the content statistics ``μ_c, σ_c`` are fixed, so
    blends of styles and the alpha trade-off are affine too. Fixing them once for the whole image lets tiles
    agree. ``outside`` (two styles by a mask) is the second style's map; without it, the mask keeps the content.
    """

    scale: torch.Tensor
    shift: torch.Tensor
    outside: tuple[torch.Tensor, torch.Tensor] | None = None

    def __call__(self, features: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        inside = features * self.scale + self.shift
        if mask is None:
            return inside
        outside = features if self.outside is None else features * self.outside[0] + self.outside[1]
        m = _feature_mask(mask, features)
        return m * inside + (1 - m) * outside


def feature_transform(
    content_feat: torch.Tensor,
    style_feats: Sequence[torch.Tensor],
    *,
    weights: Sequence[float],
    alpha: float,
    two_style_mask: bool = False,
) -> FeatureTransform:
    """The :class:`FeatureTransform` from content relu4_1 features and each style's relu4_1 features."""
    from brushwork.losses.perceptual import mean_std

    c_mean, c_std = mean_std(content_feat)

    def affine(pairs: Sequence[tuple[float, torch.Tensor]]) -> tuple[torch.Tensor, torch.Tensor]:
        scale, shift = torch.zeros_like(c_mean), torch.zeros_like(c_mean)
        for wt, feat in pairs:
            s_mean, s_std = mean_std(feat)
            scale = scale + wt * s_std / c_std
            shift = shift + wt * (s_mean - c_mean * s_std / c_std)
        return alpha * scale + (1 - alpha), alpha * shift

    if two_style_mask:
        return FeatureTransform(*affine([(1.0, style_feats[0])]), outside=affine([(1.0, style_feats[1])]))
    total = sum(weights)
    return FeatureTransform(*affine([(w / total, f) for w, f in zip(weights, style_feats, strict=True)]))


@torch.inference_mode()
def stylize(
    content: torch.Tensor,
    styles: Sequence[torch.Tensor],
    *,
    encoder: VGG16Encoder,
    decoder: VGGDecoder,
    style_weights: Sequence[float] | None = None,
    alpha: float = 1.0,
    mask: torch.Tensor | None = None,
    tile: int | None = None,
    overlap: int = 64,
    calibration_side: int = 1024,
) -> torch.Tensor:
    """Stylise ``content`` ``(1, 3, H, W)`` with one or more style images in one forward pass.

    Args:
        styles: style images ``(1, 3, h, w)`` in [0, 1], any sizes.
        style_weights: blend weights for several styles (normalised to sum 1); default equal.
        alpha: content–style trade-off in feature space, 0 (decoder's reconstruction) … 1 (full style).
        mask: ``(1, 1, H, W)`` in [0, 1]. With one style, the style applies where the mask is 1 and the
            content is kept where it is 0; with two styles, the first applies where it is 1, the second
            where it is 0.
        tile: run in tiles of this many pixels (``None``: whole). The content statistics are then measured
            once, on the whole image or, when its long side exceeds ``calibration_side``, a downscaled copy.
        overlap: pixels shared by neighbouring tiles.

    Returns:
        ``(1, 3, H, W)`` in [0, 1] (on the CPU when tiled).
    """
    if not styles:
        raise ConfigError("adain: at least one style image is needed")
    if not 0.0 <= alpha <= 1.0:
        raise ConfigError(f"--alpha {alpha}: must be between 0 and 1")
    weights = [1.0] * len(styles) if style_weights is None else [float(w) for w in style_weights]
    if len(weights) != len(styles) or min(weights) < 0 or sum(weights) <= 0:
        raise ConfigError(f"--style-weights {weights}: need {len(styles)} non-negative weights with a positive sum")
    if mask is not None and len(styles) > 2:
        raise ConfigError("--mask works with one style (style inside, content outside) or two (inside, outside)")
    if mask is not None and tuple(mask.shape[-2:]) != tuple(content.shape[-2:]):
        raise ConfigError(f"mask is {tuple(mask.shape[-2:])} px, the content {tuple(content.shape[-2:])}: sizes differ")
    device = next(decoder.parameters()).device
    style_feats = [encoder(s.to(device), [CONTENT_LAYER])[CONTENT_LAYER] for s in styles]
    calib = content
    if tile is not None and max(content.shape[-2:]) > calibration_side:
        from brushwork.imageio import resize

        calib = resize(content, long_side=calibration_side)
    calib_feat = encoder(_pad_to_multiple(calib.to(device), decoder.factor)[0], [CONTENT_LAYER])[CONTENT_LAYER]
    transform = feature_transform(
        calib_feat, style_feats, weights=weights, alpha=alpha, two_style_mask=mask is not None and len(styles) == 2
    )

    def run(x: torch.Tensor) -> torch.Tensor:
        x = x.to(device)
        rgb, m = (x[:, :3], x[:, 3:]) if x.shape[1] == 4 else (x, None)
        return decoder(transform(encoder(rgb, [CONTENT_LAYER])[CONTENT_LAYER], m)).clamp(0, 1)

    source = content if mask is None else torch.cat([content, mask.to(content)], dim=1)
    if tile is None:  # the statistics pass already encoded the whole (padded) image: decode from it
        padded, (h, w) = _pad_to_multiple(source, decoder.factor)
        m = padded[:, 3:].to(device) if mask is not None else None
        return decoder(transform(calib_feat, m)).clamp(0, 1)[..., :h, :w]
    from brushwork.tiling import run_tiled

    return run_tiled(run, source, tile=tile, overlap=overlap, multiple=decoder.factor)


def _pad_to_multiple(image: torch.Tensor, multiple: int) -> tuple[torch.Tensor, tuple[int, int]]:
    h, w = image.shape[-2:]
    ph, pw = (-h) % multiple, (-w) % multiple
    if ph == 0 and pw == 0:
        return image, (h, w)
    mode = "reflect" if ph < h and pw < w else "replicate"
    return F.pad(image, (0, pw, 0, ph), mode=mode), (h, w)


def load_decoder(
    directory: str | os.PathLike[str], *, device: torch.device | str = "cpu"
) -> tuple[VGGDecoder, dict[str, Any]]:
    """The decoder of an AdaIN model directory (eval mode, frozen, float32) and its ``config.json``."""
    from brushwork.checkpoint import load_module_weights, load_weights, read_config

    config = read_config(directory)
    if config.get("method") != "adain" or "decoder" not in config.get("nets", {}):
        raise CheckpointError(f"{directory}: a {config.get('method')!r} model, not an adain decoder")
    try:
        decoder = build_decoder(config["nets"]["decoder"])
    except (TypeError, ValueError, KeyError) as exc:
        raise CheckpointError(f"{directory}: cannot build the decoder ({exc})") from exc
    weights = {k.removeprefix("decoder."): v.float() for k, v in load_weights(directory).items()}
    load_module_weights(decoder, weights, what=f"{directory} decoder")
    return decoder.eval().requires_grad_(False).to(device), config
