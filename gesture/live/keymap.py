"""The key map: a TOML file of what each gesture does, parsed and checked (senders.py sends it).

    pause_gesture = "Y"         # optional: this gesture pauses and resumes firing, in every map
    require_rest = false        # optional: fire a gesture straight after another

    [gestures]
    V = "space"                 # shorthand: tap this key
    L = "scroll_down"           # shorthand: a mouse action (their names are never key names)

    [gestures.palm]
    key = "ctrl+shift+t"        # a key name, a character, or a combination
    mode = "hold"               # tap | hold
    threshold = 0.85            # optional, overrides --threshold
    cooldown = 0.5              # optional, seconds between activations
    repeat_after = 0.6          # optional, tap mode: repeat while held (0: never)

    [gestures.fist]
    mouse = "scroll_down"       # instead of key: scroll_up, scroll_down, scroll_left, scroll_right,
    amount = 3                  #   click, right_click, middle_click, double_click; amount: scroll
                                #   steps, 1 to 100 (default 1), scrolls only

    [apps."impress|powerpoint".gestures]   # optional: the map while such a window has focus
    V = "right"                 # same syntax as [gestures]: [apps."impress|powerpoint".gestures.palm] ...

    [gestures]                  # swipes (swipes.py) need no training, only a model with the hand prior:
    swipe_left = "left"         # swipe_left, swipe_right, swipe_up, swipe_down, as the mirrored
    swipe_up = { key = "up", shape = "palm" }   # preview shows them; shape: only with that hand shape

    [swipes]                    # optional: the swipe detector's settings (swipes.SwipeConfig)
    distance = 2.0              # hand sizes, and so on; each is checked against its limits

A scroll repeats every 0.15 s while its gesture is held (repeat_after = 0: once per
activation) and cannot be held. A click taps; held (mode = "hold") it presses the button on
activation and releases it at the end: a drag. A double click cannot be held.

An app pattern is a case-insensitive regular expression searched in the focused window's
WM_CLASS instance, class and title (apps.py; X11 only). The first match in file order
replaces [gestures] while that window has focus: a gesture it does not list does nothing.

Key names are checked without importing pynput (keynames.py).
"""
from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import GestureError
from . import mouse
from .apps import AppMap, WindowInfo, app_map, pick
from .decide import MIN_THRESHOLD, Rule
from .keynames import parse_key
from .swipes import LIMITS, SWIPES, SwipeConfig
from .swipes import check as check_swipe

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

MODES = ("tap", "hold")
RULE_FIELDS = {"key", "mouse", "amount", "mode", "threshold", "cooldown", "repeat_after", "shape"}
TOP_FIELDS = ("gestures", "apps", "pause_gesture", "require_rest", "corrections", "swipes")
CORRECTION_KEYS = {"wrong": "ctrl+alt+x", "missed": "ctrl+alt+m"}  # hotkeys.py; [corrections] changes them


@dataclass
class KeyMap:
    rules: dict[str, Rule]  # the default map: [gestures]
    require_rest: bool = True  # see DecisionConfig.rest
    apps: list[AppMap] = field(default_factory=list)  # [apps."PATTERN"], in file order
    corrections: dict[str, str] = field(default_factory=lambda: dict(CORRECTION_KEYS))  # global hotkeys
    swipes: SwipeConfig = field(default_factory=SwipeConfig)  # [swipes]

    @property
    def uses_swipes(self) -> bool:
        return any(g in SWIPES for _, g, _ in self.all_rules())

    @property
    def pause_gesture(self) -> str | None:
        return next((g for g, r in self.rules.items() if r.pause), None)

    def rules_for(self, window: WindowInfo | None) -> tuple[str, dict[str, Rule]]:
        """The map for the focused window: ("default", [gestures]) or (pattern, that app's rules)."""
        app = pick(self.apps, window)
        return ("default", self.rules) if app is None else (app.pattern, app.rules)

    def all_rules(self):
        """(map name, gesture, rule) for every map, to check each key against the sender up front."""
        for name, rules in [("default", self.rules), *((a.pattern, a.rules) for a in self.apps)]:
            for g, rule in rules.items():
                yield name, g, rule


_PART = r'(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|\'[^\']*\')'  # one TOML key: bare, "basic" or 'literal'
_PATH = rf"{_PART}(?:\s*\.\s*{_PART})*"
_HEADER = re.compile(rf"^\s*\[\s*({_PATH})\s*\]")
_ASSIGN = re.compile(rf"^\s*({_PATH})\s*=")


def _split(path: str) -> tuple[str, ...]:
    parts = re.findall(_PART, path)
    return tuple(tomllib.loads(f"k = {p}")["k"] if p[0] == '"' else p.strip("'") for p in parts)


