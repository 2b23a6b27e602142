import errno
import json
import os
import signal
import subprocess
import sys
import time

import cv2
import numpy as np
import pytest
from conftest import HANG, ROOT, gesture, press_in_window

from gesture.capture import record as capture_mod
from gesture.capture.record import CaptureConfig, capture, draw_preview
from gesture.capture.sources import Source, open_source
from gesture.data import writer as writer_mod
from gesture.errors import GestureError, SourceLost


def manifest(data):
    path = data / "manifest.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def files(data):
    return sorted(p.relative_to(data).as_posix() for p in data.rglob("*") if p.is_file() and p.name != "manifest.jsonl")


def assert_consistent(data):
    rows = manifest(data)
    assert sorted(r["path"] for r in rows) == files(data)
    assert not list(data.rglob(".*.tmp")), "no half-written temporary files"
    return rows


def split_video(path, n=30, size=(640, 480)):
    """Left half red, right half blue, and a bright square that walks right as frames go by."""
    w, h = size
    vw = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, (w, h))
    for i in range(n):
        f = np.zeros((h, w, 3), np.uint8)
        f[:, : w // 2] = (0, 0, 200)
        f[:, w // 2:] = (200, 0, 0)
        f[10:40, 10 + 10 * i: 40 + 10 * i] = 255
        vw.write(f)
    vw.release()


def test_capture_from_video_exact_count_names_manifest_and_unmirrored(tmp_path):
    clip, data = tmp_path / "clip.mp4", tmp_path / "data"
    split_video(clip)
    r = gesture("capture", "palm", "--source", clip, "--data", data, "--count", 20, "--session", "s1", "--no-preview")
    assert r.returncode == 0, r.stderr
    assert "kept 20 frames" in r.stdout
    rows = assert_consistent(data)
    assert [row["path"] for row in rows] == [f"palm/s1/{i:06d}.jpg" for i in range(1, 21)]
    assert [row["index"] for row in rows] == list(range(1, 21))
    for row in rows:
        assert row["label"] == "palm" and row["session"] == "s1" and (row["width"], row["height"]) == (640, 480)
        assert row["source"] == str(clip)
    assert rows[1]["timestamp"] == pytest.approx(1 / 30, abs=1e-3)
    first = cv2.imread(str(data / rows[0]["path"]))
    # Saved as the camera sees it, not as the mirrored preview shows it: red on the left.
    assert first[240, 100, 2] > 150 and first[240, 100, 0] < 60
    assert first[240, 540, 0] > 150 and first[240, 540, 2] < 60
    assert first[25, 25].min() > 200  # the walking square starts at the left


def test_fps_limit_keeps_every_other_frame_of_a_30fps_video(tmp_path):
    clip, data = tmp_path / "clip.mp4", tmp_path / "data"
    split_video(clip, n=30)
    r = gesture("capture", "v", "--source", clip, "--data", data, "--count", 10, "--fps", 15, "--session", "a",
                "--no-preview")
    assert r.returncode == 0, r.stderr
    ts = [row["timestamp"] for row in manifest(data)]
    assert len(ts) == 10 and np.allclose(np.diff(ts), 1 / 15, atol=2e-3)


def test_source_ending_early_keeps_what_it_had(tmp_path):
    clip, data = tmp_path / "clip.mp4", tmp_path / "data"
    split_video(clip, n=12)
    r = gesture("capture", "v", "--source", clip, "--data", data, "--count", 50, "--no-preview")
    assert r.returncode == 0 and "kept 12 frames" in r.stdout and "ended after 12 of 50" in r.stdout
    assert len(assert_consistent(data)) == 12


def test_second_session_leaves_the_first_untouched(tmp_path):
    data = tmp_path / "data"
    r = gesture("capture", "fist", "--source", "synth:fist x10, seed=1, size=160x120", "--data", data,
                "--count", 5, "--session", "morning", "--no-preview")
    assert r.returncode == 0, r.stderr
    before = {p: (data / p).read_bytes() for p in files(data)}
    r = gesture("capture", "fist", "--source", "synth:fist x10, seed=2, size=160x120", "--data", data,
                "--count", 7, "--no-preview")  # default session name: a timestamp
    assert r.returncode == 0, r.stderr
    assert all((data / p).read_bytes() == b for p, b in before.items())
    sessions = {row["session"] for row in assert_consistent(data)}
    assert len(sessions) == 2 and "morning" in sessions
    # Continuing a session numbers on after its last frame.
    r = gesture("capture", "fist", "--source", "synth:fist x10, seed=3, size=160x120", "--data", data,
                "--count", 3, "--session", "morning", "--no-preview")
    assert r.returncode == 0, r.stderr
    assert all((data / p).read_bytes() == b for p, b in before.items())
    assert sorted(p for p in files(data) if "morning" in p)[-3:] == [f"fist/morning/{i:06d}.jpg" for i in (6, 7, 8)]
    assert_consistent(data)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])  # Ctrl-C, a kill, a closed terminal
