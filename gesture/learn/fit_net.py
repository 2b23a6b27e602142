"""The whole-frame network's training: AdamW, warm-up + cosine, label smoothing, a
class-balanced loss, early stopping on a session- or time-block validation split, and a
time budget that is a cap, never a plan."""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from ..config import ModelConfig, TrainConfig, cores
from ..errors import GestureError
from ..model.net import GestureNet
from ..preprocess import PreprocessConfig, standardize
from ..util import progress_bar
from .augment import AugmentConfig, augment, centre
from .frames import Data

EVAL_BATCH = 256


def lr_at(step: int, total: int, cfg: TrainConfig) -> float:
    """Linear warm-up, then cosine decay to zero."""
    warm = max(1, int(cfg.warmup * total))
    if step < warm:
        return cfg.lr * (step + 1) / warm
    p = min(1.0, (step - warm) / max(1, total - warm))
    return cfg.lr * 0.5 * (1 + math.cos(math.pi * p))


def step(model, opt, frames: torch.Tensor, y: torch.Tensor, cfg: TrainConfig, aug: AugmentConfig,
         pcfg: PreprocessConfig, gen: torch.Generator, weights: torch.Tensor | None = None) -> float:
    """One optimiser step on a batch of stored uint8 margin frames: augmented, standardised as the
    live loop standardises, cross-entropy with label smoothing. Training and relearning share it."""
    x = standardize(augment(frames, pcfg.size, aug, gen), pcfg)
    loss = F.cross_entropy(model(x), y, weight=weights, label_smoothing=cfg.label_smoothing)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    return loss.item()


def train_one_epoch(model, opt, data: Data, idx: torch.Tensor, cfg: TrainConfig, aug: AugmentConfig,
                    pcfg: PreprocessConfig, weights: torch.Tensor, gen: torch.Generator, done: int, total: int):
    model.train()
    order = idx[torch.randperm(len(idx), generator=gen)]
    # Drop a last batch of one or two: BatchNorm statistics on it would be noise.
    batches = [order[i:i + cfg.batch_size] for i in range(0, len(order), cfg.batch_size)]
    if len(batches) > 1 and len(batches[-1]) < cfg.batch_size // 4:
        batches.pop()
    total_loss, seen = 0.0, 0
    for b in batches:
        for group in opt.param_groups:
            group["lr"] = lr_at(done, total, cfg)
        total_loss += step(model, opt, data.frames[b], data.y[b], cfg, aug, pcfg, gen, weights) * len(b)
        seen += len(b)
        done += 1
    return total_loss / max(1, seen), done


@torch.inference_mode()
def evaluate(model, data: Data, idx: torch.Tensor, pcfg: PreprocessConfig,
             size: int) -> tuple[float, float, np.ndarray]:
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


def _over_budget(cfg: TrainConfig, elapsed: float, epoch: int, planned: int) -> bool:
    """A cap, never a plan: the schedule is fixed by the data, so a slow machine takes longer
    instead of silently giving a worse model. Stop before an epoch that would end past the
    cap, and let train() say loudly that it cut in."""
    return bool(cfg.time_budget) and epoch < planned and elapsed + elapsed / epoch > cfg.time_budget


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
    bar = progress_bar(total=planned, desc="training", unit="epoch", disable=not progress)
    try:
        epoch = 0
        while epoch < planned:
            epoch += 1
            strength = min(1.0, epoch / (cfg.aug_ramp * planned)) if cfg.aug_ramp else 1.0
            loss, step = train_one_epoch(model, opt, data, tr, cfg, aug.scaled(strength), pcfg, weights, gen, step,
                                         planned * steps_per_epoch)
            val_loss, val_acc, _ = evaluate(model, data, va, pcfg, cfg.size)
            history.append({"epoch": epoch, "train_loss": round(loss, 4), "val_loss": round(val_loss, 4),
                            "val_acc": round(val_acc, 4),
                            "lr": round(lr_at(step - 1, planned * steps_per_epoch, cfg), 6),
                            "seconds": round(time.monotonic() - start, 2)})
            # Best validation accuracy; on a tie the later epoch, which has seen a lower learning
            # rate (validation loss would favour the early, less confident epochs).
            score = round(val_acc, 4)
            if best is None or score >= best:
                best, best_epoch = score, epoch
                best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            bar.update(1)
            bar.set_postfix(loss=f"{loss:.3f}", val_acc=f"{val_acc:.3f}", best=f"{best:.3f}@{best_epoch}")
            if _over_budget(cfg, time.monotonic() - start, epoch, planned):
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
