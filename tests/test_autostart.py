"""`gesture autostart`, `gesture run --background` and `gesture status / pause / resume`, on a
real loop playing a real video file at its own pace."""
import json
import os
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import HANG, ROOT, gesture


def env_for(tmp_path) -> dict:
    """A home of its own: nothing here touches the user's autostart, state or sockets."""
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if k not in ("XDG_CACHE_HOME", "XDG_DATA_HOME")}  # under HOME
    env.update({"HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
                "XDG_STATE_HOME": str(home / ".local" / "state"), "XDG_RUNTIME_DIR": str(tmp_path / "run")})
    (tmp_path / "run").mkdir()
    return env


def tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")) if root.exists() else []


def test_autostart_on_writes_a_valid_entry_and_off_leaves_nothing(model, tmp_path):
    ck, _, keys = model
    env = env_for(tmp_path)
    home = Path(env["HOME"])
    before = tree(home)
    r = gesture("autostart", "on", "--keys", keys, "--checkpoint", ck, env=env)
    assert r.returncode == 0, r.stderr
    entry = Path(env["XDG_CONFIG_HOME"]) / "autostart" / "gesture.desktop"
    text = entry.read_text()
    assert "Exec=" in text and "--background" in text and str(Path(keys).resolve()) in text
    validate = shutil.which("desktop-file-validate")
    if validate:
        v = subprocess.run([validate, str(entry)], capture_output=True, text=True)
        assert v.returncode == 0 and not v.stdout.strip(), v.stdout + v.stderr
    r = gesture("autostart", env=env)
    assert r.returncode == 0 and str(entry) in r.stdout and "--background" in r.stdout
    # With no --checkpoint, the model of today is written down: a login starts in another folder.
    r = gesture("autostart", "on", "--keys", keys, env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "--checkpoint starter" in entry.read_text()  # the starter: no trained model in the home folder
    r = gesture("autostart", "off", env=env)
    assert r.returncode == 0 and "removed" in r.stdout
    assert tree(home) == before  # nothing in ~/.cache either (ONNX Runtime's telemetry files are turned off)
    r = gesture("autostart", "off", env=env)
    assert r.returncode == 0 and "nothing to remove" in r.stdout
    if not validate:
        pytest.skip("desktop-file-validate is not installed (apt-get install desktop-file-utils): the entry was "
                    "written and removed, not validated")


def test_autostart_refuses_a_key_map_that_would_fail_at_login(model, tmp_path):
    ck, _, _ = model
    env = env_for(tmp_path)
    bad = tmp_path / "keys.toml"
    bad.write_text('[gestures]\nthumb = "space"\n')
    r = gesture("autostart", "on", "--keys", bad, "--checkpoint", ck, env=env)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and f"{bad}:2:" in r.stderr
    assert tree(Path(env["HOME"])) == []
    r = gesture("autostart", "on", "--checkpoint", ck, env=env)
    assert r.returncode == 2 and "--keys" in r.stderr


def wait_for(env, deadline=HANG):
    end = time.time() + deadline
    while time.time() < end:
        r = gesture("status", "--json", env=env)
        if r.returncode == 0:
            return json.loads(r.stdout)
        time.sleep(0.3)
    raise AssertionError("gesture run never answered")


def test_a_background_run_answers_status_pause_and_resume_and_runs_once(model, tmp_path):
    ck, clip, keys = model
    env = env_for(tmp_path)
    long_clip = tmp_path / "long.mp4"  # the shared replay, three times over: time to ask
    import cv2

    cap = cv2.VideoCapture(str(clip))
    frames = []
    while True:
        ok, f = cap.read()
        if not ok:
            break
        frames.append(f)
    h, w = frames[0].shape[:2]
    vw = cv2.VideoWriter(str(long_clip), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, (w, h))
    for f in frames * 3:
        vw.write(f)
    vw.release()
    events = tmp_path / "ev.jsonl"
    cmd = [sys.executable, "-m", "gesture", "run", "--background", "--checkpoint", str(ck), "--source", str(long_clip),
           "--keys", str(keys), "--dry-run", "--realtime", "--no-corrections", "--log", str(events)]
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        s = wait_for(env)
        assert s["running"] and not s["paused"] and s["pid"] == proc.pid and s["keys"] == str(keys)
        sock = Path(env["XDG_RUNTIME_DIR"]) / "gesture" / "control.sock"
        assert stat.S_IMODE(sock.stat().st_mode) == 0o600 and stat.S_IMODE(sock.parent.stat().st_mode) == 0o700
        second = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=HANG)
        assert second.returncode == 0 and "already running" in second.stderr
        r = gesture("pause", "--json", env=env)
        assert r.returncode == 0 and json.loads(r.stdout)["paused"] is True
        assert json.loads(gesture("status", "--json", env=env).stdout)["paused"] is True
        r = gesture("resume", env=env)
        assert r.returncode == 0 and "firing" in r.stdout
    finally:
        out, err = proc.communicate(timeout=HANG)
    assert proc.returncode == 0 and out == "" and err == ""  # in the background everything goes to the log
    log = Path(env["XDG_STATE_HOME"]) / "gesture" / "run.log"
    assert "--background" in log.read_text() and "frames at" in log.read_text()
    kinds = [json.loads(line)["event"] for line in events.read_text().splitlines()]
    assert "pause" in kinds and "resume" in kinds and kinds.index("pause") < kinds.index("resume")
    r = gesture("status", env=env)
    assert r.returncode == 2 and "no gesture run is running" in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_exec_arguments_are_quoted_as_the_desktop_entry_spec_says():
    from gesture.live.autostart import desktop_quote

    assert desktop_quote("/usr/bin/python") == "/usr/bin/python"
    assert desktop_quote("/home/me/my keys.toml") == '"/home/me/my keys.toml"'
    assert desktop_quote("/a/$HOME/k.toml") == '"/a/\\\\$HOME/k.toml"'  # \\$ in the file: a literal $
    assert desktop_quote("100%.toml") == "100%%.toml"
