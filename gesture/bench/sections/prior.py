"""`gesture bench --only prior`: does a model still work in a session, person or room it never saw?

On the same splits, in the same run, beside the landmark peer:

    finger-count   train on one session, score the other, both ways (one person, two days)
    hagrid-people  people never seen: per class, the first half of the images by file name
                   trains and the second half tests (every image is another person and room)
    idle hands     hagrid-people's no_gesture test images read as a gesture
    no_class       drone-gestures' no_class frames (people 1-3 m away raising a hand in shapes
                   outside that set's commands: thumbs-up, open palms, pointing) through the
                   live loop with a hagrid-people model, counting frames read as a gesture and
                   key presses. Most of those shapes are hagrid gestures, so this says how
                   often an unordered stream of shapes fires, not how idle hands read
    training time  the finger-count set1 model (1,439 frames): finding the hands, then the fit
    speed          the live loop on a 640x480 replay of finger-count set2 with that model

The prior is MediaPipe's palm and landmark models, trained by Google on its own images;
none of these sets was part of its training, so every figure scores a prior that did not
see the data. Each figure is also given for the whole-frame network alone (the same
checkpoint without its landmark head: what `gesture train --from-scratch` trains).
"""
from __future__ import annotations

import tempfile
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

import numpy as np

from ...config import cores
from ..common import Context, Figure, have_datasets, replay_live, tap_map


def _no_gesture_as_gesture(m: dict, none_label: str) -> float:
    return 1 - m["per_class"][none_label]["recall"]


class Scorer:
    """The figures of one run of the section, and how a holdout result becomes them."""

    def __init__(self, ctx: Context, python):
        self.ctx, self.python, self.figures = ctx, python, []
        self.mach = f"{cores()} cores, no GPU"
        self.quick = f"quick: {ctx.train_config().epochs} epochs; " if ctx.quick else ""

    def scored(self, name, r, peer_acc, target, detail):
        from ...learn.evaluate import evaluate_samples
        from ...model.livefile import from_checkpoint

        alone = evaluate_samples(from_checkpoint(replace(r.model, head=None, prior=None)), r.test_samples,
                                 {k: k for k in r.model.labels}, progress=False)
        self.figures.append(Figure("prior", name, r.accuracy, "", target=self.ctx.target(target), better="higher",
                                   detail=f"{self.quick}{detail}; hand found in {r.hand_found:.1%} of the test "
                                          f"frames; whole-frame network alone {alone['accuracy']:.3f}; {self.mach}"))
        if peer_acc is not None:
            self.figures.append(Figure("prior", "peer: " + name, peer_acc, "", compare=r.accuracy,
                                       detail="MediaPipe lite + MLP on the same frames; no hand: the no-gesture "
                                              "class, or wrong where the set has none"))
        return alone


def figures(ctx: Context) -> list[Figure]:
    from .. import peer

    if not have_datasets(ctx, "prior", ("finger-count", "hagrid-people", "drone-gestures")):
        return []
    python = peer.peer_python()
    if python is None:
        ctx.log(f"[prior] the peer is skipped: no {peer.PEER_VENV.name} (make it with scripts/peer-setup)")
    sc = Scorer(ctx, python)
    data, set1 = _sessions(sc)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        _speed(sc, data, set1, tmp)
        hagrid = _people(sc)
        _no_class(sc, *hagrid, tmp)
    return sc.figures


def _sessions(sc: Scorer):
    """finger-count: one person, two days, trained on one session and scored on the other."""
    from .. import peer, protocols

    ctx, python, figures, quick, mach, scored = sc.ctx, sc.python, sc.figures, sc.quick, sc.mach, sc.scored
    root = ctx.datasets
    data, pcfg, _, cfg = protocols.load(root / "finger-count", ctx.train_config(), step=ctx.pick(1, 4, 12))
    peer_lm = peer.extract(data.samples, python) if python else None
    fc = {}
    for a, b in (("set1", "set2"), ("set2", "set1")):
        def test(s, b=b):
            return s.session == b

        r = protocols.holdout(f"{a}->{b}", data, test, cfg, pcfg, ctx.progress, keep_model=True)
        pr = peer.holdout(data.samples, peer_lm, data.labels, data.none_label, test) if peer_lm else None
        scored(f"finger-count, trained on {a}, scored on {b}", r, pr.accuracy if pr else None, 0.90,
               f"{r.train_frames} training frames, {r.test_frames} test frames, classes 1-5")
        fc[a] = r
        ctx.log(f"[prior] finger-count {a}->{b}: {r.accuracy:.3f}" + (f" (peer {pr.accuracy:.3f})" if pr else ""))
    set1 = fc["set1"]
    hands_s = data.hands.seconds * set1.train_frames / len(data.samples)
    figures.append(Figure("prior", "training time, finger-count set1 (1,439 frames in a full run)",
                          hands_s + set1.train_seconds, "s",
                          detail=f"{quick}{set1.train_frames} frames; finding the hands {hands_s:.1f} s (share of one "
                                 f"pass over both sessions), the fit {set1.train_seconds:.1f} s ({set1.epochs} epochs "
                                 f"of the whole-frame network, fixed steps, and the landmark head); {mach}"))
    figures.append(Figure("prior", "training time / time to find the hands, finger-count set1",
                          (hands_s + set1.train_seconds) / hands_s if hands_s else float("inf"), "x",
                          target=ctx.target(2.0), detail="the same run; decoding and start-up left out"))

    return data, set1


