"""Metrics and pictures: accuracy, per-class precision/recall/F1, a confusion matrix and
training curves, drawn with OpenCV (no plotting dependency)."""
from __future__ import annotations

import cv2
import numpy as np

from ..config import REST_LEVEL

FONT = cv2.FONT_HERSHEY_SIMPLEX


def metrics(y_true, y_pred, labels: list[str]) -> dict:
    k = len(labels)
    y_true, y_pred = np.asarray(y_true, int), np.asarray(y_pred, int)
    conf = np.zeros((k, k), int)
    np.add.at(conf, (y_true, y_pred), 1)
    per_class = {}
    for i, name in enumerate(labels):
        tp = conf[i, i]
        prec = tp / conf[:, i].sum() if conf[:, i].sum() else 0.0
        rec = tp / conf[i].sum() if conf[i].sum() else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        per_class[name] = {"precision": round(float(prec), 4), "recall": round(float(rec), 4),
                           "f1": round(float(f1), 4), "support": int(conf[i].sum())}
    return {
        "accuracy": round(float(np.trace(conf) / max(1, conf.sum())), 4),
        "frames": int(conf.sum()),
        "labels": list(labels),
        "per_class": per_class,
        "confusion": conf.tolist(),  # rows: true label, columns: predicted
    }


RESTS_ENOUGH = 0.5  # below this share of no-gesture frames able to rest, the next gesture may wait long


def rest_share(probs: np.ndarray, y: np.ndarray, found: np.ndarray | None, labels: list[str],
               none: int | None) -> dict | None:
    """How often the no-gesture frames could count towards the live loop's rest (live/decide.py):
    no-gesture on top, and sure of it (REST_LEVEL) or with no hand in view. Frame by frame, where
    the live loop smooths: a figure to warn by, not the loop itself. None without such frames."""
    if none is None or not (y == none).any():
        return None
    p, top = probs[y == none], probs[y == none].argmax(1) == none
    handless = ~found[y == none] if found is not None else np.zeros(len(p), bool)
    can = top & ((p[:, none] >= REST_LEVEL) | handless)
    return {"label": labels[none], "share": round(float(can.mean()), 4), "frames": int(len(p)),
            "median": round(float(np.median(p[:, none])), 3), "level": REST_LEVEL}


def rest_warning(rest: dict | None) -> str | None:
    """One line when the no-gesture class rarely reaches a rest: every gesture after the first would
    wait for a rest that seldom comes, and nothing else would say why."""
    if rest is None or rest["share"] >= RESTS_ENOUGH:
        return None
    return (f"WARNING: the no-gesture class {rest['label']!r} reaches the level a rest needs ({rest['level']}, "
            f"or on top with no hand in view) on only {rest['share']:.0%} of its {rest['frames']} frames here (median "
            f"{rest['median']:.2f}): in `gesture run`, a gesture after the first may wait for a rest that seldom "
            "comes. Record more of your empty scene and resting hands, or set `require_rest = false` in the key map")


def summary_table(m: dict) -> str:
    lines = [f"  {'label':<14} {'precision':>9} {'recall':>7} {'f1':>6} {'frames':>7}"]
    for name, c in m["per_class"].items():
        lines.append(f"  {name:<14} {c['precision']:>9.3f} {c['recall']:>7.3f} {c['f1']:>6.3f} {c['support']:>7}")
    lines.append(f"  {'accuracy':<14} {m['accuracy']:>9.3f} {'':>7} {'':>6} {m['frames']:>7}")
    return "\n".join(lines)


