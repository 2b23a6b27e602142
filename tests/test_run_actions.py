"""`gesture run` end to end on a real X server (Xvfb): mouse actions, and a key map per application."""
import json
import os
import subprocess
import sys
import time

import pytest
from conftest import HANG, ROOT

pytest.importorskip("Xlib", reason="python-xlib reads the focused window (pip install python-xlib)")
from Xlib import X  # noqa: E402

MOUSE_LISTENER = """
import json
from pynput import mouse
def on_click(x, y, button, pressed, *injected):
    print(json.dumps(["click", button.name, pressed]), flush=True)
def on_scroll(x, y, dx, dy, *injected):
    print(json.dumps(["scroll", dx, dy]), flush=True)
with mouse.Listener(on_click=on_click, on_scroll=on_scroll) as listener:
    listener.wait()
    print("ready", flush=True)
    listener.join()
"""

KEY_LISTENER = """
import json
from pynput import keyboard
def on_press(key):
    print(json.dumps(["press", str(key)]), flush=True)
with keyboard.Listener(on_press=on_press) as listener:
    listener.wait()
    print("ready", flush=True)
    listener.join()
"""


def listen(code, env):
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    time.sleep(0.3)
    return proc


def heard(proc):
    time.sleep(2.0)  # the X server's last events reach the listener, even on a loaded core
    proc.terminate()
    return [json.loads(line) for line in proc.communicate(timeout=HANG)[0].splitlines() if line.startswith("[")]


def run_replay(ck, clip, keys, env, tmp_path):
    r = subprocess.run([sys.executable, "-m", "gesture", "run", "--checkpoint", str(ck), "--source", str(clip),
                        "--keys", str(keys), "--no-preview", "--no-corrections", "--log", str(tmp_path / "ev.jsonl")],
                       env=env, cwd=ROOT, capture_output=True, text=True, timeout=HANG)
    assert r.returncode == 0, r.stderr
    return r


def test_scroll_and_a_held_click_from_a_replay_reach_a_real_mouse_listener(model, xdisplay, tmp_path):
    ck, clip, _ = model
    keys = tmp_path / "keys.toml"
    # The replay shows palm for 30 frames (1 s), then fist for 30.
    keys.write_text('[gestures.palm]\nmouse = "scroll_down"\namount = 2\n\n'
                    '[gestures.fist]\nmouse = "click"\nmode = "hold"\n')
    env = {**os.environ, "DISPLAY": xdisplay}
    listener = listen(MOUSE_LISTENER, env)
    try:
        run_replay(ck, clip, keys, env, tmp_path)
    finally:
        got = heard(listener)
    scrolls = [g for g in got if g[0] == "scroll"]
    clicks = [g for g in got if g[0] == "click"]
    # Two steps per scroll, repeated while palm is held (every 0.15 s of the clip's time).
    assert scrolls and all(s == ["scroll", 0, -1] for s in scrolls) and len(scrolls) % 2 == 0, got
    assert len(scrolls) >= 4, "the scroll repeats while the gesture is held"
    # Held: the button goes down when fist starts and up when it ends (a drag), once.
    assert clicks == [["click", "left", True], ["click", "left", False]], got
    log = [json.loads(line) for line in (tmp_path / "ev.jsonl").read_text().splitlines()]
    assert {e["key"] for e in log} == {"scroll_down*2", "click"}


def make_window(d, cls, title):
    win = d.screen().root.create_window(0, 0, 300, 200, 0, d.screen().root_depth, X.InputOutput, X.CopyFromParent)
    win.set_wm_class(cls, cls.capitalize())
    win.set_wm_name(title)
    win.map()
    d.sync()
    return win


def test_the_same_replay_presses_the_focused_applications_key(model, xdisplay, xconn, tmp_path):
    ck, clip, _ = model
    keys = tmp_path / "keys.toml"
    keys.write_text('[gestures]\npalm = "a"\n\n[apps."slides".gestures]\npalm = "right"\n\n'
                    '[apps."^player$".gestures]\npalm = "space"\n')
    slides = make_window(xconn, "slides", "talk - Slides")
    player = make_window(xconn, "player", "film.mkv - Player")
    env = {**os.environ, "DISPLAY": xdisplay}
    pressed = {}
    try:
        for win, name in ((slides, "slides"), (player, "player")):
            # No window manager runs on Xvfb: give the focus as one would.
            xconn.set_input_focus(win, X.RevertToParent, X.CurrentTime)
            xconn.sync()
            listener = listen(KEY_LISTENER, env)
            try:
                r = run_replay(ck, clip, keys, env, tmp_path)
            finally:
                pressed[name] = [k for kind, k in heard(listener) if kind == "press"]
            log = [json.loads(line) for line in (tmp_path / "ev.jsonl").read_text().splitlines()]
            assert {e["map"] for e in log} == {"slides" if name == "slides" else "^player$"}, (log, r.stdout)
            (tmp_path / "ev.jsonl").unlink()
    finally:
        slides.destroy()
        player.destroy()
        xconn.sync()
    assert pressed["slides"] == ["Key.right"], pressed
    assert pressed["player"] == ["Key.space"], pressed


@pytest.mark.parametrize("text, line, words", [
    ('[gestures]\npalm = "scrol_down"\n', 2, "scrol_down"),  # an unknown action
    ('[gestures.palm]\nmouse = "scroll_down"\namount = 0\n', 3, "amount"),  # a scroll of nothing
    ('[gestures]\npalm = "a"\n\n[apps."vlc(".gestures]\npalm = "space"\n', 4, "pattern"),  # not a regex
    ('[gestures]\npalm = "a"\n\n[apps."vlc".gestures]\nthumbs = "space"\n', 5, "thumbs"),  # not the model's
])
def test_a_bad_action_or_app_map_is_one_line_with_its_line_and_nothing_starts(model, tmp_path, text, line, words):
    from conftest import gesture

    ck, clip, _ = model
    bad = tmp_path / "keys.toml"
    bad.write_text(text)
    log = tmp_path / "ev.jsonl"
    r = gesture("run", "--checkpoint", ck, "--source", clip, "--keys", bad, "--dry-run", "--no-preview", "--log", log)
    err = r.stderr.strip().splitlines()
    assert r.returncode == 2 and len(err) == 1 and f" {bad}:{line}: " in err[0], r.stderr
    assert words in err[0] and "Traceback" not in r.stderr
    assert not log.exists() and "frames at" not in r.stdout  # nothing ran
