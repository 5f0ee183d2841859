"""PerfMeter: wall time, images per lap, medians, peak memory; misuse raises."""

from __future__ import annotations

import math
import time

import pytest
import torch

from brushwork.metrics.timing import PerfMeter, peak_rss_mib


def test_measures_time_per_image_and_peak_memory() -> None:
    with PerfMeter("cpu") as meter:
        for images in (1, 2):
            time.sleep(0.01 * images)
            assert meter.lap(images) >= 0.01 * images * 0.9
    perf = meter.result()
    assert perf.device == "cpu" and perf.images == 3
    assert perf.seconds >= 0.03 * 0.9
    assert perf.seconds_per_image == pytest.approx(perf.seconds / 3)
    assert 0.009 < perf.median_seconds_per_image < 0.5
    assert perf.peak_rss_mib is not None and perf.peak_rss_mib > 10
    assert perf.peak_cuda_mib is None
    assert perf.as_dict()["images"] == 3


def test_no_images_gives_nan_rates() -> None:
    with PerfMeter(torch.device("cpu")) as meter:
        pass
    perf = meter.result()
    assert perf.images == 0 and math.isnan(perf.seconds_per_image) and math.isnan(perf.median_seconds_per_image)


def test_misuse_raises() -> None:
    meter = PerfMeter()
    with pytest.raises(RuntimeError, match="inside the with-block"):
        meter.lap()
    with pytest.raises(RuntimeError, match="after the with-block"):
        meter.result()
    with meter:
        with pytest.raises(ValueError, match="images must be >= 1"):
            meter.lap(0)
        with pytest.raises(RuntimeError, match="after the with-block"):
            meter.result()
    with pytest.raises(RuntimeError, match="inside the with-block"):
        meter.lap()


def test_peak_rss_is_in_mib() -> None:
    peak = peak_rss_mib()
    assert peak is not None and 10 < peak < 1_000_000
