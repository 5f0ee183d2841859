"""A style loss towards an artist's whole collection, for unpaired translation.

A GAN learns an artist's texture slowly: on two CPU cores, thousands of steps move the palette but not the
strokes. A feed-forward network trained with a Gram-matrix loss (Johnson, Alahi & Fei-Fei, "Perceptual Losses for
Real-Time Style Transfer", ECCV 2016) paints a texture within a few hundred steps. Here the target is not one
painting but a random painting of the collection at every step, paired with the output of that step; in
expectation the output's Gram matrices are pulled towards the collection's, the texture statistics an
artist keeps from painting to painting (the idea of training on a collection instead of one image:
Sanakoyeu et al., "A Style-Aware Content Loss for Real-time HD Style Transfer", ECCV 2018).

The distance is :func:`~brushwork.losses.perceptual.relative_gram_loss`, so each layer counts alike whatever the
magnitude of its features.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch

from brushwork.losses.perceptual import gram_matrix, relative_gram_loss

__all__ = ["collection_style_loss"]


def collection_style_loss(
    features: Mapping[str, torch.Tensor],
    painting_features: Mapping[str, torch.Tensor],
    *,
    layers: Sequence[str],
) -> torch.Tensor:
    """Mean over ``layers`` of the relative Gram distance between outputs and paintings, sample by sample.

    Args:
        features: the outputs' features by layer name, each ``(N, C, H, W)``.
        painting_features: the paintings' features at the same layers, ``(N, C, H', W')`` (another crop or size
            is fine: a Gram matrix does not depend on the size); sample ``i`` is the target of output ``i``.
        layers: which layers to compare (at least one).

    Returns:
        A scalar; 0 when every output has its painting's texture statistics.
    """
    if not layers:
        raise ValueError("collection_style_loss: no layers")
    terms = []
    for name in layers:
        out, ref = features[name], painting_features[name]
        if out.shape[:2] != ref.shape[:2]:
            raise ValueError(
                f"collection_style_loss: {name}: {tuple(out.shape)} outputs vs {tuple(ref.shape)} paintings"
            )
        # Gram matrices sum over every position: in float32 even under a bf16 autocast.
        with torch.autocast(out.device.type, enabled=False):
            terms.append(relative_gram_loss(out.float(), gram_matrix(ref.float())))
    return torch.stack(terms).mean()
