"""Readings in, events out: the one owner of the decision rules, the swipes, the focused
window's key map and pause. The live loop asks it and sends what it returns; nothing else
reaches into the rules. (control.py is another thing: the socket `gesture status` asks.)"""
from __future__ import annotations

from .decide import Decider, Event
from .outputs import Focus
from .overlay import Shown
from .swipes import Swipes


class Controller:
    def __init__(self, decider: Decider, swipes: Swipes | None, focus: Focus, say):
        self.decider, self.swipes, self.focus, self.say = decider, swipes, focus, say

    @property
    def paused(self) -> bool:
        return self.decider.paused

    def swipe(self, reading, shape, labels: list[str], t: float) -> tuple[list[Event], bool]:
        """The focused window's map first (what the old one held is released), then the swipe this
        frame ends, if any, and whether the hand is still (static gestures wait while it moves).
        A swipe counts as an activation for the rest rule."""
        events = []
        rules = self.focus.switch()
        if rules is not None:
            events += self.decider.set_rules(rules, t)
            self.say(f"map: {self.focus.name}")
        if self.swipes is None:
            return events, True
        top = labels[int(reading.probs.argmax())] if reading.hand is not None else None
        events += self.swipes.update(reading.hand, shape, top, t, self.decider.rules, self.decider.paused)
        if self.swipes.judged_at == t:
            self.decider.swiped()
        return events, not self.swipes.moving

    def decide(self, probs, t: float, still: bool, hand: bool | None) -> list[Event]:
        events = self.decider.update(probs, t, still, hand)
        for line in self.decider.news():  # a gesture held back, said once with why
            self.say(line)
        return events

    def pause(self, on: bool, t: float) -> list[Event]:
        return self.decider.set_paused(on, t)

    def close(self, t: float) -> list[Event]:
        return self.decider.close(t)

    def held_back(self) -> dict:
        return {f"{g}: {why}": n for (g, why), n in self.decider.held_back.items()}

    def shown(self, t: float, **view) -> Shown:
        """What the overlay shows of the rules now; `view` adds the frame rate, the hand, notes."""
        d = self.decider
        motion = self.swipes.shown(t) if self.swipes else None
        notes = (f"map: {self.focus.name}" if self.focus.keymap.apps else None, *view.pop("notes", ()))
        return Shown(tuple(d.labels), d.smoothed, d.active, d.waiting_for_rest, d.paused, motion=motion,
                     notes=notes, **view)
