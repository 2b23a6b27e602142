"""`gesture bench --only speed`: the live loop as it runs, the hand prior included, beside the peer.

Three 640x480 replays through the real loop (dry run), with a checkpoint that has the hand
prior and a landmark head (speed does not depend on the weights, only on which path a frame
takes):

    hand in view   finger-count set2 in time order, padded to 640x480 (one person counting)
    hand, full size  finger-count set1 in time order, scaled back to 640x480 (the size it was
                   recorded at before the set was halved): a near hand that changes shape and
                   place between frames, as the issue's own webcam clip did
    empty room     asl-frames' `nothing` (a real empty room) in time order, padded to 640x480,
                   each frame shown 5 times with sensor noise, as a still webcam delivers it
    changing room  the same frames once each, each at its own exposure (a gain drawn from
                   1 +- FLICKER, as a webcam's auto-exposure hunts in changing light): a
                   picture that changes on every frame, with no hand in it

The per-frame cost by stage, the share of one core at 30 fps, and the empty rooms against the
hand: while no hand is tracked, palm detection runs only when the picture changes, and in a
scene that keeps changing with no palm only on every third changed frame (prior.hands.Wake).
What that costs is measured too: frames from a hand's entry to its first landmarks, on
replays that cut from the still room, and from the changing one, to a gesture. The peer is MediaPipe's own
tracking pipeline (video mode, model_complexity=0) plus its MLP on the same frames.
"""
from __future__ import annotations

import statistics
import tempfile
from pathlib import Path

import cv2
import numpy as np

from ...config import cores
from ..common import Context, Figure, have_datasets, plumbing_checkpoint, replay_live

HOLD = 5  # an empty room's frame, shown this many times (1/6 s at 30 fps)
CHANGING = 45  # frames of the changing room before a hand enters: past prior.hands.IDLE_AFTER
FLICKER = 0.1  # the changing room's exposure, drawn per frame from 1 +- this
NOISE = 2.0  # sensor noise, grey levels (sigma), on every shown frame


def figures(ctx: Context) -> list[Figure]:
    if not have_datasets(ctx, "speed", ("finger-count", "asl-frames")):
        return []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        hand, large, empty, changing, entries, after_change = _clips(ctx)
        # Hand-shaped points are enough: the head costs the same whatever it learned (and real
        # hands found here would sit in memory and make the prior section's hand-finding look faster).
        ck = plumbing_checkpoint(tmp / "speed.pt")
        clips = {"hand": hand, "large": large, "empty": empty, "changing": changing}
        ours = {name: _loop(ctx, ck, frames, tmp, name) for name, frames in clips.items()}
        delays = (_entries(entries), _entries(entries, wake=False), _entries(after_change, at=CHANGING),
                  _entries(after_change, at=CHANGING, idle=False))
        figures = _figures(ctx, ours, delays, {name: len(frames) for name, frames in clips.items()})
        figures += _idle(ctx, changing)
        figures += _peer(ctx, ours, clips)
    return figures


def _clips(ctx: Context):
    """The hand-in-view frames, the empty room's, and the cuts from one to a gesture."""
    from ...data.dataset import scan
    from ...data.images import read_image
    from .. import replay

    step = ctx.pick(1, 3, 9)
    fc = sorted((s for s in scan(ctx.datasets / "finger-count").samples if s.session == "set2"),
                key=lambda s: (s.label, s.index))[::step]
    hand = [replay.pad(read_image(s.path)) for s in fc]
    fc1 = sorted((s for s in scan(ctx.datasets / "finger-count").samples if s.session == "set1"),
                 key=lambda s: (s.label, s.index))[::2 * step]
    large = [cv2.resize(read_image(s.path), (640, 480), interpolation=cv2.INTER_LINEAR) for s in fc1]
    asl = sorted(scan(ctx.datasets / "asl-frames").samples, key=lambda s: s.index)
    by = {}
    for s in asl:
        by.setdefault(s.label, []).append(s)
    rng = np.random.default_rng(0)
    room = [replay.pad(read_image(s.path)) for s in by["nothing"][:: 2 * step]]
    empty = [_noisy(f, rng) for f in room for _ in range(HOLD)]
    changing = [_flicker(replay.pad(read_image(s.path)), rng) for s in by["nothing"][::step]]
    entries, after_change = [], []  # the room, then 30 frames of a gesture
    for g in ("A", "B", "L", "V", "W", "Y"):
        for start in ((0,) if ctx.quick else (0, 60, 120)):
            shown = [replay.pad(read_image(s.path)) for s in by[g][start:start + 30]]
            still = [_noisy(replay.pad(read_image(by["nothing"][start].path)), rng) for _ in range(30)]
            entries.append(still + shown)
            moving = by["nothing"][start:start + CHANGING]
            after_change.append([_flicker(replay.pad(read_image(s.path)), rng) for s in moving]
                                + [_flicker(f, rng) for f in shown])
    return hand, large, empty, changing, entries, after_change


