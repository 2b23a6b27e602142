"""Key and mouse senders: pynput for real events (X11, or uinput), a dry run that logs them.
Each remembers what is down, so that every exit path can release it."""
from __future__ import annotations

import os

from ..errors import GestureError, describe
from ..util import on_linux, pynput_backend, x_display
from . import mouse
from .keynames import parse_key
from .mouse import BUTTON_PREFIX, parse_action


class KeySender:
    """Sends key and mouse events; remembers what is down (keys, and mouse buttons as
    "mouse.left") so that everything can always be released. A combo is what Rule.key holds:
    keys ("ctrl+shift+t") or one mouse action ("click", "scroll_down*3")."""

    def __init__(self):
        self.down: list[str] = []

    def _send(self, key: str, press: bool) -> None:
        raise NotImplementedError

    def _pointer(self):
        """The mouse: an object with button(name, press), click(name, count) and scroll(action)."""
        raise NotImplementedError

    def check(self, combo: str) -> None:
        """Raise ValueError if this sender cannot send every key of the combination."""

    def press(self, combo: str) -> None:
        action = parse_action(combo)
        if action is not None:
            if not action.holdable:
                raise ValueError(f"{combo} cannot be held down")  # the key map refuses such a rule
            self.down.append(BUTTON_PREFIX + action.button)
            self._pointer().button(action.button, True)
            return
        for k in parse_key(combo):
            self.down.append(k)  # before sending: if the send fails halfway, release_all still lets go
            self._send(k, True)

    def release(self, combo: str) -> None:
        action = parse_action(combo)
        if action is None:
            names = parse_key(combo)
        else:  # a scroll or a double click never stays down
            names = [BUTTON_PREFIX + action.button] if action.holdable else []
        for k in reversed(names):
            if k in self.down:
                self.down.remove(k)
                self._let_go(k)

    def tap(self, combo: str) -> None:
        action = parse_action(combo)
        if action is None:
            self.press(combo)
            self.release(combo)
        elif action.scroll:
            self._pointer().scroll(action)
        else:
            self._pointer().click(action.button, action.clicks)

    def release_all(self) -> None:
        while self.down:
            self._let_go(self.down.pop())

    def _let_go(self, name: str) -> None:
        if name.startswith(BUTTON_PREFIX):
            self._pointer().button(name[len(BUTTON_PREFIX):], False)
        else:
            self._send(name, False)


class DryRunSender(KeySender):
    """Sends nothing; keeps the log of what would have been sent (tests, --dry-run):
    (key, down), ("mouse.left", down) for a button, ("scroll_down*3", True) for a scroll."""

    def __init__(self):
        super().__init__()
        self.sent: list[tuple[str, bool]] = []
        self._mouse = mouse.DryPointer(self.sent)

    def _send(self, key: str, press: bool) -> None:
        self.sent.append((key, press))

    def _pointer(self) -> mouse.DryPointer:
        return self._mouse


NO_KEYS_HELP = ("use --dry-run to run without sending keys, run inside an X11 session (or XWayland), or use "
                "pynput's uinput backend for keys (PYNPUT_BACKEND_KEYBOARD=uinput PYNPUT_BACKEND_MOUSE=dummy, as "
                "root or in the input group; it has no mouse)")


class PynputSender(KeySender):
    def __init__(self):
        super().__init__()
        if on_linux() and pynput_backend() not in ("uinput", "dummy"):
            if not x_display():
                where = ("Wayland without XWayland" if os.environ.get("WAYLAND_DISPLAY")
                         else "no display (DISPLAY is unset)")
                raise GestureError(f"cannot send keys: {where}; {NO_KEYS_HELP}")
        try:
            from pynput import (
                keyboard,  # lazy: the X backend connects to the display on import
            )
            self._controller = keyboard.Controller()
        except Exception as e:  # pynput raises ImportError, Xlib errors, OSError... on a machine it cannot use
            raise GestureError(f"cannot send keys with pynput ({describe(e)}); "
                               f"{NO_KEYS_HELP}") from None
        self._keyboard = keyboard
        self._xorg = type(self._controller).__module__.endswith("_xorg")
        self._mouse: mouse.Pointer | None = None

    def _pointer(self) -> mouse.Pointer:
        if self._mouse is None:
            self._mouse = mouse.Pointer()  # a GestureError (one line) where pynput has no mouse
        return self._mouse

    def check(self, combo: str) -> None:
        if parse_action(combo) is not None:
            self._pointer()
            return
        for k in parse_key(combo):
            if len(k) > 1 and not hasattr(self._keyboard.Key, k):
                raise ValueError(f"key {k!r} does not exist on this platform's keyboard backend")

    def _send(self, key: str, press: bool) -> None:
        kb = self._keyboard
        if len(key) > 1:
            k = getattr(kb.Key, key)
        elif self._xorg:
            k = self._xtest_char(key, press)
            if k is None:
                return
        else:
            k = key
        (self._controller.press if press else self._controller.release)(k)

    def _xtest_char(self, char: str, press: bool):
        """On X, pynput types characters with XSendEvent, which many applications ignore as
        synthetic. A character on the keyboard map goes through XTest instead, like a real
        key: as a key code (with Shift held around it where the map needs Shift)."""
        code = ord(char)
        keysym = code if 0x20 <= code <= 0x7E or 0xA0 <= code <= 0xFF else 0x01000000 | code
        try:
            _, shift_state = self._controller.keyboard_mapping[keysym]
        except (KeyError, AttributeError, TypeError):
            return char  # not on the map: let pynput borrow a key code its own way
        if shift_state not in (0, 1):
            return char  # AltGr levels and the like: pynput knows best
        k = self._keyboard.KeyCode.from_vk(keysym)
        if shift_state and press:
            self._controller.press(self._keyboard.Key.shift)
            self._controller.press(k)
            return None
        if shift_state:
            self._controller.release(k)
            self._controller.release(self._keyboard.Key.shift)
            return None
        return k
