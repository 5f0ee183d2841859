"""Video in and out with PyAV (FFmpeg): probe, decode to frames, encode H.264 with the source's audio, stylise.

Frames are the public image tensors, ``(1, 3, H, W)`` float32 RGB in [0, 1]. Decoding applies the stream's
rotation (display matrix: phone videos shot upright) so frames come out as they are meant to be seen.
Timing is taken as constant frame rate: frames are re-timed at the stream's average rate, which is exact for
the common constant-rate files and an approximation for variable-rate ones (the frame count is kept).

PyAV is imported inside the functions, so importing this module costs nothing.
"""

from __future__ import annotations

import itertools
import logging
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import torch

from brushwork.errors import ConfigError, ImageError

__all__ = [
    "TEMPORAL_MODES",
    "VIDEO_SUFFIXES",
    "VideoInfo",
    "check_same_kind",
    "check_temporal",
    "is_video",
    "output_suffix",
    "probe",
    "read_frames",
    "stylize_video",
    "write_video",
]

log = logging.getLogger(__name__)

#: Values of :func:`stylize_video`'s ``temporal_mode``.
TEMPORAL_MODES = ("flow", "blend")

#: File name endings treated as video (``.gif`` stays an image: its first frame).
VIDEO_SUFFIXES = frozenset({".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi"})


@dataclass(frozen=True)
class VideoInfo:
    """What :func:`probe` learns about a video file.

    Attributes:
        frames: frame count from the container, or duration × fps when the container does not say (an estimate).
        fps: average frame rate as a fraction (e.g. ``30000/1001``).
        width, height: size of the frames :func:`read_frames` yields (after rotation).
        has_audio: whether the file has an audio stream.
        rotation: counter-clockwise degrees (0, 90, 180, 270) that :func:`read_frames` applies.
        duration: seconds, or ``None`` when unknown.
    """

    path: Path
    frames: int
    fps: Fraction
    width: int
    height: int
    has_audio: bool
    rotation: int = 0
    duration: float | None = None


