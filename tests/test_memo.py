from __future__ import annotations

import gc
import weakref
from pathlib import Path

import pytest
import torch
from torch import nn

from brushwork import memo
from brushwork.memo import MEMO_SIZE, image_digest, memoized
from brushwork.methods.student import load_student, stylize


class _Counting(nn.Module):
    """A linear map of an image's channel means that counts its calls."""

    def __init__(self) -> None:
        super().__init__()
        self.proj = nn.Linear(3, 4)
        self.calls = 0

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        return self.proj(image.to(self.proj.weight.dtype).mean(dim=(2, 3)))


def _img(seed: int, h: int = 12, w: int = 10) -> torch.Tensor:
    return torch.rand(1, 3, h, w, generator=torch.Generator().manual_seed(seed))


def _code(net: _Counting, image: torch.Tensor) -> torch.Tensor:
    return memoized(net, image, net, tag="t")


@torch.no_grad()
def test_the_same_image_is_computed_once_and_a_copy_comes_back() -> None:
    net, image = _Counting(), _img(0)
    first = _code(net, image)
    first.add_(100)  # the caller's copy: the memo keeps its own
    again = _code(net, image.clone())  # equal values, another tensor
    assert net.calls == 1
    assert torch.equal(again, net.proj(image.mean(dim=(2, 3))))
    _code(net, _img(1))
    _code(net, _img(0, 10, 12))  # other shape
    _code(net, image.double())  # other dtype
    assert net.calls == 4
    assert memoized(net, image, net, tag="other") is not None and net.calls == 5  # another computation


@torch.no_grad()
def test_any_change_to_the_weights_or_the_autocast_state_computes_again() -> None:
    net, image = _Counting(), _img(0)
    before = _code(net, image)
    net.proj.bias.add_(1.0)  # an optimiser step, in place
    after = _code(net, image)
    assert net.calls == 2 and torch.allclose(after, before + 1.0)
    net.load_state_dict({"proj.weight": torch.zeros(4, 3), "proj.bias": torch.zeros(4)})
    assert torch.equal(_code(net, image), torch.zeros(1, 4)) and net.calls == 3
    with torch.autocast("cpu", dtype=torch.bfloat16):
        _code(net, image)
        _code(net, image)
    assert net.calls == 4
    _code(net, image)
    assert net.calls == 4  # the fp32 result is still there


@torch.no_grad()
def test_a_new_dtype_device_copy_or_mode_computes_again() -> None:
    net, image = _Counting(), _img(0)
    _code(net, image)
    net.double()  # the same parameter objects, new storage
    assert _code(net, image).dtype == torch.float64 and net.calls == 2
    net.train(False)  # another mode (dropout, batch statistics)
    _code(net, image)
    assert net.calls == 3
    _code(net, image)
    assert net.calls == 3


@torch.no_grad()
def test_the_memo_does_not_keep_a_module_alive() -> None:
    net = _Counting()
    _code(net, _img(0))
    assert net in memo._MEMO
    alive = weakref.ref(net)
    del net
    gc.collect()
    assert alive() is None


def test_training_and_traces_always_compute(monkeypatch: pytest.MonkeyPatch) -> None:
    net, image = _Counting(), _img(0)
    out = _code(net, image)
    assert out.requires_grad  # autograd recorded: a training step gets gradients
    _code(net, image)
    assert net.calls == 2
    with torch.no_grad():
        _code(net, image)
        _code(net, image)
    assert net.calls == 3
    monkeypatch.setattr(torch.jit, "is_tracing", lambda: True)  # an ONNX export records every operation
    with torch.no_grad():
        _code(net, image)
    assert net.calls == 4


@torch.no_grad()
def test_only_the_last_few_results_are_kept() -> None:
    net = _Counting()
    for seed in range(MEMO_SIZE + 1):
        _code(net, _img(seed))
    _code(net, _img(MEMO_SIZE))
    assert net.calls == MEMO_SIZE + 1
    _code(net, _img(0))  # the oldest went first
    assert net.calls == MEMO_SIZE + 2
    assert len(memo._MEMO[net]) == MEMO_SIZE


def test_the_digest_reads_values_not_identity() -> None:
    image = _img(0)
    assert image_digest(image) == image_digest(image.clone())
    assert image_digest(image) != image_digest(_img(1))
    assert image_digest(image.bfloat16()) != image_digest(image)
    assert image_digest(image.transpose(2, 3)) == image_digest(image.transpose(2, 3).contiguous())


def test_the_student_encodes_a_painting_once(make_student, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    net = load_student(make_student(tmp_path / "student"))[0]
    calls = []
    encode = net.style_code
    monkeypatch.setattr(net, "style_code", lambda s: calls.append(1) or encode(s))
    content, style = _img(0, 40, 48), _img(1, 32, 32)
    first = stylize(content, [style], net=net)
    second = stylize(_img(2, 40, 48), [style.clone()], net=net)
    again = stylize(content, [style], net=net)
    assert len(calls) == 1 and torch.equal(first, again) and not torch.equal(first, second)
    stylize(content, [_img(3, 32, 32)], net=net)
    assert len(calls) == 2
