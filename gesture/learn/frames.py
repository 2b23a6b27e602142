"""A data folder decoded once for training: every frame (with a margin for augmentation), its
class, and the prior's hand where it found one; the classes checked before a minute is spent."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import torch

from ..config import TrainConfig
from ..data.dataset import Sample, load_frames, scan
from ..errors import GestureError
from ..preprocess import PreprocessConfig
from . import landmarks

MIN_FRAMES = 10  # per class, after unreadable files are skipped; fewer cannot be split honestly


@dataclass
class Data:
    samples: list[Sample]
    frames: torch.Tensor  # uint8 (N, size+2m, size+2m, 3), model colour order
    y: torch.Tensor  # int64 class indices into labels
    labels: list[str]
    none_label: str | None
    hands: landmarks.Landmarks | None = None  # the prior's hand per frame (find_hands), when training on it


def scan_data(cfg: TrainConfig, log=print):
    ds = scan(cfg.data, cfg.none_label)
    log(ds.none_note)
    if not ds.samples:
        raise GestureError(f"no images found in {cfg.data}; record some with `gesture capture LABEL --data {cfg.data}`")
    return ds


def load_data(cfg: TrainConfig, pcfg: PreprocessConfig, samples: list[Sample] | None = None,
              none_label: str | None = None, log=print, progress: bool = True,
              hands: landmarks.Landmarks | None = None) -> Data:
    """Decode the data folder (or the given samples, with their hands) into memory and check it can be trained on."""
    if samples is None:
        ds = scan_data(cfg, log)
        samples, none_label = ds.samples, ds.none_label
    frames, bad = load_frames(samples, pcfg, cfg.margin, cache=cfg.cache, progress=progress)
    if bad:
        log(f"skipped {len(bad)} unreadable image(s), e.g. {samples[bad[0]].path}")
        skip = set(bad)
        samples = [s for i, s in enumerate(samples) if i not in skip]
        if hands is not None:
            hands = hands.subset([i for i in range(len(hands.found)) if i not in skip])
    counts = Counter(s.label for s in samples)
    labels = sorted(counts)
    if len(labels) < 2:
        raise GestureError(f"only one class ({', '.join(labels) or 'none'}) in {cfg.data}; "
                           "record at least two, ideally every gesture plus `none`")
    small = {k: v for k, v in counts.items() if v < MIN_FRAMES}
    if small:
        raise GestureError("too few frames to train on: " + ", ".join(f"{k!r} has {v}" for k, v in small.items())
                           + f"; record at least {MIN_FRAMES} per class (a few hundred is better)")
    index = {name: i for i, name in enumerate(labels)}
    y = torch.tensor([index[s.label] for s in samples])
    return Data(samples, torch.from_numpy(frames), y, labels, none_label, hands)
