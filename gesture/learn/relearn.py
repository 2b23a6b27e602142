"""Relearn from corrections: the running model, fine-tuned on the whole data folder in seconds.

`gesture run` starts this as a separate, lower-priority process after a correction
(learner.py), so the live loop keeps its frame rate and its own memory; the process
prints one JSON line per step and a last line with the result.

    hands      the prior's landmarks for every frame: cached per session, so only the
               correction's new frames are looked at
    head       the landmark head fine-tuned from its running weights (HEAD_STEPS fixed
               steps) on every hand; the correction sessions (data.dataset.CORRECTION_PREFIX)
               are drawn as often as the rest of their class together, or a few dozen
               frames would hardly count
    network    the whole-frame network judges only frames with no hand, so it is
               fine-tuned (a few fixed steps from its running weights) only where it
               misjudges such a frame of a correction
    save       atomically, as the next model version; the one it replaces is kept

Fixed steps, never a time budget: the same correction gives the same model on any machine.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from ..data.dataset import CORRECTION_PREFIX
from ..errors import first_line
from ..model.livefile import version_of

NETWORK_STEPS = 60  # fine-tuning the whole-frame network from its running weights
NETWORK_LR = 1e-3  # a tenth of training's: move the weights, do not start over
HEAD_STEPS = 500  # the landmark head, from its running weights (training's 1,500 start from nothing)
HEAD_LR = 1e-3


def relearn(ckpt_path: Path, data: Path, say=print) -> dict:
    """Fine-tune the checkpoint at ckpt_path on data; write it back as the next version."""
    from ..model import checkpoint

    t0 = time.monotonic()
    ck = checkpoint.load(ckpt_path)
    samples = _known_samples(ck, data, say)
    seed = int(ck.meta.get("train", {}).get("seed", 0))
    y = np.array([ck.labels.index(s.label) for s in samples])
    boost = np.array([s.session.startswith(CORRECTION_PREFIX) for s in samples])
    result = {"frames": len(samples), "corrected_frames": int(boost.sum()), "network": "unchanged"}
    lap = Laps()
    head, found = ck.head, np.zeros(len(samples), bool)
    if ck.head is not None:
        head, found = _relearn_head(ck, str(ckpt_path), samples, y, boost, seed, say, lap)
    model = _relearn_network(ck, samples, y, boost, found, seed, say, result)
    lap("network")
    meta = dict(ck.meta)
    version = version_of(meta) + 1
    meta["version"] = version
    meta["relearned"] = {"from_version": version - 1, "data": str(data), "frames": len(samples),
                         "corrected_frames": int(boost.sum()), "network": result["network"],
                         "created": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    say("learning: saving")
    checkpoint.keep_previous(ckpt_path)
    checkpoint.save(ckpt_path, model, ck.labels, ck.none_label, ck.preprocess, meta, head, ck.prior)
    lap("save")
    result.update(version=version, seconds=round(time.monotonic() - t0, 2), stages=lap.stages)
    return result


class Laps:
    """Seconds per stage of a relearning, for its report."""

    def __init__(self):
        self.stages, self.mark = {}, time.monotonic()

    def __call__(self, name: str) -> None:
        now = time.monotonic()
        self.stages[name] = round(now - self.mark, 2)
        self.mark = now


def _known_samples(ck, data: Path, say) -> list:
    """The data folder's frames of the labels this model knows (a new label needs `gesture train`)."""
    from ..data.dataset import scan
    from ..errors import GestureError

    ds = scan(data, ck.none_label)
    known = set(ck.labels)
    samples = [s for s in ds.samples if s.label in known]
    skipped = sorted({s.label for s in ds.samples} - known)
    if skipped:
        say(f"left out labels this model does not know: {', '.join(skipped)} (train again to add them)")
    if not samples:
        raise GestureError(f"no frames of this model's labels in {data}")
    return samples


def _relearn_head(ck, where: str, samples, y, boost, seed: int, say, lap) -> tuple[dict, np.ndarray]:
    """The landmark head fine-tuned from its running weights on every hand, put together as
    training put it together (handset.py): (its state, which frames had one)."""
    from .. import prior
    from ..config import TrainConfig
    from ..model.head import HeadConfig, fit_head
    from . import landmarks
    from .handset import assemble

    prior.check(ck.prior, where)
    say("learning: finding hands")
    hands = landmarks.find(samples, progress=False)
    found = hands.found
    none = ck.labels.index(ck.none_label) if ck.none_label is not None else None
    hs = assemble(hands.points[found], y[found], [s.session for s, f in zip(samples, found) if f],
                  [s.index for s, f in zip(samples, found) if f], ck.labels, none,
                  TrainConfig.from_dict(ck.meta.get("train", {})), boost[found])
    lap("load and hands")
    say("learning: the landmark head")
    hcfg = replace(HeadConfig(**ck.head.get("config", {})), steps=HEAD_STEPS, lr=HEAD_LR, seed=seed)
    head = fit_head(hs.points, hs.y, len(ck.labels), hcfg, boost=hs.boost, init=ck.head, none=none,
                    sessions=hs.sessions, index=hs.index).state
    lap("head")
    return head, found


