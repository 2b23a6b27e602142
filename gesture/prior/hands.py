"""21 hand landmarks without MediaPipe: its hand-tracking graph re-done in NumPy + OpenCV.

Mirrors mediapipe/modules/hand_landmark/hand_landmark_tracking_cpu.pbtxt (MediaPipe 0.10.x) with
num_hands=1 and model_complexity=0, running MediaPipe's own Apache-2.0 models
(palm_detection_lite, hand_landmark_lite) converted to ONNX by gesture/tools/tflite_onnx.py:

  palm detection on the whole frame (palm_detection_cpu.pbtxt) -> hand ROI
  (palm_detection_detection_to_roi.pbtxt) -> landmark model on the rotated crop
  (hand_landmark_cpu.pbtxt) -> in video, the next frame's ROI from these landmarks
  (hand_landmark_landmarks_to_roi.pbtxt), so palm detection runs only when the hand is lost.

ROIs are kept in pixels (centre x, y, side, rotation in radians); MediaPipe keeps them normalised,
which is the same thing once its RectTransformation has made them square in pixels.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..errors import GestureError
from ..paths import WEIGHTS
from ..util import ort_session

# OpenCV 5 splits a warp's rows among its threads, and where it splits moves a crop pixel by a grey
# level here and there: one hagrid-people photograph's landmarks moved 0.0016 px between one core
# and two, or between two runs of training's thread pool (whose threads share OpenCV's), and the
# starter head rebuilt from them differed by 0.016. One thread inside OpenCV gives the same pixels
# on every machine; the crops are small, and a 640x480 finger-count replay was no slower (4.6 ms a frame).
cv2.setNumThreads(1)

PALM_MODEL, LANDMARK_MODEL = "palm_detection_lite.onnx", "hand_landmark_lite.onnx"
# The second look (HandTracker._detect_closer, video only): a square this many times the changed
# region's longer side, at least CLOSER_MIN of the frame's longer side (a 3.3x zoom at most); where
# that would be more than CLOSER_MAX of it, the whole frame.
CLOSER_MARGIN, CLOSER_MIN, CLOSER_MAX = 1.5, 0.3, 0.6
CLOSER_GAMMA = 0.5  # and brightened: grey level g -> 255 (g / 255) ** 0.5 (64 -> 128, 16 -> 64; 255 stays)
_BRIGHTER = np.clip(255 * (np.arange(256) / 255) ** CLOSER_GAMMA + 0.5, 0, 255).astype(np.uint8)
# An empty scene whose picture changes on every frame (light, noise, a person in the background)
# woke palm detection and its second look on every frame: twice a hand's cost, all day. After
# IDLE_AFTER looks in a row that found no palm, palm detection runs on every IDLE_EVERY-th frame
# that changed, and the second look on every other of those; a hand that comes in then waits up
# to IDLE_EVERY - 1 frames more (`gesture bench --only speed` measures both).
IDLE_AFTER, IDLE_EVERY = 15, 3


@dataclass
class Hand:
    landmarks: np.ndarray  # (21, 3) float32: x, y in [0, 1] of the frame's width/height; z as MediaPipe's
    presence: float        # the landmark model's hand-presence score in [0, 1]
    handedness: float      # MediaPipe's score for its label "Right" (it assumes a mirrored, selfie view)
    box: tuple             # (x0, y0, x1, y1): axis-aligned box of the 21 landmarks, in frame pixels


class OnnxRunner:
    """One ONNX Runtime session: run(x) -> the model's outputs, in the model's order."""

    def __init__(self, path: Path, threads: int = 1):
        try:
            import onnxruntime  # noqa: F401  (only needed here, so importing gesture.prior.hands stays cheap)
        except ImportError as e:
            raise GestureError("hand tracking needs onnxruntime: pip install onnxruntime") from e
        if not path.is_file():
            raise GestureError(f"hand model {path} is missing: "
                               "make it from MediaPipe's .tflite with gesture/tools/tflite_onnx.py")
        try:
            self.session = ort_session(str(path), threads)
        except Exception as e:  # onnxruntime raises its own types for truncated or foreign files
            raise GestureError(f"hand model {path} cannot be read ({type(e).__name__}): "
                               "re-create it with gesture/tools/tflite_onnx.py") from e
        self.input = self.session.get_inputs()[0].name

    def run(self, x: np.ndarray) -> list:
        return self.session.run(None, {self.input: x})


def _anchors() -> np.ndarray:
    """SsdAnchorsCalculator centres for palm_detection 192 (strides 8,16,16,16, offsets 0.5, one aspect ratio
    plus the interpolated scale, fixed_anchor_size): (2016, 2). Layers of equal stride share one grid, so a
    24x24 grid has 2 anchors per cell and a 12x12 grid 3 layers x 2 = 6; with fixed sizes only centres matter."""
    out = []
    for grid, per_cell in ((24, 2), (12, 6)):
        y, x = np.mgrid[0:grid, 0:grid]
        centres = np.stack([(x + 0.5) / grid, (y + 0.5) / grid], -1).reshape(-1, 1, 2)
        out.append(np.repeat(centres, per_cell, axis=1).reshape(-1, 2))
    return np.concatenate(out).astype(np.float32)


def _norm_angle(a: float) -> float:
    """MediaPipe's NormalizeRadians: into [-pi, pi)."""
    return a - 2 * math.pi * math.floor((a + math.pi) / (2 * math.pi))


