"""Held-out photos at full resolution for the blind test of issue 14 (``bench/blind_ab.py make --full-size``).

The vangogh2photo photos are 256 px and the ``content/`` photos are in the student's training set, so session 43
took eight photographs no model or person on the team had used from two Debian packages (bookworm, the registry
this project may reach; desktop wallpapers under free licences: KDE's LGPL/CC-BY-SA, MATE's GPL-2+). Nothing is
downloaded here; fetch and unpack the packages once, then write the photos::

    apt-get download plasma-workspace-wallpapers=4:5.27.5-2 mate-backgrounds=1.26.0-1
    for f in *.deb; do dpkg -x "$f" wallpapers; done
    .venv/bin/python bench/hd_photos.py wallpapers out/photos_hd            # 1920-px long side
    .venv/bin/python bench/hd_photos.py wallpapers out/photos_2k --side 2560            # the originals
    .venv/bin/python bench/hd_photos.py wallpapers out/photos_1k --side 1024
    .venv/bin/python bench/hd_photos.py wallpapers out/confirm_1440 --side 1440 --set confirm
    .venv/bin/python bench/hd_photos.py wallpapers out/fresh_1440 --side 1440 --set fresh

(Session 43's 1024-px set was shrunk from the 1920-px PNGs instead, a few grey levels from these.)

Keep them out of the repository (their licences differ from the project's) and out of training.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from PIL import Image

#: name → the photo's path inside the unpacked packages.
PHOTOS = {
    "bythewater": "usr/share/wallpapers/BytheWater/contents/images/2560x1600.jpg",
    "colorfulcups": "usr/share/wallpapers/ColorfulCups/contents/images/2560x1600.jpg",
    "dune": "usr/share/backgrounds/mate/nature/Dune.jpg",
    "eveningglow": "usr/share/wallpapers/EveningGlow/contents/images/2560x1600.jpg",
    "garden": "usr/share/backgrounds/mate/nature/Garden.jpg",
    "grey": "usr/share/wallpapers/Grey/contents/images/2560x1600.jpg",
    "path": "usr/share/wallpapers/Path/contents/images/2560x1600.jpg",
    "storm": "usr/share/backgrounds/mate/nature/Storm.jpg",
}
#: A second set, not used to choose anything: it confirms what the first chose (``--set confirm``).
CONFIRM = {
    "coldripple": "usr/share/wallpapers/ColdRipple/contents/images/2560x1600.jpg",
    "darkesthour": "usr/share/wallpapers/DarkestHour/contents/images/2560x1600.jpg",
    "fallenleaf": "usr/share/wallpapers/FallenLeaf/contents/images/2560x1600.jpg",
    "ladybird": "usr/share/backgrounds/mate/nature/LadyBird.jpg",
    "summer_1am": "usr/share/wallpapers/summer_1am/contents/images/2560x1600.jpg",
    "twowings": "usr/share/backgrounds/mate/nature/TwoWings.jpg",
}
#: A third set (session 48), for what the first two chose: the packages' other photographs (their renders left out).
FRESH = {
    "aqua": "usr/share/backgrounds/mate/nature/Aqua.jpg",
    "blinds": "usr/share/backgrounds/mate/nature/Blinds.jpg",
    "freshflower": "usr/share/backgrounds/mate/nature/FreshFlower.jpg",
    "greenmeadow": "usr/share/backgrounds/mate/nature/GreenMeadow.jpg",
    "kite": "usr/share/wallpapers/Kite/contents/images/2560x1440.jpg",
    "onestandsout": "usr/share/wallpapers/OneStandsOut/contents/images/2560x1440.jpg",
    "raindrops": "usr/share/backgrounds/mate/nature/RainDrops.jpg",
    "wood": "usr/share/backgrounds/mate/nature/Wood.jpg",
    "yellowflower": "usr/share/backgrounds/mate/nature/YellowFlower.jpg",
}
SETS = {"first": PHOTOS, "confirm": CONFIRM, "fresh": FRESH}


def write_photos(root: Path, out: Path, side: int, photos: dict[str, str] = PHOTOS) -> list[Path]:
    """Each of ``photos`` (:data:`PHOTOS`, :data:`CONFIRM` or :data:`FRESH`) from the unpacked ``root``, shrunk
    (Lanczos) to a ``side``-px long side if larger, as PNG in ``out``; ``SystemExit`` naming a photo that is missing."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, rel in photos.items():
        src = root / rel
        if not src.is_file():
            raise SystemExit(f"{src}: missing (unpack plasma-workspace-wallpapers and mate-backgrounds into {root})")
        with Image.open(src) as img:
            photo = img.convert("RGB")
        scale = side / max(photo.size)
        if scale < 1:
            photo = photo.resize((round(photo.width * scale), round(photo.height * scale)), Image.LANCZOS)
        photo.save(out / f"{name}.png")
        written.append(out / f"{name}.png")
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path, help="the folder the two packages were unpacked into")
    parser.add_argument("out", type=Path)
    parser.add_argument("--side", type=int, default=1920, help="long side (px); larger photos are shrunk to it")
    parser.add_argument("--set", choices=sorted(SETS), default="first", help="which photos (default: first)")
    args = parser.parse_args()
    for path in write_photos(args.root, args.out, args.side, SETS[args.set]):
        print(path)


if __name__ == "__main__":
    main()
