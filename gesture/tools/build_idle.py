"""Rebuilds gesture/weights/idle_hands.npz from ../shared/datasets with the shipped hand prior
(scripts/build-prior runs it): `python -m gesture.tools.build_idle DATASETS OUT.npz`."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from .. import prior
from ..data.dataset import scan
from ..learn import landmarks
from ..model.livefile import write_npz
from ..prior.idle import IDLE_FILE, SETS


def build(datasets: Path, out: Path = IDLE_FILE) -> dict:
    points, source, counts = [], [], {}
    for i, name in enumerate(SETS):
        folder, label = name.split("/")
        samples = sorted((s for s in scan(datasets / folder).samples if s.label == label), key=lambda s: s.path.name)
        lms = landmarks.extract(samples, lambda: prior.tracker(static=True), prior.key(), cache=False, progress=True)
        points.append(lms.points[lms.found])
        source += [i] * int(lms.found.sum())
        counts[name] = (int(lms.found.sum()), len(samples))
    out.parent.mkdir(parents=True, exist_ok=True)
    # float16: a tenth of a pixel is far finer than the landmarks are accurate.
    write_npz(out, {"points": np.concatenate(points).astype(np.float16), "source": np.array(source, np.uint8)})
    return counts


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python -m gesture.tools.build_idle DATASETS OUT.npz")
    for name, (kept, total) in build(Path(sys.argv[1]), Path(sys.argv[2])).items():
        print(f"{name}: a hand in {kept} of {total} images")
