"""Evaluation report files: ``metrics.json``, ``report.md``, ``contact_sheet.png`` and ``tradeoff.png``.

Works on any report object with ``as_dict()`` (plain data, see :class:`brushwork.api.evaluate.EvaluationReport`)
and ``thumbnails`` / per-run ``outputs`` images; nothing here runs a method or a network.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import torch
from PIL import Image, ImageDraw, ImageFont, ImageOps

__all__ = ["contact_sheet", "json_safe", "markdown", "tradeoff_plot", "write_json", "write_report"]

#: (key in a run's ``means``, column title, format) of the per-run summary table.
SUMMARY_COLUMNS = (
    ("ssim", "SSIM ↑", ".3f"),
    ("ssim_luminance", "SSIM-Y ↑", ".3f"),
    ("psnr", "PSNR dB ↑", ".2f"),
    ("content_distance", "content dist ↓", ".4f"),
    ("gram_distance", "Gram dist ↓", ".4g"),
    ("mean_std_distance", "mean/std dist ↓", ".4g"),
    ("luma_hold", "luma hold", ".3f"),
    ("chroma_hold", "chroma hold", ".3f"),
)
CELL, LABEL_H, PAD = 160, 14, 4


class _Report(Protocol):
    runs: Sequence[Any]
    thumbnails: Mapping[str, Mapping[str, torch.Tensor]]

    def as_dict(self) -> dict[str, Any]: ...


def json_safe(value: Any) -> Any:
    """Plain JSON data: inf/NaN -> None, tuples -> lists, paths -> str, numpy/torch scalars -> Python numbers."""
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, int | float):  # numpy or torch scalar
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    return value if value is None or isinstance(value, str | int) else str(value)


def write_json(data: Any, path: str | os.PathLike[str]) -> Path:
    """``json_safe(data)`` as indented JSON (strict: no NaN/Infinity tokens)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(json_safe(data), indent=2, allow_nan=False, ensure_ascii=False) + "\n")
    return path


