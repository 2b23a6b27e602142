"""`gesture bench --only correct`: mark a false press, and does the model stop making it?

A model of asl-frames A, B, L, V and `nothing`, trained by `gesture train` on a data folder
of block folds 1-4 (links to ../shared/datasets, never copies), replays real frames it
never saw. Each kind of unknown shape is its own replay (`unknown_kinds`): asl-frames W,
one finger from V; finger-count 3, another person on another day; hagrid-people
no_gesture, other people's idle hands in other rooms. A replay is ROUNDS rounds of 20
`nothing` frames, the shape, 20 `nothing`, and 30 of fold 0's frames of one gesture.

    no correction    the replay as it is
    corrected        the same replay through the same loop; after each of the first three
                     false presses of the first CORRECTION_ROUNDS rounds, `x` goes in
                     through the loop's command queue (where the window's key and the
                     hotkeys put it), ten frames after the press. The loop waits for each
                     relearned model before its next frame (RunConfig.wait_for_updates),
                     so the figure is the same on any machine
    the rest         the rounds after those: false presses there, with and without
                     correcting, and each gesture's delay to its key
    speed            a 640x480 replay played in real time (30 fps) with one correction: the
                     relearning's wall time, and the loop's frame rate while it ran,
                     beside the same clip with nothing to relearn

Corrections write into the data folder like a user's, so relearning reads it whole.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import cv2
import numpy as np

from ...config import cores
from ...data.dataset import CORRECTION_PREFIX
from ..common import LATENCY, SMOKE_HEAD_STEPS, Context, Figure, have_datasets, tap_map

KNOWN = ["A", "B", "L", "V"]
DELAY_AFTER_PRESS = 10  # frames from a false press to the user's x (a third of a second)
CORRECT_FIRST = 3
ROUNDS = 8  # of each replay: nothing, the unknown shape, nothing, a known gesture
CORRECTION_ROUNDS = 2  # the first rounds, where the user corrects; the rest is scored


def _square(img: np.ndarray, side: int = 200) -> np.ndarray:
    """The centre square at the asl-frames size, so every kind plays in one clip."""
    h, w = img.shape[:2]
    s = min(h, w)
    y, x = (h - s) // 2, (w - s) // 2
    return cv2.resize(img[y:y + s, x:x + s], (side, side), interpolation=cv2.INTER_AREA)


def link_folder(samples, root: Path) -> Path:
    """A data folder of symbolic links to the set's frames: gesture train reads it as a user's."""
    for s in samples:
        d = root / s.label
        d.mkdir(parents=True, exist_ok=True)
        os.symlink(s.path.resolve(), d / s.path.name)
    return root


def unknown_kinds(datasets: Path) -> dict[str, list]:
    """Shapes the model never learned, each in time order: a shape one finger from V by the same
    person, finger counts by another person on another day, other people's idle hands."""
    from ...data.dataset import scan

    def order(ss):
        return sorted(ss, key=lambda s: (s.index, s.path.name))

    asl = scan(datasets / "asl-frames").samples
    fc = scan(datasets / "finger-count").samples
    return {
        "W": order([s for s in asl if s.label == "W"]),
        "fingers 3": order([s for s in fc if s.label == "3" and s.session == "set2"]),
        # One photograph per person: each held for a third of a second.
        "idle hands": [s for s in order([s for s in scan(datasets / "hagrid-people").samples
                                          if s.label == "no_gesture"]) for _ in range(10)],
    }


