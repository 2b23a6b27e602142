"""Motion replays from real pixels, for the swipe detector (live/swipes.py).

There is no swipe video in the shared data, so a replay moves real hand photographs along
real-looking paths over real 640x480 rooms, with sensor noise, and is written as a 30 fps
video to play through `gesture run` like any clip. A patch is a square around the hand
the prior finds in a photograph (1.8 times its landmarks' box) with a soft oval edge, so the
photograph's own surroundings fade into the room. Each scripted Item renders its frames
and says what should fire:

    swipe     still, 6-20 frames eased in and out, still: one swipe, at the motion's end
    ret       a swipe, then the hand coming back: one swipe, never the return
    entry     from beyond an edge into the frame, eased out, then still: nothing
    exit      still, then out beyond an edge: nothing
    drift     a slow glide of two to three seconds: nothing
    jump      still, gone for 0-3 frames, still elsewhere (the tracker finds it again): nothing
    low       low in the frame, moving aside and down (to the mouse or keyboard): nothing
    static    a shape held with a small wobble: that static gesture, and no swipe

Directions are the user's, in the mirrored preview: swipe_left moves right in these frames.

A real throw is not a photograph slid across a room, so two things of real motion are drawn
in: a hand that moves is smeared along its way by the camera's exposure (indoors a webcam
exposes for about the whole frame time, so the smear is the whole step from the last frame),
and a throw turns the hand (a flick of the wrist: up to TURN degrees by the throw's end, the
return turning it back). Still missing: the arm, and a hand partly out of view at the end.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

W, H = 640, 480
GAP = 12  # frames of the empty room between items
NOISE = 2.0  # sensor noise, grey levels
STEP = {"swipe_left": (1, 0), "swipe_right": (-1, 0), "swipe_up": (0, -1), "swipe_down": (0, 1)}
HARD = ("ret", "entry", "exit", "drift", "jump", "low")
EXPOSURE = 1.0  # of a frame's time: the share of each step a moving hand is smeared over
TURN = 25.0  # degrees a throw may turn the hand by its end


@dataclass
class Item:
    kind: str
    start: int  # first frame in the replay
    length: int
    swipe: str | None = None  # the swipe that should fire
    end: int | None = None  # the frame its motion ends
    begin: int | None = None  # the frame its motion begins
    label: str | None = None  # the static gesture shown (static items)
    hand: str = ""  # where the patch came from


def patch(img: np.ndarray, tracker, side: int) -> np.ndarray | None:
    """A `side`-pixel square BGRA patch around the hand the tracker finds, or None."""
    hand = tracker(img)
    if hand is None:
        return None
    x0, y0, x1, y1 = hand.box
    half = 0.9 * max(x1 - x0, y1 - y0)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    m = np.float32([[side / (2 * half), 0, side / 2 - cx * side / (2 * half)],
                    [0, side / (2 * half), side / 2 - cy * side / (2 * half)]])
    crop = cv2.warpAffine(img, m, (side, side), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE)
    yy, xx = (np.mgrid[0:side, 0:side] - (side - 1) / 2) / (side / 2)
    alpha = np.clip((1.0 - np.hypot(xx, yy)) / 0.25, 0, 1)  # opaque inside, a soft last quarter
    return np.dstack([crop, (alpha * 255).astype(np.uint8)])


def paste(room: np.ndarray, p: np.ndarray, cx: float, cy: float) -> np.ndarray:
    """The room with the patch centred at (cx, cy), clipped at the frame's edges."""
    out = room.copy()
    s = p.shape[0]
    x0, y0 = int(round(cx - s / 2)), int(round(cy - s / 2))
    fx0, fy0, fx1, fy1 = max(0, x0), max(0, y0), min(W, x0 + s), min(H, y0 + s)
    if fx0 >= fx1 or fy0 >= fy1:
        return out
    part = p[fy0 - y0:fy1 - y0, fx0 - x0:fx1 - x0]
    a = part[..., 3:].astype(np.float32) / 255
    out[fy0:fy1, fx0:fx1] = (a * part[..., :3] + (1 - a) * out[fy0:fy1, fx0:fx1]).astype(np.uint8)
    return out


