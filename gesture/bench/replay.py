"""Scripted replays from real frames, for measuring the live loop end to end.

A replay is a real video file: segments of one label's frames (in time order), each frame
shown `hold` times, written with OpenCV at 30 fps and played back through `gesture run`
like any other clip. `score` reads the run's events against the script: how many frames
each gesture took to fire, and every press that should not have happened.
"""
from __future__ import annotations

import itertools
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..data.dataset import Sample
from ..data.images import read_image

FPS = 30.0


@dataclass(frozen=True)
class Segment:
    label: str
    start: int  # first frame of the segment in the replay
    length: int


def build(parts: list[tuple[str, list[Sample]]], hold: int = 1) -> tuple[list[np.ndarray], list[Segment]]:
    """Frames and segments for [(label, samples), ...]; every frame is repeated `hold` times."""
    frames, segments = [], []
    for label, samples in parts:
        start = len(frames)
        for s in samples:
            img = read_image(s.path)
            if img is not None:
                frames += [img] * hold
        segments.append(Segment(label, start, len(frames) - start))
    return frames, segments


def held(segments: list[Segment], hold: int) -> list[Segment]:
    """The segments of a replay built with hold=1, once every frame is shown `hold` times."""
    return [Segment(x.label, x.start * hold, x.length * hold) for x in segments]


def decide(probs: np.ndarray, labels: list[str], none_label: str | None, keys: dict[str, str],
           found: np.ndarray | None = None, fps: float = FPS) -> list[dict]:
    """Per-frame probabilities through the live loop's decision rules (live/decide.py's Decider with
    its default settings, a tap of `keys[g]` for each gesture), as the events `gesture run
    --log` writes: the peer is judged by exactly the rules gesture is. `found`: whether a hand
    was found in each frame, as the live loop tells the rules."""
    from ..live.decide import Decider, Rule

    decider = Decider(labels, none_label, rules={g: Rule(key=k) for g, k in keys.items()})
    events = []
    for i, p in enumerate(probs):
        hand = None if found is None else bool(found[i])
        events += [{"frame": i, "event": e.kind, "gesture": e.gesture} for e in decider.update(p, i / fps, hand=hand)]
    return events


def pad(frame: np.ndarray, size=(640, 480)) -> np.ndarray:
    """A smaller frame centred on a black 640x480 one: the hand stays small, as from a laptop
    (a larger one is shrunk to fit first)."""
    w, h = size
    fh, fw = frame.shape[:2]
    if fh > h or fw > w:
        f = min(w / fw, h / fh)
        frame = cv2.resize(frame, (min(w, round(fw * f)), min(h, round(fh * f))), interpolation=cv2.INTER_AREA)
        fh, fw = frame.shape[:2]
    top, left = (h - fh) // 2, (w - fw) // 2
    return cv2.copyMakeBorder(frame, top, h - fh - top, left, w - fw - left, cv2.BORDER_CONSTANT)


def segments_of(parts: list[tuple[str, int]]) -> list[Segment]:
    """Segments for [(label, frame count), ...] played one after the other (a synth: script)."""
    segments, start = [], 0
    for label, n in parts:
        segments.append(Segment(label, start, n))
        start += n
    return segments


def read_events(path: Path) -> list[dict]:
    """The JSON-lines event log a run wrote (`--log`); none if it never fired."""
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def write_video(frames: Iterable[np.ndarray], path: Path, fps: float = FPS) -> Path:
    """An mp4 of the frames, at the first frame's size; a generator is written as it renders."""
    frames = iter(frames)
    first = next(frames)
    h, w = first.shape[:2]
    vw = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    if not vw.isOpened():
        raise OSError(f"OpenCV cannot write {path}")
    for f in itertools.chain([first], frames):
        vw.write(f if f.shape[:2] == (h, w) else cv2.resize(f, (w, h)))
    vw.release()
    return path


def score(events: list[dict], segments: list[Segment], none_label: str | None, known: set[str]) -> dict:
    """Delays and wrong presses of a replay, from the run's event log (dicts with frame/event/gesture).

    A gesture segment whose label the model knows should fire that gesture; its delay is
    the frames from the segment's first frame to the first press; a second press of it in
    the same segment is flicker (with tap mode and no repeat_after). Any press during a
    no-gesture segment is false; any press during a segment of an unknown gesture is an
    open-set press; a press of a different gesture during a known segment is wrong.
    """
    fires = [e for e in events if e["event"] in ("tap", "press")]
    delays, missed, false, wrong, unknown, repeats = [], [], [], [], [], 0
    once = twice = 0  # known segments with exactly one press, of their own gesture; with two or more
    for seg in segments:
        inside = [e for e in fires if seg.start <= e["frame"] < seg.start + seg.length]
        if seg.label == none_label:
            false += inside
        elif seg.label not in known:
            unknown += inside
        else:
            right = [e for e in inside if e["gesture"] == seg.label]
            wrong += [e for e in inside if e["gesture"] != seg.label]
            once += len(inside) == 1 and len(right) == 1
            twice += len(inside) >= 2
            if right:
                delays.append(right[0]["frame"] - seg.start)
                repeats += len(right) - 1  # flicker: the gesture ended and fired again while still shown
            else:
                missed.append(seg)
    unknown_frames = sum(s.length for s in segments if s.label != none_label and s.label not in known)
    return {
        "delays": delays,
        "max_delay": max(delays) if delays else None,
        "median_delay": float(np.median(delays)) if delays else None,
        "missed": [s.label for s in missed],
        "false_presses": len(false),
        "false_by_gesture": dict(Counter(e["gesture"] for e in false)),  # what idle hands and empty scenes fired
        "wrong_presses": len(wrong),
        "repeat_presses": repeats,
        "once": once,  # segments that fired exactly once, as themselves
        "twice": twice,  # segments that fired two or more times
        "known_segments": sum(s.label in known and s.label != none_label for s in segments),
        "none_frames": sum(s.length for s in segments if s.label == none_label),
        "unknown_presses": len(unknown),
        "unknown_by_gesture": dict(Counter(e["gesture"] for e in unknown)),  # what the unknown shapes were taken for
        "unknown_frames": unknown_frames,
        "unknown_per_1000": 1000 * len(unknown) / unknown_frames if unknown_frames else None,
    }