def _crop(bgr: np.ndarray, roi: tuple, size: int, border: int) -> np.ndarray:
    """ImageToTensorCalculator's OpenCV path: the rotated ROI's corners (cv::boxPoints) go to the tensor's
    corners, bilinear, then [0, 255] -> [0, 1] (output_tensor_float_range of both graphs), in RGB, the
    order both models were trained on. -> (1, size, size, 3)."""
    cx, cy, w, h, rot = roi
    src = cv2.boxPoints(((cx, cy), (w, h), math.degrees(rot)))  # bottom-left, top-left, top-right, bottom-right
    # MediaPipe fits a perspective transform to the 4 corners; it is affine, and warpAffine gives the same pixels.
    m = cv2.getAffineTransform(src[:3], np.float32([[0, size], [0, 0], [size, 0]]))
    out = cv2.warpAffine(bgr, m, (size, size), flags=cv2.INTER_LINEAR, borderMode=border, borderValue=0)
    # The warp treats each channel alike, so the colour order is swapped here, on the small crop: the
    # same numbers as converting the whole frame first, which cost a 640x480 copy per frame. OpenCV's
    # swap, then a float copy scaled in place: the same numbers again as multiplying NumPy's reversed
    # view, which cost 0.36 ms a crop against 0.05 (its strides defeat NumPy's fast loops).
    x = cv2.cvtColor(out, cv2.COLOR_BGR2RGB).astype(np.float32)
    x *= np.float32(1 / 255)
    return x[None]


def _iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """OverlapSimilarity INTERSECTION_OVER_UNION of (xmin, ymin, xmax, ymax) boxes; 0 when disjoint."""
    lo, hi = np.maximum(box[:2], boxes[:, :2]), np.minimum(box[2:], boxes[:, 2:])
    inter = np.prod(np.clip(hi - lo, 0, None), axis=1)

    def area(b):
        return (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])

    union = area(box) + area(boxes) - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0)


def _transform(cx: float, cy: float, w: float, h: float, rot: float, scale: float, shift_y: float) -> tuple:
    """RectTransformationCalculator (shift along the rotated y axis, then square_long, then scale), in pixels."""
    cx, cy = cx - h * shift_y * math.sin(rot), cy + h * shift_y * math.cos(rot)
    side = max(w, h) * scale
    return cx, cy, side, side, rot


