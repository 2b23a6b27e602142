"""`gesture bench --only starter`: the shipped starter gestures on people never seen.

As tools/build_starter.py measures it: the classes kept on development folds of the first
half of hagrid-people's people, the head trained on that half (the shipped idle hands that
came from hagrid-people left out), scored on the second half. The shipped model itself is
trained on everyone, so it is not scored on hagrid-people here.
"""
from __future__ import annotations

from ...config import cores
from ..common import Context, Figure, have_datasets


def figures(ctx: Context) -> list[Figure]:
    if not have_datasets(ctx, "starter", ("hagrid-people",)):
        return []
    from ...tools import build_starter as b

    data, _, _, _ = b.load(ctx.datasets)
    names = b.people(data)
    keep = b.choose(data, names, lambda *a: None)
    first, second = b.part(data, names, 0, 0.5), b.part(data, names, 0.5, 1.01)
    m = b.score(data, b.fit(data, first, keep, True), second, keep)
    kept = [g for g in keep if g != b.NONE]
    dropped = sorted(set(names) - set(keep))
    detail = (f"{m['images']} images of the second half of hagrid-people's people, {len(kept)} gestures kept "
              f"({', '.join(kept)}; dropped on the development folds: {', '.join(dropped)}); {cores()} cores")
    return _own(ctx) + [
        Figure("starter", "starter gestures, people never seen", m["accuracy"], "", better="higher",
               target=ctx.target(0.90), detail=detail),
        Figure("starter", "starter: idle hands read as a gesture, people never seen", m["idle_as_gesture"], "",
               target=ctx.target(0.05), detail=f"{m['idle_images']} no_gesture images of the same people"),
    ]


# asl-frames shapes that carry HaGRID names: V is a peace sign, Y thumb and little finger
# (call), A a fist, B a flat hand with the fingers together (stop).
AS_HAGRID = {"V": "peace", "Y": "call", "A": "fist", "B": "stop", "nothing": "no_gesture"}
FEW = (3, 6, 12)  # frames of each gesture in a first, short recording
SHOWN = 6  # the figure's; the others are in its detail


def _own(ctx: Context) -> list[Figure]:
    """A user's own few frames of gestures with HaGRID names, with and without other people's
    hands of those names (prior/others.py). asl-frames is one person the starter never saw:
    the first few frames of each gesture (every third, from index 0 on) to train on, the
    frames of the same video from index 1000 to 2000 to score. The landmark head alone; a
    frame where the prior finds no hand reads as no_gesture, as the starter's network says."""
    if not have_datasets(ctx, "starter", ("asl-frames",)):
        return []
    from dataclasses import replace

    import numpy as np

    from ...learn.train import fit_landmark_head
    from ...model.recognizer import join
    from .. import protocols

    # quick: every third frame of the set, and only the figure's number of frames
    data, _, _, cfg = protocols.load(ctx.datasets / "asl-frames", ctx.train_config(), labels=list(AS_HAGRID),
                                     step=ctx.pick(1, 3, 9))
    data = replace(data, labels=[AS_HAGRID[g] for g in data.labels], none_label="no_gesture")
    y, none = data.y.numpy(), data.labels.index("no_gesture")
    test = [i for i, s in enumerate(data.samples) if 1000 < s.index <= 2000]
    out = {}
    for n in (SHOWN,) if ctx.quick else FEW:
        train = []
        for c in range(len(data.labels)):
            first = sorted((i for i, s in enumerate(data.samples) if y[i] == c and s.index <= 1000),
                           key=lambda i: data.samples[i].index)
            train += first[:3 * n:3]
        for helped in (False, True):
            head, _ = fit_landmark_head(data, train, replace(cfg, others=helped))
            always_none = np.tile(np.eye(len(data.labels), dtype=np.float32)[none], (len(test), 1))
            pred = join(always_none, head, data.hands.points[test], data.hands.found[test]).argmax(1)
            out[n, helped] = float(np.mean(pred == y[test]))
    curve = "; ".join(f"{n} frames: {out[n, True]:.3f} with, {out[n, False]:.3f} alone" for n, _ in out if _)
    detail = (f"asl-frames A, B, V, Y and nothing as fist, stop, peace, call and no_gesture, one person the starter "
              f"never saw: the first {SHOWN} frames of each to train on, {len(test)} later frames of the same videos "
              f"to score; the landmark head; {curve}")
    return [
        Figure("starter", "a few own frames, with other people's hands of the same names", out[SHOWN, True], "",
               better="higher", detail=detail),
        Figure("starter", "a few own frames, alone", out[SHOWN, False], "", better="higher",
               detail="the same frames and split, without the shipped hands"),
    ]