class _Source:
    """Fails with `path:line: message`, the line being where a table or key is first written.
    Good for what key maps hold; a multi-line string could mislead it, never break it."""

    def __init__(self, path: Path, text: str):
        self.path = path
        self.at: dict[tuple[str, ...], int] = {}
        table: tuple[str, ...] = ()
        for n, line in enumerate(text.splitlines(), 1):
            if m := _HEADER.match(line):
                table, key = _split(m.group(1)), ()
            elif m := _ASSIGN.match(line):
                key = _split(m.group(1))
            else:
                continue
            full = table + key
            for i in range(1, len(full) + 1):
                self.at.setdefault(full[:i], n)

    def line(self, *key: str) -> int:
        """The line of the longest part of `key` that is written down; 1 if none is."""
        while key and key not in self.at:
            key = key[:-1]
        return self.at.get(key, 1)

    def fail(self, key: tuple[str, ...], msg: str):
        raise GestureError(f"{self.path}:{self.line(*key)}: {msg}")


def load_keymap(path: Path | str, labels: list[str], none_label: str | None, prior: bool = True) -> KeyMap:
    """Read and check a key map against the checkpoint's labels; errors name the file and line.
    `prior`: the model tracks the hand, so swipes can be read (a --from-scratch model does not)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise GestureError(f"cannot read key map {path}: {e.strerror or e}; write a starter one with "
                           f"`gesture run --write-keys {path}`") from None
    except UnicodeDecodeError as e:
        line = path.read_bytes()[:e.start].count(b"\n") + 1
        raise GestureError(f"{path}:{line}: not UTF-8 text (a TOML key map must be); save it as UTF-8") from None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise GestureError(f"{path}: not valid TOML: {e}") from None
    src = _Source(path, text)

    unknown_top = set(doc) - set(TOP_FIELDS)
    if unknown_top:
        k = min(unknown_top)
        src.fail((k,), f"unknown setting {k!r}; the file has [gestures], optional [apps.\"PATTERN\".gestures] "
                       "sections, optional [corrections] and [swipes], and optional pause_gesture and require_rest")
    apps = doc.get("apps", {})
    if not isinstance(apps, dict):
        src.fail(("apps",), 'apps must hold sections like [apps."firefox".gestures]')
    gestures = doc.get("gestures", {} if apps else None)
    if not isinstance(gestures, dict) or not (gestures or apps):
        src.fail(("gestures",), "no [gestures] table; map at least one gesture, e.g. [gestures] palm = \"right\"")
    clash = sorted(set(labels) & set(SWIPES))
    if clash:
        raise GestureError(f"the checkpoint has a class called {clash[0]!r}, which is the name of a built-in swipe; "
                           "rename that class's folder in the data and retrain")
    pause = doc.get("pause_gesture")
    if pause is not None and (pause not in labels or pause == none_label):
        src.fail(("pause_gesture",), f"pause_gesture {pause!r} is not a gesture the checkpoint knows"
                                     f"{did_you_mean(pause, [x for x in labels if x != none_label])}")

    def rules(table: dict, where: tuple[str, ...], ctx: str) -> dict[str, Rule]:
        out = {}
        for g, spec in table.items():
            if g in SWIPES and not prior:
                src.fail((*where, g), f"{ctx}{g}: swipes are read from the tracked hand, and this model has no hand "
                                      "prior (--from-scratch); retrain without --from-scratch, or remove the swipe")
            out[g] = _rule(g, spec, (*where, g), ctx, labels, none_label, src)
            if g == pause:
                src.fail((*where, g), f"{ctx}pause_gesture {pause!r} also fires a key; use one gesture for each "
                                       "(it pauses in every map)")
        if pause is not None:
            out[pause] = Rule(pause=True)
        return out

    default = rules(gestures, ("gestures",), "")
    app_maps = [app_map(pattern, section, src, rules) for pattern, section in apps.items()]
    rest = doc.get("require_rest", True)
    if not isinstance(rest, bool):
        src.fail(("require_rest",), f"require_rest must be true or false, got {rest!r}")
    return KeyMap(default, rest, app_maps, _corrections(doc.get("corrections", {}), src),
                  _swipes(doc.get("swipes", {}), src))


def _swipes(table, src: _Source) -> SwipeConfig:
    """[swipes] distance = 2.0, ...: the detector's settings, each within its limits."""
    if not isinstance(table, dict):
        src.fail(("swipes",), "swipes must be a table: [swipes] distance = 2.0")
    for name, v in table.items():
        if name not in LIMITS:
            src.fail(("swipes", name), f"unknown swipe setting {name!r}; [swipes] has {', '.join(LIMITS)}")
        why = check_swipe(name, v)
        if why:
            src.fail(("swipes", name), f"swipes.{why}")
    try:
        return SwipeConfig(**table)
    except ValueError as e:
        src.fail(("swipes",), f"swipes: {e}")


