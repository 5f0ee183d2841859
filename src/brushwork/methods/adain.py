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

__all__ = ["FEATURE_SCALE", "AdaINConfig", "adain_losses", "load_decoder", "stylize"]

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


def _pad_to_multiple(image: torch.Tensor, multiple: int) -> tuple[torch.Tensor, tuple[int, int]]:
    h, w = image.shape[-2:]
    ph, pw = (-h) % multiple, (-w) % multiple
    if ph == 0 and pw == 0:
        return image, (h, w)
    mode = "reflect" if ph < h and pw < w else "replicate"
    return F.pad(image, (0, pw, 0, ph), mode=mode), (h, w)


def _feature_mask(mask: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    return F.interpolate(mask, size=like.shape[-2:], mode="bilinear", align_corners=False).clamp(0, 1)


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
) -> torch.Tensor:
    """Stylise ``content`` ``(1, 3, H, W)`` with one or more style images in one forward pass.

    Args:
        styles: style images ``(1, 3, h, w)`` in [0, 1], any sizes.
        style_weights: blend weights for several styles (normalised to sum 1); default equal.
        alpha: content–style trade-off in feature space, 0 (decoder's reconstruction) … 1 (full style).
        mask: ``(1, 1, H, W)`` in [0, 1]. With one style, the style applies where the mask is 1 and the
            content is kept where it is 0; with two styles, the first applies where it is 1, the second
            where it is 0.

    Returns:
        ``(1, 3, H, W)`` in [0, 1].
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
    padded, (h, w) = _pad_to_multiple(content, decoder.factor)
    content_feat = encoder(padded, [CONTENT_LAYER])[CONTENT_LAYER]
    targets = [adain(content_feat, encoder(style, [CONTENT_LAYER])[CONTENT_LAYER]) for style in styles]
    if mask is None:
        total = sum(weights)
        target = sum((wt / total * t for wt, t in zip(weights, targets, strict=True)), torch.zeros_like(content_feat))
    else:
        m = _feature_mask(
            F.pad(mask, (0, padded.shape[-1] - w, 0, padded.shape[-2] - h), mode="replicate"), content_feat
        )
        outside = targets[1] if len(targets) == 2 else content_feat
        target = m * targets[0] + (1 - m) * outside
    target = alpha * target + (1 - alpha) * content_feat
    return decoder(target)[..., :h, :w].clamp(0, 1)


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