def smear(p: np.ndarray, dx: float, dy: float, exposure: float = EXPOSURE) -> np.ndarray:
    """The patch as the camera sees it moving (dx, dy) pixels in a frame, for `exposure` of the
    frame's time: averaged along that line (its colour weighted by its opacity, so the room
    shows through the streak)."""
    n = math.hypot(dx, dy) * exposure
    if n < 2:
        return p
    r = int(math.ceil(n / 2)) + 1
    k = np.zeros((2 * r + 1, 2 * r + 1), np.float32)
    ux, uy = dx * exposure / 2, dy * exposure / 2
    cv2.line(k, (round(r - ux), round(r - uy)), (round(r + ux), round(r + uy)), 1.0, 1, cv2.LINE_AA)
    k /= k.sum()
    q = cv2.copyMakeBorder(p, r, r, r, r, cv2.BORDER_CONSTANT, value=0).astype(np.float32)
    a = q[..., 3:] / 255
    colour, alpha = cv2.filter2D(q[..., :3] * a, -1, k), cv2.filter2D(a, -1, k)[..., None]
    out = np.dstack([colour / np.maximum(alpha, 1e-3), alpha * 255])
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def turn(p: np.ndarray, degrees: float) -> np.ndarray:
    """The patch turned about its centre (its oval edge keeps the corners clear)."""
    if not degrees:
        return p
    s = p.shape[0]
    m = cv2.getRotationMatrix2D(((s - 1) / 2, (s - 1) / 2), degrees, 1.0)
    return cv2.warpAffine(p, m, (s, s), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)


def ease(n: int, kind: str = "inout") -> np.ndarray:
    """n+1 fractions from 0 to 1: eased in and out (cosine), out only, or in only."""
    u = np.linspace(0, 1, n + 1)
    if kind == "out":
        return np.sin(u * math.pi / 2)
    if kind == "in":
        return 1 - np.cos(u * math.pi / 2)
    return (1 - np.cos(u * math.pi)) / 2


