"""One frame -> class probabilities, the same way in `gesture eval`, `gesture run` and the bench.

Two opinions, from a checkpoint trained on the hand prior:
- the landmark head, on the 21 landmarks the prior finds: it reads the hand's shape and
  ignores the room, the light and the sleeve, so it carries over to a new session;
- the whole-frame network, which still judges frames where no hand is found (dim,
  back-lit, a hand half out of view) and is the only opinion of a --from-scratch model.

`combine` is the single rule that joins them, used on batches (eval) and on single
frames (run, through `Recognizer`) alike, so evaluation measures exactly what the live
loop does.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .. import prior
from ..preprocess import preprocess
from ..prior.features import hand_pixels
from .head import LandmarkHead

if TYPE_CHECKING:
    from .checkpoint import Checkpoint
    from .framenet import FrameNet


def combine(p_frame: np.ndarray, p_head: np.ndarray | None, found: np.ndarray) -> np.ndarray:
    """Where the prior found a hand, the head decides; elsewhere the whole-frame network."""
    if p_head is None or not found.any():
        return p_frame
    out = p_frame.copy()
    out[found] = p_head
    return out


@dataclass
class Reading:
    """What one frame says: the class probabilities, the hand they came from (None: the
    whole-frame network's), and the milliseconds of each half."""
    probs: np.ndarray
    hand: object | None
    hand_ms: float
    preprocess_ms: float
    infer_ms: float


class Recognizer:
    """A checkpoint's two opinions on one BGR frame, joined by `combine`'s rule: the head
    where the prior finds a hand, else the whole-frame network. `video` tracks the hand
    between frames. `ck` and `net` are the model as loaded; a relearned one is a new Recognizer."""

    def __init__(self, ck: "Checkpoint", where: str, net: "FrameNet | None" = None, video: bool = True,
                 threads: int = 1):
        self.ck, self.net = ck, net
        self.head = LandmarkHead(ck.head) if ck.head is not None else None
        self.tracker = None
        if self.head is not None:
            prior.check(ck.prior, where)
            self.tracker = prior.tracker(static=not video, threads=threads, wake=video)
        self.hand = None  # the last frame's Hand, for the overlay

    def __call__(self, frame: np.ndarray) -> Reading:
        t0 = time.perf_counter()
        probs = self.hand_probs(frame)
        t1 = t2 = time.perf_counter()
        if probs is None:  # no hand: the frame as training saw it, through the network
            x = preprocess(frame, self.ck.preprocess)
            t2 = time.perf_counter()
            probs = self.net.probs(x)[0]
        t3 = time.perf_counter()
        return Reading(probs, self.hand, (t1 - t0) * 1000, (t2 - t1) * 1000, (t3 - t2) * 1000)

    def hand_probs(self, frame: np.ndarray) -> np.ndarray | None:
        """The head's probabilities for this frame, or None when no hand is found (or no head)."""
        if self.tracker is None:
            return None
        self.hand = self.tracker(frame)
        if self.hand is None:
            return None
        return self.head.probs(hand_pixels(self.hand, frame.shape)[None])[0]
