"""The CLI shell: help, version, one-line errors with exit 2 for every bad input file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from brushwork import __version__
from brushwork.cli import main

BAD = {
    "zero_bytes.jpg": "empty file",
    "text_named.jpg": "not an image",
    "truncated.jpg": "corrupt JPEG data",
    "corrupt_middle.jpg": "corrupt JPEG data",
    "bomb_900mp.png": "exceeds the pixel limit",
}
GOOD = {
    "jpeg_named.png": "600x400\topaque",
    "cmyk.jpg": "600x400\topaque",
    "gray16.png": "600x400\topaque",
    "palette_alpha.png": "600x400\talpha",
    "rgba.png": "600x400\talpha",
    "gray_alpha.png": "600x400\talpha",
    "exif_rotate90.jpg": "400x600\topaque",
    "tiny_1x1.png": "1x1\topaque",
    "animated.gif": "200x133\topaque",
    "multipage.tiff": "200x133\topaque",
    "photo.webp": "600x400\topaque",
}


def test_help_lists_the_subcommands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for command in ("info", "weights"):
        assert command in out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--version"])
    assert capsys.readouterr().out.strip() == f"brushwork {__version__}"


@pytest.mark.parametrize(("name", "message"), sorted(BAD.items()))
def test_bad_inputs_give_one_line_and_exit_2(
    shared_data: Path, capsys: pytest.CaptureFixture[str], name: str, message: str
) -> None:
    path = shared_data / "bad-inputs" / name
    assert main(["info", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("brushwork: error: ") and str(path) in err[0] and message in err[0]


@pytest.mark.parametrize(("name", "expected"), sorted(GOOD.items()))
def test_awkward_but_valid_inputs_load(
    shared_data: Path, capsys: pytest.CaptureFixture[str], name: str, expected: str
) -> None:
    assert main(["info", str(shared_data / "bad-inputs" / name)]) == 0
    assert capsys.readouterr().out.strip().endswith(expected)


def test_folder_reports_each_bad_file_and_keeps_going(shared_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info", str(shared_data / "bad-inputs")]) == 2
    captured = capsys.readouterr()
    assert len(captured.out.strip().splitlines()) == len(GOOD)
    assert len(captured.err.strip().splitlines()) == len(BAD)  # README.md is not an image suffix: not scanned


def test_empty_folder_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info", str(tmp_path)]) == 2
    assert "folder has no images" in capsys.readouterr().err


def test_weights_list(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["weights", "verify"]) == 0
    assert capsys.readouterr().out.startswith("vgg16\tok\t")


def test_console_script_runs_without_traceback(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "brushwork", "info", str(tmp_path / "missing.png")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"brushwork: error: {tmp_path / 'missing.png'}: no such file"


def test_a_torchrun_rank_ends_with_its_exit_code(tmp_path: Path) -> None:
    """Under ``torchrun`` (``WORLD_SIZE`` > 1) the command ends through ``exit_rank``: the same codes and output as
    a normal exit: ``--help`` (0), an unknown command (2), a missing file (2, named)."""
    env = {**os.environ, "WORLD_SIZE": "2"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        cmd = [sys.executable, "-m", "brushwork", *args]
        return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120, check=False)

    helped = run("--help")
    assert helped.returncode == 0 and "usage" in helped.stdout
    assert run("no-such-command").returncode == 2
    missing = run("info", str(tmp_path / "missing.jpg"))
    assert missing.returncode == 2 and "missing.jpg" in missing.stderr