class Wake:
    """While no hand is tracked, palm detection (most of what an empty room costs) runs only when
    the picture has changed: a 32x24 grey thumbnail differs from the one at the last detection
    by more than `level` (of 255) in some cell, or `every` frames have passed since. A hand that
    enters changes the picture, so it is looked for on the frame it appears; a still, empty
    room is looked at a few times a second. `changed` is where this frame changed, in frame pixels
    (x0, y0, x1, y1), or None: where HandTracker takes a second look when the first found no palm.
    A scene that keeps changing with no palm in it (`idle`: IDLE_AFTER misses in a row) is looked
    at on every `idle_every`-th changed frame only. `looks` counts the frames let through: each
    is the picture the next frames are compared with."""

    GRID = (32, 24)

    def __init__(self, level: float = 10.0, every: int = 8, idle_after: int = IDLE_AFTER,
                 idle_every: int = IDLE_EVERY):
        self.level, self.every, self.idle_after, self.idle_every = level, every, idle_after, idle_every
        self.ref: np.ndarray | None = None
        self.waited = 0
        self.changed: tuple | None = None
        self.misses = 0  # palm detections in a row that found no palm
        self.passed = 0  # changed frames passed over while idle
        self.looks = 0

    @property
    def idle(self) -> bool:
        return self.misses >= self.idle_after

    def looked(self, found: bool) -> None:
        """What palm detection found on a frame this let through. Only a look the picture's change
        asked for counts as a miss: a still room's periodic look must not make it idle, or a hand
        entering a room that had been still for a few seconds would wait."""
        self.misses = 0 if found else self.misses + (self.changed is not None)

    def reset(self) -> None:
        """Look on the next frame (a hand was just lost: it is likely still there)."""
        self.ref, self.misses = None, 0

    def __call__(self, bgr: np.ndarray) -> bool:
        """Should palm detection run on this frame?"""
        thumb = cv2.resize(cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY), self.GRID, interpolation=cv2.INTER_AREA)
        thumb = thumb.astype(np.int16)
        moved = None if self.ref is None else np.abs(thumb - self.ref) > self.level
        self.changed = None  # only on the frame of a change: a still room's periodic look gets no second one
        if moved is not None and moved.any():
            ys, xs = np.nonzero(moved)
            h, w = bgr.shape[:2]
            gx, gy = w / self.GRID[0], h / self.GRID[1]
            self.changed = (xs.min() * gx, ys.min() * gy, (xs.max() + 1) * gx, (ys.max() + 1) * gy)
        if moved is not None and moved.any() and self.idle and self.waited + 1 < self.every:
            self.passed += 1
            if self.passed < self.idle_every:  # the reference stays: the next frame still differs from it
                self.waited += 1
                return False
        if moved is None or self.waited + 1 >= self.every or moved.any():
            self.ref, self.waited, self.passed = thumb, 0, 0
            self.looks += 1
            return True
        self.waited += 1
        return False


