"""The key map (TOML) and the key sender.

    [gestures]
    V = "space"                 # shorthand: tap this key

    [gestures.palm]
    key = "ctrl+shift+t"        # a key name, a character, or a combination
    mode = "hold"               # tap | hold
    threshold = 0.85            # optional, overrides --threshold
    cooldown = 0.5              # optional, seconds between activations
    repeat_after = 0.6          # optional, tap mode: repeat while held

    pause_gesture = "Y"         # optional, at the top: this gesture pauses and resumes firing
    require_rest = false        # optional, at the top: fire a gesture straight after another

Key names are checked without importing pynput, because pynput's X backend connects to
the display at import time and would fail (with a traceback) on a machine without one.
"""
from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from .errors import GestureError
from .smoothing import MIN_THRESHOLD, Rule

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

# pynput.keyboard.Key members, the same on every platform pynput supports.
KEY_NAMES = frozenset(
    "alt alt_l alt_r alt_gr backspace caps_lock cmd cmd_l cmd_r ctrl ctrl_l ctrl_r delete down end enter esc "
    "home left page_down page_up right shift shift_l shift_r space tab up media_play_pause media_volume_mute "
    "media_volume_down media_volume_up media_previous media_next insert menu num_lock pause print_screen "
    "scroll_lock".split() + [f"f{i}" for i in range(1, 21)]
)
ALIASES = {"return": "enter", "escape": "esc", "control": "ctrl", "win": "cmd", "super": "cmd", "del": "delete",
           "pgup": "page_up", "pgdown": "page_down", "plus": "+", "play_pause": "media_play_pause"}
MODES = ("tap", "hold")
RULE_FIELDS = {"key", "mode", "threshold", "cooldown", "repeat_after"}


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
            raise ValueError(f"unknown key {part.strip()!r} (names like space, right, ctrl, media_play_pause, f5, "
                             "or a single character)")
        keys.append(name)
    return tuple(keys)


@dataclass
class KeyMap:
    rules: dict[str, Rule]
    require_rest: bool = True  # see DecisionConfig.rest

    @property
    def pause_gesture(self) -> str | None:
        return next((g for g, r in self.rules.items() if r.pause), None)


def _line_of(text: str, gesture: str, field: str | None = None) -> int:
    """The line a gesture (or one of its fields) is written on, for error messages."""
    lines = text.splitlines()
    name = re.escape(gesture)
    quoted = f'(?:{name}|"{name}"|\'{name}\')'
    header = re.compile(rf"^\s*\[\s*gestures\s*\.\s*{quoted}\s*\]")
    for i, line in enumerate(lines):
        if header.match(line):
            if field is None:
                return i + 1
            for j in range(i + 1, len(lines)):
                if lines[j].lstrip().startswith("["):
                    break
                if re.match(rf"^\s*{re.escape(field)}\s*=", lines[j]):
                    return j + 1
            return i + 1
    short = re.compile(rf"^\s*{quoted}\s*=")
    for i, line in enumerate(lines):
        if short.match(line):
            return i + 1
    if field:
        for i, line in enumerate(lines):
            if re.match(rf"^\s*{re.escape(field)}\s*=", line) and gesture in line:
                return i + 1
    return 1