def _fmt(value: Any, spec: str = ".4g") -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—" if value is None or math.isnan(value) else ("∞" if value > 0 else "-∞")
    return format(value, spec) if isinstance(value, int | float) else str(value)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    def esc(cell: str) -> str:
        return cell.replace("|", "\\|")

    lines = ["| " + " | ".join(map(esc, header)) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return lines + ["| " + " | ".join(map(esc, row)) + " |" for row in rows]


def _summary_rows(runs: Sequence[Mapping[str, Any]]) -> list[list[str]]:
    rows = []
    for rank, run in enumerate(runs, 1):
        perf, kd, kid = run["performance"], run.get("kernel_distance"), run.get("kid_ratio")
        rows.append(
            [
                str(rank),
                f"`{run['label']}`",
                str(len(run["pairs"])),
                *(_fmt(run["means"].get(key), spec) for key, _, spec in SUMMARY_COLUMNS),
                _fmt(run.get("style_frechet_distance")),
                _fmt(run.get("frechet_distance")),
                "—" if kd is None else f"{_fmt(kd['mean'])} ± {_fmt(kd['std'], '.2g')}",
                _fmt(run.get("combined_score"), ".4f"),
                "—" if kid is None else _fmt(kid["ratio"], ".3f"),
                _fmt_accuracy(run),
                _fmt(perf.get("seconds_per_image"), ".3g"),
                _fmt(perf.get("peak_rss_mib"), ".0f"),
            ]
        )
    return rows


def _fmt_accuracy(run: Mapping[str, Any]) -> str:
    """Discriminator accuracy, "absent" for a CycleGAN model without its discriminator (a slim export)."""
    disc = run.get("discriminator")
    if disc is not None:
        return f"{disc['overall']:.1%}"
    return "absent" if run.get("method") == "cyclegan" else "—"


def _kid_line(kid: Mapping[str, Any]) -> str:
    return (
        f"{_fmt(kid['ratio'], '.3f')} (KID outputs {_fmt(kid['kid_outputs'])} ± {_fmt(kid['kid_outputs_std'], '.2g')}"
        f" vs photos {_fmt(kid['kid_photos'])} ± {_fmt(kid['kid_photos_std'], '.2g')}; {kid['n']} photos, "
        f"{kid['n_real']} real, {kid['subsets']} subsets of {kid['subset_size']})"
    )


def markdown(data: Mapping[str, Any], *, images: Sequence[str] = ()) -> str:
    """The Markdown report: summary table (sorted, best first), one table per run, settings, caveats."""
    runs = data["runs"]
    lines = ["# brushwork evaluation", ""]
    lines += [f"![{Path(name).stem.replace('_', ' ')}]({name})" for name in images] + [""]
    lines += ["## Summary (sorted by combined score, lower is better)", ""]
    header = ["#", "run", "images", *(title for _, title, _ in SUMMARY_COLUMNS)]
    header += [
        "style Fréchet (patches) ↓",
        "Fréchet to real art ↓",
        "kernel dist ↓",
        "combined ↓",
        "KID ratio ↓",
        "D acc. (50% ideal)",
        "s/img",
        "peak RSS MiB",
    ]
    lines += [*_table(header, _summary_rows(runs)), ""]
    reference = data.get("kid_reference")
    if reference:
        lines += [
            f"KID ratio reference, the photos through a {_fmt(reference['amount'], 'g')}× sharpen filter: "
            + _kid_line(reference)
            + ". KID ratio = KID(outputs, real art) ÷ KID(photos, real art), same subsets: 1 = the photos, lower = "
            "closer to the real art.",
            "",
        ]
    lines += [
        "Combined = (1 + content dist) × (1 + style Fréchet), after ArtFID: the style factor compares the outputs'"
        " per-position relu3_3 features with the style images' (SIFID-style), for every run of the table alike;"
        " without style images, the whole-image features with the real art. All distances use this project's VGG16,"
        " not Inception: they are not FID/ArtFID.",
        "",
    ]
    for run in runs:
        lines += [f"## `{run['label']}`", "", "Settings: " + _fmt_settings(run["settings"]), ""]
        pairs = sorted(run["pairs"], key=lambda p: (p["content"], p["style"] or ""))
        pair_header = [
            "content",
            "style",
            "SSIM",
            "SSIM-Y",
            "PSNR",
            "content dist",
            "Gram",
            "mean/std",
            "luma hold",
            "chroma hold",
            "s",
        ]
        rows = [
            [
                p["content"],
                p["style"] or "—",
                _fmt(p["ssim"], ".3f"),
                _fmt(p["ssim_luminance"], ".3f"),
                _fmt(p["psnr"], ".2f"),
                _fmt(p["content_distance"], ".4f"),
                _fmt(p["gram_distance"]),
                _fmt(p["mean_std_distance"]),
                _fmt(p.get("luma_hold", math.nan), ".3f"),
                _fmt(p.get("chroma_hold", math.nan), ".3f"),
                _fmt(p["seconds"], ".3g"),
            ]
            for p in pairs
        ]
        lines += [*_table(pair_header, rows), ""]
        if run.get("kid_ratio"):
            lines += [f"KID ratio: {_kid_line(run['kid_ratio'])}.", ""]
        disc = run.get("discriminator")
        if disc:
            lines += [
                f"Discriminator accuracy: {disc['overall']:.2%} overall (real {disc['real']:.2%} of "
                f"{disc['n_real']}, generated {disc['fake']:.2%} of {disc['n_fake']}); 50 % is ideal.",
                "",
            ]
        lines += [f"- note: {note}" for note in run.get("notes", ())]
        lines += [""] if run.get("notes") else []
    settings = {k: v for k, v in data["settings"].items() if k != "runs"}
    inputs = data["inputs"]
    lines += ["## Settings", ""] + [f"- {k}: {_fmt_value(v)}" for k, v in settings.items()] + [""]
    counts = ", ".join(f"{len(inputs[k])} {k.replace('_', ' ')}" for k in ("content", "style", "real_art"))
    lines += ["## Inputs", "", f"{counts} image(s); sha256 of every file in metrics.json.", ""]
    if inputs.get("skipped"):
        lines += [f"- skipped {path}: {why}" for path, why in inputs["skipped"].items()] + [""]
    env = data["environment"]
    packages = ", ".join(f"{k} {v}" for k, v in env.get("packages", {}).items() if v)
    lines += ["## Environment", "", f"brushwork {env.get('brushwork')}, Python {env.get('python')}, {packages}; "]
    lines[-1] += f"{env.get('device')}, {env.get('torch_threads')} threads; {env.get('platform')}."
    lines += ["", "## Caveats", ""] + [f"- {c}" for c in data["caveats"]] + [""]
    return "\n".join(lines)


def _fmt_value(value: Any) -> str:
    if isinstance(value, Mapping):
        return _fmt_settings(value) if value else "none"
    if isinstance(value, list | tuple):
        return ", ".join(_fmt_value(v) for v in value)
    return str(value)


def _fmt_settings(settings: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={_fmt_value(v)}" for k, v in settings.items()) or "defaults"


def _font() -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    return ImageFont.load_default()


def _fit(text: str, width: int, draw: ImageDraw.ImageDraw, font: Any) -> str:
    if draw.textlength(text, font=font) <= width:
        return text
    while text and draw.textlength(text + "…", font=font) > width:
        text = text[:-1]
    return text + "…"


def _title_lines(title: str, width: int, draw: ImageDraw.ImageDraw, font: Any) -> list[str]:
    """A run's label over its column: folders dropped from path values (``model=/runs/a/m,strength=2`` →
    ``model=m,strength=2``), then on two lines, broken after a ``,`` or ``:``, where one is too short."""
    short = re.sub(r"=(?:[^,=]*/)+", "=", title)
    if draw.textlength(short, font=font) <= width:
        return [short]
    breaks = [i + 1 for i, ch in enumerate(short) if ch in ",:" and draw.textlength(short[: i + 1], font=font) <= width]
    if not breaks:
        return [_fit(short, width, draw, font)]
    return [short[: breaks[-1]], _fit(short[breaks[-1] :], width, draw, font)]


def _paste(sheet: Image.Image, image: torch.Tensor | None, x: int, y: int) -> None:
    from brushwork.imageio import to_pil

    if image is None:
        return
    pil = ImageOps.contain(to_pil(image), (CELL, CELL), method=Image.Resampling.LANCZOS)
    sheet.paste(pil, (x + (CELL - pil.width) // 2, y + (CELL - pil.height) // 2))


def _sheet_rows(runs: Sequence[Any], max_rows: int) -> list[tuple[str, str | None]]:
    """Distinct (content, style) pairs in run order; (content, None) only where no run has a style."""
    rows: dict[tuple[str, str | None], None] = {}
    styled = any(p.style is not None for r in runs for p in r.pairs)
    for run in runs:
        for p in run.pairs:
            if p.style is not None or not styled:
                rows.setdefault((p.content, p.style))
    return list(rows)[:max_rows]


def contact_sheet(report: _Report, *, max_rows: int = 12, max_runs: int = 6) -> Image.Image:
    """Rows ``content | style | output of each run`` (best runs first), labelled, for the first pairs."""
    runs = list(report.runs)[:max_runs]
    rows = _sheet_rows(runs, max_rows)
    has_style = any(s is not None for _, s in rows)
    titles = ["content", *(["style"] if has_style else []), *(r.label for r in runs)]
    width = PAD + len(titles) * (CELL + PAD)
    draw, font = ImageDraw.Draw(Image.new("RGB", (1, 1))), _font()
    title_lines = [_title_lines(title, CELL, draw, font) for title in titles]
    top = PAD + LABEL_H * max(len(lines) for lines in title_lines)
    height = top + max(len(rows), 1) * (CELL + LABEL_H + PAD)
    sheet = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(sheet)
    for col, lines in enumerate(title_lines):
        for i, line in enumerate(lines):
            draw.text((PAD + col * (CELL + PAD), PAD + i * LABEL_H), line, fill="black", font=font)
    for row, (c_name, s_name) in enumerate(rows):
        y = top + row * (CELL + LABEL_H + PAD)
        cells: list[tuple[torch.Tensor | None, str]] = [(report.thumbnails["content"].get(c_name), c_name)]
        if has_style:
            cells.append((report.thumbnails.get("style", {}).get(s_name or ""), s_name or "—"))
        for run in runs:
            key = (c_name, s_name) if (c_name, s_name) in run.outputs else (c_name, None)
            pair = next((p for p in run.pairs if (p.content, p.style) == key), None)
            label = "" if pair is None else f"SSIM {pair.ssim:.2f}  dist {pair.content_distance:.3f}"
            cells.append((run.outputs.get(key), label))
        for col, (image, label) in enumerate(cells):
            x = PAD + col * (CELL + PAD)
            _paste(sheet, image, x, y)
            draw.text((x, y + CELL + 1), _fit(label, CELL, draw, font), fill="black", font=font)
    return sheet


def tradeoff_plot(data: Mapping[str, Any], path: str | os.PathLike[str]) -> Path:
    """Content vs style trade-off: content distance vs Gram distance, and SSIM vs Fréchet distance, per run.

    Runs of one spec swept over a setting (``--sweep strength=...``) are joined by a line, labelled by value.
    """
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    groups: dict[str, list[Mapping[str, Any]]] = {}
    for run in data["runs"]:
        groups.setdefault(run["group"], []).append(run)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5), constrained_layout=True)
    panels = (
        (axes[0], "content_distance", "gram_distance", "content distance (lower = closer to content)",
         "Gram style distance (lower = closer to style)"),
        (axes[1], "ssim", "frechet_distance", "SSIM with content (higher = more content kept)",
         "Fréchet distance to real art (VGG16)"),
    )  # fmt: skip
    for ax, x_key, y_key, x_label, y_label in panels:
        for name, runs in groups.items():
            runs = sorted(runs, key=lambda r: tuple(map(_sort_key, r["sweep"].values())))
            points = [(_number(r, x_key), _number(r, y_key), r) for r in runs]
            points = [(x, y, r) for x, y, r in points if _finite(x) and _finite(y)]
            if not points:
                continue
            xs, ys = [p[0] for p in points], [p[1] for p in points]
            ax.plot(xs, ys, marker="o", label=name, linestyle="-" if len(points) > 1 else "none")
            for x, y, r in points:
                if r["sweep"]:
                    ax.annotate(",".join(f"{v}" for v in r["sweep"].values()), (x, y), fontsize=8,
                                xytext=(4, 4), textcoords="offset points")  # fmt: skip
        ax.set_xlabel(x_label)
        ax.set_ylabel(y_label)
        ax.grid(alpha=0.3)
    if any(_finite(r["means"].get("gram_distance")) and r["means"]["gram_distance"] > 0 for r in data["runs"]):
        axes[0].set_yscale("log")
    axes[0].legend(fontsize=8)
    axes[0].set_title("content vs style trade-off")
    axes[1].set_title("content vs realism")
    path = Path(path)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def _number(run: Mapping[str, Any], key: str) -> Any:
    """A run's mean of a per-pair metric, or its set-level number (``frechet_distance``, ``combined_score``)."""
    return run["means"][key] if key in run["means"] else run.get(key)


def _sort_key(value: Any) -> tuple[float, str]:
    return (float(value), "") if _finite(value) else (math.inf, str(value))


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)


def write_report(report: _Report, out_dir: str | os.PathLike[str], *, max_rows: int = 12) -> dict[str, Path]:
    """Write ``metrics.json``, ``contact_sheet.png``, ``tradeoff.png`` and ``report.md`` into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    data = json_safe(report.as_dict())
    files = {"metrics": write_json(data, out / "metrics.json")}
    sheet = contact_sheet(report, max_rows=max_rows)
    sheet.save(out / "contact_sheet.png")
    files["contact_sheet"] = out / "contact_sheet.png"
    files["tradeoff"] = tradeoff_plot(data, out / "tradeoff.png")
    text = markdown(data, images=[files["contact_sheet"].name, files["tradeoff"].name])
    files["report"] = out / "report.md"
    files["report"].write_text(text)
    return files
