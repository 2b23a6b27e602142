"""Corrections in `gesture run`: the user says a press was wrong (or missing), and the frames
that show it become a new session of the data folder, at once.

    x (or the `wrong` hotkey)     that press was wrong: from about a second before the last
                                  activation up to the key, as a session of the no-gesture class
    m, then 1-9 (or `missed`)     that gesture should have fired: the second before m, as a
                                  session of the gesture numbered as on the overlay

The frames come from `Recent`, the last few seconds the loop saw. They are written with
capture's FrameWriter (the same files and manifest lines as `gesture capture`, so `gesture
data` lists them and the manifest agrees with the disk) into sessions named fix-..., which
relearn.py weighs up. Writing starts when the key is pressed, before any retraining.

`Collector` is `gesture run --collect`: frames where no class was sure, a few a second at
most, into DATA/.review/ (not training data until filed with `gesture data --file`).
"""
from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..data.dataset import CORRECTION_PREFIX, REVIEW, validate_label
from ..data.writer import FrameWriter

RECENT_SECONDS = 5.0  # how far back a correction can reach (150 frames at 30 fps, 140 MB at 640x480)
RECENT_SPACING = 0.0  # every frame: a false press is often only a dozen frames long
RECENT_BYTES = 200 * 2 ** 20  # and never more memory than this, whatever the camera's resolution
BEFORE_ACTIVATION = 1.0  # seconds before the wrong press that are part of it (the shape forming)
MISSED_SECONDS = 1.0  # what `m` records: the last second
PICK_SECONDS = 5.0  # how long `m` waits for the gesture's number
HESITANT = 0.6  # --collect: a frame where no class reaches this probability
COLLECT_SPACING = 0.5  # seconds between collected frames
COLLECT_MAX = 600  # frames per run


