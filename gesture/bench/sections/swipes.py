"""`gesture bench --only swipes`: swipes read from the tracked hand, through the real live loop.

Replays from real pixels (bench/motion.py): open hands of asl-frames (B), hagrid-people
(palm) and sign-digits (5) swipe each way and play every hard case (a return stroke,
entering, leaving, a slow drift, a jump, a hand going low to the mouse), and hagrid-people's
fist, like and peace are held still, over real rooms. Every hand and room here is from the
second half of its set; the detector's settings were chosen on the first half
(gesture/tools/tune_swipes.py), and so were the people the model was trained on.

Each replay is played twice through `gesture run` (headless, dry run): with a key map of
the four swipes and the three static gestures, and with the static gestures alone, so the
price swipes put on static gestures is in view.

Those are synthetic motion: a still photograph moved along a path, no blur, no arm, no
turning hand. Real motion is scored too (bench/swipe_demos.py): swipe-demos' real swipes,
marked by looking, and real hands that move without swiping (finger-count's sessions in
time order, swipe-demos' holds), through the loop with the four swipes mapped. The MediaPipe
peer has no swipes, so there is no peer here.
"""
from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np

from ...config import cores
from ..common import Context, Figure, have_datasets, replay_live

NEED = ("asl-frames", "hagrid-people", "sign-digits", "drone-gestures", "finger-count", "swipe-demos")
KNOWN = ["palm", "fist", "like", "peace", "no_gesture"]  # the model's classes: hagrid-people, first half of people
STATIC_KEYS = {"fist": "f", "like": "l", "peace": "p"}  # palm is recognised, not mapped: it is the swiping hand
SWIPE_KEYS = {"swipe_left": "a", "swipe_right": "d", "swipe_up": "w", "swipe_down": "s"}


def figures(ctx: Context) -> list[Figure]:
    if not have_datasets(ctx, "swipes", NEED):
        return []
    from .. import motion, replay

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        ck = _model(ctx, tmp)
        if not ctx.quick:
            scripts = motion.replays(ctx.datasets, 1, 6, seed=1)
        elif not ctx.smoke:  # one hand of each set and one replay of them all (every kind of item, once or so)
            scripts = motion.replays(ctx.datasets, 1, 1, seed=1, per_room=40)
        else:  # the first dozen of those items
            scripts = motion.replays(ctx.datasets, 1, 1, seed=1, per_room=12)[:1]
        both, alone, tracked, cost, track, frames = {}, {}, [], [], [], 0
        for k, (script, room) in enumerate(scripts):
            clip = tmp / f"swipes{k}.mp4"
            replay.write_video(script.render(room), clip)
            plays = ((SWIPE_KEYS | STATIC_KEYS, both),) + (() if ctx.quick else ((STATIC_KEYS, alone),))
            for keys, total in plays:  # quick: the static gestures alone are not played again
                (tmp / "keys.toml").write_text("[gestures]\n" + "".join(f'{g} = "{v}"\n' for g, v in keys.items()))
                _, events = replay_live(ctx, ck, clip, tmp / "keys.toml", tmp, f"swipes{k}")
                motion.merge(total, motion.score(events, script.items))
            seen, us, t_us = _tracked(clip, script.items)
            tracked += seen
            cost += us
            track += t_us
            frames += sum(it.length + motion.GAP for it in script.items)
            ctx.log(f"[swipes] replay {k + 1}/{len(scripts)}: {both['right']}/{both['swipes']} right so far, "
                    f"{both['false']} false")
        real = _real(ctx, ck, tmp)
    return _figures(ctx, both, alone, tracked, cost, track, frames) + _real_figures(ctx, real)


