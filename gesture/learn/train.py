"""`gesture train`: a few hundred frames per gesture become a model in about a minute on a CPU.

    load_data      decode every frame once (with a margin for augmentation), check the classes
    fit            AdamW, warm-up + cosine, label smoothing, class-balanced loss, early
                   stopping on a session- or time-block validation split, a time budget
    train          load_data + fit + checkpoint + reports, as the CLI runs it
"""
from __future__ import annotations

import json
import math
import sys
import time
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from .. import prior
from ..config import PRIOR_SIZE, ModelConfig, TrainConfig, cores
from ..data.dataset import Sample, fingerprint, load_frames, scan
from ..data.splits import validation_split
from ..errors import GestureError
from ..model import checkpoint
from ..model.head import HeadConfig, LandmarkHead, fit_head
from ..model.net import GestureNet
from ..model.recognizer import combine
from ..preprocess import PreprocessConfig, standardize
from ..prior import idle
from . import landmarks, reports
from .augment import AugmentConfig, augment, centre

MIN_FRAMES = 10  # per class, after unreadable files are skipped; fewer cannot be split honestly
EVAL_BATCH = 256


@dataclass
class Data:
    samples: list[Sample]
    frames: torch.Tensor  # uint8 (N, size+2m, size+2m, 3), model colour order
    y: torch.Tensor  # int64 class indices into labels
    labels: list[str]
    none_label: str | None
    hands: landmarks.Landmarks | None = None  # the prior's hand per frame (find_hands), when training on it


def scan_data(cfg: TrainConfig, log=print):
    ds = scan(cfg.data, cfg.none_label)
    log(ds.none_note)
    if not ds.samples:
        raise GestureError(f"no images found in {cfg.data}; record some with `gesture capture LABEL --data {cfg.data}`")
    return ds


def load_data(cfg: TrainConfig, pcfg: PreprocessConfig, samples: list[Sample] | None = None,
              none_label: str | None = None, log=print, progress: bool = True,
              hands: landmarks.Landmarks | None = None) -> Data:
    """Decode the data folder (or the given samples, with their hands) into memory and check it can be trained on."""
    if samples is None:
        ds = scan_data(cfg, log)
        samples, none_label = ds.samples, ds.none_label
    frames, bad = load_frames(samples, pcfg, cfg.margin, cache=cfg.cache, progress=progress)
    if bad:
        log(f"skipped {len(bad)} unreadable image(s), e.g. {samples[bad[0]].path}")
        skip = set(bad)
        samples = [s for i, s in enumerate(samples) if i not in skip]
        if hands is not None:
            hands = hands.subset([i for i in range(len(hands.found)) if i not in skip])
    counts = Counter(s.label for s in samples)
    labels = sorted(counts)
    if len(labels) < 2:
        raise GestureError(f"only one class ({', '.join(labels) or 'none'}) in {cfg.data}; "
                           "record at least two, ideally every gesture plus `none`")
    small = {k: v for k, v in counts.items() if v < MIN_FRAMES}
    if small:
        raise GestureError("too few frames to train on: " + ", ".join(f"{k!r} has {v}" for k, v in small.items())
                           + f"; record at least {MIN_FRAMES} per class (a few hundred is better)")
    index = {name: i for i, name in enumerate(labels)}
    y = torch.tensor([index[s.label] for s in samples])
    return Data(samples, torch.from_numpy(frames), y, labels, none_label, hands)


def lr_at(step: int, total: int, cfg: TrainConfig) -> float:
    """Linear warm-up, then cosine decay to zero."""
    warm = max(1, int(cfg.warmup * total))
    if step < warm:
        return cfg.lr * (step + 1) / warm
    p = min(1.0, (step - warm) / max(1, total - warm))
    return cfg.lr * 0.5 * (1 + math.cos(math.pi * p))


