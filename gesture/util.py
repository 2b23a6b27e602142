"""Small pieces the whole package shares, each written once: writing a file whole or not at
all, an ONNX Runtime session, softmax, and whether there is a display to talk to."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np


def atomic_write(path: Path | str, write, fsync: bool = False) -> Path:
    """Write `path` whole or not at all: `write(tmp)` fills a hidden file beside it, which then
    replaces `path` in one step. A failure leaves the old file as it was, and no temporary."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        write(tmp)
        if fsync:  # on disk before the rename, so a power cut cannot leave an empty file behind
            with open(tmp, "rb+") as f:
                os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


TRAIN_EXTRA = "pip install 'gesture-keys[train]'"  # torch (and onnx, to export its graph): training only


def have(module: str) -> bool:
    """Whether a module can be imported, without importing it (torch takes a second)."""
    import importlib.util

    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a parent package missing, or a module blocked in sys.modules
        return False


def ort_session(model: bytes | str, threads: int):
    """An ONNX Runtime session on the CPU, `threads` for its operators and quiet unless it fails."""
    import onnxruntime as ort  # imported on first use: the caller says what to install when it is missing

    opts = ort.SessionOptions()
    opts.intra_op_num_threads, opts.inter_op_num_threads = threads, 1
    opts.log_severity_level = 3
    # With more than one thread, ONNX Runtime's workers spin for a while after each run, waiting
    # for the next: between two camera frames that is a core burnt for nothing.
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(model, opts, providers=["CPUExecutionProvider"])


def progress_bar(iterable=None, **kw):
    """tqdm on a terminal; into a log file or a pipe, a plain line per update at most every
    30 s (tqdm's carriage returns there pile up into one line thousands of characters long)."""
    from tqdm import tqdm

    if sys.stderr.isatty():
        return tqdm(iterable, file=sys.stderr, **kw)
    return tqdm(iterable, file=_Lines(sys.stderr), mininterval=30, ascii=True, **kw)


class _Lines:
    """What tqdm writes, one update a line."""

    def __init__(self, out):
        self.out = out

    def write(self, text: str) -> None:
        text = text.replace("\r", "").strip()
        if text:
            self.out.write(text + "\n")

    def flush(self) -> None:
        self.out.flush()


def softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise softmax of logits (N, classes)."""
    z = np.exp(z - z.max(1, keepdims=True))
    return z / z.sum(1, keepdims=True)


def x_display() -> bool:
    """Whether an X display is named (DISPLAY): pynput, the focus watcher and the hotkeys need one on Linux."""
    return bool(os.environ.get("DISPLAY"))


def pynput_backend() -> str | None:
    """The keyboard backend pynput was told to use, if any (uinput and dummy need no display)."""
    return os.environ.get("PYNPUT_BACKEND_KEYBOARD") or os.environ.get("PYNPUT_BACKEND")


def on_linux() -> bool:
    return sys.platform.startswith("linux")
