"""The inference model: the one file `gesture run`, `eval`, `--write-keys` and `autostart` read.

Beside every checkpoint `gesture.pt` (the training state: the torch weights and how they
were trained, as nanoGPT keeps `ckpt.pt`), training writes `gesture.live.npz`: the fused
network's ONNX graph (checked against the weights when it was exported), the labels, the
preprocessing settings, the landmark head and the prior's identity, and the sha256 of the
checkpoint file it was made from. It is read with NumPy, `allow_pickle=False`: data only,
never code, and no torch: `pip install gesture-keys` runs models without it.

recognizer.read_model is the one loader: where the file is missing, damaged or made from
another version of the checkpoint, it is made again from the checkpoint (which needs torch,
the `[train]` extra) and that is said in one line; without torch, one line says what to install.
"""
from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import GestureError
from ..preprocess import PreprocessConfig
from ..util import atomic_write

VERSION = 2  # 2: the model's version and data folder, for corrections in `gesture run`


@dataclass
class LiveModel:
    """The parts of a Checkpoint that inference reads: what recognizer.Recognizer runs."""
    labels: list[str]
    none_label: str | None
    preprocess: PreprocessConfig
    head: dict | None
    prior: dict | None
    onnx: bytes
    meta: dict  # the checkpoint's model version and data folder (Checkpoint.meta holds more)


def version_of(meta: dict) -> int:
    """A checkpoint's model version: 1 as trained, one more after each relearning."""
    return int(meta.get("version", 1))


def path_for(ckpt: Path | str) -> Path:
    ckpt = Path(ckpt)
    return ckpt.with_name(ckpt.stem + ".live.npz")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_npz(path: Path, arrays: dict) -> None:
    """What np.savez_compressed writes, but with a fixed date in the zip: the same arrays give the
    same bytes (idle.py's shipped file is rebuilt byte for byte). np.load reads it as usual."""
    with zipfile.ZipFile(path, "w") as z:
        for name, arr in arrays.items():
            buf = io.BytesIO()
            np.save(buf, arr)
            z.writestr(zipfile.ZipInfo(f"{name}.npy", (1980, 1, 1, 0, 0, 0)), buf.getvalue(), zipfile.ZIP_DEFLATED)


def from_checkpoint(ck) -> LiveModel:
    """A checkpoint.Checkpoint in memory as the inference model (its graph exported when it was saved
    or loaded): training validates through it, so validation measures what `gesture run` runs."""
    graph = ck.onnx
    if graph is None:  # a checkpoint saved before checkpoints carried their graph, or built in memory
        from .framenet import export

        graph = export(ck.model)
    head = None if ck.head is None else dict(ck.head)  # LandmarkHead reads lists and arrays alike
    model = {"version": ck.meta.get("version", 1), "data": {"root": ck.meta.get("data", {}).get("root")},
             "starter": bool(ck.meta.get("starter"))}
    return LiveModel(list(ck.labels), ck.none_label, ck.preprocess, head, ck.prior, graph, model)


def write(ckpt_path: Path, ck) -> Path:
    """Beside a saved checkpoint; atomically, like the checkpoint itself."""
    out = path_for(ckpt_path)
    head = None if ck.head is None else {k: np.asarray(v).tolist() if hasattr(v, "shape") else v
                                         for k, v in ck.head.items()}
    meta = {"version": VERSION, "checkpoint_sha256": _sha256(Path(ckpt_path)), "labels": ck.labels,
            "none_label": ck.none_label, "preprocess": ck.preprocess.to_dict(), "head": head, "prior": ck.prior,
            "model": from_checkpoint(ck).meta}
    graph = ck.onnx if ck.onnx is not None else from_checkpoint(ck).onnx
    return atomic_write(out, lambda tmp: write_npz(tmp, {"graph": np.frombuffer(graph, np.uint8),
                                                          "meta": np.frombuffer(json.dumps(meta).encode(), np.uint8)}))


def load(ckpt_path: Path | str) -> tuple[LiveModel | None, str]:
    """(the live model, "") when the file beside the checkpoint matches it, else (None, why not)."""
    ckpt_path = Path(ckpt_path)
    if not ckpt_path.is_file():
        raise GestureError(f"no checkpoint at {ckpt_path}; train one with `gesture train --out {ckpt_path}`")
    path = path_for(ckpt_path)
    if not path.is_file():
        return None, f"no {path.name} beside it (made by an older gesture, or copied alone)"
    try:
        with np.load(path, allow_pickle=False) as z:
            graph, meta = z["graph"].tobytes(), json.loads(z["meta"].tobytes())
        if not isinstance(meta, dict):
            raise ValueError("its settings are not a table")
    except Exception as e:  # OSError, ValueError, KeyError, BadZipFile, zlib.error: damage of any kind
        return None, f"{path.name} is unreadable ({type(e).__name__})"
    if meta.get("version") != VERSION or meta.get("checkpoint_sha256") != _sha256(ckpt_path):
        return None, f"{path.name} was made from another version of {ckpt_path.name}"
    try:
        head = meta["head"]
        if head is not None:
            from .head import check

            check(head, str(ckpt_path))  # the checkpoint beside it says the same: no torch fallback would help
            head = {k: np.asarray(v, np.float32) if isinstance(v, list) else v for k, v in head.items()}
        return LiveModel(list(meta["labels"]), meta["none_label"], PreprocessConfig.from_dict(meta["preprocess"]),
                         head, meta["prior"], graph, meta.get("model", {})), ""
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        return None, f"{path.name} is damaged ({type(e).__name__}: {e})"