class Recent:
    """The last RECENT_SECONDS of frames, at most one per RECENT_SPACING and RECENT_BYTES in all
    (references, not copies: sources hand over a new array per frame)."""

    def __init__(self, seconds: float = RECENT_SECONDS, spacing: float = RECENT_SPACING):
        self.seconds, self.spacing = seconds, spacing
        self.frames: deque[tuple[float, np.ndarray]] = deque()

    def add(self, frame: np.ndarray, t: float) -> None:
        if self.frames and t - self.frames[-1][0] < self.spacing:
            return
        self.frames.append((t, frame))
        most = max(2, RECENT_BYTES // max(1, frame.nbytes))
        while self.frames and (self.frames[0][0] < t - self.seconds or len(self.frames) > most):
            self.frames.popleft()

    def between(self, start: float, end: float) -> list[tuple[float, np.ndarray]]:
        return [(t, f) for t, f in self.frames if start <= t <= end]


@dataclass
class Recording:
    """A correction being written: the writer finishes on its own thread; learner.py closes it."""
    writer: FrameWriter
    label: str
    frames: int
    what: str  # for the log: "wrong press of V", "missed L"

    @property
    def where(self) -> str:
        return f"{self.writer.root.name}/{self.label}/{self.writer.session}"


def session_name(root: Path, label: str, kind: str) -> str:
    base = f"{CORRECTION_PREFIX}{time.strftime('%Y%m%d-%H%M%S')}-{kind}"
    name, n = base, 1
    while (root / label / name).exists():
        n += 1
        name = f"{base}-{n}"
    return name


def record(root: Path, label: str, kind: str, frames: list[tuple[float, np.ndarray]], source: str,
           what: str) -> Recording:
    """Start writing frames as a new session of label; returns at once (the writer has its own thread)."""
    label = validate_label(label)
    session = session_name(root, label, kind)
    (root / label / session).mkdir(parents=True, exist_ok=False)
    # A queue as long as the frames: put() never waits, so the live loop does not stall.
    writer = FrameWriter(root, label, session, 1, source, queue_frames=len(frames) + 1)
    for t, f in frames:
        writer.put(f, t)
    return Recording(writer, label, len(frames), what)


class Corrector:
    """Turns the user's commands into recordings; the loop tells it each frame and each press."""

    def __init__(self, root: Path, labels: list[str], none_label: str | None, source: str, log=print):
        self.root, self.labels, self.none_label, self.source, self.log = Path(root), labels, none_label, source, log
        self.recent = Recent()
        self.last_fire: tuple[float, str] | None = None  # (time, gesture) of the last activation
        self.picking_until: float | None = None  # `m` was pressed: waiting for a number until then
        self.picked_at = 0.0
        self.gestures = [g for g in labels if g != none_label]

    def frame(self, frame: np.ndarray, t: float) -> None:
        self.recent.add(frame, t)
        if self.picking_until is not None and t > self.picking_until:
            self.picking_until = None
            self.log("missed: no gesture number given; nothing recorded")

    def fired(self, gesture: str, t: float) -> None:
        self.last_fire = (t, gesture)

    @property
    def prompt(self) -> str | None:
        """For the overlay while `m` waits for a number."""
        if self.picking_until is None:
            return None
        return "missed which? " + "  ".join(f"{i} {g}" for i, g in enumerate(self.gestures[:9], 1))

    def command(self, cmd: tuple, t: float) -> Recording | None:
        kind = cmd[0]
        if kind == "wrong":
            return self._wrong(t)
        if kind == "missed":
            self.picking_until, self.picked_at = t + PICK_SECONDS, t
            self.log(self.prompt)
            return None
        if kind == "pick":
            if self.picking_until is None:
                return None  # a digit with no `m` before it means nothing
            self.picking_until = None
            n = cmd[1]
            if not 1 <= n <= min(9, len(self.gestures)):
                self.log(f"missed: no gesture number {n}; nothing recorded")
                return None
            g = self.gestures[n - 1]
            frames = self.recent.between(self.picked_at - MISSED_SECONDS, self.picked_at)
            return self._record(g, "missed", frames, f"missed {g}")
        raise ValueError(f"unknown command {cmd!r}")

    def _wrong(self, t: float) -> Recording | None:
        if self.none_label is None:
            self.log("x: this model has no no-gesture class to file the frames under; record one with "
                     "`gesture capture none` and train again")
            return None
        oldest = self.recent.frames[0][0] if self.recent.frames else t
        if self.last_fire is None or self.last_fire[0] < oldest:
            self.log(f"x: nothing fired in the last {RECENT_SECONDS:g} s; nothing recorded")
            return None
        when, g = self.last_fire
        self.last_fire = None  # one press, one correction
        frames = self.recent.between(when - BEFORE_ACTIVATION, t)
        return self._record(self.none_label, "wrong", frames, f"wrong press of {g}")

    def _record(self, label: str, kind: str, frames, what: str) -> Recording | None:
        if not frames:
            self.log(f"{what}: no frames to record")
            return None
        try:
            rec = record(self.root, label, kind, frames, f"correction in gesture run of {self.source}", what)
        except OSError as e:
            self.log(f"{what}: cannot write to {self.root}: {e.strerror or e}; nothing recorded")
            return None
        self.log(f"{what}: recording {rec.frames} frames as {rec.where}")
        return rec


class Collector:
    """`--collect`: frames the model hesitated on, rate-limited, into DATA/.review/hesitant/SESSION."""

    def __init__(self, root: Path, source: str):
        self.root, self.source = Path(root) / REVIEW, source
        self.writer: FrameWriter | None = None
        self.last = -1e9
        self.kept = 0

    def frame(self, frame: np.ndarray, probs: np.ndarray, t: float) -> None:
        if float(np.max(probs)) >= HESITANT or t - self.last < COLLECT_SPACING or self.kept >= COLLECT_MAX:
            return
        if self.writer is None:
            session = time.strftime("%Y%m%d-%H%M%S")
            (self.root / "hesitant" / session).mkdir(parents=True, exist_ok=True)
            self.writer = FrameWriter(self.root, "hesitant", session, 1, f"gesture run --collect of {self.source}")
        if self.writer.put(frame, t):
            self.last, self.kept = t, self.kept + 1

    def close(self) -> str | None:
        """Finish writing; a line for the user when anything was kept."""
        if self.writer is None:
            return None
        written = self.writer.close()
        where = self.writer.dir
        why = f" (stopped early: {self.writer.error})" if self.writer.error else ""
        return (f"collected {len(written)} frames the model hesitated on in {where}{why}; look at them, then "
                f"`gesture data --data {self.root.parent} --file {where.name} LABEL` files them under a label")
