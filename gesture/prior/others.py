"""Other people's hands of named gestures, shipped beside the starter: a user's `peace` learns
from their own frames and from hagrid-people's peace signs.

gesture/weights/starter_hands.npz holds the landmarks (21 points per hand, no pixels) of every
hagrid-people image of a gesture where the prior finds a hand, with its HaGRID class name
(written by tools/build_starter.py; CC BY-SA 4.0, see SOURCES.md). Where one of the user's
labels is a HaGRID name (case and `-`/`_`/space aside), those hands may join that label, each
a session of its own: other people, other rooms. A label that is no HaGRID name gets nothing,
and no-gesture classes get the idle hands (idle.py) instead.

A name is not a meaning: one user calls a thumbs-up `ok`, where HaGRID's `ok` is the
thumb-and-index ring. So the hands join only where they agree with the user's own: most of
them must have, as their nearest hand of the user's, one of that label (`agrees`). Taught
the ring as a thumbs-up, a person's real ring frames all read as `ok` (0.987 -> 0.887 across
sessions on real webcam recordings).
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from ..paths import WEIGHTS
from .features import SHAPE_FEATURES, features

FILE = WEIGHTS / "starter_hands.npz"
AGREE = 0.5  # "most of them": the share of other people's hands that must agree with the user's


def key(name: str) -> str:
    return name.lower().replace("-", "_").replace(" ", "_")


def load(path: Path = FILE) -> tuple[np.ndarray, np.ndarray]:
    """(N, 21, 3) landmarks in pixels, and each hand's HaGRID class name."""
    if not path.is_file():
        return np.zeros((0, 21, 3), np.float32), np.zeros(0, str)
    with np.load(path) as z:
        return z["points"].astype(np.float32), z["labels"].astype(str)


def matches(labels: list[str], none: int | None, path: Path = FILE) -> dict[int, str]:
    """The user's label index -> the HaGRID name whose hands join it."""
    _, names = load(path)
    known = {key(n): str(n) for n in set(names)}  # plain str: a checkpoint holds plain data only
    return {i: known[key(g)] for i, g in enumerate(labels) if i != none and key(g) in known}


def agrees(mine: np.ndarray, y: np.ndarray, theirs: np.ndarray, label: int) -> float:
    """The share of `theirs` (other people's hands of one name) whose nearest hand among the
    user's own (`mine`, labelled `y`) is of `label`."""
    return agreement(mine, y, {label: theirs})[label]


def agreement(mine: np.ndarray, y: np.ndarray, theirs: dict[int, np.ndarray]) -> dict[int, float]:
    """agrees() for several labels at once, the user's own hands' features computed once: by
    the head's shape features (where the hand is, how big and which hand aside), scaled by the
    user's own spread of each."""
    a = features(mine)[:, :SHAPE_FEATURES]
    mu, sd = a.mean(0), a.std(0) + 1e-3
    a = (a - mu) / sd
    out = {}
    for label, pts in theirs.items():
        if len(pts) == 0 or not (y == label).any():
            out[label] = 0.0
            continue
        b = (features(pts)[:, :SHAPE_FEATURES] - mu) / sd
        d = (b * b).sum(1)[:, None] - 2 * b @ a.T + (a * a).sum(1)[None]
        out[label] = float((y[d.argmin(1)] == label).mean())
    return out


def merge(points: np.ndarray, y: np.ndarray, sessions: np.ndarray, index: np.ndarray, labels: list[str],
          none: int | None, path: Path = FILE):
    """The user's hands with other people's hands of the same gesture names joined to them where
    most of those agree with the user's hands of that name (AGREE). Returns the four arrays, the
    HaGRID names taken and the user's labels refused."""
    pts, names = load(path)
    taken, refused, rows = [], [], []
    take = matches(labels, none, path)
    theirs = {i: np.flatnonzero(names == name) for i, name in take.items()}
    share = agreement(points, y, {i: pts[j] for i, j in theirs.items()}) if theirs else {}
    for i, j in theirs.items():
        if share[i] >= AGREE:
            taken.append(take[i])
            rows += [(i, k) for k in j]
        else:
            refused.append(labels[i])
    if not rows:
        return (points, y, sessions, index), taken, refused
    cls, idx = (np.array(v) for v in zip(*rows))
    return (np.concatenate([points, pts[idx]]), np.concatenate([y, cls.astype(y.dtype)]),
            np.concatenate([np.asarray(sessions).astype(str), [f"others:{j}" for j in idx]]),
            np.concatenate([np.asarray(index, np.int64), np.zeros(len(idx), np.int64)])), taken, refused


def identity(path: Path = FILE) -> dict | None:
    if not path.is_file():
        return None
    return {"sha256": hashlib.sha256(path.read_bytes()).hexdigest(), "hands": len(load(path)[0])}