def _corrections(table, src: _Source) -> dict[str, str]:
    """[corrections] wrong = "ctrl+alt+x", missed = "ctrl+alt+m": the global correction hotkeys."""
    if not isinstance(table, dict):
        src.fail(("corrections",), 'corrections must be a table: [corrections] wrong = "ctrl+alt+x"')
    out = dict(CORRECTION_KEYS)
    for name, combo in table.items():
        if name not in CORRECTION_KEYS:
            src.fail(("corrections", name), f"unknown correction {name!r}; [corrections] has wrong and missed")
        try:
            keys = parse_key(combo)
        except ValueError as e:
            src.fail(("corrections", name), f"corrections.{name}: {e}")
        if len(keys) < 2:
            src.fail(("corrections", name), f"corrections.{name} = {combo!r} would fire on every press of that key; "
                                            "use a combination such as \"ctrl+alt+x\"")
        out[name] = combo
    return out


def did_you_mean(name, known: list[str]) -> str:
    """`; did you mean 'peace'?` for a near miss (a typo, another case), else nothing."""
    import difflib

    lower = {k.lower(): k for k in known}
    close = difflib.get_close_matches(str(name).lower(), list(lower), n=1, cutoff=0.7)
    return f"; did you mean {lower[close[0]]!r}?" if close else ""


def _action(g: str, spec: dict, mode: str, at: tuple[str, ...], ctx: str, src: _Source) -> tuple[str, dict]:
    """The key or mouse action an entry sends, checked, and the defaults a mouse action brings."""
    if "mouse" in spec:
        try:
            action, defaults = mouse.check_fields(spec, mode)
        except mouse.FieldError as e:
            src.fail((*at, e.field), f"{ctx}{g}: {e}")
        return action.encode(), defaults
    key = spec["key"]
    if isinstance(key, str) and key in mouse.ACTIONS:
        src.fail((*at, "key"), f'{ctx}{g}: {key} is a mouse action; write mouse = "{key}"')
    try:
        parse_key(key)
    except ValueError as e:
        src.fail((*at, "key"), f"{ctx}{g}: {e}")
    if "amount" in spec:
        src.fail((*at, "amount"), f"{ctx}{g}: amount only applies to scroll actions (mouse = \"scroll_down\")")
    return key, {}


def _rule(g: str, spec, at: tuple[str, ...], ctx: str, labels, none_label, src: _Source) -> Rule:
    """One gesture's entry, checked; `at` is its place in the file, `ctx` names an app section."""
    swipe = g in SWIPES
    gestures = [x for x in labels if x != none_label]  # what a rule, a shape or a "did you mean" may name
    if g not in labels and not swipe:
        src.fail(at, f"{ctx}gesture {g!r} is not one the checkpoint knows{did_you_mean(g, gestures + list(SWIPES))} "
                   f"({', '.join(gestures)}) nor a swipe ({', '.join(SWIPES)})")
    if g == none_label:
        src.fail(at, f"{ctx}{g!r} is the no-gesture class; it cannot fire a key")
    if isinstance(spec, str):
        spec = {"mouse": spec} if spec in mouse.ACTIONS else {"key": spec}
    if not isinstance(spec, dict):
        src.fail(at, f"{ctx}{g} must be a key (\"space\"), a mouse action (\"click\") or a table with key = ... "
                   "or mouse = ...")
    extra = set(spec) - RULE_FIELDS
    if extra:
        f = min(extra)
        src.fail((*at, f), f"{ctx}unknown field {f!r} for {g}; fields are {', '.join(sorted(RULE_FIELDS))}")
    if ("key" in spec) == ("mouse" in spec):
        src.fail(at, f"{ctx}{g} has " + ("both key and mouse; give one" if "key" in spec else "no key = ... "
                                       "(or mouse = ...)"))
    for f in ("mode", "threshold", "repeat_after") if swipe else ("shape",):
        if f in spec:
            src.fail((*at, f), f"{ctx}{g}: {f} " + ("does not apply to a swipe, which fires once at the end of its "
                                                     "motion" if swipe else "only applies to swipes"))
    shape = spec.get("shape")
    if shape is not None and shape not in gestures:
        src.fail((*at, "shape"), f"{ctx}{g}: shape {shape!r} is not a gesture the checkpoint knows"
                                 f"{did_you_mean(shape, gestures)} ({', '.join(gestures)})")
    mode = spec.get("mode", "tap")
    if mode not in MODES:
        src.fail((*at, "mode"), f"{ctx}{g}: mode must be tap or hold, got {mode!r}")
    key, defaults = _action(g, spec, mode, at, ctx, src)
    nums = dict(defaults)
    for f, lo, hi in (("threshold", MIN_THRESHOLD, 1.0), ("cooldown", 0.0, 3600.0), ("repeat_after", 0.05, 3600.0)):
        if f in spec:
            v = spec[f]
            off = f == "repeat_after" and v == 0 and not isinstance(v, bool)  # 0: never repeat
            if not off and (isinstance(v, bool) or not isinstance(v, (int, float)) or not lo <= v <= hi):
                also = "0 or " if f == "repeat_after" else ""
                src.fail((*at, f), f"{ctx}{g}: {f} must be {also}a number from {lo:g} to {hi:g}, got {v!r}")
            nums[f] = None if off else float(v)
    if "repeat_after" in spec and mode != "tap":
        src.fail((*at, "repeat_after"), f"{ctx}{g}: repeat_after only applies to mode = \"tap\"")
    return Rule(key=key, mode=mode, threshold=nums.get("threshold"), cooldown=nums.get("cooldown", 0.0),
                repeat_after=nums.get("repeat_after"), shape=shape)