def train_one_epoch(model, opt, data: Data, idx: torch.Tensor, cfg: TrainConfig, aug: AugmentConfig,
                    pcfg: PreprocessConfig, weights: torch.Tensor, gen: torch.Generator, step: int, total: int):
    model.train()
    order = idx[torch.randperm(len(idx), generator=gen)]
    # Drop a last batch of one or two: BatchNorm statistics on it would be noise.
    batches = [order[i:i + cfg.batch_size] for i in range(0, len(order), cfg.batch_size)]
    if len(batches) > 1 and len(batches[-1]) < cfg.batch_size // 4:
        batches.pop()
    total_loss, seen = 0.0, 0
    for b in batches:
        for group in opt.param_groups:
            group["lr"] = lr_at(step, total, cfg)
        x = standardize(augment(data.frames[b], cfg.size, aug, gen), pcfg)
        loss = F.cross_entropy(model(x), data.y[b], weight=weights, label_smoothing=cfg.label_smoothing)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        total_loss += loss.item() * len(b)
        seen += len(b)
        step += 1
    return total_loss / max(1, seen), step


@torch.inference_mode()
def evaluate(model, data: Data, idx: torch.Tensor, pcfg: PreprocessConfig, size: int) -> tuple[float, float, np.ndarray]:
    """Loss, accuracy and probabilities on the stored centres: exactly the pixels the live loop sees."""
    model.eval()
    logits = torch.cat([
        model(standardize(centre(data.frames[idx[i:i + EVAL_BATCH]], size), pcfg))
        for i in range(0, len(idx), EVAL_BATCH)
    ]) if len(idx) else torch.zeros(0, len(data.labels))
    y = data.y[idx]
    loss = F.cross_entropy(logits, y).item() if len(idx) else float("nan")
    acc = (logits.argmax(1) == y).float().mean().item() if len(idx) else float("nan")
    return loss, acc, torch.softmax(logits, 1).numpy()


@dataclass
class FitResult:
    model: GestureNet  # the best weights, eval mode
    history: list[dict]
    best_epoch: int
    best_val_acc: float
    stopped: str  # why training ended
    seconds: float
    planned: int  # epochs the schedule was planned for, from the data alone
    augment: AugmentConfig  # the augmentation trained with, for the checkpoint
    interrupted: bool = False
    cut_short: bool = False  # the time budget stopped it before the plan was done


def fit(data: Data, train_idx: list[int], val_idx: list[int], cfg: TrainConfig, pcfg: PreprocessConfig,
        progress: bool = True) -> FitResult:
    torch.manual_seed(cfg.seed)
    torch.set_num_threads(cores())
    gen = torch.Generator().manual_seed(cfg.seed)
    aug = AugmentConfig(flip=cfg.flip)
    mcfg = ModelConfig(num_classes=len(data.labels), size=cfg.size, width=cfg.width)
    model = GestureNet(mcfg).to(memory_format=torch.channels_last)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    tr, va = torch.tensor(train_idx), torch.tensor(val_idx)
    # Class-balanced loss: each class weighs the same however many frames it has.
    counts = torch.bincount(data.y[tr], minlength=len(data.labels)).float()
    weights = counts.sum() / (len(data.labels) * counts.clamp(min=1))

    steps_per_epoch = max(1, math.ceil(len(tr) / cfg.batch_size))
    planned = cfg.epochs_for(len(tr))
    history, best, best_state, best_epoch = [], None, None, 0
    step, start, stopped, interrupted, cut_short = 0, time.monotonic(), "all epochs done", False, False
    bar = tqdm(total=planned, desc="training", unit="epoch", file=sys.stderr, disable=not progress)
    try:
        epoch = 0
        while epoch < planned:
            epoch += 1
            strength = min(1.0, epoch / (cfg.aug_ramp * planned)) if cfg.aug_ramp else 1.0
            loss, step = train_one_epoch(model, opt, data, tr, cfg, aug.scaled(strength), pcfg, weights, gen, step,
                                         planned * steps_per_epoch)
            val_loss, val_acc, _ = evaluate(model, data, va, pcfg, cfg.size)
            history.append({"epoch": epoch, "train_loss": round(loss, 4), "val_loss": round(val_loss, 4),
                            "val_acc": round(val_acc, 4), "lr": round(lr_at(step - 1, planned * steps_per_epoch, cfg), 6),
                            "seconds": round(time.monotonic() - start, 2)})
            # Best validation accuracy; on a tie the later epoch, which has seen a lower learning
            # rate (validation loss would favour the early, less confident epochs).
            score = round(val_acc, 4)
            if best is None or score >= best:
                best, best_epoch = score, epoch
                best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            bar.update(1)
            bar.set_postfix(loss=f"{loss:.3f}", val_acc=f"{val_acc:.3f}", best=f"{best:.3f}@{best_epoch}")
            if cfg.time_budget and epoch < planned:
                # A cap, never a plan: the schedule is fixed by the data, so a slow machine takes
                # longer instead of silently giving a worse model. Stop before an epoch that
                # would end past the cap, and let train() say loudly that it cut in.
                elapsed = time.monotonic() - start
                if elapsed + elapsed / epoch > cfg.time_budget:
                    cut_short = True
                    stopped = f"the {cfg.time_budget:g} s time budget cut training short after {epoch} of {planned} epochs"
                    break
            # Only in the second half: while the learning rate is high, validation accuracy
            # swings, and stopping there would keep a noisy mid-training snapshot.
            if epoch - best_epoch >= cfg.patience and epoch >= planned / 2:
                stopped = f"no better validation accuracy for {cfg.patience} epochs"
                break
    except KeyboardInterrupt:
        interrupted, stopped = True, "Ctrl-C"
    finally:
        bar.close()
    if best_state is None:
        raise GestureError("stopped before the first epoch finished; nothing to save")
    model.load_state_dict(best_state)
    return FitResult(model.eval(), history, best_epoch, best, stopped, time.monotonic() - start, planned, aug,
                     interrupted, cut_short)


