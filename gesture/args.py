"""The `gesture` command line's arguments: one declarative table, checked as they are parsed
(cli.py dispatches them)."""
from __future__ import annotations

import argparse


class Parser(argparse.ArgumentParser):
    def error(self, message):
        # One line, not argparse's usage block: say what was wrong and where to look.
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _number(cast, ok, rule: str):
    """An argparse type: `cast` the text, then require ok(value), else say `rule`."""
    def parse(text: str):
        try:
            v = cast(text)
        except ValueError:
            kind = "a whole number" if cast is int else "a number"
            raise argparse.ArgumentTypeError(f"expected {kind}, got {text!r}") from None
        if not ok(v):
            raise argparse.ArgumentTypeError(f"must be {rule}, got {v}")
        return v
    return parse


_positive_int = _number(int, lambda v: v > 0, "positive")
_positive_float = _number(float, lambda v: v > 0, "positive")
_nonneg_float = _number(float, lambda v: v >= 0, "0 or more")


def get_parser() -> Parser:
    from .capture.record import LIVE_FPS
    from .config import MIN_EPOCHS, PRIOR_SIZE, TRAIN_STEPS, ModelConfig, TrainConfig
    from .paths import default_keys

    t = TrainConfig()  # its defaults: the data folder and the model in paths.home()

    d = ModelConfig()
    p = Parser(prog="gesture", description="Hand gestures in front of a webcam, turned into key presses.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    sub.required = True

    m = sub.add_parser("model", help="print the network layer by layer with its cost, beside a standard-conv twin",
                       description="Per-layer output size, parameters and multiply-accumulates of the network.")
    m.add_argument("--size", type=_positive_int, default=d.size, help=f"input side in pixels (default {d.size})")
    m.add_argument("--width", type=_positive_float, default=d.width,
                   help=f"channel width multiplier (default {d.width})")
    m.add_argument("--classes", type=_positive_int, default=d.num_classes,
                   help=f"number of classes (default {d.num_classes})")
    m.add_argument("--json", action="store_true", help="print the same data as JSON")

    c = sub.add_parser("capture", help="record labelled frames from a camera, video, folder or synth:",
                       description="Record frames of one gesture into DATA/LABEL/SESSION/, one manifest line per "
                                   "frame. Space pauses, q or Esc stops early and keeps what was recorded.")
    c.add_argument("label", help="the gesture's name, e.g. palm; record the no-gesture class as 'none'")
    c.add_argument("--count", type=_positive_int, default=300, help="frames to record (default 300)")
    c.add_argument("--source", default="0", help="camera index, video file, image folder or synth:... (default 0)")
    c.add_argument("--data", default=str(t.data), help=f"data folder (default {t.data})")
    c.add_argument("--session", help="session name (default: the date and time); an existing session is continued")
    c.add_argument("--fps", type=_nonneg_float, default=None,
                   help=f"keep at most this many frames per second (default {LIVE_FPS:g} from a camera, "
                        "every frame from a file, folder or synth:; 0 keeps every frame)")
    c.add_argument("--countdown", type=_nonneg_float, default=3.0,
                   help="seconds to get ready before a camera records (default 3)")
    c.add_argument("--no-preview", action="store_true", help="no window; a progress bar in the terminal instead")
    c.add_argument("--no-mirror", action="store_true",
                   help="show the preview unmirrored (saved frames are never mirrored)")

    dt = sub.add_parser("data", help="what a data folder holds: labels x sessions x frames, with warnings",
                        description="Decode every frame and report labels, sessions, counts and sizes, with warnings "
                                    "for a missing no-gesture class, small or imbalanced classes, single sessions and "
                                    "corrupt files.")
    dt.add_argument("--data", default=str(t.data), help=f"data folder (default {t.data})")
    dt.add_argument("--json", action="store_true", help="print the report as JSON")
    dt.add_argument("--quarantine", action="store_true",
                    help="move corrupt files to DATA/.quarantine/ (nothing is deleted)")
    dt.add_argument("--file", nargs=2, metavar=("SESSION", "LABEL"),
                    help="move a session that `gesture run --collect` kept for review under LABEL (or none)")

    tr = sub.add_parser("train", help="train the network on a data folder (about a minute on a laptop CPU)",
                        description="Train on DATA/LABEL/[SESSION/]*.jpg with a session- or time-block validation "
                                    "split; writes the checkpoint and metrics.json, confusion.png and curves.png "
                                    "beside it.")
    tr.add_argument("--data", default=str(t.data), help=f"data folder (default {t.data})")
    tr.add_argument("--out", default=str(t.out), help=f"checkpoint to write (default {t.out})")
    tr.add_argument("--epochs", type=_positive_int, default=None,
                    help=f"epochs (default: planned from the data, up to {TRAIN_STEPS} optimiser steps and fewer "
                         f"where the hand prior finds most hands, at least {MIN_EPOCHS}; in the second half it stops "
                         f"early after {t.patience} epochs without a better validation accuracy; the same on any "
                         "machine)")
    tr.add_argument("--size", type=_positive_int, default=None,
                    help=f"model input side in px (default {PRIOR_SIZE} with the hand prior, "
                         f"{d.size} with --from-scratch)")
    tr.add_argument("--width", type=_positive_float, default=t.width,
                    help=f"channel width multiplier (default {t.width})")
    tr.add_argument("--time-budget", type=_positive_float, metavar="SECONDS", default=None,
                    help="stop after this many seconds, keeping the best weights; off by default, and it warns "
                         "when it cuts training short (the model then depends on the machine's speed)")
    tr.add_argument("--seed", type=int, default=t.seed, help=f"random seed (default {t.seed})")
    tr.add_argument("--none-label", metavar="NAME",
                    help="the label that means no gesture (default: none, nothing, no_gesture or background)")
    tr.add_argument("--flip", action="store_true",
                    help="also train on mirrored frames (off by default: mirroring changes which hand is shown)")
    tr.add_argument("--no-cache", action="store_true",
                    help="decode every frame again instead of using ~/.cache/gesture")
    tr.add_argument("--from-scratch", action="store_true",
                    help="only the whole-frame network, without the shipped hand prior and its landmark head")

    ev = sub.add_parser("eval", help="a checkpoint's accuracy, per-class metrics and confusion on any data folder",
                        description="Evaluate on a folder in either layout; labels are matched by name, and labels "
                                    "the checkpoint does not know are reported with what they were predicted as.")
    ev.add_argument("--checkpoint", default=str(t.out),
                    help=f"checkpoint, or 'starter' for the shipped starter gestures (default {t.out})")
    ev.add_argument("--data", required=True, help="data folder to evaluate on")
    ev.add_argument("--json", action="store_true", help="print one JSON object (accuracy, per_class, confusion, ...)")

    from .live.decide import MAX_SECONDS, MIN_THRESHOLD, DecisionConfig

    dc = DecisionConfig()
    threshold = _number(float, lambda v: MIN_THRESHOLD <= v <= 1, f"from {MIN_THRESHOLD} to 1")
    r = sub.add_parser("run", help="classify live frames and press keys for stable gestures",
                       description="The live loop: frames from a camera (or a file, for replay), the checkpoint's "
                                   "preprocessing and fused model, temporal smoothing with hysteresis, and key "
                                   "presses from a TOML key map. In the preview: p pauses firing, q quits, x says "
                                   "'that press was wrong' and m then 1-9 'that gesture was missed': the frames "
                                   "become a new session of the data folder and the model relearns in the background "
                                   "(also without the window, through the hotkeys ctrl+alt+x and ctrl+alt+m).")
    r.add_argument("--checkpoint", help=f"checkpoint, or 'starter' for the shipped starter gestures (default {t.out}; "
                                        "the starter where that has not been trained yet)")
    r.add_argument("--source", default="0", help="camera index, video file, image folder or synth:... (default 0)")
    r.add_argument("--keys", metavar="KEYS.toml",
                   help=f"key map: which key each gesture presses (default {default_keys()}, where it exists)")
    r.add_argument("--dry-run", action="store_true", help="log and print the events, send no keys")
    r.add_argument("--no-preview", action="store_true", help="no window; a status line in the terminal instead")
    r.add_argument("--threshold", type=threshold,
                   help=f"smoothed probability that activates a gesture (default {dc.threshold}); "
                        "a gesture's own threshold in the key map wins")
    seconds = _number(float, lambda v: 0 <= v <= MAX_SECONDS, f"from 0 to {MAX_SECONDS} seconds")
    r.add_argument("--confirm", type=seconds, metavar="SECONDS",
                   help=f"how long a gesture must also lead at its threshold before it fires (default "
                        f"{dc.confirm}: after its 2 frames); longer is surer, and slower, and misses gestures "
                        "whose reading flickers")
    r.add_argument("--rest-time", type=seconds, metavar="SECONDS",
                   help=f"how long the hand must rest (no gesture, or no hand) before the next gesture can fire "
                        f"(default {dc.rest_time}); shorter switches faster, and a hand the camera loses for a "
                        "moment can fire a held gesture twice")
    r.add_argument("--hand-only", action="store_true",
                   help="fire only from frames where a hand is found: the whole-frame network's reading of a "
                        "frame with no hand (dim or back-lit hands; also an empty room in new light) fires nothing")
    r.add_argument("--log", metavar="EVENTS.jsonl", help="append every event as a JSON line to this file")
    r.add_argument("--max-frames", type=_positive_int, metavar="N", help="stop after N frames")
    r.add_argument("--realtime", action="store_true",
                   help="play a video file at its own frame rate without a window too, as a camera would "
                        "(headless, a file otherwise runs as fast as it can)")
    r.add_argument("--screenshot", metavar="FILE.png",
                   help="save the overlay as a PNG at the first key event (or the last frame if none fired)")
    r.add_argument("--data", metavar="DIR",
                   help="data folder for corrections and relearning (default: the one the model was trained on)")
    r.add_argument("--no-corrections", action="store_true", help="x, m and the correction hotkeys do nothing")
    r.add_argument("--collect", action="store_true",
                   help="also keep the frames the model hesitated on (a few a second at most) in DATA/.review/, "
                        "for `gesture data --file` to file under a label")
    r.add_argument("--write-keys", metavar="KEYS.toml", nargs="?", const=str(default_keys()),
                   help="write a commented starter key map for the checkpoint's gestures, and exit (with no "
                        f"file: {default_keys()}, which `gesture run` then uses)")
    r.add_argument("--background", action="store_true",
                   help="as at login (gesture autostart): no window, output appended to the log under "
                        "$XDG_STATE_HOME/gesture/, and not a second time while one answers `gesture status`")

    a = sub.add_parser("autostart", help="start gesture run in the background at login, or stop doing so",
                       description="on: write an XDG autostart entry (and a systemd user unit where systemd's user "
                                   "instance runs) that starts `gesture run --background` with these arguments; off: "
                                   "remove them; no action: say what is installed.")
    a.add_argument("action", nargs="?", choices=("on", "off"), help="on or off; none: show what is installed")
    a.add_argument("--keys", metavar="KEYS.toml",
                   help=f"with on: the key map the background run uses (default {default_keys()}, where it exists)")
    a.add_argument("--checkpoint", help="with on: the model (default: the trained one, else the starter)")
    for name, what in (("status", "whether gesture run is running: its model, key map, pause and presses today"),
                       ("pause", "pause a running gesture run (held keys are released)"),
                       ("resume", "resume a paused gesture run")):
        c = sub.add_parser(name, help=what, description=what[0].upper() + what[1:] + ", over a local socket only "
                           "this user can open.")
        c.add_argument("--json", action="store_true", help="print the answer as one JSON object")

    from .demo import DemoConfig

    dm = DemoConfig()
    de = sub.add_parser("demo", help="the whole product end to end: synthetic camera by default, or --camera",
                        description="Without --camera: capture every gesture of the synthetic camera in two sessions, "
                                    "train, and replay a new clip through the live loop in dry run; writes the data, "
                                    "model, reports, events and an overlay screenshot into a new folder. With "
                                    "--camera: a guided tour of capture, train, key map and run on your own camera.")
    de.add_argument("--camera", nargs="?", const="0", metavar="INDEX",
                    help="walk through the real thing on this camera (default 0; a video file also works)")
    de.add_argument("--out", metavar="DIR", help="a new folder for everything (default demo/DATE-TIME)")
    de.add_argument("--frames", type=_positive_int,
                    help=f"frames per label (default {dm.frames} for the synthetic camera over two sessions, "
                         "300 per session with --camera)")
    de.add_argument("--gestures", help="with --camera: the gestures to record (default palm,fist,v)")
    de.add_argument("--epochs", type=_positive_int, default=None,
                    help="training epochs (default: the trainer's own plan, fixed by the data)")
    de.add_argument("--time-budget", type=_positive_float, metavar="SECONDS", default=None,
                    help="stop training after this many seconds (off by default; it warns when it cuts in)")
    de.add_argument("--seed", type=int, default=dm.seed,
                    help=f"seed of the synthetic scenes, without --camera (default {dm.seed})")

    b = sub.add_parser("bench", help="every speed and accuracy figure in one run, beside the landmark peer",
                       description="Benchmarks with their targets; exits 1 if a target is missed.")
    b.add_argument("--only", metavar="SECTIONS", help="comma-separated sections to run (default: all)")
    b.add_argument("--runs", type=_positive_int, default=300, help="timed runs per latency figure (default 300)")
    b.add_argument("--quick", action="store_true",
                   help="every section reduced, in a few minutes (accuracy and latency figures then carry no target)")
    b.add_argument("--smoke", action="store_true",
                   help="every section at the smallest size that still gives each figure, to check that the bench "
                        "works (the test suite runs it); implies --quick, and its figures say nothing")
    b.add_argument("--json", metavar="FILE", help="also write the figures and the machine to this JSON file")
    b.add_argument("--datasets", metavar="DIR",
                   help="the real datasets (default: ../shared/datasets beside the project)")
    return p
