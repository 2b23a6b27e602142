"""Measures what an int8 landmark model would cost and save, before anyone ships one:
`python -m gesture.tools.quantize_landmarks DATASETS`.

ONNX Runtime's static quantisation (QDQ, int8 weights per channel, uint8 activations,
min-max calibration) of hand_landmark_lite, calibrated on the crops the float model reads
in hagrid-people (other people, other rooms), and scored on crops of sets it was not
calibrated on: finger-count set1 (one person, a grey wall), asl-frames (every fourth
frame; dim, bright, back-lit) and drone-gestures (every tenth; small hands). The first
convolution and the fully connected heads stay float (with them in int8 the median gap
was 0.80-0.96 px instead of 0.62-0.81). Prints, per set, the gap between the int8 and the float
landmarks in pixels of the 224-pixel crop the model reads (a hand fills about half of it),
and both models' time on one thread on this machine.

Measured on 2026-12-07 (2 cores of an Intel Xeon @ 2.80 GHz, AVX-512 VNNI; onnxruntime
1.32): median gap 0.80 px (finger-count), 0.62 (asl-frames), 0.73 (drone-gestures),
against a target of 0.5; int8 6.14 ms against float32 7.27 (1.18x; 1.17x on another run,
4.47 against 5.22 ms: this CPU's speed varies from run to run). The float model's own landmarks
move 0.9 px (median) between two identical frames read from slightly different crops, so
the gap is within its jitter, but the gain did not pay for a second landmark path (and a
new prior identity that every trained model would have to be retrained for). The issue
measured int8 at 1.58x on an AMD EPYC: run this there before deciding again. Needs onnx.
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from .. import prior
from ..data.dataset import scan
from ..data.images import read_image
from ..paths import WEIGHTS
from ..prior.hands import LANDMARK_MODEL
from ..util import ort_session

SETS = {"finger-count": ("finger-count", 1, "set1"), "asl-frames": ("asl-frames", 4, None),
        "drone-gestures": ("drone-gestures", 10, None)}


class Recorder:
    """A runner that keeps the last input it was given (HandTracker's runners are swappable)."""

    def __init__(self, runner):
        self.runner, self.last = runner, None

    def run(self, x: np.ndarray) -> list:
        self.last = x
        return self.runner.run(x)


def crops(folder: Path, every: int = 1, session: str | None = None) -> np.ndarray:
    """The (N, 224, 224, 3) float inputs the landmark model reads where the prior finds a hand."""
    tracker = prior.tracker(static=True)
    tracker.landmark = seen = Recorder(tracker.landmark)
    out = []
    samples = sorted((s for s in scan(folder).samples if session is None or s.session == session),
                     key=lambda s: str(s.path))[::every]
    for s in samples:
        frame = read_image(s.path)
        if frame is not None and tracker(frame) is not None:
            out.append(seen.last[0])
    return np.stack(out)


def float32_graph(path: Path):
    """The shipped model with its float16 weights made float32 (the quantiser reads float32)."""
    import onnx
    from onnx import numpy_helper

    m = onnx.load(str(path))
    inits = {i.name: i for i in m.graph.initializer}
    casts = [n for n in m.graph.node if n.op_type == "Cast" and n.input[0] in inits]
    for n in casts:
        m.graph.initializer.append(numpy_helper.from_array(
            numpy_helper.to_array(inits[n.input[0]]).astype(np.float32), n.output[0]))
        m.graph.node.remove(n)
    used = {i for n in m.graph.node for i in n.input}
    kept = [i for i in m.graph.initializer if i.name in used]
    del m.graph.initializer[:]
    m.graph.initializer.extend(kept)
    return m


def quantize(calibration: np.ndarray, out: Path) -> None:
    import onnx
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.it = iter(calibration)

        def get_next(self):
            x = next(self.it, None)
            return None if x is None else {"input_1": x[None]}

    m = float32_graph(WEIGHTS / LANDMARK_MODEL)
    source = out.with_suffix(".f32.onnx")
    onnx.save(m, str(source))
    keep = [n.name for n in m.graph.node if n.op_type == "Gemm"]
    keep.append(next(n.name for n in m.graph.node if n.op_type == "Conv"))
    quantize_static(str(source), str(out), Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                    activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8, nodes_to_exclude=keep)


def gap(a, b, x: np.ndarray) -> np.ndarray:
    """Per landmark, pixels of the crop between the two models' x, y."""
    d = [np.linalg.norm((a.run(None, {"input_1": c[None]})[0] - b.run(None, {"input_1": c[None]})[0])
                        .reshape(21, 3)[:, :2], axis=1) for c in x]
    return np.concatenate(d)


def ms(session, x: np.ndarray, runs: int = 200) -> float:
    for _ in range(20):
        session.run(None, {"input_1": x[:1]})
    t = []
    for _ in range(runs):
        a = time.perf_counter()
        session.run(None, {"input_1": x[:1]})
        t.append(time.perf_counter() - a)
    return float(np.median(t) * 1000)


def main(datasets: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "hand_landmark_lite.int8.onnx"
        calibration = crops(datasets / "hagrid-people")
        print(f"calibrating on {len(calibration)} hagrid-people crops ...", flush=True)
        quantize(calibration, out)
        ref, q = ort_session(str(WEIGHTS / LANDMARK_MODEL), 1), ort_session(str(out), 1)
        print(f"one thread: float32 {ms(ref, calibration):.2f} ms, int8 {ms(q, calibration):.2f} ms")
        for name, (folder, every, session) in SETS.items():
            x = crops(datasets / folder, every, session)
            g = gap(ref, q, x)
            print(f"{name}: {len(x)} crops, landmark gap (224-px crop) median {np.median(g):.2f} px, "
                  f"p95 {np.percentile(g, 95):.2f} px")


if __name__ == "__main__":
    if len(sys.argv) != 2 or not Path(sys.argv[1]).is_dir():
        sys.exit("usage: python -m gesture.tools.quantize_landmarks DATASETS (../shared/datasets)")
    main(Path(sys.argv[1]))