def load_keymap(path: Path | str, labels: list[str], none_label: str | None) -> KeyMap:
    """Read and check a key map against the checkpoint's labels; errors name the file and line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise GestureError(f"cannot read key map {path}: {e.strerror or e}; write a starter one with "
                           f"`gesture run --write-keys {path}`") from None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise GestureError(f"{path}: not valid TOML: {e}") from None

    def fail(line: int, msg: str):
        raise GestureError(f"{path}:{line}: {msg}")

    gestures = doc.get("gestures")
    if not isinstance(gestures, dict) or not gestures:
        fail(1, "no [gestures] table; map at least one gesture, e.g. [gestures] palm = \"right\"")
    unknown_top = set(doc) - {"gestures", "pause_gesture", "require_rest"}
    if unknown_top:
        k = sorted(unknown_top)[0]
        fail(_line_of(text, k), f"unknown setting {k!r}; the file has [gestures] and optional pause_gesture "
                                "and require_rest")
    rules: dict[str, Rule] = {}
    for g, spec in gestures.items():
        line = _line_of(text, g)
        if g not in labels:
            fail(line, f"gesture {g!r} is not one the checkpoint knows ({', '.join(l for l in labels if l != none_label)})")
        if g == none_label:
            fail(line, f"{g!r} is the no-gesture class; it cannot fire a key")
        if isinstance(spec, str):
            spec = {"key": spec}
        if not isinstance(spec, dict):
            fail(line, f"{g} must be a key (\"space\") or a table with key = ...")
        extra = set(spec) - RULE_FIELDS
        if extra:
            f = sorted(extra)[0]
            fail(_line_of(text, g, f), f"unknown field {f!r} for {g}; fields are {', '.join(sorted(RULE_FIELDS))}")
        if "key" not in spec:
            fail(line, f"{g} has no key = ...")
        try:
            parse_key(spec["key"])
        except ValueError as e:
            fail(_line_of(text, g, "key"), f"{g}: {e}")
        mode = spec.get("mode", "tap")
        if mode not in MODES:
            fail(_line_of(text, g, "mode"), f"{g}: mode must be tap or hold, got {mode!r}")
        nums = {}
        for f, lo, hi in (("threshold", MIN_THRESHOLD, 1.0), ("cooldown", 0.0, 3600.0), ("repeat_after", 0.05, 3600.0)):
            if f in spec:
                v = spec[f]
                if isinstance(v, bool) or not isinstance(v, (int, float)) or not lo <= v <= hi:
                    fail(_line_of(text, g, f), f"{g}: {f} must be a number from {lo:g} to {hi:g}, got {v!r}")
                nums[f] = float(v)
        if "repeat_after" in nums and mode != "tap":
            fail(_line_of(text, g, "repeat_after"), f"{g}: repeat_after only applies to mode = \"tap\"")
        rules[g] = Rule(key=spec["key"], mode=mode, threshold=nums.get("threshold"),
                        cooldown=nums.get("cooldown", 0.0), repeat_after=nums.get("repeat_after"))
    pause = doc.get("pause_gesture")
    if pause is not None:
        line = _line_of(text, "pause_gesture")
        if pause not in labels or pause == none_label:
            fail(line, f"pause_gesture {pause!r} is not a gesture the checkpoint knows")
        if pause in rules:
            fail(line, f"pause_gesture {pause!r} also fires a key; use one gesture for each")
        rules[pause] = Rule(pause=True)
    rest = doc.get("require_rest", True)
    if not isinstance(rest, bool):
        fail(_line_of(text, "require_rest"), f"require_rest must be true or false, got {rest!r}")
    return KeyMap(rules, rest)


STARTER_KEYS = ("right", "left", "space", "media_play_pause", "up", "down")


def starter_keymap(labels: list[str], none_label: str | None) -> str:
    """A commented key map for the checkpoint's gestures, to edit."""
    gestures = [g for g in labels if g != none_label]
    out = [
        "# gesture key map: which key each gesture presses. Edit, then run:",
        "#   gesture run --keys THIS_FILE",
        "# A key is a name (space, enter, right, left, up, down, page_up, page_down, esc, tab,",
        "# media_play_pause, media_next, media_previous, media_volume_up, f1..f20, ...), a single",
        "# character (\"a\", \"1\"), or a combination (\"ctrl+shift+t\").",
        "# Optional per gesture, in the long form below: mode = \"tap\" (default) or \"hold\",",
        "# threshold = 0.85, cooldown = 0.5 (seconds), repeat_after = 0.6 (tap, while held).",
        f"# The no-gesture class ({none_label or 'none'}) never fires and cannot be mapped.",
        "",
        "# pause_gesture = \"GESTURE\"   # one gesture may pause and resume all firing",
        "# require_rest = false        # fire a gesture straight after another, without a rest",
        "#                             # (the no-gesture class) between them: faster, more false fires",
        "",
        "[gestures]",
    ]
    for i, g in enumerate(gestures):
        key = STARTER_KEYS[i] if i < len(STARTER_KEYS) else None
        out.append(f'{g} = "{key}"' if key else f'# {g} = "KEY"')
    out += ["", "# The long form, for example:", "# [gestures.NAME]", '# key = "space"', '# mode = "hold"',
            "# threshold = 0.85", "# cooldown = 0.5", ""]
    return "\n".join(_toml_key(line) for line in out)


def _toml_key(line: str) -> str:
    """Quote gesture names that are not bare TOML keys (e.g. '3' is fine, 'thumbs up' is not)."""
    m = re.match(r"^([^#=\s][^=]*?) = ", line)
    if m and not re.fullmatch(r"[A-Za-z0-9_-]+", m.group(1)):
        return f'"{m.group(1)}"' + line[len(m.group(1)):]
    return line


class KeySender:
    """Sends key events; remembers what is down so that everything can always be released."""

    def __init__(self):
        self.down: list[str] = []

    def _send(self, key: str, press: bool) -> None:
        raise NotImplementedError

    def check(self, combo: str) -> None:
        """Raise ValueError if this sender cannot send every key of the combination."""

    def press(self, combo: str) -> None:
        for k in parse_key(combo):
            self.down.append(k)  # before sending: if the send fails halfway, release_all still lets go
            self._send(k, True)

    def release(self, combo: str) -> None:
        for k in reversed(parse_key(combo)):
            if k in self.down:
                self.down.remove(k)
                self._send(k, False)

    def tap(self, combo: str) -> None:
        self.press(combo)
        self.release(combo)

    def release_all(self) -> None:
        while self.down:
            self._send(self.down.pop(), False)


class DryRunSender(KeySender):
    """Sends nothing; keeps the log of what would have been sent (tests, --dry-run)."""

    def __init__(self):
        super().__init__()
        self.sent: list[tuple[str, bool]] = []

    def _send(self, key: str, press: bool) -> None:
        self.sent.append((key, press))


NO_KEYS_HELP = ("use --dry-run to run without sending keys, run inside an X11 session (or XWayland), or use "
                "pynput's uinput backend (PYNPUT_BACKEND=uinput, as root or in the input group)")


class PynputSender(KeySender):
    def __init__(self):
        super().__init__()
        backend = os.environ.get("PYNPUT_BACKEND_KEYBOARD") or os.environ.get("PYNPUT_BACKEND")
        if sys.platform.startswith("linux") and backend not in ("uinput", "dummy"):
            if not os.environ.get("DISPLAY"):
                where = "Wayland without XWayland" if os.environ.get("WAYLAND_DISPLAY") else "no display (DISPLAY is unset)"
                raise GestureError(f"cannot send keys: {where}; {NO_KEYS_HELP}")
        try:
            from pynput import keyboard  # lazy: the X backend connects to the display on import
            self._controller = keyboard.Controller()
        except Exception as e:  # pynput raises ImportError, Xlib errors, OSError... on a machine it cannot use
            raise GestureError(f"cannot send keys with pynput ({type(e).__name__}: {str(e).splitlines()[0][:100] if str(e) else ''}); "
                               f"{NO_KEYS_HELP}") from None
        self._keyboard = keyboard
        self._xorg = type(self._controller).__module__.endswith("_xorg")

    def check(self, combo: str) -> None:
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
