"""One prepared GPU run of the Van Gogh recipe: continue the current weights at full size for a few minutes.

For the days a GPU is lent for a short time (one H200-class card, minutes): trains the chosen recipe (one-sided,
VGG16-feature discriminator, DiffAugment, skip generator; see docs/vangogh_recipe.md) at 256-px crops with a
large batch and bf16 autocast, starting from ``--init-from`` (default: the shipped ``vangogh`` model), stops
itself after ``--minutes``, and writes to OUT:

- ``OUT/run/``: the run directory (checkpoints, metrics.jsonl, samples): ``brushwork train cyclegan --resume``
  continues it anywhere;
- ``OUT/model/``: the slim fp16 model directory (generator + discriminator) to evaluate and ship;
- ``OUT/summary.json``: steps, seconds, last losses, device.

    python scripts/train_gpu.py OUT [--minutes 8] [--init-from MODEL] [--data DIR]

``--tiny`` runs the same code path with a tiny model on the CPU for a few steps (the test suite does this).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data" / "vangogh2photo"
#: The recipe's training settings (architecture comes from --init-from).
RECIPE = {
    "objective": "onesided",
    "direction": "BtoA",
    "discriminator": "vgg",
    "diffaugment": "color,translation,cutout",
    "lambda_nce": 1.0,
    "lambda_identity": 1.0,
}
FULL = {"crop_size": 256, "batch_size": 8, "lr": 2e-4, "steps": 1_000_000, "decay_from": 1.0}
TINY_ARCH = {"skip": True, "ngf": 4, "blocks": 1, "upsample": "nearest", "ndf": 4, "d_layers": ("relu2_2",)}
TINY = {"crop_size": 32, "batch_size": 2, "steps": 3, "nce_patches": 16, "nce_layers": ("relu1_2", "relu2_2")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="folder for the run, the model and summary.json")
    parser.add_argument("--init-from", default="vangogh", help="model or run directory to continue (default vangogh)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder with trainA/ and trainB/")
    parser.add_argument("--minutes", type=float, default=8.0, help="training time before it stops itself")
    parser.add_argument("--batch-size", type=int, help="images per step (default 8)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--tiny", action="store_true", help="tiny model, 3 steps, CPU: checks the path only")
    args = parser.parse_args(argv)

    import torch

    from brushwork.api.train import train
    from brushwork.checkpoint import export_model, latest_checkpoint, read_config, resolve_model_dir
    from brushwork.device import bf16_supported, resolve_device

    device = resolve_device("cpu" if args.tiny else args.device)
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        torch.backends.cudnn.benchmark = True
    config = {**RECIPE, **(TINY if args.tiny else FULL), "bf16": bf16_supported(device)}
    if args.batch_size:
        config["batch_size"] = args.batch_size
    init_from = None if args.tiny else args.init_from
    if init_from is not None and read_config(resolve_model_dir(init_from))["config"].get("objective") != "onesided":
        sys.exit(f"{init_from}: not a one-sided model of this recipe; pass --init-from a run or model of it")
    if args.tiny:
        config.update(TINY_ARCH)
    run = args.out / "run"
    start = time.perf_counter()
    result = train(
        args.data,
        run,
        config=config,
        resume=True,
        init_from=None if (run / "checkpoints").is_dir() else init_from,
        time_limit_s=args.minutes * 60,
        ckpt_every=500,
        sample_every=250,
        log_every=25,
        progress=False,
        device=str(device),
    )
    checkpoint = latest_checkpoint(run)
    nets = tuple(read_config(checkpoint)["nets"])
    export_model(checkpoint, args.out / "model", nets=nets, half=True)
    summary = {
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else str(device),
        "step": result.step,
        "stopped": result.stopped,
        "seconds": round(time.perf_counter() - start, 1),
        "metrics": result.metrics,
        "config": config,
    }
    (args.out / "summary.json").write_text(json.dumps(summary, indent=2, default=list))
    print(json.dumps(summary, default=list))
    return 0


if __name__ == "__main__":
    sys.exit(main())
