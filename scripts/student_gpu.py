"""A short GPU lease for the ``fast`` student: pack what travels, then train several recipes side by side.

The device machine gets only the repository and what a ``carry`` folder holds (64 MiB in all), and nothing can be
downloaded there. So the lease runs in two steps:

1. here, ``pack``: a carry folder with a subsample of the training photos and paintings (the held-out styles never
   enter it), the ``content/`` photos and the paintings of ``styles/`` resized to a 512-px short side, and the
   VGG16 in fp16 (15 MB instead of 30; training upcasts it)::

       python scripts/student_gpu.py pack .gpu --data ../shared/data
       pip download --no-deps --only-binary=:all: --python-version 3.12 --platform manylinux2014_x86_64 \\
           -d .gpu/whl simplejpeg==1.9.0   # the only dependency the GPU image lacks

2. there, ``train``: one ``brushwork train student`` process per variant (they share the GPU), each stopping
   itself after ``--minutes``; then each run's newest checkpoint and its ``metrics.jsonl`` go into
   ``OUT/VARIANT.tar`` (``--resume`` continues such a run anywhere; its checkpoint directory is a model)::

       pip install -q --no-index --no-deps --target /tmp/site .gpu/whl/*.whl && export PYTHONPATH=/tmp/site:$PWD/src
       python3 scripts/student_gpu.py train .gpu $OUT --minutes 7 --variants a,b,c,d

These are the command lines of session 33's lease on one H200 (run then from a shell script): four variants at 0.27 s a
step each (100 % GPU), then two continued (docs/arbitrary_recipe.md "Session 33"). Session 34 ran this script itself:
``--variants c,e,f,g --minutes 8.2``, then the same with ``--minutes 4.2`` on the warm machine, which resumes each run
(a run folder that already saved is continued, not restarted). For the next lease: ``--variants c,s,m,q`` (the control,
the Gatys objective without teacher terms, a critic that takes the paintings as real at weight 2, and the network
painting from the photo's luminance), chosen by ``bench/blind_ab.py`` as well as by the numbers; ``s`` replaces ``i``
after session 44 (blind at 512 px our Gatys optimisation beat the peer 60 / 64 and 36 / 48 where the teacher lost;
its CPU pilot lost its clean pictures in 1078 steps, a GPU-scale question). ``k`` (the structure term at 0.4
with the half-scale Gram term) lost blind as a CPU pilot in session 41 (7 / 48: it fills the calm areas with our own
hatching); ``r`` (the 1/8 maps notched inside the network) in session 42 (5 / 48 at step 300: the grain and the
lattice grow back). ``n`` (the Cezannes) and ``p`` (the shift-consistency term) lost blind as
CPU pilots in session 40 (12 / 48 "grainy"; 5 / 48 "streaky"), and the painting critic at weight 5 made checker
artefacts. Since session 39 ``fast`` has no noise field, so neither do runs ``--init-from fast``. ``pack`` also writes
the Cezannes (the carry folder is then about 49 MB).
"""

from __future__ import annotations

import argparse
import shlex
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

