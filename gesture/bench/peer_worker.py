"""MediaPipe hand landmarks for the benchmark's peer, run inside .venv-peer (never imported by gesture).

mediapipe==0.10.21 pins numpy<2 and its own OpenCV build, which clash with this project's,
so `gesture bench` starts this file with .venv-peer's Python and talks to it over pipes.
It imports only mediapipe and numpy.

Protocol, little-endian, on stdin/stdout:
  start:    worker writes  u32 n + n bytes of UTF-8: "mediapipe <version>"
  request:  client writes  u32 height, u32 width + height*width*3 bytes of BGR uint8;
            height 0 ends the worker
  reply:    worker writes  u8 found, f32 ms, 63 x f32 landmarks (21 points x (x, y, z),
            normalised image coordinates; zeros when no hand was found)

ms is the time of MediaPipe's hand pipeline on that frame (palm detection and landmarks),
colour conversion included, measured here so that pipe overhead is not charged to it.

Usage: python peer_worker.py [--complexity 0|1] [--video]
  --complexity 0 is MediaPipe's lite landmark model, 1 the full one;
  --video tracks the hand between frames (palm detection only when tracking is lost), as a
  live app does; without it every frame is a still image, as in a dataset.
"""
import os
import struct
import sys
import time

os.environ.setdefault("GLOG_minloglevel", "2")  # mediapipe's C++ logging, on stderr
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def main() -> int:
    import mediapipe as mp
    import numpy as np

    complexity = int(sys.argv[sys.argv.index("--complexity") + 1]) if "--complexity" in sys.argv else 0
    hands = mp.solutions.hands.Hands(static_image_mode="--video" not in sys.argv, max_num_hands=1,
                                     model_complexity=complexity, min_detection_confidence=0.5,
                                     min_tracking_confidence=0.5)
    inp, out = sys.stdin.buffer, sys.stdout.buffer
    hello = f"mediapipe {mp.__version__}".encode()
    out.write(struct.pack("<I", len(hello)) + hello)
    out.flush()
    empty = np.zeros(63, np.float32)
    while True:
        head = inp.read(8)
        if len(head) < 8:
            return 0
        h, w = struct.unpack("<II", head)
        if h == 0:
            return 0
        buf = inp.read(h * w * 3)
        if len(buf) < h * w * 3:
            return 1
        bgr = np.frombuffer(buf, np.uint8).reshape(h, w, 3)
        t = time.perf_counter()
        res = hands.process(np.ascontiguousarray(bgr[:, :, ::-1]))
        ms = (time.perf_counter() - t) * 1000
        if res.multi_hand_landmarks:
            pts = np.array([(p.x, p.y, p.z) for p in res.multi_hand_landmarks[0].landmark], np.float32).ravel()
            out.write(struct.pack("<Bf", 1, ms) + pts.tobytes())
        else:
            out.write(struct.pack("<Bf", 0, ms) + empty.tobytes())
        out.flush()


if __name__ == "__main__":
    sys.exit(main())
