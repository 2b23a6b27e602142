"""`gesture run`: camera -> hand prior / fused network -> smoother -> keys, with an overlay.

Follow one frame: `frames()` hands over the newest camera frame (a capture thread drops
stale ones, so a slow moment never adds lag; a file is read frame by frame, so replays are
deterministic), the hand prior looks for a hand and, where it finds one, the landmark head
gives probabilities; where it does not, `preprocess` turns the frame into the input
training used (configured only from the checkpoint) and the fused network, in ONNX
Runtime, gives them. The Decider turns them into events, and the sender presses keys.
Whatever ends the loop (the end of a file, q, Ctrl-C, an exception), every held key is
released.
"""
from __future__ import annotations

import json
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

import cv2
import numpy as np

from . import STARTED, bundle, overlay
from .errors import GestureError, SourceLost
from .keys import DryRunSender, KeyMap, KeySender, PynputSender, load_keymap, starter_keymap
from .preprocess import preprocess
from .recognizer import Recognizer
from .runtime import FrameNet, have_onnxruntime
from .smoothing import DecisionConfig, Decider, Event
from .sources import Source, open_source

STAGES = ("read", "hand", "preprocess", "infer", "decide", "draw")
# One thread is enough for a 6 MMAC batch-1 forward pass (measured: no faster on two), and
# it leaves the other core to the camera thread and the window.
INFER_THREADS = 1


@dataclass
class RunConfig:
    checkpoint: Path = Path("checkpoints/gesture.pt")
    source: str = "0"
    keys: Path | None = None
    dry_run: bool = False
    preview: bool = True
    threshold: float | None = None  # overrides the default activation threshold
    log: Path | None = None
    max_frames: int | None = None
    screenshot: Path | None = None  # the overlay as a PNG, at the first key event (or the last frame)
    decision: DecisionConfig = field(default_factory=DecisionConfig)


class LatestFrame:
    """Reads a live source on its own thread and keeps only the newest frame."""

    def __init__(self, src: Source):
        self.src = src
        self.dropped = 0
        self.received = 0
        self.started = time.perf_counter()
        self._cond = threading.Condition()
        self._item = None
        self._done = False
        self._stop = False
        self._error: Exception | None = None
        self._thread = threading.Thread(target=self._read, name="camera", daemon=True)
        self._thread.start()

    def _read(self):
        try:
            for item in self.src:
                with self._cond:
                    if self._stop:
                        return
                    if self._item is not None:
                        self.dropped += 1  # never consumed: stale, replaced by the newer frame
                    self._item = item
                    self.received += 1
                    self._cond.notify()
        except Exception as e:  # a lost camera, or a driver failing: handed to the loop, never swallowed
            self._error = e
        finally:
            with self._cond:
                self._done = True
                self._cond.notify()

    def __iter__(self):
        while True:
            with self._cond:
                while self._item is None and not self._done:
                    self._cond.wait()
                item, self._item = self._item, None
            if item is None:
                if self._error is not None:
                    raise self._error
                return
            yield item

    def fps(self) -> float:
        """Frames the camera delivered per second, dropped ones included."""
        return self.received / max(1e-6, time.perf_counter() - self.started)

    def close(self) -> bool:
        """Stop reading; False if the thread is still inside a read (then the source must stay open)."""
        with self._cond:
            self._stop = True
        self._thread.join(timeout=5)
        return not self._thread.is_alive()


