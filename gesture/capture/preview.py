"""Drawing helpers and the preview window, shared by capture and the live loop."""
from __future__ import annotations

import os

import cv2
import numpy as np

from ..preprocess import crop_box
from ..util import on_linux, x_display

FONT = cv2.FONT_HERSHEY_SIMPLEX
WHITE, BLACK = (255, 255, 255), (0, 0, 0)
ESC = "\x1b"
GREEN, RED, YELLOW, GREY = (80, 200, 80), (60, 60, 230), (40, 210, 240), (150, 150, 150)


def has_display() -> bool:
    """Whether a window can be shown at all; Linux needs an X or Wayland display."""
    if on_linux():
        return x_display() or bool(os.environ.get("WAYLAND_DISPLAY"))
    return True


def text(img: np.ndarray, s: str, org: tuple[int, int], scale: float = 0.6, color=WHITE, thickness: int = 1) -> int:
    """Text on a dark box so it reads on any background; returns the box's right edge."""
    (tw, th), base = cv2.getTextSize(s, FONT, scale, thickness)
    x, y = org
    cv2.rectangle(img, (x - 3, y - th - 4), (x + tw + 3, y + base + 2), BLACK, -1)
    cv2.putText(img, s, (x, y), FONT, scale, color, thickness, cv2.LINE_AA)
    return x + tw + 3


def bar(img: np.ndarray, x: int, y: int, w: int, h: int, frac: float, color=GREEN) -> None:
    cv2.rectangle(img, (x, y), (x + w, y + h), GREY, 1)
    cv2.rectangle(img, (x + 1, y + 1), (x + 1 + int((w - 2) * min(1.0, max(0.0, frac))), y + h - 1), color, -1)


def mirror_box(box: tuple[int, int, int, int], width: int) -> tuple[int, int, int, int]:
    """The same box in a horizontally flipped image."""
    x0, y0, x1, y1 = box
    return width - x1, y0, width - x0, y1


def framed(frame: np.ndarray, crop: float, mirror: bool, color) -> np.ndarray:
    """A copy of the frame as the preview shows it (mirrored like a selfie view, if asked),
    with the square the model sees drawn on it."""
    h, w = frame.shape[:2]
    img = cv2.flip(frame, 1) if mirror else frame.copy()
    box = crop_box(h, w, crop)
    if mirror:
        box = mirror_box(box, w)
    cv2.rectangle(img, box[:2], box[2:], color, 2)
    return img


class Preview:
    """A named OpenCV window; `show` returns the key pressed as a lower-case character, or ""."""

    def __init__(self, title: str):
        self.title = title
        self._sized = False
        # Resizable, opened at the frame's own size, without the Qt toolbar that would crowd it.
        cv2.namedWindow(title, cv2.WINDOW_NORMAL | cv2.WINDOW_GUI_NORMAL)

    def show(self, img: np.ndarray) -> str:
        if not self._sized:
            cv2.resizeWindow(self.title, img.shape[1], img.shape[0])
            self._sized = True
        cv2.imshow(self.title, img)
        key = cv2.waitKey(1)
        return "" if key < 0 else chr(key & 0xFF).lower()

    def close(self) -> None:
        try:
            cv2.destroyWindow(self.title)
            cv2.waitKey(1)
        except cv2.error:
            pass


def open_preview(title: str, wanted: bool) -> tuple[Preview | None, str]:
    """A window if one was asked for and can be shown, else None and the reason."""
    if not wanted:
        return None, ""
    if not has_display():
        return None, "no display found (DISPLAY is unset): showing progress in the terminal instead"
    # opencv-python's bundled Qt warns about its missing font folder on every window draw;
    # it falls back to system fonts, so the warning is noise to users.
    os.environ.setdefault("QT_LOGGING_RULES", "default.warning=false")
    try:
        return Preview(title), ""
    except cv2.error as e:
        return None, (f"cannot open a window ({str(e).strip().splitlines()[-1]}): showing progress in the terminal "
                      "instead")


def active_text(decider) -> str:
    """The active gesture; when none, say if a rest is needed first, or a user who switches
    straight between gestures sees nothing fire and no reason why."""
    return decider.active or ("- (rest first)" if decider.waiting_for_rest else "-")


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


def draw_overlay(frame: np.ndarray, decider, crop: float, fps: float, ms: float,
                 last_key: str | None, hand=None, notes: tuple = (), corrections: bool = False,
                 motion=None) -> np.ndarray:
    """The mirrored frame, the model's crop box, the top label, a bar per class, speed and state;
    `notes` are lines such as "learning ..." or "updated: model v3"; `motion` (trail, swipe)
    the hand's recent path and the last swipe's (live/swipes.py)."""
    h, w = frame.shape[:2]
    labels, probs, active = decider.labels, decider.smoothed, decider.active
    img = framed(frame, crop, True, GREEN if active else GREY)
    if hand is not None:  # the hand the prior found, mirrored like the picture
        x0, y0, x1, y1 = hand.box
        cv2.rectangle(img, (int(w - x1), int(y0)), (int(w - x0), int(y1)), YELLOW, 2)
    if motion is not None:
        draw_motion(img, *motion)
    top = int(np.argmax(probs))
    text(img, f"{labels[top]} {probs[top]:.2f}", (10, 30), 0.9)
    for i, (name, p) in enumerate(zip(labels, probs)):
        y = 50 + i * 20
        text(img, f"{name[:10]:<10}", (10, y + 12), 0.45)
        bar(img, 110, y, 120, 14, float(p), GREEN if name == active else GREY)
    text(img, f"{fps:.1f} fps  {ms:.1f} ms", (w - 190, 30), 0.6)
    text(img, f"active: {active_text(decider)}", (10, h - 40), 0.6, GREEN if active else WHITE)
    text(img, f"last key: {last_key or '-'}", (10, h - 14), 0.6)
    if decider.paused:
        (tw, _), _ = cv2.getTextSize("PAUSED", FONT, 1.6, 3)
        text(img, "PAUSED", ((w - tw) // 2, h // 2), 1.6, YELLOW, 3)
    for i, note in enumerate(n for n in notes if n):
        text(img, note, (w - 10 - cv2.getTextSize(note, FONT, 0.55, 1)[0][0], 56 + 22 * i), 0.55,
                     YELLOW)
    hint = "x wrong  m missed  p pause  q quit" if corrections else "p pause  q quit"
    text(img, hint, (w - 10 - cv2.getTextSize(hint, FONT, 0.5, 1)[0][0], h - 14), 0.5, GREY)
    return img
