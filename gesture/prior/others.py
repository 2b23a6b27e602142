"""Other people's hands of named gestures, shipped beside the starter: a user's `peace` learns
from their own frames and from hagrid-people's peace signs.

gesture/weights/starter_hands.npz holds the landmarks (21 points per hand, no pixels) of every
hagrid-people image of a gesture where the prior finds a hand, with its HaGRID class name
(written by tools/build_starter.py; CC BY-SA 4.0, see SOURCES.md). Where one of the user's
labels is a HaGRID name (case and `-`/`_`/space aside), those hands join that label, each a
session of its own: other people, other rooms. A label that is no HaGRID name gets nothing,
and no-gesture classes get the idle hands (idle.py) instead.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from ..paths import WEIGHTS

FILE = WEIGHTS / "starter_hands.npz"


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


def merge(points: np.ndarray, y: np.ndarray, sessions: np.ndarray, index: np.ndarray, labels: list[str],
          none: int | None, path: Path = FILE) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The user's hands with other people's hands of the same gesture names joined to them."""
    pts, names = load(path)
    take = matches(labels, none, path)
    rows = [(i, j) for i, name in take.items() for j in np.flatnonzero(names == name)]
    if not rows:
        return points, y, sessions, index
    cls, idx = (np.array(v) for v in zip(*rows))
    return (np.concatenate([points, pts[idx]]), np.concatenate([y, cls.astype(y.dtype)]),
            np.concatenate([np.asarray(sessions).astype(str), [f"others:{j}" for j in idx]]),
            np.concatenate([np.asarray(index, np.int64), np.zeros(len(idx), np.int64)]))


def identity(path: Path = FILE) -> dict | None:
    if not path.is_file():
        return None
    return {"sha256": hashlib.sha256(path.read_bytes()).hexdigest(), "hands": len(load(path)[0])}
