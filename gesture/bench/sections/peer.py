"""`gesture bench --only peer`: the landmark peer (MediaPipe lite + MLP) on the same frames, its speed
beside gesture's."""
from __future__ import annotations

import statistics
import time
from pathlib import Path

import cv2
import numpy as np
import torch

from ...config import ModelConfig, cores
from ...errors import GestureError
from ...preprocess import PreprocessConfig
from ..common import (
    SPLITS,
    Context,
    Figure,
    frame_net,
    have_datasets,
)


def gesture_ms(frames: list, pcfg) -> float:
    """gesture's time per frame as the live loop spends it without a hand: preprocess + the network in
    ONNX Runtime, one thread."""
    from ...preprocess import preprocess

    net = frame_net(pcfg.size)
    times = []
    for f in frames[:20]:  # warm-up
        net.probs(preprocess(f, pcfg))
    for f in frames:
        t = time.perf_counter()
        net.probs(preprocess(f, pcfg))
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


def _webcam_frame(img: np.ndarray) -> np.ndarray:
    """A square dataset frame as a 640x480 webcam frame: scaled to 480x480, padded at the sides."""
    return cv2.copyMakeBorder(cv2.resize(img, (480, 480)), 0, 0, 80, 80, cv2.BORDER_REPLICATE)


def figures(ctx: Context) -> list[Figure]:
    """The landmark peer (MediaPipe lite + MLP) on the same frames and splits, beside gesture."""
    from .. import peer

    python = peer.peer_python()
    if python is None:
        ctx.log(f"[peer] skipped: no {peer.PEER_VENV.name} (make it with scripts/peer-setup)")
        return []
    if not have_datasets(ctx, "peer"):
        return []
    try:
        return _peer_figures(ctx, python)
    except GestureError as e:  # a broken peer must not take every other figure with it
        ctx.log(f"[peer] skipped: {e}")
        return []


SPLIT_SETS = ("asl-frames", "sign-digits")


def _peer_figures(ctx: Context, python: Path) -> list[Figure]:
    step = ctx.pick(1, 3, 9)  # quick: every third frame of each dataset (smoke: ninth)
    pcfg = PreprocessConfig(size=ModelConfig.size)  # gesture's timing: the whole-frame network at its full size
    landmarks, peer_ms, ours_ms, found = _stills(ctx, python, step, pcfg)
    live_ms, g_live, n_clip = _tracking(python, landmarks["asl-frames"], step, pcfg)
    results, mlp_ms = _holdouts(ctx, landmarks)
    quick = f"quick: 1 frame in {step}, one block fold; " if ctx.quick else ""
    mlp = statistics.median(mlp_ms)
    p_ms, g_ms = statistics.median(peer_ms) + mlp, statistics.median(ours_ms)
    mach = f"{cores()} cores, torch {torch.__version__}, {landmarks['asl-frames'][1].version}"
    figures = [
        Figure("peer", "peer (MediaPipe lite + MLP), ms per frame", p_ms, "ms", compare=g_ms,
               detail=f"{quick}median over every frame of asl-frames (200x200) and sign-digits (100x100) as still "
                      f"images; MediaPipe's own threads; MLP {mlp:.3f} ms; gesture: preprocess + "
                      f"fused model on the first 200 of those frames of each set, 1 thread as in the live loop; "
                      f"{mach}"),
        Figure("peer", "whole-frame network alone: speed-up over the peer (peer ms / gesture ms)", p_ms / g_ms, "x",
               better="higher", detail=f"{p_ms:.2f} ms against {g_ms:.2f} ms per frame"),
        Figure("peer", "peer tracking a hand in video, 640x480, ms per frame", live_ms + mlp, "ms",
               compare=g_live, detail=f"{quick}MediaPipe lite in video mode on {n_clip} asl-frames frames, each "
                                      f"gesture's in time order, scaled to 480x480 and padded to 640x480; gesture: "
                                      f"preprocess + fused model on the same frames, 1 thread"),
        Figure("peer", "whole-frame network alone: speed-up over the tracking peer", (live_ms + mlp) / g_live, "x",
               better="higher", detail=f"{live_ms + mlp:.2f} ms against {g_live:.2f} ms per frame "
                                       "(gesture without a hand: preprocess + the network in ONNX Runtime)"),
    ]
    return figures + _accuracy(ctx, results, landmarks, quick) + [
        Figure("peer", f"peer: frames of {name} showing a hand where none was found", 1 - f, "",
               detail=f"{quick}{n} frames with a hand; MediaPipe lite, min detection confidence 0.5"
                      + ("" if on_empty is None else f"; it found a 'hand' in {on_empty:.1%} of the no-gesture frames"))
        for name, (f, n, on_empty) in found.items()]


