"""What `gesture run` reports when it stops: frames, frame rate, time per stage, events."""
from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

STAGES = ("read", "hand", "preprocess", "infer", "decide", "draw")


@dataclass
class Stats:
    times: dict = field(default_factory=lambda: {s: [] for s in STAGES})
    events: Counter = field(default_factory=Counter)
    frames: int = 0
    dropped: int = 0
    started: float = field(default_factory=time.perf_counter)
    first_frame_s: float | None = None  # from the package's import to the first classified frame
    wall: list = field(default_factory=list)  # perf_counter at the end of each frame
    trainings: list = field(default_factory=list)  # relearnings in this run (learner.py), with their wall span

    def summary(self) -> dict:
        wall = time.perf_counter() - self.started
        stages = {s: {"p50": round(float(np.percentile(v, 50)), 3), "p95": round(float(np.percentile(v, 95)), 3)}
                  for s, v in self.times.items() if v}
        per_frame = [sum(v) for v in zip(*(self.times[s] for s in STAGES if self.times[s]))]
        # The work this project does on a frame, without waiting for the camera or the file.
        work = [sum(v) for v in zip(*(self.times[s] for s in STAGES if s != "read" and self.times[s]))]
        return {
            "frames": self.frames, "fps": round(self.frames / wall, 1) if wall else 0.0,
            "dropped_stale_frames": self.dropped,
            "ms_per_frame": {"p50": round(float(np.percentile(per_frame, 50)), 3),
                             "p95": round(float(np.percentile(per_frame, 95)), 3)} if per_frame else {},
            "processing_ms_p50": round(float(np.percentile(work, 50)), 3) if work else None,
            "first_frame_s": None if self.first_frame_s is None else round(self.first_frame_s, 3),
            "stages_ms": stages, "events": dict(self.events),
            "trainings": [{**{k: v for k, v in r.items() if k not in ("started", "ended")},
                           **self.fps_between(r["started"], r["ended"])} for r in self.trainings],
        }

    def fps_between(self, start: float, end: float) -> dict:
        """Frame rate while something else ran (a relearning): the median over 1 s windows and the
        worst window; a window's rate is its frame intervals over their span, so a steady 30 fps
        reads 30.0 wherever the window falls."""
        t = np.array([w for w in self.wall if start <= w <= end])
        if len(t) < 2 or end - start < 1.0:
            return {"fps_median": None, "fps_worst": None, "frames_while": len(t)}
        rates = []
        for a in np.arange(start, end - 1.0 + 1e-9, 0.25):
            w = t[(t >= a) & (t < a + 1.0)]
            rates.append((len(w) - 1) / (w[-1] - w[0]) if len(w) > 2 else 0.0)
        return {"fps_median": round(float(np.median(rates)), 1), "fps_worst": round(float(min(rates)), 1),
                "frames_while": len(t)}


def format_summary(s: dict) -> str:
    lines = [f"{s['frames']} frames at {s['fps']} fps"
             + (f", {s['dropped_stale_frames']} stale camera frames dropped" if s["dropped_stale_frames"] else "")]
    if s["ms_per_frame"]:
        lines.append(f"per frame: {s['ms_per_frame']['p50']:.2f} ms median, {s['ms_per_frame']['p95']:.2f} ms p95; "
                     f"{s['processing_ms_p50']:.2f} ms median without reading the frame")
    lines.append("  " + "  ".join(f"{k} {v['p50']:.2f}/{v['p95']:.2f}" for k, v in s["stages_ms"].items())
                 + "  (ms, p50/p95)")
    lines.append("events: " + (", ".join(f"{k} {v}" for k, v in sorted(s["events"].items())) or "none"))
    return "\n".join(lines)
