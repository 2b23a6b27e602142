"""`gesture train`: a few hundred frames per gesture become a model in about a minute on a CPU.

    load_data      decode every frame once (with a margin for augmentation), check the classes (frames.py)
    fit            the whole-frame network (fit_net.py); the landmark head on the hands (fit_landmark_head)
    train          load_data + fit + checkpoint + reports, as the CLI runs it
"""
from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np

from .. import prior
from ..config import PRIOR_SIZE, ModelConfig, TrainConfig, cores
from ..data.dataset import Sample, fingerprint
from ..data.splits import validation_split
from ..errors import GestureError
from ..model import checkpoint, livefile
from ..model.framenet import export
from ..model.head import HeadConfig, LandmarkHead, fit_head
from ..model.recognizer import Recognizer
from ..preprocess import centres
from ..prior import idle, others
from . import landmarks, reports
from .fit_net import fit
from .frames import Data, load_data, scan_data
from .handset import HandSet, assemble


def train(cfg: TrainConfig, log=print, progress: bool = True) -> dict:
    """The whole `gesture train`: data, split, fit, checkpoint and reports. Returns the metrics."""
    _check_settings(cfg)
    ident = prior.identity() if cfg.prior else None  # a damaged prior file fails now, in one line
    ds = scan_data(cfg, log)
    cfg, pcfg, hands = plan(cfg, ds.samples, log, progress)
    t0 = time.monotonic()
    data = load_data(cfg, pcfg, ds.samples, ds.none_label, log=log, progress=progress, hands=hands)
    split = validation_split(data.samples, cfg.val_fraction, cfg.seed)
    _announce(cfg, data, split, time.monotonic() - t0, log)
    res = fit(data, split.train, split.val, cfg, pcfg, progress=progress)
    head, hands = fit_landmark_head(data, split.train, cfg)
    helped = hands.borrowed if hands is not None else []
    if hands is not None and hands.note():
        log(hands.note())
    ck = checkpoint.Checkpoint(res.model, data.labels, data.none_label, pcfg, {}, head.state if head else None,
                               ident, export(res.model))
    probs = validation_probs(ck, data, split.val)
    m = _metrics(data, split, probs, res, ident)
    # With no head, the live loop has no hand to ask about (hand=None): only the level counts.
    found = data.hands.found[split.val] if data.hands is not None and head is not None else None
    m["rest"] = reports.rest_share(probs, data.y[split.val].numpy(), found, data.labels, _none(data))
    ck.meta = _meta(cfg, res, m, data, head, helped)
    previous = checkpoint.keep_previous(cfg.out)
    out = checkpoint.write(cfg.out, ck)
    write_reports(out.parent, m)
    _conclude(out, m, res, split, log)
    if previous:
        note = checkpoint.compare(previous, m["accuracy"], ck.meta["metrics"]["split"])
        if note:
            log(note)
    m["interrupted"] = res.interrupted
    return m


def _check_settings(cfg: TrainConfig) -> None:
    """The settings and the output, checked before a minute is spent on the data."""
    try:
        for size in {cfg.size or ModelConfig.size, cfg.size or PRIOR_SIZE}:
            replace(cfg, size=size).preprocess()
            ModelConfig(num_classes=2, size=size, width=cfg.width)
    except ValueError as e:
        raise GestureError(str(e)) from None
    checkpoint.check_writable(cfg.out)


def _announce(cfg: TrainConfig, data: Data, split, decode_s: float, log) -> None:
    log(f"{len(data.samples)} frames, {len(data.labels)} classes: " + ", ".join(
        f"{k} {v}" for k, v in sorted(Counter(s.label for s in data.samples).items()))
        + f" (decoded in {decode_s:.1f} s)")
    log("validation (never random frames: neighbours are near-duplicates):")
    for note in split.notes:
        log(f"  {note}")
    log(f"the whole-frame network: {cfg.size} px, up to {cfg.epochs_for(len(split.train))} epochs"
        + ("" if cfg.epochs else f" ({cfg.steps} steps, planned from the data)")
        + f", stopping early after {cfg.patience} epochs without a better validation accuracy in the second half"
        + ("; it decides the frames where no hand is found" if cfg.prior else ""))


def _metrics(data: Data, split, probs: np.ndarray, res, ident: dict | None) -> dict:
    m = reports.metrics(data.y[split.val].numpy(), probs.argmax(1), data.labels)
    m.update({
        "split": "validation: " + "; ".join(split.notes), "validated": split.honest,
        "best_epoch": res.best_epoch, "epochs_run": len(res.history), "planned_epochs": res.planned,
        "stopped": res.stopped, "cut_short": res.cut_short,
        "train_seconds": round(res.seconds, 1), "train_frames": len(split.train), "val_frames": len(split.val),
        "history": res.history, "prior": ident["name"] if ident else None,
        "hand_found": round(float(data.hands.found.mean()), 4) if data.hands is not None else None,
    })
    return m


