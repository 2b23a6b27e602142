"""Draws docs/swipe-cases.png, what fires and what does not, from the detector itself:
`python -m gesture.tools.swipe_cases DATASETS OUT.png`.

One open hand (hagrid-people's first palm the prior finds) over a drone-gestures room plays
each scripted case of the bench's replays (bench/motion.py: a throw smeared by the exposure
and turning, its way back, an entry, an exit, a slow drift, a jump, a hand going low to the
mouse, a held shape), each in a replay of its own. The prior tracks it as the live loop does
and the swipe detector, with its default settings, judges every motion. A tile shows every
third frame of the case over the room, the palm's tracked path (yellow; the swipe's path
green), and what the detector said. The pictures show the detector's rules, not how often
the prior keeps a blurred hand: a throw is drawn from the first replay (seeds 0-9) in which
the prior found the hand on every frame of it; how many throws fire is in the swipes rows
of docs/benchmark.md (synthetic and real).
"""
from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np

from .. import prior
from ..bench import motion
from ..data.images import read_image
from ..live.decide import Rule
from ..live.swipes import SWIPES, Swipes, palm

CASES = (("swipe", "swipe_left", "a throw"), ("ret", "swipe_up", "a throw and its way back"),
         ("entry", None, "a hand coming into view"), ("exit", None, "a hand leaving the frame"),
         ("drift", None, "a slow drift"), ("jump", None, "lost, found elsewhere"),
         ("low", None, "a hand going to the mouse"), ("static", None, "a held shape"))
TILE = (400, 300)


def judge(frames: list, item) -> tuple[list, list, list]:
    """The tracked palm path, the fired swipes' paths, and every judged motion's verdict."""
    tracker, verdicts = prior.tracker(static=False, wake=True), []
    sw = Swipes(on_motion=lambda m, why: verdicts.append(f"{m.direction.replace('_', ' ')}: {why}"
                                                          if why else None))
    rules = {g: Rule(key="x") for g in SWIPES}
    path, fired, lost = [], [], 0
    for i, f in enumerate(frames):
        hand = tracker(f)
        if hand is not None and item.start <= i < item.start + item.length:
            path.append(palm(hand, f.shape)[:2])
        lost += hand is None and item.begin is not None and item.begin <= i <= item.end
        if sw.update(hand, f.shape, None, i / 30, rules, False):
            fired.append(sw.flash)
    return path, fired, verdicts, lost


def tile(room: np.ndarray, frames: list, item, title: str, path: list, fired: list, verdicts: list) -> np.ndarray:
    out = room.astype(np.float32)
    for f in frames[item.start:item.start + item.length:3]:
        moved = (np.abs(f.astype(np.int16) - room).max(2) > 30)[..., None]
        out = np.where(moved, 0.45 * out + 0.55 * f, out)
    out = out.astype(np.uint8)
    if len(path) > 1:
        cv2.polylines(out, [np.int32(path)], False, (0, 220, 255), 2, cv2.LINE_AA)
    for name, trail, _ in fired:
        cv2.polylines(out, [np.int32(trail)], False, (60, 220, 60), 6, cv2.LINE_AA)
    said = [f"fires {name.replace('_', ' ')}" for name, _, _ in fired]
    said += [f"not: {v}" for v in verdicts if v][-1:]  # the last motion it turned down, and why
    out = cv2.resize(out, TILE, interpolation=cv2.INTER_AREA)
    lines = [title] + (said or ["nothing moved fast enough to judge"])
    out[:8 + 24 * len(lines)] //= 3  # a dark band for the words
    for k, text in enumerate(lines):
        colour = (80, 230, 80) if text.startswith("fires") else (255, 255, 255)
        cv2.putText(out, text, (10, 24 + 24 * k), cv2.FONT_HERSHEY_SIMPLEX, 0.55, colour, 1, cv2.LINE_AA)
    cv2.rectangle(out, (0, 0), (TILE[0] - 1, TILE[1] - 1), (40, 40, 40), 1)
    return out


def main(datasets: Path, out: Path) -> None:
    finder = prior.tracker(static=True)
    room = motion.rooms(datasets, 0, finder)[0]  # a drone-gestures room where the prior finds no hand
    hand = next(p for p in (motion.patch(read_image(q), finder, 180)
                            for q in sorted((datasets / "hagrid-people" / "palm").iterdir())) if p is not None)
    tiles = []
    for kind, way, title in CASES:
        for seed in range(10):
            script = motion.Script(np.random.default_rng(seed))
            item = script.add(kind, hand, "hagrid-people/palm", "palm" if kind == "static" else None, way)
            frames = list(script.render(room))
            path, fired, verdicts, lost = judge(frames, item)
            if not lost:
                break
        tiles.append(tile(room, frames, item, title, path, fired, verdicts))
    rows = [np.hstack(tiles[k:k + 4]) for k in range(0, len(tiles), 4)]
    cv2.imwrite(str(out), np.vstack(rows), [cv2.IMWRITE_PNG_COMPRESSION, 9])
    print(f"wrote {out}")


if __name__ == "__main__":
    if len(sys.argv) != 3 or not Path(sys.argv[1]).is_dir():
        sys.exit("usage: python -m gesture.tools.swipe_cases DATASETS OUT.png")
    main(Path(sys.argv[1]), Path(sys.argv[2]))
