"""The peer in the benchmark: MediaPipe hand landmarks plus a small MLP, as most open-source
gesture-control apps do it.

The landmarks come from `peer_worker.py`, run with .venv-peer's Python (`scripts/peer-setup`
makes it: mediapipe==0.10.21 carries its hand models, so it works offline, but it pins
numpy<2 and its own OpenCV). Frames go in over a pipe, 21 x (x, y, z) come back.

The classifier follows the common recipe (e.g. kinivi/hand-gesture-recognition-mediapipe):
the 21 (x, y) points relative to the wrist, scaled by their largest absolute value, into
Dropout 0.2, Linear 42->20, ReLU, Dropout 0.4, Linear 20->10, ReLU, Linear 10->classes.
It trains here, in the project's own process, on the same training side as `gesture`,
with the same session/time-block validation split choosing the epoch. A frame where no
hand is found is predicted as the no-gesture class.
"""
from __future__ import annotations

import struct
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..data.dataset import Sample
from ..data.images import read_image
from ..data.splits import validation_split
from ..errors import GestureError
from ..paths import PEER_VENV

WORKER = Path(__file__).with_name("peer_worker.py")
MLP_EPOCHS = 400


def peer_python(venv: Path = PEER_VENV) -> Path | None:
    """.venv-peer's Python, if scripts/peer-setup finished there (it writes its stamp last)."""
    py = venv / "bin" / "python"
    return py if py.exists() and (venv / ".gesture-peer-setup").exists() else None