@dataclass
class Stats:
    times: dict = field(default_factory=lambda: {s: [] for s in STAGES})
    events: Counter = field(default_factory=Counter)
    frames: int = 0
    dropped: int = 0
    started: float = field(default_factory=time.perf_counter)
    first_frame_s: float | None = None  # from the package's import to the first classified frame

    def summary(self) -> dict:
        wall = time.perf_counter() - self.started
        stages = {s: {"p50": round(float(np.percentile(v, 50)), 3), "p95": round(float(np.percentile(v, 95)), 3)}
                  for s, v in self.times.items() if v}
        per_frame = [sum(v) for v in zip(*(self.times[s] for s in STAGES if self.times[s]))]
        # The work this project does on a frame, without waiting for the camera or the file.
        work = [sum(v) for v in zip(*(self.times[s] for s in STAGES if s != "read" and self.times[s]))]
        return {
            "frames": self.frames, "fps": round(self.frames / wall, 1) if wall else 0.0,
            "dropped_stale_frames": self.dropped,
            "ms_per_frame": {"p50": round(float(np.percentile(per_frame, 50)), 3),
                             "p95": round(float(np.percentile(per_frame, 95)), 3)} if per_frame else {},
            "processing_ms_p50": round(float(np.percentile(work, 50)), 3) if work else None,
            "first_frame_s": None if self.first_frame_s is None else round(self.first_frame_s, 3),
            "stages_ms": stages, "events": dict(self.events),
        }


def format_summary(s: dict) -> str:
    lines = [f"{s['frames']} frames at {s['fps']} fps"
             + (f", {s['dropped_stale_frames']} stale camera frames dropped" if s["dropped_stale_frames"] else "")]
    if s["ms_per_frame"]:
        lines.append(f"per frame: {s['ms_per_frame']['p50']:.2f} ms median, {s['ms_per_frame']['p95']:.2f} ms p95; "
                     f"{s['processing_ms_p50']:.2f} ms median without reading the frame")
    lines.append("  " + "  ".join(f"{k} {v['p50']:.2f}/{v['p95']:.2f}" for k, v in s["stages_ms"].items())
                 + "  (ms, p50/p95)")
    lines.append("events: " + (", ".join(f"{k} {v}" for k, v in sorted(s["events"].items())) or "none"))
    return "\n".join(lines)


def active_text(decider: Decider) -> str:
    """The active gesture; when none, say if a rest is needed first, or a user who switches
    straight between gestures sees nothing fire and no reason why."""
    return decider.active or ("- (rest first)" if decider.waiting_for_rest else "-")