def confusion_image(m: dict, title: str = "confusion (rows: true, columns: predicted)") -> np.ndarray:
    conf = np.asarray(m["confusion"], float)
    labels = m["labels"]
    k = len(labels)
    cell = max(36, min(70, 560 // max(1, k)))
    left, top = 120, 70
    img = np.full((top + k * cell + 20, left + k * cell + 20, 3), 255, np.uint8)
    rows = conf / np.maximum(conf.sum(1, keepdims=True), 1)
    for i in range(k):
        for j in range(k):
            v = rows[i, j]
            # white to blue for the diagonal, white to red off it: errors stand out
            color = ((255, int(255 * (1 - v)), int(255 * (1 - v))) if i == j
                     else (int(255 * (1 - v)), int(255 * (1 - v)), 255))
            x0, y0 = left + j * cell, top + i * cell
            cv2.rectangle(img, (x0, y0), (x0 + cell, y0 + cell), color, -1)
            cv2.rectangle(img, (x0, y0), (x0 + cell, y0 + cell), (200, 200, 200), 1)
            s = str(int(conf[i, j]))
            (tw, th), _ = cv2.getTextSize(s, FONT, 0.45, 1)
            cv2.putText(img, s, (x0 + (cell - tw) // 2, y0 + (cell + th) // 2), FONT, 0.45,
                        (255, 255, 255) if v > 0.6 else (0, 0, 0), 1, cv2.LINE_AA)
        cv2.putText(img, labels[i][:14], (6, top + i * cell + cell // 2 + 5), FONT, 0.45, (0, 0, 0), 1, cv2.LINE_AA)
        cv2.putText(img, labels[i][:7], (left + i * cell + 3, top - 8), FONT, 0.4, (0, 0, 0), 1, cv2.LINE_AA)
    cv2.putText(img, f"{title}  acc {m['accuracy']:.3f}", (6, 22), FONT, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
    return img


def curves_image(history: list[dict], size=(720, 360)) -> np.ndarray:
    """Train and validation loss (left axis) and validation accuracy (right axis) per epoch."""
    w, h = size
    img = np.full((h, w, 3), 255, np.uint8)
    left, right, top, bottom = 50, 50, 30, 40
    pw, ph = w - left - right, h - top - bottom
    cv2.rectangle(img, (left, top), (left + pw, top + ph), (0, 0, 0), 1)
    n = len(history)
    if n == 0:
        return img
    ep = np.array([r["epoch"] for r in history], float)

    def x_of(e):
        return left + (pw * (e - ep.min()) / max(1e-9, ep.max() - ep.min()) if n > 1 else pw / 2)

    losses = [r[k] for r in history for k in ("train_loss", "val_loss") if r.get(k) is not None]
    lmax = max(losses) * 1.05 if losses else 1.0
    series = [("train_loss", (200, 120, 0), lmax, "train loss"), ("val_loss", (0, 140, 255), lmax, "val loss"),
              ("val_acc", (0, 160, 0), 1.0, "val acc")]
    for key, color, top_value, name in series:
        pts = [(int(x_of(r["epoch"])), int(top + ph * (1 - r[key] / top_value)))
               for r in history if r.get(key) is not None]
        if len(pts) > 1:
            cv2.polylines(img, [np.array(pts, np.int32)], False, color, 2, cv2.LINE_AA)
        for p in pts:
            cv2.circle(img, p, 2, color, -1)
    for i, (_, color, _, name) in enumerate(series):
        cv2.putText(img, name, (left + 10 + i * 120, 20), FONT, 0.45, color, 1, cv2.LINE_AA)
    for frac in (0, 0.5, 1):
        y = int(top + ph * (1 - frac))
        cv2.putText(img, f"{lmax * frac:.2f}", (4, y + 4), FONT, 0.35, (0, 0, 0), 1, cv2.LINE_AA)
        cv2.putText(img, f"{frac:.1f}", (left + pw + 6, y + 4), FONT, 0.35, (0, 0, 0), 1, cv2.LINE_AA)
    cv2.putText(img, f"epoch {int(ep.min())}..{int(ep.max())}", (left + pw // 2 - 40, h - 12), FONT, 0.45,
                (0, 0, 0), 1, cv2.LINE_AA)
    return img
