"""`gesture bench --only run`: the live loop on replays: speed, start-up, latency, false and open-set presses."""
from __future__ import annotations

import itertools
import statistics
import tempfile
from pathlib import Path

from ...config import ModelConfig
from ...errors import GestureError
from ...model.net import GestureNet
from ...preprocess import PreprocessConfig
from ..common import (
    LATENCY,
    Context,
    Figure,
    replay_live,
    tap_map,
)


def _first_frame(ckpt: Path, clip: Path, runs: int = 3) -> Figure:
    """`gesture run` as a user starts it, in a new process: the time to its first classified frame."""
    import re
    import subprocess
    import sys

    times = []
    for _ in range(runs):
        r = subprocess.run([sys.executable, "-m", "gesture", "run", "--checkpoint", str(ckpt), "--source", str(clip),
                            "--max-frames", "1", "--no-preview", "--dry-run"], capture_output=True, text=True)
        found = re.search(r"first frame classified ([\d.]+) s after start", r.stdout)
        if r.returncode != 0 or not found:
            raise GestureError(f"gesture run did not start: {(r.stderr or r.stdout).strip().splitlines()[-1:]}")
        times.append(float(found.group(1)))
    return Figure("run", "start of gesture run to its first classified frame", statistics.median(times), "s",
                  detail=f"median of {runs} new processes on a 640x480 mp4, from the package's import "
                                     "(the interpreter's own start, ~20 ms, not included); no hand prior")


def figures(ctx: Context) -> list[Figure]:
    """The live loop on replays: speed on a 640x480 clip; latency, false presses and open-set presses on real frames."""
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        figures, speed_ck, clip = _speed(ctx, tmp)
        figures.append(_first_frame(speed_ck, clip))
        root = ctx.datasets / "asl-frames" if ctx.datasets else None
        if root is None or not root.is_dir():
            ctx.log(f"[run] latency and open-set replays skipped: no asl-frames at {ctx.datasets}")
            return figures
        return figures + _latency(ctx, root, tmp) + _open_set(ctx, root, tmp)


def _speed(ctx: Context, tmp: Path):
    from ...capture.synth import parse_script, scripted_frames
    from ...model import checkpoint
    from .. import replay

    n_speed = ctx.pick(300, 100, 40)
    # Speed does not depend on the weights: an untrained default network, as a checkpoint.
    mcfg = ModelConfig()
    speed_ck = checkpoint.save(tmp / "speed.pt", GestureNet(mcfg).eval(),
                               [f"class{i}" for i in range(mcfg.num_classes)], "class0",
                               PreprocessConfig(size=mcfg.size), {})
    frames = itertools.islice(scripted_frames(parse_script("seed=9, size=640x480")), n_speed)
    clip = replay.write_video((f for f, _ in frames), tmp / "speed.mp4")
    runs = [replay_live(ctx, speed_ck, clip, None, tmp, f"speed{i}")[0] for i in range(3)]
    mid = sorted(runs, key=lambda r: r["ms_per_frame"]["p50"])[1]
    ms = mid["ms_per_frame"]["p50"]
    stages = ", ".join(f"{k} {v['p50']:.2f}" for k, v in mid["stages_ms"].items())
    what = f"{mid['frames']} frames of a 640x480 mp4 replay, headless, median of 3 replays; per-stage p50 ms: {stages}"
    figures = [
        Figure("run", "640x480 replay, whole-frame network alone, per frame (p50)", ms, "ms", detail=what),
        Figure("run", "640x480 replay, preprocessing per frame (p50)", mid["stages_ms"]["preprocess"]["p50"], "ms",
               detail="crop, resize, colour order and per-image standardisation in OpenCV and NumPy"),
        Figure("run", "640x480 replay, whole-frame network alone, without reading the file (p50)",
               mid["processing_ms_p50"], "ms",
               detail="the same replay: hand, preprocess, infer, decide and draw, no file read; "
                      "the checkpoint has no hand prior, so every frame goes through the network"),
    ]

    return figures, speed_ck, clip


