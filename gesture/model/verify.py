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

The second check is which way the straight fingers point in the frame (features.pointing): a
gesture's kept hands keep theirs, and a hand pointing farther than `direction` degrees
(HeadConfig) from every one of them, or than they spread about their own mean where that is
wider, is not that gesture either, however well its shape matches. The head reads the
direction too, but it learns to use it only where two of the user's gestures differ by it;
so a thumb down still read as a known thumb up, a flat hand hanging at rest as a raised
`stop`. A fist points nowhere and is judged by its shape alone.

A model without a no-gesture class has nowhere to put such a hand, so it is not verified.
"""
from __future__ import annotations

import numpy as np

QUANTILE = 0.99  # tau: the distance that covers this share of a gesture's own training hands
NEAR = 0.2  # same session, within this share of its span: a near-duplicate, not another moment
POINTS = 0.5  # palm lengths of straight finger (features.pointing): less says too little about a direction
MIN_PAIRS = 5  # fewer distances than this cannot say how far apart a gesture's hands lie: not verified


def _squared(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(len(a), len(b)) squared Euclidean distances between rows."""
    return (a * a).sum(1)[:, None] - 2 * a @ b.T + (b * b).sum(1)[None]


def _least(d: np.ndarray) -> np.ndarray:
    """For each row of squared distances, the distance to the nearest column (inf: none)."""
    return np.sqrt(np.maximum(d.min(1), 0)) if d.shape[1] else np.full(len(d), np.inf)


def _nearest(a: np.ndarray, b: np.ndarray, skip: np.ndarray | None = None) -> np.ndarray:
    """For each row of a, the Euclidean distance to the nearest row of b (not where `skip`)."""
    d = _squared(a, b)
    return _least(np.where(skip, np.inf, d) if skip is not None else d)


def build(hidden: np.ndarray, y: np.ndarray, sessions: np.ndarray, index: np.ndarray, none: int | None,
          num_classes: int, bank: int, ways: tuple[np.ndarray, np.ndarray] | None = None) -> dict:
    """The verifier's part of a head's state: kept hands (bank, bank_y), tau per class (0: not
    verified) and, given `ways` (features.pointing of every training hand), the kept hands' ways."""
    hidden = np.asarray(hidden, np.float32)
    sessions, index = np.asarray(sessions).astype(str), np.asarray(index, np.int64)
    span = {s: max(1, int(np.ptp(index[sessions == s]))) for s in np.unique(sessions)}
    window = np.array([span[s] for s in sessions]) * NEAR
    kept, kept_y, kept_i, tau = [], [], [], np.zeros(num_classes, np.float32)
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
        kept_i.append(pick)
    if none is None or not kept:
        return {"bank": None, "bank_y": None, "tau": None}
    out = {"bank": np.concatenate(kept).astype(np.float16), "bank_y": np.concatenate(kept_y).astype(np.int16),
           "tau": tau}
    if ways is not None:
        i = np.concatenate(kept_i)
        way, much = np.asarray(ways[0])[i].astype(np.float32), np.asarray(ways[1])[i].astype(np.float32)
        out.update(bank_way=way, bank_much=much, bank_spread=spread(way, much, out["bank_y"], num_classes))
    return out


def spread(way: np.ndarray, much: np.ndarray, y: np.ndarray, num_classes: int) -> np.ndarray:
    """(classes,) degrees: how far a gesture's own kept hands point from their mean direction at
    most. A gesture people make many ways (a phone call at the ear) is allowed that much."""
    out = np.zeros(num_classes, np.float32)
    for c in range(num_classes):
        w = way[(y == c) & (much >= POINTS)]
        if len(w) >= 2 and np.linalg.norm(w.mean(0)) > 1e-6:
            mean = w.mean(0) / np.linalg.norm(w.mean(0))
            out[c] = np.degrees(np.arccos(np.clip(w @ mean, -1, 1))).max()
    return out


def points_away(way: np.ndarray, much: np.ndarray, bank_way: np.ndarray, bank_much: np.ndarray,
                limit: float) -> np.ndarray:
    """(N,) whether each hand's straight fingers point more than `limit` radians from those of
    every kept hand (M,); where either hand points too little (a fist) there is nothing to compare."""
    cos = np.clip(way @ bank_way.T, -1, 1)
    apart = np.where((much[:, None] < POINTS) | (bank_much[None] < POINTS), 0.0, np.arccos(cos))
    return apart.min(1) > limit if len(bank_way) else np.ones(len(way), bool)


def apply(hidden: np.ndarray, probs: np.ndarray, bank: np.ndarray, bank_y: np.ndarray, tau: np.ndarray,
          none: int, margin: float, ways: tuple | None = None, limit: float = 0.0) -> np.ndarray:
    """probs with each gesture whose kept hands are all farther than margin x tau moved to `none`,
    and, given `ways` = (the hands' features.pointing, the kept hands', their spread) and a
    `limit` in degrees, each gesture whose kept hands all point farther than that (or than the
    gesture's own spread, where that is wider) from the hand."""
    out = probs.copy()
    checked = np.flatnonzero(tau > 0)
    if not len(checked):
        return out
    # The hands against the whole bank at once, then each gesture's nearest among its own: one
    # product instead of one per gesture (the live loop asks on every frame with a hand).
    d = _squared(np.asarray(hidden, np.float32), bank)
    for c in checked:
        mine = bank_y == c
        far = _least(d[:, mine]) > margin * tau[c]
        if ways is not None and limit:
            far |= points_away(ways[0], ways[1], ways[2][mine], ways[3][mine], np.radians(max(limit, ways[4][c])))
        out[far, none] += out[far, c]
        out[far, c] = 0
    return out