STARTER_KEYS = ("right", "left", "space", "media_play_pause", "up", "down")
# The starter model's map: slides and media, from shapes nobody makes by accident. An open
# palm, a flat "stop" hand, a fist and one pointing finger are what hands do at rest, on the
# way to the mouse or while talking: they stay unmapped.
STARTER_MODEL_KEYS = {"peace": "right", "rock": "left", "ok": "media_play_pause", "call": "media_next"}


def starter_keymap(labels: list[str], none_label: str | None, preset: dict | None = None) -> str:
    """A commented key map for the checkpoint's gestures, to edit; `preset` maps some of them
    (the starter model's), the others are written commented out."""
    gestures = [g for g in labels if g != none_label]
    out = [
        "# gesture key map: the key or mouse action each gesture sends. Edit, then run:",
        "#   gesture run --keys THIS_FILE",
        "# A key is a name (space, enter, right, left, up, down, page_up, page_down, esc, tab,",
        "# media_play_pause, media_next, media_previous, media_volume_up, f1..f20, ...), a single",
        "# character (\"a\", \"1\"), or a combination (\"ctrl+shift+t\").",
        "# A mouse action instead of a key: scroll_up, scroll_down, scroll_left, scroll_right (they",
        "# repeat while the gesture is held), click, right_click, middle_click, double_click.",
        "# Optional per gesture, in the long form below: mode = \"tap\" (default) or \"hold\" (a held",
        "# click drags), threshold = 0.85, cooldown = 0.5 (seconds), repeat_after = 0.6 (tap, while",
        "# held; 0 never), amount = 3 (scroll steps).",
        f"# The no-gesture class ({none_label or 'none'}) never fires and cannot be mapped.",
        "",
        "# pause_gesture = \"GESTURE\"   # one gesture may pause and resume all firing",
        "# require_rest = false        # fire a gesture straight after another, without a rest",
        "#                             # (the no-gesture class) between them: faster, more false fires",
        "",
        "[gestures]",
    ]
    for i, g in enumerate(gestures):
        if preset is not None:
            key = preset.get(g)
        else:
            key = STARTER_KEYS[i] if i < len(STARTER_KEYS) else None
        out.append(f'{g} = "{key}"' if key else f'# {g} = "KEY"')
    out += ["", "# Swipes need no training, only a model with the hand prior (the default): the hand",
            "# moving left, right, up or down as the mirrored preview shows it. For example:",
            '# swipe_left = "left"', '# swipe_right = "right"', '# swipe_up = { key = "up", shape = "GESTURE" }',
            "# [swipes] tunes them (distance = 1.5 hand sizes, speed = 4.0 a second, ...; see README)"]
    out += ["", "# The long form, for example:", "# [gestures.NAME]", '# key = "space"', '# mode = "hold"',
            "# threshold = 0.85", "# cooldown = 0.5", "", "# [gestures.NAME]", '# mouse = "scroll_down"',
            "# amount = 3", "",
            "# A map for some applications only (X11), used instead of [gestures] while the focused",
            "# window's class or title matches the pattern (a case-insensitive regular expression; the",
            "# first match wins). Gestures it does not list do nothing there:",
            '# [apps."firefox|chromium".gestures]', '# NAME = "scroll_down"', "",
            "# The global hotkeys of gesture run's corrections (in its window also x, and m then 1-9):",
            "# [corrections]", '# wrong = "ctrl+alt+x"        # that press was wrong',
            '# missed = "ctrl+alt+m"       # that gesture should have fired; then its number, 1-9', ""]
    return "\n".join(_toml_key(line) for line in out)


def _toml_key(line: str) -> str:
    """Quote gesture names that are not bare TOML keys (e.g. '3' is fine, 'thumbs up' is not)."""
    m = re.match(r"^([^#=\s][^=]*?) = ", line)
    if m and not re.fullmatch(r"[A-Za-z0-9_-]+", m.group(1)):
        return f'"{m.group(1)}"' + line[len(m.group(1)):]
    return line
