"""One frame -> class probabilities, the same way in `gesture eval`, `gesture run` and the bench.

Two opinions, from a checkpoint trained on the hand prior:
- the landmark head, on the 21 landmarks the prior finds: it reads the hand's shape and
  ignores the room, the light and the sleeve, so it carries over to a new session;
- the whole-frame network, which still judges frames where no hand is found (dim,
  back-lit, a hand half out of view) and is the only opinion of a --from-scratch model.

`combine` is the single rule that joins them, used on batches (eval) and on single
frames (run) alike, so evaluation measures exactly what the live loop does.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .. import prior
from ..prior.features import hand_pixels
from .head import LandmarkHead

if TYPE_CHECKING:
    from .checkpoint import Checkpoint


def combine(p_frame: np.ndarray, p_head: np.ndarray | None, found: np.ndarray) -> np.ndarray:
    """Where the prior found a hand, the head decides; elsewhere the whole-frame network."""
    if p_head is None or not found.any():
        return p_frame
    out = p_frame.copy()
    out[found] = p_head
    return out


class Recognizer:
    """The checkpoint's two opinions on one BGR frame; `video` tracks the hand between frames."""

    def __init__(self, ck: "Checkpoint", where: str, video: bool = True, threads: int = 1):
        self.head = LandmarkHead(ck.head) if ck.head is not None else None
        self.tracker = None
        if self.head is not None:
            prior.check(ck.prior, where)
            self.tracker = prior.tracker(static=not video, threads=threads)
        self.hand = None  # the last frame's Hand, for the overlay

    def hand_probs(self, frame: np.ndarray) -> np.ndarray | None:
        """The head's probabilities for this frame, or None when no hand is found (or no head)."""
        if self.tracker is None:
            return None
        self.hand = self.tracker(frame)
        if self.hand is None:
            return None
        return self.head.probs(hand_pixels(self.hand, frame.shape)[None])[0]