def _speed(sc: Scorer, data, set1, tmp: Path) -> None:
    """Speed with the prior: finger-count set2 in time order, padded to 640x480, through the live loop."""
    from ...model import checkpoint
    from .. import replay

    ctx, figures = sc.ctx, sc.figures
    ck1 = checkpoint.write(tmp / "fc.pt", set1.model)
    order = sorted((s for s in data.samples if s.session == "set2"), key=lambda s: (s.label, s.index))
    frames, _ = replay.build([("all", order[:: ctx.pick(1, 3, 9)])])
    clip = replay.write_video((replay.pad(f) for f in frames), tmp / "fc.mp4")
    summary, _ = replay_live(ctx, ck1, clip, None, tmp, "fc")
    st = summary["stages_ms"]
    figures.append(Figure("prior", "640x480 replay with the prior, processing per frame (p50)",
                          summary["ms_per_frame"]["p50"], "ms",
                          detail=f"{summary['frames']} finger-count set2 frames in time order, padded to 640x480; "
                                 "hand tracking in video mode (palm detection only when the hand is lost); "
                                 + ", ".join(f"{k} {v['p50']:.2f}" for k, v in st.items()) + " ms p50"))


def _people(sc: Scorer):
    """hagrid-people: people and rooms never seen; idle hands."""
    from .. import peer, protocols

    ctx, python, figures, scored = sc.ctx, sc.python, sc.figures, sc.scored
    root = ctx.datasets
    hdata, hpcfg, _, hcfg = protocols.load(root / "hagrid-people", ctx.train_config(), step=ctx.pick(1, 1, 2))
    names = defaultdict(list)
    for s in hdata.samples:
        names[s.label].append(s.path.name)
    second = {label: set(sorted(v)[len(v) // 2:]) for label, v in names.items()}

    def test(s):
        return s.path.name in second[s.label]

    # The shipped idle hands include hagrid-people's: leave them out where hagrid-people is scored.
    r = protocols.holdout("people", hdata, test, replace(hcfg, idle_exclude=("hagrid-people",)), hpcfg,
                          ctx.progress, keep_model=True)
    hpeer = peer.extract(hdata.samples, python) if python else None
    pr = peer.holdout(hdata.samples, hpeer, hdata.labels, hdata.none_label, test) if hpeer else None
    alone = scored("hagrid-people, people never seen (19 classes)", r, pr.accuracy if pr else None, None,
                   f"{r.train_frames} training images, {r.test_frames} test images of other people")
    if pr is not None:  # ">= the peer" is the target
        figures.append(Figure("prior", "gesture / peer accuracy, hagrid-people people never seen",
                              r.accuracy / pr.accuracy if pr.accuracy else float("inf"), "x",
                              target=ctx.target(1.0), better="higher"))
    none = hdata.none_label
    idle = _no_gesture_as_gesture(r.metrics, none)
    figures.append(Figure("prior", "idle hands read as a gesture: hagrid-people no_gesture, people never seen",
                          idle, "", target=ctx.target(0.05),
                          detail=f"{r.metrics['per_class'][none]['support']} test images; whole-frame network "
                                 f"alone {_no_gesture_as_gesture(alone, none):.1%}"))
    if pr is not None:
        truth = np.array([s.label == none for s in hdata.samples if test(s)])
        figures.append(Figure("prior", "peer: idle hands read as a gesture, hagrid-people", float(
            (pr.pred[truth] != hdata.labels.index(none)).mean()), "", compare=idle))

    return hdata, hpcfg, hcfg


def _no_class(sc: Scorer, hdata, hpcfg, hcfg, tmp: Path) -> None:
    """drone-gestures no_class as a replay, with a hagrid-people model trained on all of it."""
    from ...data.dataset import scan
    from ...learn.evaluate import evaluate_samples
    from ...model import checkpoint
    from ...model.livefile import from_checkpoint
    from .. import protocols, replay

    ctx, figures = sc.ctx, sc.figures
    root, none = ctx.datasets, hdata.none_label
    _, hck = protocols.train_on(hdata, list(range(len(hdata.samples))), hcfg, hpcfg, ctx.progress)
    ckh = checkpoint.write(tmp / "hagrid.pt", hck)
    idle_samples = sorted((s for s in scan(root / "drone-gestures").samples if s.label == "no_class"),
                          key=lambda s: s.path.name)[:: ctx.pick(1, 3, 9)]
    m = evaluate_samples(from_checkpoint(hck), idle_samples, {"no_class": none}, progress=False)
    frames, _ = replay.build([("no_class", idle_samples)])
    keys = tmp / "keys.toml"
    gestures = [g for g in hdata.labels if g != none]
    keys.write_text(tap_map(gestures))
    summary, events = replay_live(ctx, ckh, replay.write_video(frames, tmp / "idle.mp4"), keys, tmp, "idle")
    presses = sum(e["event"] in ("tap", "press") for e in events)
    figures.append(Figure("prior", "drone-gestures no_class frames read as a hagrid gesture", 1 - m["accuracy"],
                          "", detail=f"{m['frames']} unordered frames of people 1-3 m away raising a hand in shapes "
                                     f"outside that set's commands (thumbs-up, open palms, pointing: mostly hagrid "
                                     f"gestures); a model trained on all of hagrid-people; hand found in "
                                     f"{m['hand_found']:.1%}"))
    figures.append(Figure("prior", "key presses per 1000 frames, drone-gestures no_class replay",
                          presses * 1000 / max(1, summary["frames"]), "per 1000",
                          detail=f"{presses} presses in {summary['frames']} frames through the live loop "
                                 f"(dry run, a key for each of the 18 hagrid gestures)"))
