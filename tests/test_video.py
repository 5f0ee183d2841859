"""``brushwork.video``: probe, decode, encode with audio, stylise frame by frame; tiny synthetic clips."""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import torch

from brushwork.errors import ConfigError, ImageError
from brushwork.video import is_video, probe, read_frames, stylize_video, write_video

av = pytest.importorskip("av")

#: Measured PSNR of the identity round trip (source decoded vs re-encoded at crf 18) is ~39.5 dB on this clip.
MIN_PSNR = 35.0


def _frame(i: int, h: int, w: int) -> np.ndarray:
    """A moving colour gradient, ``(h, w, 3)`` uint8."""
    y, x = np.mgrid[0:h, 0:w]
    return np.stack([(x * 5 + i * 20) % 256, (y * 7 + i * 10) % 256, ((x + y) * 3) % 256], -1).astype(np.uint8)


def make_clip(
    path: Path,
    *,
    frames: int = 5,
    size: tuple[int, int] = (32, 48),
    fps: Fraction = Fraction(12),
    audio: str | None = "aac",
    rotation: int | None = None,
) -> Path:
    """A synthetic H.264 clip (``size`` = (H, W)) with an optional 440 Hz mono audio track."""
    h, w = size
    with av.open(str(path), "w") as container:
        video = container.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = w, h, "yuv420p"
        video.codec_context.options = {"crf": "10"}
        if rotation is not None:
            video.set_display_rotation(rotation)
        sound = None
        if audio:
            sound = container.add_stream(audio, rate=16000)
            sound.codec_context.layout = "mono"
        for i in range(frames):
            frame = av.VideoFrame.from_ndarray(_frame(i, h, w), format="rgb24")
            frame.pts, frame.time_base = i, 1 / fps
            container.mux(video.encode(frame))
        container.mux(video.encode(None))
        if sound is not None:
            t = np.arange(int(16000 * frames / fps)) / 16000
            samples = (0.3 * np.sin(2 * math.pi * 440 * t) * 32767).astype(np.int16)[None]
            chunk = av.AudioFrame.from_ndarray(samples, format="s16", layout="mono")
            chunk.sample_rate, chunk.pts, chunk.time_base = 16000, 0, Fraction(1, 16000)
            container.mux(sound.encode(chunk))
            container.mux(sound.encode(None))
    return path


def _streams(path: Path) -> dict[str, str]:
    with av.open(str(path)) as container:
        return {s.type: s.codec_context.name for s in container.streams}


def _psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    mse = float(((a - b) ** 2).mean())
    return 10 * math.log10(1.0 / max(mse, 1e-12))


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    return make_clip(tmp_path / "clip.mp4")


def test_is_video_by_suffix() -> None:
    assert is_video("a.MP4") and is_video("b.mov") and is_video(Path("c.mkv")) and is_video("d.webm")
    assert not is_video("e.gif") and not is_video("f.png") and not is_video("noext")


def test_probe_and_read_frames(clip: Path) -> None:
    info = probe(clip)
    assert (info.frames, info.fps, info.width, info.height, info.has_audio) == (5, Fraction(12), 48, 32, True)
    frames = list(read_frames(clip))
    assert len(frames) == 5
    for f in frames:
        assert f.shape == (1, 3, 32, 48) and f.dtype == torch.float32 and f.min() >= 0 and f.max() <= 1
    expected = torch.from_numpy(_frame(2, 32, 48)).permute(2, 0, 1)[None].float() / 255
    assert _psnr(frames[2], expected) > MIN_PSNR


@pytest.mark.parametrize("count", [1, 5])
def test_identity_and_inverting_round_trips_keep_frames_size_fps_and_audio(tmp_path: Path, count: int) -> None:
    src = make_clip(tmp_path / "in.mp4", frames=count)
    source = torch.cat(list(read_frames(src)))
    for name, fn, expect in (
        ("same.mp4", lambda x: x, source),
        ("inverted.mp4", lambda x: 1 - x, 1 - source),
    ):
        stats = stylize_video(src, tmp_path / name, fn, progress=False)
        assert stats["frames"] == count and stats["seconds"] > 0 and stats["fps"] > 0
        info = probe(tmp_path / name)
        assert (info.frames, info.fps, info.width, info.height, info.has_audio) == (count, Fraction(12), 48, 32, True)
        assert _streams(tmp_path / name) == {"video": "h264", "audio": "aac"}
        out = torch.cat(list(read_frames(tmp_path / name)))
        assert out.shape == source.shape
        assert _psnr(out, expect) > MIN_PSNR, name
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.mp4", "inverted.mp4", "same.mp4"]  # no temp files


def test_pcm_audio_is_copied_and_audio_duration_kept(tmp_path: Path) -> None:
    src = make_clip(tmp_path / "in.mov", audio="pcm_s16le")
    stylize_video(src, tmp_path / "out.mkv", lambda x: x, progress=False)
    assert _streams(tmp_path / "out.mkv") == {"video": "h264", "audio": "pcm_s16le"}
    with av.open(str(tmp_path / "out.mkv")) as container:
        samples = sum(frame.samples for frame in container.decode(audio=0))
    assert samples == int(16000 * 5 / 12)


