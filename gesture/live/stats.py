"""What `gesture run` reports when it stops: frames, frame rate, time per stage, events."""
from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

# Each named for what it times: reading the frame; the corrections' tick (recent frames, a
# relearned model); the recogniser's three; the swipes; the decision rules; sending keys;
# and the rest (the window, the correction keys, `gesture status`).
STAGES = ("read", "corrections", "hand", "preprocess", "infer", "swipes", "decide", "send", "draw")
RECOGNISE = ("hand", "preprocess", "infer")  # one span in the loop, split by the Reading's own timings


@dataclass
class Stats:
    times: dict = field(default_factory=lambda: {s: [] for s in STAGES})
    events: Counter = field(default_factory=Counter)
    frames: int = 0
    dropped: int = 0
    first_frame_s: float | None = None  # from the package's import to the first classified frame
    wall: list = field(default_factory=list)  # perf_counter at the end of each frame
    arrival: list = field(default_factory=list)  # a file played in real time: when each frame was due
    trainings: list = field(default_factory=list)  # relearnings in this run (learner.py), with their wall span

    def frame(self, t0: float, ends: dict, reading, due: float | None, started: float) -> None:
        """One frame's work by stage, in ms: `ends` maps each stage of STAGES (in order, with
        "recognise" for RECOGNISE's span) to the perf_counter at its end; t0 is the frame's start."""
        prev = t0
        for stage, end in ends.items():
            if stage == "recognise":
                for name, ms in zip(RECOGNISE, (reading.hand_ms, reading.preprocess_ms, reading.infer_ms)):
                    self.times[name].append(ms)
            else:
                self.times[stage].append((end - prev) * 1000)
            prev = end
        self.wall.append(prev)
        if due is not None:
            self.arrival.append(due)
        self.frames += 1
        if self.first_frame_s is None:
            self.first_frame_s = time.perf_counter() - started

    def summary(self) -> dict:
        # Frames over the span they were processed in, the rate the overlay shows too (not the
        # start-up before the first frame, which `first_frame_s` reports).
        span = self.wall[-1] - self.wall[0] if len(self.wall) > 1 else 0.0
        stages = {s: {"p50": round(float(np.percentile(v, 50)), 3), "p95": round(float(np.percentile(v, 95)), 3)}
                  for s, v in self.times.items() if v}
        per_frame = [sum(v) for v in zip(*(self.times[s] for s in STAGES if self.times[s]))]
        # The work this project does on a frame, without waiting for the camera or the file.
        work = [sum(v) for v in zip(*(self.times[s] for s in STAGES if s != "read" and self.times[s]))]
        return {
            "frames": self.frames, "fps": round((self.frames - 1) / span, 1) if span else 0.0,
            "dropped_stale_frames": self.dropped,
            "ms_per_frame": {"p50": round(float(np.percentile(per_frame, 50)), 3),
                             "p95": round(float(np.percentile(per_frame, 95)), 3)} if per_frame else {},
            "processing_ms_p50": round(float(np.percentile(work, 50)), 3) if work else None,
            # The mean: what a battery pays, where a few frames cost much more than the median one.
            "processing_ms_mean": round(float(np.mean(work)), 3) if work else None,
            "first_frame_s": None if self.first_frame_s is None else round(self.first_frame_s, 3),
            "stages_ms": stages, "events": dict(self.events),
            "trainings": [{**{k: v for k, v in r.items() if k not in ("started", "ended")},
                           **self.fps_between(r["started"], r["ended"])} for r in self.trainings],
            # A file played in real time: the same rates over the whole run, to compare with.
            "realtime": self.fps_between(self.arrival[0], self.arrival[-1]) if self.arrival else None,
        }

    def fps_between(self, start: float, end: float) -> dict:
        """Frame rate while something else ran (a relearning): the median over 1 s windows and the
        worst window.

        For a file played in real time, each window counts the frames that were due in that
        second, less those a camera would have dropped (finished more than a frame's time after
        they were due: the next frame was already there), so a loop that keeps up reads the
        clip's own rate whatever the timer's jitter. Otherwise: frames finished per second."""
        wall = np.array(self.wall)
        if self.arrival:
            due = np.array(self.arrival)
            period = float(np.median(np.diff(due))) if len(due) > 1 else 0.0
            kept = (wall - due) <= period
            t = due
        else:
            kept, t = np.ones(len(wall), bool), wall
        inside = (t >= start) & (t <= end)
        if inside.sum() < 2 or end - start < 1.0:
            return {"fps_median": None, "fps_worst": None, "frames_while": int(inside.sum())}
        rates = [int(np.count_nonzero(kept & (t >= a) & (t < a + 1.0)))
                 for a in np.arange(start, end - 1.0 + 1e-9, 0.25)]
        return {"fps_median": float(np.median(rates)), "fps_worst": float(min(rates)),
                "frames_while": int(inside.sum()), "late_frames": int(np.count_nonzero(inside & ~kept))}


def format_summary(s: dict) -> str:
    lines = [f"{s['frames']} frames at {s['fps']} fps"
             + (f", {s['dropped_stale_frames']} stale camera frames dropped" if s["dropped_stale_frames"] else "")]
    if s["ms_per_frame"]:
        lines.append(f"per frame: {s['ms_per_frame']['p50']:.2f} ms median, {s['ms_per_frame']['p95']:.2f} ms p95; "
                     f"{s['processing_ms_p50']:.2f} ms median without reading the frame")
    lines.append("  " + "  ".join(f"{k} {v['p50']:.2f}/{v['p95']:.2f}" for k, v in s["stages_ms"].items())
                 + "  (ms, p50/p95)")
    lines.append("events: " + (", ".join(f"{k} {v}" for k, v in sorted(s["events"].items())) or "none"))
    for what, n in (s.get("held_back") or {}).items():
        lines.append(f"held back for {n} frames: {what}")
    if s.get("trainings"):
        lines.append(f"relearned {len(s['trainings'])} time(s) from corrections, "
                     f"now model v{s['trainings'][-1]['version']}: "
                     + ", ".join(f"{r['wall_seconds']:.1f} s" for r in s["trainings"]))
    return "\n".join(lines)
