"""The live loop's overlay: what one frame of `gesture run` shows, drawn from a small frozen
state (`Shown`) the loop hands over, never from the decision rules themselves."""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ..capture.preview import FONT, GREEN, GREY, WHITE, YELLOW, bar, framed, text


@dataclass(frozen=True)
class Shown:
    """Everything the overlay and the status line show of one frame."""
    labels: tuple[str, ...]
    probs: np.ndarray  # the smoothed probabilities the rules decide on
    active: str | None
    waiting: bool  # nothing active, and the next gesture waits for a rest
    paused: bool
    fps: float
    ms: float
    last_key: str | None
    hand: object | None = None  # the hand the prior found (its box is drawn)
    notes: tuple = ()  # lines such as "learning ..." or "map: impress"
    corrections: bool = False  # x and m work: say so in the hint
    motion: tuple | None = None  # (trail, swipe): the hand's recent path and the last swipe's


def active_text(active: str | None, waiting: bool) -> str:
    """The active gesture; when none, say if a rest is needed first, or a user who switches
    straight between gestures sees nothing fire and no reason why."""
    return active or ("- (rest first)" if waiting else "-")


def status_line(st: Shown, index: int) -> str:
    """The terminal's one line when there is no window."""
    top = int(np.argmax(st.probs))
    return (f"frame {index}  {st.labels[top]} {st.probs[top]:.2f}  active {active_text(st.active, st.waiting)}  "
            f"last key {st.last_key or '-'}  {st.fps:.1f} fps  {st.ms:.1f} ms" + ("  PAUSED" if st.paused else "")
            + "".join(f"  {n}" for n in st.notes if n))


def draw_motion(img: np.ndarray, trail: list, swipe) -> None:
    """The palm's recent path, thin; the last swipe's, thick with an arrow and its name. Points
    are in the camera's frame, drawn mirrored like the picture."""
    w = img.shape[1]

    def pts(p):
        return np.array([(w - 1 - x, y) for x, y in p], np.int32).reshape(-1, 1, 2)

    if len(trail) > 1:
        cv2.polylines(img, [pts(trail)], False, WHITE, 2, cv2.LINE_AA)
    if swipe is not None and len(swipe[1]) > 1:
        name, path = swipe
        p = pts(path)
        cv2.polylines(img, [p], False, GREEN, 5, cv2.LINE_AA)
        cv2.arrowedLine(img, tuple(int(v) for v in p[max(0, len(p) - 4), 0]), tuple(int(v) for v in p[-1, 0]),
                        GREEN, 5, cv2.LINE_AA, tipLength=0.5)
        text(img, name.replace("_", " "), (int(p[-1, 0, 0]) + 10, int(p[-1, 0, 1])), 0.8, GREEN, 2)


def draw_overlay(frame: np.ndarray, crop: float, st: Shown) -> np.ndarray:
    """The mirrored frame, the model's crop box, the top label, a bar per class, speed and state."""
    h, w = frame.shape[:2]
    img = framed(frame, crop, True, GREEN if st.active else GREY)
    if st.hand is not None:  # the hand the prior found, mirrored like the picture
        x0, y0, x1, y1 = st.hand.box
        cv2.rectangle(img, (int(w - x1), int(y0)), (int(w - x0), int(y1)), YELLOW, 2)
    if st.motion is not None:
        draw_motion(img, *st.motion)
    top = int(np.argmax(st.probs))
    text(img, f"{st.labels[top]} {st.probs[top]:.2f}", (10, 30), 0.9)
    for i, (name, p) in enumerate(zip(st.labels, st.probs)):
        y = 50 + i * 20
        text(img, f"{name[:10]:<10}", (10, y + 12), 0.45)
        bar(img, 110, y, 120, 14, float(p), GREEN if name == st.active else GREY)
    text(img, f"{st.fps:.1f} fps  {st.ms:.1f} ms", (w - 190, 30), 0.6)
    text(img, f"active: {active_text(st.active, st.waiting)}", (10, h - 40), 0.6, GREEN if st.active else WHITE)
    text(img, f"last key: {st.last_key or '-'}", (10, h - 14), 0.6)
    if st.paused:
        (tw, _), _ = cv2.getTextSize("PAUSED", FONT, 1.6, 3)
        text(img, "PAUSED", ((w - tw) // 2, h // 2), 1.6, YELLOW, 3)
    for i, note in enumerate(n for n in st.notes if n):
        text(img, note, (w - 10 - cv2.getTextSize(note, FONT, 0.55, 1)[0][0], 56 + 22 * i), 0.55, YELLOW)
    hint = "x wrong  m missed  p pause  q quit" if st.corrections else "p pause  q quit"
    text(img, hint, (w - 10 - cv2.getTextSize(hint, FONT, 0.5, 1)[0][0], h - 14), 0.5, GREY)
    return img
