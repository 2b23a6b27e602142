"""The `gesture` command line: dispatches what args.py parses, builds configs. No logic lives here."""
from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from .args import get_parser
from .config import TrainConfig
from .errors import GestureError
from .paths import STARTER, checkpoint_path, default_checkpoint, default_keys


def cmd_model(args) -> int:
    from .config import ModelConfig
    from .model.cost import cost_report, format_report

    try:
        cfg = ModelConfig(num_classes=args.classes, size=args.size, width=args.width)
    except ValueError as e:
        raise GestureError(str(e)) from None
    rep = cost_report(cfg)
    print(json.dumps(rep, indent=2) if args.json else format_report(rep))
    return 0


def cmd_bench(args) -> int:
    from .bench import suite as bench

    chosen = list(bench.SECTIONS) if not args.only else [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = [s for s in chosen if s not in bench.SECTIONS]
    if unknown:
        raise GestureError(f"unknown bench section {', '.join(unknown)}; choose from {', '.join(bench.SECTIONS)}")
    # In the table's order whatever the order asked: the peer compares with train's figures.
    sections = [s for s in bench.SECTIONS if s in chosen]
    from .paths import default_datasets

    ctx = bench.Context(runs=args.runs, datasets=Path(args.datasets) if args.datasets else default_datasets(),
                        quick=args.quick or args.smoke, smoke=args.smoke)
    res = bench.run(sections, ctx)
    print(bench.format_results(res))
    if args.json:
        Path(args.json).write_text(bench.to_json(res) + "\n")
        print(f"wrote {args.json}")
    missed = [f.name for f in res["figures"] if f.met is False]
    if missed:
        print(f"{len(missed)} target(s) missed: {'; '.join(missed)}")
        return 1
    return 0


def cmd_demo(args) -> int:
    from .data.dataset import NONE_ALIASES, validate_label
    from .demo import (
        CAMERA_GESTURES,
        MIN_DEMO_FRAMES,
        DemoConfig,
        camera_demo,
        synth_demo,
    )

    out = Path(args.out) if args.out else None
    # Check everything before anything is recorded: a person should not film a gesture for
    # a run that then fails on its arguments.
    if args.camera is not None:
        gestures = [g.strip() for g in (args.gestures or CAMERA_GESTURES).split(",") if g.strip()]
        if not gestures:
            raise GestureError("--gestures is empty; name at least one, e.g. --gestures palm,fist")
        for g in gestures:
            validate_label(g)
            if g in NONE_ALIASES:
                raise GestureError(f"--gestures: {g!r} is the no-gesture class, which the tour records anyway")
        if args.frames is not None and args.frames < MIN_DEMO_FRAMES:
            raise GestureError(f"--frames must be at least {MIN_DEMO_FRAMES} per session to train on, "
                               f"got {args.frames}")
        return camera_demo(args.camera, out, gestures, args.frames or 300, args.epochs)
    if args.gestures is not None:
        raise GestureError("--gestures only applies to the camera tour (--camera)")
    cfg = DemoConfig(out=out, epochs=args.epochs, time_budget=args.time_budget, seed=args.seed)
    if args.frames is not None:
        if args.frames < 2 * MIN_DEMO_FRAMES:
            raise GestureError(f"--frames must be at least {2 * MIN_DEMO_FRAMES} (two sessions), got {args.frames}")
        cfg.frames = args.frames
    synth_demo(cfg)
    return 0


def cmd_capture(args) -> int:
    from .capture.record import CaptureConfig, capture

    cfg = CaptureConfig(
        label=args.label, count=args.count, source=args.source, data=Path(args.data), session=args.session,
        fps=args.fps, countdown=args.countdown, preview=not args.no_preview, mirror=not args.no_mirror,
    )
    res = capture(cfg)
    span = f" ({res.written[0].rsplit('/', 1)[-1]} to {res.written[-1].rsplit('/', 1)[-1]})" if res.written else ""
    print(f"kept {len(res.written)} frames in {res.session_dir}{span}; {res.reason}")
    return 130 if res.interrupted else 0


def cmd_data(args) -> int:
    from .data.check import check, format_report

    if args.file:
        from .data.review import file_session

        dest = file_session(Path(args.data), *args.file)
        print(f"filed {args.file[0]} under {args.file[1]}: {dest}")
        return 0
    rep = check(Path(args.data), quarantine=args.quarantine, progress=not args.json)
    print(json.dumps(rep, indent=2) if args.json else format_report(rep))
    return 0


def cmd_train(args) -> int:
    from .learn.train import train

    cfg = TrainConfig(
        data=Path(args.data), out=Path(args.out), epochs=args.epochs, size=args.size, width=args.width,
        time_budget=args.time_budget, seed=args.seed, none_label=args.none_label, flip=args.flip,
        cache=not args.no_cache, prior=not args.from_scratch,
    )
    m = train(cfg)
    return 130 if m["interrupted"] else 0


def cmd_eval(args) -> int:
    from .learn.evaluate import eval_folder, format_eval

    m = eval_folder(checkpoint_path(args.checkpoint), args.data, progress=not args.json)
    print(json.dumps(m, indent=2) if args.json else format_eval(m))
    return 0


def cmd_run(args) -> int:
    from .live.loop import RunConfig, run, write_keys
    from .live.stats import format_summary

    if args.background and not background():
        return 0
    ckpt = run_checkpoint(args.checkpoint)
    if args.write_keys:
        out = Path(args.write_keys)
        home = out == default_keys()
        out.parent.mkdir(parents=True, exist_ok=True)
        kept = out.with_name("keys.prev.toml")
        if home and out.exists():  # the folder's own map, for another model: kept, never lost
            from .model.recognizer import read_model

            read_model(ckpt, lambda *a: None)  # the model loads before the map is moved aside
            out.replace(kept)
        write_keys(out, ckpt)
        print(f"wrote {out.resolve()}: edit it, then `gesture run{'' if home else f' --keys {out}'}"
              + (" --checkpoint starter`" if ckpt == STARTER else "`")
              + (f"; the one it replaced is kept at {kept}" if home and kept.exists() else ""))
        return 0
    keys = keys_path(args.keys)
    if args.keys is None and keys is not None:
        try:  # the folder's map may have been written for another model (the starter, before training)
            check_run(ckpt, keys)
        except GestureError as e:
            raise GestureError(f"{e} (the key map in your gesture folder; `gesture run --write-keys` writes one "
                               "for this model and keeps that one)") from None
    cfg = RunConfig(
        checkpoint=ckpt, source=args.source, keys=keys,
        dry_run=args.dry_run, preview=not (args.no_preview or args.background), threshold=args.threshold,
        log=Path(args.log) if args.log else None, max_frames=args.max_frames,
        screenshot=Path(args.screenshot) if args.screenshot else None,
        data=Path(args.data) if args.data else None, corrections=not args.no_corrections, collect=args.collect,
        realtime=args.realtime, decision=decision_config(args),
    )
    summary = run(cfg)
    print(format_summary(summary))
    if summary["first_frame_s"] is not None:  # from this process's start: only meaningful here
        print(f"first frame classified {summary['first_frame_s']:.2f} s after start")
    return 0


def decision_config(args):
    """The decision rules with the command line's --confirm, --rest-time (argparse checked their
    range) and --hand-only."""
    from dataclasses import replace

    from .live.decide import DecisionConfig

    given = {k: getattr(args, k) for k in ("confirm", "rest_time") if getattr(args, k) is not None}
    return replace(DecisionConfig(), handless=not args.hand_only, **given)


def background() -> bool:
    """--background: output appended to the log (the learner's too: the file descriptors move),
    and False where a gesture run already answers, which is not an error (the autostart entry
    and the systemd unit may both start one)."""
    from .live import autostart, control

    if control.alive():
        print("gesture run is already running in the background (gesture status)", file=sys.stderr)
        return False
    path = autostart.log_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    log = open(path, "a", buffering=1, encoding="utf-8")
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(log.fileno(), 1)
    os.dup2(log.fileno(), 2)
    sys.stdout = sys.stderr = log
    print(f"--- gesture run --background, pid {os.getpid()}, {time.strftime('%Y-%m-%d %H:%M:%S')}")
    return True


def cmd_autostart(args) -> int:
    from .live import autostart

    note = autostart.elsewhere()
    if note:
        print(note)
        return 0
    if args.action is None:
        autostart.show()
    elif args.action == "off":
        autostart.off()
    else:
        keys = keys_path(args.keys)
        if keys is None:
            raise GestureError(f"gesture autostart on needs a key map: none at {default_keys()}; write one with "
                               "`gesture run --write-keys`, or give --keys KEYS.toml")
        ckpt = run_checkpoint(args.checkpoint)
        check_run(ckpt, keys)
        # Resolved now: a login starts in another folder, where a relative default means nothing.
        autostart.on(keys, "starter" if ckpt == STARTER else str(ckpt))
    return 0


def check_run(ckpt: Path, keys: Path) -> None:
    """What a login would find wrong, found now: the model loads and the key map fits it."""
    from .live.keymap import load_keymap
    from .model.recognizer import read_model

    ck = read_model(ckpt, lambda *a: None)
    load_keymap(keys, ck.labels, ck.none_label, prior=ck.head is not None)


def cmd_control(args) -> int:
    from .live import control

    r = control.ask(args.command)
    if args.json:
        print(json.dumps(r))
    elif "error" in r:
        raise GestureError(r["error"])
    else:
        print(f"running (pid {r['pid']}, since {r['since']}): model {r['model']}, keys {r['keys'] or 'none'}, "
              f"{'PAUSED' if r['paused'] else 'firing'}, {r['presses_today']} presses today")
    return 0


def keys_path(value: str | None) -> Path | None:
    """--keys as given; without it, the key map in paths.home() where there is one."""
    if value is not None:
        return Path(value)
    return default_keys() if default_keys().is_file() else None


def run_checkpoint(value: str | None) -> Path:
    """--checkpoint as given; without it, the trained model in paths.home(), or the starter until
    one is trained there (the same from any folder)."""
    if value is not None:
        return checkpoint_path(value)
    default = default_checkpoint()
    if default.exists():
        return default
    here = Path("checkpoints/gesture.pt")  # where gesture trained by default before it had a home folder
    elsewhere = f"; for the one at {here.resolve()}, give --checkpoint {here}" if here.is_file() else ""
    print(f"no trained model at {default} yet: using the starter gestures ({', '.join(starter_gestures())}); "
          f"record and train your own with `gesture capture` and `gesture train`{elsewhere}", file=sys.stderr)
    return STARTER


def starter_gestures() -> list[str]:
    from .model.livefile import load

    live, _ = load(STARTER)
    return [g for g in live.labels if g != live.none_label] if live is not None else []


COMMANDS = {"model": cmd_model, "capture": cmd_capture, "data": cmd_data, "train": cmd_train, "eval": cmd_eval,
            "run": cmd_run, "demo": cmd_demo, "bench": cmd_bench, "autostart": cmd_autostart,
            "status": cmd_control, "pause": cmd_control, "resume": cmd_control}


# What a runtime-only install (no torch) cannot do; `run`, `eval`, `capture` and the rest can.
NEEDS_TORCH = {"train": "training", "bench": "the benchmark (it trains)", "demo": "the demo (it trains a model)",
               "model": "the network report"}


def require_torch(command: str) -> None:
    from .util import TRAIN_EXTRA, have

    if command in NEEDS_TORCH and not (have("torch") and have("onnx")):
        raise GestureError(f"{NEEDS_TORCH[command]} needs torch, which `pip install gesture-keys` leaves out: "
                           f"{TRAIN_EXTRA} (on Linux, take torch's CPU build first, as README's Install says)")


def main(argv: list[str] | None = None) -> int:
    args = get_parser().parse_args(argv)
    try:
        require_torch(args.command)
        return COMMANDS[args.command](args)
    except GestureError as e:
        print(f"gesture {args.command}: error: {e}", file=sys.stderr)
        return 2
    except OSError as e:  # the file system said no: a path the user gave, a full disk
        where = f" ({e.filename})" if e.filename else ""
        print(f"gesture {args.command}: error: {e.strerror or e}{where}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"gesture {args.command}: interrupted", file=sys.stderr)
        return 130
