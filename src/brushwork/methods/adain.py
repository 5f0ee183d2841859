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
from brushwork.errors import ConfigError
from brushwork.losses.perceptual import content_loss, gram_matrix, mean_std_loss, relative_gram_loss
from brushwork.losses.structure import normalized_feature_loss
from brushwork.methods.arbitrary import calibration, check_controls, scaled, training_checks
from brushwork.models.adain import adain
from brushwork.models.decoders import SKIP_LAYERS, VGGDecoder, build_decoder
from brushwork.models.encoders import LAYER_STRIDE, MEAN_ACTIVATION, VGG16Encoder

__all__ = [
    "FEATURE_SCALE",
    "AdaINConfig",
    "FeatureTransform",
    "adain_losses",
    "decoder_layers",
    "decodes_without_margin",
    "feature_transform",
    "load_decoder",
    "stylize",
    "with_margin",
    "without_margin",
]

CONTENT_LAYER = "relu4_1"
STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1")
#: Where the structure loss compares output and photo (LPIPS-VGG's layers without block 5).
STRUCTURE_LAYERS = ("relu1_2", "relu2_2", "relu3_3", "relu4_3")
#: Pixels of mirrored margin around the picture while it is stylised (see :func:`with_margin`); chosen with
#: ``bench/adain_edges.py`` and the issue-13 benchmark on training photos and styles (docs/arbitrary_recipe.md).
#: A multiple of the decoder's factor (8), so the encoder sees the margin and the decoder skips it.
EDGE_MARGIN = 16
#: Each style layer's mean activation (:data:`~brushwork.models.encoders.MEAN_ACTIVATION`): losses divide by it.
FEATURE_SCALE = MEAN_ACTIVATION


@dataclass(frozen=True)
class AdaINConfig(DictConfig):
    """Everything that defines an AdaIN model and its training (the contract stored in ``config.json``).

    Attributes:
        decoder_widths, encoder_widths: network widths (the encoder's must be VGG16's to load its weights).
        skips: shallower encoder layers (of ``relu3_1, relu2_1, relu1_1``) that are AdaIN-transformed too and
            enter the decoder by skip connections; ``()`` is the paper's relu4_1-only decoder.
        content_weight, style_weight: loss weights (style ~10 as in the paper, on scaled features).
        structure_weight: weight of the channel-normalised feature distance to the photo on relu1_2, relu2_2,
            relu3_3, relu4_3 (keeps the photo's structure; 0: off).
        gram_weight: weight of the relative Gram distance to the style on the style layers (0: off).
        identity_weight: weight of the L1 between the photo and its decoding with its own statistics (SANet's
            identity loss: a picture stylised with itself comes back unchanged; 0: off).
        style_augment: random scale, quarter-turn and colour permutation of the style batch each step.
        lr, lr_decay: Adam's rate, decayed as ``lr / (1 + lr_decay · step)`` (the paper's code).
        steps, batch_size: training length and content/style pairs per step and rank.
        crop, load_size: square random crop after resizing the short side to ``load_size``.
        style_crop, style_load_size: the same for the paintings (0: as the photos), e.g. a larger share of each
            painting than a photo crop, as the whole painting is what the style code sees at inference.
        bf16: bf16 autocast for the forward passes (losses in fp32).
    """

    decoder_widths: tuple[int, int, int] = (256, 128, 64)
    encoder_widths: tuple[int, int, int, int] = (64, 128, 256, 512)
    skips: tuple[str, ...] = ()
    content_weight: float = 1.0
    style_weight: float = 10.0
    structure_weight: float = 0.0
    gram_weight: float = 0.0
    identity_weight: float = 0.0
    style_augment: bool = False
    lr: float = 1e-4
    lr_decay: float = 5e-5
    steps: int = 20_000
    batch_size: int = 8
    crop: int = 256
    load_size: int = 512
    style_crop: int = 0
    style_load_size: int = 0
    bf16: bool = False

    def __post_init__(self) -> None:
        checks = {
            **training_checks(self),
            "style_weight": self.style_weight >= 0,
            "content_weight": self.content_weight >= 0,
            "structure_weight": self.structure_weight >= 0,
            "gram_weight": self.gram_weight >= 0,
            "identity_weight": self.identity_weight >= 0,
            "skips": set(self.skips) <= set(SKIP_LAYERS) and len(set(self.skips)) == len(self.skips),
        }
        bad = [name for name, ok in checks.items() if not ok]
        if bad:
            raise ConfigError(f"adain config: invalid {', '.join(f'{n}={getattr(self, n)!r}' for n in bad)}")

    def build_decoder(self) -> VGGDecoder:
        block = {"relu1_1": 0, "relu2_1": 1, "relu3_1": 2}
        skips = {name: self.encoder_widths[block[name]] for name in self.skips}
        return VGGDecoder(in_channels=self.encoder_widths[3], widths=self.decoder_widths, skips=skips)


