"""`gesture bench --only model`: the network's latency, fused and not, beside its standard-conv twin
and in ONNX Runtime."""
from __future__ import annotations

from dataclasses import replace

import torch

from ...config import ModelConfig
from ...model.net import GestureNet, fuse
from ..common import (
    Context,
    Figure,
    frame_net,
    latency_ms,
    runtime_ms,
)


def figures(ctx: Context) -> list[Figure]:
    runs = ctx.pick(ctx.runs, min(ctx.runs, 50), min(ctx.runs, 20))
    cfg = ModelConfig()
    net = GestureNet(cfg)
    twin = GestureNet(replace(cfg, block="standard"))
    what = f"batch 1, {cfg.size}px, width {cfg.width}, median of {runs} runs, {torch.get_num_threads()} threads"
    fused_net, fused_twin = fuse(net), fuse(twin)
    unfused, fused = latency_ms(net, cfg.size, runs), latency_ms(fused_net, cfg.size, runs)
    twin_fused = latency_ms(fused_twin, cfg.size, runs)
    # At batch 1 per-layer overhead hides much of the MAC gap; a batch shows the arithmetic.
    batch_runs = max(5, runs // 10)
    b_net = latency_ms(fused_net, cfg.size, batch_runs, warmup=3, batch=32)
    b_twin = latency_ms(fused_twin, cfg.size, batch_runs, warmup=3, batch=32)
    bwhat = what.replace("batch 1", "batch 32").replace(f"{runs} runs", f"{batch_runs} runs")
    # What the live loop runs: the same fused graph exported to ONNX, in ONNX Runtime on one
    # thread, beside eager torch on one thread.
    # FrameNet (ONNX Runtime) and common.TorchNet each run on their own thread count.
    from ...live.session import INFER_THREADS

    ort_ms = runtime_ms(frame_net(cfg.size), cfg.size, runs)
    torch1_ms = runtime_ms(frame_net(cfg.size, backend="torch"), cfg.size, runs)
    owhat = f"batch 1, {cfg.size}px, median of {runs} runs, {INFER_THREADS} thread, as the live loop runs it"
    return [
        Figure("model", "default net, fused, ONNX Runtime (the live loop's)", ort_ms, "ms", detail=owhat),
        Figure("model", "default net, fused, torch, 1 thread", torch1_ms, "ms", detail=owhat),
        Figure("model", "ONNX Runtime speed-up over torch (1 thread each)", torch1_ms / ort_ms, "x", better="higher"),
        Figure("model", "default net, unfused", unfused, "ms", detail=what),
        Figure("model", "default net, fused", fused, "ms", detail=what),
        Figure("model", "standard-conv twin, fused", twin_fused, "ms", detail=what),
        Figure("model", "fusion speed-up (unfused / fused)", unfused / fused, "x", better="higher"),
        Figure("model", "separable speed-up at batch 1 (twin / default)", twin_fused / fused, "x", better="higher"),
        Figure("model", "default net, fused, batch 32", b_net, "ms", detail=bwhat),
        Figure("model", "standard-conv twin, fused, batch 32", b_twin, "ms", detail=bwhat),
        Figure("model", "separable speed-up at batch 32 (twin / default)", b_twin / b_net, "x", better="higher"),
    ]
