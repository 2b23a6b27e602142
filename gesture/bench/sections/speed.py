"""`gesture bench --only speed`: the live loop as it runs, the hand prior included, beside the peer.

Two 640x480 replays through the real loop (dry run), with a checkpoint that has the hand
prior and a landmark head (speed does not depend on the weights, only on which path a frame
takes):

    hand in view   finger-count set2 in time order, padded to 640x480 (one person counting)
    empty room     asl-frames' `nothing` (a real empty room) in time order, padded to 640x480,
                   each frame shown 5 times with sensor noise, as a still webcam delivers it

The per-frame cost by stage, the share of one core at 30 fps, and the empty room against the
hand: while no hand is tracked, palm detection runs only when the picture changes
(prior.hands.Wake). What that costs is measured too: frames from a hand's entry to its first
landmarks, on replays that cut from the empty room to a gesture. The peer is MediaPipe's own
tracking pipeline (video mode, model_complexity=0) plus its MLP on the same frames.
"""
from __future__ import annotations

import statistics
import tempfile
from pathlib import Path

import numpy as np

from ...config import cores
from ..common import Context, Figure, have_datasets, plumbing_checkpoint, replay_live

HOLD = 5  # an empty room's frame, shown this many times (1/6 s at 30 fps)
NOISE = 2.0  # sensor noise, grey levels (sigma), on every shown frame


def figures(ctx: Context) -> list[Figure]:
    if not have_datasets(ctx, "speed", ("finger-count", "asl-frames")):
        return []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        hand, empty, entries = _clips(ctx)
        # Hand-shaped points are enough: the head costs the same whatever it learned (and real
        # hands found here would sit in memory and make the prior section's hand-finding look faster).
        ck = plumbing_checkpoint(tmp / "speed.pt")
        ours = {name: _loop(ctx, ck, frames, tmp, name) for name, frames in (("hand", hand), ("empty", empty))}
        delays = _entries(entries), _entries(entries, wake=False)
        figures = _figures(ctx, ours, delays, len(hand), len(empty))
        figures += _peer(ctx, ours, hand, empty)
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
    asl = sorted(scan(ctx.datasets / "asl-frames").samples, key=lambda s: s.index)
    by = {}
    for s in asl:
        by.setdefault(s.label, []).append(s)
    rng = np.random.default_rng(0)
    room = [replay.pad(read_image(s.path)) for s in by["nothing"][:: 2 * step]]
    empty = [_noisy(f, rng) for f in room for _ in range(HOLD)]
    entries = []  # 30 frames of the room, then 30 of a gesture: the hand enters at frame 30
    for g in ("A", "B", "L", "V", "W", "Y"):
        for start in ((0,) if ctx.quick else (0, 60, 120)):
            still = [_noisy(replay.pad(read_image(by["nothing"][start].path)), rng) for _ in range(30)]
            entries.append(still + [replay.pad(read_image(s.path)) for s in by[g][start:start + 30]])
    return hand, empty, entries


def _noisy(frame: np.ndarray, rng) -> np.ndarray:
    return np.clip(frame + rng.normal(0, NOISE, frame.shape), 0, 255).astype(np.uint8)


def _loop(ctx: Context, ck: Path, frames: list, tmp: Path, name: str) -> dict:
    from .. import replay

    clip = replay.write_video(frames, tmp / f"{name}.mp4")
    summary, _ = replay_live(ctx, ck, clip, None, tmp, name)
    return summary


def _entries(entries: list, wake: bool = True) -> list[int]:
    """Frames from a hand's entry (frame 30) to its first landmarks, the tracker as the loop runs
    it (wake), or with palm detection on every frame while no hand is tracked."""
    from ... import prior

    delays = []
    for seq in entries:
        tracker = prior.tracker(static=False, wake=wake)
        found = [tracker(f) is not None for f in seq]
        delays.append(next((i - 30 for i in range(30, len(seq)) if found[i]), len(seq) - 30))
    return delays


def _figures(ctx: Context, ours: dict, delays: tuple[list[int], list[int]], n_hand: int, n_empty: int) -> list[Figure]:
    mach = f"{cores()} cores, no GPU"
    hand, empty = ours["hand"]["processing_ms_p50"], ours["empty"]["processing_ms_p50"]

    def stages(s):
        return ", ".join(f"{k} {v['p50']:.2f}" for k, v in s["stages_ms"].items())

    return [
        Figure("speed", "loop per frame with a hand in view, prior included (p50)", hand, "ms",
               detail=f"{n_hand} finger-count set2 frames, 640x480, through the live loop; the file read left out; "
                      f"p50 ms by stage: {stages(ours['hand'])}; {mach}"),
        Figure("speed", "loop per frame in an empty room (p50)", empty, "ms",
               detail=f"{n_empty} frames of asl-frames' empty room, each shown {HOLD} times with sensor noise; palm "
                      f"detection only when the picture changes; p50 ms by stage: {stages(ours['empty'])}"),
        Figure("speed", "a 30 fps camera's cost with a hand in view, share of one core", hand * 30 / 10, "%",
               detail="per-frame processing with the prior x 30 frames/s"),
        Figure("speed", "empty room / hand in view, per frame", empty / hand if hand else float("inf"), "x",
               target=ctx.target(0.25), detail="the same run, the same machine"),
        Figure("speed", "frames from a hand's entry to its first landmarks (slowest)", max(delays[0]), "frames",
               target=ctx.target(4), detail=f"{len(delays[0])} cuts from 30 frames of the empty room to a gesture "
                                            f"(asl-frames A, B, L, V, W, Y); each: {delays[0]}; with palm detection "
                                            f"on every frame while no hand is tracked: {delays[1]}"),
    ]


def _peer(ctx: Context, ours: dict, hand: list, empty: list) -> list[Figure]:
    from .. import peer

    python = peer.peer_python()
    if python is None:
        ctx.log(f"[speed] the peer is skipped: no {peer.PEER_VENV.name} (make it with scripts/peer-setup)")
        return []
    theirs = {}
    for name, frames in (("hand", hand), ("empty", empty)):
        with peer.LandmarkWorker(python, complexity=0, video=True) as w:
            theirs[name] = statistics.median([w.landmarks(f)[1] for f in frames])
    g_hand, g_empty = ours["hand"]["processing_ms_p50"], ours["empty"]["processing_ms_p50"]
    what = "MediaPipe's own tracking pipeline in video mode (its landmark call only: the MLP adds ~0.05 ms)"
    return [
        Figure("speed", "peer: per frame with a hand in view (p50)", theirs["hand"], "ms", compare=g_hand,
               detail=f"{what}, the same frames"),
        Figure("speed", "peer: per frame in an empty room (p50)", theirs["empty"], "ms", compare=g_empty,
               detail=f"{what}, the same frames"),
        Figure("speed", "peer / gesture per frame, hand in view", theirs["hand"] / g_hand if g_hand else 0.0, "x",
               target=ctx.target(2.0), better="higher", detail="the same run, the same frames"),
        Figure("speed", "peer / gesture per frame, empty room", theirs["empty"] / g_empty if g_empty else 0.0, "x",
               better="higher", detail="the same run, the same frames"),
    ]
