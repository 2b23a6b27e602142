"""Everything one `gesture run` holds open, opened in order and closed on every exit path.

Each part is registered on the run's ExitStack as it opens, so whatever ends the run (the
end of a file, q, Ctrl-C, an exception, or a failure while opening) closes what is open, in
reverse order; the last registered, and so the first to run, releases every held key and
mouse button.
"""
from __future__ import annotations

import time
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path

import cv2

from ..capture import preview
from ..capture.sources import LatestFrame, open_source
from ..errors import GestureError
from ..model import recognizer
from ..model.livefile import version_of
from ..model.recognizer import Recognizer
from ..util import TRAIN_EXTRA, have
from .apps import FocusWatcher
from .commands import Commands
from .control import Control
from .controller import Controller
from .corrections import Collector, Corrector
from .decide import Decider
from .hotkeys import Hotkeys
from .keymap import KeyMap, load_keymap
from .learner import Learner
from .outputs import Focus, Sink
from .senders import DryRunSender, KeySender, PynputSender
from .stats import Stats
from .swipes import Swipes
from .teach import Teacher
from .view import View

# One thread is enough for a 6 MMAC batch-1 forward pass (measured: no faster on two), and
# it leaves the other core to the camera thread and the window.
INFER_THREADS = 1


def live_model(path: Path, log=print) -> Recognizer:
    """What the loop runs, from a checkpoint, built in one go so a relearned model can be swapped in whole."""
    return recognizer.load(path, log, video=True, threads=INFER_THREADS)


def corrections_folder(cfg, ck, log=print) -> Path | None:
    """The data folder corrections (and --collect) go to, or None (and one line why) where there is none."""
    root = cfg.data or ck.meta.get("data", {}).get("root")
    if not root:  # the starter, or a model copied alone: said only to whoever asked for them
        if cfg.collect:
            log("--collect is off: this model does not say where its data is; give --data DIR")
        return None
    root = Path(root)
    if not root.is_dir():
        if cfg.data is not None:
            raise GestureError(f"--data {root} is not a folder; give the data folder the model was trained on")
        log(f"corrections are off: {root}, the folder this model was trained on, is not here; give --data DIR")
        return None
    return root


@dataclass
class Session:
    cfg: object  # loop.RunConfig
    model: Recognizer
    controller: Controller  # the decision rules, the swipes, the focused window's map and pause
    sink: Sink
    teacher: Teacher
    view: View
    src: object
    reader: LatestFrame | None
    stats: Stats
    log: object
    control: Control | None = None  # gesture status / pause / resume
    t: float = 0.0  # the newest frame's time and index, for what closing emits
    index: int = -1
    due: float | None = None  # a file played in real time: when the newest frame was due

    def say(self, text: str) -> None:
        self.view.say(self.log, text)

    def frames(self):
        """(index, frame, t, start): the newest frame, and when its work began. A recording shown
        in a window plays at its own frame rate, so a person can watch it; headless (benchmarks,
        tests) it runs as fast as it can, frame by frame."""
        pace = (self.view.window is not None or self.cfg.realtime) and not self.src.live
        frames = iter(self.reader if self.reader else self.src)
        wall0 = t_first = None
        i = -1
        while self.cfg.max_frames is None or i + 1 < self.cfg.max_frames:
            start = time.perf_counter()
            try:
                frame, t = next(frames)
            except StopIteration:
                return
            i += 1
            if pace:
                if wall0 is None:
                    wall0, t_first = time.perf_counter(), t
                wait = max(0.0, wall0 + (t - t_first) - time.perf_counter())
                time.sleep(wait)
                start += wait  # waiting for the clip's clock is not work
                self.due = wall0 + (t - t_first)
            self.index, self.t = i, t
            yield i, frame, t, start


def check_keys(keymap: KeyMap, sender: KeySender, keys: Path | None) -> None:
    """Key sending is checked before the camera opens: fail in one line, not after a countdown."""
    for name, g, rule in keymap.all_rules():
        if rule.key:
            try:
                sender.check(rule.key)
            except ValueError as e:
                raise GestureError(f"{keys}: {g}" + ("" if name == "default" else f" in [apps.{name!r}]")
                                   + f": {e}") from None