def _real(ctx: Context, ck: Path, tmp: Path) -> dict:
    """swipe-demos' marked swipes and finger-count's sessions through the loop, the four swipes mapped."""
    from ...data.images import read_image
    from .. import replay, swipe_demos

    keys = tmp / "swipe_keys.toml"
    keys.write_text("[gestures]\n" + "".join(f'{g} = "{v}"\n' for g, v in SWIPE_KEYS.items()))
    out = {"swipes": 0, "right": 0, "delays": [], "false": [], "quiet": 0, "missed": [], "counting": 0,
           "counting_false": []}
    for name, frames, fps in swipe_demos.clips(ctx.datasets):
        clip = replay.write_video(frames, tmp / f"{name}.mp4", fps=fps)
        _, events = replay_live(ctx, ck, clip, keys, tmp, name)
        s = swipe_demos.score(name, events)
        out["swipes"] += s["swipes"]
        out["right"] += s["right"]
        out["delays"] += s["delays"]
        out["false"] += [f"{name} {f}" for f in s["false"]]
        out["quiet"] += swipe_demos.quiet_frames(name, len(frames))
        if s["right"] < s["swipes"]:
            out["missed"].append(f"{name} {s['right']}/{s['swipes']}")
    for session, paths in swipe_demos.counting(ctx.datasets)[: 1 if ctx.quick else None]:
        step = ctx.pick(1, 3, 9)  # a thinned session plays slower, so the hand moves at its own speed
        frames = [f for f in (read_image(p) for p in paths[::step]) if f is not None]
        clip = replay.write_video(frames, tmp / f"count-{session}.mp4", fps=replay.FPS / step)
        _, events = replay_live(ctx, ck, clip, keys, tmp, f"count-{session}")
        out["counting"] += len(frames)
        out["counting_false"] += [f"{session} {e['gesture']}@{e['frame']}" for e in events
                                  if e.get("event") == "tap"]
    ctx.log(f"[swipes] real: {out['right']}/{out['swipes']} swipes fired as their direction, "
            f"{len(out['false']) + len(out['counting_false'])} false")
    return out


def _real_figures(ctx: Context, r: dict) -> list[Figure]:
    frames = r["quiet"] + r["counting"]
    false = r["false"] + r["counting_false"]
    return [
        Figure("swipes", "real swipes (swipe-demos) fired as their direction", r["right"] / max(1, r["swipes"]), "",
               better="higher", target=ctx.target(0.9),
               detail=f"{r['right']} of {r['swipes']} swipes marked by looking in six real clips at about 15 frames "
                      f"a second, through the live loop with the four swipes mapped; short of all: "
                      f"{', '.join(r['missed']) or 'none'}. The detector's end-of-motion and drift rules were "
                      f"changed on 2026-12-07 looking at these clips: not a held-out figure; {cores()} cores"),
        Figure("swipes", "false swipes per 1000 frames of real hands that do not swipe", 1000 * len(false) /
               max(1, frames), "per 1000", target=ctx.target(0.5),
               detail=f"{len(false)} in {frames} frames: finger-count's sessions in time order ({r['counting']} "
                      f"frames, a hand counting and re-posing) and swipe-demos' holds ({r['quiet']}); "
                      f"{', '.join(false) or 'none'}"),
        Figure("swipes", "frames from the end of a real swipe to its key (slowest)",
               max(r["delays"]) if r["delays"] else float("nan"), "frames", target=ctx.target(4),
               detail=f"each: {r['delays']}; frames at about 15 a second, from the last moving frame marked"),
    ]


def _model(ctx: Context, tmp: Path) -> Path:
    """hagrid-people's palm, fist, like, peace and no_gesture of the first half of its people,
    and, as a user records `none` in their own room, the rooms of the first half as
    no_gesture: the whole-frame network judges the empty room between two hands."""
    import shutil

    import cv2

    from ...model import checkpoint
    from .. import motion, protocols

    root, data_root = ctx.datasets / "hagrid-people", tmp / "data"
    for g in KNOWN:
        (data_root / g).mkdir(parents=True)
        for name in motion.halves([p.name for p in (root / g).iterdir() if p.is_file()], 0):
            shutil.copy(root / g / name, data_root / g / name)
    for i, room in enumerate(motion.rooms(ctx.datasets, 0)):
        cv2.imwrite(str(data_root / "no_gesture" / f"room{i:03d}.jpg"), room)
    data, pcfg, _, cfg = protocols.load(data_root, ctx.train_config())
    _, ck = protocols.train_on(data, list(range(len(data.samples))), cfg, pcfg, ctx.progress)
    return checkpoint.write(tmp / "swipes.pt", ck)


