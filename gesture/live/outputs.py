"""Where a frame's events go, and which key map they go through.

    Sink    the sender (keys and mouse), the JSON-lines event log, the console, the run's
            counts, and the corrector (which press a correction is about)
    Focus   the key map of the window in focus, read on the watcher's thread off the frame
            path (controller.py switches the rules)
"""
from __future__ import annotations

import json

from .decide import Event
from .keymap import KeyMap
from .senders import KeySender


def apply(events: list[Event], sender: KeySender) -> None:
    for e in events:
        if e.kind == "tap":
            sender.tap(e.key)
        elif e.kind == "press":
            sender.press(e.key)
        elif e.kind == "release":
            sender.release(e.key)


class Sink:
    def __init__(self, sender: KeySender, events_file, say, stats, dry_run: bool, on_fire=None, map_name=None):
        # Every event is said, a line each, window or not: what was pressed is never a guess.
        self.sender, self.file, self.say, self.stats = sender, events_file, say, stats
        self.dry_run = dry_run
        self.last_key: str | None = None
        self.on_fire = on_fire  # fired(gesture, t): the corrector's note of each press
        self.map_name = map_name  # () -> the key map in force, logged with each event where there are several

    def emit(self, events: list[Event], index: int) -> None:
        apply(events, self.sender)
        for e in events:
            self.stats.events[e.kind] += 1
            fired = e.kind in ("tap", "press")
            if e.key and fired:
                self.last_key = e.key
            if self.on_fire and fired:
                self.on_fire(e.gesture, e.t)
            row = {"time": round(e.t, 4), "frame": index, "event": e.kind, "gesture": e.gesture, "key": e.key,
                   "confidence": round(e.confidence, 4)}
            if self.map_name is not None:
                row["map"] = self.map_name()
            if self.file:
                self.file.write(json.dumps(row) + "\n")
                self.file.flush()
            self.say(f"{e.t:8.2f}s  frame {index:>6}  {e.kind:<7} {e.gesture or '':<10} {e.key or '':<16} "
                     f"{e.confidence:.2f}" + (" (dry run)" if self.dry_run else ""))


class Focus:
    """The key map of the focused window: `switch` says when it changes (by map, not window)."""

    def __init__(self, keymap: KeyMap, watcher):
        self.keymap, self.watcher = keymap, watcher
        # The watcher's first answer is there now, so the first frame already uses the right map.
        self.seen = watcher.current if watcher else None
        self.name, self.rules = keymap.rules_for(self.seen)

    def switch(self) -> dict | None:
        """The new map's rules when the focus moved to a window with another map, else None. A new
        look at the focus, not every frame; by map, not window: a browser's title changes with
        every tab."""
        if not self.watcher or self.watcher.current is self.seen:
            return None
        self.seen = self.watcher.current
        name, rules = self.keymap.rules_for(self.seen)
        if name == self.name:
            return None
        self.name, self.rules = name, rules
        return rules