def is_video(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` names a video by its suffix (``.mp4 .m4v .mov .mkv .webm .avi``; not ``.gif``)."""
    return Path(path).suffix.lower() in VIDEO_SUFFIXES


def output_suffix(path: str | os.PathLike[str]) -> str:
    """The suffix a stylised copy of the video ``path`` gets: ``.webm`` stays WebM, everything else ``.mp4``."""
    return ".webm" if Path(path).suffix.lower() == ".webm" else ".mp4"


def check_temporal(temporal: float) -> None:
    """``temporal`` (see :func:`stylize_video`) must be in [0, 1); else a :class:`ConfigError`."""
    if not 0.0 <= temporal < 1.0:
        raise ConfigError(f"temporal {temporal}: must be in [0, 1)")


def check_same_kind(input: str | os.PathLike[str], output: str | os.PathLike[str]) -> None:
    """A video's output is a video and an image's an image; else a :class:`ConfigError` naming both."""
    if is_video(input) != is_video(output):
        kind = "a video" if is_video(input) else "an image"
        raise ConfigError(f"-o {output}: the input {Path(input).name} is {kind}, so must the output be")


def _reason(exc: BaseException) -> str:
    """The FFmpeg message without the ``[Errno N]`` prefix and file name, on one line."""
    text = getattr(exc, "strerror", None) or str(exc)
    return " ".join(str(text).split())


def _open_input(path: Path) -> Any:
    import av

    if not path.is_file():
        raise ImageError(f"{path}: no such file")
    try:
        container = av.open(str(path), mode="r")
    except (av.error.FFmpegError, OSError, UnicodeDecodeError) as exc:
        raise ImageError(f"{path}: not a readable video ({_reason(exc)})") from exc
    if container.format.name.endswith("_pipe") or container.format.name == "image2":
        container.close()
        raise ImageError(f"{path}: a still image ({container.format.name.removesuffix('_pipe')}), not a video")
    return container


def _video_stream(container: Any, path: Path) -> Any:
    if not container.streams.video:
        container.close()
        raise ImageError(f"{path}: has no video stream")
    return container.streams.video[0]


def _quarter_turns(rotation: float | int | None) -> int:
    return round((rotation or 0) / 90) % 4


def _frame_to_tensor(frame: Any, turns: int) -> torch.Tensor:
    """An ``av.VideoFrame`` → ``(1, 3, H, W)`` float32 RGB in [0, 1], rotated ``turns`` × 90° counter-clockwise."""
    rgb = torch.from_numpy(frame.to_ndarray(format="rgb24")).permute(2, 0, 1).unsqueeze(0)
    if turns:
        rgb = torch.rot90(rgb, turns, dims=(2, 3))
    return rgb.float().div_(255.0).contiguous()


def probe(path: str | os.PathLike[str]) -> VideoInfo:
    """Read a video's header and first frame; :class:`ImageError` for a missing, corrupt or non-video file."""
    import av

    path = Path(path)
    with _open_input(path) as container:
        stream = _video_stream(container, path)
        try:
            first = next(container.decode(stream), None)
        except av.error.FFmpegError as exc:
            raise ImageError(f"{path}: corrupt video ({_reason(exc)})") from exc
        if first is None:
            raise ImageError(f"{path}: video stream has no frames")
        rate = stream.average_rate or stream.guessed_rate or stream.base_rate
        if not rate:
            raise ImageError(f"{path}: video has no frame rate")
        fps = Fraction(rate)
        duration = None
        if stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            duration = container.duration / av.time_base
        frames = int(stream.frames or 0)
        if frames <= 0:
            frames = max(1, round(duration * fps)) if duration else 1
        turns = _quarter_turns(first.rotation)
        width, height = (first.height, first.width) if turns % 2 else (first.width, first.height)
        return VideoInfo(
            path=path,
            frames=frames,
            fps=fps,
            width=width,
            height=height,
            has_audio=bool(container.streams.audio),
            rotation=turns * 90,
            duration=duration,
        )


def read_frames(path: str | os.PathLike[str]) -> Iterator[torch.Tensor]:
    """Decode every frame of ``path`` as ``(1, 3, H, W)`` float32 RGB in [0, 1], rotation applied.

    The file is opened (and checked) when this is called; decoding is lazy. A stream that turns corrupt
    part-way raises :class:`ImageError` naming the file and the frame.
    """
    path = Path(path)
    container = _open_input(path)
    stream = _video_stream(container, path)
    stream.thread_type = "AUTO"
    return _decode(container, stream, path)


def _decode(container: Any, stream: Any, path: Path) -> Iterator[torch.Tensor]:
    import av

    index = 0
    with container:
        try:
            for frame in container.decode(stream):
                yield _frame_to_tensor(frame, _quarter_turns(frame.rotation))
                index += 1
        except av.error.FFmpegError as exc:
            raise ImageError(f"{path}: corrupt video at frame {index} ({_reason(exc)})") from exc


def _to_rgb24(frame: torch.Tensor, size: tuple[int, int] | None) -> Any:
    """``(1, 3, H, W)`` or ``(3, H, W)`` in [0, 1] → ``(H', W', 3)`` uint8 with H', W' padded to even (edge)."""
    if frame.ndim == 4 and frame.shape[0] == 1:
        frame = frame[0]
    if frame.ndim != 3 or frame.shape[0] != 3:
        raise ConfigError(f"video frames must be (1, 3, H, W) RGB, got {tuple(frame.shape)}")
    h, w = int(frame.shape[-2]), int(frame.shape[-1])
    if size is not None and (h, w) != size:
        raise ConfigError(f"video frames must all have the same size: got {w}x{h} after {size[1]}x{size[0]}")
    x = frame.detach().float().clamp(0, 1).mul(255).round().to(torch.uint8).cpu()
    if h % 2 or w % 2:
        x = torch.cat([x, x[:, -1:]], dim=1) if h % 2 else x
        x = torch.cat([x, x[:, :, -1:]], dim=2) if w % 2 else x
    return x.permute(1, 2, 0).contiguous().numpy()


class _AudioSource:
    """The audio stream of a file, as packets for an output container: copied when the container can hold
    the codec, otherwise decoded and re-encoded (AAC; Opus for WebM). Yields ``(seconds, packet)``.
    """

    def __init__(self, path: Path, output: Any, *, webm: bool) -> None:
        import av

        self.path = path
        self.input = _open_input(path)
        self.stream = self.input.streams.audio[0] if self.input.streams.audio else None
        self.out: Any = None
        self.copy = False
        self.offset = 0.0
        self._error = av.error.FFmpegError
        try:
            self._add_output(path, output, webm=webm)
        except BaseException:
            self.input.close()
            raise

    def _add_output(self, path: Path, output: Any, *, webm: bool) -> None:
        if self.stream is None:
            log.warning("%s: has no audio stream; the video is written without sound", path)
            return
        video = self.input.streams.video[0] if self.input.streams.video else None
        start = video.start_time if video is not None else None
        self.offset = float(start * video.time_base) if start is not None and video.time_base else 0.0
        codec = self.stream.codec_context.name
        if codec in output.supported_codecs:
            self.copy = True
            self.out = output.add_stream_from_template(self.stream)
        else:
            target = "libopus" if webm else "aac"
            log.info("%s: re-encoding %s audio to %s for this container", path, codec, target)
            rate = 48000 if webm else (self.stream.codec_context.sample_rate or 48000)
            self.out = output.add_stream(target, rate=rate)
            ctx = self.out.codec_context
            channels = self.stream.codec_context.channels or 2
            ctx.layout = "mono" if channels == 1 else "stereo"  # more channels are downmixed
            formats = ctx.codec.audio_formats
            if formats:
                ctx.format = formats[0].name

    def packets(self) -> Iterator[tuple[float, Any]]:
        if self.stream is None:
            return
        try:
            if self.copy:
                for packet in self.input.demux(self.stream):
                    if packet.dts is None or packet.pts is None:
                        continue
                    seconds = float(packet.pts * packet.time_base) - self.offset
                    if seconds < 0 and self.offset:
                        continue  # audio before the first video frame
                    if self.offset:
                        shift = round(self.offset / packet.time_base)
                        packet.pts -= shift
                        packet.dts -= shift
                    packet.stream = self.out
                    yield seconds, packet
            else:  # re-timed from 0 by the encoder (sample count), as the re-timed video frames are
                for frame in self.input.decode(self.stream):
                    frame.pts = None
                    for packet in self.out.encode(frame):
                        yield float(packet.pts * packet.time_base) if packet.pts is not None else 0.0, packet
                for packet in self.out.encode(None):
                    yield float(packet.pts * packet.time_base) if packet.pts is not None else 0.0, packet
        except self._error as exc:
            raise ImageError(f"{self.path}: cannot carry its audio over ({_reason(exc)})") from exc

    def close(self) -> None:
        self.input.close()


def _as_fraction(fps: Fraction | float | int) -> Fraction:
    rate = Fraction(fps).limit_denominator(100_000) if isinstance(fps, float) else Fraction(fps)
    if rate <= 0:
        raise ConfigError(f"fps {fps}: must be positive")
    return rate


def write_video(
    frames: Iterable[torch.Tensor],
    output: str | os.PathLike[str],
    *,
    fps: Fraction | float | int,
    audio_from: str | os.PathLike[str] | None = None,
    crf: int = 18,
) -> Path:
    """Encode ``frames`` (each ``(1, 3, H, W)`` RGB in [0, 1], all one size) to ``output``, atomically.

    H.264 (libx264, yuv420p, ``crf``: 0 lossless … 51 worst, 18 visually near-lossless) in MP4/MOV/MKV/AVI;
    VP9 for ``.webm``. Odd sizes are padded to even by repeating the last row/column (yuv420p needs even sizes).
    ``audio_from``: a file whose first audio stream is copied without re-encoding when the container can hold
    its codec, else re-encoded to AAC (Opus for WebM), interleaved with the frames. Frames are consumed lazily.

    Returns:
        ``output``. Written to a temporary file in the same folder, then renamed into place.
    """
    import av

    output = Path(output)
    suffix = output.suffix.lower()
    if suffix not in VIDEO_SUFFIXES:
        raise ConfigError(f"{output}: unsupported video format (use {', '.join(sorted(VIDEO_SUFFIXES))})")
    if not 0 <= crf <= 51:
        raise ConfigError(f"crf {crf}: must be between 0 and 51")
    rate = _as_fraction(fps)
    if audio_from is not None:
        from brushwork.imageio import guard_output

        guard_output(output, [audio_from])
    iterator = iter(frames)
    first = next(iterator, None)
    if first is None:
        raise ConfigError(f"{output}: no frames to write")
    output.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{output.stem}.", suffix=f".tmp{output.suffix}", dir=output.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    audio: _AudioSource | None = None
    try:
        with av.open(str(tmp), mode="w") as container:
            arr = _to_rgb24(first, None)
            size = (int(first.shape[-2]), int(first.shape[-1]))
            webm = suffix == ".webm"
            stream = container.add_stream("libvpx-vp9" if webm else "libx264", rate=rate)
            stream.height, stream.width = arr.shape[:2]
            stream.pix_fmt = "yuv420p"
            stream.codec_context.options = {"crf": str(crf), **({"b": "0"} if webm else {})}
            if audio_from is not None:
                audio = _AudioSource(Path(audio_from), container, webm=webm)
            pending = audio.packets() if audio is not None else iter(())
            held: tuple[float, Any] | None = None

            def mux_audio_until(seconds: float) -> None:
                nonlocal held
                while True:
                    if held is None:
                        held = next(pending, None)
                        if held is None:
                            return
                    if held[0] >= seconds:
                        return
                    container.mux(held[1])
                    held = None

            for index, frame in enumerate(itertools.chain([first], iterator)):
                pixels = arr if index == 0 else _to_rgb24(frame, size)
                video_frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
                video_frame.pts = index
                video_frame.time_base = 1 / rate
                container.mux(stream.encode(video_frame))
                mux_audio_until((index + 1) / rate)
            container.mux(stream.encode(None))
            mux_audio_until(float("inf"))
        os.replace(tmp, output)
    except av.error.FFmpegError as exc:
        tmp.unlink(missing_ok=True)
        raise ImageError(f"{output}: cannot write the video ({_reason(exc)})") from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        if audio is not None:
            audio.close()
    return output


def stylize_video(
    input: str | os.PathLike[str],
    output: str | os.PathLike[str],
    frame_fn: Callable[[torch.Tensor], torch.Tensor],
    *,
    temporal: float = 0.0,
    temporal_mode: str = "flow",
    progress: bool = True,
) -> dict[str, Any]:
    """Run ``frame_fn`` (``(1, 3, H, W)`` in [0, 1] → same) on every frame of ``input`` and write ``output``.

    The frame rate and the audio (copied, see :func:`write_video`) are kept; the output has ``frame_fn``'s size.

    ``temporal`` in [0, 1) is the strength of an optional flicker reducer; 0 (default) writes ``frame_fn``'s
    frames as they are. ``temporal_mode``:

    - ``"flow"`` (default): motion-compensated (:mod:`brushwork.flow`). The previous written frame is warped
      along the optical flow between the two input frames and blended,
      ``temporal · warped + (1 − temporal) · frame_fn(frame)``, where the flow passes a forward–backward check;
      disoccluded or badly tracked pixels keep ``frame_fn``'s frame. Needs OpenCV.
    - ``"blend"``: the exponential moving average ``temporal · previous written frame + (1 − temporal) ·
      frame_fn(frame)``, without motion: steady on still scenes, trails on anything that moves.

    Returns:
        ``{"frames", "seconds", "fps"}`` (frames written, wall time, frames per second of processing) plus
        ``"video_fps"``, ``"width"``, ``"height"``, ``"audio"`` and ``"output"``.
    """
    from tqdm import tqdm

    from brushwork.imageio import guard_output

    check_temporal(temporal)
    if temporal_mode not in TEMPORAL_MODES:
        raise ConfigError(f"temporal mode {temporal_mode!r}: must be one of {', '.join(TEMPORAL_MODES)}")
    info = probe(input)
    guard_output(output, [input])
    start = time.perf_counter()
    count = 0
    out_size: list[int] = []

    def stylised() -> Iterator[torch.Tensor]:
        nonlocal count
        previous: torch.Tensor | None = None
        previous_frame: torch.Tensor | None = None
        with tqdm(total=info.frames, disable=not progress, unit="frame") as bar:
            for frame in read_frames(input):
                out = frame_fn(frame).detach().float().cpu()
                if temporal > 0 and previous is not None and previous.shape == out.shape:
                    if temporal_mode == "flow" and previous_frame is not None:
                        from brushwork.flow import temporal_step

                        out = temporal_step(frame, previous_frame, out, previous, temporal)
                    else:
                        out = previous.mul(temporal).add_(out, alpha=1.0 - temporal)
                previous, previous_frame = out, frame
                if not out_size:
                    out_size.extend(int(n) for n in out.shape[-2:])
                count += 1
                bar.update(1)
                yield out

    path = write_video(stylised(), output, fps=info.fps, audio_from=input if info.has_audio else None)
    seconds = time.perf_counter() - start
    log.info("%s: %d frames in %.1f s -> %s", input, count, seconds, path)
    return {
        "frames": count,
        "seconds": seconds,
        "fps": count / seconds if seconds > 0 else 0.0,
        "video_fps": float(info.fps),
        "width": out_size[1] if out_size else 0,
        "height": out_size[0] if out_size else 0,
        "audio": info.has_audio,
        "output": str(path),
    }
