"""`gesture run`: camera -> hand prior / fused network -> smoother -> keys, with an overlay.

Follow one frame: `frames()` hands over the newest camera frame (a capture thread drops
stale ones, so a slow moment never adds lag; a file is read frame by frame, so replays are
deterministic), the hand prior looks for a hand and, where it finds one, the landmark head
gives probabilities; where it does not, `preprocess` turns the frame into the input
training used (configured only from the checkpoint) and the fused network, in ONNX
Runtime, gives them. The Decider turns them into events, and the sender presses keys.
Whatever ends the loop (the end of a file, q, Ctrl-C, an exception), every held key is
released.

Corrections (corrections.py) ride along: the loop keeps the last seconds of frames; x (or
a hotkey) files the frames of a wrong press under the no-gesture class, m and a number
those of a missed gesture, and learner.py relearns in another process. The new model is
swapped in between two frames; the decider, and with it held keys and pause, carries on.
"""
from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import cv2
import numpy as np

from .. import STARTED
from ..capture import preview
from ..capture.preview import active_text, draw_overlay
from ..capture.sources import LatestFrame, open_source
from ..errors import GestureError, SourceLost
from ..model import livefile
from ..model.framenet import FrameNet, have_onnxruntime
from ..model.livefile import version_of
from ..model.recognizer import Recognizer
from ..preprocess import preprocess
from .apps import FocusWatcher
from .corrections import Collector, Commands, Corrector
from .decide import Decider, DecisionConfig, Event
from .hotkeys import Hotkeys
from .keymap import KeyMap, load_keymap, starter_keymap
from .learner import Learner
from .senders import DryRunSender, KeySender, PynputSender
from .stats import STAGES, Stats

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
    data: Path | None = None  # where corrections go and relearning reads; None: the folder it was trained on
    corrections: bool = True  # x / m (and the hotkeys) record corrections and relearn
    hotkeys: bool = True  # global correction hotkeys through a pynput listener, where there is a display
    collect: bool = False  # --collect: keep the frames the model hesitated on, for review
    # Benchmarks and tests: after a correction, wait for its model before the next frame, so a
    # replay decides the same on any machine (live, the loop never waits).
    wait_for_updates: bool = False
    realtime: bool = False  # play a file at its own frame rate even without a window, as a camera would


def apply(events: list[Event], sender: KeySender) -> None:
    for e in events:
        if e.kind == "tap":
            sender.tap(e.key)
        elif e.kind == "press":
            sender.press(e.key)
        elif e.kind == "release":
            sender.release(e.key)


def load_for_run(path: Path, log=print):
    """The live model without torch when the live file beside the checkpoint matches it; else the checkpoint."""
    live, why = livefile.load(path)
    if live is not None and have_onnxruntime():
        return live
    from ..model import checkpoint  # imports torch: about a second

    if live is None:
        log(f"loading {path} with torch, which starts slower: {why}")
    return checkpoint.load(path)


def live_model(path: Path, log=print):
    """What the loop runs, from a checkpoint: (model, recognizer, network), built in one go so a
    relearned model can be swapped in whole."""
    ck = load_for_run(path, log)
    return ck, Recognizer(ck, str(path), video=True), FrameNet(ck, threads=INFER_THREADS, log=log)


def corrections_folder(cfg: RunConfig, ck, log=print) -> Path | None:
    """The data folder corrections (and --collect) go to, or None (and one line why) where there is none."""
    root = cfg.data or ck.meta.get("data", {}).get("root")
    if not root:
        log("corrections are off: this checkpoint does not say where its data is; give --data DIR")
        return None
    root = Path(root)
    if not root.is_dir():
        if cfg.data is not None:
            raise GestureError(f"--data {root} is not a folder; give the data folder the model was trained on")
        log(f"corrections are off: {root}, the folder this model was trained on, is not here; give --data DIR")
        return None
    return root


