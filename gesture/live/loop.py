"""`gesture run`: camera -> hand prior / fused network -> decision rules -> keys, with an overlay.

Follow one frame through `loop`: `Session.frames` hands over the newest camera frame (a
capture thread drops stale ones, so a slow moment never adds lag; a file is read frame by
frame, so replays are deterministic); the Recognizer (model/recognizer.py) has the hand
prior look for a hand and, where it finds one, the landmark head give probabilities; where
it does not, `preprocess` turns the frame into the input training used (configured only
from the checkpoint) and the fused network, in ONNX Runtime, gives them. The Controller
(the decision rules, the swipes, the focused window's map and pause) turns them into
events, the Sink sends and logs them, and the View shows the frame. Whatever
ends the loop (the end of a file, q, Ctrl-C, an exception), every held key is released:
session.py opens each part on one ExitStack, and the release runs first.

Corrections (corrections.py) ride along: the loop keeps the last seconds of frames; x (or
a hotkey) files the frames of a wrong press under the no-gesture class, m and a number
those of a missed gesture, and learner.py relearns in another process. The new model is
swapped in between two frames; the decider, and with it held keys and pause, carries on.
"""
from __future__ import annotations

import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from .. import STARTED
from ..errors import GestureError, SourceLost
from ..model.livefile import version_of
from ..paths import default_checkpoint
from .commands import Commands
from .decide import DecisionConfig
from .keymap import STARTER_MODEL_KEYS, starter_keymap
from .senders import KeySender
from .session import Session, open_session
from .view import QUIT


@dataclass
class RunConfig:
    checkpoint: Path = field(default_factory=default_checkpoint)
    source: str = "0"
    keys: Path | None = None
    dry_run: bool = False
    preview: bool = True
    threshold: float | None = None  # overrides the default activation threshold
    log: Path | None = None
    max_frames: int | None = None
    screenshot: Path | None = None  # the overlay as a PNG, at the first key event (or the last frame)
    decision: DecisionConfig = field(default_factory=DecisionConfig)
    data: Path | None = None  # where corrections go and relearning reads; None: the folder it was trained on
    corrections: bool = True  # x / m (and the hotkeys) record corrections and relearn
    hotkeys: bool = True  # global correction hotkeys through a pynput listener, where there is a display
    collect: bool = False  # --collect: keep the frames the model hesitated on, for review
    # Benchmarks and tests: after a correction, wait for its model before the next frame, so a
    # replay decides the same on any machine (live, the loop never waits).
    wait_for_updates: bool = False
    realtime: bool = False  # play a file at its own frame rate even without a window, as a camera would


def run(cfg: RunConfig, sender: KeySender | None = None, log=print, commands: Commands | None = None,
        observe=None) -> dict:
    """The live loop. `commands` takes corrections from outside the window (the hotkeys, a
    script); `observe(frame_index, events)`, if given, sees every frame's events (benchmarks)."""
    with ExitStack() as stack:
        s = open_session(cfg, stack, sender, log, commands)
        try:
            loop(s, observe)
        except KeyboardInterrupt:
            pass
        except SourceLost as e:
            raise GestureError(f"{e}; stopped after {s.index + 1} frames") from None
    out = s.stats.summary()
    out["model_version"] = version_of(s.model.live.meta)
    out["held_back"] = s.controller.held_back()
    return out


def loop(s: Session, observe=None) -> None:
    """One frame at a time, from the camera to the keys."""
    rate = Rate(s.reader)
    frame = reading = None
    for i, frame, t, t0 in s.frames():
        ends = {"read": time.perf_counter()}
        s.model = s.teacher.tick(frame, t, s.model)  # recent frames, commands, a relearned model
        ends["corrections"] = time.perf_counter()
        reading = s.model(frame)  # the hand and the head, else the frame through the network
        ends["recognise"] = time.perf_counter()
        events, still = s.controller.swipe(reading, frame.shape, s.model.live.labels, t)  # and the focused map
        ends["swipes"] = time.perf_counter()
        hand = None if s.model.head is None else reading.hand is not None
        events += s.controller.decide(reading.probs, t, still, hand)
        ends["decide"] = time.perf_counter()
        s.sink.emit(events, i)
        ends["send"] = time.perf_counter()
        s.teacher.collect(frame, reading.probs, t)
        if observe:
            observe(i, events)
        fps, ms = rate.fps(ends["corrections"]), (time.perf_counter() - t0) * 1000
        fired = any(e.kind in ("tap", "press") for e in events)
        key = s.view.show(frame, shown(s, t, reading.hand, fps, ms), fired, i)
        if key == QUIT:
            break
        on_key(s, key, t, i)
        answer(s, t, i, fired)
        ends["draw"] = time.perf_counter()
        s.stats.frame(t0, ends, reading, s.due, STARTED)
    s.model = s.teacher.take(s.t, s.model) if s.teacher.on else s.model  # a correction on the last frame
    if frame is not None:
        s.view.last(frame, shown(s, s.t, reading.hand, rate.last, ms))


def shown(s: Session, t: float, hand, fps: float, ms: float):
    """The overlay's state for this frame (overlay.Shown)."""
    return s.controller.shown(t, fps=fps, ms=ms, last_key=s.sink.last_key, hand=hand, notes=s.teacher.notes(),
                              corrections=s.teacher.on)


def answer(s: Session, t: float, i: int, fired: bool) -> None:
    """`gesture pause` and `gesture resume` from another process, between two frames; and what
    `gesture status` reads."""
    if s.control is None:
        return
    asked = s.control.pending.drain()
    for cmd, _ in asked:
        s.sink.emit(s.controller.pause(cmd == "pause", t), i)
    s.control.publish(s.controller.paused, int(fired))
    for _, done in asked:
        done.set()  # the answer goes out with the state it asked for


def on_key(s: Session, key: str | None, t: float, i: int) -> None:
    """The preview window's keys: p pauses, x and m correct, a number picks the missed gesture."""
    if not key:
        return
    if key == "p":
        s.sink.emit(s.controller.pause(not s.controller.paused, t), i)
    elif key in ("x", "m") and not s.teacher.on:
        s.say("corrections are off (--no-corrections, or no data folder: give --data DIR)")
    elif key == "x":
        s.teacher.commands.put("wrong")
    elif key == "m":
        s.teacher.commands.put("missed")
    elif key in "123456789" and len(key) == 1:
        s.teacher.commands.put("pick", int(key))


class Rate:
    """Frames per second: a camera's own rate (dropped frames included); for a file, the rate
    it is played at."""

    def __init__(self, reader):
        self.reader, self.prev, self.last = reader, None, 0.0

    def fps(self, arrival: float) -> float:
        if self.reader:
            self.last = self.reader.fps()
            return self.last
        if self.prev is not None:
            dt = arrival - self.prev
            self.last = 0.9 * self.last + 0.1 / dt if self.last else 1 / max(dt, 1e-6)
        self.prev = arrival
        return self.last


def write_keys(path: Path, ckpt: Path) -> str:
    """Write a starter key map for the checkpoint's gestures; never overwrite an existing file."""
    from ..model.recognizer import read_model

    ck = read_model(ckpt)
    if path.exists():
        raise GestureError(f"{path} already exists; edit it, or choose another file for --write-keys")
    text = starter_keymap(ck.labels, ck.none_label, STARTER_MODEL_KEYS if ck.meta.get("starter") else None)
    try:
        path.write_text(text)
    except OSError as e:
        raise GestureError(f"cannot write {path}: {e.strerror or e}") from None
    return text
