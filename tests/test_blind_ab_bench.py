"""bench/blind_ab.py: the blind panels' key, the viewers' answers and the win rates scored from them."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from PIL import Image

SCRIPT = Path(__file__).resolve().parents[1] / "bench" / "blind_ab.py"


@pytest.fixture(scope="module")
def blind(load_script):
    return load_script("bench/blind_ab.py")


def test_trials_cover_every_pair_and_opponent_with_ours_on_both_sides(blind):
    pairs = [(f"{i}.jpg", s) for i in range(6) for s in ("candy", "udnie", "feathers", "la_muse")]
    trials = blind.shuffled_trials(pairs, ["peer", "adain"], seed=3)
    assert [t["panel"] for t in trials] == list(range(48))
    assert Counter((t["photo"], t["style"], t["opponent"]) for t in trials) == Counter(
        {(p, s, o): 1 for p, s in pairs for o in ("peer", "adain")}
    )
    sides = Counter(t["ours"] for t in trials)
    assert sides["A"] > 10 and sides["B"] > 10  # not always on one side
    assert trials[:8] != sorted(trials[:8], key=lambda t: (t["photo"], t["style"]))  # shuffled
    assert trials == blind.shuffled_trials(pairs, ["peer", "adain"], seed=3)  # reproducible


def test_sign_test(blind):
    assert blind.sign_test(5, 5) == 1.0
    assert blind.sign_test(0, 0) == 1.0
    assert blind.sign_test(0, 10) == pytest.approx(2 / 1024)
    assert blind.sign_test(9, 39) == blind.sign_test(39, 9) < 1e-4


def test_score_counts_our_picks_per_opponent_viewer_and_style(blind):
    key = [
        {"panel": 0, "photo": "a", "style": "candy", "opponent": "peer", "ours": "A"},
        {"panel": 1, "photo": "a", "style": "candy", "opponent": "adain", "ours": "B"},
        {"panel": 2, "photo": "b", "style": "udnie", "opponent": "peer", "ours": "B"},
    ]
    viewers = {"v1": {0: ("A", 3), 1: ("A", 1), 2: ("A", 2)}, "v2": {0: ("B", 1), 1: ("B", 2), 2: ("B", 2)}}
    result = blind.score(key, viewers)
    assert result["peer"]["wins"] == 2 and result["peer"]["losses"] == 2  # v1 panel 0, v2 panel 2
    assert result["peer"]["confidence_weighted"] == [5, 3]
    assert result["peer"]["per_viewer"] == {"v1": [1, 1], "v2": [1, 1]}
    assert result["peer"]["per_style"] == {"candy": [1, 1], "udnie": [1, 1]}
    assert result["adain"]["wins"] == 1 and result["adain"]["win_rate"] == 0.5
    with pytest.raises(SystemExit, match="no answer for panels \\[2\\]"):
        blind.score(key, {"v3": {0: ("A", 1), 1: ("A", 1)}})


def test_read_answers_names_the_file_and_line_of_a_bad_row(blind, tmp_path):
    good = tmp_path / "v.csv"
    good.write_text("panel,choice,confidence,reason\n0,a,2,cleaner\n1,B,1,near tie\n")
    assert blind.read_answers(good) == {0: ("A", 2), 1: ("B", 1)}
    bad = tmp_path / "bad.csv"
    bad.write_text("panel,choice,confidence,reason\n0,A,2,x\n1,C,2,x\n")
    with pytest.raises(SystemExit, match=r"bad\.csv:3: expected"):
        blind.read_answers(bad)
    with pytest.raises(SystemExit, match=r"missing\.csv: cannot read"):
        blind.read_answers(tmp_path / "missing.csv")


def test_panel_shows_both_pictures_at_the_same_width(blind):
    photo, painting = Image.new("RGB", (64, 48), "red"), Image.new("RGB", (40, 80), "blue")
    a, b = Image.new("RGB", (64, 48), (0, 255, 0)), Image.new("RGB", (64, 48), (255, 255, 0))
    out = blind.panel(photo, painting, a, b)
    assert out.size == (blind.THUMB + 2 * blind.PANEL_SIDE + 16, 2 * blind.THUMB + 24)
    x_a, x_b = blind.THUMB + 8, blind.THUMB + 16 + blind.PANEL_SIDE
    assert out.getpixel((x_a + 10, 100)) == (0, 255, 0) and out.getpixel((x_b + 10, 100)) == (255, 255, 0)


def test_score_command_prints_and_writes_the_result(tmp_path):
    key = {
        "ours": "fast:fast",
        "trials": [{"panel": 0, "photo": "a", "style": "candy", "opponent": "peer", "ours": "B"}],
    }
    (tmp_path / "key.json").write_text(json.dumps(key))
    (tmp_path / "v.csv").write_text("panel,choice,confidence,reason\n0,B,2,clean\n")
    run = subprocess.run(
        [sys.executable, str(SCRIPT), "score", "--key", str(tmp_path / "key.json"), "--out", str(tmp_path / "r.json"),
         str(tmp_path / "v.csv")],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert "fast:fast vs peer: ours picked 1 / 1 (100%)" in run.stdout
    assert json.loads((tmp_path / "r.json").read_text())["opponents"]["peer"]["wins"] == 1


def test_full_size_panel_adds_each_pictures_centre_at_one_pixel_per_pixel(blind):
    photo, painting = Image.new("RGB", (64, 48), "red"), Image.new("RGB", (40, 80), "blue")
    a = Image.new("RGB", (1200, 800), (0, 255, 0))
    a.paste((255, 0, 255), (599, 399, 601, 401))  # a 2 × 2 dot at the centre
    b = Image.new("RGB", (1200, 800), (255, 255, 0))
    out = blind.panel(photo, painting, a, b, detail=True)
    crop = blind.centre_crop(a)
    assert crop.size == (blind.PANEL_SIDE, blind.PANEL_SIDE)
    assert crop.getpixel((256, 256)) == (255, 0, 255) and crop.getpixel((254, 254)) == (0, 255, 0)
    whole = max(round(blind.PANEL_SIDE * 800 / 1200), 2 * blind.THUMB)
    assert out.height == whole + 24 + blind.PANEL_SIDE + 24
    x_a, x_b = blind.THUMB + 8, blind.THUMB + 16 + blind.PANEL_SIDE
    assert out.getpixel((x_a + 256, whole + 48 + 256)) == (255, 0, 255)  # A's centre, unscaled
    assert out.getpixel((x_b + 10, whole + 100)) == (255, 255, 0)
    assert blind.centre_crop(Image.new("RGB", (300, 100))).size == (300, 100)  # smaller than a panel: whole


def test_photo_list_takes_files_and_folders_and_keeps_large_photos(blind, tmp_path):
    (tmp_path / "d").mkdir()
    Image.new("RGB", (800, 600)).save(tmp_path / "d" / "b_large.png")
    Image.new("RGB", (300, 200)).save(tmp_path / "d" / "a_small.png")
    (tmp_path / "d" / "notes.txt").write_text("not a photo")
    Image.new("RGB", (900, 900)).save(tmp_path / "one.jpg")
    sources = [tmp_path / "d", tmp_path / "one.jpg"]
    assert [p.name for p in blind.photo_list(sources)] == ["a_small.png", "b_large.png", "one.jpg"]
    assert [p.name for p in blind.photo_list(sources, min_side=760)] == ["b_large.png", "one.jpg"]
    with pytest.raises(SystemExit, match="nowhere: no such photo or folder"):
        blind.photo_list([tmp_path / "nowhere"])


def test_make_writes_the_working_scale_each_photo_was_painted_at(tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    Image.new("RGB", (256, 192), (30, 90, 160)).save(photos / "a.png")
    out, key = tmp_path / "panels", tmp_path / "key.json"
    cmd = [sys.executable, str(SCRIPT), "make", "--photos", str(photos), "--full-size", "--count", "1"]
    cmd += ["--ours", "fast:fast,work_scale=0.5", "--against", "fast:fast", "--threads", "1"]
    done = subprocess.run([*cmd, "--out", str(out), "--key", str(key)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    written = json.loads(key.read_text())
    assert written["work_scale"]["a.png"]["ours"] == pytest.approx(0.5, abs=0.02)
    assert written["work_scale"]["a.png"]["fast:fast"] == pytest.approx(0.875, abs=0.02)  # the model's own
    assert len(list(out.glob("panel_*.png"))) == len(written["trials"]) == 4
