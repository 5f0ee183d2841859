"""Does a set of images look like paintings or like photos? A linear probe on VGG16 texture statistics.

``brushwork adapt`` uses it to warn when the "paintings" folder it is given holds photos. Per image: resize to a
224-px short side (bicubic), centre crop 224 × 224, VGG16 ``relu3_3``, then the per-channel spatial mean and
standard deviation (256 + 256 numbers, ``log1p``-compressed); a logistic regression on them gives the
probability that the image is a painting (:func:`painting_probability`). A folder is judged by the mean over
its images (:func:`looks_like_paintings`), which is much steadier than one image.

Why this: artistic style is carried by exactly these feature statistics (Gatys et al. 2016; Huang & Belongie
2017), and linear probes on them separate paintings from photographs well; ``relu3_3`` (not ``relu4_3``) keeps
the check cheap (about 0.1–0.3 CPU-s per image; at most 16 images are looked at) and did as well as
``relu1_2``–``relu3_3`` together in the fitting runs.

The weights come from ``scripts/fit_painting_probe.py`` (rerun it to refit; it prints the constant below and its
validation): fitted on 150 Van Gogh (``vangogh2photo/trainA``) + 150 Cézanne (``cezanne/trainA``) paintings
against 300 landscape photos (``vangogh2photo/trainB``), L2-regularised. On images it was not fitted on, mean
probabilities of 16-image folders: held-out Van Gogh and Cézanne paintings 0.89–0.99, the 22 paintings of
``styles/`` (20 other artists, Picasso to abstract) 0.64–0.86, landscape photos (``testB``) 0.02–0.15, the 18
other photos of ``content/`` (portraits, cities) 0.23–0.34. Fitted on Van Gogh alone, an unseen artist (Cézanne)
still scored 0.43–0.77 against photos' ≤ 0.12. It needs the real VGG16: with other encoders it means nothing.
"""

from __future__ import annotations

import base64

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["PAINTING_LAYER", "PAINTING_SIZE", "PAINTING_THRESHOLD", "looks_like_paintings", "painting_probability"]

#: The VGG16 layer whose channel statistics are the probe's features.
PAINTING_LAYER = "relu3_3"
#: Images are resized to this short side and centre-cropped to a square of it.
PAINTING_SIZE = 224
#: A folder whose mean painting probability is below this looks like photos (16-image folders of paintings the
#: probe was not fitted on scored 0.64 or more, of photos 0.34 or less: the middle, rounded).
PAINTING_THRESHOLD = 0.45

