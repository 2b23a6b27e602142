"""The shipped MediaPipe hand models (gesture/weights/*.onnx, made by scripts/build-prior):
they load in ONNX Runtime, keep the tflite's names and shapes, and see a real hand."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from gesture.tools.tflite_ops import same_pads as _same_pads

WEIGHTS = Path(__file__).resolve().parents[1] / "gesture" / "weights"


def test_import_costs_nothing():
    # The converter is build-time only: importing it must not pull in tflite or onnx.
    code = "import sys, gesture.tools.tflite_onnx; print(sorted({'tflite', 'onnx'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_same_padding_puts_the_odd_pixel_at_the_end():
    # 192 -> 96 with a 5x5 kernel, stride 2: 3 pixels of padding, 1 before and 2 after.
    assert _same_pads([192, 192], [96, 96], [5, 5], [2, 2], [1, 1], True) == [1, 1, 2, 2]
    assert _same_pads([96, 96], [96, 96], [5, 5], [1, 1], [1, 1], True) == [2, 2, 2, 2]
    assert _same_pads([112, 112], [56, 56], [2, 2], [2, 2], [1, 1], False) == [0, 0, 0, 0]


@pytest.fixture(scope="module")
def sessions():
    ort = pytest.importorskip("onnxruntime", reason="onnxruntime is not installed (scripts/build-prior installs it)")
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    return {stem: ort.InferenceSession(str(WEIGHTS / f"{stem}.onnx"), opts, providers=["CPUExecutionProvider"])
            for stem in ("palm_detection_lite", "hand_landmark_lite")}


def test_names_and_shapes_are_the_tflite_ones(sessions):
    io = {stem: ([(i.name, i.shape) for i in s.get_inputs()], [(o.name, o.shape) for o in s.get_outputs()])
          for stem, s in sessions.items()}
    assert io["palm_detection_lite"] == ([("input_1", [1, 192, 192, 3])],
                                         [("Identity", [1, 2016, 18]), ("Identity_1", [1, 2016, 1])])
    # landmarks (x, y, z in input pixels), presence, handedness, world landmarks (metres).
    assert io["hand_landmark_lite"] == ([("input_1", [1, 224, 224, 3])],
                                        [("Identity", [1, 63]), ("Identity_1", [1, 1]),
                                         ("Identity_2", [1, 1]), ("Identity_3", [1, 63])])


def _frame(path, size):
    import cv2

    image = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
    return cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA)[None].astype(np.float32) / 255


def test_a_real_hand_is_seen_and_a_grey_image_is_not(sessions, datasets):
    palm, hand = sessions["palm_detection_lite"], sessions["hand_landmark_lite"]
    frame = datasets / "asl-frames" / "B" / "B1040.jpg"  # a flat palm filling the frame
    # Inputs are RGB in [0, 1] for both models.
    _, scores = palm.run(None, {"input_1": _frame(frame, 192)})
    _, grey_scores = palm.run(None, {"input_1": np.full((1, 192, 192, 3), 0.5, np.float32)})
    assert scores.max() > 2.0 > 0 > grey_scores.max()  # raw logits: > 0 is a palm
    landmarks, presence, _, _ = hand.run(None, {"input_1": _frame(frame, 224)})
    _, grey_presence, _, _ = hand.run(None, {"input_1": np.full((1, 224, 224, 3), 0.5, np.float32)})
    assert presence.item() > 0.9 and grey_presence.item() < 0.1
    xy = landmarks.reshape(21, 3)[:, :2]
    assert (xy > 0).all() and (xy < 224).all()
