"""What the user sees of the loop: the preview window with its overlay and keys, or, headless
in a terminal, one status line; and the --screenshot, taken at the first key event (or of
the last frame when nothing fired)."""
from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np

from ..capture import preview
from ..capture.preview import active_text, draw_overlay
from ..errors import GestureError

QUIT = "quit"


class View:
    def __init__(self, window, screenshot: Path | None, crop: float, corrections: bool):
        self.window, self.screenshot, self.crop, self.corrections = window, screenshot, crop, corrections
        self.status = sys.stderr.isatty() and window is None  # a status line instead of a window
        self.shot_taken = screenshot is None

    def say(self, log, text: str) -> None:
        log(("\r\033[K" if self.status else "") + text)

    def show(self, frame: np.ndarray, decider, labels: list[str], hand, fired: bool, fps: float, ms: float,
             last_key: str | None, notes: tuple, index: int, motion=None) -> str | None:
        """Draw this frame; the key pressed in the window, if any (QUIT to stop). `motion`:
        Swipes.shown, the hand's trail."""
        key = None
        img = None
        if self.window is not None or (fired and not self.shot_taken):  # headless too, for the screenshot
            img = draw_overlay(frame, decider, self.crop, fps, ms, last_key, hand, notes, self.corrections, motion)
        if self.window is not None:
            key = self.window.show(img)
            if key in ("q", preview.ESC):
                return QUIT
        elif self.status and index % 5 == 0:
            top = int(np.argmax(decider.smoothed))
            sys.stderr.write(f"\r\033[Kframe {index}  {labels[top]} {decider.smoothed[top]:.2f}  "
                             f"active {active_text(decider)}  last key {last_key or '-'}  "
                             f"{fps:.1f} fps  {ms:.1f} ms" + ("  PAUSED" if decider.paused else "")
                             + "".join(f"  {n}" for n in notes if n))
            sys.stderr.flush()
        if fired and not self.shot_taken:
            self.snapshot(img)
        return key

    def last(self, frame: np.ndarray, decider, fps: float, ms: float, last_key: str | None, hand) -> None:
        """Nothing fired: the screenshot is of the last frame."""
        if not self.shot_taken:
            self.snapshot(draw_overlay(frame, decider, self.crop, fps, ms, last_key, hand))

    def snapshot(self, img: np.ndarray) -> None:
        if not cv2.imwrite(str(self.screenshot), img):
            raise GestureError(f"cannot write the screenshot {self.screenshot}")
        self.shot_taken = True

    def close(self) -> None:
        if self.status:
            sys.stderr.write("\n")
        if self.window is not None:
            self.window.close()