def _tracked(clip: Path, items) -> tuple[list[bool], list[float], list[float]]:
    """For each swipe: did the prior track its hand in the frames before the motion began (the
    detector cannot see a hand the prior has not found)? And, in microseconds per frame, the
    detector's cost on this clip's tracked hands and the tracker's, read back from the video as
    the loop reads it."""
    import cv2

    from ... import prior
    from ...live.decide import Rule
    from ...live.swipes import SWIPES, Swipes

    cap = cv2.VideoCapture(str(clip))
    tracker = prior.tracker(static=False, wake=True)
    hands, shape, track_us = [], None, []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        shape = frame.shape
        t0 = time.perf_counter()
        hands.append(tracker(frame))
        track_us.append((time.perf_counter() - t0) * 1e6)
    cap.release()
    seen = [any(h is not None for h in hands[it.begin - 3:it.begin]) for it in items if it.swipe is not None]
    rules = {g: Rule(key="x") for g in SWIPES}
    sw, us = Swipes(), []
    for i, h in enumerate(hands):
        t0 = time.perf_counter()
        sw.update(h, shape, None, i / 30, rules, False)
        us.append((time.perf_counter() - t0) * 1e6)
    return seen, us, track_us


def _figures(ctx: Context, both: dict, alone: dict, tracked: list[bool], cost: list[float], track: list[float],
             frames: int) -> list[Figure]:
    from .. import motion

    right, n = both["right"], both["swipes"]
    delays = both["delays"]
    quick = f"quick: {ctx.train_config().epochs} epochs, one hand per set; " if ctx.quick else ""
    where = (f"{quick}{n} swipes in "
             f"{frames} frames ({frames / 30 / 60:.1f} min at 30 fps) of replays from real pixels: the second half "
             f"of asl-frames B, hagrid-people palm and sign-digits 5, over rooms of the second half; settings chosen "
             f"on the first half; through the live loop; {cores()} cores, no GPU")
    n_seen = sum(tracked)
    static_with = both["static_right"] / max(1, both["static"])
    alone = alone or both  # quick: not played alone
    static_alone = alone["static_right"] / max(1, alone["static"])
    return [
        Figure("swipes", "swipes fired as the right direction", right / max(1, n_seen), "", better="higher",
               target=ctx.target(0.97),
               detail=f"{right} of the {n_seen} swipes whose hand the prior had found before it moved ({n} in all; "
                      f"{n - n_seen} hands were not found in time, {both['wrong']} fired the wrong way); {where}"),
        Figure("swipes", "false swipes per 1000 frames", 1000 * (both["false"] + both["wrong"]) / max(1, frames),
               "per 1000", target=ctx.target(1.0),
               detail=f"{both['false']} swipes that should not have fired, by what the hand did: "
                      f"{both['false_by'] or 'none'} (hard cases: {', '.join(motion.HARD)}, static shapes held), "
                      f"and {both['wrong']} fired the wrong way (a return stroke whose swipe was not seen)"),
        Figure("swipes", "frames from the end of a motion to its key (slowest)",
               max(delays) if delays else float("nan"), "frames", target=ctx.target(4),
               detail=f"median {np.median(delays) if delays else float('nan'):.0f}, over {len(delays)} swipes; the "
                      "motion's end is its last scripted frame"),
        Figure("swipes", "static gestures fired as themselves, with swipes mapped", static_with, "", better="higher",
               target=ctx.target(static_alone),
               detail=f"{both['static_right']} of {both['static']} held shapes (hagrid-people fist, like, peace, "
                      "people never trained on); "
                      + (f"{alone['static_right']} with the static gestures alone; " if not ctx.quick else
                         "quick: not played without swipes; ")
                      + f"{both['static_in_swipes']} static presses during swipes"),
        Figure("swipes", "swipe detection per frame (p50)", float(np.median(cost)) / 1000, "ms",
               detail=f"{len(cost)} frames of tracked hands, live/swipes.Swipes.update alone; p99 "
                      f"{np.percentile(cost, 99) / 1000:.3f} ms; {cores()} cores, no GPU"),
        Figure("swipes", "swipe detection / the hand tracker, per frame", float(np.median(cost) / np.median(track)),
               "x", target=ctx.target(0.02),
               detail=f"the tracker {np.median(track) / 1000:.2f} ms p50 on the same frames, the same run"),
    ]
