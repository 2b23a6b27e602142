"""A synthetic camera: hand-like shapes drawn with OpenCV, for tests, the demo and benchmarks.

Each gesture is a pattern of raised fingers on a palm with a forearm. Position, scale,
rotation, skin tone, background and lighting vary, drift smoothly within a segment (like a
hand held in front of a webcam) and jump between segments. "none" scenes are the empty
room, sometimes with an arm or a half-visible hand at the bottom edge.

Everything is drawn from seeded generators keyed by (seed, segment, frame), so a script
always renders the same pixels.

A script is a comma-separated list of `LABEL xCOUNT` items and `key=value` options:
    synth:fist x30, none x20, v x30, seed=1, size=640x480, fps=30
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from ..errors import SourceError

# Which fingers are raised: thumb, index, middle, ring, pinky.
GESTURES = {
    "fist": (0, 0, 0, 0, 0),
    "palm": (1, 1, 1, 1, 1),
    "point": (0, 1, 0, 0, 0),
    "v": (0, 1, 1, 0, 0),
    "three": (0, 1, 1, 1, 0),
    "l": (1, 1, 0, 0, 0),
    "y": (1, 0, 0, 0, 1),
}
NONE = "none"
LABELS = (NONE, *GESTURES)

DEFAULT_SIZE = (640, 480)
DEFAULT_FPS = 30.0
DEFAULT_COUNT = 30
SWAY_FRAMES = 60  # frames from one pose to the other, 2 s at 30 fps

# Hand geometry in palm widths, hand frame y pointing up from the palm centre.
# (base x, base y, length, splay in degrees) for index, middle, ring, pinky.
_FINGERS = ((-0.36, 0.45, 0.85, 8), (-0.12, 0.52, 0.95, 2), (0.12, 0.5, 0.88, -4), (0.35, 0.42, 0.68, -12))
_FINGER_W = 0.21
_SKIN = np.array([  # BGR, light to dark
    (189, 205, 242), (160, 186, 231), (130, 165, 215), (102, 138, 188), (72, 104, 150), (48, 70, 104),
], np.float32)


@dataclass(frozen=True)
class Script:
    segments: tuple  # ((label, count), ...)
    seed: int = 0
    size: tuple = DEFAULT_SIZE
    fps: float = DEFAULT_FPS

    @property
    def length(self) -> int:
        return sum(n for _, n in self.segments)

    def labels(self) -> list[str]:
        """The true label of every frame, in order."""
        return [label for label, n in self.segments for _ in range(n)]


def default_segments() -> tuple:
    segs = []
    for g in GESTURES:
        segs += [(NONE, 20), (g, 40)]
    return tuple(segs + [(NONE, 20)])


def parse_script(text: str) -> Script:
    """Parse the part after `synth:`; an empty script plays every gesture with "none" between."""
    segments, opts = [], {}
    for item in (t.strip() for t in text.split(",")):
        if not item:
            continue
        if "=" in item:
            key, _, value = (s.strip() for s in item.partition("="))
            try:
                if key == "seed":
                    opts["seed"] = int(value)
                elif key == "fps":
                    opts["fps"] = float(value)
                    if opts["fps"] <= 0:
                        raise ValueError
                elif key == "size":
                    w, h = (int(v) for v in value.lower().split("x"))
                    if not (32 <= w <= 4096 and 32 <= h <= 4096):
                        raise ValueError
                    opts["size"] = (w, h)
                else:
                    raise SourceError(f"synth: unknown option {key!r}; options are seed=N, size=WxH, fps=F")
            except ValueError:
                raise SourceError(f"synth: bad value in {item!r} (seed=1, size=640x480, fps=30)") from None
            continue
        parts = item.split()
        label = parts[0].lower()
        if label not in LABELS or len(parts) > 2:
            raise SourceError(f"synth: cannot read {item!r}; write LABEL xCOUNT with LABEL one of {', '.join(LABELS)}")
        count = DEFAULT_COUNT
        if len(parts) == 2:
            if not (parts[1][:1] in "xX*" and parts[1][1:].isdigit() and int(parts[1][1:]) > 0):
                raise SourceError(f"synth: bad count in {item!r}; write e.g. '{label} x30'")
            count = int(parts[1][1:])
        segments.append((label, count))
    return Script(tuple(segments) or default_segments(), **opts)


def _rng(*key: int) -> np.random.Generator:
    return np.random.default_rng([abs(k) for k in key])


def _background(rng: np.random.Generator, w: int, h: int) -> np.ndarray:
    """A room: a two-colour gradient wall with a few blurred rectangles (shelves, posters, a door)."""
    c0, c1 = rng.uniform(30, 230, 3), rng.uniform(30, 230, 3)
    t = np.linspace(0, 1, h, dtype=np.float32)[:, None, None]
    img = (c0 * (1 - t) + c1 * t).astype(np.float32) * np.ones((1, w, 1), np.float32)
    for _ in range(rng.integers(2, 7)):
        x0, y0 = int(rng.uniform(-0.2, 1) * w), int(rng.uniform(-0.2, 1) * h)
        x1, y1 = x0 + int(rng.uniform(0.05, 0.5) * w), y0 + int(rng.uniform(0.05, 0.6) * h)
        cv2.rectangle(img, (x0, y0), (x1, y1), tuple(float(v) for v in rng.uniform(20, 240, 3)), -1)
    img = cv2.GaussianBlur(img, (0, 0), 2.0)
    return img


def _to_image(pts: np.ndarray, cx: float, cy: float, scale: float, angle: float) -> np.ndarray:
    """Hand-frame points (palm widths, y up) to image pixels, rotated by `angle` radians."""
    c, s = math.cos(angle), math.sin(angle)
    x, y = pts[..., 0], pts[..., 1]
    return np.stack([cx + scale * (c * x + s * y), cy - scale * (-s * x + c * y)], -1)


def _draw_hand(img, fingers, cx, cy, scale, angle, skin, shade) -> None:
    """Forearm, palm, folded fingers, raised fingers and thumb, each with a darker outline."""
    edge = tuple(float(v) for v in skin * 0.62)
    fill = tuple(float(v) for v in skin)
    knuckle = tuple(float(v) for v in skin * shade)

    def px(points):
        return np.round(_to_image(np.asarray(points, np.float32), cx, cy, scale, angle) * 16).astype(np.int32)

    def capsule(p0, p1, width, color):
        a, b = px([p0, p1])
        thick = max(2, int(width * scale))
        cv2.line(img, tuple(a), tuple(b), edge, thick + 3, cv2.LINE_AA, shift=4)
        cv2.line(img, tuple(a), tuple(b), color, thick, cv2.LINE_AA, shift=4)

    arm = px([(-0.34, -0.45), (0.34, -0.45), (0.42, -4.0), (-0.42, -4.0)])
    cv2.fillConvexPoly(img, arm, knuckle, cv2.LINE_AA, shift=4)
    palm = px([(-0.5, 0.45), (-0.47, -0.3), (-0.3, -0.55), (0.3, -0.55), (0.47, -0.3), (0.5, 0.4), (0.2, 0.55),
               (-0.2, 0.58)])
    cv2.fillConvexPoly(img, palm, fill, cv2.LINE_AA, shift=4)
    cv2.polylines(img, [palm], True, edge, 2, cv2.LINE_AA, shift=4)

    for raised, (bx, by, length, splay) in zip(fingers[1:], _FINGERS):
        if raised:
            a = math.radians(splay)
            tip = (bx - length * math.sin(a), by + length * math.cos(a))
            capsule((bx, by - 0.1), tip, _FINGER_W, fill)
        else:
            # A folded finger shows as a knuckle ridge across the top of the palm.
            capsule((bx, by - 0.05), (bx, by - 0.28), _FINGER_W * 1.05, knuckle)
    if fingers[0]:
        capsule((-0.42, -0.2), (-0.95, 0.35), _FINGER_W * 1.1, fill)
    else:
        capsule((-0.4, -0.25), (0.05, -0.05), _FINGER_W * 1.1, knuckle)


class SynthRenderer:
    """Renders frame i of a script; frames are independent, so any frame can be drawn on its own."""

    def __init__(self, script: Script):
        self.script = script
        self._starts = np.cumsum([0] + [n for _, n in script.segments])
        self._cache: dict[int, tuple] = {}

    def _segment(self, k: int):
        if k not in self._cache:
            w, h = self.script.size
            rng = _rng(self.script.seed, k)
            short = min(w, h)
            # The hand stays mostly inside the centred square the model sees.
            def pos():
                return (w / 2 + rng.uniform(-0.16, 0.16) * short, h / 2 + rng.uniform(-0.08, 0.2) * short)

            motion = {
                "p0": pos(), "p1": pos(),
                # Palm widths of a quarter to a third of the frame height: a hand at arm's length before a
                # laptop camera. At a sixth to a quarter, fingers shrink to 4 px at 112 px input and a
                # 5-class synthetic set trained to only 0.75 in 45 s, against 0.95 at this size.
                "s0": rng.uniform(0.24, 0.34) * short, "s1": rng.uniform(0.24, 0.34) * short,
                "a0": rng.uniform(-0.45, 0.45), "a1": rng.uniform(-0.45, 0.45),
                "skin": _SKIN[rng.integers(len(_SKIN))] * rng.uniform(0.9, 1.1, 3).astype(np.float32),
                "shade": rng.uniform(0.7, 0.85),
                "gain0": rng.uniform(0.45, 1.35), "gain1": rng.uniform(0.45, 1.35),
                "gamma": rng.uniform(0.7, 1.5),
                "backlit": rng.random() < 0.15,
                "distractor": rng.random() < 0.5,
                "noise": (rng.normal(0, rng.uniform(2, 7), (h + 32, w + 32, 1))).astype(np.float32),
            }
            # Light from one side, tinted warm or cold; per frame only its overall gain drifts.
            tint = rng.uniform(-0.12, 0.12)
            ramp = 1 + rng.uniform(-0.5, 0.5) * np.linspace(-1, 1, w, dtype=np.float32)[None, :, None]
            motion["light"] = ramp * np.array([1 + tint, 1, 1 - tint], np.float32)
            if len(self._cache) > 8:
                self._cache.clear()
            self._cache[k] = (_background(rng, w, h), motion)
        return self._cache[k]

    def frame(self, i: int) -> tuple[np.ndarray, str]:
        k = int(np.searchsorted(self._starts, i, side="right") - 1)
        label = self.script.segments[k][0]
        # Drift between the segment's two poses and back every SWAY_FRAMES, so the motion per
        # frame is the same however long the segment is.
        t = (i - self._starts[k]) / SWAY_FRAMES
        ease = 0.5 - 0.5 * math.cos(math.pi * t)
        bg, m = self._segment(k)
        rng = _rng(self.script.seed, k, i)
        w, h = self.script.size
        img = bg.copy()

        def lerp(a, b):
            return a + (b - a) * ease

        wobble = math.sin(2 * math.pi * (t * 1.7 + 0.3 * k))
        cx = lerp(m["p0"][0], m["p1"][0]) + 3 * wobble
        cy = lerp(m["p0"][1], m["p1"][1]) + 2 * math.cos(2 * math.pi * t * 1.3)
        scale, angle = lerp(m["s0"], m["s1"]), lerp(m["a0"], m["a1"]) + 0.04 * wobble
        if label != NONE:
            _draw_hand(img, GESTURES[label], cx, cy, scale, angle, m["skin"], m["shade"])
        elif m["distractor"]:
            # Arms and half-visible hands at the bottom edge must read as "no gesture".
            _draw_hand(img, (0, 0, 0, 0, 0), cx, h + scale * rng.uniform(0.2, 0.5), scale, angle * 2, m["skin"],
                       m["shade"])

        if m["backlit"]:
            # A bright window behind: the scene brightens and the hand darkens towards a silhouette.
            img *= 0.45
            img += 150
        img *= m["light"] * lerp(m["gain0"], m["gain1"])
        ox, oy = rng.integers(0, 32, 2)
        img += m["noise"][oy:oy + h, ox:ox + w]
        img = np.clip(img, 0, 255, out=img).astype(np.uint8)
        lut = (255 * (np.arange(256) / 255.0) ** m["gamma"]).astype(np.uint8)
        return cv2.LUT(img, lut), label


def scripted_frames(script: Script):
    """(frame, label) for every frame of the script, in order."""
    r = SynthRenderer(script)
    for i in range(script.length):
        yield r.frame(i)