HELD_OUT = ("candy", "feathers", "la_muse", "udnie")
#: Every variant's settings: the shipped student's recipe (session 29's ``st4``) at the benchmark's scale.
COMMON = (
    "--teacher adain --style-augment --load-size 512 --spectrum-weight 1 --gram-weight 5"
    " --gram-layers 0.5,0.5,1.5,1.5 --style-weight 0.5 --structure-weight 1 --random-alpha 0.1 --lr 2e-4"
    " --threads 2 --log-every 50 --ckpt-every 500 --keep 1 --sample-every 2000 --no-progress --steps 100000"
)
#: What each variant changes.
VARIANTS = {
    "a": "--crop 256 --batch-size 16 --pixel-weight 0 --distill-weight 0",
    "b": "--crop 256 --batch-size 16 --pixel-weight 10 --distill-weight 1",
    "c": "--crop 256 --batch-size 16 --pixel-weight 0 --distill-weight 0 --orientation-weight 6",
    "d": "--crop 384 --batch-size 8 --pixel-weight 0 --distill-weight 0",
    # session 34: stroke direction from the teacher (``c`` drew the photo's large forms best), weaker or with the
    # Gram term raised to hold the style distance
    "e": "--crop 256 --batch-size 16 --pixel-weight 0 --distill-weight 0 --orientation-weight 3",
    "f": "--crop 256 --batch-size 16 --pixel-weight 0 --distill-weight 0 --orientation-weight 6 --gram-weight 8",
    "g": "--crop 256 --batch-size 16 --pixel-weight 0 --distill-weight 0 --orientation-weight 10 --gram-weight 8",
    # for the next lease: the shipped c2's recipe with the painting's larger motifs asked for (half-scale Gram)
    "h": "--crop 256 --batch-size 16 --pixel-weight 0 --distill-weight 0 --orientation-weight 6 --coarse-gram-weight 5",
    # session 35: c2's recipe with the structure term weighted by the photo's feature strength (flat areas left to
    # the style terms; a CPU pilot moved structure from the faint to the strong positions, too slowly to see)
    "i": "--crop 256 --batch-size 16 --pixel-weight 0 --distill-weight 0 --orientation-weight 6"
    " --structure-magnitude 2",
    # session 36: blind viewers reject the fine grid the 1/8 sites' dynamic filters stamp (zeroed at inference the
    # lattice is gone); c2's recipe with those filters dropped (``--init-from`` keeps every other weight)
    "j": "--crop 256 --batch-size 16 --pixel-weight 0 --distill-weight 0 --orientation-weight 6 --static 8 4",
    # session 37: blind viewers keep the peer where the photo is flat (it repaints a lake or an iceberg with the
    # painting's large motifs; ours keeps the photo there), and ours stays far closer to the photo than the teacher
    # or the peer (content 0.93 vs 1.10 / 1.14): c2's recipe with the structure term at 0.4, weighted by the
    # photo's feature strength, and the half-scale Gram term for the larger motifs
    "k": "--crop 256 --batch-size 16 --pixel-weight 0 --distill-weight 0 --orientation-weight 6"
    " --structure-weight 0.4 --structure-magnitude 1 --coarse-gram-weight 5",
    # session 39: blind viewers keep the peer's "painted all over" against ours' "washed, photo-like centre"; c2's
    # recipe with a critic on VGG16 patches that takes the batch's paintings as real (AesUST's aesthetic critic;
    # a CPU pilot began painting a white iceberg within 200 steps, too few to judge: 17 / 48 at step 300). Caveat:
    # the 256-px Van Goghs are enlarged 2x by --load-size 512, so about half the critic's "real" crops are soft
    "m": "--crop 256 --batch-size 16 --pixel-weight 0 --distill-weight 0 --orientation-weight 6"
    " --adversarial-weight 2 --critic-real painting",
    # session 40: the paintings the student learns from are 116 Van Goghs of 256 px (enlarged 2x, soft) and 18 others;
    # arbitrary-style networks generalise with the variety of their paintings (AdaIN: 80 k WikiArt paintings).
    # c2's recipe with sharp Cezannes (public domain, 513-800 px) as a third style folder, sampled as often as each
    # of the other two (a CPU pilot grew grain and checker texture: 12 / 48 against fast at step 750)
    "n": "--crop 256 --batch-size 16 --pixel-weight 0 --distill-weight 0 --orientation-weight 6",
    # session 40: the lattice of the 8-px grid, which blind viewers name first ("mesh", "checker grid"), asked away
    # by the shift-consistency term (the picture of the photo shifted by 4 px, shifted back, against the picture;
    # a CPU pilot lost its bold marks and grew horizontal streaks: 5 / 48 against fast at step 300)
    "p": "--crop 256 --batch-size 16 --pixel-weight 0 --distill-weight 0 --orientation-weight 6 --shift-weight 30",
    # session 41: the student keeps the photo's hues under the painting's marks (fed a grey photo, fast paints a
    # grey picture), where the peer recolours each form in the painting's palette; c2's recipe painting from the
    # photo's luminance, the structure term on luminance (a CPU pilot, 500 steps with a colour teacher: colour only
    # in the marks, "grey mush", 10 / 48 against fast; the colours must be learnt from nothing, a GPU-scale question)
    "q": "--crop 256 --batch-size 16 --pixel-weight 0 --distill-weight 0 --orientation-weight 6"
    " --luma-input --structure-luma",
    # c with the 1/8 maps notched inside the network (what alternates from cell to cell: the 16-px lattice); at
    # inference on fast's weights it changed the picture most of anything tried (bolder, larger marks) and tied
    # blind, 25 / 48, style distance 0.449; trained from fast on the CPU the grain and lattice grew back (5 / 48 at
    # step 300, session 42): out of the lease
    "r": "--crop 256 --batch-size 16 --pixel-weight 0 --distill-weight 0 --orientation-weight 6 --cell-notch 1",
    # session 44: on calm, soft photos (where fast lost 3 / 48 to the peer) our Gatys optimisation beat the peer
    # 36 / 48 and fast 45 / 48, and the AdaIN teacher lost to both (11 / 48, 12 / 48): the look viewers keep there is
    # the Gatys objective's, not the teacher's. The student trained on it: no teacher terms, the structure term on
    # relu4_3 only (Gatys' content is relu4_2), Gram at every layer (CPU pilot gat44)
    "s": "--crop 256 --batch-size 16 --pixel-weight 0 --distill-weight 0 --orientation-weight 0 --spectrum-weight 0"
    " --structure-layers 0,0,0,1 --gram-weight 10 --gram-layers 1,1,1,1 --style-weight 1",
}
#: The style folders of every variant; the variants named here add theirs.
STYLE_FOLDERS = ("vangogh", "styles")
EXTRA_STYLE_FOLDERS = {"n": ("cezanne",)}
#: Cezannes the CPU pilots validate on (bench/arbitrary_quality.py --styles .../cezanne/trainA/96..99.jpg): not packed.
CEZANNE_VALIDATION = ("96", "97", "98", "99")
_FOLDERS = {
    "photos": "vangogh2photo/trainB",
    "content": "content",
    "styles": "styles",
    "vangogh": "vangogh2photo/trainA",
    "cezanne": "cezanne/trainA",
}


