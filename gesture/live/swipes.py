"""Swipes: motion gestures read from the tracked hand, with no training.

The hand prior already follows one hand from frame to frame; a swipe is that hand's palm
centre (the wrist and the four knuckles) moving fast, far and straight, then stopping.
Distances are in hand sizes (the longer of wrist-to-middle-knuckle and index-to-little
knuckle), so a hand near the camera and one across the room swipe alike.

    still     the hand is tracked and slower than `start` hand sizes per second
    moving    faster than `start`; it began at the last still frame (the onset)
    end       two frames in a row slower than `stop` (or the hand lost just after one): the
              motion, up to the first of them, is judged, and fires at most once

A motion is a swipe only if all of these hold (each a setting of [swipes] in the key map):
- the hand was tracked for `settle` frames before it moved: a hand entering the frame is
  found mid-motion, so it never has a still start;
- it is still tracked and wholly in view when it stops: a hand leaving the frame is lost, or
  ends at the edge. The hand may slip out of the tracker for `gap` frames and be found
  again where it was, or where its motion was heading; otherwise a hand the tracker loses and finds
  elsewhere starts a new track (so does one more than `jump` hand sizes from where it was
  or was heading, or one of another size);
- it covers `distance` hand sizes, at a peak of `speed` per second (so a slow drift never
  qualifies), and moves at that speed for at most `longest` seconds (so a hand moved about
  quickly for long, pointing at things, does not either);
- its path is straight (`straightness`: the distance over the path's length) and within
  `angle` degrees of one axis;
- the landmark model was sure of the hand all along (`presence`);
- neither its start nor its end is below `floor` (a fraction of the frame's height): a hand
  going to the mouse or keyboard moves low in the frame;
- it is not the way back: a motion opposite to the last fast one (at `speed`, a swipe or
  not, or one the tracker lost mid-way) that ended less than `return_window` seconds before
  its start is the return stroke. A throw the tracker loses in its blur must not leave its
  return free to fire the other way.

Directions are as the user sees them in the mirrored preview: `swipe_left` is the hand
moving to the user's left, which is to the right in the camera's own frame.

While the hand moves, static gestures cannot activate (the Decider's `still`), and a swipe
counts as an activation for the rest rule, so neither the shapes a swipe passes through nor
the one it ends in fires a static key.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np

from .decide import Event

SWIPES = ("swipe_left", "swipe_right", "swipe_up", "swipe_down")
OPPOSITE = {"swipe_left": "swipe_right", "swipe_right": "swipe_left", "swipe_up": "swipe_down",
            "swipe_down": "swipe_up"}
PALM = [0, 5, 9, 13, 17]  # wrist and knuckles: the fingers' shape does not move the centre


@dataclass(frozen=True)
class SwipeConfig:
    # distance, speed, straightness, presence and settle were chosen on development replays only
    # (gesture/tools/tune_swipes.py: hands of the first half of each set's people over the first
    # half of the rooms: 90 swipes in 11,134 frames): no setting of its grid fired a false swipe
    # there, and 72 of 90 swipes fired for every setting up to these, so they are the middle
    # of that plateau. The bench scores the other half. The rest are reasoned, not tuned.
    distance: float = 1.5  # hand sizes from the start to the end
    speed: float = 4.0  # peak speed, hand sizes per second
    start: float = 2.5  # faster than this (hand sizes per second) the hand is moving
    stop: float = 1.5  # slower than this the motion has ended
    longest: float = 0.8  # seconds: longer motions are drifts
    straightness: float = 0.8  # distance / path length
    angle: float = 30.0  # degrees from the nearest axis
    presence: float = 0.5  # the landmark model's lowest hand-presence score along the motion (0.5: the
    # tracker's own floor; 0.7 lost 7 of the 72 on the development replays and stopped no false swipe)
    settle: int = 3  # frames tracked before the motion starts
    floor: float = 0.85  # start and end above this fraction of the frame's height
    edge: float = 0.01  # the hand's box at least this fraction of the frame inside its edges
    jump: float = 1.5  # hand sizes from where the hand was (or was heading): more is a new track
    # Frames a moving hand may be lost for and still be the same motion. A throw blurs, and the
    # prior loses a blurred hand for several frames mid-throw; chosen on the development replays
    # with blur (first half, two hands a set, 30 swipes): 3 -> 15 fired, 5 -> 19, 6 -> 22, 8 -> 27,
    # 10 -> 25, and no false swipe for any.
    gap: int = 8
    # Seconds after a swipe in which the opposite motion is its return stroke. A real person who
    # holds the hand still for longer (swipe-demos: 0.8 s) means the way back as a swipe.
    return_window: float = 0.5

    def __post_init__(self):
        for f in fields(self):
            why = check(f.name, getattr(self, f.name))
            if why:
                raise ValueError(why)
        if self.stop > self.start:
            raise ValueError(f"stop ({self.stop:g}) must not be above start ({self.start:g})")


LIMITS = {"distance": (0.3, 20.0), "speed": (0.5, 200.0), "start": (0.2, 100.0), "stop": (0.1, 100.0),
          "longest": (0.1, 5.0), "straightness": (0.0, 1.0), "angle": (5.0, 45.0), "presence": (0.0, 1.0),
          "settle": (1, 30), "gap": (0, 10), "floor": (0.3, 1.0), "edge": (0.0, 0.2), "jump": (0.3, 10.0),
          "return_window": (0.0, 10.0)}


def check(name: str, v) -> str | None:
    """Why a value of the setting `name` is refused, or None: the one check of SwipeConfig and
    of the key map's [swipes] (which adds the file and line)."""
    lo, hi = LIMITS[name]
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not lo <= v <= hi:
        return f"{name} must be a number from {lo:g} to {hi:g}, got {v!r}"
    if name in ("settle", "gap") and not isinstance(v, int):
        return f"{name} is a number of frames, a whole number; got {v!r}"
    return None


