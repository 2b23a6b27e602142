"""gesture.prior.hands: MediaPipe's hand pipeline in NumPy + OpenCV + onnxruntime, checked against MediaPipe's
own output."""
import importlib.util

import numpy as np
import pytest

from gesture.errors import GestureError
from gesture.preprocess import preprocess
from gesture.prior.hands import LANDMARK_MODEL, PALM_MODEL, WEIGHTS, HandTracker, Wake

# MediaPipe 0.10.21 (static_image_mode=True, model_complexity=0, max_num_hands=1) on
# hagrid-people/palm/palm_00001.jpg (332x336): the 21 landmarks in pixels, label "Right", score 0.967.
PHOTO = "hagrid-people/palm/palm_00001.jpg"
MEDIAPIPE_PX = np.array([
    [150, 191], [124, 189], [101, 174], [83, 165], [66, 166], [113, 127], [98, 101], [90, 84], [84, 69],
    [132, 119], [131, 88], [131, 67], [132, 51], [151, 121], [155, 91], [158, 73], [159, 57],
    [169, 131], [183, 110], [192, 96], [200, 83]], float)


@pytest.fixture(scope="module")
def weights():
    if importlib.util.find_spec("onnxruntime") is None:
        pytest.skip("onnxruntime is not installed (pip install onnxruntime): gesture.prior.hands cannot run")
    missing = [n for n in (PALM_MODEL, LANDMARK_MODEL) if not (WEIGHTS / n).is_file()]
    if missing:
        pytest.skip(f"hand models {missing} not found in {WEIGHTS}: make them with gesture/tools/tflite_onnx.py")
    return WEIGHTS


@pytest.fixture
def photo(datasets):
    import cv2
    path = datasets / PHOTO
    if not path.is_file():
        pytest.skip(f"{path} not found")
    return cv2.imread(str(path))


def test_photo_landmarks_agree_with_mediapipe(weights, photo):
    hand = HandTracker(weights, static=True)(photo)
    assert hand is not None
    h, w = photo.shape[:2]
    assert hand.landmarks.shape == (21, 3) and hand.landmarks.dtype == np.float32
    px = hand.landmarks[:, :2] * [w, h]
    err = np.hypot(*(px - MEDIAPIPE_PX).T)
    assert np.median(err) < 2 and err.max() < 6, err.round(1)
    assert 0.5 < hand.presence <= 1 and hand.handedness > 0.5  # MediaPipe: "Right", 0.967
    x0, y0, x1, y1 = hand.box
    assert (x0, y0) == pytest.approx(tuple(px.min(0))) and (x1, y1) == pytest.approx(tuple(px.max(0)))


def test_grey_frame_has_no_hand(weights):
    tracker = HandTracker(weights, static=True)
    assert tracker(np.full((240, 320, 3), 128, np.uint8)) is None
    assert tracker.detected


def test_tracking_reuses_the_roi(weights, photo):
    tracker = HandTracker(weights, static=False)
    first = tracker(photo)
    assert first is not None and tracker.detected
    moved = np.roll(photo, 3, axis=1)  # the next frame: the hand 3 px to the right
    second = tracker(moved)
    assert second is not None and not tracker.detected  # landmarks only, from the previous frame's ROI
    shift = (second.landmarks[:, 0] - first.landmarks[:, 0]) * photo.shape[1]
    assert np.median(shift) == pytest.approx(3, abs=1.5)
    tracker.reset()
    assert tracker(moved) is not None and tracker.detected


def test_missing_weights_is_a_user_error(tmp_path):
    with pytest.raises(GestureError, match="hand"):
        HandTracker(tmp_path)


def test_unreadable_weights_is_a_user_error(tmp_path):
    pytest.importorskip("onnxruntime", reason="onnxruntime is not installed")
    for name in (PALM_MODEL, LANDMARK_MODEL):
        (tmp_path / name).write_bytes(b"not an onnx model")
    with pytest.raises(GestureError, match="cannot be read"):
        HandTracker(tmp_path)


def test_wake_looks_again_only_when_the_picture_changes_or_the_wait_is_over():
    rng = np.random.default_rng(0)
    room = rng.integers(0, 255, (480, 640, 3), np.uint8)

    def noisy(frame):  # sensor noise, as a still webcam delivers the same room
        return np.clip(frame + rng.normal(0, 2, frame.shape), 0, 255).astype(np.uint8)

    wake = Wake(every=8)
    looks = [wake(noisy(room)) for _ in range(20)]
    assert looks[0] and looks[8] and looks[16] and sum(looks) == 3  # a still room: every 8th frame
    entered = room.copy()
    entered[200:300, 300:380] = 255  # something the size of a hand comes in
    assert wake(entered)  # looked at once
    x0, y0, x1, y1 = wake.changed  # where: the 20x20 cells of the 32x24 thumbnail around it
    assert 280 <= x0 <= 300 and 200 >= y0 >= 180 and 380 <= x1 <= 400 and 300 <= y1 <= 320
    assert not wake(noisy(entered)) and wake.changed is None  # then the new room is still
    wake.reset()
    assert wake(noisy(entered))  # a hand just lost: look at once


