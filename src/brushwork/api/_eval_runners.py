"""How an evaluation runs each method: stylize methods on (content, style) pairs, CycleGAN on contents alone."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import torch

from brushwork.api._eval_specs import RunSpec
from brushwork.errors import ConfigError

__all__ = ["Runner", "accepts_setting", "make_runner", "method_names"]

#: Settings the evaluation itself controls (one value for every run, so the runs stay comparable).
_RESERVED = ("size", "device", "seed", "encoder", "vgg16", "max_pixels", "on_step")
_CYCLEGAN_SETTINGS = ("model", "direction", "strength")
_DISCRIMINATOR = {"AtoB": "D_B", "BtoA": "D_A"}
#: Options a model's ``config.json`` may default (``defaults``) and the value that changes nothing; a run that
#: leaves them unset notes any other value that applied.
_MODEL_DEFAULTS = {"detail": 0.0, "palette": 0.0, "work_scale": 1.0}


class Runner(Protocol):
    """A method ready to run: ``runner(content, style) -> output``, all ``(1, 3, H, W)`` in [0, 1] on CPU.

    ``uses_style``: runs on every content × style pair when styles are given; ``needs_style``: fails without.
    """

    uses_style: bool
    needs_style: bool
    style_scale: float
    settings: dict[str, Any]
    files: list[dict[str, Any]]
    discriminator: torch.nn.Module | None
    notes: list[str]
    direction: str | None

    def __call__(self, content: torch.Tensor, style: torch.Tensor | None) -> torch.Tensor: ...


def method_names() -> list[str]:
    from brushwork.api.stylize import METHODS

    return [*METHODS, "cyclegan", "identity"]


class _IdentityRunner:
    """The content itself: the baseline row (SSIM 1, content distance 0, the photos' own style and set distances)."""

    uses_style, needs_style, style_scale = True, False, 1.0
    discriminator = None
    direction = None

    def __init__(self, settings: Mapping[str, Any]) -> None:
        if settings:
            raise ConfigError(f"identity: takes no settings (got {', '.join(sorted(settings))})")
        self.settings: dict[str, Any] = {}
        self.files: list[dict[str, Any]] = []
        self.notes: list[str] = []

    def __call__(self, content: torch.Tensor, style: torch.Tensor | None) -> torch.Tensor:
        return content.clone()


class _StylizeRunner:
    uses_style = needs_style = True
    discriminator = None
    direction = None

    def __init__(self, method: str, settings: Mapping[str, Any], *, device: torch.device, seed: int, encoder: Any):
        self.method, self.settings, self.device, self.seed, self.encoder = method, dict(settings), device, seed, encoder
        self.style_scale = float(self.settings.get("style_scale", 1.0))
        self.files: list[dict[str, Any]] = []
        self.notes: list[str] = []
        self._defaults_noted = False

    def __call__(self, content: torch.Tensor, style: torch.Tensor | None) -> torch.Tensor:
        from brushwork.api.stylize import stylize_result

        assert style is not None
        size = max(content.shape[-2:])
        result = stylize_result(
            content, style, method=self.method, size=size, device=self.device, seed=self.seed, encoder=self.encoder,
            **self.settings,
        )  # fmt: skip
        if not self._defaults_noted:  # what a model's own defaults did, since the settings do not say
            self._defaults_noted = True
            applied = [
                f"{key} {result.numbers[key]:g}"
                for key, neutral in _MODEL_DEFAULTS.items()
                if key not in self.settings
                and isinstance(result.numbers.get(key), int | float)
                and result.numbers[key] != neutral
            ]
            if applied:
                self.notes.append(f"{self.method}: the model's own defaults applied: {', '.join(applied)}")
        return result.image.cpu()


class _CycleGANRunner:
    uses_style = needs_style = False
    style_scale = 1.0

    def __init__(self, settings: Mapping[str, Any], *, device: torch.device) -> None:
        from brushwork.api.translate import load_model
        from brushwork.checkpoint import CONFIG_FILE, WEIGHTS_FILE, read_config
        from brushwork.methods.cyclegan import load_nets
        from brushwork.weights import file_sha256

        unknown = sorted(set(settings) - set(_CYCLEGAN_SETTINGS))
        if unknown:
            raise ConfigError(f"cyclegan: unknown setting(s) {', '.join(unknown)} (takes model, direction, strength)")
        if not settings.get("model"):
            raise ConfigError("cyclegan: no model given (use --model DIR or --compare cyclegan:model=DIR)")
        loaded = load_model(str(settings["model"]), device=str(device))
        self.direction = str(settings.get("direction") or loaded.default_direction)
        strength = settings.get("strength")
        self.generator = loaded.generator(self.direction, strength=None if strength is None else float(strength))
        self.settings = {"model": str(loaded.path), "direction": self.direction}
        if strength is not None:
            self.settings["strength"] = float(strength)
        files = (loaded.path / WEIGHTS_FILE, loaded.path / CONFIG_FILE)
        self.files = [{"path": str(f), "sha256": file_sha256(f)} for f in files]
        self.notes: list[str] = []
        d_name = _DISCRIMINATOR[self.direction]
        if d_name in read_config(loaded.path)["nets"]:
            nets, _ = load_nets(loaded.path, (d_name,), device=device)
            self.discriminator: torch.nn.Module | None = nets[d_name]
        else:
            self.discriminator = None
            self.notes.append(
                f"{loaded.path} has no discriminator {d_name} (a slim export?): no discriminator accuracy; "
                "pass the training run or one of its checkpoints as the model to get it"
            )

    def __call__(self, content: torch.Tensor, style: torch.Tensor | None) -> torch.Tensor:
        from brushwork.methods.cyclegan import translate

        return translate(self.generator, content).cpu()


def accepts_setting(spec: RunSpec, key: str) -> bool:
    """Whether a swept or shared setting applies to ``spec`` (CycleGAN takes only its own settings)."""
    if spec.method == "identity":
        return False
    return key in _CYCLEGAN_SETTINGS if spec.method == "cyclegan" else True


def make_runner(spec: RunSpec, *, device: torch.device, seed: int, encoder: Any) -> Runner:
    """Check ``spec`` and load what it needs (models are loaded here, so bad specs fail before any work)."""
    from brushwork.api.stylize import METHODS

    settings = spec.all_settings()
    reserved = sorted(set(settings) & set(_RESERVED))
    if reserved:
        raise ConfigError(f"{spec.label}: {', '.join(reserved)} cannot be set per run (use the common flags)")
    if spec.method == "cyclegan":
        return _CycleGANRunner(settings, device=device)
    if spec.method == "identity":
        return _IdentityRunner(settings)
    if spec.method in METHODS:
        return _StylizeRunner(spec.method, settings, device=device, seed=seed, encoder=encoder)
    raise ConfigError(f"method {spec.method!r}: unknown; choose from {', '.join(method_names())}")
