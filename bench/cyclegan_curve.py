"""Learning curve of photo → painting checkpoints: SSIM, KID ratio and own-discriminator accuracy of each.

The numbers are those of ``brushwork evaluate`` (same metric functions: ``metrics.ssim``, ``metrics.kid``), but
the photos' and paintings' features are computed once for all checkpoints, so a whole run's curve is cheap.
``d_acc`` (with ``d_real``, ``d_fake``) is the checkpoint's own discriminator on the paintings vs the outputs,
as in ``evaluate``; absent for a model without one (a slim export).
``MODEL@S`` evaluates a skip generator at strength S. Prints one JSON line per model.

    .venv/bin/python bench/cyclegan_curve.py ~/brushwork-runs/vangogh/checkpoints/step_* [--limit 100]
    .venv/bin/python bench/cyclegan_curve.py vangogh vangogh@1 vangogh@2
    # choosing a checkpoint and strength on training data only (the last 100 trainB photos vs trainA):
    .venv/bin/python bench/cyclegan_curve.py RUN/checkpoints/step_*@1.75 --photos DATA/trainB --last \
        --paintings DATA/trainA
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import setup

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "vangogh2photo"


def main() -> None:
    import torch

    from brushwork.api._models import find_model
    from brushwork.checkpoint import read_config
    from brushwork.imageio import find_images, load_image
    from brushwork.methods.cyclegan import load_nets, translate
    from brushwork.metrics import discriminator_accuracy, kid_ratio, ssim, stat_features
    from brushwork.models.encoders import load_vgg16

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="+", metavar="MODEL[@STRENGTH]")
    parser.add_argument("--data", type=Path, default=DATA, help="folder with testA/ (paintings) and testB/ (photos)")
    parser.add_argument("--limit", type=int, default=100, help="first N photos (default 100)")
    parser.add_argument("--photos", type=Path, help="photos instead of DATA/testB (training photos to choose settings)")
    parser.add_argument("--paintings", type=Path, help="painting folder instead of DATA/testA")
    parser.add_argument("--last", action="store_true", help="the last --limit photos instead of the first")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    print(json.dumps({"env": setup(args.threads)}), flush=True)
    encoder = load_vgg16()
    photo_files = find_images(args.photos or args.data / "testB")
    photo_files = photo_files[-args.limit :] if args.last else photo_files[: args.limit]
    photos = [load_image(p) for p in photo_files]
    paintings = [load_image(p) for p in find_images(args.paintings or args.data / "testA")]
    with torch.no_grad():
        photo_features, real_features = stat_features(encoder, photos), stat_features(encoder, paintings)
    for spec in args.models:
        model, _, strength = spec.partition("@")
        path = find_model(model)  # a run, a model directory or a shipped name
        config = read_config(path)
        name, d_name = ("G_BA", "D_A") if config.get("default_direction", "AtoB") == "BtoA" else ("G_AB", "D_B")
        names = (name, d_name) if d_name in config["nets"] else (name,)
        nets = load_nets(path, names)[0]
        generator = nets[name].with_strength(float(strength) if strength else None)
        start = time.perf_counter()
        outputs = [translate(generator, x) for x in photos]
        seconds = (time.perf_counter() - start) / len(photos)
        score = float(torch.cat([ssim(x, y) for x, y in zip(photos, outputs, strict=True)]).mean())
        with torch.no_grad():
            kid = kid_ratio(stat_features(encoder, outputs), photo_features, real_features)
        row = {"model": str(path), "strength": generator.strength, "step": config.get("step"), "ssim": round(score, 4)}
        row |= {"kid_ratio": round(kid.ratio, 4), "s_per_image": round(seconds, 3)}
        if d_name in nets:
            acc = discriminator_accuracy(nets[d_name], paintings, outputs, batch_size=8)
            row |= {"d_acc": round(acc.overall, 4), "d_real": round(acc.real, 4), "d_fake": round(acc.fake, 4)}
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
