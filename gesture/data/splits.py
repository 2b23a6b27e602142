"""Validation splits that tell the truth about tomorrow.

Neighbouring frames of a video are near-duplicates, so a random split puts the same
moment on both sides and reads close to 100% while the product fails. Instead, per class:

- with at least 2 sessions, hold out whole sessions (a new session is a new light, seat
  or day: exactly what the model will meet);
- with one session, hold out contiguous time blocks, interleaved through the recording,
  and drop a few frames either side of each held-out block from training, so no frame
  has its near-twin on the other side.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from ..config import TrainConfig
from .dataset import Sample

BLOCKS = 10  # a single session is cut into this many time blocks; fraction * BLOCKS of them,
# spread apart, are held out


@dataclass
class Split:
    train: list[int] = field(default_factory=list)  # indices into the sample list
    val: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what was held out and why, per class
    one_session: list[str] = field(default_factory=list)  # classes validated within their only recording

    @property
    def honest(self) -> str:
        """What the validation figure can claim, in the words a user should read next to it."""
        if not self.one_session:
            return "on a session it never saw"
        return (f"within one recording ({', '.join(self.one_session)} had a single session): this cannot "
                "predict another day; record a second session in other light, distance, position and clothes "
                "(gesture capture LABEL --session NAME)")


def validation_split(samples: list[Sample], fraction: float = TrainConfig.val_fraction, seed: int = 0) -> Split:
    by_label: dict[str, list[int]] = defaultdict(list)
    for i, s in enumerate(samples):
        by_label[s.label].append(i)
    split = Split()
    for label in sorted(by_label):
        idx = by_label[label]
        sessions: dict[str, list[int]] = defaultdict(list)
        for i in idx:
            sessions[samples[i].session].append(i)
        if len(sessions) >= 2:
            train, val, note = _hold_out_session(label, sessions, fraction)
        else:
            train, val, note = _hold_out_blocks(label, samples, idx, fraction, seed)
            split.one_session.append(label)
        split.train += train
        split.val += val
        split.notes.append(note)
    return split


def _hold_out_session(label, sessions, fraction):
    total = sum(len(v) for v in sessions.values())
    # The session nearest the wanted share; on a tie the later one (names are timestamps).
    name = min(sorted(sessions, reverse=True), key=lambda s: abs(len(sessions[s]) - fraction * total))
    val = sessions[name]
    train = [i for s, v in sessions.items() if s != name for i in v]
    return train, val, (f"{label}: held out session {name!r} ({len(val)} of {total} frames); "
                        f"trained on {len(sessions) - 1} other session(s)")


def _hold_out_blocks(label, samples, idx, fraction, seed):
    order = sorted(idx, key=lambda i: samples[i].index)
    n = len(order)
    if n < 2 * BLOCKS:
        # Too few frames for blocks: hold out the last stretch in time.
        cut = max(1, round(n * fraction))
        gap = 1 if n - cut > 2 else 0
        val, train = order[n - cut:], order[:n - cut - gap]
        return train, val, (f"{label}: one session, only {n} frames: held out the last {cut} in time "
                            f"(#{samples[val[0]].index}-#{samples[val[-1]].index})")
    bounds = [round(b * n / BLOCKS) for b in range(BLOCKS + 1)]
    n_held = min(BLOCKS - 1, max(1, round(fraction * BLOCKS)))
    held = sorted({(seed + k * BLOCKS // n_held) % BLOCKS for k in range(n_held)})
    gap = max(1, n // (BLOCKS * 10))  # frames either side of a held-out block kept off both sides
    val, drop = [], set()
    for b in held:
        lo, hi = bounds[b], bounds[b + 1]
        val += order[lo:hi]
        drop.update(range(max(0, lo - gap), lo))
        drop.update(range(hi, min(n, hi + gap)))
    held_pos = {p for b in held for p in range(bounds[b], bounds[b + 1])}
    train = [order[p] for p in range(n) if p not in held_pos and p not in drop]
    spans = ", ".join(f"#{samples[order[bounds[b]]].index}-#{samples[order[bounds[b + 1] - 1]].index}"
                      for b in sorted(held))
    return train, val, (f"{label}: one session: held out time blocks {spans} ({len(val)} of {n} frames), "
                        f"and {len(drop)} neighbouring frames from training")
