"""Hand landmarks for a data folder, found once and cached, and the features the head reads.

    extract     every sample's 21 landmarks through the shipped hand prior (hands.py),
                cached under ~/.cache/gesture like the decoded frames
    features    21 x 3 landmarks -> the hand's shape, which ignores where the hand is, how big
                it is, how it is turned and which hand it is, and then its direction in the
                frame, which keeps what pointing left or right, thumb up or down, means

The landmarks come from MediaPipe's palm detector and hand-landmark models, which learned
hand geometry from very many hands; a user's few hundred frames cannot teach that. The
features are what a gesture is made of: the shape of the fingers relative to the palm, and
which way the hand and its fingers point in the frame.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np

from .dataset import Sample, parallel_map, save_npz, session_caches
from .images import read_image

LANDMARKS_VERSION = 2  # bump when extraction changes, so cached landmarks are not reused
FEATURES_VERSION = 3  # stored in the checkpoint: a head only reads the features it was trained on
# 3: the palm's and each finger's direction in the frame, unmirrored (2 had only the palm's, mirrored)
WRIST, INDEX_MCP, MIDDLE_MCP, PINKY_MCP = 0, 5, 9, 17
TIPS = (4, 8, 12, 16, 20)
# The joints of each finger from its base to its tip, for the bend angles.
FINGERS = ((1, 2, 3, 4), (5, 6, 7, 8), (9, 10, 11, 12), (13, 14, 15, 16), (17, 18, 19, 20))
BASES = tuple(f[0] for f in FINGERS)
SHAPE_FEATURES = 83  # features() begins with these; the rest are directions (x, y) in the frame


@dataclass
class Landmarks:
    points: np.ndarray  # (N, 21, 3) float32: x, y in frame pixels, z at the same scale; zeros where no hand
    found: np.ndarray  # (N,) bool
    seconds: float = 0.0  # the time it took to find them (0 when they came from a cache)

    def subset(self, idx) -> "Landmarks":
        return Landmarks(self.points[idx], self.found[idx], self.seconds)


def features(points: np.ndarray) -> np.ndarray:
    """(N, 21, 3) landmarks in pixels -> (N, 95) float32 features: the hand's shape, then its direction.

    The shape ignores where the hand is, how big and how turned, and which hand it is. The
    hand is moved to the wrist, scaled by the palm's length (wrist to middle-finger base)
    and turned so that the palm points up; a hand whose index base then lies right of its
    pinky base is mirrored. That one rule covers a left hand, and also the back of the hand
    against its palm, which look the same in 2-D (measured: mirroring by MediaPipe's own
    left/right label cost 5-15 points from one session to the next). Then what a shape is
    made of: each finger's bend at its three joints, how far each fingertip is from the
    wrist, its own base and the other tips, the thumb tip to each finger base, and the
    spread between neighbouring fingers.

    The direction is what the upright, mirrored shape throws away, and what pointing left,
    right, up or down, thumb up or down, and a hand hanging idle are made of: the palm's
    axis and each finger's base-to-tip direction, as unit vectors in the frame, neither
    turned nor mirrored. So a left and a right hand pointing left read the same, and a
    frame flipped left to right points the other way. The head's roll augmentation
    (HeadConfig.roll) keeps a small tilt from mattering; where a user's gestures differ
    only in shape, the head learns to lean on the shape (measured in `gesture bench`).
    """
    p = np.asarray(points, np.float32)
    p = p - p[:, WRIST:WRIST + 1]
    up = p[:, MIDDLE_MCP, :2]
    palm = np.linalg.norm(up, axis=1).clip(min=1e-6)
    sin, cos = up[:, 0] / palm, -up[:, 1] / palm  # the palm's tilt from straight up
    x, y = p[..., 0], p[..., 1]
    xr = cos[:, None] * x + sin[:, None] * y  # a turn by -tilt: the palm's axis lands on (0, -palm)
    yr = -sin[:, None] * x + cos[:, None] * y
    q = np.stack([xr, yr, p[..., 2]], -1) / palm[:, None, None]
    mirror = q[:, INDEX_MCP, 0] > q[:, PINKY_MCP, 0]
    q[mirror, :, 0] *= -1
    q[mirror, :, 2] *= -1

    tips = q[:, list(TIPS)]
    bases = q[:, list(BASES)]
    pairs = [(i, j) for i in range(5) for j in range(i + 1, 5)]
    dirs = _unit(tips - bases)
    flat = p[..., :2]  # the frame's own axes: the direction parts
    parts = [
        q[:, 1:, :2].reshape(len(q), -1),  # 40: the canonical 2-D shape
        _bends(q),  # 15
        np.linalg.norm(tips, axis=2),  # 5: tip to wrist
        np.linalg.norm(tips - bases, axis=2),  # 5: tip to its own base
        np.stack([np.linalg.norm(tips[:, i] - tips[:, j], axis=1) for i, j in pairs], 1),  # 10
        np.linalg.norm(q[:, [TIPS[0]]] - q[:, [5, 9, 13, 17]], axis=2),  # 4: thumb tip to each finger base
        (dirs[:, 1:] * dirs[:, :-1]).sum(2),  # 4: spread between neighbours
        _unit(flat[:, MIDDLE_MCP]),  # 2: which way the palm points in the frame
        _unit(flat[:, list(TIPS)] - flat[:, list(BASES)]).reshape(len(p), -1),  # 10: which way each finger points
    ]
    return np.concatenate(parts, 1).astype(np.float32)


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True).clip(min=1e-6)


def _bends(q: np.ndarray) -> np.ndarray:
    """The cosine of each finger's bend at its three joints, wrist to tip (1: straight)."""
    bends = []
    for f in FINGERS:
        chain = (WRIST,) + f
        for a, b, c in zip(chain[:-2], chain[1:-1], chain[2:]):
            bends.append((_unit(q[:, b] - q[:, a]) * _unit(q[:, c] - q[:, b])).sum(1))
    return np.stack(bends, 1)


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


def hand_pixels(hand, shape) -> np.ndarray:
    """A Hand's normalised landmarks -> pixels, z on the x scale (as MediaPipe defines z)."""
    h, w = shape[:2]
    return hand.landmarks * np.array([w, h, w], np.float32)