def open_session(cfg, stack: ExitStack, sender: KeySender | None, log, commands: Commands | None) -> Session:
    model = live_model(cfg.checkpoint, log)
    ck = model.live
    keymap = load_keymap(cfg.keys, ck.labels, ck.none_label, prior=ck.head is not None) if cfg.keys else KeyMap({})
    if not keymap.rules and not keymap.apps:
        log("no --keys map: gestures are recognised and shown, but no key is sent "
            "(write one with `gesture run --write-keys`)")
    sender = sender or (DryRunSender() if cfg.dry_run else PynputSender())
    check_keys(keymap, sender, cfg.keys)
    dcfg = cfg.decision if cfg.threshold is None else replace(cfg.decision, threshold=cfg.threshold)
    dcfg = replace(dcfg, rest=dcfg.rest and keymap.require_rest)
    data = corrections_folder(cfg, ck, log) if cfg.corrections or cfg.collect else None
    if cfg.screenshot is not None:
        if not cv2.haveImageWriter(str(cfg.screenshot)):
            raise GestureError(f"cannot write a picture called {cfg.screenshot}; give it a .png or .jpg name")
        cfg.screenshot.parent.mkdir(parents=True, exist_ok=True)
    try:
        events_file = stack.enter_context(open(cfg.log, "a", encoding="utf-8")) if cfg.log else None
    except OSError as e:
        raise GestureError(f"cannot write the event log {cfg.log}: {e.strerror or e}") from None
    src = open_source(cfg.source)
    window, why = preview.open_preview("gesture run", cfg.preview)
    view = View(window, cfg.screenshot, ck.preprocess.crop)
    stack.callback(view.close)
    if why:
        log(why)

    def say(text: str) -> None:
        view.say(log, text)

    stats = Stats()
    watcher = FocusWatcher.start(log) if keymap.apps else None
    if watcher:
        stack.callback(watcher.close)
    focus = Focus(keymap, watcher)
    controller = Controller(Decider(ck.labels, ck.none_label, dcfg, focus.rules),
                            Swipes(keymap.swipes) if keymap.uses_swipes else None, focus, say)
    teacher = open_teacher(cfg, model, data, src, keymap, commands or Commands(), window, log, say)
    stack.callback(teacher.close, stats, log)
    sink = Sink(sender, events_file, say, stats, dry_run=cfg.dry_run, on_fire=teacher.fired,
                map_name=(lambda: focus.name) if keymap.apps else None)
    reader = LatestFrame(src) if src.live else None
    stack.callback(close_source, src, reader, stats)
    control = Control(str(cfg.checkpoint), str(cfg.keys) if cfg.keys else None, log)
    stack.callback(control.close)
    session = Session(cfg, model, controller, sink, teacher, view, src, reader, stats, log, control)
    # Registered last, so it runs first: release what the rules hold, then anything the
    # sender still has down.
    stack.callback(sender.release_all)
    stack.callback(lambda: sink.emit(controller.close(session.t), max(session.index, 0)))
    return session


def open_teacher(cfg, model: Recognizer, data: Path | None, src, keymap: KeyMap, commands: Commands, window, log,
                 say) -> Teacher:
    corrector = learner = hotkeys = None
    if data is not None and cfg.corrections and not have("torch"):
        log(f"corrections are off: relearning needs torch ({TRAIN_EXTRA})")
    elif data is not None and cfg.corrections:
        ck = model.live
        corrector = Corrector(data, ck.labels, ck.none_label, src.spec, log)
        learner = Learner(cfg.checkpoint, data, lambda p: live_model(p, lambda *a: None), version_of(ck.meta), log)
        log(f"corrections go into {data}" + (": in the window, x when a press was wrong, m then 1-9 when a gesture "
                                             "was missed" if window is not None else ""))
        if cfg.hotkeys:
            hotkeys = Hotkeys(commands, keymap.corrections)
            hotkeys.start_soon(say)
    collector = Collector(data, src.spec) if cfg.collect and data is not None else None
    return Teacher(commands, corrector, learner, hotkeys, collector, cfg.wait_for_updates, say)


def close_source(src, reader: LatestFrame | None, stats: Stats) -> None:
    stopped = True
    if reader:
        stats.dropped = reader.dropped
        stopped = reader.close()
    if stopped:  # releasing a capture mid-read can crash the camera driver
        src.close()