def _meta(cfg: TrainConfig, res, m: dict, data: Data, head, helped: list[str]) -> dict:
    """What the checkpoint records of how it was made."""
    return {
        "train": cfg.to_dict(),
        "augment": res.augment.to_dict(),
        "metrics": {k: m[k] for k in ("accuracy", "per_class", "confusion", "labels", "split", "validated",
                                      "best_epoch", "cut_short")},
        "data": {"root": str(cfg.data), "frames": len(data.samples), "fingerprint": fingerprint(data.samples)},
        "idle": idle.identity(cfg.idle_exclude) if head is not None and cfg.idle and data.none_label else None,
        "others": {"hands": others.identity(), "labels": helped} if helped else None,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def _none(data: Data) -> int | None:
    return data.labels.index(data.none_label) if data.none_label is not None else None


def _conclude(out: Path, m: dict, res, split, log) -> None:
    log(f"\nvalidation accuracy {m['accuracy']:.3f} {split.honest}")
    log(f"  best at epoch {res.best_epoch} of {len(res.history)} ({res.stopped}; {res.seconds:.0f} s training)")
    if res.cut_short:
        log(f"WARNING: {res.stopped}. This model is weaker than this data gives: without --time-budget the "
            f"same {res.planned} epochs run on any machine "
            f"(here about {res.seconds / len(res.history) * res.planned:.0f} s).")
    log(reports.summary_table(m))
    warning = reports.rest_warning(m.get("rest"))
    if warning:
        log(warning)
    log(f"saved {out}" + (" (the best weights so far: training was interrupted)" if res.interrupted else "")
        + f"; reports in {out.parent}/: metrics.json, confusion.png, curves.png")


def plan(cfg: TrainConfig, samples: list[Sample], log=print, progress: bool = True):
    """The hands first (the prior reads the files), then the settings they call for: how many
    frames show a hand sizes the whole-frame network (TrainConfig.planned). Returns the
    planned TrainConfig, its PreprocessConfig, and the hands (None without the prior)."""
    hands = find_hands(samples, cfg, log, progress) if cfg.prior else None
    cfg = cfg.planned(float(hands.found.mean()) if hands is not None else None)
    return cfg, cfg.preprocess(), hands


def find_hands(samples: list[Sample], cfg: TrainConfig, log=print, progress: bool = True) -> landmarks.Landmarks:
    """Every frame's hand through the prior, once (cached like the decoded frames)."""
    t = time.monotonic()
    lms = landmarks.find(samples, cache=cfg.cache, progress=progress)
    log(f"hand prior ({prior.NAME}): a hand in {lms.found.mean():.0%} of the frames "
        f"({time.monotonic() - t:.1f} s); the landmark head learns from those, the network from every frame")
    return lms


def fit_landmark_head(data: Data, train_idx: list[int], cfg: TrainConfig) -> tuple[LandmarkHead | None,
                                                                                    HandSet | None]:
    """The head on the training side's frames where the prior found a hand, and the hands it
    learned from (handset.py); (None, None) without the prior or a single hand. It needs no
    validation split: its steps are fixed."""
    if data.hands is None:
        return None, None
    idx = np.array([i for i in train_idx if data.hands.found[i]], np.int64)
    if len(idx) == 0:
        return None, None
    none = _none(data)
    hands = assemble(data.hands.points[idx], data.y.numpy()[idx], [data.samples[i].session for i in idx],
                     [data.samples[i].index for i in idx], data.labels, none, cfg)
    hcfg = HeadConfig(seed=cfg.seed)
    if cfg.head_steps is not None:
        hcfg = replace(hcfg, steps=cfg.head_steps)
    return fit_head(hands.points, hands.y, len(data.labels), hcfg, none=none, sessions=hands.sessions,
                    index=hands.index), hands


def validation_probs(ck: checkpoint.Checkpoint, data: Data, idx: list[int]) -> np.ndarray:
    """What the live loop would say on the validation frames: the recogniser's stills entry on
    the stored centres, each with the hand the prior found in it."""
    frames = centres(data.frames[idx].numpy(), ck.preprocess.size)
    rec = Recognizer(livefile.from_checkpoint(ck), "the model in training", video=False, threads=cores())
    if data.hands is None:
        return rec.stills(frames)
    return rec.stills(frames, data.hands.points[idx], data.hands.found[idx])


def write_reports(folder: Path, m: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "metrics.json").write_text(json.dumps(m, indent=2) + "\n")
    cv2.imwrite(str(folder / "confusion.png"), reports.confusion_image(m))
    cv2.imwrite(str(folder / "curves.png"), reports.curves_image(m.get("history", [])))
