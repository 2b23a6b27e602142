"""Mouse actions: what PynputSender sends reaches a real X server (Xvfb), seen by pynput's listener."""
import json
import os
import queue
import subprocess
import sys
import threading
import types

import numpy as np
import pytest
from conftest import HANG, ROOT

from gesture.errors import GestureError
from gesture.live import mouse
from gesture.live.decide import Decider, DecisionConfig, Rule
from gesture.live.outputs import apply
from gesture.live.senders import DryRunSender

# pynput's X backend binds DISPLAY when it is imported: listener and sender each run in a
# process of their own with DISPLAY set, the way `gesture run` would.
LISTENER = """
import json
from pynput import mouse
def emit(*row):
    print(json.dumps(row), flush=True)
def on_click(x, y, button, pressed, *injected):
    emit("click", button.name, pressed)
def on_scroll(x, y, dx, dy, *injected):
    emit("scroll", dx, dy)
with mouse.Listener(on_click=on_click, on_scroll=on_scroll) as listener:
    listener.wait()
    print("ready", flush=True)
    listener.join()
"""

SENDER = """
from gesture.live.senders import PynputSender
s = PynputSender()
for combo in ("scroll_down*3", "scroll_up", "scroll_left*2", "scroll_right", "click", "right_click", "middle_click",
              "double_click"):
    s.check(combo)
    s.tap(combo)
s.press("click")  # a drag: the button goes down on activation ...
s.release("click")  # ... and up when the gesture ends
s.press("right_click")
try:
    raise RuntimeError("the loop fails with a button down")
except RuntimeError:
    pass
finally:
    s.release_all()  # the live loop's finally
print("down after release_all:", s.down)
"""

EXPECTED = (
    [["scroll", 0, -1]] * 3 + [["scroll", 0, 1]] + [["scroll", -1, 0]] * 2 + [["scroll", 1, 0]]
    + [["click", b, p] for b in ("left", "right", "middle") for p in (True, False)]
    + [["click", "left", True], ["click", "left", False]] * 2  # the double click
    + [["click", "left", True], ["click", "left", False]]  # the drag
    + [["click", "right", True], ["click", "right", False]]  # held, released by release_all
)


def test_pynput_sender_scrolls_and_clicks_on_a_real_x_server(xdisplay, xconn):
    env = {**os.environ, "DISPLAY": xdisplay, "PYTHONPATH": str(ROOT)}
    env.pop("PYNPUT_BACKEND", None)
    listener = subprocess.Popen([sys.executable, "-c", LISTENER], env=env, stdout=subprocess.PIPE, text=True)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in listener.stdout], daemon=True).start()
    got = []
    try:
        assert lines.get(timeout=HANG).strip() == "ready"
        r = subprocess.run([sys.executable, "-c", SENDER], env=env, cwd=ROOT, capture_output=True, text=True,
                           timeout=HANG, check=False)
        assert r.returncode == 0, r.stderr
        assert "down after release_all: []" in r.stdout
        # Until the events stop coming: a missing release must fail the test, not hang it.
        while True:
            try:
                got.append(json.loads(lines.get(timeout=3.0)))  # 3 s of quiet: a loaded core may lag
            except queue.Empty:
                break
    finally:
        listener.terminate()
        listener.wait(HANG)
    assert got == EXPECTED


def test_decider_events_for_mouse_rules_go_through_the_live_loops_apply():
    labels = ["fist", "none", "palm"]
    rules = {"palm": Rule("scroll_down*2", repeat_after=0.15), "fist": Rule("click", mode="hold")}
    d = Decider(labels, "none", DecisionConfig(threshold=0.8, frames=2), rules)
    sender, script = DryRunSender(), [("none", 5), ("palm", 15), ("none", 12), ("fist", 10), ("none", 5)]
    for i, label in enumerate(label for label, n in script for _ in range(n)):
        p = np.full(3, 0.01)
        p[labels.index(label)] = 0.98
        apply(d.update(p, i / 30), sender)
    scrolls = [s for s in sender.sent if s[0] == "scroll_down*2"]
    assert 3 <= len(scrolls) <= 4, "half a second of palm: the first scroll, then one every 0.15 s"
    assert sender.sent[len(scrolls):] == [("mouse.left", True), ("mouse.left", False)]
    assert sender.down == []


def test_no_mouse_for_pynput_is_one_gesture_error(monkeypatch):
    def broken():
        raise OSError("no pointer device")

    monkeypatch.setitem(sys.modules, "pynput", types.SimpleNamespace(mouse=types.SimpleNamespace(Controller=broken)))
    with pytest.raises(GestureError) as e:
        mouse.Pointer()
    msg = str(e.value)
    assert "cannot send mouse actions with pynput (OSError: no pointer device)" in msg and "--dry-run" in msg
    assert "\n" not in msg
