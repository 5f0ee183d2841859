"""Style augmentation: sizes, reproducibility, range, and what each transform keeps."""

from __future__ import annotations

import pytest
import torch

from brushwork.data.style_augment import augment_styles


def test_sizes_range_and_reproducibility() -> None:
    styles = torch.rand(4, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    sizes = set()
    for seed in range(12):
        a = augment_styles(styles, generator=torch.Generator().manual_seed(seed))
        b = augment_styles(styles, generator=torch.Generator().manual_seed(seed))
        assert torch.equal(a, b)
        assert a.shape[:2] == (4, 3) and a.shape[-1] == a.shape[-2] and a.shape[-1] % 8 == 0
        assert float(a.min()) >= 0 and float(a.max()) <= 1
        sizes.add(a.shape[-1])
    assert len(sizes) > 1  # the scale varies


def test_without_rescale_pixels_are_only_moved_or_recoloured() -> None:
    styles = torch.rand(8, 3, 16, 16, generator=torch.Generator().manual_seed(1))
    out = augment_styles(styles, generator=torch.Generator().manual_seed(3), scale=(1.0, 1.0), permute_p=1.0)
    assert out.shape == styles.shape
    for i in range(8):  # the same multiset of values, every image recoloured by a non-identity permutation
        assert torch.equal(out[i].flatten().sort().values, styles[i].flatten().sort().values)
        means_in, means_out = styles[i].mean(dim=(1, 2)), out[i].mean(dim=(1, 2))
        assert torch.allclose(means_in.sort().values, means_out.sort().values)
        assert not torch.allclose(means_in, means_out)
    with pytest.raises(ValueError, match="square RGB"):
        augment_styles(torch.rand(1, 3, 8, 9), generator=torch.Generator())
