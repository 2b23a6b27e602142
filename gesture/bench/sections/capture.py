"""`gesture bench --only capture`: frames per second through `gesture capture`."""
from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from ..common import (
    Context,
    Figure,
)


def figures(ctx: Context) -> list[Figure]:
    """Frames per second through `gesture capture` from a 640x480 video: read, queue, JPEG, manifest."""
    from ...capture.record import CaptureConfig, capture
    from ...capture.synth import parse_script, scripted_frames
    from .. import replay

    n, repeats = ctx.pick(300, 100, 40), 3
    with tempfile.TemporaryDirectory() as tmp:
        clip = replay.write_video((f for f, _ in scripted_frames(parse_script(f"palm x{n}, seed=5, size=640x480"))),
                                  Path(tmp) / "clip.mp4")
        rates = []
        for r in range(repeats):
            cfg = CaptureConfig("palm", count=n, source=str(clip), data=Path(tmp) / f"data{r}", session="bench",
                                fps=0, preview=False)
            t = time.perf_counter()
            res = capture(cfg, log=lambda *a: None, progress=False)
            rates.append(len(res.written) / (time.perf_counter() - t))
    return [Figure("capture", "capture write rate, 640x480 video", statistics.median(rates), "frames/s",
                   better="higher", detail=f"median of {repeats} captures of {n} frames from an mp4v file, JPEG "
                                           "quality 95, headless; a camera delivers 30")]
