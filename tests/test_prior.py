"""The hand prior end to end: shipped files checked, a real train on real hands, eval and run through it."""
import json
import shutil

import numpy as np
import pytest
from conftest import DATASETS, gesture

from gesture import prior
from gesture.errors import GestureError
from gesture.model import checkpoint, livefile
from gesture.model.head import fit_head
from gesture.model.recognizer import join
from gesture.prior import idle
from gesture.prior.features import SHAPE_FEATURES, features

pytest.importorskip("onnxruntime", reason="the hand prior runs in onnxruntime (pip install onnxruntime)")
FAST = ["--size", "64", "--width", "0.5", "--epochs", "2"]


def test_the_shipped_prior_is_what_build_prior_writes():
    ident = prior.identity()
    assert ident["name"] == prior.NAME and set(ident["sha256"]) == set(prior.SHA256)
    assert idle.load().shape[1:] == (21, 3) and len(idle.load()) >= 20
    assert len(idle.load(("hagrid-people",))) == 0  # the benchmark can leave out the set it scores


def test_a_missing_or_damaged_prior_file_is_one_clear_error(tmp_path):
    for name in prior.SHA256:
        shutil.copy(prior.WEIGHTS / name, tmp_path / name)
    prior.identity(tmp_path)  # a faithful copy is fine
    damaged = tmp_path / prior.LANDMARK_MODEL
    damaged.write_bytes(damaged.read_bytes()[:1000])
    prior._identity.cache_clear()
    with pytest.raises(GestureError, match="not the one shipped"):
        prior.identity(tmp_path)
    damaged.unlink()
    prior._identity.cache_clear()
    with pytest.raises(GestureError, match="missing"):
        prior.identity(tmp_path)


def test_the_shape_ignores_place_size_turn_and_which_hand_and_the_direction_keeps_them():
    rng = np.random.default_rng(0)
    hand = rng.uniform(0, 100, (1, 21, 3)).astype(np.float32)
    a = np.radians(35)
    rot = np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]], np.float32)
    moved = (hand @ rot.T) * 2.5 + np.array([40, -7, 0], np.float32)
    mirrored = hand * np.array([-1, 1, 1], np.float32)
    f, n = features(hand), SHAPE_FEATURES
    assert f.shape == (1, n + 12)
    assert np.allclose(features(hand * 2.5 + np.array([40, -7, 3], np.float32)), f, atol=1e-4)
    # The shape part is the same for a left hand, a turned one; the direction part is not.
    assert np.allclose(features(mirrored)[:, :n], f[:, :n], atol=1e-4)
    assert np.allclose(features(moved)[:, :n], f[:, :n], atol=1e-4)
    # Directions are unit vectors in the frame: mirrored, x changes sign; turned, they turn along.
    dirs = f[0, n:].reshape(6, 2)
    assert np.allclose(np.linalg.norm(dirs, axis=1), 1, atol=1e-4)
    assert np.allclose(features(mirrored)[0, n:].reshape(6, 2), dirs * [-1, 1], atol=1e-4)
    assert np.allclose(features(moved)[0, n:].reshape(6, 2), dirs @ rot[:2, :2].T, atol=1e-4)
    assert not np.allclose(features(hand + rng.normal(0, 10, hand.shape).astype(np.float32)), f, atol=1e-2)


def test_the_head_learns_shapes_and_join_falls_back_to_the_frame():
    rng = np.random.default_rng(1)
    base = rng.uniform(0, 100, (2, 21, 3)).astype(np.float32)
    x = np.concatenate([base[i] + rng.normal(0, 1, (40, 21, 3)) for i in range(2)]).astype(np.float32)
    y = np.repeat([0, 1], 40)
    head = fit_head(x, y, 2)
    assert (head.probs(x).argmax(1) == y).mean() > 0.95
    frame = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]], np.float32)
    found = np.array([True, False, True])
    points = x[[45, 0, 3]]  # a hand of class 1, one of class 0 (not found), one of class 0
    out = join(frame, head, points, found)
    assert out[0].argmax() == 1 and out[2].argmax() == 0  # the head where a hand was found
    assert np.allclose(out[1], frame[1])  # the whole-frame network elsewhere
    assert np.allclose(out[[0, 2]], head.probs(points[[0, 2]]))
    assert join(frame, None, points, found) is frame


@pytest.fixture(scope="module")
def fingers(tmp_path_factory):
    """finger-count classes 1, 2 and 5 of one session to train on, the other session to score."""
    datasets = DATASETS
    if not (datasets / "finger-count").is_dir():
        pytest.skip(f"finger-count not found in {datasets} (the ../shared folder beside the project)")
    root = tmp_path_factory.mktemp("fingers")
    for session, part in (("set1", "train"), ("set2", "test")):
        for label in ("1", "2", "5"):
            dst = root / part / label
            dst.mkdir(parents=True)
            for f in sorted((datasets / "finger-count" / label / session).glob("*.jpg"))[:80:2]:
                shutil.copy(f, dst / f.name)
    out = root / "model" / "gesture.pt"
    r = gesture("train", "--data", root / "train", "--out", out, *FAST)
    assert r.returncode == 0, r.stderr
    return root, out, r