@dataclass
class Point:
    t: float
    x: float  # palm centre, frame pixels
    y: float
    size: float  # hand size, pixels
    presence: float
    box: tuple
    shape: str | None  # the head's top class on this frame


@dataclass
class Motion:
    """One motion from its onset to its end, measured; `why_not(cfg)` says what stops it being a swipe."""
    direction: str
    points: list[Point]
    settled: int  # frames tracked before the onset
    frame: tuple[int, int]  # width, height

    @property
    def size(self) -> float:
        return float(np.median([p.size for p in self.points]))

    @property
    def distance(self) -> float:
        a, b = self.points[0], self.points[-1]
        return math.hypot(b.x - a.x, b.y - a.y) / self.size

    @property
    def path(self) -> float:
        p = self.points
        return sum(math.hypot(q.x - r.x, q.y - r.y) for r, q in zip(p, p[1:])) / self.size

    @property
    def peak(self) -> float:
        p = self.points
        return max(math.hypot(q.x - r.x, q.y - r.y) / max(q.t - r.t, 1e-3) for r, q in zip(p, p[1:])) / self.size

    def steps(self, start: float) -> int:
        """Frames on which the hand moved faster than `start`: a jump is one step, a motion several."""
        p = self.points
        return sum(math.hypot(q.x - r.x, q.y - r.y) / max(q.t - r.t, 1e-3) / self.size >= start
                   for r, q in zip(p, p[1:]))

    @property
    def angle(self) -> float:
        a, b = self.points[0], self.points[-1]
        dx, dy = abs(b.x - a.x), abs(b.y - a.y)
        return math.degrees(math.atan2(min(dx, dy), max(dx, dy, 1e-9)))

    def fast(self, speed: float) -> float:
        """Seconds from the first to the last step at swipe speed: the throw itself, without the
        slow start and the slowing into the stop that a real hand has at 15 frames a second."""
        p = self.points
        quick = [i for i, (r, q) in enumerate(zip(p, p[1:]))
                 if math.hypot(q.x - r.x, q.y - r.y) / max(q.t - r.t, 1e-3) / self.size >= speed]
        return p[quick[-1] + 1].t - p[quick[0]].t if quick else 0.0

    def inside(self, p: Point, edge: float) -> bool:
        w, h = self.frame
        x0, y0, x1, y1 = p.box
        return x0 >= edge * w and y0 >= edge * h and x1 <= (1 - edge) * w and y1 <= (1 - edge) * h

    def shape(self) -> str | None:
        """The head's most common reading along the motion, from its last still frame."""
        shapes = [p.shape for p in self.points if p.shape is not None]
        return max(set(shapes), key=shapes.count) if shapes else None

    def why_not(self, cfg: SwipeConfig) -> str | None:
        a, b = self.points[0], self.points[-1]
        h = self.frame[1]
        checks = (
            (self.settled >= cfg.settle, "no still start (entering?)"),
            (self.steps(cfg.start) >= 2, "one step (a jump?)"),
            (self.fast(cfg.speed) <= cfg.longest, "too slow (drift)"),
            (self.distance >= cfg.distance, "too short"),
            (self.peak >= cfg.speed, "too slow (peak)"),
            (self.distance >= cfg.straightness * self.path, "not straight"),
            (self.angle <= cfg.angle, "diagonal"),
            (min(p.presence for p in self.points) >= cfg.presence, "unsure hand"),
            (self.inside(a, cfg.edge) and self.inside(b, cfg.edge), "at the frame's edge"),
            (a.y <= cfg.floor * h and b.y <= cfg.floor * h, "low in the frame"),
        )
        return next((why for ok, why in checks if not ok), None)


