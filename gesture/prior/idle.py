"""Idle hands shipped with the package: what a hand that means nothing looks like.

A user records `none` in one room, often without their hands in view; tomorrow their hands
hang at their sides, rest on the desk or half-close, and a model that never saw that reads
them as a gesture (the most common complaint). So the landmark head also learns, as the
no-gesture class, the landmarks of idle hands of many other people:

    hagrid-people/no_gesture   relaxed hands at the side or on the lap, ~25 people and rooms (CC BY-SA 4.0)

(drone-gestures/no_class is not idle: its frames show hands raised in shapes outside that
set's commands, thumbs-up, open palms, pointing, which must not teach `none`.)

`python -m gesture.tools.build_idle DATASETS OUT` rebuilds the file from ../shared/datasets with the
shipped hand prior (scripts/build-prior runs it). Only landmarks are kept: 21 points per
hand, no pixels. SOURCES.md beside the file gives the licenses; the CC BY-SA 4.0 part
makes the file CC BY-SA 4.0.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..paths import WEIGHTS

IDLE_FILE = WEIGHTS / "idle_hands.npz"
SETS = ("hagrid-people/no_gesture",)


def load(exclude: tuple[str, ...] = (), path: Path = IDLE_FILE) -> np.ndarray:
    """(N, 21, 3) idle-hand landmarks in pixels, without the sets named in `exclude`
    (a benchmark leaves out the set it scores)."""
    if not path.is_file():
        return np.zeros((0, 21, 3), np.float32)
    with np.load(path) as z:
        points, source = z["points"].astype(np.float32), z["source"]
    keep = np.array([SETS[i] not in exclude and SETS[i].split("/")[0] not in exclude for i in source], bool)
    return points[keep] if len(keep) else points


def merge(points: np.ndarray, y: np.ndarray, sessions: np.ndarray, index: np.ndarray, none: int,
          exclude: tuple[str, ...] = ()) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The user's hands with other people's idle hands joined to the no-gesture class `none`;
    each idle hand is a session of its own (another person, another room)."""
    extra = load(exclude)
    return (np.concatenate([points, extra]), np.concatenate([y, np.full(len(extra), none, y.dtype)]),
            np.concatenate([np.asarray(sessions).astype(str), [f"idle:{i}" for i in range(len(extra))]]),
            np.concatenate([np.asarray(index, np.int64), np.zeros(len(extra), np.int64)]))


def identity(exclude: tuple[str, ...] = (), path: Path = IDLE_FILE) -> dict | None:
    """What a checkpoint records of the idle hands it learned from."""
    if not path.is_file():
        return None
    import hashlib

    return {"sha256": hashlib.sha256(path.read_bytes()).hexdigest(), "hands": len(load(exclude, path)),
            "excluded": list(exclude)}
