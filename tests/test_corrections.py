"""Corrections in `gesture run`: recording a wrong or missed press, relearning, swapping the model."""
import json
import os
import shutil
import subprocess
import sys
import time

import numpy as np
import pytest
from conftest import HANG, ROOT, gesture

from gesture.data.dataset import MANIFEST, manifest_mismatch, read_manifest, scan
from gesture.live.commands import Commands
from gesture.live.corrections import Corrector, Recent
from gesture.live.loop import RunConfig, run
from gesture.live.senders import DryRunSender
from gesture.model import checkpoint

LABELS = ["fist", "none", "palm"]


def frames(n, fps=30.0):
    for i in range(n):
        yield np.full((48, 64, 3), i % 256, np.uint8), i / fps


def manifest_agrees(root):
    missing, unlisted = manifest_mismatch(root, scan(root).samples)
    return not missing and not unlisted


def test_recent_keeps_only_the_last_seconds():
    r = Recent(seconds=1.0)
    for f, t in frames(90):
        r.add(f, t)
    ts = [t for t, _ in r.frames]
    assert ts[0] >= 2.9 - 1.0 - 1e-9 and ts[-1] == pytest.approx(89 / 30)
    assert [t for t, _ in r.between(2.5, 2.6)] == [t for t in ts if 2.5 <= t <= 2.6]


def test_wrong_records_from_a_second_before_the_press_up_to_the_key(tmp_path):
    c = Corrector(tmp_path, LABELS, "none", "test", log=lambda *a: None)
    for f, t in frames(90):  # 3 s
        c.frame(f, t)
        if i_is(t, 2.0):
            c.fired("palm", t)
    rec = c.command(("wrong",), 2.5)
    written = rec.writer.close()
    assert rec.label == "none" and rec.writer.session.startswith("fix-") and rec.writer.session.endswith("-wrong")
    rows = [r for r in read_manifest(tmp_path) if r["session"] == rec.writer.session]
    times = sorted(r["timestamp"] for r in rows)
    assert times[0] == pytest.approx(1.0, abs=0.04) and times[-1] == pytest.approx(2.5, abs=0.04)
    assert len(written) == len(rows) == rec.frames
    assert manifest_agrees(tmp_path)
    # One press, one correction: a second x finds nothing new to file.
    assert c.command(("wrong",), 2.6) is None


def i_is(t, when):
    return abs(t - when) < 1e-6


def test_wrong_with_no_recent_press_records_nothing_and_says_so(tmp_path):
    said = []
    c = Corrector(tmp_path, LABELS, "none", "test", log=said.append)
    for f, t in frames(30):
        c.frame(f, t)
    assert c.command(("wrong",), 1.0) is None
    assert "nothing fired" in said[-1]
    assert not (tmp_path / "none").exists()


def test_missed_then_a_number_records_the_last_second_as_that_gesture(tmp_path):
    said = []
    c = Corrector(tmp_path, LABELS, "none", "test", log=said.append)
    assert c.command(("pick", 1), 0.0) is None  # a digit with no m before it means nothing
    for f, t in frames(60):
        c.frame(f, t)
    assert c.command(("missed",), 59 / 30) is None
    assert "1 fist" in c.prompt and "2 palm" in c.prompt and "none" not in c.prompt
    rec = c.command(("pick", 2), 2.1)
    rec.writer.close()
    assert rec.label == "palm" and rec.writer.session.endswith("-missed")
    times = sorted(r["timestamp"] for r in read_manifest(tmp_path))
    assert times[0] == pytest.approx(59 / 30 - 1.0, abs=0.04) and times[-1] == pytest.approx(59 / 30, abs=1e-3)
    assert c.prompt is None and manifest_agrees(tmp_path)


def test_missed_waits_only_a_few_seconds_for_the_number(tmp_path):
    c = Corrector(tmp_path, LABELS, "none", "test", log=lambda *a: None)
    c.command(("missed",), 0.0)
    for f, t in frames(200):  # 6.6 s
        c.frame(f, t)
    assert c.prompt is None and c.command(("pick", 1), 6.7) is None


def copy_model(model, tmp_path):
    """The trained synthetic model and its data, copied: corrections write to both."""
    ck, clip, keys = model
    data = tmp_path / "data"
    shutil.copytree(ck.parent / "data", data)
    out = tmp_path / "model" / "gesture.pt"
    out.parent.mkdir()
    shutil.copy(ck, out)
    shutil.copy(ck.with_name("gesture.live.npz"), out.with_name("gesture.live.npz"))
    return out, clip, keys, data


def wrong_after_first_press(commands):
    done = []

    def observe(i, events):
        if not done and any(e.kind in ("tap", "press") for e in events):
            done.append(i)
            commands.put("wrong")
    return observe, done


def test_a_correction_in_a_replay_is_saved_learned_and_swapped_in(model, tmp_path):
    ck, clip, keys, data = copy_model(model, tmp_path)
    commands = Commands()
    observe, done = wrong_after_first_press(commands)
    sender, said = DryRunSender(), []
    summary = run(RunConfig(checkpoint=ck, source=str(clip), keys=keys, preview=False, data=data, hotkeys=False,
                            wait_for_updates=True), sender=sender, log=said.append, commands=commands, observe=observe)
    assert done, "the replay fired a key to correct"
    assert summary["model_version"] == 2, said
    assert any("updated: model v2" in line for line in said), said
    new = checkpoint.load(ck)
    assert new.meta["version"] == 2 and new.meta["relearned"]["corrected_frames"] > 0
    assert checkpoint.load(checkpoint.previous_path(ck)).meta.get("version", 1) == 1  # the previous one is kept
    sessions = scan(data).sessions["none"]
    assert any(s.startswith("fix-") and s.endswith("-wrong") for s in sessions)
    assert manifest_agrees(data) and not sender.down
    assert not list(ck.parent.glob(".*.tmp"))
    # `gesture data` lists the correction like any session.
    r = gesture("data", "--data", data)
    assert r.returncode == 0 and "fix-" in r.stdout, r.stdout


