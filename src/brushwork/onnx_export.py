"""Export trained models to ONNX for production inference (onnxruntime, any language, no PyTorch).

Two kinds of model:

- **CycleGAN generator** (one direction): input ``image`` ``(N, 3, H, W)`` float32 RGB in [0, 1], output
  ``stylized``, same shape, in [0, 1]. N, H and W are dynamic.
- **AdaIN arbitrary style** (VGG16 encoder to relu4_1 + trained decoder): inputs ``content`` ``(1, 3, H, W)``,
  ``style`` ``(1, 3, h, w)`` (RGB in [0, 1], any sizes) and ``alpha`` ``(1,)`` (style strength in [0, 1],
  clamped); output ``stylized`` ``(1, 3, H, W)`` in [0, 1]. H, W, h, w are dynamic. The style image is used at
  the size given (the Python API rescales it relative to the content first; do the same before calling).

- **Fast student** (``brushwork stylize --method fast``): the same inputs and output as AdaIN; the student's own
  small encoders replace the VGG16 (``encoder`` is ignored).

Both arbitrary-style graphs end as ``brushwork.stylize`` does: the content's detail layer (:mod:`brushwork.detail`)
is added, ``detail`` × alpha of it (``detail`` fixed at export, default as in the API; 0 leaves it out). The
model's palette strength (``defaults.palette``: the shipped ``fast`` 1) is not in the graph, which would need the
picture's colour covariance: the metadata's ``palette_after`` says how much of
:func:`brushwork.color.match_palette` to apply to the output, as ``brushwork.stylize`` does. Nor is the model's
working scale (:mod:`brushwork.work_scale`): feed the content at the fraction ``s`` of its size, with the metadata's
``work_scale``, ``work_side``, ``work_scale_min`` and ``work_min_side`` and the content's long side L and short side
l: ``s = min(work_scale, max(work_scale_min, work_side / L))`` where ``work_side`` is not 0, else ``work_scale``;
then ``s = min(1, max(s, work_min_side / l))``, each side rounded (antialiased). Enlarge the output back (bicubic)
before the palette, as ``brushwork.stylize`` does. A graph with ``detail`` baked in adds the detail of the copy it
is fed, where ``brushwork.stylize`` adds the full-size photo's after enlarging (the shipped ``fast`` has detail 0).
Nor is the model's underpainting (:mod:`brushwork.methods.underpaint`, ``defaults.underpaint``: the shipped
``fast`` 0.5), a quilt of the painting chosen patch by patch: the metadata's ``underpaint_before`` says how much of
it ``brushwork.stylize`` puts under the content's calm areas first (``underpaint.under`` with that amount × alpha);
the graph alone paints what ``brushwork.stylize(..., underpaint=0)`` paints.

The generators pad their input to a multiple of their stride with Python control flow that a trace would
freeze at the trace size; the export wrappers here pad with index arithmetic on the traced shape instead
(the same reflection/replication rule, bit for bit), so every size works. The TorchScript exporter is used
(``dynamo=False``): the dynamo exporter needs ``onnxscript``, which brushwork does not depend on.
"""

from __future__ import annotations

import logging
import os
import tempfile
import warnings
from pathlib import Path
from typing import Any

import torch
from torch import nn

from brushwork.errors import CheckpointError, ConfigError

__all__ = ["AdaINExport", "GeneratorExport", "WithDetail", "export_onnx"]

log = logging.getLogger(__name__)
_DIRECTIONS = {"AtoB": "G_AB", "BtoA": "G_BA"}


def _pad_index(n: torch.Tensor, pad: torch.Tensor, reflect: torch.Tensor) -> torch.Tensor:
    """Source rows for ``n`` rows padded by ``pad`` at the end: reflection (``F.pad`` "reflect") or replication."""
    i = torch.arange(n + pad)
    last = n - 1
    mirrored = torch.where(i <= last, i, 2 * last - i)
    clamped = torch.minimum(i, last)
    return torch.where(reflect, mirrored, clamped)


