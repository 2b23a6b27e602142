"""The landmark peer of the benchmark. The worker runs only where scripts/peer-setup made .venv-peer."""
import sys
from pathlib import Path

import numpy as np
import pytest

from gesture.bench import peer
from gesture.data.dataset import Sample
from gesture.data.images import read_image
from gesture.errors import GestureError


@pytest.fixture(scope="module")
def worker():
    python = peer.peer_python()
    if python is None:
        pytest.skip(f"no {peer.PEER_VENV} (scripts/peer-setup makes it): the MediaPipe peer is not installed")
    with peer.LandmarkWorker(python) as w:
        yield w


def test_worker_finds_a_real_hand_and_reports_none_on_an_empty_wall(worker, datasets):
    assert worker.version == "mediapipe 0.10.21"
    img = read_image(datasets / "asl-frames" / "B" / "B1548.jpg")  # mid-video, in good light
    found, ms, pts = worker.landmarks(img)
    assert found and ms > 0 and pts.shape == (63,)
    xy = pts.reshape(21, 3)[:, :2]
    assert ((xy > -0.2) & (xy < 1.2)).all()  # normalised image coordinates
    # A flat palm (B): the fingertips (8, 12, 16, 20) are above the wrist (0) in the image.
    assert (xy[[8, 12, 16, 20], 1] < xy[0, 1]).all()
    found, _, pts = worker.landmarks(np.full((200, 200, 3), 128, np.uint8))
    assert not found and not pts.any()


def test_features_ignore_where_the_hand_is_and_how_big():
    rng = np.random.default_rng(0)
    pts = rng.uniform(0.2, 0.6, (1, 63)).astype(np.float32)
    moved = pts.reshape(1, 21, 3).copy()
    moved[..., :2] = moved[..., :2] * 0.5 + 0.3
    a, b = peer.features(pts), peer.features(moved.reshape(1, 63))
    assert a.shape == (1, 42) and np.abs(a).max() == pytest.approx(1.0)
    assert np.allclose(a, b, atol=1e-5) and a[0, :2].tolist() == [0, 0]  # the wrist is the origin


def test_mlp_learns_and_no_hand_counts_as_the_no_gesture_class():
    rng = np.random.default_rng(1)
    labels, n = ["a", "b", "none"], 60
    samples, points, found = [], [], []
    for k, label in enumerate(labels):
        for i in range(n):
            samples.append(Sample(None, label, "s", i))
            p = rng.normal(0, 0.01, 63).astype(np.float32)
            p[3 + 3 * (k % 2)] += 0.5  # the two gestures differ in one landmark's x
            points.append(p)
            found.append(label != "none")
    lm = peer.Landmarks(np.array(found), np.stack(points), np.zeros(len(points)), "test")
    r = peer.holdout(samples, lm, labels, "none", lambda s: s.index >= 45)
    assert r.test_frames == 45 and r.no_hand == pytest.approx(1 / 3)
    assert r.accuracy == 1.0  # a and b learned; every no-hand frame counted as none


def test_a_worker_that_cannot_start_is_one_clear_error():
    # This venv has no mediapipe: the worker dies on import, and its own last line is shown.
    with pytest.raises(GestureError, match="MediaPipe worker stopped.*mediapipe.*scripts/peer-setup"):
        peer.LandmarkWorker(Path(sys.executable))


def test_a_half_made_peer_venv_is_not_installed(tmp_path):
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "python").write_text("")
    assert peer.peer_python(tmp_path) is None  # pip never finished: no stamp
    (tmp_path / ".gesture-peer-setup").write_text("mediapipe==0.10.21\n")
    assert peer.peer_python(tmp_path) == tmp_path / "bin" / "python"


def test_peer_probabilities_sum_to_one_and_no_hand_is_all_no_gesture():
    rng = np.random.default_rng(2)
    labels, n = ["a", "b", "none"], 40
    samples, points = [], []
    for k, label in enumerate(labels[:2]):
        for i in range(n):
            samples.append(Sample(None, label, "s", i))
            p = rng.normal(0, 0.01, 63).astype(np.float32)
            p[3 + 3 * k] += 0.5
            points.append(p)
    lm = peer.Landmarks(np.ones(len(points), bool), np.stack(points), np.zeros(len(points)), "test")
    mlp = peer.fit(samples, lm, labels, list(range(len(samples))))
    found = np.array([True, True, False])
    p = peer.probs(mlp, found, lm.points[[0, n, 0]], labels.index("none"))
    assert p.shape == (3, 3) and np.allclose(p.sum(1), 1, atol=1e-5)
    assert p[0].argmax() == 0 and p[1].argmax() == 1  # what it learned
    assert p[2].tolist() == [0, 0, 1]  # no hand: the no-gesture class, whatever the points say