class LandmarkWorker:
    """A running peer_worker.py: `landmarks(frame)` -> (found, ms, 63 floats)."""

    def __init__(self, python: Path, complexity: int = 0, video: bool = False):
        self._err = tempfile.TemporaryFile()
        args = [str(python), str(WORKER), "--complexity", str(complexity)] + (["--video"] if video else [])
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._err)
        try:
            n = self._read(4)
            self.version = self._read(struct.unpack("<I", n)[0]).decode()
        except BaseException:
            self.close()
            raise

    def _stopped(self) -> GestureError:
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # alive but not answering: it is no use either way
            self.proc.kill()
        self._err.seek(0)
        tail = self._err.read().decode(errors="replace").strip().splitlines()[-1:]
        return GestureError(f"the MediaPipe worker stopped ({tail[0] if tail else 'no message'}); "
                            "re-create .venv-peer with scripts/peer-setup")

    def _read(self, n: int) -> bytes:
        buf = self.proc.stdout.read(n)
        if len(buf) < n:
            raise self._stopped()
        return buf

    def landmarks(self, bgr: np.ndarray) -> tuple[bool, float, np.ndarray]:
        h, w = bgr.shape[:2]
        try:
            self.proc.stdin.write(struct.pack("<II", h, w) + np.ascontiguousarray(bgr, np.uint8).tobytes())
            self.proc.stdin.flush()
        except OSError:  # a broken pipe: the worker is gone; say why, from its own stderr
            raise self._stopped() from None
        found, ms = struct.unpack("<Bf", self._read(5))
        return bool(found), ms, np.frombuffer(self._read(63 * 4), np.float32).copy()

    def close(self) -> None:
        try:
            self.proc.stdin.write(struct.pack("<II", 0, 0))
            self.proc.stdin.close()
        except (OSError, ValueError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()
        self._err.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


@dataclass
class Landmarks:
    found: np.ndarray  # bool (N,)
    points: np.ndarray  # float32 (N, 63)
    ms: np.ndarray  # per-frame MediaPipe time
    version: str


def extract(samples: list[Sample], python: Path, complexity: int = 0, progress=None) -> Landmarks:
    """Landmarks of every sample's image, each frame as a still image (datasets are not videos)."""
    return extract_frames((read_image(s.path) for s in samples), python, complexity, progress)


def extract_frames(images, python: Path, complexity: int = 0, progress=None) -> Landmarks:
    """Landmarks of each image (None: unreadable, no hand), each as a still image."""
    found, points, ms = [], [], []
    with LandmarkWorker(python, complexity) as w:
        for img in images:
            f, t, p = w.landmarks(img) if img is not None else (False, 0.0, np.zeros(63, np.float32))
            found.append(f)
            points.append(p)
            ms.append(t)
            if progress is not None:
                progress.update(1)
        version = w.version
    return Landmarks(np.array(found, bool), np.stack(points) if points else np.zeros((0, 63), np.float32),
                     np.array(ms), version)


def features(points: np.ndarray) -> np.ndarray:
    """(N, 63) landmarks -> (N, 42): (x, y) relative to the wrist, scaled to at most 1."""
    xy = points.reshape(-1, 21, 3)[:, :, :2]
    rel = xy - xy[:, :1]
    flat = rel.reshape(len(points), 42)
    scale = np.abs(flat).max(1, keepdims=True)
    return (flat / np.maximum(scale, 1e-6)).astype(np.float32)


class PeerMLP(nn.Module):
    def __init__(self, classes: int):
        super().__init__()
        self.net = nn.Sequential(nn.Dropout(0.2), nn.Linear(42, 20), nn.ReLU(), nn.Dropout(0.4), nn.Linear(20, 10),
                                 nn.ReLU(), nn.Linear(10, classes))

    def forward(self, x):
        return self.net(x)


def fit_mlp(x: np.ndarray, y: np.ndarray, train: list[int], val: list[int], classes: int, seed: int = 0,
            epochs: int = MLP_EPOCHS) -> PeerMLP:
    """Adam on full batches; the weights of the best validation epoch are kept."""
    torch.manual_seed(seed)
    model = PeerMLP(classes)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    tr, va = torch.tensor(train), torch.tensor(val)
    best, best_state = -1.0, None
    for _ in range(epochs):
        model.train()
        for b in tr[torch.randperm(len(tr))].split(128):
            opt.zero_grad()
            F.cross_entropy(model(xt[b]), yt[b]).backward()
            opt.step()
        if len(va):
            model.eval()
            with torch.no_grad():
                acc = (model(xt[va]).argmax(1) == yt[va]).float().mean().item()
            if acc > best:
                best, best_state = acc, {k: v.clone() for k, v in model.state_dict().items()}
    if best_state is not None:
        model.load_state_dict(best_state)
    return model.eval()


@dataclass
class PeerResult:
    accuracy: float
    no_hand: float  # fraction of test frames where MediaPipe found no hand
    test_frames: int
    mlp_ms: float  # the MLP's time per frame, batch 1
    pred: np.ndarray | None = None  # per test frame: the class index predicted (-1: no hand, no no-gesture class)


def fit(samples: list[Sample], lm: Landmarks, labels: list[str], train_side: list[int], seed: int = 0) -> PeerMLP:
    """The MLP on the `train_side` frames with a hand, with the same session/time-block
    validation split as `gesture train` choosing the epoch."""
    index = {name: i for i, name in enumerate(labels)}
    y = np.array([index[s.label] for s in samples])
    side = [i for i in train_side if lm.found[i]]
    inner = validation_split([samples[i] for i in side], seed=seed)
    return fit_mlp(features(lm.points), y, [side[i] for i in inner.train], [side[i] for i in inner.val], len(labels),
                   seed)


def probs(model: PeerMLP, found: np.ndarray, points: np.ndarray, none: int | None) -> np.ndarray:
    """(N, classes) softmax of the MLP; a frame with no hand is all no-gesture (all zeros
    where the set has no such class), as the peer's apps treat it."""
    with torch.no_grad():
        p = torch.softmax(model(torch.from_numpy(features(points))), 1).numpy()
    empty = np.zeros(p.shape[1], p.dtype)
    if none is not None:
        empty[none] = 1
    return np.where(np.asarray(found, bool)[:, None], p, empty)


def holdout(samples: list[Sample], lm: Landmarks, labels: list[str], none_label: str | None,
            is_test, seed: int = 0) -> PeerResult:
    """Train the MLP on the frames `is_test` rejects (those with a hand), score the others."""
    index = {name: i for i, name in enumerate(labels)}
    y = np.array([index[s.label] for s in samples])
    x = features(lm.points)
    test_side = [i for i, s in enumerate(samples) if is_test(s)]
    model = fit(samples, lm, labels, [i for i, s in enumerate(samples) if not is_test(s)], seed)
    with torch.no_grad():
        pred = model(torch.from_numpy(x[test_side])).argmax(1).numpy()
    # No hand: the peer says "no gesture" (always wrong on a dataset without that class).
    miss = -1 if none_label is None else index[none_label]
    pred = np.where(lm.found[test_side], pred, miss)
    one = torch.from_numpy(x[:1])
    with torch.no_grad():
        t = time.perf_counter()
        for _ in range(200):
            model(one)
        mlp_ms = (time.perf_counter() - t) / 200 * 1000
    return PeerResult(float((pred == y[test_side]).mean()), float(1 - lm.found[test_side].mean()), len(test_side),
                      mlp_ms, pred)