def test_a_failed_relearning_keeps_the_running_model_and_says_why_in_one_line(model, tmp_path):
    ck, clip, keys, data = copy_model(model, tmp_path)
    commands = Commands()
    observe, done = wrong_after_first_press(commands)

    def observe_and_break(i, events):
        observe(i, events)
        if done and done[0] == i:
            ck.write_bytes(b"not a checkpoint")  # replaced behind the loop's back: relearning cannot load it
    said = []
    summary = run(RunConfig(checkpoint=ck, source=str(clip), keys=keys, preview=False, data=data, hotkeys=False,
                            wait_for_updates=True), sender=DryRunSender(), log=said.append, commands=commands,
                  observe=observe_and_break)
    assert summary["model_version"] == 1 and summary["frames"] > done[0] + 10
    failed = [line for line in said if line.startswith("relearning failed")]
    assert len(failed) == 1 and "still on model v1" in failed[0] and "\n" not in failed[0], said
    assert any(s.startswith("fix-") for s in scan(data).sessions["none"])  # the frames stay


def test_quitting_while_learning_leaves_the_frames_and_a_whole_checkpoint(model, tmp_path):
    ck, clip, keys, data = copy_model(model, tmp_path)
    commands = Commands()
    observe, done = wrong_after_first_press(commands)
    before = ck.read_bytes()
    sender = DryRunSender()
    run(RunConfig(checkpoint=ck, source=str(clip), keys=keys, preview=False, data=data, hotkeys=False,
                  max_frames=None), sender=sender, log=lambda *a: None, commands=commands, observe=observe)
    # The replay ends a moment after the correction: the training is stopped, never waited for.
    assert done and not sender.down
    assert ck.read_bytes() == before or checkpoint.load(ck).meta["version"] == 2
    checkpoint.load(ck)
    assert not list(ck.parent.glob(".*.tmp"))
    assert any(s.startswith("fix-") for s in scan(data).sessions["none"]) and manifest_agrees(data)


# Through this project's own sender: pynput's Controller types a character with
# XSendEvent, which the listener (XRecord) never sees; PynputSender uses XTest, like a keyboard.
PRESS_COMBO = """
import time
from gesture.live.senders import PynputSender
s = PynputSender()
s.press("ctrl+alt+x")
time.sleep(0.05)
s.release("ctrl+alt+x")
"""


def test_the_wrong_hotkey_works_without_a_window_on_a_real_x_server(model, xdisplay, tmp_path):
    ck, clip, keys, data = copy_model(model, tmp_path)
    env = {**os.environ, "DISPLAY": xdisplay}
    log = tmp_path / "events.jsonl"
    # --realtime: the clip plays at its own pace, as a camera would, so there is time to press the key.
    proc = subprocess.Popen([sys.executable, "-m", "gesture", "run", "--checkpoint", str(ck), "--source", str(clip),
                             "--keys", str(keys), "--no-preview", "--dry-run", "--realtime", "--log", str(log),
                             "--data", str(data)], env=env, cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + HANG
        while time.time() < deadline and not (log.exists() and '"tap"' in log.read_text()):
            time.sleep(0.05)
        assert log.exists(), "the replay fired a key"
        subprocess.run([sys.executable, "-c", PRESS_COMBO], env=env, check=True, timeout=HANG)
        out, err = proc.communicate(timeout=HANG)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert "wrong press of palm: recording" in out, out
    assert any(s.startswith("fix-") for s in scan(data).sessions["none"]) and manifest_agrees(data)
    checkpoint.load(ck)  # whole, whether the relearning finished or was stopped at the end
    rows = [json.loads(line) for line in log.read_text().splitlines()]
    assert rows[0]["gesture"] == "palm"
    assert (data / MANIFEST).exists()


def test_collect_keeps_hesitant_frames_a_few_a_second_and_data_files_them(tmp_path):
    from gesture.live.corrections import COLLECT_SPACING, Collector

    data = tmp_path / "data"
    (data / "none" / "s0").mkdir(parents=True)
    (data / "palm" / "s0").mkdir(parents=True)
    c = Collector(data, "test")
    sure, unsure = np.array([0.05, 0.9, 0.05]), np.array([0.3, 0.4, 0.3])
    for f, t in frames(30):  # 1 s of sure frames: nothing kept
        c.frame(f, sure, t)
    assert c.writer is None
    for f, t in frames(60):  # 2 s of unsure ones: one every COLLECT_SPACING seconds
        c.frame(f, unsure, 1.0 + t)
    note = c.close()
    kept = int(2 / COLLECT_SPACING)
    assert c.kept == kept and f"collected {kept} frames" in note
    session = c.writer.session
    assert not any(s.session == session for s in scan(data).samples)  # not training data until filed
    r = gesture("data", "--data", data)
    assert r.returncode == 0 and session in r.stdout and "--file" in r.stdout, r.stdout
    r = gesture("data", "--data", data, "--file", session, "none")
    assert r.returncode == 0, r.stderr
    assert sum(s.session == session and s.label == "none" for s in scan(data).samples) == kept
    assert manifest_agrees(data) and not read_manifest(data / ".review")
    # Filing it again, or under a label the data does not have, is one line and exit 2.
    for args in ((session, "none"), ("nope", "none")):
        r = gesture("data", "--data", data, "--file", *args)
        assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
