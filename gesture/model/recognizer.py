"""Frames -> class probabilities: the one recogniser of `gesture run`, `eval`, training's
validation, relearning and the bench.

Two opinions, from a model trained on the hand prior:
- the landmark head, on the 21 landmarks the prior finds: it reads the hand's shape and
  ignores the room, the light and the sleeve, so it carries over to a new session;
- the whole-frame network, which still judges frames where no hand is found (dim,
  back-lit, a hand half out of view) and is the only opinion of a --from-scratch model.

`join` is the single rule that puts them together. `Recognizer` has two entries: a live
frame (`__call__`, the hand tracked between frames as in video) and a batch of stills
(`stills`, each frame's hand found on its own, as a data folder's photographs are). `load`
is the one way from a checkpoint path to a Recognizer.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import prior
from ..errors import GestureError
from ..preprocess import preprocess, to_input
from ..prior.features import hand_pixels
from ..util import TRAIN_EXTRA, have
from . import livefile
from .framenet import DamagedGraph, FrameNet
from .head import LandmarkHead

BATCH = 256  # stills per forward pass of the network


def join(p_net: np.ndarray, head: LandmarkHead | None, points: np.ndarray | None,
         found: np.ndarray | None) -> np.ndarray:
    """Where the prior found a hand, the head decides; elsewhere the whole-frame network."""
    if head is None or found is None or not found.any():
        return p_net
    out = p_net.copy()
    out[found] = head.probs(points[found])
    return out


@dataclass
class Reading:
    """What one frame says: the class probabilities, the hand they came from (None: the
    whole-frame network's), and the milliseconds of each half."""
    probs: np.ndarray
    hand: object | None
    hand_ms: float
    preprocess_ms: float
    infer_ms: float


class Recognizer:
    """A model's two opinions joined by `join`'s rule: the head where the prior finds a hand,
    else the whole-frame network. `video` tracks the hand between live frames. A relearned
    model is a new Recognizer."""

    def __init__(self, model: livefile.LiveModel, where: str, video: bool = True, threads: int = 1):
        self.live = model
        self.net = FrameNet(model.onnx, threads)  # GestureError for a graph that does not parse
        self.head = LandmarkHead(model.head) if model.head is not None else None
        if self.head is not None:
            prior.check(model.prior, where)
        # Made now, off the frame path: a relearned model is built on the learner's thread.
        self.tracker = prior.tracker(static=not video, threads=threads, wake=video) if self.head else None
        self.hand = None  # the last frame's Hand, for the overlay
        self._kept: tuple | None = None  # (the wake's look, the network's probabilities for its picture)

    def __call__(self, frame: np.ndarray) -> Reading:
        t0 = time.perf_counter()
        probs = self.hand_probs(frame)
        t1 = t2 = time.perf_counter()
        if probs is None:
            probs = self._unchanged()
        if probs is None:  # no hand: the frame as training saw it, through the network
            x = preprocess(frame, self.live.preprocess)
            t2 = time.perf_counter()
            probs = self.net.probs(x)[0]
            # Kept when this frame is the picture the wake compares the next ones with.
            wake = self.tracker.wake if self.tracker is not None else None
            self._kept = (wake.looks, probs) if wake is not None and self.tracker.detected else None
        t3 = time.perf_counter()
        return Reading(probs, self.hand, (t1 - t0) * 1000, (t2 - t1) * 1000, (t3 - t2) * 1000)

    def hand_probs(self, frame: np.ndarray) -> np.ndarray | None:
        """The head's probabilities for this frame, or None when no hand is found (or no head)."""
        if self.tracker is None:
            return None
        self.hand = self.tracker(frame)
        if self.hand is None:
            return None
        return self.head.probs(hand_pixels(self.hand, frame.shape)[None])[0]

    def _unchanged(self) -> np.ndarray | None:
        """The network's probabilities for the wake's last look while the picture is still that
        one (within the wake's level in every cell). A room nobody gestures in is most of the
        day, and there the network cost more than the rest of the loop together (preprocess and
        infer: 1.8 of 2.7 ms a frame). None: run the network."""
        if self._kept is None or not self.tracker.same_picture or self._kept[0] != self.tracker.wake.looks:
            return None
        return self._kept[1]

    def stills(self, frames: np.ndarray, points: np.ndarray | None = None,
               found: np.ndarray | None = None) -> np.ndarray:
        """(N, classes) probabilities for still frames: `frames` uint8 as preprocess.prepare makes
        them, `points`/`found` each frame's hand found on its own (learn/landmarks.find)."""
        cfg = self.live.preprocess
        out = [self.net.probs(to_input(frames[i:i + BATCH], cfg)) for i in range(0, len(frames), BATCH)]
        p_net = np.concatenate(out) if out else np.zeros((0, len(self.live.labels)), np.float32)
        return join(p_net, self.head, points, found)


def rebuild(ckpt_path: Path, why: str, log=print, graph_damaged: bool = False) -> livefile.LiveModel:
    """The inference model made again from the checkpoint (torch), and written beside it where it can be."""
    if not (have("torch") and have("onnx")):
        raise GestureError(f"{livefile.path_for(ckpt_path).name} beside {ckpt_path} cannot be used ({why}), and "
                           f"making it again from the checkpoint needs torch: {TRAIN_EXTRA}")
    from . import checkpoint  # torch: only here, and only where the model file must be made again
    from .framenet import export

    ck = checkpoint.load(ckpt_path)
    if ck.onnx is None or graph_damaged:  # saved before checkpoints carried a graph, or the graph will not run
        ck.onnx = export(ck.model)
    try:
        livefile.write(ckpt_path, ck)
        log(f"made {livefile.path_for(ckpt_path).name} again from {ckpt_path} ({why})")
    except OSError as e:  # a read-only folder: use it from memory this time
        log(f"made the model of {ckpt_path} again in memory ({why}; {livefile.path_for(ckpt_path).name} not "
            f"written: {e.strerror or e})")
    return livefile.from_checkpoint(ck)


def read_model(ckpt_path: Path | str, log=print) -> livefile.LiveModel:
    """The inference model of a checkpoint path: the file beside it, or made again from it. What
    run, eval, --write-keys and autostart read; `load` builds the Recognizer on it."""
    ckpt_path = Path(ckpt_path)
    live, why = livefile.load(ckpt_path)
    return live if live is not None else rebuild(ckpt_path, why, log)


def load(path: Path | str, log=print, video: bool = True, threads: int = 1) -> Recognizer:
    """The Recognizer of a checkpoint path (read_model), its model file made again from the
    checkpoint if its graph turns out damaged."""
    path = Path(path)
    model = read_model(path, log)
    try:
        return Recognizer(model, str(path), video, threads)
    except DamagedGraph:
        return Recognizer(rebuild(path, "its graph is damaged", log, graph_damaged=True), str(path), video, threads)
