"""The verifier: a hand read as a gesture must also look like the user's own hands of that gesture.

A softmax puts every hand on one of the classes it knows. A hand that is none of them (an
unknown shape, a hand scratching, holding a cup, half-closed at rest) still lands on the
gesture it is least unlike, often confidently. Wake-word engines answer the same problem
with a second check against the user's own recordings; this is that check for hands:

    build   after training, keep up to `bank` training hands of each gesture, as the head's
            hidden layer sees them, and measure how far a training hand lies from the others
            of its gesture recorded at another moment: the distance within which 99% of them
            fall (tau), leaving out those of the same session within a fifth of its length,
            since neighbouring frames are near-duplicates
    apply   a hand farther than `margin` x tau from every kept hand of a gesture is no
            evidence for it: that gesture's probability moves to the no-gesture class

Distances are taken in the hidden layer, where what tells the user's gestures apart counts
and what does not is squeezed out: in a first study on hagrid-people with 7 of its gestures
known, at twice tau, the hidden layer turned 72% of the other gestures' images to
no-gesture (known ones read right: 0.947), the raw features 34% (0.958).

A model without a no-gesture class has nowhere to put such a hand, so it is not verified.
"""
from __future__ import annotations

import numpy as np

QUANTILE = 0.99  # tau: the distance that covers this share of a gesture's own training hands
NEAR = 0.2  # same session, within this share of its span: a near-duplicate, not another moment
MIN_PAIRS = 5  # fewer distances than this cannot say how far apart a gesture's hands lie: not verified


def _nearest(a: np.ndarray, b: np.ndarray, skip: np.ndarray | None = None) -> np.ndarray:
    """For each row of a, the Euclidean distance to the nearest row of b (not where `skip`)."""
    d = (a * a).sum(1)[:, None] - 2 * a @ b.T + (b * b).sum(1)[None]
    if skip is not None:
        d = np.where(skip, np.inf, d)
    return np.sqrt(np.maximum(d.min(1), 0)) if b.shape[0] else np.full(len(a), np.inf)


def build(hidden: np.ndarray, y: np.ndarray, sessions: np.ndarray, index: np.ndarray, none: int | None,
          num_classes: int, bank: int) -> dict:
    """The verifier's part of a head's state: kept hands (bank, bank_y) and tau per class (0: not verified)."""
    hidden = np.asarray(hidden, np.float32)
    sessions, index = np.asarray(sessions).astype(str), np.asarray(index, np.int64)
    span = {s: max(1, int(np.ptp(index[sessions == s]))) for s in np.unique(sessions)}
    window = np.array([span[s] for s in sessions]) * NEAR
    kept, kept_y, tau = [], [], np.zeros(num_classes, np.float32)
    for c in range(num_classes):
        mine = np.flatnonzero(y == c)
        if c == none or len(mine) == 0:
            continue
        pick = mine[np.linspace(0, len(mine) - 1, min(bank, len(mine))).round().astype(int)]
        pick = np.unique(pick)
        near = (sessions[mine][:, None] == sessions[pick][None]) & (
            np.abs(index[mine][:, None] - index[pick][None]) <= window[mine][:, None])
        d = _nearest(hidden[mine], hidden[pick], near)
        d = d[np.isfinite(d)]
        if len(d) >= MIN_PAIRS:
            tau[c] = np.quantile(d, QUANTILE)
        kept.append(hidden[pick])
        kept_y.append(np.full(len(pick), c))
    if none is None or not kept:
        return {"bank": None, "bank_y": None, "tau": None}
    return {"bank": np.concatenate(kept).astype(np.float16), "bank_y": np.concatenate(kept_y).astype(np.int16),
            "tau": tau}


def apply(hidden: np.ndarray, probs: np.ndarray, bank: np.ndarray, bank_y: np.ndarray, tau: np.ndarray,
          none: int, margin: float) -> np.ndarray:
    """probs with each gesture whose kept hands are all farther than margin x tau moved to `none`."""
    out = probs.copy()
    for c in np.flatnonzero(tau > 0):
        far = _nearest(hidden, bank[bank_y == c]) > margin * tau[c]
        out[far, none] += out[far, c]
        out[far, c] = 0
    return out
