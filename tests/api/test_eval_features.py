"""The evaluation's per-image feature cache gives the metrics the same numbers with fewer encoder passes."""

from __future__ import annotations

import torch

from brushwork.api._eval_features import FeatureCache
from brushwork.metrics import CONTENT_LAYERS, STYLE_LAYERS, perceptual_distance, style_distances, vgg_features


def test_cached_features_give_identical_metrics_with_one_pass_per_image(tiny_encoder) -> None:
    torch.set_num_threads(1)
    calls: list[int] = []
    tiny_encoder.register_forward_hook(lambda _m, args, _out: calls.append(args[0].shape[0]))
    cache = FeatureCache(tiny_encoder, (*STYLE_LAYERS, *CONTENT_LAYERS, "relu3_3"), size=3)
    content, output, style = torch.rand(1, 3, 32, 32), torch.rand(1, 3, 32, 32), torch.rand(1, 3, 40, 40)
    for encoder in (tiny_encoder, cache):
        calls.clear()
        numbers = [
            perceptual_distance(content, output, encoder),
            *style_distances(output, style, encoder).values(),
            vgg_features(output, encoder),
        ]
        if encoder is tiny_encoder:
            expected, plain_calls = numbers, list(calls)
    for a, b in zip(numbers, expected, strict=True):  # batching may change float rounding, nothing more
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-7)
    assert sum(calls) == 3 < sum(plain_calls)  # content + output once, the style once
    calls.clear()
    perceptual_distance(content, output, cache)  # both still cached
    assert calls == []
    with torch.enable_grad():
        cache(content, ["relu1_1"])  # gradients bypass the cache
    assert calls == [1]
