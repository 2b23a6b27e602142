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