def test_audio_the_container_cannot_hold_is_reencoded(tmp_path: Path) -> None:
    src = make_clip(tmp_path / "in.mkv", audio="pcm_u8")  # MP4 cannot hold 8-bit PCM: AAC instead
    stylize_video(src, tmp_path / "out.mp4", lambda x: x, progress=False)
    assert _streams(tmp_path / "out.mp4") == {"video": "h264", "audio": "aac"}
    with av.open(str(tmp_path / "out.mp4")) as container:
        audio = np.concatenate([frame.to_ndarray().reshape(-1) for frame in container.decode(audio=0)])
    assert len(audio) >= int(16000 * 5 / 12) and 0.2 < np.abs(audio).max() < 0.5  # the 0.3-amplitude tone
    stylize_video(src, tmp_path / "out.webm", lambda x: x, progress=False)  # WebM: VP9 + Opus
    assert _streams(tmp_path / "out.webm") == {"video": "vp9", "audio": "opus"}
    assert len(list(read_frames(tmp_path / "out.webm"))) == 5


def test_video_without_audio(tmp_path: Path) -> None:
    src = make_clip(tmp_path / "silent.mp4", audio=None)
    stylize_video(src, tmp_path / "out.mp4", lambda x: x, progress=False)
    assert _streams(tmp_path / "out.mp4") == {"video": "h264"}


def test_temporal_blend_mode_is_a_moving_average_of_outputs(tmp_path: Path, clip: Path) -> None:
    levels = iter([0.0, 1.0, 1.0, 0.0, 0.0])

    def flat(x: torch.Tensor) -> torch.Tensor:
        return torch.full_like(x, next(levels))

    stylize_video(clip, tmp_path / "out.mp4", flat, temporal=0.5, temporal_mode="blend", progress=False)
    means = [float(f.mean()) for f in read_frames(tmp_path / "out.mp4")]
    assert means == pytest.approx([0.0, 0.5, 0.75, 0.375, 0.1875], abs=0.01)
    with pytest.raises(ConfigError, match="temporal"):
        stylize_video(clip, tmp_path / "x.mp4", flat, temporal=1.0, progress=False)


def test_write_video_pads_odd_sizes_and_keeps_fractional_fps(tmp_path: Path) -> None:
    frames = [torch.rand(1, 3, 31, 47) for _ in range(3)]
    out = write_video(frames, tmp_path / "odd.mp4", fps=Fraction(30000, 1001))
    info = probe(out)
    assert (info.frames, info.fps, info.width, info.height) == (3, Fraction(30000, 1001), 48, 32)
    with pytest.raises(ConfigError, match="same size"):
        write_video([torch.rand(1, 3, 8, 8), torch.rand(1, 3, 8, 10)], tmp_path / "bad.mp4", fps=10)
    with pytest.raises(ConfigError, match="no frames"):
        write_video([], tmp_path / "none.mp4", fps=10)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["odd.mp4"]


def test_rotation_metadata_is_applied(tmp_path: Path) -> None:
    src = make_clip(tmp_path / "rot.mp4", audio=None, rotation=90)
    info = probe(src)
    assert (info.width, info.height, info.rotation) == (32, 48, 90)
    frame = next(read_frames(src))
    stored = torch.from_numpy(_frame(0, 32, 48)).permute(2, 0, 1)[None].float() / 255
    assert frame.shape == (1, 3, 48, 32)
    assert _psnr(frame, torch.rot90(stored, 1, dims=(2, 3))) > MIN_PSNR  # 90° counter-clockwise


def test_failure_midway_leaves_nothing_behind(tmp_path: Path, clip: Path) -> None:
    def boom(x: torch.Tensor, seen: list[int] = []) -> torch.Tensor:  # noqa: B006
        seen.append(1)
        if len(seen) == 3:
            raise RuntimeError("frame_fn failed")
        return x

    with pytest.raises(RuntimeError, match="frame_fn failed"):
        stylize_video(clip, tmp_path / "out.mp4", boom, progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.mp4"]


def test_bad_inputs_are_one_line_image_errors(tmp_path: Path, clip: Path) -> None:
    data = clip.read_bytes()
    (tmp_path / "truncated.mp4").write_bytes(data[: len(data) // 2])
    (tmp_path / "garbage.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 8)
    (tmp_path / "empty.mov").write_bytes(b"")
    from PIL import Image

    Image.new("RGB", (8, 8)).save(tmp_path / "still.png")
    for name in ("truncated.mp4", "garbage.mp4", "empty.mov", "still.png", "missing.mp4"):
        with pytest.raises(ImageError) as info:
            probe(tmp_path / name)
        message = str(info.value)
        assert name in message and "\n" not in message
        with pytest.raises(ImageError, match=name.replace(".", r"\.")):
            stylize_video(tmp_path / name, tmp_path / "out.mp4", lambda x: x, progress=False)
    with pytest.raises(ImageError, match="refusing to overwrite"):
        stylize_video(clip, clip, lambda x: x, progress=False)
    assert not (tmp_path / "out.mp4").exists()
