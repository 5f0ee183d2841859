"""``brushwork.report``: JSON without NaN/inf, Markdown tables, contact sheet and trade-off plot files."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from brushwork.api.evaluate import EvaluationReport, PairResult, RunResult
from brushwork.report import CELL, contact_sheet, json_safe, markdown, write_report


def _run(label: str, strength: float, *, score: float | None, styled: bool = True) -> RunResult:
    styles = ("s0.png", "s1.png") if styled else (None,)
    pairs = tuple(
        PairResult(c, s, 0.9 - strength / 10, 0.8, math.inf if strength == 0 else 20.0, 0.1 * strength, 5.0, 1.0, 0.5)
        for c in ("c0.png", "c1.png")
        for s in styles
    )
    means = {"ssim": 0.9 - strength / 10, "psnr": math.inf, "content_distance": 0.1 * strength, "gram_distance": 5.0}
    return RunResult(
        label=label,
        group=label.split(" ", maxsplit=1)[0],
        method="gatys" if styled else "cyclegan",
        settings={"steps": 3, "layers": ("relu1_1", "relu2_1")},
        sweep={"strength": strength} if styled else {},
        pairs=pairs,
        means=means,
        stds={"ssim": math.nan},
        frechet_distance=None if score is None else 0.5,
        kernel_distance=None if score is None else {"mean": 0.01, "std": math.nan, "subsets": 100, "subset_size": 2},
        combined_score=score,
        style_frechet_distance=None if score is None or not styled else 0.3,
        performance={"seconds_per_image": 0.25, "peak_rss_mib": 300.0, "images": len(pairs)},
        discriminator=None if styled else {"overall": 0.6, "real": 0.7, "fake": 0.5, "n_real": 3, "n_fake": 2},
        notes=("a note",) if score is None else (),
        outputs={(p.content, p.style): torch.rand(1, 3, 24, 32) for p in pairs},
    )


@pytest.fixture
def report() -> EvaluationReport:
    runs = (
        _run("gatys strength=0", 0, score=1.2),
        _run("gatys strength=2", 2, score=1.5),
        _run("cyclegan:model=m", 1, score=None, styled=False),
    )
    thumbs = {
        "content": {"c0.png": torch.rand(1, 3, 30, 40), "c1.png": torch.rand(1, 3, 40, 30)},
        "style": {"s0.png": torch.rand(1, 3, 20, 20), "s1.png": torch.rand(1, 3, 20, 20)},
    }
    return EvaluationReport(
        runs=runs,
        settings={"size": 32, "seed": 0, "sweep": {"strength": [0, 2]}, "runs": []},
        inputs={"content": [{}, {}], "style": [{}, {}], "real_art": [{}], "models": [], "skipped": {"x.jpg": "bad"}},
        environment={"brushwork": "0", "packages": {"torch": "2"}, "device": "cpu"},
        caveats=("small sets",),
        thumbnails=thumbs,
    )


def test_json_safe_turns_non_finite_numbers_into_null_and_containers_into_lists() -> None:
    data = {"a": math.inf, "b": [math.nan, 1.5, (2, "x")], "c": np.float32(0.5), "d": torch.tensor(3), "p": Path("/x")}
    assert json_safe(data) == {"a": None, "b": [None, 1.5, [2, "x"]], "c": 0.5, "d": 3, "p": "/x"}
    assert json_safe({"t": True, "n": None}) == {"t": True, "n": None}


def test_write_report_files_open(report: EvaluationReport, tmp_path: Path) -> None:
    files = write_report(report, tmp_path / "rep")
    assert sorted(p.name for p in files.values()) == ["contact_sheet.png", "metrics.json", "report.md", "tradeoff.png"]

    def no_constants(name: str) -> None:
        raise AssertionError(f"non-standard JSON constant {name}")

    data = json.loads(files["metrics"].read_text(), parse_constant=no_constants)
    assert data["ranking"] == ["gatys strength=0", "gatys strength=2", "cyclegan:model=m"]
    assert data["runs"][0]["means"]["psnr"] is None and data["runs"][0]["pairs"][0]["psnr"] is None
    assert data["runs"][2]["combined_score"] is None
    for name in ("contact_sheet", "tradeoff"):
        with Image.open(files[name]) as img:
            img.load()
            assert img.width > 200 and img.height > 100
    text = files["report"].read_text()
    assert "![contact sheet](contact_sheet.png)" in text and "![tradeoff](tradeoff.png)" in text
    assert "| # | run | images | SSIM ↑" in text and "- small sets" in text and "- skipped x.jpg: bad" in text


def test_markdown_keeps_the_given_ranking_and_formats_missing_values(report: EvaluationReport) -> None:
    text = markdown(json_safe(report.as_dict()))
    summary = text[text.index("## Summary") : text.index("## `")]
    rows = [line for line in summary.splitlines() if line.startswith("| ") and line[2].isdigit()]
    assert [row.split(" | ")[1] for row in rows] == ["`gatys strength=0`", "`gatys strength=2`", "`cyclegan:model=m`"]
    assert "| ∞ |" not in rows[0] and "| — |" in rows[0]  # inf PSNR after json_safe is null -> "—"
    assert "60.0%" in rows[2] and "Discriminator accuracy: 60.00% overall" in text
    assert "- note: a note" in text and "Settings: steps=3, layers=relu1_1, relu2_1" in text
    assert text.count("| content | style | SSIM |") == 3


def test_contact_sheet_has_a_row_per_pair_and_a_column_per_run(report: EvaluationReport) -> None:
    sheet = contact_sheet(report, max_rows=3)
    columns = 2 + len(report.runs)  # content, style, one per run
    assert sheet.width == 4 + columns * (CELL + 4)
    assert sheet.height > 3 * CELL and sheet.height < 4 * CELL + 100
    pixels = np.asarray(sheet)
    cell = pixels[30 : 30 + CELL, 4 + 4 * (CELL + 4) : 4 + 5 * (CELL + 4) - 4]  # cyclegan's column, first row
    assert cell.std() > 10  # its (content, None) output is shown beside the styled rows


def test_sheet_titles_drop_folders_and_break_long_labels() -> None:
    from PIL import ImageDraw

    from brushwork.report import _font, _title_lines

    draw, font = ImageDraw.Draw(Image.new("RGB", (1, 1))), _font()
    assert _title_lines("cyclegan:model=/a/b/new_60", CELL, draw, font) == ["cyclegan:model=new_60"]
    lines = _title_lines("cyclegan:model=/runs/adapt/cezanne_60min,strength=1.5", CELL, draw, font)
    assert lines == ["cyclegan:model=cezanne_60min,", "strength=1.5"]
    assert all(draw.textlength(line, font=font) <= CELL for line in lines)


def test_a_report_saved_before_the_photo_hold_still_renders(report: EvaluationReport) -> None:
    data = json_safe(report.as_dict())
    for run in data["runs"]:
        for key in ("luma_hold", "chroma_hold"):
            run["means"].pop(key, None)
            for pair in run["pairs"]:
                pair.pop(key, None)
    text = markdown(data)
    assert "luma hold" in text and text.count("| content | style | SSIM |") == 3
