"""`gesture demo`: the whole product end to end, on the synthetic camera or a real one.

On `synth:` (no camera, no display needed) it runs the same code a webcam owner runs:
`capture` records every gesture and `none` in two sessions, `train` fits and writes its
reports, and `run` replays a new synthetic clip through the live loop in dry-run, with a
screenshot of the overlay. With `--camera` it walks a person through the same steps on
their own camera instead.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from .bench import replay
from .capture.record import CaptureConfig, capture
from .capture.synth import NONE, parse_script
from .config import TrainConfig
from .data.check import check, format_report
from .errors import GestureError
from .live.loop import RunConfig, run, write_keys
from .live.stats import format_summary

GESTURES = ("palm", "fist", "v", "l")
# The demo's key map: slides, media, and one key held for as long as its gesture is shown.
KEYMAP = """# written by gesture demo
[gestures]
palm = "right"              # next slide
fist = "media_play_pause"
v = "left"                  # previous slide

[gestures.l]
key = "shift"
mode = "hold"
"""
SCENE = 2  # frames per synthetic scene: many short scenes teach more than a few long ones
CAMERA_GESTURES = "palm,fist,v"
MIN_DEMO_FRAMES = 20  # per label and session: the trainer holds some out, and needs 10 a class


@dataclass
class DemoConfig:
    out: Path | None = None  # default: demo/<date-time>
    frames: int = 400  # per label, over two sessions
    epochs: int | None = None  # None: the trainer's own plan, fixed by the data
    time_budget: float | None = None  # an optional cap; the trainer says so when it cuts in
    seed: int = 0


def _fresh(out: Path | None) -> Path:
    out = out or Path("demo") / time.strftime("%Y%m%d-%H%M%S")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise GestureError(f"{out} already exists and is not empty; the demo writes into a new folder (--out NEW)")
    out.mkdir(parents=True, exist_ok=True)
    return out


def replay_script(seed: int) -> str:
    """Every gesture once, held 1.3 s, between 1 s of no gesture, in scenes the model never saw."""
    parts = [f"{NONE} x30"]
    for g in GESTURES:
        parts += [f"{g} x40", f"{NONE} x30"]
    return ", ".join(parts) + f", seed={seed}, size=640x480"


def _record(cfg: DemoConfig, data: Path, log, progress: bool) -> None:
    """Step 1: two sessions of every gesture and the no-gesture class from the synthetic camera."""
    per_session = max(SCENE, cfg.frames // 2 // SCENE * SCENE)
    log(f"1/4 capture: {2 * per_session} frames of each of {', '.join(GESTURES)} and {NONE}, in two sessions, "
        "from the synthetic camera")
    recorded = 0
    for session in (1, 2):
        # One seed per session for every label: within a session the rooms and light repeat
        # across gestures, as they do for a person at one desk; the sessions differ.
        seed = cfg.seed * 10 + session
        for label in (NONE, *GESTURES):
            scenes = ", ".join([f"{label} x{SCENE}"] * (per_session // SCENE))
            res = capture(CaptureConfig(label, count=per_session, source=f"synth:{scenes}, seed={seed}, size=640x480",
                                        data=data, session=f"synth-{session}", preview=False),
                          log=lambda *a: None, progress=progress)
            recorded += len(res.written)
    log(f"    {recorded} frames in {data}/\n")


def synth_demo(cfg: DemoConfig, log=print, progress: bool = True) -> dict:
    out = _fresh(cfg.out)
    data, ckpt = out / "data", out / "model" / "gesture.pt"
    t_start = time.monotonic()
    log(f"gesture demo: everything goes into {out}/\n")

    _record(cfg, data, log, progress)

    from .learn.train import (
        train,  # imports torch: not at the top, so `gesture --help` and `run` start fast
    )

    log("2/4 train (validation holds out one whole session)")
    metrics = train(TrainConfig(data=data, out=ckpt, epochs=cfg.epochs, time_budget=cfg.time_budget, seed=cfg.seed),
                    log=lambda *a: None, progress=progress)
    # The per-class table is in model/metrics.json; here only what a newcomer needs.
    log(f"    validation accuracy {metrics['accuracy']:.3f} after {metrics['train_seconds']:.0f} s "
        f"({metrics['epochs_run']} epochs); reports in {ckpt.parent}/\n")
    if metrics["cut_short"]:
        log(f"    WARNING: {metrics['stopped']}; the model is weaker than without --time-budget\n")

    log("3/4 key map")
    keys = out / "keys.toml"
    keys.write_text(KEYMAP)
    log("    " + KEYMAP.replace("\n", "\n    ").rstrip() + "\n")

    script = replay_script(cfg.seed + 1000)
    log(f"4/4 run: a new synthetic clip through the live loop, in dry run (no key is sent)\n    synth:{script}")
    events_log, shot = out / "events.jsonl", out / "overlay.png"
    summary = run(RunConfig(checkpoint=ckpt, source=f"synth:{script}", keys=keys, dry_run=True, preview=False,
                            log=events_log, screenshot=shot, corrections=False), log=lambda line: log("    " + line))
    events = replay.read_events(events_log)
    score = replay.score(events, replay.segments_of(parse_script(script).segments), NONE, set(GESTURES))

    result = {
        "folder": str(out), "validation_accuracy": metrics["accuracy"], "train_seconds": metrics["train_seconds"],
        "events": events, "replay": score, "fps": summary["fps"], "ms_per_frame": summary["ms_per_frame"],
        "stages_ms": summary["stages_ms"], "seconds": round(time.monotonic() - t_start, 1),
    }
    (out / "demo.json").write_text(json.dumps(result, indent=2) + "\n")
    log("\n" + format_summary(summary))
    log(_verdict(score))
    log(f"validation accuracy {metrics['accuracy']:.3f} on the held-out session; "
        f"{len(events)} events; the whole demo took {result['seconds']:.0f} s")
    log(f"\nin {out}/: data/ (the recordings), model/ (gesture.pt, metrics.json, confusion.png, curves.png), "
        "keys.toml, events.jsonl, overlay.png, demo.json")
    return result


def _verdict(score: dict) -> str:
    fired = len(GESTURES) - len(score["missed"])
    parts = [f"replay: {fired} of {len(GESTURES)} gestures fired"]
    if score["delays"]:
        n = score["max_delay"]
        parts.append(f"each within {n} frame{'s' if n != 1 else ''} of its first frame "
                     f"(median {score['median_delay']:g})")
    if score["missed"]:
        parts.append(f"missed: {', '.join(score['missed'])}")
    parts.append(f"{score['false_presses']} presses while no gesture was shown, "
                 f"{score['wrong_presses']} of a wrong gesture")
    return "; ".join(parts)


# The guided tour on a real camera --------------------------------------------------------

NONE_ADVICE = """Now the no-gesture class, `none`. It is what keeps keys from firing when you are not
signing. While it records: leave the scene empty for a moment, put your hands on the
keyboard and type, reach for a cup, move your hands through the frame, and show hand
shapes that must NOT fire (waving, scratching, pointing at the screen). Let your hands
hang idle or rest on the desk too: a resting hand in view must not fire either."""


def ask(prompt: str, default: str = "") -> str:
    try:
        answer = input(prompt).strip()
    except EOFError:  # no one at the keyboard (a pipe that ran dry): take the default
        print()
        return default
    return answer or default


def camera_demo(source: str, out: Path | None, gestures: list[str], frames: int, epochs: int | None = None,
                log=print) -> int:
    """Walk a person through capture, train, key map and run on their own camera."""
    from .capture.sources import open_source

    open_source(source).close()  # no camera: one line now, not after the introduction and the first Enter
    out = _fresh(out)
    data, ckpt, keys = out / "data", out / "model" / "gesture.pt", out / "keys.toml"
    log(f"gesture demo --camera: your recordings and model go into {out}/")
    log(f"Gestures: {', '.join(gestures)}, then `none`. For each, a window shows the camera (mirrored) and the "
        "square the model sees; keep your hand inside it. Space pauses, q stops early.\n")
    session = 1
    while True:
        for label in (*gestures, NONE):
            if label == NONE:
                log(NONE_ADVICE)
            else:
                log(f"Next: {label!r}. Show it inside the square; move a little, turn your hand, change the distance.")
            if ask("Press Enter to start recording (s to skip): ").lower() == "s":
                continue
            res = capture(CaptureConfig(label, count=frames, source=source, data=data, session=f"session-{session}"),
                          log=log)
            log(f"  kept {len(res.written)} frames ({res.reason})\n")
        more = ask("Record another session? Change what tomorrow will change: the light (lamp on/off), your "
                   "distance, where your hand is in the frame, your sleeves. Two or more sessions make a model "
                   "that still works tomorrow, and the only validation figure that says so. [y/N] ", "n")
        if not more.lower().startswith("y"):
            break
        session += 1
    log(format_report(check(data, progress=False)))
    from .learn.train import train

    log("\nTraining...")
    train(TrainConfig(data=data, out=ckpt, epochs=epochs), log=log)
    write_keys(keys, ckpt)
    log(f"\nWrote a starter key map, {keys}. Edit it to choose your keys.")
    real = ask("Send real key presses now? Without that the run only shows and logs what it would press. [y/N] ", "n")
    log(f"Running: show your gestures; q in the window quits. When a key fires that should not have, press x in "
        f"the window: those frames become a `none` session and the model relearns in a few seconds, while it runs "
        f"(m, then the gesture's number, when one should have fired and did not). Later: gesture run --checkpoint "
        f"{ckpt} --keys {keys} --source {source}")
    summary = run(RunConfig(checkpoint=ckpt, source=source, keys=keys, dry_run=not real.lower().startswith("y"),
                            log=out / "events.jsonl"))
    log(format_summary(summary))
    return 0