def test_train_fine_tunes_on_the_prior_and_says_what_its_validation_means(fingers):
    root, out, r = fingers
    assert "hand prior (mediapipe-hands-lite): a hand in" in r.stdout
    assert "within one recording" in r.stdout and "record a second session" in r.stdout
    ck = checkpoint.load(out)  # weights_only: the head's arrays are plain tensors
    assert ck.prior == prior.identity() and ck.head["w2"].shape[1] == 3
    m = json.loads((out.parent / "metrics.json").read_text())
    assert m["prior"] == prior.NAME and m["hand_found"] > 0.8 and m["cut_short"] is False


def test_a_model_trained_on_one_session_reads_the_other(fingers):
    root, out, _ = fingers
    r = gesture("eval", "--checkpoint", out, "--data", root / "test", "--json")
    assert r.returncode == 0, r.stderr
    m = json.loads(r.stdout)
    assert m["hand_found"] > 0.8
    assert m["accuracy"] > 0.75, m["confusion"]  # chance is 0.33; the whole-frame network alone is near it


def test_a_checkpoint_from_another_prior_is_refused_in_one_line(fingers, tmp_path):
    root, out, _ = fingers
    ck = checkpoint.load(out)
    ck.prior = {**ck.prior, "sha256": {k: "0" * 64 for k in ck.prior["sha256"]}}
    other = checkpoint.write(tmp_path / "other.pt", ck)
    for args in (["eval", "--checkpoint", other, "--data", root / "test"],
                 ["run", "--checkpoint", other, "--source", root / "test" / "1", "--dry-run", "--no-preview"]):
        r = gesture(*args)
        assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
        assert "another" in r.stderr or "other weights" in r.stderr


def test_a_checkpoint_of_older_landmark_features_is_refused_in_one_line(fingers, tmp_path):
    """Read with today's features, an old head's weights would mean nothing: refused, never guessed."""
    root, out, _ = fingers
    ck = checkpoint.load(out)
    ck.head = {**ck.head, "features": 2}
    old = checkpoint.write(tmp_path / "old.pt", ck)
    assert livefile.path_for(old).is_file()  # the torch-free file refuses it too, not only the checkpoint
    for args in (["eval", "--checkpoint", old, "--data", root / "test"],
                 ["run", "--checkpoint", old, "--source", root / "test" / "1", "--dry-run", "--no-preview"]):
        r = gesture(*args)
        assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
        assert "landmark features version 2" in r.stderr and "retrain" in r.stderr


def test_from_scratch_keeps_the_whole_frame_path(fingers, tmp_path):
    root, _, _ = fingers
    out = tmp_path / "scratch.pt"
    r = gesture("train", "--data", root / "train", "--out", out, "--from-scratch", *FAST)
    assert r.returncode == 0, r.stderr
    ck = checkpoint.load(out)
    assert ck.head is None and ck.prior is None and "hand prior" not in r.stdout


def test_run_tracks_the_hand_and_fires_on_real_frames(fingers, tmp_path):
    root, out, _ = fingers
    import cv2

    from gesture.bench import replay
    from gesture.data.dataset import scan

    samples = sorted((s for s in scan(root / "test").samples if s.label == "5"), key=lambda s: s.index)
    frames, _ = replay.build([("5", samples)])
    clip = replay.write_video(frames, tmp_path / "five.mp4")
    keys = tmp_path / "keys.toml"
    keys.write_text('[gestures]\n5 = "space"\n')
    log = tmp_path / "events.jsonl"
    r = gesture("run", "--checkpoint", out, "--source", clip, "--keys", keys, "--dry-run", "--no-preview",
                "--log", log)
    assert r.returncode == 0, r.stderr
    events = [json.loads(line) for line in log.read_text().splitlines()]
    assert [e["gesture"] for e in events if e["event"] == "tap"] == ["5"], r.stdout
    assert "hand " in r.stdout  # the hand stage is timed in the summary
    assert cv2.VideoCapture(str(clip)).isOpened()


def test_train_with_a_damaged_prior_stops_in_one_line_before_anything_is_written(tmp_path, monkeypatch, capsys):
    from gesture import cli

    weights = tmp_path / "weights"
    weights.mkdir()
    for name in prior.SHA256:
        (weights / name).write_bytes(b"not an onnx file")
    monkeypatch.setattr(prior, "WEIGHTS", weights)
    data = tmp_path / "data"
    for label in ("a", "none"):
        (data / label).mkdir(parents=True)
    out = tmp_path / "c.pt"
    assert cli.main(["train", "--data", str(data), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "is not the one shipped" in err[0] and "build-prior" in err[0], err
    assert not out.exists()