class HandTracker:
    """MediaPipe's Hands(max_num_hands=1, model_complexity=0) for BGR frames.

    Video mode (static=False) tracks: the next frame's ROI comes from this frame's landmarks and palm
    detection runs only when there is no hand to track, and with `wake` only when the picture
    changed (Wake). static=True detects on every frame (stills). `detected` says whether the
    last call ran palm detection; `same_picture`, that the wake let the last frame pass because
    it is still the picture of its last look (`wake.looks`): nothing tracked, nothing changed.
    """

    runner = OnnxRunner  # anything with run(x) -> outputs; the class attribute lets a test or tool swap it

    def __init__(self, weights_dir: Path | None = None, static: bool = False, threads: int = 1,
                 min_detection: float = 0.5, min_presence: float = 0.5, wake: Wake | None = None):
        d = Path(weights_dir) if weights_dir is not None else WEIGHTS
        self.palm = self.runner(d / PALM_MODEL, threads)
        self.landmark = self.runner(d / LANDMARK_MODEL, threads)
        self.static, self.min_detection, self.min_presence = static, min_detection, min_presence
        self.anchors = _anchors()
        self.detected = self.same_picture = False
        self._roi: tuple | None = None  # the tracked hand's ROI for the next frame
        self.wake = None if static else wake

    def reset(self) -> None:
        """Forget the tracked hand: the next frame runs palm detection (a new video, a scene cut)."""
        self._roi = None
        if self.wake is not None:
            self.wake.reset()

    def __call__(self, bgr: np.ndarray) -> Hand | None:
        if bgr.ndim != 3 or bgr.shape[2] != 3 or bgr.dtype != np.uint8:
            raise ValueError(f"HandTracker wants an HxWx3 uint8 BGR frame, got {bgr.dtype} {bgr.shape}")
        roi = None if self.static else self._roi
        self.detected = self.same_picture = False
        if roi is None and self.wake is not None and not self.wake(bgr):
            self.same_picture = self.wake.changed is None  # not a changed frame passed over while idle
            return None  # nothing tracked and nothing changed: no hand came in
        if roi is None:
            self.detected = True
            roi = self._detect(bgr)
            if roi is None and self.wake is not None and (not self.wake.idle or self.wake.misses % 2 == 0):
                roi = self._detect_closer(bgr, self.wake.changed)
            if roi is None:
                if self.wake is not None:
                    self.wake.looked(False)
                return None
        hand = self._landmarks(bgr, roi)
        if self.detected and self.wake is not None:
            self.wake.looked(hand is not None)  # a "palm" in the curtains that is no hand is a miss
        if hand is None and self._roi is not None and self.wake is not None:
            self.wake.reset()  # a hand just lost is likely still there: look for it on the next frame
        # hand_landmark_tracking_cpu's loopback: a lost hand (no landmarks) means detection on the next frame.
        self._roi = None if hand is None or self.static else self._roi_from_landmarks(hand.landmarks, bgr.shape)
        return hand

    def _detect_closer(self, bgr: np.ndarray, changed: tuple | None) -> tuple | None:
        """A second look where the picture changed, when the whole frame showed no palm: a square
        around the change (the palm model sees the frame at 192 px, where a far hand is a few
        pixels wide), brightened (a back-lit or dim hand, which the palm model misses, though the
        landmark model reads it well once it is found). The landmarks are then read from the
        frame as it is. Only while nothing is tracked and only after a miss, so a tracked hand
        and a still room cost nothing more."""
        if changed is None:
            return None
        h, w = bgr.shape[:2]
        x0, y0, x1, y1 = changed
        side = max(max(x1 - x0, y1 - y0) * CLOSER_MARGIN, CLOSER_MIN * max(w, h))
        # Most of the frame changed: the whole frame, brightened.
        square = ((x0 + x1) / 2, (y0 + y1) / 2, side) if side <= CLOSER_MAX * max(w, h) else None
        return self._detect(cv2.LUT(bgr, _BRIGHTER), square)

    def _detect(self, bgr: np.ndarray, square: tuple | None = None) -> tuple | None:
        """palm_detection_cpu.pbtxt + PalmDetectionDetectionToRoi: the most confident palm's hand ROI, or None.
        `square` (cx, cy, side) in frame pixels: look only there (default: the whole frame)."""
        h, w = bgr.shape[:2]
        if square is None:
            # ImageToTensorCalculator keep_aspect_ratio (PadRoi): the whole frame, padded to a square with zeros.
            cx, cy, side = w / 2, h / 2, float(max(w, h))
            pad_x, pad_y = (1 - w / side) / 2, (1 - h / side) / 2
            sx, sy = w / (1 - 2 * pad_x), h / (1 - 2 * pad_y)
        else:  # the frame's origin in the square's [0, 1], and the square's side in pixels
            cx, cy, side = square
            pad_x, pad_y = (side / 2 - cx) / side, (side / 2 - cy) / side
            sx = sy = side
        outs = self.palm.run(_crop(bgr, (cx, cy, side, side, 0.0), 192, cv2.BORDER_CONSTANT))
        reg = next(o for o in outs if o.shape[-1] == 18)[0]
        logit = next(o for o in outs if o.shape[-1] == 1)[0, :, 0]
        # TensorsToDetectionsCalculator: score_clipping_thresh 100, sigmoid, min_score_thresh.
        score = 1 / (1 + np.exp(-np.clip(logit, -100, 100)))
        keep = np.flatnonzero((score >= self.min_detection) & (reg[:, 2] >= 0) & (reg[:, 3] >= 0))  # no negative sizes
        if not keep.size:
            return None
        reg, score, anchor = reg[keep] / 192, score[keep], self.anchors[keep]  # x/y/w/h_scale 192, anchor size 1
        centre, size = reg[:, :2] + anchor, reg[:, 2:4]
        boxes = np.concatenate([centre - size / 2, centre + size / 2], 1)
        kps = reg[:, 4:].reshape(-1, 7, 2) + anchor[:, None]
        # NonMaxSuppressionCalculator WEIGHTED, IoU > 0.3: the best box's cluster, score-weighted. With one hand
        # wanted (ClipDetectionVectorSizeCalculator) only the first, most confident cluster is needed.
        order = np.argsort(-score, kind="stable")
        top = order[0]
        cluster = order[_iou(boxes[top], boxes[order]) > 0.3]
        wt = score[cluster, None]
        box = (boxes[cluster] * wt).sum(0) / wt.sum()
        kp = (kps[cluster] * wt[:, :, None]).sum(0) / wt.sum()
        # DetectionLetterboxRemovalCalculator, then to pixels of the frame.
        box = (box - [pad_x, pad_y, pad_x, pad_y]) * [sx, sy, sx, sy]
        kp = (kp - [pad_x, pad_y]) * [sx, sy]
        # DetectionsToRectsCalculator: rotation from keypoint 0 (wrist centre) to 2 (middle finger MCP), to 90 deg.
        rot = _norm_angle(math.pi / 2 - math.atan2(-(kp[2, 1] - kp[0, 1]), kp[2, 0] - kp[0, 0]))
        # RectTransformationCalculator: scale 2.6, shift_y -0.5, square_long (the palm box -> the whole hand).
        return _transform((box[0] + box[2]) / 2, (box[1] + box[3]) / 2, box[2] - box[0], box[3] - box[1],
                          rot, 2.6, -0.5)

    def _landmarks(self, bgr: np.ndarray, roi: tuple) -> Hand | None:
        """hand_landmark_cpu.pbtxt: the landmark model on the ROI crop; None when the hand is not present."""
        h, w = bgr.shape[:2]
        if not roi[2] > 0:  # a degenerate (or NaN) ROI, which MediaPipe's ValidateRoi rejects: no hand
            return None
        # BORDER_REPLICATE: the graph leaves border_mode unset. The ROI is square, so no letterbox to undo.
        screen, presence, handedness, _world = self.landmark.run(_crop(bgr, roi, 224, cv2.BORDER_REPLICATE))
        presence = float(presence.ravel()[0])  # TensorsToFloatsCalculator: the model's sigmoid output as is
        if presence < self.min_presence:  # ThresholdingCalculator (min_tracking_confidence in mp.solutions)
            return None
        # TensorsToLandmarksCalculator: /224, z also /224 and / normalize_z 0.4.
        p = screen.reshape(21, 3).astype(np.float64) / 224
        u, v = p[:, 0] - 0.5, p[:, 1] - 0.5
        cx, cy, side, _, rot = roi
        c, s = math.cos(rot), math.sin(rot)
        # LandmarkProjectionCalculator: rotate back about the ROI centre; z scales with the ROI width, as x.
        x = (cx + (c * u - s * v) * side) / w
        y = (cy + (s * u + c * v) * side) / h
        z = p[:, 2] / 0.4 * side / w
        lm = np.stack([x, y, z], 1).astype(np.float32)
        # TensorsToClassificationCalculator binary_classification: the raw score is "Left" (handedness.txt
        # line 0), 1 - score "Right".
        box = (float(x.min() * w), float(y.min() * h), float(x.max() * w), float(y.max() * h))
        return Hand(lm, presence, 1.0 - float(handedness.ravel()[0]), box)

    def _roi_from_landmarks(self, lm: np.ndarray, shape: tuple) -> tuple:
        """HandLandmarkLandmarksToRoi: HandLandmarksToRectCalculator on its 12 palm-and-lower-finger landmarks,
        then RectTransformation scale 2.0, shift_y -0.1, square_long."""
        h, w = shape[:2]
        p = lm[[0, 1, 2, 3, 5, 6, 9, 10, 13, 14, 17, 18], :2].astype(np.float64) * [w, h]
        # Rotation: wrist -> mean of (mean of index and ring MCP) and middle MCP, target 90 degrees.
        x1, y1 = ((p[4] + p[8]) / 2 + p[6]) / 2
        rot = _norm_angle(math.pi / 2 - math.atan2(-(y1 - p[0, 1]), x1 - p[0, 0]))
        # Box of the points in the hand's rotated frame, about the axis-aligned box's centre.
        centre = (p.max(0) + p.min(0)) / 2
        c, s = math.cos(rot), math.sin(rot)
        d = p - centre
        q = np.stack([d[:, 0] * c + d[:, 1] * s, -d[:, 0] * s + d[:, 1] * c], 1)  # rotated by -rot
        qc, (bw, bh) = (q.max(0) + q.min(0)) / 2, q.max(0) - q.min(0)
        cx, cy = centre[0] + qc[0] * c - qc[1] * s, centre[1] + qc[0] * s + qc[1] * c
        return _transform(cx, cy, bw, bh, rot, 2.0, -0.1)