def pad_to_multiple(
    image: torch.Tensor, multiple: int, min_size: int = 1
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Pad ``(N, C, H, W)`` at the bottom/right to a multiple of ``multiple`` (and at least ``min_size``),
    reflecting when both pads are smaller than the image, replicating otherwise (the generators' rule).

    Traceable with dynamic sizes. Returns the padded image and the original H and W (0-dim int64 tensors).
    """
    shape = torch._shape_as_tensor(image)
    h, w = shape[2], shape[3]
    ph = torch.clamp(h + torch.remainder(-h, multiple), min=min_size) - h
    pw = torch.clamp(w + torch.remainder(-w, multiple), min=min_size) - w
    reflect = (ph < h) & (pw < w)
    padded = image.index_select(2, _pad_index(h, ph, reflect)).index_select(3, _pad_index(w, pw, reflect))
    return padded, h, w


def crop_to(image: torch.Tensor, h: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """The top-left ``h`` × ``w`` of ``(N, C, H', W')`` (traceable with dynamic sizes)."""
    return image.index_select(2, torch.arange(h)).index_select(3, torch.arange(w))


class GeneratorExport(nn.Module):
    """A CycleGAN generator as :func:`brushwork.methods.cyclegan.translate` runs it, padding made traceable:
    ``(N, 3, H, W)`` in [0, 1] → ``(N, 3, H, W)`` in [0, 1].
    """

    def __init__(self, generator: nn.Module) -> None:
        super().__init__()
        self.generator = generator

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        g = self.generator
        x, h, w = pad_to_multiple(image * 2 - 1, int(g.multiple), int(g.min_size))
        y = crop_to(g.combine(x, g.net(x)), h, w)
        return ((y + 1) * 0.5).clamp(0, 1)


class AdaINExport(nn.Module):
    """:func:`brushwork.methods.adain.stylize` with one style and no mask, padding made traceable.

    ``content`` ``(1, 3, H, W)``, ``style`` ``(1, 3, h, w)`` in [0, 1], ``alpha`` ``(1,)`` → ``(1, 3, H, W)``.
    """

    def __init__(self, encoder: nn.Module, decoder: nn.Module, *, eps: float = 1e-5) -> None:
        super().__init__()
        self.encoder, self.decoder, self.eps = encoder, decoder, eps

    def _stats(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mean = features.mean(dim=(2, 3), keepdim=True)
        var = (features - mean).pow(2).mean(dim=(2, 3), keepdim=True)
        return mean, (var + self.eps).sqrt()

    def forward(self, content: torch.Tensor, style: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
        from brushwork.methods.adain import EDGE_MARGIN, decoder_layers, with_margin
        from brushwork.models.encoders import LAYER_STRIDE

        layers = decoder_layers(self.decoder)
        shape = torch._shape_as_tensor(content)
        mirrored = with_margin(content, EDGE_MARGIN)
        padded, _, _ = pad_to_multiple(mirrored, int(self.decoder.factor))
        content_feats = self.encoder(padded, layers)
        style_feats = self.encoder(style, layers)
        a = alpha.reshape(-1)[:1].clamp(0, 1).reshape(1, 1, 1, 1)
        moved = {}
        for name in layers:
            c_mean, c_std = self._stats(content_feats[name])
            s_mean, s_std = self._stats(style_feats[name])
            target = (content_feats[name] - c_mean) / c_std * s_std + s_mean
            moved[name] = a * target + (1 - a) * content_feats[name]
        # stylize's rule (decodes_without_margin), traced: the margin is encoded, and decoded only when the
        # picture's short side is a single decoder cell (the decoder's reflection padding needs two).
        factor = int(self.decoder.factor)
        if EDGE_MARGIN % factor:
            raise ValueError(f"the AdaIN export needs a margin of whole decoder cells ({EDGE_MARGIN} % {factor})")
        cut = (torch.minimum(shape[2], shape[3]) > factor).long()
        inner = {}
        for name, f in moved.items():
            k, size = cut * (EDGE_MARGIN // LAYER_STRIDE[name]), torch._shape_as_tensor(f)
            inner[name] = f.index_select(2, torch.arange(k, size[2] - k)).index_select(3, torch.arange(k, size[3] - k))
        out = self.decoder(inner[layers[0]], {name: inner[name] for name in layers[1:]})
        offset = (1 - cut) * EDGE_MARGIN
        rows, cols = torch.arange(shape[2]) + offset, torch.arange(shape[3]) + offset
        return out.index_select(2, rows).index_select(3, cols).clamp(0, 1)


class WithDetail(nn.Module):
    """An arbitrary-style export ``(content, style, alpha) → stylized`` followed by
    :func:`brushwork.detail.add_detail` with ``amount`` × alpha, as :func:`brushwork.stylize` does."""

    def __init__(self, inner: nn.Module, *, amount: float) -> None:
        super().__init__()
        self.inner, self.amount = inner, float(amount)

    def forward(self, content: torch.Tensor, style: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
        from brushwork.detail import luma_detail

        out = self.inner(content, style, alpha)
        a = alpha.reshape(-1)[:1].clamp(0, 1).reshape(1, 1, 1, 1)
        return (out + (self.amount * a) * luma_detail(content)).clamp(0, 1)


def _load_encoder(encoder: Any) -> nn.Module:
    from brushwork.models.encoders import VGG16Encoder, load_vgg16

    if isinstance(encoder, VGG16Encoder):
        return encoder
    if encoder is None or isinstance(encoder, str | os.PathLike):
        return load_vgg16(encoder)
    raise ConfigError(f"encoder must be a VGG16Encoder or a VGG16 safetensors path, got {type(encoder).__name__}")


def _build(
    path: Path, config: dict[str, Any], *, direction: str | None, encoder: Any, sample_size: int
) -> tuple[nn.Module, tuple[torch.Tensor, ...], dict[str, Any]]:
    """The export module, its sample inputs and the ``torch.onnx.export`` naming arguments."""
    method = config.get("method", "cyclegan")
    s = int(sample_size)
    if method == "cyclegan":
        from brushwork.methods.cyclegan import load_nets

        direction = direction or str(config.get("default_direction", "AtoB"))
        if direction not in _DIRECTIONS:
            raise ConfigError(f"--direction {direction!r}: use AtoB or BtoA")
        name = _DIRECTIONS[direction]
        if name not in config["nets"]:
            have = ", ".join(n for n in config["nets"] if n.startswith("G_")) or "none"
            raise CheckpointError(f"{path}: has no {name} generator for {direction} (it has {have})")
        nets, _ = load_nets(path, (name,))
        module: nn.Module = GeneratorExport(nets[name])
        inputs: tuple[torch.Tensor, ...] = (torch.rand(1, 3, s, s + s // 4),)
        names = {
            "input_names": ["image"],
            "output_names": ["stylized"],
            "dynamic_axes": {
                "image": {0: "batch", 2: "height", 3: "width"},
                "stylized": {0: "batch", 2: "height", 3: "width"},
            },
        }
        meta = {"direction": direction, "generator": name, "domains": config.get("domains", {})}
        return module, inputs, {**names, "meta": meta}
    if method == "adain":
        from brushwork.methods.adain import load_decoder

        if direction is not None:
            raise ConfigError(f"{path}: --direction applies to CycleGAN models, this is an adain model")

        decoder, _ = load_decoder(path)
        enc = _load_encoder(encoder)
        if enc.widths[3] != decoder.in_channels:
            raise ConfigError(
                f"{path}: the decoder expects {decoder.in_channels}-channel features, the encoder gives {enc.widths[3]}"
            )
        return (AdaINExport(enc.eval().requires_grad_(False), decoder), *_style_transfer_io(s))
    if method == "student":
        from brushwork.methods.student import StudentExport, load_student

        if direction is not None:
            raise ConfigError(f"{path}: --direction applies to CycleGAN models, this is a fast (student) model")
        net, _ = load_student(path)
        return (StudentExport(net).eval(), *_style_transfer_io(s))
    raise CheckpointError(f"{path}: cannot export a {method!r} model to ONNX (cyclegan, adain and student can be)")


def _style_transfer_io(s: int) -> tuple[tuple[torch.Tensor, ...], dict[str, Any]]:
    """Sample inputs and naming of an arbitrary-style export (AdaIN, student): ``content``, ``style``, ``alpha``
    → ``stylized``, every size dynamic."""
    inputs = (torch.rand(1, 3, s, s + s // 4), torch.rand(1, 3, s + s // 8, s), torch.tensor([1.0]))
    names = {
        "input_names": ["content", "style", "alpha"],
        "output_names": ["stylized"],
        "dynamic_axes": {
            "content": {2: "height", 3: "width"},
            "style": {2: "style_height", 3: "style_width"},
            "stylized": {2: "height", 3: "width"},
        },
        "meta": {},
    }
    return inputs, names


def _trace_to(module: nn.Module, inputs: tuple[torch.Tensor, ...], file: Path, opset: int, naming: dict) -> None:
    from torch.jit import TracerWarning

    with warnings.catch_warnings():
        # Benign and expected with the TorchScript exporter: its deprecation notices; shape checks inside torch
        # and brushwork modules that the trace records as constants (the networks are size-agnostic); instance
        # norm exported in "training" form (it always uses instance statistics); unfolded strided slices.
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"torch\.onnx")
        warnings.filterwarnings("ignore", category=DeprecationWarning, message=r".*legacy TorchScript-based ONNX")
        warnings.filterwarnings("ignore", category=TracerWarning)
        warnings.filterwarnings("ignore", category=UserWarning, message=r".*(operator 'instance_norm'|Constant fold)")
        # ... but a trace warning from the padding code here would mean a size got frozen: fail loudly.
        warnings.filterwarnings("error", category=TracerWarning, module=r"brushwork\.onnx_export")
        with torch.no_grad():
            torch.onnx.export(
                module,
                inputs,
                str(file),
                dynamo=False,
                opset_version=opset,
                do_constant_folding=True,
                input_names=naming["input_names"],
                output_names=naming["output_names"],
                dynamic_axes=naming["dynamic_axes"],
            )


def export_onnx(
    model: str | os.PathLike[str],
    output: str | os.PathLike[str],
    *,
    direction: str | None = None,
    opset: int = 17,
    encoder: Any = None,
    sample_size: int = 256,
    detail: float | None = None,
) -> Path:
    """Export a CycleGAN generator or an AdaIN network to an ONNX file (see the module docstring for the I/O).

    Args:
        model: a shipped model name (e.g. ``"vangogh"``), a model directory or a run directory.
        output: the ``.onnx`` file; written to a temporary file in the same folder, checked, then renamed.
        direction: CycleGAN only: ``"AtoB"`` or ``"BtoA"`` (default: the model's ``default_direction``).
        opset: ONNX opset version.
        encoder: AdaIN only: a ``VGG16Encoder`` to bake in, or a VGG16 safetensors path (default: the real
            VGG16, resolved offline).
        sample_size: side of the random images the trace runs on (any size works afterwards).
        detail: AdaIN and student only: the detail amount baked in (default: the model's,
            :func:`brushwork.detail.default_amount`, as ``brushwork.stylize``; 0: none).

    Returns:
        The path written. Raises :class:`CheckpointError` for a missing or unusable model.
    """
    import json

    import onnx

    from brushwork._version import __version__
    from brushwork.api._models import find_model
    from brushwork.checkpoint import CONFIG_FILE, WEIGHTS_FILE, read_config
    from brushwork.imageio import guard_output

    if sample_size < 16:
        raise ConfigError(f"sample_size {sample_size}: must be at least 16")
    path = find_model(model)
    config = read_config(path)
    output = Path(output)
    guard_output(output, [path / WEIGHTS_FILE, path / CONFIG_FILE])
    from brushwork.color import default_palette
    from brushwork.detail import DEFAULT_SIGMA, MAX_AMOUNT, default_amount
    from brushwork.methods.underpaint import default_amount as default_underpaint
    from brushwork.work_scale import MIN_SIDE as WORK_MIN_SIDE
    from brushwork.work_scale import default_work_scale, default_work_scale_min, default_work_side

    arbitrary = config.get("method") in ("adain", "student")
    if detail is not None and not arbitrary:
        raise ConfigError(f"{path}: --detail applies to adain and fast models, this is a {config.get('method')} model")
    amount = (default_amount(config) if arbitrary else 0.0) if detail is None else float(detail)
    if not 0.0 <= amount <= MAX_AMOUNT:  # also refuses NaN
        raise ConfigError(f"detail {detail}: must be between 0 and {MAX_AMOUNT}")
    module, inputs, naming = _build(path, config, direction=direction, encoder=encoder, sample_size=sample_size)
    if arbitrary:
        if amount > 0:
            module = WithDetail(module, amount=amount)
        # the model's palette strength is not in the graph (it needs the picture's colour covariance): apply
        # brushwork.color.match_palette after the session with this strength, as brushwork.stylize does
        naming["meta"] = {
            **naming["meta"],
            "detail": amount,
            "detail_sigma": DEFAULT_SIGMA,
            "palette_after": default_palette(config),
            "work_scale": default_work_scale(config),
            "work_side": default_work_side(config),
            "work_scale_min": default_work_scale_min(config),
            "work_min_side": WORK_MIN_SIDE,
            "underpaint_before": default_underpaint(config),
        }
    module.eval()
    output.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".tmp", dir=output.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        _trace_to(module, inputs, tmp, opset, naming)
        proto = onnx.load(str(tmp))
        meta = {
            "brushwork_version": __version__,
            "method": str(config.get("method", "cyclegan")),
            "source": str(model),
            "io": "RGB float32 NCHW in [0, 1]",
            **{k: v if isinstance(v, str) else json.dumps(v) for k, v in naming["meta"].items()},
        }
        onnx.helper.set_model_props(proto, meta)
        proto.producer_name = "brushwork"
        onnx.save(proto, str(tmp))
        onnx.checker.check_model(str(tmp))
        os.replace(tmp, output)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    log.info("exported %s (%s) -> %s", model, meta["method"], output)
    return output
