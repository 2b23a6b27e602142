import json
import os
import subprocess
import sys
import time

import cv2
import numpy as np
import pytest
from conftest import HANG, ROOT, gesture, renderer

from gesture.capture.sources import LatestFrame, Source
from gesture.errors import SourceLost
from gesture.live import overlay, session
from gesture.live.decide import Decider, DecisionConfig, Rule
from gesture.live.loop import RunConfig, run
from gesture.live.senders import DryRunSender


def test_dry_run_replay_logs_the_expected_events(model, tmp_path):
    ck, clip, keys = model
    log, shot = tmp_path / "events.jsonl", tmp_path / "shot.png"
    r = gesture("run", "--checkpoint", ck, "--source", clip, "--keys", keys, "--dry-run", "--no-preview", "--log", log,
                "--screenshot", shot)
    assert r.returncode == 0, r.stderr
    rows = [json.loads(line) for line in log.read_text().splitlines()]
    # Headless, the overlay is still drawn once: at the first key event, so the box is green (active).
    img = cv2.imread(str(shot))
    assert img.shape == (120, 160, 3)
    assert (np.abs(img.astype(int) - overlay.GREEN).sum(2) < 30).sum() > 100
    assert [(e["event"], e["gesture"], e["key"]) for e in rows] == [
        ("tap", "palm", "right"), ("press", "fist", "a"), ("release", "fist", "a")]
    palm_start, fist_start = 20, 70
    assert palm_start <= rows[0]["frame"] <= palm_start + 3
    assert fist_start <= rows[1]["frame"] <= fist_start + 3
    assert rows[2]["frame"] >= fist_start + 30 - 1
    assert all(set(e) == {"time", "frame", "event", "gesture", "key", "confidence"} for e in rows)
    assert rows[0]["time"] == pytest.approx(rows[0]["frame"] / 30, abs=1e-3)
    assert "dry run" in r.stdout and "125 frames" in r.stdout
    for stage in ("read", "preprocess", "infer", "decide", "draw"):
        assert stage in r.stdout
    assert "events: press 1, release 1, tap 1" in r.stdout


def test_replay_is_deterministic(model, tmp_path):
    ck, clip, keys = model
    logs = []
    for k in range(2):
        log = tmp_path / f"e{k}.jsonl"
        assert gesture("run", "--checkpoint", ck, "--source", clip, "--keys", keys, "--dry-run", "--no-preview",
                       "--log", log).returncode == 0
        logs.append([{k: v for k, v in json.loads(line).items()} for line in log.read_text().splitlines()])
    assert logs[0] == logs[1]


LISTENER = """
import json, sys
from pynput import keyboard
def show(kind):
    return lambda key: print(json.dumps([kind, str(key)]), flush=True)
with keyboard.Listener(on_press=show("press"), on_release=show("release")) as listener:
    print("ready", flush=True)
    listener.join()
"""


