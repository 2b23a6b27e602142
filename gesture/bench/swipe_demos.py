"""Real swipes and real hands that move without swiping, for `gesture bench --only swipes`.

swipe-demos: six GIFs of a person swiping at a webcam (HaGRIDv2's dynamic-gesture demo,
about 15 frames a second, every third frame a repeat of the one before), marked by looking
at every frame: the first and last frame the hand travels, and the direction as the
detector names it (a hand moving to the right of the picture is `swipe_left`, the user's
left in the mirrored preview). Every other frame (the holds, the hand raised into view at
the start) is a frame where no swipe may fire. The clips end mid-hold; each is played
with its last frame held HELD times more, as a camera would go on showing the still hand.

finger-count: one person's hand counting, both sessions in time order, the hand moving and
re-posing between frames, never swiping: any swipe there is a false one.
"""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

# (first moving frame, last moving frame, direction). The first swipe of swipe_left_right
# starts on the clip's third frame: its hand was never still long enough to be a swipe's
# start (a miss every detector with a still-start rule makes, kept to be honest).
MARKED = {
    "swipe_left_right": ((2, 9, "swipe_left"), (40, 48, "swipe_right"), (69, 74, "swipe_left")),
    "swipe2_left_right": ((17, 23, "swipe_left"), (41, 48, "swipe_right")),
    "swipe_up_down": ((22, 27, "swipe_down"), (49, 54, "swipe_up")),
    "swipe2_up_down": ((4, 9, "swipe_down"), (52, 58, "swipe_up")),
    "swipe3_up_down": ((17, 25, "swipe_down"), (61, 67, "swipe_up")),
    "fast_up_down": ((7, 11, "swipe_down"), (42, 46, "swipe_up")),  # a flick of a pointing hand
}
HELD = 8  # the last frame, held this many times more (half a second at 15 frames a second)
EARLY, LATE = 1, 8  # a swipe's key counts from this many frames before its first moving frame
# to this many after its last


def clips(root: Path) -> list[tuple[str, list[np.ndarray], float]]:
    """(name, frames with the last one held, frames per second) of each marked clip."""
    out = []
    for name in MARKED:
        cap = cv2.VideoCapture(str(root / "swipe-demos" / f"{name}.gif"))
        fps, frames = cap.get(cv2.CAP_PROP_FPS) or 15.0, []
        while True:
            ok, frame = cap.read()
            if not ok:
                break
            frames.append(frame)
        cap.release()
        if frames:
            out.append((name, frames + [frames[-1]] * HELD, fps))
    return out


def score(name: str, events: list[dict]) -> dict:
    """A clip's swipe events against its marks: which swipes fired as their direction, the frames
    from each one's last moving frame to its key, and the swipes that fired where none was."""
    marks = MARKED[name]
    fired = [e for e in events if e.get("event") == "tap" and str(e.get("gesture", "")).startswith("swipe_")]
    right, delays, used = 0, [], set()
    for a, b, way in marks:
        hit = next((i for i, e in enumerate(fired) if i not in used and e["gesture"] == way
                    and a - EARLY <= e["frame"] <= b + LATE), None)
        if hit is not None:
            used.add(hit)
            right += 1
            delays.append(fired[hit]["frame"] - b)
    false = [f"{e['gesture']}@{e['frame']}" for i, e in enumerate(fired) if i not in used]
    return {"swipes": len(marks), "right": right, "delays": delays, "false": false}


def quiet_frames(name: str, n: int) -> int:
    """Frames of a clip (n in all, the held ones included) outside every marked swipe's window."""
    inside = set()
    for a, b, _ in MARKED[name]:
        inside.update(range(max(0, a - EARLY), b + LATE + 1))
    return sum(i not in inside for i in range(n))


def counting(root: Path) -> list[tuple[str, list[Path]]]:
    """finger-count's sessions, each in time order: (session, image paths)."""
    from ..data.dataset import scan

    by: dict[str, list] = {}
    for s in scan(root / "finger-count").samples:
        by.setdefault(s.session, []).append(s)
    return [(session, [s.path for s in sorted(ss, key=lambda s: (s.label, s.index))])
            for session, ss in sorted(by.items())]
