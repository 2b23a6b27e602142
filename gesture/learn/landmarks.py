"""Hand landmarks for a data folder: every sample's 21 landmarks through the shipped hand
prior (prior/hands.py), found once and cached under ~/.cache/gesture like the decoded
frames. What the head reads of them is prior/features.py.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np

from ..data.dataset import Sample, parallel_map, save_npz, session_caches
from ..data.images import read_image
from ..prior.features import hand_pixels

LANDMARKS_VERSION = 3  # bump when extraction changes, so cached landmarks are not reused


@dataclass
class Landmarks:
    points: np.ndarray  # (N, 21, 3) float32: x, y in frame pixels, z at the same scale; zeros where no hand
    found: np.ndarray  # (N,) bool
    seconds: float = 0.0  # the time it took to find them (0 when they came from a cache)

    def subset(self, idx) -> "Landmarks":
        return Landmarks(self.points[idx], self.found[idx], self.seconds)


_MEMO: dict = {}  # (file, size, mtime, prior) -> (points, found): a benchmark scores many subsets of one set


def _memo_key(s: Sample, prior_id: str) -> tuple:
    st = s.path.stat()
    return str(s.path), st.st_size, st.st_mtime_ns, prior_id


def extract(samples: list[Sample], make_tracker, prior_id: str, *, cache: bool = True,
            progress: bool = True) -> Landmarks:
    """Each sample's hand, found as in a still photograph (no tracking between files).

    `make_tracker()` builds a hands.HandTracker; one per worker thread, since an ONNX
    Runtime session with its own buffers is cheaper than a lock. Results are kept in
    memory per file, and with `cache` on disk per session, like the decoded frames.
    """
    keys = [_memo_key(s, prior_id) for s in samples]
    # Cached per session: a new one leaves the others' caches valid.
    groups, paths = session_caches(samples, "landmarks", prior_id, LANDMARKS_VERSION)
    for group, path in zip(groups, paths):
        if cache and path.exists() and not all(keys[i] in _MEMO for i in group):
            try:
                with np.load(path) as z:
                    if len(z["found"]) == len(group):
                        _MEMO.update((keys[i], (p, bool(f))) for i, p, f in zip(group, z["points"], z["found"]))
            except (OSError, ValueError, KeyError):
                pass  # a damaged cache is just computed again
    todo = [i for i, k in enumerate(keys) if k not in _MEMO]
    local = threading.local()
    t = time.monotonic()

    def one(s: Sample):
        if not hasattr(local, "tracker"):
            local.tracker = make_tracker()
        img = read_image(s.path)
        hand = None if img is None else local.tracker(img)
        return None if hand is None else hand_pixels(hand, img.shape)

    for i, r in zip(todo, parallel_map(one, [samples[i] for i in todo], "finding hands", progress and bool(todo))):
        _MEMO[keys[i]] = (np.zeros((21, 3), np.float32), False) if r is None else (r, True)
    points = np.stack([_MEMO[k][0] for k in keys]) if keys else np.zeros((0, 21, 3), np.float32)
    found = np.array([_MEMO[k][1] for k in keys], bool)
    if cache and todo:
        redo = set(todo)
        for group, path in zip(groups, paths):
            if group[0] in redo:
                save_npz(path, points=points[group], found=found[group])
    return Landmarks(points, found, time.monotonic() - t)


def find(samples: list[Sample], *, cache: bool = True, progress: bool = True) -> Landmarks:
    """`extract` with the shipped prior: each file's hand found as in a still photograph."""
    from .. import prior

    return extract(samples, lambda: prior.tracker(static=True), prior.key(), cache=cache, progress=progress)