def test_real_keys_arrive_on_an_x_server(model, xdisplay, tmp_path):
    ck, clip, keys = model
    env = {**os.environ, "DISPLAY": xdisplay}
    listener = subprocess.Popen([sys.executable, "-c", LISTENER], env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert listener.stdout.readline().strip() == "ready"
        time.sleep(0.3)
        r = subprocess.run([sys.executable, "-m", "gesture", "run", "--checkpoint", str(ck), "--source", str(clip),
                            "--keys", str(keys), "--no-preview", "--log", str(tmp_path / "ev.jsonl")],
                           env=env, cwd=ROOT, capture_output=True, text=True, timeout=HANG)
        assert r.returncode == 0, r.stderr
        time.sleep(2.0)  # the X server's last events reach the listener, even on a loaded core
    finally:
        listener.terminate()
    got = [json.loads(line) for line in listener.communicate(timeout=HANG)[0].splitlines() if line.startswith("[")]
    # A held key auto-repeats on X: collapse repeated presses of a key that is already down.
    seq, down = [], set()
    for kind, key in got:
        if kind == "press" and key in down:
            continue
        (down.add if kind == "press" else down.discard)(key)
        seq.append((kind, key))
    assert seq == [("press", "Key.right"), ("release", "Key.right"), ("press", "'a'"), ("release", "'a'")], got
    assert not down, "every key is released"


def test_no_display_gives_one_line_pointing_to_dry_run(model):
    ck, clip, keys = model
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "PYNPUT_BACKEND")}
    r = subprocess.run([sys.executable, "-m", "gesture", "run", "--checkpoint", str(ck), "--source", str(clip),
                        "--keys", str(keys), "--no-preview"], env=env, cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
    assert "no display" in r.stderr and "--dry-run" in r.stderr and "uinput" in r.stderr
    r = subprocess.run([sys.executable, "-m", "gesture", "run", "--checkpoint", str(ck), "--source", str(clip),
                        "--no-preview"], env={**env, "WAYLAND_DISPLAY": "wayland-0"}, cwd=ROOT, capture_output=True,
                       text=True)
    assert r.returncode == 2 and "Wayland without XWayland" in r.stderr


class ExplodingSource(Source):
    """Replays frames of a fist, then fails the way a buggy driver might."""
    kind = "video"

    def __init__(self, n):
        super().__init__("exploding")
        self.n = n

    def __iter__(self):
        rend = renderer("fist")
        for i in range(self.n):
            yield rend.frame(10 + i)[0], i / 30
        raise RuntimeError("driver crashed")


def test_held_keys_are_released_when_the_loop_raises(model, monkeypatch, tmp_path):
    ck, _, keys = model
    monkeypatch.setattr(session, "open_source", lambda spec: ExplodingSource(20))
    sender = DryRunSender()
    with pytest.raises(RuntimeError, match="driver crashed"):
        run(RunConfig(checkpoint=ck, keys=keys, preview=False), sender=sender, log=lambda *a: None)
    assert ("a", True) in sender.sent, "the fist was held"
    assert sender.sent[-1] == ("a", False) and sender.down == []


def test_write_keys_writes_a_starter_map_and_never_overwrites(model, tmp_path):
    ck, _, _ = model
    out = tmp_path / "keys.toml"
    r = gesture("run", "--checkpoint", ck, "--write-keys", out)
    assert r.returncode == 0, r.stderr
    text = out.read_text()
    assert 'fist = "right"' in text and 'palm = "left"' in text and "none =" not in text
    r = gesture("run", "--checkpoint", ck, "--write-keys", out)
    assert r.returncode == 2 and "already exists" in r.stderr and out.read_text() == text


def test_bad_key_map_stops_before_running(model, tmp_path):
    ck, clip, _ = model
    bad = tmp_path / "keys.toml"
    bad.write_text('[gestures]\npalm = "right"\nthumbs = "a"\n')
    r = gesture("run", "--checkpoint", ck, "--source", clip, "--keys", bad, "--dry-run", "--no-preview")
    assert r.returncode == 2 and f"{bad}:3:" in r.stderr and "thumbs" in r.stderr


class Camera(Source):
    kind, live = "camera", True

    def __init__(self, n, delay):
        super().__init__("0")
        self.n, self.delay = n, delay

    def __iter__(self):
        for i in range(self.n):
            time.sleep(self.delay)
            yield np.full((4, 4, 3), i, np.uint8), float(i)
        raise SourceLost("camera 0 stopped delivering frames")


class CrashingCamera(Camera):
    def __iter__(self):
        yield np.zeros((4, 4, 3), np.uint8), 0.0
        raise RuntimeError("driver crashed")


def test_latest_frame_hands_a_camera_crash_to_the_loop():
    reader = LatestFrame(CrashingCamera(1, 0))
    with pytest.raises(RuntimeError, match="driver crashed"):
        list(reader)
    assert reader.close()


def test_unwritable_event_log_is_one_line(model, tmp_path):
    ck, clip, keys = model
    r = gesture("run", "--checkpoint", ck, "--source", clip, "--dry-run", "--no-preview",
                "--log", tmp_path / "no" / "e.jsonl")
    assert r.returncode == 2 and "cannot write the event log" in r.stderr and "Traceback" not in r.stderr


def test_a_screenshot_name_opencv_cannot_write_is_refused_before_running(model, tmp_path):
    ck, clip, keys = model
    r = gesture("run", "--checkpoint", ck, "--source", clip, "--keys", keys, "--dry-run", "--no-preview",
                "--screenshot", tmp_path / "shot", "--log", tmp_path / "e.jsonl")
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and ".png" in r.stderr
    assert not (tmp_path / "e.jsonl").exists()  # refused before the loop ran


def test_threshold_below_the_floor_is_refused(model):
    ck, clip, _ = model
    r = gesture("run", "--checkpoint", ck, "--source", clip, "--dry-run", "--no-preview", "--threshold", "0.05")
    assert r.returncode == 2 and "--threshold" in r.stderr


def test_latest_frame_drops_stale_frames_instead_of_queueing():
    reader = LatestFrame(Camera(40, 0.002))
    got = []
    with pytest.raises(SourceLost):
        for frame, t in reader:
            got.append(int(frame[0, 0, 0]))
            time.sleep(0.02)  # a slow consumer
    assert got == sorted(got) and len(got) < 40 and reader.dropped == 40 - len(got)
    assert got[-1] >= 35, "the newest frame, not an old queued one"


def test_preview_overlay_pause_and_quit_under_a_real_x_server(model, xdisplay, tmp_path):
    from conftest import grab_window, press_in_window

    ck, _, keys = model
    env = {**os.environ, "DISPLAY": xdisplay}
    proc = subprocess.Popen([sys.executable, "-m", "gesture", "run", "--checkpoint", str(ck), "--keys", str(keys),
                             "--source", "synth:palm x100000, seed=3, size=320x240", "--dry-run"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        shot = grab_window(xdisplay, "gesture run", tmp_path / "overlay.png", wait=1.0)
        assert shot is not None and shot.shape[0] >= 240 and shot.shape[1] >= 320
        assert shot.std() > 20, "a real frame with an overlay, not a blank window"
        press_in_window(xdisplay, "gesture run", "p")
        paused = grab_window(xdisplay, "gesture run", tmp_path / "paused.png", wait=0.5)
        yellow = (paused[..., 0] < 90) & (paused[..., 1] > 170) & (paused[..., 2] > 200)
        assert yellow.sum() > 200, "the PAUSED banner"
        press_in_window(xdisplay, "gesture run", "q")
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "pause 1" in out and "frames at" in out


def test_the_overlay_says_when_a_rest_is_needed_before_the_next_gesture():
    d = Decider(["fist", "none", "palm"], "none", DecisionConfig(), {"palm": Rule("right")})
    assert overlay.active_text(d.active, d.waiting_for_rest) == "-"
    frames = iter(range(1000))
    for p in ([0.01, 0.01, 0.98],) * 4:
        d.update(np.array(p), next(frames) / 30)
    assert overlay.active_text(d.active, d.waiting_for_rest) == "palm"
    for p in ([0.6, 0.3, 0.1],) * 5:  # straight to an unsure fist: palm ends, no rest yet
        d.update(np.array(p), next(frames) / 30)
    assert overlay.active_text(d.active, d.waiting_for_rest) == "- (rest first)"
    for p in ([0.02, 0.96, 0.02],) * 5:  # the hand rests, for less than rest_time
        d.update(np.array(p), next(frames) / 30)
    assert overlay.active_text(d.active, d.waiting_for_rest) == "- (rest first)"
    for p in ([0.02, 0.96, 0.02],) * 8:  # ... and on, past it
        d.update(np.array(p), next(frames) / 30)
    assert overlay.active_text(d.active, d.waiting_for_rest) == "-"