def _stills(ctx: Context, python: Path, step: int, pcfg):
    """MediaPipe on every (step-th) frame of each set as a still image, and gesture's time on them."""
    from ...data.dataset import scan
    from ...data.images import read_image
    from ...util import progress_bar
    from .. import peer

    landmarks, peer_ms, ours_ms, found = {}, [], [], {}
    for name in SPLIT_SETS:
        ds = scan(ctx.datasets / name)
        samples = ds.samples[::step]
        with progress_bar(total=len(samples), desc=f"MediaPipe on {name}", unit="frame",
                          disable=not ctx.progress) as bar:
            lm = peer.extract(samples, python, complexity=0, progress=bar)
        landmarks[name] = (samples, lm, sorted({s.label for s in samples}), ds.none_label)
        peer_ms += list(lm.ms)
        ours_ms.append(gesture_ms([read_image(s.path) for s in samples[:200]], pcfg))
        hands = np.array([s.label != ds.none_label for s in samples])
        found[name] = (float(lm.found[hands].mean()), int(hands.sum()),
                       float(lm.found[~hands].mean()) if (~hands).any() else None)
        ctx.log(f"[peer] {name}: {lm.version} found a hand in {found[name][0]:.1%} of {hands.sum()} frames that show "
                f"one, {statistics.median(lm.ms):.1f} ms median")
    return landmarks, peer_ms, ours_ms, found


def _tracking(python: Path, asl, step: int, pcfg) -> tuple[float, float, int]:
    """Live, the peer tracks the hand from frame to frame and runs palm detection only when it
    loses it, which is much cheaper than still images: time that too, at a webcam's size."""
    from ...data.images import read_image
    from .. import peer

    samples, _, _, none = asl
    by_label = {}
    for s in sorted(samples, key=lambda s: (s.label, s.index)):
        if s.label != none:
            by_label.setdefault(s.label, []).append(s)
    clip = [_webcam_frame(read_image(s.path)) for group in by_label.values() for s in group[:50 // step]]
    with peer.LandmarkWorker(python, complexity=0, video=True) as w:
        live_ms = statistics.median([w.landmarks(f)[1] for f in clip])
    return live_ms, gesture_ms(clip, pcfg), len(clip)


def _splits(ctx: Context) -> dict:
    from .. import protocols

    return {"block": ("asl-frames", [protocols.asl_block(k) for k in range(1 if ctx.quick else 5)]),
            "late": ("asl-frames", [protocols.asl_late]),
            "digits": ("sign-digits", [protocols.digits_person])}


def _holdouts(ctx: Context, landmarks: dict) -> tuple[dict, list[float]]:
    """The peer's MLP on the same splits as the train section: (accuracy, no hand, frames, per fold) by split."""
    from .. import peer

    mlp_ms, results = [], {}
    for key, (name, tests) in _splits(ctx).items():
        samples, lm, labels, none_label = landmarks[name]
        rs = [peer.holdout(samples, lm, labels, none_label, t) for t in tests]
        mlp_ms += [r.mlp_ms for r in rs]
        results[key] = (statistics.mean(r.accuracy for r in rs), statistics.mean(r.no_hand for r in rs),
                        sum(r.test_frames for r in rs), [r.accuracy for r in rs])
    return results, mlp_ms


def _accuracy(ctx: Context, results: dict, landmarks: dict, quick: str) -> list[Figure]:
    figures = []
    splits = _splits(ctx)
    for key, (acc, no_hand, n, per) in results.items():
        name = splits[key][0]
        ours = ctx.accuracy.get(key)
        folds = f"; per fold {', '.join(f'{a:.3f}' for a in per)}" if len(per) > 1 else ""
        none_label = landmarks[name][3]
        counted = ("no-gesture frames included; every frame without a hand is predicted as the no-gesture class"
                   if none_label else "each counted as wrong: this data set has no no-gesture class")
        figures.append(Figure("peer", "peer: " + SPLITS[key], acc, "", compare=ours,
                              detail=f"{quick}{n} test frames; MediaPipe found no hand in {no_hand:.1%} of them "
                                     f"({counted}){folds}"))
        if ours is not None:
            figures.append(Figure("peer", f"gesture / peer accuracy, {key} split", ours / acc if acc else float("inf"),
                                  "x", target=ctx.target(1.0), better="higher",
                                  detail=f"gesture {ours:.3f}, peer {acc:.3f}"))
        else:
            ctx.log(f"[peer] no gesture figure for the {key} split to compare with: run the train section too")
    return figures