def build_replay(datasets: Path, unknown: list, rounds: int = 8, step: int = 1):
    """Frames and segments: rounds of nothing, the unknown shape, nothing, a known gesture."""
    from ...data.dataset import scan
    from ...data.images import read_image
    from .. import protocols, replay

    held = protocols.asl_block(0)
    known = {g: sorted((s for s in scan(datasets / "asl-frames").samples if s.label == g and held(s)),
                       key=lambda s: s.index) for g in KNOWN + ["nothing"]}
    nothing = known["nothing"]
    parts: list[tuple[str, list]] = []
    chunk = len(unknown) // rounds
    for r in range(rounds):
        g = KNOWN[r % len(KNOWN)]
        start = (r // len(KNOWN)) * 30 % max(1, len(known[g]) - 30)
        parts += [("nothing", [nothing[(40 * r + i) % len(nothing)] for i in range(20)]),
                  ("unknown", unknown[r * chunk:(r + 1) * chunk]),
                  ("nothing", [nothing[(40 * r + 20 + i) % len(nothing)] for i in range(20)]),
                  (g, known[g][start:start + 30])]
    parts.append(("nothing", nothing[:20]))
    frames, segments, cache = [], [], {}
    for label, ss in parts:
        begin = len(frames)
        for s in ss[::step]:
            if s.path not in cache:
                img = read_image(s.path)
                cache[s.path] = None if img is None else _square(img)
            if cache[s.path] is not None:
                frames.append(cache[s.path])
        segments.append(replay.Segment(label, begin, len(frames) - begin))
    return frames, segments


class User:
    """The user in the benchmark: `x` a few frames after each of the first false presses."""

    def __init__(self, segments, commands, first: int = CORRECT_FIRST, until: int | None = None):
        self.truth = np.empty(segments[-1].start + segments[-1].length, object)
        for seg in segments:
            self.truth[seg.start:seg.start + seg.length] = seg.label
        self.commands, self.first, self.until = commands, first, until
        self.due: int | None = None
        self.made: list[int] = []  # frames at which x went in

    def __call__(self, index: int, events) -> None:
        if self.due is not None and index >= self.due:
            self.commands.put("wrong")
            self.made.append(index)
            self.due = None
        if len(self.made) >= self.first or self.due is not None:
            return
        for e in events:
            if e.kind in ("tap", "press") and self.truth[index % len(self.truth)] not in KNOWN and \
                    (self.until is None or index + DELAY_AFTER_PRESS < self.until):
                self.due = index + DELAY_AFTER_PRESS


def _false(events, truth: np.ndarray, after: int) -> int:
    """Presses after frame `after` where no known gesture was shown."""
    return sum(e["event"] in ("tap", "press") and e["frame"] > after and truth[e["frame"]] not in KNOWN for e in events)


class Harness:
    """A model trained by `gesture train` on asl-frames folds 1-4, and replays through the real
    loop that can start again from that model and its data."""

    def __init__(self, ctx: Context, tmp: Path):
        from ...config import TRAIN_STEPS, TrainConfig
        from ...data.dataset import scan
        from ...learn.train import train
        from .. import protocols

        self.tmp = tmp
        held = protocols.asl_block(0)
        side = [s for s in scan(ctx.datasets / "asl-frames").samples
                if s.label in KNOWN + ["nothing"] and not held(s)]
        self.every, self.steps = ctx.pick(1, 2, 6), ctx.pick(TRAIN_STEPS, 120, 60)  # frames kept 1 in every; its steps
        self.data = link_folder(side[::self.every], tmp / "data")
        self.ckpt = tmp / "model" / "gesture.pt"
        # The replay shows hagrid-people's idle hands: leave that set's shipped idle hands out.
        # --quick: half the frames and a sixth of the network's steps, never a few epochs: the
        # landmark head keeps its fixed steps, so the model still fires, and there is something to
        # correct. --smoke: fewer of each, for the tests.
        cfg = TrainConfig(data=self.data, out=self.ckpt, idle_exclude=("hagrid-people",),
                          steps=self.steps, head_steps=ctx.pick(None, None, SMOKE_HEAD_STEPS))
        train(cfg, log=lambda *a: None, progress=False)
        self.pristine = self.ckpt.read_bytes(), (self.ckpt.parent / "gesture.live.npz").read_bytes()
        self.keys = tmp / "keys.toml"
        self.keys.write_text(tap_map(KNOWN))

    def play(self, clip, name, observe=None, commands=None, wait=False, realtime=False):
        from ...live.loop import RunConfig, run
        from ...live.senders import DryRunSender
        from .. import replay

        log = self.tmp / f"{name}.jsonl"
        log.unlink(missing_ok=True)  # run() appends to an event log
        summary = run(RunConfig(checkpoint=self.ckpt, source=str(clip), keys=self.keys, preview=False, log=log,
                                data=self.data, hotkeys=False, wait_for_updates=wait, realtime=realtime),
                      sender=DryRunSender(), log=lambda *a: None, commands=commands, observe=observe)
        return summary, replay.read_events(log)

    def restore(self) -> None:
        """Every replay starts from the model gesture train made, and its data."""
        self.ckpt.write_bytes(self.pristine[0])
        (self.ckpt.parent / "gesture.live.npz").write_bytes(self.pristine[1])
        for d in self.data.glob(f"*/{CORRECTION_PREFIX}*"):
            shutil.rmtree(d)


def figures(ctx: Context) -> list[Figure]:
    if not have_datasets(ctx, "correct", ("asl-frames", "finger-count", "hagrid-people")):
        return []
    with tempfile.TemporaryDirectory() as tmp:
        h = Harness(ctx, Path(tmp))
        figures, first_clip = _corrected(ctx, h)
        if ctx.quick:
            ctx.log("[correct] quick: the real-time replay (about a minute of wall time) is left out")
            return figures
        return figures + _while_relearning(ctx, h, *first_clip)


def _corrected(ctx: Context, h: Harness) -> tuple[list[Figure], tuple]:
    """Each kind of false press replayed twice, without and with the user's first corrections."""
    from ...live.commands import Commands
    from .. import replay

    kinds = unknown_kinds(ctx.datasets)
    rounds = 4 if ctx.quick else ROUNDS
    rows, total_before, total_after, secs, delays, missed, first_clip = [], 0, 0, [], [], [], None
    for kind in (["W"] if ctx.quick else list(kinds)):
        frames, segments = build_replay(ctx.datasets, kinds[kind], rounds=rounds)
        # The rest: from the third round on. Corrections come only before it, so with and
        # without them the same frames are counted.
        after = segments[4 * CORRECTION_ROUNDS].start - 1
        clip = replay.write_video(frames, h.tmp / "correct.mp4")
        h.restore()
        _, plain = h.play(clip, f"{kind}-plain")
        commands = Commands()
        user = User(segments, commands, first=1 if ctx.quick else CORRECT_FIRST, until=after)
        summary, fixed = h.play(clip, f"{kind}-fixed", user, commands, wait=True)
        before_n, after_n = _false(plain, user.truth, after), _false(fixed, user.truth, after)
        rest = [seg for seg in segments if seg.start > after]
        sc = replay.score([e for e in fixed if e["frame"] > after], rest, "nothing", set(KNOWN))
        secs += [r["seconds"] for r in summary["trainings"]]
        delays += sc["delays"]
        missed += sc["missed"]
        total_before, total_after = total_before + before_n, total_after + after_n
        rows.append(f"{kind}: {before_n} -> {after_n} in frames {after + 1}-{len(frames) - 1} "
                    f"(corrections at {user.made}; {_false(plain, user.truth, -1)} in the whole plain replay)")
        ctx.log(f"[correct] {rows[-1]}")
        if first_clip is None:
            first_clip = (frames, plain, segments)
    cut = 1 - total_after / total_before if total_before else float("nan")
    what = (f"each replay: {rounds} rounds of 20 'nothing', the shape, 20 'nothing', one of A, B, L, V (30 "
            "held-out block-fold-0 frames) at 30 fps; model by gesture train on folds 1-4 of A, B, L, V, "
            f"nothing; x ten frames after each of the first three false presses of the first "
            f"{CORRECTION_ROUNDS} rounds; the rest is rounds {CORRECTION_ROUNDS + 1}-{rounds}")
    figures = [
        Figure("correct", "false presses in the rest of the replays, no correction", total_before, "presses",
               detail=(f"quick: W only, {rounds} rounds, one correction, the model trained on 1 frame "
                       f"in {h.every} for {h.steps} steps; " if ctx.quick else "")
               + f"{'; '.join(rows)}; {what}"),
        Figure("correct", "false presses in the rest of the replays, after correcting the first 1-3",
               total_after, "presses", detail=f"the same frames, the same loop; {total_before} without correcting"),
        Figure("correct", "cut in false presses by correcting", cut, "", target=ctx.target(0.90),
               better="higher", detail=f"{total_before} -> {total_after} presses; shapes never corrected "
                                       "keep firing: each kind is its own replay"),
        Figure("correct", "after correcting: slowest gesture, frames to its key",
               max(delays) if delays else 999, "frames", target=ctx.target(LATENCY),
               detail=f"delays {delays}, missed {missed or 'none'}, in the rest of the replays"),
    ]
    if secs:
        figures.append(Figure("correct", "relearning time (median)", float(np.median(secs)), "s",
                              detail=f"each relearning {secs} s, from the correction to the saved model, in its "
                                     f"own process at lower priority, one thread; {cores()} cores, no GPU"))
    return figures, first_clip


def _while_relearning(ctx: Context, h: Harness, frames, plain, segments) -> list[Figure]:
    """Speed: 640x480 in real time at 30 fps, as from a webcam, with one correction at the
    first false press: the relearning's wall time beside a running loop, and its frame rate."""
    from ...live.commands import Commands
    from .. import replay

    mach = f"{cores()} cores, no GPU"
    truth = User(segments, None).truth
    first_false = min((e["frame"] for e in plain if e["event"] in ("tap", "press") and truth[e["frame"]] not in KNOWN),
                      default=0)
    # Long enough to relearn: the clip runs 25 s past the correction.
    big = [replay.pad(cv2.resize(frames[i % len(frames)], (320, 320))) for i in range(first_false + 25 * 30)]
    h.restore()
    clip = replay.write_video(big, h.tmp / "speed.mp4")
    base, _ = h.play(clip, "speed-plain", realtime=True)  # the same clip with nothing to relearn
    commands = Commands()
    sp, _ = h.play(clip, "speed", User(segments, commands, first=1, until=len(frames)), commands, realtime=True)
    if not sp["trainings"]:
        ctx.log(f"[correct] the real-time replay ended before a relearning finished ({sp['frames']} frames)")
        return []
    t, b = sp["trainings"][0], base["realtime"]
    return [
        Figure("correct", "frame rate while relearning, 640x480 (median second)", t["fps_median"] or 0.0,
               "fps", target=30.0, better="higher",
               detail=f"{t['frames_while']} frames due in the {t['wall_seconds']} s the relearning took, the "
                      f"clip played at its 30 fps in real time; a second counts the frames due in it less "
                      f"those a 30 fps camera would have dropped (done over a frame's time late); {mach}"),
        Figure("correct", "frame rate while relearning, 640x480 (worst second)", t["fps_worst"] or 0.0,
               "fps", target=30.0, better="higher",
               detail=f"{t['late_frames']} frames late while it relearned; the same clip with no relearning: "
                      f"worst second {b['fps_worst']:.0f} fps, {b['late_frames']} late in {b['frames_while']}"
                      + (" (a late frame is the hand prior finding a hand anew: 20-40 ms on the slower "
                         "machine)" if t["late_frames"] or b["late_frames"] else "")),
        Figure("correct", "relearning time beside the running loop", t["wall_seconds"], "s",
               detail="from the correction to the new model swapped in, while the loop above ran"),
    ]
