"""Checkpoints: the weights plus everything inference needs, written atomically, loaded safely.

The live loop rebuilds the model and its preprocessing from this file alone, so it can
never preprocess differently from training. Loading uses torch.load(weights_only=True):
a checkpoint is data and can never run code.
"""
from __future__ import annotations

import pickle
import shutil
from dataclasses import dataclass
from pathlib import Path

import torch

from ..config import ModelConfig
from ..errors import GestureError
from ..preprocess import PreprocessConfig
from ..util import atomic_write
from . import framenet, livefile
from .head import check as head_check
from .net import GestureNet

FORMAT = "gesture-checkpoint"
VERSION = 1


@dataclass
class Checkpoint:
    model: GestureNet  # eval mode, unfused (fuse() it for inference)
    labels: list[str]
    none_label: str | None
    preprocess: PreprocessConfig
    meta: dict  # training settings, metrics, data fingerprint
    head: dict | None = None  # the landmark head's arrays (head.LandmarkHead), when trained on the hand prior
    prior: dict | None = None  # which hand prior the head's landmarks came from (prior.identity())
    onnx: bytes | None = None  # the fused network as an ONNX graph (framenet.py), checked against the weights


def check_writable(path: Path | str) -> None:
    """Fail now, in one line, if a checkpoint cannot be written there (not after training), or
    if that would replace a file that is not one of ours. Nothing is created here."""
    path = Path(path)
    if path.is_dir():
        raise GestureError(f"--out {path} is a folder; give a file name such as {path / 'gesture.pt'}")
    if path.exists() and _raw(path) is None:
        raise GestureError(f"--out {path} exists and is not a gesture checkpoint (or is damaged); give another "
                           "file name, or move it away yourself: nothing was overwritten")
    folder = next(p for p in (path.parent, *path.parent.parents) if p.exists())
    try:
        if not folder.is_dir():
            raise NotADirectoryError(f"{folder} is a file")
        probe = folder / f".{path.name}.write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as e:
        raise GestureError(f"cannot write a checkpoint to {path}: {e.strerror or e}") from None


def _raw(path: Path) -> dict | None:
    """A checkpoint of ours as saved (any version), or None for anything else."""
    try:
        raw = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:  # torch raises many types for files that are not checkpoints
        return None
    return raw if isinstance(raw, dict) and raw.get("format") == FORMAT else None


def _validated(raw: dict | None) -> dict:
    metrics = (raw or {}).get("meta", {}).get("metrics", {})
    return {"accuracy": metrics.get("accuracy"), "split": metrics.get("split")}