#: 512 float32 weights (on log1p of [channel means, channel stds]) then the bias, little-endian, base64.
_PROBE = (
    "mPS7uuaJjbzpXpE94+M0vIekzz3MoNW90+6ZPUbSMD08EcI9TpDOPbDxsL12NUm9vp7AO1ohybtQuZ89bGxOPsLZPb00CzE+h72w"
    "vM7ubr36kns9GrRFvGIgAj1RrAs9stC/PLZYFz62zi88L8L5vdoW2T30ibW9pHhFPkQuKL32wbS9eO3DPf9pfr46+pc9GIgtvUYB"
    "rrzBUUq9BHuuvMgqLrwlH/y9z1Jvvs82kTy4b8I8+8+JPVWlC74rC+c7kUU2vJ6tqT30wU89pbYMPi+nOj2Uhl093Psavm8XLL1p"
    "St49kAW3PFR9A75c5WW91YchPpA4gb2wVaU7l7i3vAZJAb3v5BO9ryZ8O5E0FjzHcw2+k0bKPMVMBr0csOq8sEBXvFilCL3jJ828"
    "/HtXPUUBgztcTYE9RVsBPVvipLtZaLg9RsK4u1r2BLuXUQO+mz8MPgUueL0GtqM9UWVfvhGufD3EoL28JJsRPuNzML3O98u8B2nw"
    "PACbIz6rOZg9SOJrPPoJ+Lsgg2C9UilEvX8TvTsD+NQ8Ih39uzhyjL01PDU+ge2fPmLMAj4ftYI9/cmpPRZB7zvoUXU85VZMPc+8"
    "7TxDhs29jG9wvYtcpz0IOsK89kA/PbMQ7b1capY9FB/xvTPGP7hPS309e3DpPPtnKz2xdmg9Jg0JPsIPOb2iSki7JoKtvOOFCj7p"
    "vyC9lisavvN1bz3Nu4U9O7IGvevluT0t+6I91zLmPPhBJz1vXQM9Szq9vTDGmLyJUwK+h9E/PXTxsz1tClm9eZIpPRUcAj5hqg09"
    "vf2PPQo4Pj1X1Z89W0i1u7FbkD3hS4E9oRU5PQvjrz1Kjey8xnzEPBfOuj1udyK+XEbSvYgiDTx4v9a7qRrzPEY7CL1YdpG6ihPP"
    "PGPvVDwDByO9RUsVPu+z9D3L/rc95lGKPbHF1zyonJE85PagvcjjS71+Mbu8UKrPPV1Pdz3/54u9+UM1PXUmk70ybzw9wAnqPJxN"
    "Ez5SBkk9UYOTPShiBT4DhPy9T5savVMJMDzGoaM9i6YMPlETwD2wAEc9UlpwPPseED5RuCw9LX4mPX8GTT2R29Q5neUhPjfoq73x"
    "qww9WzuBvCpiUDz0CZS9RSgxPiX0kj0iues82sO3Pdbx5byHRvm80oNLPKZPQj1eAfQ87UowvUCAAL1r2tW98ooGPmgRor0pHFm9"
    "NOYRPXez/jzs5Bo9OrozPVlLp7uct5A9aCRrvbApOj2rfrS75hmLvG6olD2FkTa9ahwTPCxAMT3Ec8o72amQvCm537sz77I9b2YE"
    "u/WnAD1TnMA9FzY7PV0Nlr1/rgS+eF0WvqPEQD3bA6w93qOIPR+8Sj0KKKi7HwFAvZsakb1Fbz6+7EX1PdZsXL2hOPM9kWTbvfoP"
    "CT2JckG7gpMEPqgPpT0KjES+97N/vWK0NL3ad9O86qWZPfTaED5J/De+DDsrPpgKQb0QRja9SGCDPVjrJr0P5xY905qcOrafLD7B"
    "Smg+TsmavTkNV74hta89HXU3vhPvWz5+Tbm+AbwAvvtUcT1W2tS+oyjjPRVMAL43Pxm+2vtpvRFoCL0s8W29dmFVvnV2z75JP329"
    "w/XBvTaPiD2qBGW+J40rPB/Jqb2it789/ozuPIX8Uj7aSIw8361MPU6dVb58gBu+zFYbPuztZ7wv6qO+pYamvo1PWj6ewEy+ha80"
    "PRKNrb0lqb69f/VTvrAWgbpaaZC9cwN+vi+G5bzJ4UC9aZIcvrvwGL3QL/K8PqZ6vf9BpT3nAXm8nAwQPTXX1bx5rDa8R10lPaNC"
    "BTyxyZG9AuGdvTowQT79Pb29fhI6PWrgrr4sCDA9pfNOvUJjPj5r9387iZiAvRisojty73Q+EQ2oPT5uB7xwWie9GRXCvZXZob2u"
    "0x083kU2OjjgS7wyfpq97xZnPvD1zj7Jlzc+8WDIPVublj04Kkm9AEKOvJYcwT3hhCY8nOccviPz1b3JX6c8F/cyvtUfTry3toe+"
    "ven+OyD6lL5KshS+aVsqPRLvQL2NVtM850jgPZGJSj4sXIC98AqIvUDbeL1b5/49sRt4vaO3hL7QwQS9T7uWPYXo172ThQw+ZkyQ"
    "PcTkKzzcgbo9ZOpGvuTf171j+6C9XfiOvukcsT2uS5I9WKHXvWV0Wzxb4Lo9MtzUPKMvXL3g3oc9V/MNPqcbk7xWrxI9W6RiPZt7"
    "3j1iZ5o7CCxUvWx5BL0upCA+16Snvn1xKb7cF2Y8GaK4vBxRUz0W0xI7UXNivSk6qbsE9EE988tKvVnaUj6ZDUw9+zwDPlexrbyr"
    "DFO83iUruzHQ072LlxS+IjZuvOwdOT7R4Yo95VvYvZRLKj0fYp6+5HwTu0j18zuHtEw+HT4iPfxlVzwX4hk++TwlvsmbEr6W9Zu9"
    "JVYvPcB1Gz45Ogk+O+8UPh4nnb15jAe+nAGEvDLwK73qwtc8o+hmvJwc+z0Zrgi+iCuSPVOGO73dKUG8SFVyvSIjLj7f9cs9+KYZ"
    "vclfQb1lxQW+sUrBvay/Bb2C4qk7QNxWPU0b2729DyK9AWUkvWh8VT5zY1a+TKscvi3K8bvFLNI8kIWyvJecGztqTxO+81+Gvbhx"
    "zL1FNxY9dwYLvRpqdb0rfsK9dk25vU1eTruYyKs8qxIqvYcwO753d9q8n9CgPfKHIT2HXHu8/58OPuOjwD2MdNS9SVWQvuocb769"
    "KxI+z5m3PXATBbzsknA8LN88vGZML70+XzNB"
)


def _probe() -> tuple[torch.Tensor, float]:
    values = np.frombuffer(base64.b64decode(_PROBE), dtype="<f4")
    return torch.from_numpy(values[:-1].copy()), float(values[-1])


def probe_features(encoder: nn.Module, image: torch.Tensor) -> torch.Tensor:
    """``(N, 512)`` features of ``(N, 3, H, W)`` images in [0, 1]: log1p of relu3_3 channel means and stds."""
    h, w = image.shape[-2:]
    scale = PAINTING_SIZE / min(h, w)
    size = (max(PAINTING_SIZE, round(h * scale)), max(PAINTING_SIZE, round(w * scale)))
    if size != (h, w):
        image = F.interpolate(image, size=size, mode="bicubic", antialias=True, align_corners=False).clamp(0, 1)
    top, left = (size[0] - PAINTING_SIZE) // 2, (size[1] - PAINTING_SIZE) // 2
    image = image[..., top : top + PAINTING_SIZE, left : left + PAINTING_SIZE]
    with torch.no_grad():
        feats = encoder(image, (PAINTING_LAYER,))[PAINTING_LAYER].float()
    return torch.cat([feats.mean((2, 3)), feats.std((2, 3))], dim=1).log1p()


def painting_probability(encoder: nn.Module, image: torch.Tensor) -> torch.Tensor:
    """``(N,)`` probability that each of ``(N, 3, H, W)`` images in [0, 1] is a painting (the real VGG16 only)."""
    weight, bias = _probe()
    return torch.sigmoid(probe_features(encoder, image) @ weight.to(image.device) + bias)


def looks_like_paintings(probabilities: torch.Tensor | list[float]) -> tuple[bool, float]:
    """``(verdict, mean probability)`` for a folder's per-image probabilities."""
    mean = float(torch.as_tensor(probabilities, dtype=torch.float32).mean())
    return mean >= PAINTING_THRESHOLD, mean
