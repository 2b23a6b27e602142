"""Mouse actions in the key map: scrolling and clicking, next to keys.

A mouse action travels through the Decider as a plain string in `Rule.key` / `Event.key`,
so the live loop, the event log and `--dry-run` treat it like a key: "click",
"right_click", "middle_click", "double_click", "scroll_down" (one step) or "scroll_down*3"
(three steps). None of these names is a key name, so a string is a key or an action,
never both.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from ..errors import GestureError, describe
from ..util import x_display

# (dx, dy) of one step, in pynput's sense: dy > 0 scrolls up, dx > 0 scrolls right.
SCROLLS = {"scroll_up": (0, 1), "scroll_down": (0, -1), "scroll_left": (-1, 0), "scroll_right": (1, 0)}
# (button, clicks)
CLICKS = {"click": ("left", 1), "right_click": ("right", 1), "middle_click": ("middle", 1),
          "double_click": ("left", 2)}
ACTIONS = (*SCROLLS, *CLICKS)
MAX_AMOUNT = 100  # steps in one scroll: more is a typo, and would fling the page
# A scroll repeats while the gesture is held, unless the map says otherwise: one step per
# activation would need the hand to drop and come back for every three lines.
SCROLL_REPEAT = 0.15  # seconds
BUTTON_PREFIX = "mouse."  # a held button in KeySender.down: "mouse.left"

_ENCODED = re.compile(r"^([a-z_]+)(?:\*(\d+))?$")


class FieldError(ValueError):
    """A bad value in one field of a rule; the loader turns it into `path:line: message`."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class MouseAction:
    name: str  # one of ACTIONS
    amount: int = 1  # scroll steps

    @property
    def scroll(self) -> tuple[int, int] | None:
        """(dx, dy) for the whole action, or None for a click."""
        step = SCROLLS.get(self.name)
        return None if step is None else (step[0] * self.amount, step[1] * self.amount)

    @property
    def button(self) -> str | None:
        return CLICKS[self.name][0] if self.name in CLICKS else None

    @property
    def clicks(self) -> int:
        return CLICKS[self.name][1] if self.name in CLICKS else 0

    @property
    def holdable(self) -> bool:
        """Only a single click can be held down (a drag); a scroll or a double click has no 'down'."""
        return self.clicks == 1

    def encode(self) -> str:
        return self.name if self.amount == 1 else f"{self.name}*{self.amount}"


def parse_action(text: str) -> MouseAction | None:
    """The mouse action a Rule.key string names, or None when it is a key combination."""
    m = _ENCODED.match(text) if isinstance(text, str) else None
    if m is None or m.group(1) not in ACTIONS:
        return None
    amount = int(m.group(2) or 1)
    if m.group(2) and (m.group(1) not in SCROLLS or not 1 <= amount <= MAX_AMOUNT):
        raise ValueError(f"bad mouse action {text!r}")
    return MouseAction(m.group(1), amount)


def suggest(name: str, names=ACTIONS) -> str:
    """' (did you mean scroll_down?)' for a near miss, else ''."""
    close = difflib.get_close_matches(str(name).lower(), names, n=1, cutoff=0.75)
    return f" (did you mean {close[0]}?)" if close else ""


def check_fields(spec: dict, mode: str) -> tuple[MouseAction, dict]:
    """A long-form `mouse = ...` rule -> (action, defaults for the rule); raises FieldError."""
    name = spec["mouse"]
    if not isinstance(name, str) or name not in ACTIONS:
        hint = " (a mouse action cannot be combined with keys)" if isinstance(name, str) and "+" in name else ""
        raise FieldError("mouse", f"unknown mouse action {name!r}{hint or suggest(name)}; actions are "
                                  f"{', '.join(ACTIONS)}")
    amount = spec.get("amount", 1)
    if "amount" in spec and name not in SCROLLS:
        raise FieldError("amount", f"amount only applies to scroll actions, not {name}")
    if isinstance(amount, bool) or not isinstance(amount, int) or not 1 <= amount <= MAX_AMOUNT:
        raise FieldError("amount", f"amount must be a whole number of scroll steps from 1 to {MAX_AMOUNT}, "
                                   f"got {amount!r}")
    action = MouseAction(name, amount)
    if mode == "hold" and not action.holdable:
        why = ("it repeats while the gesture is held (every repeat_after seconds, "
               f"{SCROLL_REPEAT:g} by default)" if action.scroll else "use click with mode = \"hold\" to drag")
        raise FieldError("mode", f"{name} cannot be held; {why}")
    return action, {"repeat_after": SCROLL_REPEAT} if action.scroll else {}


def key_hint(name: str, combined: bool) -> str:
    """Why a key name that is really a mouse action is not a key, or ''."""
    base = name.split("*")[0]
    if base in ACTIONS:
        if combined:
            return f": {base} is a mouse action, which cannot be combined with keys"
        return f': write a scroll amount in the long form, mouse = "{base}" with amount = N'
    return ""


NO_MOUSE_HELP = ("use --dry-run, or run inside an X11 session (or XWayland): pynput's uinput backend "
                 "sends keys only")


class DryPointer:
    """Records in `sent` what a Pointer would send (DryRunSender's log)."""

    def __init__(self, sent: list):
        self.sent = sent

    def button(self, button: str, press: bool) -> None:
        self.sent.append((BUTTON_PREFIX + button, press))

    def click(self, button: str, count: int) -> None:
        for _ in range(count):
            self.button(button, True)
            self.button(button, False)

    def scroll(self, action: MouseAction) -> None:
        self.sent.append((action.encode(), True))


class Pointer:
    """pynput's mouse. Made on the first mouse action, not with the sender: a map of keys only
    never needs it, and pynput's uinput backend has keys but no mouse."""

    def __init__(self):
        try:
            from pynput import mouse  # the X backend connects to the display on import
            self._ctl, self._buttons = mouse.Controller(), mouse.Button
        except Exception as e:  # ImportError, Xlib errors, OSError... on a machine pynput cannot use
            where = "" if x_display() else "DISPLAY is unset; "
            raise GestureError(f"cannot send mouse actions with pynput ({describe(e)}); "
                               f"{where}{NO_MOUSE_HELP}") from None
        if type(self._ctl).__module__.endswith("_dummy"):  # it would accept every action and send none
            raise GestureError(f"cannot send mouse actions: pynput's mouse backend is the dummy one "
                               f"(PYNPUT_BACKEND_MOUSE=dummy); {NO_MOUSE_HELP}")

    def button(self, button: str, press: bool) -> None:
        (self._ctl.press if press else self._ctl.release)(getattr(self._buttons, button))

    def click(self, button: str, count: int) -> None:
        self._ctl.click(getattr(self._buttons, button), count)  # pynput sends a double click's two together

    def scroll(self, action: MouseAction) -> None:
        self._ctl.scroll(*action.scroll)  # pynput on X: one wheel click (button 4-7) per step