def _relearn_network(ck, samples, y, boost, found, seed: int, say, result: dict):
    """The whole-frame network, fine-tuned only where it misjudges a corrected frame with no hand."""
    import torch

    from ..config import TrainConfig
    from ..data.dataset import load_frames

    # The settings it was trained with (batch, label smoothing, weight decay), at its own size.
    tcfg = replace(TrainConfig.from_dict(ck.meta.get("train", {})), seed=seed, size=ck.preprocess.size)
    frames, keep = None, np.arange(len(samples))
    if ck.head is None or (boost & ~found).any():
        frames, bad = load_frames(samples, ck.preprocess, tcfg.margin, progress=False)
        keep = np.setdiff1d(keep, bad)
    if frames is None or not _network_wrong(ck, frames, y[keep], (boost & ~found)[keep]):
        return ck.model
    say("learning: the whole-frame network")
    result["network"] = f"fine-tuned {NETWORK_STEPS} steps"
    return _fine_tune(ck, frames, y[keep], boost[keep], tcfg, torch)


def _network_wrong(ck, frames, y, mask) -> bool:
    """Does the whole-frame network misjudge any corrected frame it decides (one with no hand)?"""
    if ck.head is None:
        return True  # a --from-scratch model: the network decides everything
    if not mask.any():
        return False
    from ..model.livefile import from_checkpoint
    from ..model.recognizer import Recognizer
    from ..preprocess import centres

    rec = Recognizer(from_checkpoint(ck), "the checkpoint", video=False)
    return bool((rec.stills(centres(frames[mask], ck.preprocess.size)).argmax(1) != y[mask]).any())


def _fine_tune(ck, frames, y, boost, tcfg, torch):
    """A few fixed steps of the whole-frame network from its running weights, class-balanced,
    the corrections drawn as often as the rest of their class."""
    from ..model.head import sampling_weights
    from .augment import AugmentConfig
    from .fit_net import step

    pcfg = ck.preprocess
    weight = sampling_weights(y, len(ck.labels), boost)
    rng = np.random.default_rng(tcfg.seed)
    gen = torch.Generator().manual_seed(tcfg.seed)
    model = ck.model
    opt = torch.optim.AdamW(model.parameters(), lr=NETWORK_LR, weight_decay=tcfg.weight_decay)
    saved = ck.meta.get("augment") or {}
    aug = AugmentConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in saved.items()})
    frames_t, y_t = torch.from_numpy(frames), torch.from_numpy(y)
    model.train()
    for _ in range(NETWORK_STEPS):
        b = torch.from_numpy(rng.choice(len(y), tcfg.batch_size, p=weight))
        step(model, opt, frames_t[b], y_t[b], tcfg, aug, pcfg, gen)
    return model.eval()


def _lower_priority() -> None:
    """Leave the live loop its core: a nicer process, on every core but the first, one thread."""
    try:
        os.nice(10)
    except OSError:
        pass
    if hasattr(os, "sched_setaffinity"):
        mine = sorted(os.sched_getaffinity(0))
        if len(mine) > 1:
            os.sched_setaffinity(0, mine[1:])
    os.environ["OMP_NUM_THREADS"] = "1"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m gesture.learn.relearn", description=__doc__.splitlines()[0])
    p.add_argument("checkpoint", type=Path)
    p.add_argument("data", type=Path)
    args = p.parse_args(argv)
    _lower_priority()
    # A terminate from the live loop (quitting while this runs) unwinds like Ctrl-C would, so
    # checkpoint.save's cleanup runs and no half-written file is left behind.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    def say(status: str) -> None:
        print(json.dumps({"status": status}), flush=True)

    import torch

    from ..errors import GestureError

    torch.set_num_threads(1)
    try:
        result = relearn(args.checkpoint, args.data, say)
    except GestureError as e:
        print(json.dumps({"ok": False, "error": str(e)}), flush=True)
        return 2
    except Exception as e:  # anything else: the live loop shows one line and keeps its model
        print(json.dumps({"ok": False, "error": f"{type(e).__name__}: {first_line(e, None)}"}),
              flush=True)
        return 1
    print(json.dumps({"ok": True, **result}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