def _mean(terms: list[torch.Tensor]) -> torch.Tensor:
    return torch.stack(terms).mean()


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
        style: ``(N, 3, H', W')`` paintings in [0, 1] (paired with ``content`` at random; any size).

    Returns:
        ``{"loss", "content", "style"}`` scalar tensors, plus ``"structure"``, ``"gram"``, ``"identity"`` when
        their weights are set; ``loss`` carries the gradient to the decoder.
    """
    layers = decoder_layers(decoder)
    with torch.no_grad():
        content_raw = encoder(content, layers)
        style_raw = encoder(style, STYLE_LAYERS)
        targets = {name: adain(content_raw[name], style_raw[name]) for name in layers}
        style_feats = scaled(style_raw)
        photo_structure = encoder(content, STRUCTURE_LAYERS) if config.structure_weight > 0 else {}
    skips = {name: targets[name] for name in layers[1:]}
    output = decoder(targets[CONTENT_LAYER], skips)
    out_layers = STYLE_LAYERS + (STRUCTURE_LAYERS if config.structure_weight > 0 else ())
    out_raw = encoder(output, out_layers)
    out_feats = scaled(out_raw)
    target = targets[CONTENT_LAYER].float() / FEATURE_SCALE[CONTENT_LAYER]
    losses = {
        "content": content_loss(out_feats[CONTENT_LAYER], target),
        "style": sum((mean_std_loss(out_feats[n], style_feats[n]) for n in STYLE_LAYERS), torch.zeros(())),
    }
    loss = config.content_weight * losses["content"] + config.style_weight * losses["style"]
    if config.structure_weight > 0:
        terms = [normalized_feature_loss(out_raw[n].float(), photo_structure[n].float()) for n in STRUCTURE_LAYERS]
        losses["structure"] = _mean(terms)
        loss = loss + config.structure_weight * losses["structure"]
    if config.gram_weight > 0:
        terms = [relative_gram_loss(out_feats[n], gram_matrix(style_feats[n])) for n in STYLE_LAYERS]
        losses["gram"] = _mean(terms)
        loss = loss + config.gram_weight * losses["gram"]
    if config.identity_weight > 0:
        own = {name: content_raw[name] for name in layers[1:]}
        same = decoder(content_raw[CONTENT_LAYER], own)
        losses["identity"] = F.l1_loss(same.float(), content.float())
        loss = loss + config.identity_weight * losses["identity"]
    return {"loss": loss, **{k: v.detach() for k, v in losses.items()}}


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


@torch.no_grad()  # not inference_mode: callers get a normal tensor they may change in place
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
    edge_margin: int = EDGE_MARGIN,
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
        edge_margin: mirror the picture outwards by this many pixels before encoding, cropped afterwards
            (keeps the encoder's zero padding away from the kept edges; :func:`with_margin`). Without tiles, a
            margin of whole decoder cells (the default 16 px) is encoded but not decoded
            (:func:`decodes_without_margin`); tiles decode it.

    Returns:
        ``(1, 3, H, W)`` in [0, 1] (on the CPU when tiled).
    """
    weights = check_controls("adain", content, styles, style_weights=style_weights, alpha=alpha, mask=mask)
    device = next(decoder.parameters()).device
    layers = decoder_layers(decoder)
    style_feats = [encoder(s.to(device), layers) for s in styles]
    source = content if mask is None else torch.cat([content, mask.to(content)], dim=1)
    margin = max(0, int(edge_margin))
    source = with_margin(source, margin)
    calib = calibration(source[:, :3], tile, calibration_side)
    calib_feats = encoder(_pad_to_multiple(calib.to(device), decoder.factor)[0], layers)
    two = mask is not None and len(styles) == 2
    transforms = {
        name: feature_transform(
            calib_feats[name], [f[name] for f in style_feats], weights=weights, alpha=alpha, two_style_mask=two
        )
        for name in layers
    }

    def decode(feats: dict[str, torch.Tensor], m: torch.Tensor | None) -> torch.Tensor:
        deep = transforms[CONTENT_LAYER](feats[CONTENT_LAYER], m)
        if len(layers) == 1:
            return decoder(deep).clamp(0, 1)
        skips = {name: feats[name] for name in layers[1:]}
        if m is None:  # one affine map per layer: folded into the skip convolutions
            affine = {name: (transforms[name].scale, transforms[name].shift) for name in layers[1:]}
            return decoder(deep, skips, affine).clamp(0, 1)
        return decoder(deep, {name: transforms[name](f, m) for name, f in skips.items()}).clamp(0, 1)

    def run(x: torch.Tensor) -> torch.Tensor:
        x = x.to(device)
        rgb, m = (x[:, :3], x[:, 3:]) if x.shape[1] == 4 else (x, None)
        return decode(encoder(rgb, layers), m)

    if tile is None:  # the statistics pass already encoded the whole (padded) image: decode from it
        padded, (h, w) = _pad_to_multiple(source, decoder.factor)
        m = padded[:, 3:].to(device) if mask is not None else None
        if decodes_without_margin(margin, min(h, w) - 2 * margin, decoder.factor):  # the margin served the encoder
            m = m[..., margin : m.shape[-2] - margin, margin : m.shape[-1] - margin] if m is not None else None
            return decode(without_margin(calib_feats, margin), m)[..., : h - 2 * margin, : w - 2 * margin]
        out = decode(calib_feats, m)[..., :h, :w]
    else:
        from brushwork.tiling import run_tiled

        out = run_tiled(run, source, tile=tile, overlap=overlap, multiple=decoder.factor)
    return out[..., margin : out.shape[-2] - margin, margin : out.shape[-1] - margin]


