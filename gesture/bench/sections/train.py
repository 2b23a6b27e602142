"""`gesture bench --only train`: accuracy on asl-frames' block and late splits and sign-digits' people split."""
from __future__ import annotations

import statistics

from ...config import cores
from ..common import (
    SPLITS,
    Context,
    Figure,
    have_datasets,
)


def figures(ctx: Context) -> list[Figure]:
    """The accuracy targets on real data, each split as its README prescribes, trained as `gesture train` does."""
    from .. import protocols

    if not have_datasets(ctx, "train"):
        return []
    root = ctx.datasets
    mach = f"{cores()} cores, no GPU"
    every = ctx.pick(1, 1, 4)  # smoke: 1 frame in 4 of each set
    data, pcfg, decode_s, cfg = protocols.load(root / "asl-frames", ctx.train_config(), step=every)
    ctx.log(f"[train] asl-frames: {len(data.samples)} frames decoded and their hands found in {decode_s:.1f} s; "
            f"training at {cfg.size}px, width {cfg.width}, {cfg.epochs or f'{cfg.steps} steps'} per split")
    folds = []
    for k in range(1 if ctx.quick else 5):
        r = protocols.holdout(f"block fold {k}", data, protocols.asl_block(k), cfg, pcfg, ctx.progress,
                              keep_model=k == 0)
        ctx.log(f"  block fold {k}: {r.accuracy:.3f} on {r.test_frames} held-out frames, {r.train_seconds:.0f} s, "
                f"{r.epochs} epochs")
        if k == 0:  # the live-loop replays use this model on this fold's held-out frames
            ctx.fold0 = (data, pcfg, r.model)
            r.model = None
        folds.append(r)
    late = protocols.holdout("late", data, protocols.asl_late, cfg, pcfg, ctx.progress)
    ctx.log(f"  late: {late.accuracy:.3f} on {late.test_frames} frames, {late.train_seconds:.0f} s")
    ddata, dpcfg, _, dcfg = protocols.load(root / "sign-digits", ctx.train_config(), step=every)
    digits = protocols.holdout("person", ddata, protocols.digits_person, dcfg, dpcfg, ctx.progress)
    ctx.log(f"  digits: {digits.accuracy:.3f} on {digits.test_frames} frames, {digits.train_seconds:.0f} s")
    block = statistics.mean(r.accuracy for r in folds)
    ctx.accuracy.update({"block": block, "late": late.accuracy, "digits": digits.accuracy})
    per_fold = ", ".join(f"{r.accuracy:.3f}" for r in folds)
    quick = (f"quick: {cfg.epochs} epochs per split, fold 0 only"
             + (f"; 1 frame in {every}" if every > 1 else "") + "; " if ctx.quick else "")
    return [
        Figure("train", SPLITS["block"], block, "", target=ctx.target(0.97), better="higher",
               detail=f"{quick}folds {per_fold}; block = index // 300, fold k tests block % 5 == k; {mach}"),
        Figure("train", "asl-frames block split, slowest fold's training", max(r.train_seconds for r in folds), "s",
               detail=f"wall time of the training loop per fold ({', '.join(f'{r.train_seconds:.0f}' for r in folds)} "
                      f"s); decoding all frames once took {decode_s:.1f} s"),
        Figure("train", SPLITS["late"], late.accuracy, "", target=ctx.target(0.93), better="higher",
               detail=f"{quick}train index <= 2000 ({late.train_frames} frames), test > 2000 ({late.test_frames})"),
        Figure("train", SPLITS["digits"], digits.accuracy, "", target=ctx.target(0.97), better="higher",
               detail=f"{quick}train file numbers < 4800 ({digits.train_frames} frames), test >= 4800 "
                      f"({digits.test_frames}), {digits.train_seconds:.0f} s training"),
    ]
