"""Which application has focus, and which key map applies to it.

The key map's `[apps."PATTERN".gestures]` sections (parsed in keymap.py) are `AppMap`s: the
first whose pattern matches the focused window replaces the top-level map. A pattern is a
case-insensitive regular expression searched in the window's WM_CLASS instance, its
WM_CLASS class and its title, each on its own, so `^vlc$` means "the class is vlc".

`FocusWatcher` reads the focused window on X11 a few times a second on its own thread, so
the frame loop only reads `.current` and never waits for the X server. Only X11 can be
asked: on Wayland only XWayland windows are seen, and macOS and Windows have no watcher.
"""
from __future__ import annotations

import contextlib
import re
import sys
import threading
from dataclasses import dataclass

from ..errors import describe
from ..util import x_display
from .decide import Rule

NEED_X11 = "per-application maps need X11; only the default map applies"
POLL_S = 0.25  # seconds between looks at the focus: an app switch takes effect this late at most
MAX_DEPTH = 16  # parents walked up from the focus to the application's window


@dataclass(frozen=True)
class WindowInfo:
    wm_class: str  # WM_CLASS class: "firefox", "libreoffice-impress", "vlc"
    title: str  # _NET_WM_NAME, else WM_NAME
    instance: str = ""  # WM_CLASS instance: "Navigator", "libreoffice"

    def fields(self) -> tuple[str, str, str]:
        return self.instance, self.wm_class, self.title


@dataclass
class AppMap:
    pattern: str  # as written in the key map; also the map's name on the overlay
    regex: re.Pattern
    rules: dict[str, Rule]

    def matches(self, window: WindowInfo) -> bool:
        return any(self.regex.search(f) for f in window.fields() if f)


def pick(apps: list[AppMap], window: WindowInfo | None) -> AppMap | None:
    """The first app map (in file order) that matches the window; None: the default map."""
    if window is None:
        return None
    return next((a for a in apps if a.matches(window)), None)


def app_map(pattern: str, section, src, rules) -> AppMap:
    """One [apps."PATTERN"] section of the key map, checked: `src.fail(key, message)` names the
    file and line, and `rules` checks its gestures as it does [gestures]."""
    name, at = f'[apps."{pattern}"]', ("apps", pattern)
    if not isinstance(section, dict) or not isinstance(section.get("gestures", {}), dict):
        src.fail(at, f'{name} must be a table of gestures: [apps."{pattern}".gestures] palm = "space"')
    extra = set(section) - {"gestures"}
    if extra:
        k = min(extra)
        src.fail((*at, k), f'unknown setting {k!r} in {name}; its gestures go in '
                                        f'[apps."{pattern}".gestures]')
    if "gestures" not in section:
        src.fail(at, f'{name} has no gestures; write them in [apps."{pattern}".gestures]')
    if not pattern.strip():
        src.fail(at, "an empty app pattern matches every window; the map for other windows is [gestures]")
    try:
        regex = re.compile(pattern, re.IGNORECASE)
    except re.error as e:
        src.fail(at, f"app pattern {pattern!r} is not a valid regular expression: {e}")
    return AppMap(pattern, regex, rules(section["gestures"], ("apps", pattern, "gestures"), f"{name} "))


def _text(value) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value or ""


def focused_window(display, atoms: dict) -> WindowInfo | None:
    """The application window that has focus: _NET_ACTIVE_WINDOW where a window manager sets
    it, else the input focus, walked up to the first window with a class or a title (the
    focus is often on a toolkit's child window). Xlib errors propagate to the caller."""
    from Xlib import X

    root = display.screen().root
    active = root.get_full_property(atoms["_NET_ACTIVE_WINDOW"], X.AnyPropertyType)
    if active is not None and len(active.value) and active.value[0]:
        win = display.create_resource_object("window", int(active.value[0]))
    else:
        win = display.get_input_focus().focus  # a Window, or X.NONE / X.PointerRoot as ints
    for _ in range(MAX_DEPTH):
        if not hasattr(win, "query_tree") or win.id == root.id:
            return None
        wm_class = win.get_wm_class()
        name = win.get_full_property(atoms["_NET_WM_NAME"], atoms["UTF8_STRING"])
        title = _text(name.value) if name is not None else _text(win.get_wm_name())
        if wm_class or title:
            instance, cls = wm_class or ("", "")
            return WindowInfo(_text(cls), title, _text(instance))
        win = win.query_tree().parent
    return None


class FocusWatcher:
    """Polls the focused window on a daemon thread; `.current` is the latest WindowInfo (or None)."""

    def __init__(self, display, interval: float = POLL_S, log=print):
        self._display = display
        self._interval = interval
        self._log = log
        self._lock = threading.Lock()
        self._stop = threading.Event()
        # Errors on requests without a reply would otherwise be printed by python-xlib.
        display.set_error_handler(lambda *a: None)
        self._atoms = {n: display.intern_atom(n) for n in ("_NET_ACTIVE_WINDOW", "_NET_WM_NAME", "UTF8_STRING")}
        self._current: WindowInfo | None = None
        self._poll()  # the first answer before start() returns: the first frame already uses the right map
        self._thread = threading.Thread(target=self._run, name="focus", daemon=True)
        self._thread.start()

    @classmethod
    def start(cls, log=print, interval: float = POLL_S) -> FocusWatcher | None:
        """A running watcher, or None (after saying so once) where there is no X display to ask."""
        if sys.platform in ("darwin", "win32") or not x_display():
            log(NEED_X11)
            return None
        conn = None
        try:
            from Xlib import display as xdisplay

            conn = xdisplay.Display()
            return cls(conn, interval, log)
        except Exception as e:  # no python-xlib, a display that refuses us, a server gone at once
            if conn is not None:
                with contextlib.suppress(Exception):
                    conn.close()
            log(f"{NEED_X11} ({describe(e)})")
            return None

    @property
    def current(self) -> WindowInfo | None:
        with self._lock:
            return self._current

    def _poll(self) -> bool:
        """One look at the focus; False once the X connection is gone."""
        from Xlib import error

        try:
            window = focused_window(self._display, self._atoms)
        except error.ConnectionClosedError:
            return False
        except Exception:
            # A window that closes between two requests (BadWindow, BadDrawable...) is normal:
            # keep the last answer rather than flick to the default map for one poll, which
            # would release a held key for nothing.
            return True
        with self._lock:
            self._current = window
        return True

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            if not self._poll():
                self._log("lost the X display; the key map stays as it was")
                return

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        if not self._thread.is_alive():  # never close the connection under a request in flight
            with contextlib.suppress(Exception):  # already closed by the server going away
                self._display.close()
