"""`gesture bench --only presentations`: one press per gesture, on real frames in time order.

A still photograph held for frames gives the same reading on every frame: it cannot flicker,
so rules tuned on it re-arm on the first real flicker. Here every frame is a different real
frame, in the order it was recorded, played once at 30 fps through the real live loop (dry
run, a key for every gesture), by a model that never saw that session or that light:

    finger-count   trained on one session (counts 1-5, and asl-frames' empty room up to frame
                   2000 as the no-gesture class), the other session played as presentations:
                   PRESENT consecutive frames of one count, in which the hand moves across the
                   frame and re-poses as a real hold does (the set keeps a few frames a
                   second), then REST frames of the empty room after frame 2000 (back-lit:
                   light the model never saw), then the next count. Both ways round.
    asl-frames     block fold 0 (A, B, L, V, W, Y and nothing; one video each, every 15th
                   frame): each gesture's held-out frames in runs of 20, the held-out empty
                   room between them; trained on the other folds. And the late split: trained
                   up to frame 2000, shown the back-lit rest, where the prior finds few hands
                   and the whole-frame network decides most frames, the empty room's included

Each presentation is scored: fired exactly once, as itself; fired twice or more; and the
frames from its first frame to its press. Every press in an empty-room stretch is a false
press (presses per minute of that footage). The frames between a presentation and the next
are an empty room, not idle hands: idle hands are the `presses` section's (still images).
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ...config import cores
from ..common import LATENCY, MEDIAN_LATENCY, Context, Figure, have_datasets, replay_live, tap_map

PRESENT = 30  # real frames a presentation: a second at 30 fps
REST = 15  # empty-room frames between two presentations: half a second, the issue's replays' rest
NONE = "nothing"


# The rules before real frames in time order were measured (2026-12-05): a one-frame rest
# (here with the no-hand rest of today), the newest frame weighted 0.6. Played in the same run, on the same clips.
BEFORE = dict(alpha=0.6, rest_time=0.0, confirm=0.0)


@dataclass
class Tally:
    presentations: int = 0
    once: int = 0
    twice: int = 0
    delays: list = field(default_factory=list)
    false: int = 0
    rest_frames: int = 0
    runs: list = field(default_factory=list)

    def add(self, name: str, s: dict, frames: int) -> None:
        self.presentations += s["known_segments"]
        self.once += s["once"]
        self.twice += s["twice"]
        self.delays += s["delays"]
        self.false += s["false_presses"]
        self.rest_frames += s["none_frames"]
        self.runs.append(f"{name}: {s['known_segments']} presentations in {frames} frames, {s['once']} fired once, "
                         f"{s['twice']} twice or more, missed {len(s['missed'])}, wrong-gesture presses "
                         f"{s['wrong_presses']}, presses in the empty room {s['false_presses']} "
                         f"({s['false_by_gesture'] or 'none'})")


def presentations(shown: dict[str, list], rest: list, present: int) -> list[tuple[str, list]]:
    """[(label, samples)]: runs of `present` consecutive samples of each label (each label's list
    in time order), the labels taking turns, a stretch of `rest` (cycled) before each and at the end."""
    runs = {g: [v[i:i + present] for i in range(0, len(v) - present // 2, present)] for g, v in shown.items()}
    parts, k = [], 0
    for i in range(max(len(r) for r in runs.values())):
        for g in sorted(runs):
            if i < len(runs[g]):
                parts += [(NONE, [rest[(k + j) % len(rest)] for j in range(REST)]), (g, runs[g][i])]
                k += REST
    return parts + [(NONE, [rest[(k + j) % len(rest)] for j in range(REST)])]


def figures(ctx: Context) -> list[Figure]:
    if not have_datasets(ctx, "presentations", ("finger-count", "asl-frames")):
        return []
    tally, before = Tally(), Tally()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for train, test in (("set1", "set2"),) if ctx.quick else (("set1", "set2"), ("set2", "set1")):
            _finger_count(ctx, (tally, before), train, test, tmp)
        if not ctx.quick:
            _asl(ctx, (tally, before), tmp)
    return _figures(ctx, tally, before)


def _play(ctx: Context, tallies: tuple[Tally, Tally], name: str, ck, parts, tmp: Path) -> None:
    """The clip through the live loop twice: the default rules, then the rules BEFORE."""
    from ...live.decide import DecisionConfig
    from ...model import checkpoint
    from .. import replay

    frames, segments = replay.build(parts)
    gestures = sorted({label for label, _ in parts} - {NONE})
    (tmp / "keys.toml").write_text(tap_map(gestures))
    clip = replay.write_video(frames, tmp / f"{name}.mp4")
    ckpt = checkpoint.write(tmp / f"{name}.pt", ck)
    for tally, decision in zip(tallies, (None, DecisionConfig(**BEFORE))):
        _, events = replay_live(ctx, ckpt, clip, tmp / "keys.toml", tmp, name, decision)
        tally.add(name, replay.score(events, segments, NONE, set(gestures)), len(frames))
        (tmp / f"{name}.jsonl").unlink(missing_ok=True)  # the event log is appended to
    ctx.log(f"[presentations] {tallies[0].runs[-1]}; the rules before: {tallies[1].runs[-1].split(': ', 1)[1]}")


def _finger_count(ctx: Context, tallies, train: str, test: str, tmp: Path) -> None:
    from ...data.dataset import scan
    from ...learn.frames import load_data
    from ...learn.train import plan
    from .. import protocols

    step = _step(ctx)
    fc = scan(ctx.datasets / "finger-count").samples[::step]
    room = sorted((s for s in scan(ctx.datasets / "asl-frames").samples if s.label == NONE), key=lambda s: s.index)
    samples = [s for s in fc if s.session == train] + [s for s in room if not protocols.asl_late(s)][::step]
    cfg, pcfg, hands = plan(ctx.train_config(), samples, log=lambda *a: None, progress=False)
    data = load_data(cfg, pcfg, samples=samples, none_label=NONE, log=lambda *a: None, progress=False, hands=hands)
    _, ck = protocols.train_on(data, list(range(len(samples))), cfg, pcfg, ctx.progress)
    shown = {g: sorted((s for s in fc if s.session == test and s.label == g), key=lambda s: s.index)
             for g in sorted({s.label for s in fc})}
    parts = presentations(shown, [s for s in room if protocols.asl_late(s)], PRESENT // step)
    _play(ctx, tallies, f"finger-count {train} -> {test}", ck, parts, tmp)


def _step(ctx: Context) -> int:
    """Every frame of each finger-count session in a full run; 1 in 2 (quick) or 6 (smoke)."""
    return ctx.pick(1, 2, 6)


def _asl(ctx: Context, tallies, tmp: Path) -> None:
    from .. import protocols

    data, pcfg, _, cfg = protocols.load(ctx.datasets / "asl-frames", ctx.train_config())
    # Block fold 0 holds two runs of 300 video frames a class (20 kept frames each): one presentation each.
    for name, test in (("block fold 0", protocols.asl_block(0)), ("late split", protocols.asl_late)):
        _, ck = protocols.train_on(data, [i for i, s in enumerate(data.samples) if not test(s)], cfg, pcfg,
                                   ctx.progress)
        held = {g: sorted((s for s in data.samples if test(s) and s.label == g), key=lambda s: s.index)
                for g in data.labels}
        rest = held.pop(NONE)
        _play(ctx, tallies, f"asl-frames {name}", ck, presentations(held, rest, 20), tmp)


def _figures(ctx: Context, t: Tally, before: Tally) -> list[Figure]:
    n = max(1, t.presentations)
    minutes = t.rest_frames / 30 / 60
    quick = f"quick: finger-count set1 -> set2 only, 1 frame in {_step(ctx)}; " if ctx.quick else ""
    what = (f"{quick}real frames in time order, each played once at 30 fps through the live loop (dry run), the "
            f"default decision rules; {'; '.join(t.runs)}; {cores()} cores, no GPU")
    median = float(np.median(t.delays)) if t.delays else float("nan")
    return [
        Figure("presentations", "presentations of real frames fired exactly once, as themselves", t.once / n, "",
               better="higher", target=ctx.target(0.95), detail=what),
        Figure("presentations", "the rules before: presentations fired exactly once, as themselves",
               before.once / n, "", better="higher",
               detail=f"the same clips and models, a one-frame rest (a no-hand rest as now) and the newest frame "
                      f"weighted 0.6: {'; '.join(before.runs)}"),
        Figure("presentations", "presentations of real frames fired twice or more", t.twice, "presentations",
               target=ctx.target(0), detail=f"of {t.presentations} (the rules before: {before.twice})"),
        Figure("presentations", "frames from a presentation's first frame to its press (median)", median, "frames",
               target=ctx.target(MEDIAN_LATENCY), detail=f"over the {len(t.delays)} that fired as themselves"),
        Figure("presentations", "frames from a presentation's first frame to its press (slowest)",
               max(t.delays) if t.delays else float("nan"), "frames", target=ctx.target(LATENCY),
               detail=f"over the {len(t.delays)} that fired as themselves"),
        Figure("presentations", "presses per minute of an empty room between presentations",
               t.false / max(minutes, 1e-9), "per minute", target=ctx.target(0.1),
               detail=f"{t.false} presses in {minutes:.1f} minutes ({t.rest_frames} frames; the rules before: "
                      f"{before.false}): asl-frames' held-out empty room, back-lit after frame 2000 for "
                      "finger-count and the late split"),
    ]
