"""Corrections while the loop runs (corrections.py records, learner.py relearns): one object
the loop ticks once a frame.

    tick     keep the frame among the last seconds, act on the user's commands (x, m, a
             number, the hotkeys), and take a relearned model if one is ready: the swap
             happens here, between two frames
    collect  --collect: keep the frames the model hesitated on
    close    every correction is on disk; a training still running is stopped
"""
from __future__ import annotations

from .commands import Commands
from .corrections import Collector, Corrector
from .hotkeys import Hotkeys
from .learner import Learner


class Teacher:
    def __init__(self, commands: Commands, corrector: Corrector | None = None, learner: Learner | None = None,
                 hotkeys: Hotkeys | None = None, collector: Collector | None = None, wait: bool = False, say=print):
        self.commands, self.corrector, self.learner = commands, corrector, learner
        self.hotkeys, self.collector, self.wait, self.say = hotkeys, collector, wait, say

    @property
    def on(self) -> bool:
        return self.corrector is not None

    def notes(self) -> tuple:
        return (self.learner.status if self.learner else None, self.corrector.prompt if self.corrector else None)

    def tick(self, frame, t: float, model):
        """The model to use from this frame on: `model`, or the relearned one."""
        if self.corrector is None:
            return model
        self.corrector.frame(frame, t)
        return self.take(t, model)

    def take(self, t: float, model):
        for cmd in self.commands.drain():
            rec = self.corrector.command(cmd, t) if self.corrector else None
            if rec is not None:
                self.learner.submit(rec)
        if self.learner is None:
            return model
        if self.wait and self.learner.busy:
            self.learner.wait()
        new = self.learner.take()
        if new is None:
            return model
        if new.live.labels == model.live.labels:
            return new
        # relearn.py keeps the labels; a model swapped by hand is not taken mid-run
        self.say(f"the new model's labels differ ({', '.join(new.live.labels)}); restart gesture run to use it")
        return model

    def fired(self, gesture: str, t: float) -> None:
        if self.corrector:
            self.corrector.fired(gesture, t)

    def collect(self, frame, probs, t: float) -> None:
        if self.collector:
            self.collector.frame(frame, probs, t)

    def close(self, stats, log) -> None:
        if self.hotkeys:
            self.hotkeys.stop()
        if self.learner:
            if self.learner.busy and not self.wait:
                log("quitting while learning: the corrections are saved; the next `gesture train` (or a "
                    "correction in the next run) learns them")
            self.learner.close()
            stats.trainings = self.learner.trainings
        if self.collector:
            note = self.collector.close()
            if note:
                log(note)
