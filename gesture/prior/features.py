"""The features the landmark head reads: 21 x 3 landmarks -> the hand's shape, which ignores
where the hand is, how big it is, how it is turned and which hand it is, and then its
direction in the frame, which keeps what pointing left or right, thumb up or down, means.

The landmarks come from MediaPipe's palm detector and hand-landmark models, which learned
hand geometry from very many hands; a user's few hundred frames cannot teach that. The
features are what a gesture is made of: the shape of the fingers relative to the palm, and
which way the hand and its fingers point in the frame. NumPy only: the live loop reads them.
"""
from __future__ import annotations

import numpy as np

FEATURES_VERSION = 3  # stored in the checkpoint: a head only reads the features it was trained on
# 3: the palm's and each finger's direction in the frame, unmirrored (2 had only the palm's, mirrored)
WRIST, INDEX_MCP, MIDDLE_MCP, PINKY_MCP = 0, 5, 9, 17
TIPS = (4, 8, 12, 16, 20)
# The joints of each finger from its base to its tip, for the bend angles.
FINGERS = ((1, 2, 3, 4), (5, 6, 7, 8), (9, 10, 11, 12), (13, 14, 15, 16), (17, 18, 19, 20))
BASES = tuple(f[0] for f in FINGERS)
# The 15 joints a finger bends at, as (before, joint, after) landmark indices, wrist first; and
# the 10 pairs of fingertips. Index arrays, so each feature group is one NumPy operation on all
# joints at once (a Python loop over them cost a tenth of the live loop's frame).
_CHAINS = [(WRIST,) + f for f in FINGERS]
_BEFORE, _JOINT, _AFTER = (np.array([c[i + k] for c in _CHAINS for i in range(3)]) for k in range(3))
_PAIR_I, _PAIR_J = np.triu_indices(5, 1)
STRAIGHT = 0.7  # a finger whose tip is nearer its base than this share of its length along the joints is bent
SHAPE_FEATURES = 83  # features() begins with these; the rest are directions (x, y) in the frame


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
    dirs = _unit(tips - bases)
    flat = p[..., :2]  # the frame's own axes: the direction parts
    parts = [
        q[:, 1:, :2].reshape(len(q), -1),  # 40: the canonical 2-D shape
        _bends(q),  # 15
        np.linalg.norm(tips, axis=2),  # 5: tip to wrist
        np.linalg.norm(tips - bases, axis=2),  # 5: tip to its own base
        np.linalg.norm(tips[:, _PAIR_I] - tips[:, _PAIR_J], axis=2),  # 10: between each pair of tips
        np.linalg.norm(q[:, [TIPS[0]]] - q[:, [5, 9, 13, 17]], axis=2),  # 4: thumb tip to each finger base
        (dirs[:, 1:] * dirs[:, :-1]).sum(2),  # 4: spread between neighbours
        _unit(flat[:, MIDDLE_MCP]),  # 2: which way the palm points in the frame
        _unit(flat[:, list(TIPS)] - flat[:, list(BASES)]).reshape(len(p), -1),  # 10: which way each finger points
    ]
    return np.concatenate(parts, 1).astype(np.float32)


def pointing(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which way the hand's straight fingers point in the frame: (N, 2) unit vectors, and (N,)
    how much of a hand points (palm lengths; about 0 for a fist).

    Each finger's base-to-tip vector, weighted by how straight it is (0 below STRAIGHT of its
    length along the joints, 1 when straight), summed, neither turned nor mirrored: a finger
    pointing left points left whichever hand it is on, a thumb up is up on both hands, a flat
    hand hanging at rest points down. Curled fingers add nothing, so a fist points nowhere.
    """
    p = np.asarray(points, np.float32)[..., :2]
    joints = p[:, np.array(FINGERS)]  # (N, 5, 4, 2): base to tip
    along = np.linalg.norm(np.diff(joints, axis=2), axis=3).sum(2).clip(min=1e-6)
    span = joints[:, :, 3] - joints[:, :, 0]
    weight = ((np.linalg.norm(span, axis=2) / along - STRAIGHT) / (1 - STRAIGHT)).clip(0, 1)
    palm = np.linalg.norm(p[:, MIDDLE_MCP] - p[:, WRIST], axis=1).clip(min=1e-6)
    v = (weight[..., None] * span).sum(1) / palm[:, None]
    return _unit(v).astype(np.float32), np.linalg.norm(v, axis=1).astype(np.float32)


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True).clip(min=1e-6)


def _bends(q: np.ndarray) -> np.ndarray:
    """The cosine of each finger's bend at its three joints, wrist to tip (1: straight)."""
    return (_unit(q[:, _JOINT] - q[:, _BEFORE]) * _unit(q[:, _AFTER] - q[:, _JOINT])).sum(2)


def hand_pixels(hand, shape) -> np.ndarray:
    """A Hand's normalised landmarks -> pixels, z on the x scale (as MediaPipe defines z)."""
    h, w = shape[:2]
    return hand.landmarks * np.array([w, h, w], np.float32)
