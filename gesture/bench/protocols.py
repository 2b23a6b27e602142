"""The evaluation protocols of the real datasets in ../shared/datasets (see their README).

Each protocol says which frames are the test side. The training side goes through exactly
what `gesture train` does with a data folder (its own session/time-block validation split,
early stopping, the same augmentation), and the test side is scored through exactly what
`gesture eval` and the live loop do (fresh decode, preprocess, fused model). Nothing about
training ever looks at the test side.

    asl-frames   block split: block = index // 300, fold k tests blocks with block % 5 == k
                 late split:  train on index <= 2000, test on index > 2000 (unseen lighting)
    sign-digits  person split: train on file numbers < 4800, test on the rest (other people)
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .. import prior
from ..config import TrainConfig
from ..data.dataset import Sample, scan
from ..data.splits import validation_split
from ..learn.evaluate import evaluate_samples
from ..learn.fit_net import fit
from ..learn.frames import Data, load_data
from ..learn.train import fit_landmark_head, plan
from ..model import checkpoint, framenet, livefile
from ..preprocess import PreprocessConfig

ASL_BLOCK = 300
LATE_CUT = 2000
DIGITS_CUT = 4800


@dataclass
class HoldoutResult:
    name: str
    accuracy: float
    train_frames: int
    test_frames: int
    train_seconds: float  # fit() wall time: the training loop, not the one-off decoding
    epochs: int
    metrics: dict
    model: object = None  # the trained checkpoint, when the caller asked to keep it
    hand_found: float | None = None  # test frames where the prior found a hand
    test_samples: list = None  # the test side, to score it again another way


def train_on(data: Data, train_side: list[int], cfg: TrainConfig, pcfg: PreprocessConfig,
             progress: bool = False) -> tuple:
    """Fit on these frames exactly as `gesture train` would: its own validation split, early
    stopping, and the landmark head where the data has the prior's hands. Returns
    (FitResult, the checkpoint to score), and the seconds the head took in FitResult.seconds."""
    inner = validation_split([data.samples[i] for i in train_side], cfg.val_fraction, cfg.seed)
    res = fit(data, [train_side[i] for i in inner.train], [train_side[i] for i in inner.val], cfg, pcfg,
              progress=progress)
    t = time.monotonic()
    head, _ = fit_landmark_head(data, train_side, cfg)
    res.seconds += time.monotonic() - t
    ck = checkpoint.Checkpoint(res.model, data.labels, data.none_label, pcfg, {}, head.state if head else None,
                               prior.identity() if head else None, framenet.export(res.model))
    return res, ck


def holdout(name: str, data: Data, is_test: Callable[[Sample], bool], cfg: TrainConfig, pcfg: PreprocessConfig,
            progress: bool = False, keep_model: bool = False) -> HoldoutResult:
    """Train on the frames `is_test` rejects, as `gesture train` would; score the others as `gesture eval` would."""
    train_side = [i for i, s in enumerate(data.samples) if not is_test(s)]
    test_side = [s for s in data.samples if is_test(s)]
    res, ck = train_on(data, train_side, cfg, pcfg, progress)
    m = evaluate_samples(livefile.from_checkpoint(ck), test_side, {k: k for k in data.labels}, progress=False)
    return HoldoutResult(name, m["accuracy"], len(train_side), len(test_side), res.seconds, len(res.history), m,
                         ck if keep_model else None, m["hand_found"], test_side)


def load(root: Path, cfg: TrainConfig, labels: list[str] | None = None,
         step: int = 1) -> tuple[Data, PreprocessConfig, float, TrainConfig]:
    """All frames of a dataset (optionally some labels only, or every `step`-th), decoded once for
    every fold, with their hands; and the settings `gesture train` would plan for them."""
    ds = scan(root)
    samples = [s for s in ds.samples if labels is None or s.label in labels][::step]
    t = time.monotonic()
    # As `gesture train` does, once per set: every fold's head reads these hands.
    cfg, pcfg, hands = plan(cfg, samples, log=lambda *a: None, progress=False)
    data = load_data(cfg, pcfg, samples=samples, none_label=ds.none_label, log=lambda *a: None, progress=False,
                     hands=hands)
    return data, pcfg, time.monotonic() - t, cfg


def asl_block(k: int) -> Callable[[Sample], bool]:
    return lambda s: (s.index // ASL_BLOCK) % 5 == k


def asl_late(s: Sample) -> bool:
    return s.index > LATE_CUT


def digits_person(s: Sample) -> bool:
    return s.index >= DIGITS_CUT