def _flicker(frame: np.ndarray, rng) -> np.ndarray:
    return np.clip(frame * rng.uniform(1 - FLICKER, 1 + FLICKER), 0, 255).astype(np.uint8)


def _noisy(frame: np.ndarray, rng) -> np.ndarray:
    return np.clip(frame + rng.normal(0, NOISE, frame.shape), 0, 255).astype(np.uint8)


def _loop(ctx: Context, ck: Path, frames: list, tmp: Path, name: str) -> dict:
    from .. import replay

    clip = replay.write_video(frames, tmp / f"{name}.mp4")
    summary, _ = replay_live(ctx, ck, clip, None, tmp, name)
    return summary


def _tracker(frames: int, wake: bool = True, idle: bool = True):
    """The tracker as the loop runs it (wake), with palm detection on every frame while no hand is
    tracked (not wake), or without the idle backoff over `frames` frames (not idle)."""
    from ...paths import WEIGHTS
    from ...prior.hands import HandTracker, Wake

    return HandTracker(WEIGHTS, wake=(Wake() if idle else Wake(idle_after=frames + 1)) if wake else None)


def _entries(entries: list, wake: bool = True, at: int = 30, idle: bool = True) -> list[int]:
    """Frames from a hand's entry (frame `at`) to its first landmarks, each tracker of _tracker."""
    delays = []
    for seq in entries:
        tracker = _tracker(len(seq), wake, idle)
        found = [tracker(f) is not None for f in seq]
        delays.append(next((i - at for i in range(at, len(seq)) if found[i]), len(seq) - at))
    return delays


def _figures(ctx: Context, ours: dict, delays: tuple, n: dict) -> list[Figure]:
    mach = f"{cores()} cores, no GPU"
    hand, empty = ours["hand"]["processing_ms_p50"], ours["empty"]["processing_ms_p50"]
    hand_mean, changing = ours["hand"]["processing_ms_mean"], ours["changing"]["processing_ms_mean"]

    def stages(s):
        return ", ".join(f"{k} {v['p50']:.2f}" for k, v in s["stages_ms"].items())

    return [
        Figure("speed", "loop per frame with a hand in view, prior included (p50)", hand, "ms",
               detail=f"{n['hand']} finger-count set2 frames, 640x480, through the live loop; the file read left "
                      f"out; mean {hand_mean:.2f}; p50 ms by stage: {stages(ours['hand'])}; {mach}"),
        Figure("speed", "loop per frame with a near hand, full size (p50)", ours["large"]["processing_ms_p50"], "ms",
               detail=f"{n['large']} finger-count set1 frames (every other) in time order, scaled to 640x480; "
                      f"mean {ours['large']['processing_ms_mean']:.2f}; p50 ms by stage: {stages(ours['large'])}"),
        Figure("speed", "loop per frame in an empty room (p50)", empty, "ms",
               detail=f"{n['empty']} frames of asl-frames' empty room, each shown {HOLD} times with sensor noise; "
                      f"palm detection only when the picture changes; p50 ms by stage: {stages(ours['empty'])}"),
        Figure("speed", "loop per frame in an empty scene that changes every frame (mean)", changing, "ms",
               detail=f"{n['changing']} frames of asl-frames' empty room once each, each at its own exposure "
                      f"(+-{FLICKER:.0%}); "
                      f"p50 {ours['changing']['processing_ms_p50']:.2f}; p50 ms by stage: "
                      f"{stages(ours['changing'])}"),
        Figure("speed", "a 30 fps camera's cost with a hand in view, share of one core", hand * 30 / 10, "%",
               detail="per-frame processing with the prior x 30 frames/s"),
        Figure("speed", "empty room / hand in view, per frame", empty / hand if hand else float("inf"), "x",
               target=ctx.target(0.25), detail="the same run, the same machine"),
        Figure("speed", "changing empty scene / hand in view, per frame (means)",
               changing / hand_mean if hand_mean else float("inf"), "x", target=ctx.target(1.0),
               detail="the same run, the same machine: the means, which a battery pays"),
        Figure("speed", "frames from a hand's entry to its first landmarks (slowest)", max(delays[0]), "frames",
               target=ctx.target(4), detail=f"{len(delays[0])} cuts from 30 frames of the empty room to a gesture "
                                            f"(asl-frames A, B, L, V, W, Y); each: {delays[0]}; with palm detection "
                                            f"on every frame while no hand is tracked: {delays[1]}"),
        Figure("speed", "frames from a hand's entry after a changing scene to its first landmarks (slowest)",
               max(delays[2]), "frames", target=ctx.target(4),
               detail=f"{len(delays[2])} cuts from {CHANGING} frames of the changing room (palm detection looking "
                      f"less often by then) to the same gestures; each: {delays[2]}; without the idle backoff: "
                      f"{delays[3]}"),
    ]


