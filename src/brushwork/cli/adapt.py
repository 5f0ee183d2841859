"""``brushwork adapt --paintings DIR --out MODEL``: your own artist from 10–100 paintings, on a CPU, in a set time.

Fine-tunes the shipped ``vangogh`` model (or ``--from MODEL``) to the paintings with the preset of
:mod:`brushwork.api.adapt`, stops by itself after ``--minutes`` of training, and writes the model directory
MODEL (use it with ``translate``, ``export``, ``serve --model``, ``evaluate``). The run folder (``MODEL.run`` or
``--run``) keeps checkpoints for ``--resume`` and ``preview.jpg``, refreshed every ``--preview-every`` seconds.
"""

from __future__ import annotations

import argparse

from brushwork.api.adapt_eval import EVAL_LIMIT
from brushwork.cli._common import add_common, positive_int


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "adapt",
        help="your own artist: adapt a painting model to 10-100 paintings in a set time (CPU is fine)",
        description="Adapt a photo-to-painting model (default: the shipped vangogh) to a folder of one artist's "
        "paintings, for --minutes of training, and write a model directory. Photos: --photos DIR, else a bundled "
        "set when there is one, else ../shared/data/vangogh2photo/trainB. Unset training options take the preset "
        "(docs/adapt.md), or the run's own settings with --resume.",
    )
    p.add_argument("--paintings", required=True, metavar="DIR", help="folder of one artist's paintings")
    p.add_argument("--out", required=True, metavar="MODEL", help="model directory to write")
    p.add_argument("--photos", metavar="DIR", help="folder of everyday photos (default: see above)")
    p.add_argument(
        "--minutes", type=float, default=60.0, metavar="MIN", help="minutes of training, resumes included (60)"
    )
    p.add_argument("--resume", action="store_true", help="continue the run folder's newest checkpoint")
    p.add_argument("--run", metavar="DIR", help="run folder: checkpoints, preview.jpg, samples (default MODEL.run)")
    p.add_argument("--from", dest="start", default="vangogh", metavar="MODEL", help="start model (default vangogh)")
    p.add_argument("--scratch", action="store_true", help="start model's architecture, random weights (baseline)")
    p.add_argument("--name", help="the artist's name for the model card (default: the folder's name)")
    p.add_argument("--strength", type=float, metavar="S", help="the model's default --strength (default 1)")
    p.add_argument("--no-check", action="store_true", help="skip the 'these look like photos' check")
    ev = p.add_argument_group("scoring after training (into the model card)")
    ev.add_argument(
        "--held-out", metavar="DIR", help="paintings of the artist it does not train on: score against them"
    )
    ev.add_argument("--eval-photos", metavar="DIR", help="photos to score on (default: testB beside the trainB photos)")
    ev.add_argument(
        "--eval-limit", type=positive_int, default=EVAL_LIMIT, metavar="N", help=f"the first N of them ({EVAL_LIMIT})"
    )
    opt = p.add_argument_group("training (unset: the preset, or the run's own with --resume)")
    opt.add_argument(
        "--max-steps", "--steps-cap", type=positive_int, default=100_000, metavar="N", help="stop at N steps (100000)"
    )
    opt.add_argument("--max-paintings", type=positive_int, default=500, metavar="N", help="a random N of more (500)")
    opt.add_argument("--lr", type=float, help="Adam learning rate (2e-4, constant)")
    opt.add_argument("--crop", type=positive_int, metavar="PX", help="training crop in pixels (128)")
    opt.add_argument("--lambda-identity", type=float, metavar="W", help="identity loss weight (1)")
    opt.add_argument("--diffaugment", metavar="POLICY", help="DiffAugment policy (color,translation,cutout; '' off)")
    opt.add_argument(
        "--freeze-encoder", action=argparse.BooleanOptionalAction, help="keep the generator's encoder fixed (off)"
    )
    opt.add_argument("--batch-size", type=positive_int, metavar="B", help="images per step (1)")
    opt.add_argument("--bf16", action=argparse.BooleanOptionalAction, help="bf16 autocast (default: where native)")
    run = p.add_argument_group("run")
    run.add_argument("--threads", type=positive_int, metavar="N", help="CPU threads for torch (default: all cores)")
    run.add_argument("--preview-every", type=float, default=60.0, metavar="S", help="refresh preview.jpg (60 s)")
    run.add_argument("--ckpt-every", type=positive_int, default=250, metavar="N", help="checkpoint every N steps")
    run.add_argument("--sample-every", type=positive_int, default=250, metavar="N", help="samples/ every N steps")
    run.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_common(p, size=False)
    p.set_defaults(func=run_adapt)


def run_adapt(args: argparse.Namespace) -> int:
    import os

    from brushwork.api.adapt import adapt, default_run_dir

    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    if args.vgg16:
        os.environ["BRUSHWORK_VGG16"] = args.vgg16
    quiet = args.quiet > 0
    run_dir = args.run or default_run_dir(args.out)
    if not quiet:
        print(f"preview: {run_dir}/preview.jpg (refreshed every {args.preview_every:g} s); run folder: {run_dir}")
    result = adapt(
        args.paintings,
        args.out,
        photos=args.photos,
        start=args.start,
        scratch=args.scratch,
        minutes=args.minutes,
        resume=args.resume,
        run=args.run,
        max_steps=args.max_steps,
        max_paintings=args.max_paintings,
        lr=args.lr,
        crop=args.crop,
        lambda_identity=args.lambda_identity,
        diffaugment=args.diffaugment,
        freeze_encoder=args.freeze_encoder,
        bf16=args.bf16,
        config={"batch_size": args.batch_size} if args.batch_size else None,
        strength=args.strength,
        name=args.name,
        check=not args.no_check,
        preview_every_s=args.preview_every,
        ckpt_every=args.ckpt_every,
        sample_every=args.sample_every,
        progress=not args.no_progress and not quiet,
        device=args.device,
        seed=args.seed,
        held_out=args.held_out,
        eval_photos=args.eval_photos,
        eval_limit=args.eval_limit,
    )
    interrupted = result.stopped in ("SIGINT", "SIGTERM")
    if not quiet:
        how = "interrupted (--resume continues)" if interrupted else f"{result.seconds / 60:.1f} min of training"
        print(f"wrote {result.model}: {result.paintings} paintings, step {result.step}, {how}")
        if result.evaluation:
            e = result.evaluation
            kid = "—" if e["kid_ratio"] is None else f"{e['kid_ratio']:.3f}"
            print(
                f"scored on {e['n_photos']} photos vs {e['n_held_out']} held-out paintings: SSIM {e['ssim']:.3f}, "
                f"KID ratio {kid} (1 = the photos; in {result.model}/MODEL_CARD.md)"
            )
        print(f"try: brushwork translate {result.model} PHOTO -o painted.jpg")
    return 130 if interrupted else 0