def _mirror_index(n: int | torch.Tensor, margin: int) -> torch.Tensor:
    """Source rows for ``n`` rows mirrored outwards by ``margin`` on both sides (clamped where ``n`` is tiny).

    ``n`` may be a 0-dim tensor (a traced shape), so ONNX export runs the very same rule.
    """
    i = torch.arange(-margin, n + margin).abs()
    last = torch.as_tensor(n) - 1
    return torch.minimum(torch.where(i > last, 2 * last - i, i).clamp_min(0), last)


def decodes_without_margin(margin: int, picture_side: int, factor: int) -> bool:
    """Whether the decoder paints the picture's own cells only (the margin encoded, not decoded): when ``margin`` is
    a whole number of the decoder's cells and the picture's short side spans more than one cell (the decoder's
    reflection padding needs two)."""
    return margin > 0 and margin % factor == 0 and picture_side > factor


def without_margin(feats: dict[str, torch.Tensor], margin: int) -> dict[str, torch.Tensor]:
    """Encoder maps ``{layer: (N, C, h, w)}`` of a picture mirrored by ``margin`` px (:func:`with_margin`; a multiple
    of every map's stride), the margin cut off: what the decoder needs to paint the picture alone."""
    out = {}
    for name, f in feats.items():
        if margin % LAYER_STRIDE[name]:
            raise ValueError(f"without_margin: {margin} px is not a whole number of {name} cells")
        k = margin // LAYER_STRIDE[name]
        out[name] = f[..., k : f.shape[-2] - k, k : f.shape[-1] - k]
    return out


def with_margin(image: torch.Tensor, margin: int) -> torch.Tensor:
    """``(N, C, H, W)`` mirrored outwards by ``margin`` px on every side → ``(N, C, H + 2m, W + 2m)``.

    The encoder's zero padding reads as a dark-grey frame around the picture; a mirrored margin moves that frame
    outside the part that is kept, so the edges are stylised like the interior (no dark band along the border).
    """
    if margin <= 0:
        return image
    shape = torch._shape_as_tensor(image) if torch.jit.is_tracing() else image.shape
    rows, cols = _mirror_index(shape[2], margin), _mirror_index(shape[3], margin)
    return image.index_select(2, rows.to(image.device)).index_select(3, cols.to(image.device))


def decoder_layers(decoder: torch.nn.Module) -> tuple[str, ...]:
    """The encoder layers a decoder reads: relu4_1 and its skip layers (a plain decoder: relu4_1 only)."""
    return tuple(getattr(decoder, "layers", (CONTENT_LAYER,)))


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
    from brushwork.checkpoint import load_one_net

    decoder, config = load_one_net(
        directory, method="adain", net="decoder", build=build_decoder, label="an adain decoder", device=device
    )
    return decoder, config  # type: ignore[return-value]
