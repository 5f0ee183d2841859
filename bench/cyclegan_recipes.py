"""CPU cost of one training step for each CycleGAN recipe of the Van Gogh recipe table, on real data.

Reports process CPU seconds per step (``time.process_time``, one thread), which does not grow when other work
shares the machine the way wall time does, so the table can compare recipes at equal CPU time from runs that
were trained side by side. Interleaved: recipe A step, recipe B step, ... for ``--steps`` rounds; medians.

    .venv/bin/python bench/cyclegan_recipes.py [--steps 12] [--crop 128]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import emit, setup

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "vangogh2photo"
COMMON = {"ngf": 32, "upsample": "nearest", "lambda_identity": 1.0, "bf16": None}
ONESIDED = {"objective": "onesided", "direction": "BtoA", "diffaugment": "color,translation,cutout", "skip": True}
RECIPES = {
    "cycle (shipped: ResNet, PatchGAN)": {"blocks": 6, "lambda_identity": 0.5},
    "onesided ResNet-skip + VGG-feature D": {**ONESIDED, "blocks": 6, "discriminator": "vgg"},
    "onesided ResNet-skip + PatchGAN D": {**ONESIDED, "blocks": 6, "discriminator": "patchgan"},
    "onesided UNet-skip + VGG-feature D": {**ONESIDED, "generator": "unet", "unet_depth": 7, "discriminator": "vgg"},
}


def main() -> None:
    from brushwork.data.folders import UnpairedBatches
    from brushwork.device import bf16_supported
    from brushwork.methods.cyclegan import CycleGAN, CycleGANConfig
    from brushwork.methods.onesided import OneSided
    from brushwork.models.encoders import load_vgg16

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--crop", type=int, default=128)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    result: dict = {"env": setup(args.threads), "crop": args.crop, "recipes": {}}
    bf16 = bf16_supported(torch.device("cpu"))
    result["env"]["bf16_autocast"] = bf16
    data = UnpairedBatches(root=DATA, crop_size=args.crop, load_size=None, batch_size=1, seed=0)
    vgg = load_vgg16()
    models = {}
    for name, recipe in RECIPES.items():
        cfg = CycleGANConfig.from_dict({**CycleGANConfig().to_dict(), **COMMON, **recipe, "bf16": bf16,
                                        "crop_size": args.crop})  # fmt: skip
        models[name] = OneSided(cfg, encoder=vgg) if cfg.objective == "onesided" else CycleGAN(cfg)
    times: dict[str, list[float]] = {name: [] for name in models}
    for step in range(args.steps + 2):  # 2 warm-up rounds
        for name, model in models.items():
            start = time.process_time()
            model.train_step(data.batch(step))
            if step >= 2:
                times[name].append(time.process_time() - start)
    for name, values in times.items():
        result["recipes"][name] = {"cpu_s_per_step": round(statistics.median(values), 3), "steps": len(values)}
    emit(result)


if __name__ == "__main__":
    main()
