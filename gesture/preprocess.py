"""The one frame -> tensor path used by training, evaluation and the live loop.

Every setting lives in `PreprocessConfig`, which the checkpoint stores, so the live loop
preprocesses exactly as training did (the most common bug in tools like this one).

    crop_box   the centred square the model sees, in frame pixels (previews draw it)
    prepare    crop + resize to uint8 RGB; with `margin` > 0 the same pixels plus a border
    to_input   uint8 NHWC batch -> standardised float32 NCHW array, in NumPy (eval and run)
    preprocess prepare + to_input for one frame: the live loop's whole path, no torch
    standardize the same standardisation on float tensors, for training's augmented
               batches (a test proves both give the same input for the same frame)
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import cv2
import numpy as np

if TYPE_CHECKING:
    import torch


@dataclass(frozen=True)
class PreprocessConfig:
    size: int = 112  # model input side, px (ModelConfig.size)
    crop: float = 1.0  # side of the centred square, as a fraction of the frame's short side
    color: str = "RGB"  # channel order the model sees; frames arrive BGR from OpenCV
    mean: tuple = (0.5, 0.5, 0.5)  # on 0..1 values, in `color` order
    std: tuple = (0.25, 0.25, 0.25)
    # "channel": each image standardised by its own per-channel mean and std, so a global
    # change of light or white balance changes nothing the network sees (measured better
    # on the development splits); "fixed": the mean/std above.
    norm: str = "channel"

    def __post_init__(self):
        object.__setattr__(self, "mean", tuple(float(v) for v in self.mean))
        object.__setattr__(self, "std", tuple(float(v) for v in self.std))
        if not 0.1 <= self.crop <= 1.0:
            raise ValueError(f"crop must be between 0.1 and 1.0 of the short side, got {self.crop}")
        if self.color not in ("RGB", "BGR"):
            raise ValueError(f"color must be RGB or BGR, got {self.color!r}")
        if self.norm not in ("fixed", "channel"):
            raise ValueError(f"norm must be fixed or channel, got {self.norm!r}")
        if self.size < 16:
            raise ValueError(f"size must be at least 16 px, got {self.size}")

    def to_dict(self) -> dict:
        d = asdict(self)
        d["mean"], d["std"] = list(self.mean), list(self.std)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "PreprocessConfig":
        return cls(**d)


def crop_box(height: int, width: int, crop: float) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) of the centred square the model sees, in frame pixels."""
    side = max(1, round(min(height, width) * crop))
    x0, y0 = (width - side) // 2, (height - side) // 2
    return x0, y0, x0 + side, y0 + side


def prepare(frame: np.ndarray, cfg: PreprocessConfig, margin: int = 0) -> np.ndarray:
    """Crop the centred square and resize it to cfg.size, as uint8 in the model's colour order.

    With `margin` > 0 the result is (size + 2*margin) square: the same square at the same
    scale with a border of real surroundings (mirrored where the frame ends),
    so training can shift and zoom. Its centre matches `prepare(frame, cfg)` up to
    resampling phase.
    """
    h, w = frame.shape[:2]
    x0, y0, x1, y1 = crop_box(h, w, cfg.crop)
    grow = round(margin * (x1 - x0) / cfg.size)
    region = _crop_padded(frame, x0 - grow, y0 - grow, x1 + grow, y1 + grow)
    img = _shrink(region, cfg.size + 2 * margin)
    if cfg.color == "RGB":
        img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
    return img


def _crop_padded(frame: np.ndarray, x0: int, y0: int, x1: int, y1: int) -> np.ndarray:
    h, w = frame.shape[:2]
    part = frame[max(0, y0):min(h, y1), max(0, x0):min(w, x1)]
    pads = (max(0, -y0), max(0, y1 - h), max(0, -x0), max(0, x1 - w))
    return cv2.copyMakeBorder(part, *pads, cv2.BORDER_REFLECT_101) if any(pads) else part


def _shrink(img: np.ndarray, out: int) -> np.ndarray:
    """Square image -> out x out. Area averaging by a whole factor first (OpenCV's fast path,
    no aliasing), then bilinear for the rest: same look as INTER_AREA at under half the cost."""
    side = img.shape[0]
    k = side // out
    if k >= 2:
        img = cv2.resize(img, (side // k, side // k), interpolation=cv2.INTER_AREA)
    if img.shape[0] == out:
        return np.ascontiguousarray(img)
    return cv2.resize(img, (out, out), interpolation=cv2.INTER_LINEAR if img.shape[0] < 2 * out else cv2.INTER_AREA)


def to_input(batch: np.ndarray, cfg: PreprocessConfig) -> np.ndarray:
    """uint8 NHWC (or HWC) -> standardised float32 NCHW, as `standardize` does on tensors."""
    batch = np.asarray(batch)
    if batch.ndim == 3:
        batch = batch[None]
    n, h, w, _ = batch.shape
    out = np.empty((n, 3, h, w), np.float32)
    for i, img in enumerate(batch):
        if cfg.norm == "fixed":
            mean, std = np.float32(cfg.mean) * 255, np.float32(cfg.std) * 255
        else:
            # OpenCV's per-channel statistics are 30x faster than NumPy's over two axes; its std
            # is the population one, torch's the unbiased one (n - 1): rescale to match.
            m, sd = cv2.meanStdDev(img)
            mean = m.ravel().astype(np.float32)
            std = np.maximum(sd.ravel() * np.sqrt(h * w / (h * w - 1)), 0.02 * 255).astype(np.float32)
        out[i] = ((img.astype(np.float32) - mean) / std).transpose(2, 0, 1)
    return out


def standardize(x: "torch.Tensor", cfg: PreprocessConfig) -> "torch.Tensor":
    """float 0..1 NCHW -> what the model eats; training's augmented batches go through here too."""
    import torch

    if cfg.norm == "fixed":
        mean = torch.tensor(cfg.mean).view(1, 3, 1, 1)
        std = torch.tensor(cfg.std).view(1, 3, 1, 1)
    else:
        mean = x.mean((2, 3), keepdim=True)
        std = x.std((2, 3), keepdim=True).clamp_(min=0.02)
    return ((x - mean) / std).contiguous(memory_format=torch.channels_last)


def preprocess(frame: np.ndarray, cfg: PreprocessConfig) -> np.ndarray:
    """One BGR frame -> a 1x3xSxS float32 array, exactly as the model was trained to see it."""
    return to_input(prepare(frame, cfg), cfg)


def centres(stored, size: int):
    """Training's uint8 margin frames (N, size+2m, size+2m, 3), a NumPy array or a tensor -> their
    centre squares, the frames `prepare` gives without the margin (what the live loop sees)."""
    m = (stored.shape[1] - size) // 2
    return stored[:, m:m + size, m:m + size]
