"""The loop's inbox: what reaches `gesture run` from outside the frame path (the preview's
keys, the global hotkeys, `gesture pause` over the control socket, a script), drained by the
loop between two frames so every change happens on its own thread."""
from __future__ import annotations

import queue


class Commands:
    """What the user tells the loop, from the preview window, the global hotkeys or a script:
    ("wrong",), ("missed",), ("pick", n) with n from 1. Thread-safe; the loop drains it per frame."""

    def __init__(self):
        self._q: queue.SimpleQueue = queue.SimpleQueue()

    def put(self, *cmd) -> None:
        self._q.put(tuple(cmd))

    def drain(self) -> list[tuple]:
        out = []
        while True:
            try:
                out.append(self._q.get_nowait())
            except queue.Empty:
                return out
