"""Batched training augmentations on tensors: one affine warp and a few tensor ops per batch.

Frames are stored with a margin around the square the model sees (preprocess.prepare),
so shifts and zooms pull in real surroundings. With every range at its neutral value the
warp returns exactly the stored centre, i.e. what the live loop sees.

The photometric ranges are deliberately wide: users move from daylight to a desk lamp
to a window behind them, and a model that has only seen one light breaks in the next.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F

from ..preprocess import centres


@dataclass(frozen=True)
class AugmentConfig:
    zoom: tuple = (0.8, 1.25)  # >1 zooms in
    shift: float = 0.12  # max shift, as a fraction of the image side
    rotate: float = 15.0  # max rotation, degrees
    flip: bool = False  # mirroring changes which hand is shown: off unless asked for
    brightness: tuple = (0.35, 1.7)  # multiplicative gain
    contrast: tuple = (0.5, 1.5)
    gamma: tuple = (0.5, 2.0)
    color: float = 0.15  # per-channel gain jitter (white balance)
    saturation: tuple = (0.4, 1.4)
    grayscale: float = 0.1  # probability
    shade: float = 0.7  # strength of a random linear light gradient (side and back light)
    blur: float = 0.3  # probability of a Gaussian blur
    noise: float = 0.04  # max std of Gaussian noise, on 0..1 values
    erase: float = 0.25  # probability of blanking a random rectangle

    def to_dict(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    def scaled(self, f: float) -> "AugmentConfig":
        """Every range pulled towards "no change" by factor f (0: none, 1: as configured).

        Training ramps f up over the first epochs: from scratch, a small net facing the full
        ranges at once can sit at chance for many epochs before it starts to learn.
        """
        out = {}
        for k, v in asdict(self).items():
            if isinstance(v, bool):
                out[k] = v
            elif isinstance(v, tuple):  # multiplicative range around 1
                out[k] = tuple(math.exp(math.log(x) * f) for x in v)
            else:
                out[k] = v * f
        return AugmentConfig(**out)


def _uniform(n: int, lo_hi, gen: torch.Generator) -> torch.Tensor:
    lo, hi = lo_hi
    return torch.rand(n, generator=gen) * (hi - lo) + lo


def _log_uniform(n: int, lo_hi, gen: torch.Generator) -> torch.Tensor:
    lo, hi = lo_hi
    return torch.exp(torch.rand(n, generator=gen) * (math.log(hi) - math.log(lo)) + math.log(lo))


def centre(stored: torch.Tensor, size: int) -> torch.Tensor:
    """uint8 NHWC margin images -> the float 0..1 NCHW centre squares the live loop would see."""
    return centres(stored, size).permute(0, 3, 1, 2).float().div_(255)


def warp(stored: torch.Tensor, size: int, cfg: AugmentConfig, gen: torch.Generator) -> torch.Tensor:
    """Random zoom, shift, rotation (and optional flip) of uint8 NHWC margin images -> float NCHW size x size."""
    n, side = stored.shape[0], stored.shape[1]
    x = stored.permute(0, 3, 1, 2).float().div_(255)
    zoom = _log_uniform(n, cfg.zoom, gen)
    angle = (torch.rand(n, generator=gen) * 2 - 1) * math.radians(cfg.rotate)
    # Output coords in [-1, 1] map to input coords; `base` makes the identity the centre square.
    base = size / side
    s = base / zoom
    cos, sin = torch.cos(angle) * s, torch.sin(angle) * s
    sx = torch.where(torch.rand(n, generator=gen) < 0.5, -1.0, 1.0) if cfg.flip else torch.ones(n)
    shift = (torch.rand(n, 2, generator=gen) * 2 - 1) * cfg.shift * 2 * base
    theta = torch.stack([
        torch.stack([cos * sx, -sin, shift[:, 0]], 1),
        torch.stack([sin * sx, cos, shift[:, 1]], 1),
    ], 1)
    grid = F.affine_grid(theta, (n, 3, size, size), align_corners=False)
    # Reflection, not edge replication: a replicated edge smears stripes no camera produces.
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=False)


def photometric(x: torch.Tensor, cfg: AugmentConfig, gen: torch.Generator) -> torch.Tensor:
    """Light, colour, blur, noise and occlusion on float 0..1 NCHW images, per sample."""
    n, _, h, w = x.shape

    def per(t):
        return t.view(n, 1, 1, 1)

    # Saturation, contrast, brightness and white balance are all per-sample affine maps,
    # folded into one multiply-add so a batch costs a few passes, not a dozen.
    gray = x.mean(1, keepdim=True)
    sat = per(_uniform(n, cfg.saturation, gen))
    sat = torch.where(per(torch.rand(n, generator=gen)) < cfg.grayscale, torch.zeros_like(sat), sat)
    x = x.mul_(sat).add_(gray * (1 - sat))
    contrast = per(_log_uniform(n, cfg.contrast, gen))
    gain = per(_log_uniform(n, cfg.brightness, gen)) * (1 + (torch.rand(n, 3, 1, 1, generator=gen) * 2 - 1) * cfg.color)
    mean = x.mean((1, 2, 3), keepdim=True)
    x = x.mul_(contrast * gain).add_(mean * (1 - contrast) * gain)

    # A light gradient across the frame, from a random direction: a window to one side,
    # or behind (strong), which darkens the hand against a bright background.
    direction = torch.rand(n, generator=gen) * 2 * math.pi
    ys = torch.linspace(-1, 1, h).view(1, 1, h, 1)
    xs = torch.linspace(-1, 1, w).view(1, 1, 1, w)
    ramp = per(torch.cos(direction)) * xs + per(torch.sin(direction)) * ys
    x = x.mul_((1 + per(torch.rand(n, generator=gen) * cfg.shade) * ramp).clamp_(min=0.05))

    x = x.clamp_(0, 1).pow_(per(_log_uniform(n, cfg.gamma, gen)))

    blur = torch.rand(n, generator=gen) < cfg.blur
    if blur.any():
        # Separable 5-tap Gaussian, one sigma per batch: a tenth of the cost of a 2-D kernel.
        sigma = float(_uniform(1, (0.5, 1.5), gen))
        k = torch.exp(-torch.arange(-2, 3, dtype=torch.float32) ** 2 / (2 * sigma ** 2))
        k = (k / k.sum()).view(1, 1, 1, 5).expand(3, 1, 1, 5).contiguous()
        b = F.conv2d(F.pad(x[blur], (2, 2, 0, 0), mode="replicate"), k, groups=3)
        x[blur] = F.conv2d(F.pad(b, (0, 0, 2, 2), mode="replicate"), k.transpose(2, 3), groups=3)

    # Sensor noise, grey (one draw per pixel, not per channel: a third of the random numbers).
    x = x.add_(torch.randn((n, 1, h, w), generator=gen).mul_(per(torch.rand(n, generator=gen) * cfg.noise)))

    erase = torch.nonzero(torch.rand(n, generator=gen) < cfg.erase).flatten().tolist()
    for i in erase:
        eh, ew = (int(v) for v in torch.randint(h // 8, h // 3, (2,), generator=gen))
        y0, x0 = int(torch.randint(0, h - eh, (1,), generator=gen)), int(torch.randint(0, w - ew, (1,), generator=gen))
        x[i, :, y0:y0 + eh, x0:x0 + ew] = torch.rand(3, 1, 1, generator=gen)
    return x.clamp_(0, 1)


def augment(stored: torch.Tensor, size: int, cfg: AugmentConfig, gen: torch.Generator) -> torch.Tensor:
    """uint8 NHWC margin images -> augmented float 0..1 NCHW, ready for preprocess.standardize."""
    return photometric(warp(stored, size, cfg, gen), cfg, gen)
