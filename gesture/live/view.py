"""What the user sees of the loop: the preview window with its overlay and keys, or, headless
in a terminal, one status line; and the --screenshot, taken at the first key event (or of
the last frame when nothing fired)."""
from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np

from ..capture import preview
from ..errors import GestureError
from .overlay import Shown, draw_overlay, status_line

QUIT = "quit"


class View:
    def __init__(self, window, screenshot: Path | None, crop: float):
        self.window, self.screenshot, self.crop = window, screenshot, crop
        self.status = sys.stderr.isatty() and window is None  # a status line instead of a window
        self.shot_taken = screenshot is None

    def say(self, log, text: str) -> None:
        log(("\r\033[K" if self.status else "") + text)

    def show(self, frame: np.ndarray, st: Shown, fired: bool, index: int) -> str | None:
        """Draw this frame; the key pressed in the window, if any (QUIT to stop)."""
        key = img = None
        if self.window is not None or (fired and not self.shot_taken):  # headless too, for the screenshot
            img = draw_overlay(frame, self.crop, st)
        if self.window is not None:
            key = self.window.show(img)
            if key in ("q", preview.ESC):
                return QUIT
        elif self.status and index % 5 == 0:
            sys.stderr.write("\r\033[K" + status_line(st, index))
            sys.stderr.flush()
        if fired and not self.shot_taken:
            self.snapshot(img)
        return key

    def last(self, frame: np.ndarray, st: Shown) -> None:
        """Nothing fired: the screenshot is of the last frame."""
        if not self.shot_taken:
            self.snapshot(draw_overlay(frame, self.crop, st))

    def snapshot(self, img: np.ndarray) -> None:
        if not cv2.imwrite(str(self.screenshot), img):
            raise GestureError(f"cannot write the screenshot {self.screenshot}")
        self.shot_taken = True

    def close(self) -> None:
        if self.status:
            sys.stderr.write("\n")
        if self.window is not None:
            self.window.close()
