"""Key names as pynput knows them, checked without importing pynput (its X backend connects to
the display at import time and would fail, with a traceback, on a machine without one)."""
from __future__ import annotations

from . import mouse

# pynput.keyboard.Key members, the same on every platform pynput supports.
KEY_NAMES = frozenset(
    "alt alt_l alt_r alt_gr backspace caps_lock cmd cmd_l cmd_r ctrl ctrl_l ctrl_r delete down end enter esc "
    "home left page_down page_up right shift shift_l shift_r space tab up media_play_pause media_volume_mute "
    "media_volume_down media_volume_up media_previous media_next insert menu num_lock pause print_screen "
    "scroll_lock".split() + [f"f{i}" for i in range(1, 21)]
)
ALIASES = {"return": "enter", "escape": "esc", "control": "ctrl", "win": "cmd", "super": "cmd", "del": "delete",
           "pgup": "page_up", "pgdown": "page_down", "plus": "+", "play_pause": "media_play_pause"}
NAMES = sorted(KEY_NAMES | set(mouse.ACTIONS))  # for "did you mean"

def parse_key(text: str) -> tuple[str, ...]:
    """'ctrl+shift+t' -> ('ctrl', 'shift', 't'); raises ValueError naming the bad part."""
    if not isinstance(text, str) or not text:
        raise ValueError("a key must be a non-empty string")
    parts = [text] if text == "+" else text.split("+")
    keys = []
    for part in parts:
        name = part.strip()
        if len(name) == 1:
            keys.append(name)
            continue
        name = ALIASES.get(name.lower(), name.lower())
        if name not in KEY_NAMES and len(name) != 1:
            raise ValueError(f"unknown key {part.strip()!r}" + (mouse.key_hint(name, len(parts) > 1) or (
                f"{mouse.suggest(name, NAMES)}; keys are names like space, right, ctrl, media_play_pause, f5, "
                "or a single character")))
        keys.append(name)
    return tuple(keys)