def run(cfg: RunConfig, sender: KeySender | None = None, log=print, commands: Commands | None = None,
        observe=None) -> dict:
    """The live loop. `commands` takes corrections from outside the window (the hotkeys, a
    script); `observe(frame_index, events)`, if given, sees every frame's events (benchmarks)."""
    ck, recognizer, net = live_model(cfg.checkpoint, log)
    keymap = load_keymap(cfg.keys, ck.labels, ck.none_label) if cfg.keys else KeyMap({})
    if not keymap.rules and not keymap.apps:
        log("no --keys map: gestures are recognised and shown, but no key is sent "
            "(write one with `gesture run --write-keys keys.toml`)")
    # Check key sending before opening the camera: fail in one line, not after a countdown.
    sender = sender or (DryRunSender() if cfg.dry_run else PynputSender())
    for name, g, rule in keymap.all_rules():
        if rule.key:
            try:
                sender.check(rule.key)
            except ValueError as e:
                raise GestureError(f"{cfg.keys}: {g}" + ("" if name == "default" else f" in [apps.{name!r}]")
                                   + f": {e}") from None
    dcfg = cfg.decision if cfg.threshold is None else replace(cfg.decision, threshold=cfg.threshold)
    dcfg = replace(dcfg, rest=dcfg.rest and keymap.require_rest)
    active_map, rules = keymap.rules_for(None)
    decider = Decider(ck.labels, ck.none_label, dcfg, rules)
    data = corrections_folder(cfg, ck, log) if cfg.corrections or cfg.collect else None
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
    window, why = preview.open_preview("gesture run", cfg.preview)
    if why:
        log(why)
    # Per-application maps: the focused window is read on the watcher's thread, off the frame path;
    # its first answer is there now, so the first frame already uses the right map.
    watcher = FocusWatcher.start(log) if keymap.apps else None
    window_seen = None
    if watcher:
        window_seen = watcher.current
        active_map, decider.rules = keymap.rules_for(window_seen)
    status = sys.stderr.isatty() and window is None

    def say(text: str):
        log(("\r\033[K" if status else "") + text)

    commands = commands or Commands()
    corrector = learner = hotkeys = None
    if data is not None and cfg.corrections:
        corrector = Corrector(data, ck.labels, ck.none_label, src.spec, log)
        learner = Learner(cfg.checkpoint, data, lambda p: live_model(p, lambda *a: None), version_of(ck.meta), log)
        log(f"corrections go into {data}" + (": in the window, x when a press was wrong, m then 1-9 when a gesture "
                                             "was missed" if window is not None else ""))
        if cfg.hotkeys:
            hotkeys = Hotkeys(commands, keymap.corrections)
            hotkeys.start_soon(say)
    collector = Collector(data, src.spec) if cfg.collect and data is not None else None
    stats, last_key, t = Stats(), None, 0.0
    reader = LatestFrame(src) if src.live else None
    frames = iter(reader if reader else src)

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
            if corrector and e.kind in ("tap", "press"):
                corrector.fired(e.gesture, e.t)
            row = {"time": round(e.t, 4), "frame": index, "event": e.kind, "gesture": e.gesture, "key": e.key,
                   "confidence": round(e.confidence, 4)}
            if keymap.apps:
                row["map"] = active_map
            if events_file:
                events_file.write(json.dumps(row) + "\n")
                events_file.flush()
            if window is None or cfg.dry_run:
                say(f"{e.t:8.2f}s  frame {index:>6}  {e.kind:<7} {e.gesture or '':<10} {e.key or '':<16} "
                    f"{e.confidence:.2f}" + (" (dry run)" if cfg.dry_run else ""))

    def correct(t: float):
        """The user's corrections, then the newest model if one is ready (between two frames)."""
        nonlocal ck, recognizer, net
        for cmd in commands.drain():
            rec = corrector.command(cmd, t) if corrector else None
            if rec is not None:
                learner.submit(rec)
        if learner is None:
            return
        if cfg.wait_for_updates and learner.busy:
            learner.wait()
        new = learner.take()
        if new is not None:
            if new[0].labels == ck.labels:
                ck, recognizer, net = new
            else:  # relearn.py keeps the labels; a model swapped by hand is not taken mid-run
                say(f"the new model's labels differ ({', '.join(new[0].labels)}); restart gesture run to use it")

    i = -1
    # A recording shown in a window plays at its own frame rate, so a person can watch it;
    # headless (benchmarks, tests) it runs as fast as it can, frame by frame.
    pace = (window is not None or cfg.realtime) and not src.live
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
            if corrector:
                corrector.frame(frame, t)
                correct(t)
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
            if watcher and watcher.current is not window_seen:  # a new look at the focus, not every frame
                window_seen = watcher.current
                name, rules = keymap.rules_for(window_seen)
                if name != active_map:  # by map, not window: a browser's title changes with every tab
                    emit(decider.set_rules(rules, t), i)  # anything held is released first
                    active_map = name
                    say(f"map: {name}")
            events = decider.update(probs, t)
            emit(events, i)
            if collector:
                collector.frame(frame, probs, t)
            if observe:
                observe(i, events)
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
            notes = (f"map: {active_map}" if keymap.apps else None, learner.status if learner else None,
                     corrector.prompt if corrector else None)
            img = None
            if window is not None or (fired and not shot_taken):  # headless too, for the screenshot
                img = draw_overlay(frame, decider, ck.preprocess.crop, fps, ms, last_key, recognizer.hand, notes,
                                   corrector is not None)
            if window is not None:
                key = window.show(img)
                if key in ("q", preview.ESC):
                    break
                if key == "p":
                    emit(decider.set_paused(not decider.paused, t), i)
                elif key in ("x", "m") and corrector is None:
                    say("corrections are off (--no-corrections, or no data folder: give --data DIR)")
                elif key == "x":
                    commands.put("wrong")
                elif key == "m":
                    commands.put("missed")
                elif key and key in "123456789" and len(key) == 1:
                    commands.put("pick", int(key))
            elif status and i % 5 == 0:
                top = int(np.argmax(decider.smoothed))
                sys.stderr.write(f"\r\033[Kframe {i}  {ck.labels[top]} {decider.smoothed[top]:.2f}  "
                                 f"active {active_text(decider)}  last key {last_key or '-'}  "
                                 f"{fps:.1f} fps  {ms:.1f} ms" + ("  PAUSED" if decider.paused else "")
                                 + "".join(f"  {n}" for n in notes if n))
                sys.stderr.flush()
            if fired and not shot_taken:
                snapshot(img)
            t5 = time.perf_counter()
            for stage, dt in zip(STAGES, (t1 - t0, th - t1, t2 - th, t3 - t2, t4 - t3, t5 - t4)):
                stats.times[stage].append(dt * 1000)
            stats.wall.append(t5)
            if pace:
                stats.arrival.append(wall0 + (t - t_first))
            stats.frames += 1
            if stats.first_frame_s is None:
                stats.first_frame_s = time.perf_counter() - STARTED
        if corrector:  # a correction given on the last frame is recorded all the same
            correct(t)
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
            if hotkeys:
                hotkeys.stop()
            if watcher:
                watcher.close()
            if learner:  # every correction is on disk; a training still running is stopped
                if learner.busy and not cfg.wait_for_updates:
                    log("quitting while learning: the corrections are saved; the next `gesture train` (or a "
                        "correction in the next run) learns them")
                learner.close()
                stats.trainings = learner.trainings
            if collector:
                note = collector.close()
                if note:
                    log(note)
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
    out = stats.summary()
    out["model_version"] = version_of(ck.meta)
    return out


def write_keys(path: Path, ckpt: Path) -> str:
    """Write a starter key map for the checkpoint's gestures; never overwrite an existing file."""
    from ..model import checkpoint

    ck = checkpoint.load(ckpt)
    if path.exists():
        raise GestureError(f"{path} already exists; edit it, or choose another file for --write-keys")
    text = starter_keymap(ck.labels, ck.none_label)
    try:
        path.write_text(text)
    except OSError as e:
        raise GestureError(f"cannot write {path}: {e.strerror or e}") from None
    return text
