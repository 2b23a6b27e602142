"""Global hotkeys for corrections, so they work without the preview window (headless, or
with the slides in front): a pynput keyboard listener on its own thread.

    wrong   (default ctrl+alt+x)   the press was wrong, like x in the window
    missed  (default ctrl+alt+m)   a gesture should have fired; then its number, 1-9,
                                   like m in the window

Both are set in the key map's [corrections] table. The listener only puts commands on the
loop's queue (corrections.Commands); it never touches the model or the data itself.
"""
from __future__ import annotations

import threading

from ..errors import describe
from ..util import on_linux, pynput_backend, x_display
from .keymap import CORRECTION_KEYS
from .keynames import parse_key


def pynput_combo(combo: str) -> str:
    """'ctrl+alt+x' -> '<ctrl>+<alt>+x', the form pynput's HotKey.parse reads."""
    return "+".join(k if len(k) == 1 else f"<{k}>" for k in parse_key(combo))


class Hotkeys:
    def __init__(self, commands, keys: dict[str, str] | None = None):
        self.commands = commands
        self.keys = {**CORRECTION_KEYS, **(keys or {})}
        self._listener = None
        self._lock = threading.Lock()
        self._stopped = False
        self._thread: threading.Thread | None = None

    def start_soon(self, log=print) -> None:
        """start() on a thread of its own: importing pynput and connecting to the display take a
        tenth of a second or more, which the first frame need not wait for."""
        def go():
            why = self.start()
            log(why or f"correction hotkeys: {self.describe()}")
        self._thread = threading.Thread(target=go, name="hotkeys", daemon=True)
        self._thread.start()

    def start(self) -> str | None:
        """Start listening; None, or one line saying why hotkeys are off (the window's keys still work)."""
        if on_linux() and not x_display() and pynput_backend() != "uinput":
            return "correction hotkeys are off: no X display (DISPLAY is unset)"
        try:
            from pynput import (
                keyboard,  # lazy: the X backend connects to the display on import
            )

            hot = [keyboard.HotKey(keyboard.HotKey.parse(pynput_combo(combo)),
                                   lambda name=name: self.commands.put(name))
                   for name, combo in self.keys.items()]

            def press(key):
                k = listener.canonical(key)
                for h in hot:
                    h.press(k)
                char = getattr(k, "char", None)
                if char and char in "123456789" and len(char) == 1:
                    self.commands.put("pick", int(char))  # ignored unless `missed` is waiting

            def release(key):
                k = listener.canonical(key)
                for h in hot:
                    h.release(k)

            listener = keyboard.Listener(on_press=press, on_release=release)
            listener.start()
            listener.wait()
        except Exception as e:  # pynput raises ImportError, Xlib errors, OSError ... where it cannot listen
            return f"correction hotkeys are off ({describe(e)})"
        with self._lock:
            if self._stopped:  # the loop ended while this started
                listener.stop()
            else:
                self._listener = listener
        return None

    def describe(self) -> str:
        return f"{self.keys['wrong']}: that press was wrong; {self.keys['missed']} then 1-9: that gesture was missed"

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            listener, self._listener = self._listener, None
        if listener is not None:
            listener.stop()
