"""Relearning behind the live loop: one worker thread, one training process at a time.

A correction (corrections.Recording) is handed over as soon as its frames are queued for
writing. The thread waits for them to be on disk, then runs relearn.py in its own,
lower-priority process, so the loop's core and memory stay its own. Corrections that
arrive meanwhile queue up: when a training ends and more were recorded, it runs once more
on everything. The new model is loaded on this thread too, and the loop takes it between
two frames (`take`), so the swap costs the loop nothing.

If training fails the running model stays, and `status` says why in one line. On quit a
training still running is terminated; relearn.py unwinds so that checkpoint.save leaves
no temporary file, and the checkpoint on disk is the old one or the new one, whole.
"""
from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Callable

from .corrections import Recording

SHOW_SECONDS = 6.0  # how long "updated: model v3" or a failure stays on the overlay


class Learner:
    def __init__(self, ckpt: Path, data: Path, load: Callable[[Path], object], version: int, log=print):
        self.ckpt, self.data, self.load, self.version, self.log = Path(ckpt), Path(data), load, version, log
        self._cond = threading.Condition()
        self._pending: list[Recording] = []
        self._ready = None  # a loaded model, waiting for the loop to take it
        self._busy = False
        self._stop = False
        self._proc: subprocess.Popen | None = None
        self._status: tuple[str, float] | None = None  # (text, shown until; inf while learning)
        self.trainings: list[dict] = []  # each training's result, for the summary and the benchmark
        self._thread = threading.Thread(target=self._run, name="learner", daemon=True)
        self._thread.start()

    def submit(self, rec: Recording) -> None:
        with self._cond:
            self._pending.append(rec)
            self._cond.notify()

    @property
    def status(self) -> str | None:
        """A line for the overlay: "learning ...", "updated: model v3", or why it failed."""
        s = self._status
        return s[0] if s and time.monotonic() < s[1] else None

    @property
    def busy(self) -> bool:
        with self._cond:
            return self._busy or bool(self._pending)

    def take(self):
        """The newly trained model once, if one is ready (else None)."""
        with self._cond:
            ready, self._ready = self._ready, None
            return ready

    def wait(self, timeout: float | None = None) -> bool:
        """Block until every submitted correction is learned (or failed); False on timeout."""
        end = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while self._busy or self._pending:
                left = None if end is None else end - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._cond.wait(left)
        return True

    def close(self) -> None:
        """Stop: every recording finishes writing; a running training is terminated, not waited for."""
        with self._cond:
            self._stop = True
            proc = self._proc
            self._cond.notify_all()
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:  # stuck in native code: it writes atomically, so killing is safe
                proc.kill()
        self._thread.join(timeout=30)
        for rec in self._take_pending():  # recorded but never trained on: on disk all the same
            self._finish(rec)

    def _take_pending(self) -> list[Recording]:
        with self._cond:
            recs, self._pending = self._pending, []
            return recs

    def _finish(self, rec: Recording) -> bool:
        written = rec.writer.close()
        if rec.writer.error is not None:
            self.log(f"{rec.what}: wrote {len(written)} of {rec.frames} frames to {rec.where}, "
                     f"then: {rec.writer.error}")
        return bool(written)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._pending and not self._stop:
                    self._cond.wait()
                if self._stop:
                    return
                self._busy = True
            try:
                recs = self._take_pending()
                # On disk, with their manifest lines, before training starts.
                if any([self._finish(rec) for rec in recs]):
                    self._train(", ".join(r.what for r in recs))
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def _failed(self, why: str) -> None:
        """One line, on the overlay for a while and in the log; the running model stays."""
        self._status = (f"relearning failed: {why}; still on model v{self.version}", time.monotonic() + SHOW_SECONDS)
        self.log(self._status[0])

    def _train(self, what: str) -> None:
        self._status = (f"learning ({what}) ...", float("inf"))
        self.log(f"learning from the correction ({what}) ...")
        t0, started = time.monotonic(), time.perf_counter()
        cmd = [sys.executable, "-m", "gesture.learn.relearn", str(self.ckpt), str(self.data)]
        result, last = None, ""
        with self._cond:
            if self._stop:
                return
            self._proc = proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            for line in proc.stdout:
                line = line.strip()
                try:
                    msg = json.loads(line)
                except ValueError:
                    last = line or last  # a warning or a traceback: its last line explains a failure
                    continue
                if "status" in msg:
                    self._status = (f"{msg['status']} ...", float("inf"))
                elif "ok" in msg:
                    result = msg
            proc.wait()
        finally:
            with self._cond:
                self._proc = None
        if self._stop:
            return
        if result is None or not result.get("ok"):
            self._failed((result or {}).get("error") or last
                         or f"the training process exited with code {proc.returncode}")
            return
        try:
            ready = self.load(self.ckpt)
        except Exception as e:  # a model it cannot load is a failure like any other: keep running the old one
            self._failed(f"cannot load the new model ({e})")
            return
        self.version = result["version"]
        result.update(wall_seconds=round(time.monotonic() - t0, 2), started=started, ended=time.perf_counter())
        self.trainings.append(result)
        with self._cond:
            self._ready = ready
        self._status = (f"updated: model v{self.version}", time.monotonic() + SHOW_SECONDS)
        self.log(f"updated: model v{self.version} ({result['wall_seconds']:.1f} s, {result['corrected_frames']} "
                 f"corrected frames of {result['frames']}; network {result['network']})")