def _save(src: Path, dst: Path, *, short: int | None, quality: int) -> None:
    from PIL import Image

    with Image.open(src) as opened:
        image = opened.convert("RGB")
    if short is not None and min(image.size) > short:
        scale = short / min(image.size)
        image = image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.LANCZOS)
    image.save(dst.with_suffix(".jpg"), quality=quality)


def _every(files: list[Path], count: int) -> list[Path]:
    return files[:: max(1, len(files) // count)][:count]


def pack(
    carry: Path, data: Path, vgg16: Path, *, photos: int = 600, vangogh: int = 116, cezanne: int = 150
) -> dict[str, int]:
    """Write the carry folder; returns the number of images per folder."""
    from safetensors.torch import load_file, save_file

    from brushwork.imageio import find_images

    counts = {}
    limits = {"photos": photos, "vangogh": vangogh, "cezanne": cezanne}  # the other folders go whole
    for name, sub in _FOLDERS.items():
        if not (data / sub).is_dir() and name == "cezanne":
            print(f"pack: no {data / sub}: variant n (the Cezannes) will not run", file=sys.stderr)
            continue  # an older data folder: the variants without Cezannes still run
        left_out = HELD_OUT + (CEZANNE_VALIDATION if name == "cezanne" else ())
        files = [f for f in find_images(data / sub) if f.stem not in left_out]
        files = _every(files, limits[name]) if name in limits else files
        shutil.rmtree(carry / "data" / name, ignore_errors=True)  # a second pack leaves no stale images behind
        (carry / "data" / name).mkdir(parents=True)
        for f in files:
            short = 512 if name in ("content", "styles", "cezanne") else None
            _save(f, carry / "data" / name / f.name, short=short, quality=85 if short is None else 90)
        counts[name] = len(files)
    save_file(
        {k: v.half().contiguous() for k, v in load_file(str(vgg16)).items()}, str(carry / "vgg16_fp16.safetensors")
    )
    return counts


def command(variant: str, carry: Path, run: Path, *, minutes: float, device: str, init_from: str) -> list[str]:
    """The ``brushwork train student`` command line of one variant; a run that already saved is resumed (a second
    call on the warm machine continues it)."""
    from brushwork.checkpoint import latest_checkpoint

    resumed = latest_checkpoint(run) is not None
    data = carry / "data"
    return [
        sys.executable, "-m", "brushwork", "train", "student",
        *shlex.split(COMMON), *shlex.split(VARIANTS[variant]),
        *(["--resume"] if resumed else ["--init-from", init_from]),
        "--content", str(data / "photos"), str(data / "content"),
        "--style", *(str(data / f) for f in STYLE_FOLDERS + EXTRA_STYLE_FOLDERS.get(variant, ())),
        "--exclude-style", *HELD_OUT,
        "--vgg16", str(carry / "vgg16_fp16.safetensors"),
        "--time-limit", str(minutes), "--device", device, "--out", str(run),
    ]  # fmt: skip


def collect(run: Path, dest: Path) -> bool:
    """Tar ``run``'s newest complete checkpoint and ``metrics.jsonl`` into ``dest``; False when it saved none."""
    from brushwork.checkpoint import latest_checkpoint

    newest = latest_checkpoint(run)
    if newest is None:
        return False
    with tarfile.open(dest, "w") as tar:
        for path in (run / "metrics.jsonl", newest):
            if path.exists():
                tar.add(path, arcname=str(path.relative_to(run)))
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("pack", help="write the carry folder (here)")
    p.add_argument("carry", type=Path)
    p.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data")
    p.add_argument("--vgg16", type=Path, help="VGG16 safetensors (default: the resolved one)")
    p.add_argument("--photos", type=int, default=600)
    p.add_argument("--vangogh", type=int, default=116)
    p.add_argument("--cezanne", type=int, default=150)
    t = sub.add_parser("train", help="train the variants side by side (on the GPU machine)")
    t.add_argument("carry", type=Path)
    t.add_argument("out", type=Path, help="where VARIANT.tar and VARIANT.log go")
    t.add_argument("--runs", type=Path, default=Path("/tmp/student-runs"))
    t.add_argument("--minutes", type=float, default=7.0)
    t.add_argument("--variants", default="a,b,c,d")
    t.add_argument("--init-from", default="fast")
    t.add_argument("--device", default="cuda")
    args = parser.parse_args(argv)
    if args.cmd == "pack":
        from brushwork.weights import resolve_vgg16

        vgg16 = args.vgg16 or resolve_vgg16()
        print(pack(args.carry, args.data, vgg16, photos=args.photos, vangogh=args.vangogh, cezanne=args.cezanne))
        return 0
    names = args.variants.split(",")
    unknown = [n for n in names if n not in VARIANTS]
    if unknown:
        parser.error(f"--variants: unknown {unknown}; known: {sorted(VARIANTS)}")
    args.out.mkdir(parents=True, exist_ok=True)
    procs = {}
    for name in names:
        line = command(
            name, args.carry, args.runs / name, minutes=args.minutes, device=args.device, init_from=args.init_from
        )
        with open(args.out / f"{name}.log", "w") as log:
            procs[name] = subprocess.Popen(line, stdout=log, stderr=subprocess.STDOUT)
    codes = {name: proc.wait() for name, proc in procs.items()}
    for name in names:
        kept = "collected" if collect(args.runs / name, args.out / f"{name}.tar") else "no checkpoint"
        print(f"{name}: exit {codes[name]}, {kept} (log: {args.out / f'{name}.log'})")
    return 1 if any(codes.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
