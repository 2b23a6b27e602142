"""From per-frame class probabilities to stable gesture events.

    smooth     an exponential moving average of the probabilities
    activate   a gesture (never the no-gesture class) whose smoothed probability stays at or
               above its threshold for K consecutive frames and at least `confirm` seconds
    end        when its smoothed probability falls below the lower release threshold
               (hysteresis: a wobble around the threshold cannot flicker it on and off)

    rest       after a gesture ends, the next one can activate only once the no-gesture
               class has been on top for `rest_time` seconds, sure of it or with no hand in
               view: the hand lowered or gone. One flickered frame (a moving hand the
               tracker lost for a moment) is no rest, so a gesture held while it moves fires once

An activation becomes a key event according to the gesture's rule: `tap` once (and again
every `repeat_after` seconds while held), or `hold` (press on activation, release at the
end); `cooldown` spaces activations out. While paused nothing fires, and a held key is
released. Time comes from the frame timestamps, so a replayed file decides exactly as
it did the first time.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from ..config import REST_LEVEL

# Below this an active gesture's release level (threshold - 0.05 at most) could sit so low
# that an unsure model never drops under it, and a held key would never be released.
MIN_THRESHOLD = 0.3
MAX_SECONDS = 2.0  # the longest rest_time or confirm: beyond it a gesture feels dead, not careful
EPS = 1e-6  # frame times are sums of floats: 3 frames at 30 fps must count as 0.1 s
# Why a gesture that led at its threshold did not fire (Decider.held_back, said once).
REST = "waiting for a rest (lower the hand, or take it out of view, for --rest-time seconds)"
MOVING = "the hand was moving (a swipe may be starting)"
COOLDOWN = "its cooldown in the key map"
NO_HAND = "no hand was found in the frame (the whole-frame network's reading alone fires nothing)"


@dataclass(frozen=True)
class DecisionConfig:
    # Threshold and release were chosen on held-out still frames (asl-frames block fold 1);
    # alpha and the rest on real frames in time order (finger-count, trained on set1, shown
    # set2 as presentations: docs/design-decisions.md). There a reading flickers from frame
    # to frame; 0.4 halved the wrong-gesture presses of 0.6 (2 against 4 of 29) at two frames
    # more median delay, and set2 -> set1, never looked at, fired all 48 once either way.
    alpha: float = 0.4  # weight of the newest frame in the moving average
    threshold: float = 0.5  # smoothed probability that can activate a gesture ...
    frames: int = 2  # ... for this many consecutive frames (K)
    release: float = 0.25  # below this the active gesture ends
    # A rest (the no-gesture class on top) between activations: without it a gesture can
    # flicker off and fire a second time. The price: switching straight from one gesture to
    # another waits for a rest.
    rest: bool = True
    # How sure the no-gesture class must be (smoothed) for a frame to count towards a rest,
    # while a hand is in view: a dark, unsure frame inside a shape must not re-arm it. With
    # no hand in view any lead of the no-gesture class counts: the hand is gone.
    rest_level: float = REST_LEVEL
    # How long (seconds) it must stay so. A hand that moves while it holds a gesture is lost
    # by the tracker for a frame or two, and the whole-frame network calls those frames
    # no-gesture: a one-frame rest fired 3 of 4 held gestures twice on real webcam
    # sessions. 0.3 s (9 frames at 30 fps) outlasts such a loss and fits in the half second
    # a person lowers a hand between two gestures.
    rest_time: float = 0.3
    # How long (seconds) a gesture must lead at its threshold before it fires, on top of
    # `frames` (gesture run --confirm). Off by default: on real frames in time order a
    # reading that flickers restarts the count, and 0.1 s missed 11 of 29 presentations.
    confirm: float = 0.0
    # Whether a frame with no hand found (the whole-frame network's reading alone) may fire,
    # where the model has a hand prior (gesture run --hand-only turns it off). On by default:
    # on asl-frames' late, back-lit frames the prior found a hand in 38% of them, and firing
    # from hands only missed 4 of 20 presentations against 2, with no key from the empty
    # room either way (docs/design-decisions.md).
    handless: bool = True

    def __post_init__(self):
        if not 0 < self.alpha <= 1:
            raise ValueError(f"alpha must be in (0, 1], got {self.alpha}")
        if not MIN_THRESHOLD <= self.threshold <= 1:
            raise ValueError(f"threshold must be between {MIN_THRESHOLD} and 1, got {self.threshold}")
        if self.frames < 1:
            raise ValueError(f"frames must be at least 1, got {self.frames}")
        if not 0 <= self.rest_level <= 1:
            raise ValueError(f"rest_level must be between 0 and 1, got {self.rest_level}")
        for name in ("rest_time", "confirm"):
            if not 0 <= getattr(self, name) <= MAX_SECONDS:
                raise ValueError(f"{name} must be between 0 and {MAX_SECONDS} seconds, got {getattr(self, name)}")


@dataclass(frozen=True)
class Rule:
    """What one gesture does, from the key map."""
    # A key combination ("ctrl+shift+t") or a mouse action ("click", "scroll_down*3", see
    # mouse.py); the sender tells them apart. None: recognised and shown, but fires nothing.
    key: str | None = None
    mode: str = "tap"  # tap | hold
    threshold: float | None = None  # overrides DecisionConfig.threshold
    cooldown: float = 0.0  # seconds from one activation to the next
    repeat_after: float | None = None  # tap mode: tap again every this many seconds while held
    pause: bool = False  # toggles pausing instead of pressing a key
    shape: str | None = None  # swipes only: the hand shape (a class of the model) the swipe must be made with


@dataclass
class Event:
    kind: str  # tap | press | release | pause | resume
    gesture: str | None
    key: str | None
    confidence: float
    t: float


@dataclass
class Decider:
    labels: list[str]
    none_label: str | None
    cfg: DecisionConfig = field(default_factory=DecisionConfig)
    rules: dict[str, Rule] = field(default_factory=dict)

    def __post_init__(self):
        self.smoothed: np.ndarray | None = None
        self.active: str | None = None
        self.paused = False
        self._streak: tuple[str | None, int, float] = (None, 0, 0.0)  # gesture on top, frames, since when
        self._rest_since: float | None = None  # when the frames that count towards a rest began
        self._armed = True  # a rest seen since the last activation (or nothing activated yet)
        self._last_activation: dict[str, float] = {}
        self._last_tap = 0.0
        self._holding: str | None = None  # the key pressed for the active gesture, if any
        # Frames on which a gesture led at its threshold and did not fire, by (gesture, why):
        # a user whose gesture never fires is told why, once (news), and in the run's summary.
        self.held_back: Counter = Counter()
        self._told: set = set()

    def threshold(self, gesture: str) -> float:
        rule = self.rules.get(gesture)
        return rule.threshold if rule and rule.threshold is not None else self.cfg.threshold

    @property
    def waiting_for_rest(self) -> bool:
        """Nothing can activate until the no-gesture class has been confidently on top."""
        return self.cfg.rest and self.none_label is not None and not self._armed and self.active is None

    def release_level(self, gesture: str) -> float:
        # Never above the activation threshold, or a gesture could end the moment it starts.
        return min(self.cfg.release, self.threshold(gesture) - 0.05)

    def update(self, probs, t: float, still: bool = True, hand: bool | None = None) -> list[Event]:
        """`still` False (the hand is moving: swipes.py) holds activations back; an active gesture
        still ends as usual. `hand`: whether the hand prior found a hand in this frame (None:
        no prior, a --from-scratch model)."""
        p = np.asarray(probs, np.float64)
        a = self.cfg.alpha
        self.smoothed = p.copy() if self.smoothed is None else a * p + (1 - a) * self.smoothed
        events: list[Event] = []
        if self.active is not None:
            i = self.labels.index(self.active)
            if self.smoothed[i] < self.release_level(self.active):
                events += self._end(t)
            else:
                events += self._repeat(t)
        if self.active is None:
            self._track_rest(t, hand)
        if self.active is None and still and (hand is not False or self.cfg.handless):
            events += self._maybe_activate(t)
        elif self.active is None:
            self._streak = (None, 0, t)
            self._hold_back(MOVING if not still else NO_HAND)
        return events

    def _hold_back(self, why: str) -> None:
        g, conf = self._top()
        if g != self.none_label and conf >= self.threshold(g):
            self.held_back[g, why] += 1

    def _top(self) -> tuple[str, float]:
        top = int(np.argmax(self.smoothed))
        return self.labels[top], float(self.smoothed[top])

    def news(self) -> list[str]:
        """One line for each gesture and reason held back for the first time since the start."""
        new = [k for k in self.held_back if k not in self._told]
        self._told.update(new)
        return [f"{g} was recognised but held back: {why}" for g, why in new]

    def _track_rest(self, t: float, hand: bool | None) -> None:
        """A rest: the no-gesture class on top for rest_time seconds without a break, and on each
        of those frames either sure of it (rest_level) or with no hand in view. An empty room in
        light the model never saw reads no-gesture at 0.6: the hand is gone all the same, and a
        rest that never came held every later gesture back. A moving hand can rest too (one
        lowered to the desk moves)."""
        g, conf = self._top()
        if g != self.none_label or (conf < self.cfg.rest_level and hand is not False):
            self._rest_since = None
            return
        if self._rest_since is None:
            self._rest_since = t
        if t - self._rest_since >= self.cfg.rest_time - EPS:
            self._armed = True

    def swiped(self) -> None:
        """A swipe fired: it counts as an activation, so with the rest rule the shape the hand
        ends in waits for a rest before it can fire a static key."""
        self._armed, self._streak, self._rest_since = False, (None, 0, 0.0), None

    def _maybe_activate(self, t: float) -> list[Event]:
        g, conf = self._top()
        if g == self.none_label or conf < self.threshold(g) or self.waiting_for_rest:
            self._streak = (None, 0, t)
            if self.waiting_for_rest:
                self._hold_back(REST)
            return []
        n, since = (self._streak[1] + 1, self._streak[2]) if self._streak[0] == g else (1, t)
        self._streak = (g, n, since)
        if n < self.cfg.frames or t - since < self.cfg.confirm - EPS:
            return []
        rule = self.rules.get(g, Rule())
        last = self._last_activation.get(g)
        if last is not None and t - last < rule.cooldown:
            self._hold_back(COOLDOWN)
            return []
        self.active, self._streak, self._armed, self._rest_since = g, (None, 0, t), False, None
        self._last_activation[g] = t
        if rule.pause:
            return self.set_paused(not self.paused, t, g, conf)
        if self.paused or rule.key is None:
            return []
        if rule.mode == "hold":
            self._holding = rule.key
            return [Event("press", g, rule.key, conf, t)]
        self._last_tap = t
        return [Event("tap", g, rule.key, conf, t)]

    def _repeat(self, t: float) -> list[Event]:
        rule = self.rules.get(self.active, Rule())
        if self.paused or rule.key is None or rule.mode != "tap" or not rule.repeat_after:
            return []
        if t - self._last_tap >= rule.repeat_after:
            self._last_tap = t
            return [Event("tap", self.active, rule.key, self._conf(self.active), t)]
        return []

    def _end(self, t: float) -> list[Event]:
        g, self.active = self.active, None
        return self._release(g, t)

    def _release(self, g: str | None, t: float) -> list[Event]:
        if self._holding is None:
            return []
        key, self._holding = self._holding, None
        return [Event("release", g, key, self._conf(g) if g else 0.0, t)]

    def _conf(self, g: str) -> float:
        return float(self.smoothed[self.labels.index(g)]) if self.smoothed is not None else 0.0

    def set_paused(self, paused: bool, t: float, gesture: str | None = None, confidence: float = 0.0) -> list[Event]:
        """Pause or resume firing (the preview's p key, or the pause gesture); pausing releases a held key."""
        if paused == self.paused:
            return []
        self.paused = paused
        events = self._release(self.active, t) if paused else []
        return events + [Event("pause" if paused else "resume", gesture, None, confidence, t)]

    def set_rules(self, rules: dict[str, Rule], t: float) -> list[Event]:
        """Swap the key map between frames (another application took the focus). A held key is
        released and the active gesture ends, so nothing held in one application carries into
        the next; with the rest rule, a gesture still shown then waits for a rest before the
        new map can fire it (the gesture that switched windows must not fire again there)."""
        # No re-arming here: an activation disarmed the rest rule, and only a rest re-arms it.
        events = self._end(t) if self.active is not None else []
        self.rules = rules
        self._streak = (None, 0, t)
        return events

    def close(self, t: float) -> list[Event]:
        """End of the run: release whatever is held."""
        return self._end(t)