class Script:
    """Positions per frame (None: no hand), built item by item, then rendered over one room."""

    def __init__(self, rng: np.random.Generator):
        self.rng = rng
        self.path: list[tuple[np.ndarray | None, float, float]] = [(None, 0.0, 0.0)] * GAP  # (patch, cx, cy)
        self.items: list[Item] = []
        # The throws' turns come from their own generator, so the hands, rooms and paths of a
        # seed stay what they were before the turns were drawn in.
        self.turns = np.random.default_rng(7)

    def _hold(self, p, x, y, n: int, wobble: float = 1.5) -> tuple[float, float]:
        phase = self.rng.uniform(0, 2 * math.pi)
        for i in range(n):  # a real hand is never quite still
            a = phase + 2 * math.pi * i / 30
            self.path.append((p, x + wobble * math.sin(a), y + wobble * math.cos(1.3 * a)))
        return x, y

    def _move(self, p, a, b, n: int, kind: str = "inout", degrees: tuple = (0.0, 0.0)) -> tuple[float, float]:
        for f in ease(n, kind)[1:]:
            q = turn(p, degrees[0] + f * (degrees[1] - degrees[0]))
            self.path.append((q, a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1])))
        return b

    def _gap(self) -> None:
        self.path += [(None, 0.0, 0.0)] * GAP

    def _inside(self, p, margin: float = 10) -> tuple[float, float, float, float]:
        h = p.shape[0] / 2 + margin
        return h, W - h, h, H - h

    def add(self, kind: str, p: np.ndarray, hand: str = "", label: str | None = None,
            direction: str | None = None) -> Item:
        rng, start = self.rng, len(self.path)
        lo_x, hi_x, lo_y, hi_y = self._inside(p)
        s = p.shape[0]
        swipe = end = begin = None
        if kind in ("swipe", "ret"):
            swipe, end, begin = self._throw(p, kind == "ret", direction, (lo_x, hi_x, lo_y, hi_y))
        elif kind == "entry":
            b = (rng.uniform(lo_x, hi_x), rng.uniform(lo_y, hi_y))
            a = self._outside(b, s)
            self._move(p, a, b, int(rng.integers(8, 17)), "out")
            self._hold(p, *b, 20)
        elif kind == "exit":
            a = (rng.uniform(lo_x, hi_x), rng.uniform(lo_y, hi_y))
            self._hold(p, *a, 15)
            self._move(p, a, self._outside(a, s), int(rng.integers(8, 15)), "in")
        elif kind == "drift":
            a = (rng.uniform(lo_x, hi_x), rng.uniform(lo_y, hi_y))
            ang = rng.uniform(0, 2 * math.pi)
            dist = rng.uniform(100, 200)
            b = (float(np.clip(a[0] + dist * math.cos(ang), lo_x, hi_x)),
                 float(np.clip(a[1] + dist * math.sin(ang), lo_y, hi_y)))
            self._hold(p, *a, 10)
            self._move(p, a, b, int(rng.integers(60, 91)))
            self._hold(p, *b, 10)
        elif kind == "jump":
            a = (rng.uniform(lo_x, hi_x), rng.uniform(lo_y, hi_y))
            b = a
            while math.hypot(b[0] - a[0], b[1] - a[1]) < 250:
                b = (rng.uniform(lo_x, hi_x), rng.uniform(lo_y, hi_y))
            self._hold(p, *a, 15)
            self.path += [(None, 0.0, 0.0)] * int(rng.integers(0, 4))
            self._hold(p, *b, 15)
        elif kind == "low":
            a = (rng.uniform(lo_x, hi_x), rng.uniform(0.86, 0.92) * H)
            side = 1 if a[0] < W / 2 else -1
            b = (a[0] + side * rng.uniform(200, 300), a[1] + rng.uniform(20, 60))
            self._hold(p, *a, 12)
            self._move(p, a, b, int(rng.integers(8, 15)), "in")
        elif kind == "static":
            a = (rng.uniform(lo_x, hi_x), rng.uniform(lo_y, hi_y))
            self._hold(p, *a, 45, wobble=float(rng.uniform(6, 12)))
        else:
            raise ValueError(f"unknown item {kind!r}")
        item = Item(kind, start, len(self.path) - start, swipe, end, begin, label, hand)
        self._gap()
        self.items.append(item)
        return item

    def _throw(self, p: np.ndarray, back: bool, direction: str | None, box) -> tuple[str, int, int]:
        """A swipe (and, with `back`, its slow return) inside the box: (direction, last frame of
        the throw, its first moving frame)."""
        rng, (lo_x, hi_x, lo_y, hi_y) = self.rng, box
        d = direction or str(rng.choice(list(STEP)))
        dx, dy = STEP[d]
        span = (hi_x - lo_x) if dx else (hi_y - lo_y)
        dist = rng.uniform(0.6, 0.95) * span
        a = (rng.uniform(lo_x + (dist if dx < 0 else 0), hi_x - (dist if dx > 0 else 0)) if dx
             else rng.uniform(lo_x, hi_x),
             rng.uniform(lo_y + (dist if dy < 0 else 0), hi_y - (dist if dy > 0 else 0)) if dy
             else rng.uniform(lo_y, hi_y))
        b = (a[0] + dx * dist, a[1] + dy * dist)
        self._hold(p, *a, int(rng.integers(10, 18)))
        begin = len(self.path)
        deg = float(self.turns.uniform(-TURN, TURN))
        self._move(p, a, b, int(rng.integers(6, 21)), degrees=(0.0, deg))
        end = len(self.path) - 1
        held = turn(p, deg)
        if back:
            self._hold(held, *b, int(rng.integers(3, 9)))
            self._move(p, b, a, int(rng.integers(8, 25)), degrees=(deg, 0.0))
        self._hold(p if back else held, *(a if back else b), int(rng.integers(10, 18)))
        return d, end, begin

    def _outside(self, a, s: int) -> tuple[float, float]:
        """A point beyond the nearest-ish edge: the patch wholly out of view."""
        edge = int(self.rng.integers(0, 4))
        return [(-s / 2 - 5, a[1]), (W + s / 2 + 5, a[1]), (a[0], -s / 2 - 5), (a[0], H + s / 2 + 5)][edge]

    def render(self, room: np.ndarray, exposure: float = EXPOSURE):
        """The frames, one by one (written as they render); `exposure` 0: a moving hand is sharp."""
        room = cv2.resize(room, (W, H), interpolation=cv2.INTER_LINEAR)
        noise = np.random.default_rng(int(self.rng.integers(1 << 31)))
        last = None
        for p, x, y in self.path:
            if p is not None and last is not None:
                p = smear(p, x - last[0], y - last[1], exposure)
            last = None if p is None else (x, y)
            f = room if p is None else paste(room, p, x, y)
            yield np.clip(f + noise.normal(0, NOISE, f.shape), 0, 255).astype(np.uint8)


def score(events: list[dict], items: list[Item], swipes=tuple(STEP)) -> dict:
    """Swipe events of a run against the script: right, wrong, delays, and every false swipe
    (outside a swipe item, a second one in it, or in a hard case), by kind; and the static
    items that fired their own gesture."""
    fires = [e for e in events if e["event"] in ("tap", "press")]
    out = {"swipes": 0, "right": 0, "wrong": 0, "delays": [], "false": 0, "false_by": {}, "static": 0,
           "static_right": 0, "static_in_swipes": 0, "frames": 0}
    for it in items:
        inside = [e for e in fires if it.start <= e["frame"] < it.start + it.length + GAP]
        sw = [e for e in inside if e["gesture"] in swipes]
        other = [e for e in inside if e["gesture"] not in swipes]
        out["frames"] += it.length + GAP
        if it.swipe is not None:
            out["swipes"] += 1
            first = next((e for e in sw if e["frame"] >= it.start), None)
            if first is not None and first["gesture"] == it.swipe:
                out["right"] += 1
                out["delays"].append(first["frame"] - it.end)
            elif first is not None:
                out["wrong"] += 1
            extra = sw[1:] if first is not None else []
            out["static_in_swipes"] += len(other)
        else:
            extra = sw
        if extra:
            out["false"] += len(extra)
            out["false_by"][it.kind] = out["false_by"].get(it.kind, 0) + len(extra)
        if it.kind == "static":
            out["static"] += 1
            out["static_right"] += any(e["gesture"] == it.label for e in other)
    return out