def test_a_scene_that_keeps_changing_with_no_palm_is_looked_at_less_often():
    from gesture.prior.hands import IDLE_AFTER, IDLE_EVERY

    rng = np.random.default_rng(1)
    wake = Wake(every=8)

    def changing():  # light, noise, a person in the background: a new picture on every frame
        return rng.integers(0, 255, (48, 64, 3), np.uint8)

    looks = []
    for _ in range(IDLE_AFTER + 30):
        looks.append(wake(changing()))
        if looks[-1]:
            wake.looked(False)  # palm detection found nothing
    assert all(looks[:IDLE_AFTER]) and wake.idle
    assert sum(looks[IDLE_AFTER:]) == 30 // IDLE_EVERY  # then every IDLE_EVERY-th changed frame
    wake.looked(True)  # a palm: every changed frame again
    assert all(wake(changing()) for _ in range(5))
    for _ in range(IDLE_AFTER):
        wake.looked(False)
    wake.reset()  # a hand just lost: not idle, look at once
    assert not wake.idle and wake(changing())
    room = changing()
    for _ in range(10 * IDLE_AFTER):  # a still room for a long while: looked at now and then ...
        if wake(room):
            wake.looked(False)
    assert not wake.idle and wake(changing())  # ... and not idle: a hand coming in is looked for at once


def test_a_hand_that_enters_a_still_room_is_found_on_its_first_frame(weights, photo):
    wall = np.full_like(photo, 128)
    tracker = HandTracker(weights, wake=Wake())
    assert all(tracker(wall) is None for _ in range(10))
    ran = sum(tracker.detected for _ in range(10) if tracker(wall) is None)
    assert ran <= 2, "a still, empty room is looked at a few times a second, not on every frame"
    assert tracker(photo) is not None and tracker.detected  # the picture changed: detected at once
    assert tracker(np.roll(photo, 3, axis=1)) is not None and not tracker.detected  # then tracked


def test_a_dark_hand_the_palm_model_misses_is_found_by_the_second_look_where_the_picture_changed(weights, datasets):
    """asl-frames: a back-lit hand against a window comes into the empty room. Palm detection on
    the whole frame misses it; the brightened second look where the picture changed finds it on
    its first frame, and its landmarks are read from the frame as it is."""
    from gesture.bench import replay
    from gesture.data.dataset import scan
    from gesture.data.images import read_image

    root = datasets / "asl-frames"
    if not root.is_dir():
        pytest.skip(f"{root} not found")
    by = {}
    for s in sorted(scan(root).samples, key=lambda s: s.index):
        by.setdefault(s.label, []).append(s)
    room, dark = (replay.pad(read_image(by[g][0].path)) for g in ("nothing", "B"))
    assert HandTracker(weights, static=True)._detect(dark) is None, "the premise: the palm model misses this hand"
    tracker = HandTracker(weights, wake=Wake())
    assert all(tracker(room) is None for _ in range(5))
    hand = tracker(dark)
    assert hand is not None and tracker.detected and hand.presence >= 0.5
    x0, y0, x1, y1 = hand.box  # on the hand, in the 200x200 photograph padded to the middle of 640x480
    assert 220 <= x0 < x1 <= 420 and 140 <= y0 < y1 <= 340


def test_a_still_empty_room_runs_the_whole_frame_network_only_on_the_frames_the_wake_looks_at():
    """Where nothing is tracked and the picture is still the one of the wake's last look, the
    recogniser keeps the network's answer for that look instead of running it again."""
    from gesture.model import recognizer
    from gesture.paths import STARTER

    rec = recognizer.load(STARTER, log=lambda *_: None)
    ran = []
    net_probs = rec.net.probs
    rec.net.probs = lambda x: ran.append(x) or net_probs(x)
    rng = np.random.default_rng(0)
    wall = np.full((480, 640, 3), 128, np.uint8)

    def noisy(frame):
        return np.clip(frame + rng.normal(0, 2, frame.shape), 0, 255).astype(np.uint8)

    readings = [rec(noisy(wall)) for _ in range(16)]
    assert len(ran) == 2, "a still room: the network runs on the wake's looks (every 8th frame) only"
    assert all(r.hand is None and np.array_equal(r.probs, readings[0].probs) for r in readings)
    lit = wall.copy()
    lit[100:300, 200:400] = 220  # the picture changes (a lamp, a person passing): the network runs again
    rec(lit)
    assert len(ran) == 3 and np.array_equal(ran[-1], preprocess(lit, rec.live.preprocess))
    rec(noisy(lit))
    assert len(ran) == 3  # and keeps that answer while the picture stays