def draw_overlay(frame: np.ndarray, decider: Decider, crop: float, fps: float, ms: float,
                 last_key: str | None, hand=None) -> np.ndarray:
    """The mirrored frame, the model's crop box, the top label, a bar per class, speed and state."""
    h, w = frame.shape[:2]
    labels, probs, active = decider.labels, decider.smoothed, decider.active
    img = overlay.framed(frame, crop, True, overlay.GREEN if active else overlay.GREY)
    if hand is not None:  # the hand the prior found, mirrored like the picture
        x0, y0, x1, y1 = hand.box
        cv2.rectangle(img, (int(w - x1), int(y0)), (int(w - x0), int(y1)), overlay.YELLOW, 2)
    top = int(np.argmax(probs))
    overlay.text(img, f"{labels[top]} {probs[top]:.2f}", (10, 30), 0.9)
    for i, (name, p) in enumerate(zip(labels, probs)):
        y = 50 + i * 20
        overlay.text(img, f"{name[:10]:<10}", (10, y + 12), 0.45)
        overlay.bar(img, 110, y, 120, 14, float(p), overlay.GREEN if name == active else overlay.GREY)
    overlay.text(img, f"{fps:.1f} fps  {ms:.1f} ms", (w - 190, 30), 0.6)
    overlay.text(img, f"active: {active_text(decider)}", (10, h - 40), 0.6, overlay.GREEN if active else overlay.WHITE)
    overlay.text(img, f"last key: {last_key or '-'}", (10, h - 14), 0.6)
    if decider.paused:
        (tw, _), _ = cv2.getTextSize("PAUSED", overlay.FONT, 1.6, 3)
        overlay.text(img, "PAUSED", ((w - tw) // 2, h // 2), 1.6, overlay.YELLOW, 3)
    overlay.text(img, "p pause  q quit", (w - 160, h - 14), 0.5, overlay.GREY)
    return img


def apply(events: list[Event], sender: KeySender) -> None:
    for e in events:
        if e.kind == "tap":
            sender.tap(e.key)
        elif e.kind == "press":
            sender.press(e.key)
        elif e.kind == "release":
            sender.release(e.key)


def load_for_run(path: Path, log=print):
    """The live model without torch when the bundle beside the checkpoint matches it; else the checkpoint."""
    live, why = bundle.load(path)
    if live is not None and have_onnxruntime():
        return live
    from . import checkpoint  # imports torch: about a second

    if live is None:
        log(f"loading {path} with torch, which starts slower: {why}")
    return checkpoint.load(path)


def run(cfg: RunConfig, sender: KeySender | None = None, log=print) -> dict:
    ck = load_for_run(cfg.checkpoint, log)
    keymap = load_keymap(cfg.keys, ck.labels, ck.none_label) if cfg.keys else KeyMap({})
    if not keymap.rules:
        log("no --keys map: gestures are recognised and shown, but no key is sent "
            "(write one with `gesture run --write-keys keys.toml`)")
    # Check key sending before opening the camera: fail in one line, not after a countdown.
    sender = sender or (DryRunSender() if cfg.dry_run else PynputSender())
    for g, rule in keymap.rules.items():
        if rule.key:
            try:
                sender.check(rule.key)
            except ValueError as e:
                raise GestureError(f"{cfg.keys}: {g}: {e}") from None
    dcfg = cfg.decision if cfg.threshold is None else replace(cfg.decision, threshold=cfg.threshold)
    dcfg = replace(dcfg, rest=dcfg.rest and keymap.require_rest)
    decider = Decider(ck.labels, ck.none_label, dcfg, keymap.rules)
    recognizer = Recognizer(ck, str(cfg.checkpoint), video=True)
    net = FrameNet(ck, threads=INFER_THREADS, log=log)
    if cfg.screenshot is not None:
        if not cv2.haveImageWriter(str(cfg.screenshot)):
            raise GestureError(f"cannot write a picture called {cfg.screenshot}; give it a .png or .jpg name")
        cfg.screenshot.parent.mkdir(parents=True, exist_ok=True)
    try:
        events_file = open(cfg.log, "a", encoding="utf-8") if cfg.log else None
    except OSError as e:
        raise GestureError(f"cannot write the event log {cfg.log}: {e.strerror or e}") from None
    try:
        src = open_source(cfg.source)
    except GestureError:
        if events_file:
            events_file.close()
        raise
    window, why = overlay.open_preview("gesture run", cfg.preview)
    if why:
        log(why)
    stats, last_key, t = Stats(), None, 0.0
    reader = LatestFrame(src) if src.live else None
    frames = iter(reader if reader else src)
    status = sys.stderr.isatty() and window is None

    shot_taken = cfg.screenshot is None

    def snapshot(img):
        nonlocal shot_taken
        if not cv2.imwrite(str(cfg.screenshot), img):
            raise GestureError(f"cannot write the screenshot {cfg.screenshot}")
        shot_taken = True

    def emit(events: list[Event], index: int):
        nonlocal last_key
        apply(events, sender)
        for e in events:
            stats.events[e.kind] += 1
            if e.key and e.kind in ("tap", "press"):
                last_key = e.key
            row = {"time": round(e.t, 4), "frame": index, "event": e.kind, "gesture": e.gesture, "key": e.key,
                   "confidence": round(e.confidence, 4)}
            if events_file:
                events_file.write(json.dumps(row) + "\n")
                events_file.flush()
            if window is None or cfg.dry_run:
                log(("\r\033[K" if status else "") + f"{e.t:8.2f}s  frame {index:>6}  {e.kind:<7} "
                    f"{e.gesture or '':<10} {e.key or '':<16} {e.confidence:.2f}" + (" (dry run)" if cfg.dry_run else ""))

    i = -1
    # A recording shown in a window plays at its own frame rate, so a person can watch it;
    # headless (benchmarks, tests) it runs as fast as it can, frame by frame.
    pace = window is not None and not src.live
    try:
        prev_arrival, wall0, t_first, arrival_fps = None, None, None, 0.0
        while cfg.max_frames is None or i + 1 < cfg.max_frames:
            t0 = time.perf_counter()
            try:
                frame, t = next(frames)
            except StopIteration:
                break
            i += 1
            if pace:
                if wall0 is None:
                    wall0, t_first = time.perf_counter(), t
                wait = max(0.0, wall0 + (t - t_first) - time.perf_counter())
                time.sleep(wait)
                t0 += wait  # waiting for the clip's clock is not work
            t1 = time.perf_counter()
            # The prior's hand first: where it finds one, the landmark head decides and the
            # whole-frame network need not run (recognizer.combine's rule, per frame).
            probs = recognizer.hand_probs(frame)
            th = time.perf_counter()
            if probs is None:
                x = preprocess(frame, ck.preprocess)
                t2 = time.perf_counter()
                probs = net.probs(x)[0]
            else:
                t2 = th
            t3 = time.perf_counter()
            events = decider.update(probs, t)
            emit(events, i)
            t4 = time.perf_counter()
            ms = (t4 - t0) * 1000
            # A camera's own rate (dropped frames included); for a file, the rate it is played at.
            if reader:
                fps = reader.fps()
            else:
                if prev_arrival is not None:
                    dt = t1 - prev_arrival
                    arrival_fps = 0.9 * arrival_fps + 0.1 / dt if arrival_fps else 1 / max(dt, 1e-6)
                prev_arrival, fps = t1, arrival_fps
            fired = any(e.kind in ("tap", "press") for e in events)
            img = None
            if window is not None or (fired and not shot_taken):  # headless too, for the screenshot
                img = draw_overlay(frame, decider, ck.preprocess.crop, fps, ms, last_key, recognizer.hand)
            if window is not None:
                key = window.show(img)
                if key in ("q", overlay.ESC):
                    break
                if key == "p":
                    emit(decider.set_paused(not decider.paused, t), i)
            elif status and i % 5 == 0:
                top = int(np.argmax(decider.smoothed))
                sys.stderr.write(f"\r\033[Kframe {i}  {ck.labels[top]} {decider.smoothed[top]:.2f}  "
                                 f"active {active_text(decider)}  last key {last_key or '-'}  "
                                 f"{fps:.1f} fps  {ms:.1f} ms" + ("  PAUSED" if decider.paused else ""))
                sys.stderr.flush()
            if fired and not shot_taken:
                snapshot(img)
            t5 = time.perf_counter()
            for stage, dt in zip(STAGES, (t1 - t0, th - t1, t2 - th, t3 - t2, t4 - t3, t5 - t4)):
                stats.times[stage].append(dt * 1000)
            stats.frames += 1
            if stats.first_frame_s is None:
                stats.first_frame_s = time.perf_counter() - STARTED
        if not shot_taken and i >= 0:
            snapshot(draw_overlay(frame, decider, ck.preprocess.crop, fps, ms, last_key,
                                  recognizer.hand))  # nothing fired: the last frame
    except KeyboardInterrupt:
        pass
    except SourceLost as e:
        raise GestureError(f"{e}; stopped after {i + 1} frames") from None
    finally:
        # Every exit path: release what the decider holds, then anything the sender still has down.
        try:
            emit(decider.close(t), max(i, 0))
        finally:
            sender.release_all()
            if status:
                sys.stderr.write("\n")
            stopped = True
            if reader:
                stats.dropped = reader.dropped
                stopped = reader.close()
            if stopped:  # releasing a capture mid-read can crash the camera driver
                src.close()
            if window is not None:
                window.close()
            if events_file:
                events_file.close()
    return stats.summary()


def write_keys(path: Path, ckpt: Path) -> str:
    """Write a starter key map for the checkpoint's gestures; never overwrite an existing file."""
    from . import checkpoint

    ck = checkpoint.load(ckpt)
    if path.exists():
        raise GestureError(f"{path} already exists; edit it, or choose another file for --write-keys")
    text = starter_keymap(ck.labels, ck.none_label)
    try:
        path.write_text(text)
    except OSError as e:
        raise GestureError(f"cannot write {path}: {e.strerror or e}") from None
    return text