def direction(dx: float, dy: float) -> str:
    """Mirrored preview: moving right in the camera's frame is the user's left."""
    if abs(dx) >= abs(dy):
        return "swipe_left" if dx > 0 else "swipe_right"
    return "swipe_up" if dy < 0 else "swipe_down"


def palm(hand, shape: tuple) -> tuple[float, float, float]:
    """(x, y, size) of a Hand in frame pixels."""
    h, w = shape[:2]
    lm = hand.landmarks[:, :2] * (w, h)
    c = lm[PALM].mean(0)
    size = max(float(np.hypot(*(lm[9] - lm[0]))), float(np.hypot(*(lm[17] - lm[5]))), 1.0)
    return float(c[0]), float(c[1]), size


class Swipes:
    """Per frame: the tracked hand in, swipe events out (through the same rules, cooldowns and
    pause as every gesture). `moving` tells the Decider to hold static gestures back."""

    TRAIL = 20  # points of the current track kept for the overlay

    def __init__(self, cfg: SwipeConfig | None = None, on_motion=None):
        self.cfg = cfg or SwipeConfig()
        self.on_motion = on_motion  # on_motion(motion, why_not): every judged motion (tuning, tests)
        self.track: list[Point] = []
        self.onset: int | None = None
        self.lost = 0  # frames without the hand since it was last tracked
        self.slow = 0  # frames in a row slower than `stop` since the onset
        self.last: tuple[str, float] | None = None  # the last fast motion: direction, end time
        self.judged_at: float | None = None  # the time of the frame on which the last swipe was judged
        self.fired: dict[str, float] = {}
        self.flash: tuple[str, list, float] | None = None  # the last swipe's trail, for the overlay
        self.frame = (640, 480)

    @property
    def moving(self) -> bool:
        return self.onset is not None

    def shown(self, t: float, flash: float = 0.7) -> tuple[list, tuple[str, list] | None]:
        """For the overlay: the current track's last points, and the last swipe's trail for
        `flash` seconds after it."""
        last = self.flash if self.flash and t - self.flash[2] <= flash else None
        return [(p.x, p.y) for p in self.track[-self.TRAIL:]], last[:2] if last else None

    def reset(self) -> None:
        self.track, self.onset, self.lost, self.slow = [], None, 0, 0

    def update(self, hand, shape: tuple, top: str | None, t: float, rules: dict, paused: bool) -> list[Event]:
        """This frame's hand (None: not tracked) and the head's top class; the swipe it ends, if any."""
        if hand is None:
            # A fast hand can slip out of the tracker's crop for a frame or two: keep the track
            # that long. Found again, it must be where the hand was or was heading (_continues).
            self.lost += 1
            if self.lost <= self.cfg.gap:
                return []
            # Lost for good. A motion whose hand had already stopped ends where it stopped (the
            # tracker often loses a hand just after a throw); one still moving left the frame,
            # or was lost in its own blur, and what comes back the other way is its return.
            events = []
            if self.onset is not None and self.slow:
                events = self._end(rules, paused, t)
            elif self.onset is not None:  # unseen since, it may have gone on moving until now
                self._fast(self._motion(self.track[self.onset:], self.onset), until=t)
            self.reset()
            return events
        self.frame = (shape[1], shape[0])
        x, y, size = palm(hand, shape)
        p = Point(t, x, y, size, hand.presence, hand.box, top)
        if self.track and not self._continues(p):
            self.reset()  # found again elsewhere, or another hand: a new track
        self.lost = 0
        self.track.append(p)
        keep = max(self.TRAIL, self.cfg.settle + 2)  # enough behind the onset to count a still start
        if len(self.track) > 4 * keep and self.onset is None:
            del self.track[:-keep]
        if len(self.track) < 2:
            return []
        q = self.track[-2]
        v = math.hypot(x - q.x, y - q.y) / max(t - q.t, 1e-3) / size
        if self.onset is None:
            if v >= self.cfg.start:
                self.onset = len(self.track) - 2
            return []
        if v >= self.cfg.stop:
            self.slow = 0
            return []
        # One slow frame is not the end: a camera (or a recording) that repeats a frame, or a
        # landmark reading that lags by one, shows a moving hand standing still for a frame; real
        # throws at 15 fps broke into 3-frame pieces that way, none long enough to fire.
        self.slow += 1
        if self.slow < 2:
            return []
        return self._end(rules, paused, t)

    def _end(self, rules: dict, paused: bool, now: float) -> list[Event]:
        """The motion from its onset to the first slow frame, judged."""
        m = self._motion(self.track[self.onset:len(self.track) - self.slow + 1], self.onset)
        self.onset, self.slow = None, 0
        del self.track[:-max(self.TRAIL, self.cfg.settle + 2)]
        return self._judge(m, rules, paused, now)

    def _motion(self, points: list[Point], settled: int) -> Motion:
        a, b = points[0], points[-1]
        return Motion(direction(b.x - a.x, b.y - a.y), points, settled, self.frame)

    def _fast(self, m: Motion, until: float | None = None) -> None:
        """Remember a motion at swipe speed: the next one the other way soon after is its return."""
        if len(m.points) >= 2 and m.peak >= self.cfg.speed:
            self.last = (m.direction, m.points[-1].t if until is None else until)

    def _continues(self, p: Point) -> bool:
        """The same hand as the track's: near where it was (still) or where its motion was
        heading (moving), and about the same size."""
        q = self.track[-1]
        x, y = q.x, q.y
        if self.onset is not None and len(self.track) >= 2:
            r = self.track[-2]
            k = (p.t - q.t) / max(q.t - r.t, 1e-3)
            x, y = q.x + k * (q.x - r.x), q.y + k * (q.y - r.y)
        size = float(np.median([r.size for r in self.track[-8:]]))  # mid-motion landmarks can shrink a frame
        reach = self.cfg.jump * size * (1 + self.lost)  # a fast hand lost for a frame went on moving
        return math.hypot(p.x - x, p.y - y) <= reach and 0.5 < p.size / size < 2

    def _judge(self, m: Motion, rules: dict, paused: bool, now: float) -> list[Event]:
        why = m.why_not(self.cfg)
        start, end = m.points[0].t, m.points[-1].t
        if why is None and self.last and self.last[0] == OPPOSITE[m.direction] \
                and start - self.last[1] < self.cfg.return_window:
            why = "the return stroke"
        rule = rules.get(m.direction)
        if why is None and rule is not None and rule.shape is not None and m.shape() != rule.shape:
            why = f"not with {rule.shape}"
        if self.on_motion:
            self.on_motion(m, why)
        self._fast(m)
        if why is not None:
            return []
        self.judged_at = now  # the frame it was judged on: a static gesture must rest after it
        self.flash = (m.direction, [(p.x, p.y) for p in m.points], end)
        if rule is None or rule.key is None or paused:
            return []
        if end - self.fired.get(m.direction, -math.inf) < rule.cooldown:
            return []
        self.fired[m.direction] = end
        return [Event("tap", m.direction, rule.key, min(1.0, m.distance / m.path if m.path else 1.0), end)]
