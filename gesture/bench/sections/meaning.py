"""`gesture bench --only meaning`: does a gesture keep what it means, whichever way it points?

An index finger pointing up, right, down or left is one shape turned four ways; a user maps
them to arrows, slides and volume. There is no such recording in ../shared/datasets, so
pointing.py makes one from real pixels: sign-digits `1` (one raised index finger, about 130
people) turned by 0/90/180/270 degrees, and each turn mirrored (a right hand becomes a left
one and left and right swap). In the same run, beside the landmark peer:

    pointing, people never seen   train on file numbers < 4800, score the rest (other people)
    flipped, the other way        test frames whose mirrored copy reads as the mirrored
                                  direction while the frame itself reads right
    pointing, one person          asl-frames `L` (index up, thumb out) turned the same way,
                                  block split fold 0: one person, light that changes

The hand prior never saw these sets (MediaPipe's models were trained on Google's own images).
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from ...config import cores
from ..common import Context, Figure, have_datasets


def _flip_pairs(samples, pred: np.ndarray, labels: list[str]) -> tuple[int, int]:
    """(pairs where the frame reads right and its mirrored copy reads as the mirrored direction, pairs)."""
    from ..pointing import MIRRORED, mirror_of

    at = {(s.label, s.session, s.path.stem): i for i, s in enumerate(samples)}
    good = total = 0
    for i, s in enumerate(samples):
        j = at.get(mirror_of(s))
        if j is None:
            continue
        total += 1
        good += (bool(labels[pred[i]] == s.label and labels[pred[j]] == MIRRORED[s.label])
                 if min(pred[i], pred[j]) >= 0 else 0)
    return good, total


def figures(ctx: Context) -> list[Figure]:
    from ...learn.evaluate import predict_samples
    from ...model.livefile import from_checkpoint
    from .. import peer, pointing, protocols

    if not have_datasets(ctx, "meaning", ("sign-digits", "asl-frames")):
        return []
    python = peer.peer_python()
    if python is None:
        ctx.log(f"[meaning] the peer is skipped: no {peer.PEER_VENV.name} (make it with scripts/peer-setup)")
    mach = f"{cores()} cores, no GPU"
    quick = f"quick: {ctx.train_config().epochs} epochs; " if ctx.quick else ""
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory() as tmp:
        protocols_ = [("people never seen", ("sign-digits/1",), pointing.is_test,
                       "sign-digits `1` of file numbers < 4800 trains, the other people test"),
                      ("one person, block split", ("asl-frames/L",), lambda s: int(s.session[1:]) % 5 == 0,
                       "asl-frames `L`, block = index // 300, blocks % 5 == 0 test")]
        for name, sets, test, split in protocols_[:1] if ctx.quick else protocols_:  # quick: the people split
            root = Path(tmp) / name.split()[0]
            pointing.build(ctx.datasets, root, sets, every=ctx.pick(1, 1, 4))
            data, pcfg, _, cfg = protocols.load(root, ctx.train_config())  # whole: a mirrored pair needs both
            r = protocols.holdout(name, data, test, cfg, pcfg, ctx.progress, keep_model=True)
            kept, probs, _, _ = predict_samples(from_checkpoint(r.model), r.test_samples, "the checkpoint", False)
            good, pairs = _flip_pairs(kept, probs.argmax(1), data.labels)
            detail = (f"{quick}{split}; up/right/down/left by turning the photographs, each also mirrored; "
                      f"{r.train_frames} training frames, {r.test_frames} test frames; hand found in "
                      f"{r.hand_found:.1%} of them; {mach}")
            figures.append(Figure("meaning", f"pointing direction, {name}", r.accuracy, "",
                                  target=ctx.target(0.95), better="higher", detail=detail))
            figures.append(Figure("meaning", f"a frame and its mirror read as opposite directions, {name}",
                                  good / max(1, pairs), "", better="higher",
                                  detail=f"{good} of {pairs} test frames and their mirrored copies"))
            ctx.log(f"[meaning] pointing, {name}: {r.accuracy:.3f}; mirrored pairs {good}/{pairs}")
            if python is not None:
                lm = peer.extract(data.samples, python)
                pr = peer.holdout(data.samples, lm, data.labels, data.none_label, test)
                figures.append(Figure("meaning", f"peer: pointing direction, {name}", pr.accuracy, "",
                                      compare=r.accuracy, detail="MediaPipe lite + MLP on the same frames"))
                pgood, _ = _flip_pairs([s for s in data.samples if test(s)], pr.pred, data.labels)
                figures.append(Figure("meaning", f"peer: a frame and its mirror read as opposite directions, {name}",
                                      pgood / max(1, pairs), "", compare=good / max(1, pairs)))
                ctx.log(f"[meaning] peer: {pr.accuracy:.3f}; mirrored pairs {pgood}/{pairs}")
    return figures