def _idle(ctx: Context, changing: list) -> list[Figure]:
    """The hand prior alone on the changing room, with the idle backoff and without it (palm
    detection and its second look on every changed frame): what the backoff saves, same run."""
    import time

    ms = {}
    for name, idle in (("with", True), ("without", False)):
        tracker, times = _tracker(len(changing), idle=idle), []
        for f in changing:
            t = time.perf_counter()
            tracker(f)
            times.append((time.perf_counter() - t) * 1000)
        ms[name] = float(np.mean(times))
    return [Figure("speed", "changing empty scene: the hand prior with the idle backoff / without (means)",
                   ms["with"] / ms["without"], "x", target=ctx.target(0.6),
                   detail=f"{ms['with']:.2f} ms against {ms['without']:.2f} ms a frame, the same {len(changing)} "
                          f"frames in the same run; without: palm detection and its second look on every changed "
                          f"frame")]


def _peer(ctx: Context, ours: dict, clips: dict) -> list[Figure]:
    from .. import peer

    python = peer.peer_python()
    if python is None:
        ctx.log(f"[speed] the peer is skipped: no {peer.PEER_VENV.name} (make it with scripts/peer-setup)")
        return []
    theirs = {}
    for name, frames in clips.items():
        with peer.LandmarkWorker(python, complexity=0, video=True) as w:
            theirs[name] = statistics.median([w.landmarks(f)[1] for f in frames])
    g_hand, g_empty = ours["hand"]["processing_ms_p50"], ours["empty"]["processing_ms_p50"]
    g_large = ours["large"]["processing_ms_p50"]
    what = "MediaPipe's own tracking pipeline in video mode (its landmark call only: the MLP adds ~0.05 ms)"
    return [
        Figure("speed", "peer: per frame with a hand in view (p50)", theirs["hand"], "ms", compare=g_hand,
               detail=f"{what}, the same frames"),
        Figure("speed", "peer: per frame in an empty room (p50)", theirs["empty"], "ms", compare=g_empty,
               detail=f"{what}, the same frames"),
        Figure("speed", "peer / gesture per frame, hand in view", theirs["hand"] / g_hand if g_hand else 0.0, "x",
               target=ctx.target(2.0), better="higher", detail="the same run, the same frames"),
        Figure("speed", "peer / gesture per frame, a near hand, full size",
               theirs["large"] / g_large if g_large else 0.0, "x", target=ctx.target(2.0), better="higher",
               detail=f"the same run, the same frames; the peer {theirs['large']:.2f} ms, gesture "
                      f"{g_large:.2f} ms (p50)"),
        Figure("speed", "peer / gesture per frame, empty room", theirs["empty"] / g_empty if g_empty else 0.0, "x",
               better="higher", detail="the same run, the same frames"),
        Figure("speed", "peer: per frame in an empty scene that changes every frame (p50)", theirs["changing"],
               "ms", compare=ours["changing"]["processing_ms_p50"], detail=f"{what}, the same frames"),
    ]