# Open hands to swipe with, from three sets: one person, many people, many rooms.
OPEN = (("asl-frames", "B"), ("hagrid-people", "palm"), ("sign-digits", "5"))
STATIC = ("fist", "like", "peace")  # hagrid-people shapes held still (the bench model knows them)


def halves(files: list, half: int, every: int = 1) -> list:
    """The first (0) or second (1) half of a set's files in name order (people, or time):
    development replays use one half and the bench the other."""
    files = sorted(files)
    n = len(files) // 2
    return (files[:n] if half == 0 else files[n:])[::every]


def library(datasets, half: int, per_set: int, rng: np.random.Generator):
    """(open hands, static shapes {label: [...]}, rooms) of one half: patches as (name, BGRA),
    where the prior finds a hand; and the half's rooms (`rooms`), shuffled."""
    from .. import prior
    from ..data.images import read_image

    tracker = prior.tracker(static=True)

    def patches(folder, n):
        out = []
        for path in halves([p for p in folder.iterdir() if p.is_file()], half):
            img = read_image(path)
            p = patch(img, tracker, int(rng.integers(150, 211))) if img is not None else None
            if p is not None:
                out.append((f"{folder.parent.name}/{folder.name}/{path.name}", p))
            if len(out) == n:
                break
        return out

    open_hands = [x for name, label in OPEN for x in patches(datasets / name / label, per_set)]
    statics = {g: patches(datasets / "hagrid-people" / g, per_set) for g in STATIC}
    rooms_ = rooms(datasets, half, tracker)
    rng.shuffle(rooms_)
    return open_hands, statics, rooms_


def rooms(datasets, half: int, tracker=None) -> list[np.ndarray]:
    """640x480 rooms of one half where the prior finds no hand: it follows one hand, and a
    bystander's would hide the swiping one. drone-gestures' scenes hold a person in the middle,
    so a room is the side half of one (where nobody's hand is found), or asl-frames' empty scene."""
    from .. import prior
    from ..data.images import read_image

    tracker = tracker or prior.tracker(static=True)
    out = []
    for p in halves(list((datasets / "drone-gestures" / "no_class").iterdir()), half, 20):
        img = read_image(p)
        for side in (img[:, img.shape[1] // 2:], img[:, :img.shape[1] // 2]) if img is not None else ():
            side = cv2.resize(side, (W, H), interpolation=cv2.INTER_LINEAR)
            if tracker(side) is None:
                out.append(side)
                break
    return out + [cv2.resize(read_image(p), (W, H))
                  for p in halves(list((datasets / "asl-frames" / "nothing").iterdir()), half, 25)]


def replays(datasets, half: int, per_set: int, seed: int, per_room: int = 12):
    """Scripts over the rooms of one half: every open hand swipes each way and plays each hard
    case; every static shape is held. -> [(script, room)]."""
    rng = np.random.default_rng(seed)
    open_hands, statics, rooms = library(datasets, half, per_set, rng)
    todo = []
    for name, p in open_hands:
        todo += [("swipe", name, p, None, d) for d in STEP]
        todo += [(k, name, p, None, None) for k in HARD]
    todo += [("static", name, p, g, None) for g, ps in statics.items() for name, p in ps]
    order = rng.permutation(len(todo))
    out = []
    for k in range(0, len(order), per_room):
        script = Script(rng)
        for i in order[k:k + per_room]:
            kind, name, p, label, d = todo[i]
            script.add(kind, p, name, label, d)
        out.append((script, rooms[(k // per_room) % len(rooms)]))
    return out


def merge(total: dict, one: dict) -> dict:
    """Add one replay's score into a running total: counts add, lists extend, dicts add by key."""
    for k, v in one.items():
        if isinstance(v, dict):
            d = total.setdefault(k, {})
            for a, b in v.items():
                d[a] = d.get(a, 0) + b
        elif isinstance(v, list):
            total.setdefault(k, []).extend(v)
        else:
            total[k] = total.get(k, 0) + v
    return total