def save(path: Path | str, model: GestureNet, labels: list[str], none_label: str | None,
         pcfg: PreprocessConfig, meta: dict, head: dict | None = None, prior: dict | None = None,
         graph: bytes | None = None) -> Path:
    """Write to a temporary file beside the target, then rename: a crash never leaves half a checkpoint.
    `graph`: the model's ONNX export where the caller has it already."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    graph = graph if graph is not None else framenet.export(model)
    payload = {
        "format": FORMAT, "version": VERSION,
        "model": model.cfg.to_dict(),
        "state_dict": {k: v.detach().clone() for k, v in model.state_dict().items()},
        "labels": list(labels),
        "none_label": none_label,
        "preprocess": pcfg.to_dict(),
        "meta": meta,
        # Arrays as tensors: weights_only loading takes tensors and plain data, never numpy objects.
        "head": None if head is None else {k: torch.as_tensor(v) if hasattr(v, "shape") else v
                                           for k, v in head.items()},
        "prior": prior,
        # The graph as bytes in a uint8 tensor (weights_only loads tensors), and what ties it to the weights.
        "onnx": torch.frombuffer(bytearray(graph), dtype=torch.uint8),
        "onnx_weights": framenet.weights_hash(model.state_dict()),
    }
    atomic_write(path, lambda tmp: torch.save(payload, tmp), fsync=True)
    # Beside it, what the live loop reads without torch (livefile.py): the graph and the settings.
    livefile.write(path, Checkpoint(model, list(labels), none_label, pcfg, meta, head, prior, graph))
    return path


def previous_path(path: Path) -> Path:
    return path.with_name(f"{path.stem}.prev{path.suffix}")


def keep_previous(path: Path | str) -> dict | None:
    """Keep the checkpoint about to be replaced as NAME.prev.pt; returns what the kept one
    validated at.

    A copy, not a rename: if the new save fails, the old file is still where the live loop
    looks for it. And never over a kept one that validated better on the same validation
    frames: after two worse retrains in a row, the good model is still there.
    """
    path = Path(path)
    raw = _raw(path) if path.is_file() else None
    if raw is None:
        return None  # nothing of ours to keep or compare
    prev = previous_path(path)
    mine, kept = _validated(raw), _validated(_raw(prev) if prev.is_file() else None)
    if kept["accuracy"] is not None and kept["split"] == mine["split"] and (
            mine["accuracy"] is None or kept["accuracy"] > mine["accuracy"] + 0.005):
        return {"path": prev, **kept, "replaced": mine["accuracy"]}
    for src, dst in ((path, prev), (livefile.path_for(path), livefile.path_for(prev))):
        if src.is_file():
            atomic_write(dst, lambda tmp, src=src: shutil.copy2(src, tmp))
    return {"path": prev, **mine, "replaced": mine["accuracy"]}


def compare(previous: dict, accuracy: float, split: str) -> str:
    """One line on the kept checkpoint, loud when the new one is worse on the same validation."""
    old, kept, replaced = previous["accuracy"], previous["path"], previous.get("replaced")
    how = f"copy it back, with {livefile.path_for(kept).name}, to use it"
    older = replaced != old  # a better model from before the one replaced was kept instead of it
    if old is not None and previous["split"] == split and accuracy < old - 0.005:
        return (f"WARNING: the new model validates at {accuracy:.3f}, below the {old:.3f} of the kept checkpoint on "
                f"the same validation frames; that one is at {kept} ({how})"
                + (f"; the one it replaced ({replaced:.3f}) was not kept" if older and replaced is not None else ""))
    if older:
        return (f"a better model from before, at {old:.3f} on the same validation frames, stays kept at {kept}; "
                "the one replaced was not kept")
    return f"the checkpoint it replaced is kept at {kept}"


def write(path: Path | str, ck: Checkpoint) -> Path:
    """save() for a Checkpoint already in memory (the benchmark's fold models)."""
    return save(path, ck.model, ck.labels, ck.none_label, ck.preprocess, ck.meta, ck.head, ck.prior, ck.onnx)


def _first_line(e: Exception) -> str:
    text = str(e).strip()
    return (text.splitlines()[0] if text else type(e).__name__)[:120]


def load(path: Path | str) -> Checkpoint:
    path = Path(path)
    if not path.is_file():
        raise GestureError(f"no checkpoint at {path}; train one with `gesture train --out {path}`")
    try:
        raw = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        # weights_only refuses anything that is not plain data: a pickled object may run code.
        raise GestureError(f"{path} holds more than weights and plain data and was not loaded "
                           f"({_first_line(e)})") from None
    except Exception as e:  # torch raises RuntimeError, EOFError, IndexError, ... for files that are not checkpoints
        raise GestureError(f"{path} is not a readable checkpoint (corrupt or truncated: {_first_line(e)})") from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise GestureError(f"{path} is not a gesture checkpoint (a foreign file); train one with `gesture train`")
    if raw.get("version") != VERSION:
        raise GestureError(f"{path} is checkpoint version {raw.get('version')}; this gesture reads version {VERSION}")
    try:
        cfg = ModelConfig.from_dict(raw["model"])
        model = GestureNet(cfg)
        model.load_state_dict(raw["state_dict"])
        pcfg = PreprocessConfig.from_dict(raw["preprocess"])
        labels = list(raw["labels"])
    except (KeyError, TypeError, ValueError, RuntimeError) as e:
        raise GestureError(f"{path} is a damaged gesture checkpoint ({_first_line(e)})") from None
    if len(labels) != cfg.num_classes:
        raise GestureError(f"{path} is a damaged gesture checkpoint "
                           f"({len(labels)} labels for {cfg.num_classes} outputs)")
    head = raw.get("head")
    if head is not None:
        head = {k: v.numpy() if isinstance(v, torch.Tensor) else v for k, v in head.items()}
        if head.get("w2") is None or head["w2"].shape[1] != len(labels):
            raise GestureError(f"{path} is a damaged gesture checkpoint (its landmark head does not match its labels)")
        head_check(head, str(path))
    graph = raw.get("onnx")
    graph = graph.numpy().tobytes() if isinstance(graph, torch.Tensor) else None
    framenet.check(graph, raw.get("onnx_weights"), model.state_dict(), str(path))
    return Checkpoint(model.eval(), labels, raw.get("none_label"), pcfg, raw.get("meta", {}), head, raw.get("prior"),
                      graph)
