"""The landmark head's training hands, put together one way for `gesture train` and for
relearning after a correction, so the first correction never changes what the head was taught.

    the user's own   every training frame where the prior found a hand
    others           other people's hands of a HaGRID-named label, where they agree with the
                     user's own hands of that label (prior/others.py)
    idle             other people's idle hands, joined to the no-gesture class (prior/idle.py)

Each borrowed hand is a session of its own, so the head's balance by session counts it as
another person. `boost` (relearning's corrected frames) is False for every borrowed hand.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..config import TrainConfig
from ..prior import idle, others


@dataclass
class HandSet:
    points: np.ndarray  # (N, 21, 3) in pixels
    y: np.ndarray
    sessions: np.ndarray
    index: np.ndarray
    boost: np.ndarray
    borrowed: list[str] = field(default_factory=list)  # HaGRID names whose hands joined a label
    refused: list[str] = field(default_factory=list)  # the user's labels whose namesakes disagreed

    def note(self) -> str | None:
        """One line on other people's hands, for the training log; None where no label has a HaGRID name."""
        parts = []
        if self.borrowed:
            parts.append(f"the landmark head also learned from other people's hands of {', '.join(self.borrowed)} "
                         "(hagrid-people, shipped with the starter gestures)")
        if self.refused:
            parts.append(f"left out other people's hands named {', '.join(self.refused)}: most of them look more "
                         "like another of your gestures than like yours of that name")
        return "; ".join(parts) or None


def assemble(points: np.ndarray, y: np.ndarray, sessions, index, labels: list[str], none: int | None,
             cfg: TrainConfig, boost: np.ndarray | None = None) -> HandSet:
    """The user's hands, then other people's that agree with them, then idle hands, as cfg says."""
    n = len(y)
    arrays = (points, y, np.asarray(sessions).astype(str), np.asarray(index, np.int64))
    borrowed, refused = [], []
    if cfg.others:  # judged against the user's own hands alone, before the idle hands join
        arrays, borrowed, refused = others.merge(*arrays, labels, none)
    if cfg.idle and none is not None:
        arrays = idle.merge(*arrays, none, tuple(cfg.idle_exclude))
    boost = np.zeros(n, bool) if boost is None else np.asarray(boost, bool)
    boost = np.concatenate([boost, np.zeros(len(arrays[1]) - n, bool)])
    return HandSet(*arrays, boost, sorted(borrowed), sorted(refused))