def _latency(ctx: Context, root: Path, tmp: Path) -> list[Figure]:
    """A model trained on block fold 0's training side replays fold 0's held-out frames,
    every gesture between stretches of "nothing"."""
    from ...model import checkpoint
    from .. import protocols, replay

    gestures = ["A", "B", "L", "V", "W", "Y"]
    keymap = tmp / "keys.toml"
    test = protocols.asl_block(0)
    if ctx.fold0 is not None:  # trained by the train section; nothing after this needs its frames
        (data, pcfg, fold0), ctx.fold0 = ctx.fold0, None
    else:  # the train section did not run: train fold 0's model here
        data, pcfg, _, fcfg = protocols.load(root, ctx.train_config())
        _, fold0 = protocols.train_on(data, [i for i, s in enumerate(data.samples) if not test(s)], fcfg, pcfg,
                                      ctx.progress)
    ck = checkpoint.write(tmp / "fold0.pt", fold0)
    held = {g: [s for s in data.samples if test(s) and s.label == g] for g in data.labels}
    nothing = held["nothing"]
    parts = []
    for k, g in enumerate(gestures):
        parts += [("nothing", [nothing[(20 * k + i) % len(nothing)] for i in range(20)]), (g, held[g])]
    parts.append(("nothing", nothing[:20]))
    frames, segments = replay.build(parts)
    keymap.write_text(tap_map(gestures))
    _, events = replay_live(ctx, ck, replay.write_video(frames, tmp / "latency.mp4"), keymap, tmp, "latency")
    s = replay.score(events, segments, "nothing", set(gestures))
    comp = (f"{len(frames)} frames at 30 fps: each of {', '.join(gestures)} as its "
            f"{min(x.length for x in segments if x.label != 'nothing')}"
            f"-{max(x.length for x in segments if x.label != 'nothing')} held-out block-fold-0 frames in time order, "
            f"between 7 stretches of 20 held-out 'nothing' frames; model trained on the other folds")
    return [
        Figure("run", "latency: slowest gesture, frames from its first frame to its key",
               s["max_delay"] if s["max_delay"] is not None else 999, "frames", target=ctx.target(LATENCY),
               detail=f"per gesture {s['delays']}, missed {s['missed'] or 'none'}, wrong-gesture presses "
                      f"{s['wrong_presses']}, repeat presses {s['repeat_presses']}; {comp}"),
        Figure("run", "false presses during 'nothing' stretches", s["false_presses"], "presses", target=ctx.target(0),
               detail=f"{s['none_frames']} 'nothing' frames in the replay above"),
    ]


def _open_set(ctx: Context, root: Path, tmp: Path) -> list[Figure]:
    """Trained on four gestures and nothing, shown the other two for the first time."""
    from ...data.dataset import scan
    from ...model import checkpoint
    from .. import protocols, replay

    keymap = tmp / "keys.toml"
    known, unknown = ["A", "B", "L", "V", "nothing"], ["W", "Y"]
    every = ctx.pick(1, 1, 4)
    data2, pcfg2, _, ocfg = protocols.load(root, ctx.train_config(), labels=known, step=every)
    _, open_ck = protocols.train_on(data2, list(range(len(data2.samples))), ocfg, pcfg2, ctx.progress)
    ck2 = checkpoint.write(tmp / "open.pt", open_ck)
    everything = scan(root).samples
    by = {g: [s for s in everything if s.label == g][::every] for g in unknown + ["nothing"]}
    hold = 3  # each real frame for 0.1 s: 200 frames make a gesture held for 20 s
    parts = [("nothing", by["nothing"][:20]), ("W", by["W"]), ("nothing", by["nothing"][20:40]),
             ("Y", by["Y"]), ("nothing", by["nothing"][40:60])]
    frames, segments = replay.build(parts, hold=hold)
    keymap.write_text(tap_map(known[:4]))
    _, events = replay_live(ctx, ck2, replay.write_video(frames, tmp / "open.mp4"), keymap, tmp, "open")
    s2 = replay.score(events, segments, "nothing", set(known))
    return [Figure(
        "run", "open set: key presses per 1000 frames of gestures never trained on", s2["unknown_per_1000"], "per 1000",
        target=ctx.target(1.0),
        detail=f"{s2['unknown_presses']} presses in {s2['unknown_frames']} frames "
               f"({s2['unknown_by_gesture'] or 'none'}); model trained on all frames of {', '.join(known)}; replay: "
               f"{len(by['W'])} W and {len(by['Y'])} Y frames in time order, each shown {hold} times, between "
               f"stretches of 'nothing'")]