def test_a_signal_mid_capture_keeps_files_and_manifest_in_agreement(tmp_path, sig):
    data = tmp_path / "data"
    proc = subprocess.Popen(
        [sys.executable, "-m", "gesture", "capture", "palm", "--source", "synth:palm x5000, size=320x240",
         "--data", str(data), "--count", "5000", "--no-preview"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + HANG
    while len(manifest(data)) < 15 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=HANG)
    assert proc.returncode == 130, err
    rows = assert_consistent(data)
    assert 15 <= len(rows) < 5000
    assert f"kept {len(rows)} frames" in out
    assert "Traceback" not in err
    assert not list(data.rglob(".*.tmp")), "no half-written frame is left behind"


@pytest.mark.parametrize("label", ["", "a/b", "..", "x..y", ".hidden", "a" * 65, "back\\slash", "manifest.jsonl", "CON",
                                   "nul.txt", "a:b", "é" * 33])
def test_invalid_labels_are_rejected_and_create_nothing(tmp_path, label):
    data = tmp_path / "data"
    r = gesture("capture", label, "--source", "synth:palm x3", "--data", data, "--no-preview")
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1 and "label" in r.stderr
    assert not data.exists()


@pytest.mark.parametrize("count", ["0", "-5"])
def test_non_positive_count_is_rejected(tmp_path, count):
    r = gesture("capture", "palm", "--count", count, "--source", "synth:palm x3", "--data", tmp_path / "d",
                "--no-preview")
    assert r.returncode == 2 and "--count" in r.stderr and not (tmp_path / "d").exists()


def test_bad_source_creates_nothing(tmp_path):
    r = gesture("capture", "palm", "--source", tmp_path / "missing.mp4", "--data", tmp_path / "d", "--no-preview")
    assert r.returncode == 2 and "no such file" in r.stderr and not (tmp_path / "d").exists()


def test_unwritable_data_folder(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the data folder should be")
    r = gesture("capture", "palm", "--source", "synth:palm x3", "--data", blocker / "data", "--no-preview")
    assert r.returncode == 2 and "cannot write" in r.stderr and "Traceback" not in r.stderr


def test_second_no_gesture_alias_is_refused(tmp_path):
    (tmp_path / "d" / "nothing").mkdir(parents=True)
    r = gesture("capture", "none", "--source", "synth:none x3", "--data", tmp_path / "d", "--no-preview")
    assert r.returncode == 2 and "'nothing'" in r.stderr and not (tmp_path / "d" / "none").exists()


def test_disk_full_keeps_written_frames_and_a_matching_manifest(tmp_path, monkeypatch):
    real, calls = writer_mod._write_bytes, []

    def fill_up(path, data):
        calls.append(path)
        if len(calls) > 7:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(path, data)

    monkeypatch.setattr(writer_mod, "_write_bytes", fill_up)
    data = tmp_path / "data"
    cfg = CaptureConfig("palm", count=50, source="synth:palm x50, size=160x120", data=data, preview=False)
    with pytest.raises(GestureError, match="No space left on device.*kept the 7 frames"):
        capture(cfg, log=lambda *a: None)
    assert len(assert_consistent(data)) == 7


def test_any_writer_failure_stops_capture_instead_of_hanging(tmp_path, monkeypatch):
    calls = []

    def explode(path, data):
        calls.append(path)
        raise ValueError("encoder bug")

    monkeypatch.setattr(writer_mod, "_write_bytes", explode)
    cfg = CaptureConfig("palm", count=200, source="synth:palm x200, size=160x120", data=tmp_path / "data",
                        preview=False)
    with pytest.raises(GestureError, match="encoder bug.*kept the 0 frames"):
        capture(cfg, log=lambda *a: None)
    assert len(calls) == 1 and assert_consistent(tmp_path / "data") == []


class VanishingCamera(Source):
    kind, live = "camera", True

    def __init__(self, n):
        super().__init__("0")
        self.n = n

    def __iter__(self):
        for i in range(self.n):
            yield np.full((120, 160, 3), i, np.uint8), float(i)
        raise SourceLost("camera 0 stopped delivering frames")


def test_lost_camera_stops_cleanly_and_keeps_frames(tmp_path, monkeypatch):
    monkeypatch.setattr(capture_mod, "open_source", lambda spec: VanishingCamera(9))
    data = tmp_path / "data"
    cfg = CaptureConfig("fist", count=100, data=data, preview=False, countdown=0, fps=0)
    with pytest.raises(GestureError, match="camera 0 stopped.*kept the 9 frames"):
        capture(cfg, log=lambda *a: None)
    assert len(assert_consistent(data)) == 9


def test_preview_is_mirrored_and_shows_the_model_crop():
    frame = np.zeros((240, 320, 3), np.uint8)
    frame[:, :160] = (0, 0, 255)  # red on the camera's left
    cfg = CaptureConfig("palm", count=10, crop=0.5)
    img = draw_preview(frame, cfg, 3, recording=True)
    assert img[200, 300, 2] > 200 and img[200, 20, 2] < 50, "a selfie view: red appears on the right"
    assert frame[200, 20, 2] == 255, "the frame itself is not mirrored"
    # crop 0.5 of 240 -> a 120 px square centred at (160, 120), drawn in green while recording
    assert tuple(img[120, 100]) == (80, 200, 80) and tuple(img[60, 160]) == (80, 200, 80)


def test_preview_window_under_a_real_x_server_and_q_stops(tmp_path, xdisplay):
    env = {**os.environ, "DISPLAY": xdisplay}
    data = tmp_path / "data"
    proc = subprocess.Popen(
        [sys.executable, "-m", "gesture", "capture", "palm", "--source", "synth:palm x3000, size=320x240",
         "--data", str(data), "--count", "3000", "--fps", "0"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while len(manifest(data)) < 10 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    press_in_window(xdisplay, "gesture capture palm", "q")
    out, err = proc.communicate(timeout=HANG)
    assert proc.returncode == 0, err
    assert "stopped with q" in out and "no display" not in out
    assert 10 <= len(assert_consistent(data)) < 3000


def test_a_single_image_is_refused_and_creates_nothing(tmp_path):
    photo = tmp_path / "photo.jpg"
    cv2.imwrite(str(photo), np.full((48, 64, 3), 90, np.uint8))
    r = gesture("capture", "palm", "--source", photo, "--data", tmp_path / "data", "--count", "5", "--no-preview")
    assert r.returncode == 2 and "is a single image, not a recording" in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and not (tmp_path / "data").exists()
    with open_source(photo) as src:  # elsewhere (gesture run, eval) a still is one frame
        assert [f.shape for f, _ in src] == [(48, 64, 3)]


def test_a_capture_that_keeps_no_frame_fails_and_leaves_the_folder_as_it_was(tmp_path):
    data = tmp_path / "data"
    assert capture(CaptureConfig("fist", count=3, source="synth:fist x3", data=data, preview=False),
                   log=lambda *a: None, progress=False).written
    before = sorted(p.relative_to(data) for p in data.rglob("*")), (data / "manifest.jsonl").read_bytes()
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "000001.jpg").write_bytes(b"\xff\xd8\xff not really a jpeg")
    with pytest.raises(GestureError, match="no frame was kept"):
        capture(CaptureConfig("palm", count=3, source=str(broken), data=data, preview=False), log=lambda *a: None,
                progress=False)
    assert (sorted(p.relative_to(data) for p in data.rglob("*")), (data / "manifest.jsonl").read_bytes()) == before