def train(cfg: TrainConfig, log=print, progress: bool = True) -> dict:
    """The whole `gesture train`: data, split, fit, checkpoint and reports. Returns the metrics."""
    try:  # check the settings and the output before spending a minute on the data
        for size in {cfg.size or ModelConfig.size, cfg.size or PRIOR_SIZE}:
            replace(cfg, size=size).preprocess()
            ModelConfig(num_classes=2, size=size, width=cfg.width)
    except ValueError as e:
        raise GestureError(str(e)) from None
    checkpoint.check_writable(cfg.out)
    ident = prior.identity() if cfg.prior else None  # a damaged prior file fails now, in one line
    ds = scan_data(cfg, log)
    cfg, pcfg, hands = plan(cfg, ds.samples, log, progress)
    t0 = time.monotonic()
    data = load_data(cfg, pcfg, ds.samples, ds.none_label, log=log, progress=progress, hands=hands)
    log(f"{len(data.samples)} frames, {len(data.labels)} classes: " + ", ".join(
        f"{k} {v}" for k, v in sorted(Counter(s.label for s in data.samples).items()))
        + f" (decoded in {time.monotonic() - t0:.1f} s)")
    split = validation_split(data.samples, cfg.val_fraction, cfg.seed)
    log("validation (never random frames: neighbours are near-duplicates):")
    for note in split.notes:
        log(f"  {note}")
    log(f"the whole-frame network: {cfg.size} px, {cfg.epochs_for(len(split.train))} epochs"
        + ("" if cfg.epochs else f" ({cfg.steps} steps, fixed by the data)")
        + (": it decides the frames where no hand is found" if cfg.prior else ""))
    res = fit(data, split.train, split.val, cfg, pcfg, progress=progress)
    head = fit_landmark_head(data, split.train, cfg)

    probs = validation_probs(res.model, head, data, split.val, pcfg, cfg.size)
    m = reports.metrics(data.y[split.val].numpy(), probs.argmax(1), data.labels)
    m.update({
        "split": "validation: " + "; ".join(split.notes), "validated": split.honest,
        "best_epoch": res.best_epoch, "epochs_run": len(res.history), "planned_epochs": res.planned,
        "stopped": res.stopped, "cut_short": res.cut_short,
        "train_seconds": round(res.seconds, 1), "train_frames": len(split.train), "val_frames": len(split.val),
        "history": res.history, "prior": ident["name"] if ident else None,
        "hand_found": round(float(data.hands.found.mean()), 4) if data.hands is not None else None,
    })
    meta = {
        "train": cfg.to_dict(),
        "augment": res.augment.to_dict(),
        "metrics": {k: m[k] for k in ("accuracy", "per_class", "confusion", "labels", "split", "validated",
                                      "best_epoch", "cut_short")},
        "data": {"root": str(cfg.data), "frames": len(data.samples), "fingerprint": fingerprint(data.samples)},
        "idle": idle.identity(cfg.idle_exclude) if head is not None and cfg.idle and data.none_label else None,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    previous = checkpoint.keep_previous(cfg.out)
    out = checkpoint.save(cfg.out, res.model, data.labels, data.none_label, pcfg, meta,
                          head.state if head else None, ident)
    write_reports(out.parent, m)
    log(f"\nvalidation accuracy {m['accuracy']:.3f} {split.honest}")
    log(f"  best at epoch {res.best_epoch} of {len(res.history)} ({res.stopped}; {res.seconds:.0f} s training)")
    if res.cut_short:
        log(f"WARNING: {res.stopped}. This model is weaker than this data gives: without --time-budget the "
            f"same {res.planned} epochs run on any machine (here about {res.seconds / len(res.history) * res.planned:.0f} s).")
    log(reports.summary_table(m))
    log(f"saved {out}" + (" (the best weights so far: training was interrupted)" if res.interrupted else "")
        + f"; reports in {out.parent}/: metrics.json, confusion.png, curves.png")
    if previous:
        note = checkpoint.compare(previous, m["accuracy"], meta["metrics"]["split"])
        if note:
            log(note)
    m["interrupted"] = res.interrupted
    return m


def plan(cfg: TrainConfig, samples: list[Sample], log=print, progress: bool = True):
    """The hands first (the prior reads the files), then the settings they call for: how many
    frames show a hand sizes the whole-frame network (TrainConfig.planned). Returns the
    planned TrainConfig, its PreprocessConfig, and the hands (None without the prior)."""
    hands = find_hands(samples, cfg, log, progress) if cfg.prior else None
    cfg = cfg.planned(float(hands.found.mean()) if hands is not None else None)
    return cfg, cfg.preprocess(), hands


def find_hands(samples: list[Sample], cfg: TrainConfig, log=print, progress: bool = True) -> landmarks.Landmarks:
    """Every frame's hand through the prior, once (cached like the decoded frames)."""
    t = time.monotonic()
    lms = landmarks.extract(samples, lambda: prior.tracker(static=True), prior.key(), cache=cfg.cache,
                            progress=progress)
    log(f"hand prior ({prior.NAME}): a hand in {lms.found.mean():.0%} of the frames "
        f"({time.monotonic() - t:.1f} s); the landmark head learns from those, the network from every frame")
    return lms


def fit_landmark_head(data: Data, train_idx: list[int], cfg: TrainConfig) -> LandmarkHead | None:
    """The head on the training side's frames where the prior found a hand; None without the prior
    or a single hand. It needs no validation split: its steps are fixed."""
    if data.hands is None:
        return None
    idx = np.array([i for i in train_idx if data.hands.found[i]], np.int64)
    if len(idx) == 0:
        return None
    points, y = data.hands.points[idx], data.y.numpy()[idx]
    sessions = np.array([data.samples[i].session for i in idx])
    index = np.array([data.samples[i].index for i in idx], np.int64)
    none = data.labels.index(data.none_label) if data.none_label is not None else None
    if cfg.idle and none is not None:
        # Other people's idle hands join the user's own `none`: hands at rest must not fire.
        points, y, sessions, index = idle.merge(points, y, sessions, index, none, cfg.idle_exclude)
    return fit_head(points, y, len(data.labels), HeadConfig(seed=cfg.seed), none=none, sessions=sessions,
                    index=index)


def validation_probs(model, head: LandmarkHead | None, data: Data, idx: list[int], pcfg: PreprocessConfig,
                     size: int) -> np.ndarray:
    """What the live loop would say on the validation frames: recognizer.combine's rule."""
    _, _, probs = evaluate(model, data, torch.tensor(idx), pcfg, size)
    if head is None:
        return probs
    found = data.hands.found[idx]
    return combine(probs, head.probs(data.hands.points[idx][found]) if found.any() else None, found)


def write_reports(folder: Path, m: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "metrics.json").write_text(json.dumps(m, indent=2) + "\n")
    cv2.imwrite(str(folder / "confusion.png"), reports.confusion_image(m))
    cv2.imwrite(str(folder / "curves.png"), reports.curves_image(m.get("history", [])))
