"""Choose the swipe detector's settings (live/swipes.SwipeConfig) on development replays only.

    python -m gesture.tools.tune_swipes [--datasets DIR] [--per-set N]

The replays (bench/motion.py) move hands of the first half of each set's people over the
first half of the rooms; `gesture bench --only swipes` scores the other halves. Each replay
is tracked once, frame by frame as the live loop tracks it, then every setting in a small
grid is played over the tracks. It prints, for each: swipes right, false swipes by kind, and
the delay, then the best: no false swipe, the most right, the loosest thresholds on ties.
"""
from __future__ import annotations

import argparse
import itertools
from dataclasses import replace

import numpy as np

from .. import prior
from ..bench import motion
from ..live.decide import Rule
from ..live.swipes import SWIPES, SwipeConfig, Swipes
from ..paths import default_datasets

GRID = {"distance": (1.0, 1.5, 2.0, 2.5), "speed": (4.0, 6.0, 8.0), "straightness": (0.7, 0.8, 0.9),
        "presence": (0.5, 0.7), "settle": (2, 3, 5)}


def tracks(datasets, per_set: int, seed: int):
    """[(hands per frame, frame shape, items)] of the development replays."""
    out = []
    for script, room in motion.replays(datasets, 0, per_set, seed):
        tracker = prior.tracker(static=False, wake=True)
        hands = [tracker(f) for f in script.render(room)]
        out.append((hands, (motion.H, motion.W, 3), script.items))
    return out


def play(cfg: SwipeConfig, runs, why=None) -> dict:
    rules = {g: Rule(key=g) for g in SWIPES}
    total: dict = {}
    for hands, shape, items in runs:
        sw = Swipes(cfg, on_motion=why)
        events = [{"frame": i, "event": e.kind, "gesture": e.gesture}
                  for i, h in enumerate(hands) for e in sw.update(h, shape, None, i / 30, rules, False)]
        motion.merge(total, motion.score(events, items))
    return total


def choose(runs) -> tuple[dict, list]:
    """Every setting of the grid over the tracks; the chosen one and the table, best first.

    On development replays false swipes are rare for any of these settings, so the fewest
    false swipes and the most right ones leave a plateau of equally good settings. The chosen
    one is its middle (each setting's median over the plateau), not its edge: the edge is where
    these replays happen to end, and users' swipes will not end there."""
    rows = []
    for values in itertools.product(*GRID.values()):
        r = play(replace(SwipeConfig(), **dict(zip(GRID, values))), runs)
        rows.append((r["false"], -r["right"], values, r))
    rows.sort(key=lambda x: x[:2])
    plateau = [values for f, right, values, _ in rows if (f, right) == rows[0][:2]]
    best = {}
    for k, name in enumerate(GRID):
        grid = GRID[name]
        mid = float(np.median([v[k] for v in plateau]))
        best[name] = min(grid, key=lambda g: abs(g - mid))
    return best, rows


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", default=default_datasets())
    ap.add_argument("--per-set", type=int, default=6, help="hands per set and per static shape")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    from pathlib import Path

    runs = tracks(Path(args.datasets), args.per_set, args.seed)
    reasons: dict = {}
    base = play(SwipeConfig(), runs, lambda m, w: reasons.__setitem__(w, reasons.get(w, 0) + 1))
    print(f"defaults: {base['right']}/{base['swipes']} right, {base['false']} false {base['false_by']}, "
          f"delay p50 {np.median(base['delays']) if base['delays'] else float('nan'):.0f}; motions judged: {reasons}")
    best, rows = choose(runs)
    for f, _, values, r in rows[:10] + rows[-5:]:
        print(dict(zip(GRID, values)), f"right {r['right']}/{r['swipes']} false {f} {r['false_by']} "
              f"delay max {max(r['delays']) if r['delays'] else '-'}")
    r = play(replace(SwipeConfig(), **best), runs)
    print(f"chosen (the plateau's middle): {best}: right {r['right']}/{r['swipes']}, false {r['false']}")


if __name__ == "__main__":
    main()
