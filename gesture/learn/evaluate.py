"""`gesture eval`: a model's metrics on any data folder, through the live loop's recogniser (its stills entry)."""
from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import numpy as np

from ..config import cores
from ..data.dataset import Sample, load_frames, scan
from ..errors import GestureError
from ..model.livefile import LiveModel
from ..model.recognizer import Recognizer, read_model
from . import landmarks, reports


def predict_samples(model: LiveModel, samples: list[Sample], where: str = "the checkpoint",
                    progress: bool = True) -> tuple[list[Sample], np.ndarray, np.ndarray, list[int]]:
    """The recogniser's probabilities for still frames: (readable samples, probs, hand found, unreadable indices)."""
    rec = Recognizer(model, where, video=False, threads=cores())  # a checkpoint of another prior: refused at once
    frames, bad = load_frames(samples, model.preprocess, 0, cache=False, progress=progress)
    skipped = set(bad)
    kept = [s for i, s in enumerate(samples) if i not in skipped]
    hands = landmarks.find(kept, progress=progress) if rec.head is not None else None
    found = hands.found if hands is not None else np.zeros(len(kept), bool)
    probs = rec.stills(frames, None if hands is None else hands.points, found)
    return kept, probs, found, bad


def evaluate_samples(model: LiveModel, samples: list[Sample], label_map: dict[str, str],
                     progress: bool = True, where: str = "the checkpoint") -> dict:
    """Metrics for samples whose label maps to a checkpoint label; the others are reported, not dropped."""
    kept, probs, found, bad = predict_samples(model, samples, where, progress)
    pred = probs.argmax(1)
    known = [i for i, s in enumerate(kept) if s.label in label_map]
    index = {name: i for i, name in enumerate(model.labels)}
    m = reports.metrics([index[label_map[kept[i].label]] for i in known], pred[known], model.labels)
    unknown: dict[str, dict] = {}
    for i, s in enumerate(kept):
        if s.label not in label_map:
            u = unknown.setdefault(s.label, {"frames": 0, "predicted": Counter()})
            u["frames"] += 1
            u["predicted"][model.labels[pred[i]]] += 1
    for u in unknown.values():
        u["predicted"] = dict(u["predicted"].most_common())
    m["unknown_labels"] = unknown
    m["unreadable"] = [samples[i].path.as_posix() for i in bad]
    m["hand_found"] = round(float(found.mean()), 4) if model.head is not None and len(found) else None
    none = index.get(model.none_label)
    y = np.array([index[label_map[kept[i].label]] for i in known], np.int64)
    hands = found[known] if model.head is not None else None  # no head: the live loop has no hand to ask about
    m["rest"] = reports.rest_share(probs[known], y, hands, model.labels, none)
    return m


def match_labels(data_labels: list[str], data_none: str | None, model: LiveModel) -> tuple[dict, list[str]]:
    """Data label -> checkpoint label, by name; the no-gesture class matches whatever each side calls it."""
    mapping, notes = {}, []
    for label in data_labels:
        if label in model.labels:
            mapping[label] = label
        elif label == data_none and model.none_label:
            mapping[label] = model.none_label
            notes.append(f"{label!r} in the data is the checkpoint's no-gesture class {model.none_label!r}")
    return mapping, notes


def eval_folder(ckpt_path: Path | str, data_dir: Path | str, progress: bool = True) -> dict:
    model = read_model(ckpt_path, lambda line: print(line, file=sys.stderr))
    ds = scan(data_dir)
    mapping, notes = match_labels(ds.labels, ds.none_label, model)
    if not mapping:
        raise GestureError(f"none of the labels in {data_dir} ({', '.join(ds.labels) or 'no labels'}) is one the "
                           f"checkpoint knows ({', '.join(model.labels)}); labels are matched by folder name")
    m = evaluate_samples(model, ds.samples, mapping, progress, where=str(ckpt_path))
    m.update({"checkpoint": str(ckpt_path), "data": str(data_dir), "notes": notes})
    return m


def format_eval(m: dict) -> str:
    # Lead with what was scored: an accuracy over the one label a folder shares with the model
    # (the starter on asl-frames: `nothing` alone) must not read as the folder's accuracy.
    scored = sorted(k for k, v in m["per_class"].items() if v.get("support"))
    unscored = m["unknown_labels"]
    head = (f"{m['data']} with {m['checkpoint']}: accuracy {m['accuracy']:.3f} on {m['frames']} frames of "
            f"{len(scored)} label(s) ({', '.join(scored)})")
    if unscored:
        head += (f"; {sum(u['frames'] for u in unscored.values())} frames of {len(unscored)} label(s) the "
                 f"checkpoint does not know were not scored ({', '.join(unscored)})")
    lines = [head, "", reports.summary_table(m)]
    if m.get("hand_found") is not None:
        lines.append(f"the hand prior found a hand in {m['hand_found']:.1%} of the frames; the whole-frame "
                     "network judged the rest")
    lines += [f"note: {n}" for n in m["notes"]]
    warning = reports.rest_warning(m.get("rest"))
    if warning:
        lines.append(warning)
    for label, u in m["unknown_labels"].items():
        shown = ", ".join(f"{k} {v}" for k, v in u["predicted"].items())
        lines.append(f"not in the checkpoint, not scored: {label!r} ({u['frames']} frames), predicted as: {shown}")
    if m["unreadable"]:
        lines.append(f"skipped {len(m['unreadable'])} unreadable image(s), e.g. {m['unreadable'][0]}")
    return "\n".join(lines)
