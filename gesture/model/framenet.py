"""The whole-frame network at inference, in ONNX Runtime.

Eager PyTorch spends most of a batch-1 forward pass of this small network on per-layer
overhead; the same fused graph in ONNX Runtime on one thread runs about ten times faster
(`gesture bench --only model`). So every checkpoint carries the fused network as an ONNX
graph, exported when it is saved, with the hash of the weights it came from: a graph that
does not match its weights is refused. Inference never needs torch.

    export          fused torch network -> ONNX bytes (at save time)
    weights_hash    what ties a graph to its weights
    FrameNet        a graph on standardised NCHW float32 batches -> class probabilities
"""
from __future__ import annotations

import hashlib
import io
import warnings

import numpy as np

from ..errors import GestureError
from ..util import ort_session, softmax

INPUT, OUTPUT = "input", "logits"
OPSET = 17


def weights_hash(state_dict: dict) -> str:
    h = hashlib.sha256()
    for k in sorted(state_dict):
        v = state_dict[k]
        h.update(k.encode())
        h.update(v.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()


def export(model) -> bytes:
    """The fused network as ONNX, with a dynamic batch."""
    import torch

    from .net import fuse

    net = fuse(model).eval()
    x = torch.zeros(1, 3, model.cfg.size, model.cfg.size)
    buf = io.BytesIO()
    with warnings.catch_warnings():
        # The TorchScript exporter needs only `onnx` (the newer one needs onnxscript too); it
        # is deprecated, not gone, in torch 2.13.
        warnings.simplefilter("ignore")
        torch.onnx.export(net, (x,), buf, input_names=[INPUT], output_names=[OUTPUT], opset_version=OPSET,
                          dynamic_axes={INPUT: {0: "batch"}, OUTPUT: {0: "batch"}}, dynamo=False)
    return buf.getvalue()


class DamagedGraph(GestureError):
    """A graph ONNX Runtime cannot parse: recognizer.load makes the model file again from the checkpoint."""


class FrameNet:
    """The network's ONNX graph on standardised (N, 3, S, S) float32 arrays -> (N, classes) probabilities."""

    def __init__(self, graph: bytes, threads: int = 1):
        try:
            self._session = ort_session(graph, threads)
        except Exception as e:  # ONNX Runtime's own error types for a graph that does not parse
            raise DamagedGraph(f"the model's network graph is damaged ({type(e).__name__}); train it "
                               "again, or copy back the checkpoint kept as .prev.pt") from None

    def probs(self, x: np.ndarray) -> np.ndarray:
        return softmax(self._session.run(None, {INPUT: x})[0])


def check(onnx: bytes | None, stored: str | None, state_dict: dict, where: str) -> None:
    """Refuse a graph whose weights are not the checkpoint's (a file edited or stitched together)."""
    if onnx is None:
        return
    if stored is None or stored != weights_hash(state_dict):
        raise GestureError(f"{where}: its ONNX graph does not match its weights (the file was altered); "
                           "train it again, or resave it with `gesture train`")
