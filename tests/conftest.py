import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import cv2
import pytest

from gesture.capture.synth import SynthRenderer, parse_script

ROOT = Path(__file__).resolve().parents[1]
DATASETS = ROOT.parent / "shared" / "datasets"
# A guard against a hung process, never a speed bound: a slow CPU, one core shared with a busy
# loop, takes several times as long as a fast one, and no test may fail for that.
HANG = 3600


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory):
    """Keep the decoded-frame cache, the control socket and the autostart files of test runs out
    of the user's home."""
    names = ("XDG_CACHE_HOME", "XDG_RUNTIME_DIR", "XDG_STATE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME")
    old = {k: os.environ.get(k) for k in names}
    for k in names:
        os.environ[k] = str(tmp_path_factory.mktemp(k.split("_")[1].lower()))
    yield
    for k, v in old.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def gesture(*args, timeout=HANG, **kw) -> subprocess.CompletedProcess:
    """Run the real CLI in a subprocess, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "gesture", *map(str, args)],
        capture_output=True, text=True, timeout=timeout, cwd=kw.pop("cwd", ROOT), **kw,
    )


@pytest.fixture
def datasets() -> Path:
    if not DATASETS.is_dir():
        pytest.skip(f"real datasets not found at {DATASETS} (the ../shared folder beside the project)")
    return DATASETS


@pytest.fixture(scope="session")
def xdisplay():
    """A real X server (Xvfb) for window and key-delivery tests; yields its DISPLAY."""
    xvfb = shutil.which("Xvfb")
    if not xvfb:
        pytest.skip("Xvfb is not installed and scripts/test could not install it (apt-get install xvfb)")
    r, w = os.pipe()
    # -displayfd: Xvfb picks a free display number and writes it to us once it is ready.
    proc = subprocess.Popen([xvfb, "-displayfd", str(w), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                            pass_fds=(w,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(w)
    number, deadline = b"", time.time() + 20
    while not number.endswith(b"\n") and time.time() < deadline:
        chunk = os.read(r, 16)
        if not chunk:
            break
        number += chunk
    os.close(r)
    if not number.strip():
        proc.kill()
        pytest.skip("Xvfb did not start")
    yield f":{number.decode().strip()}"
    proc.terminate()
    proc.wait(10)


FIND_WINDOW = """
import sys, time
from Xlib import X, display
d = display.Display()
def find(w, title):
    try:
        name = w.get_wm_name()
    except Exception:
        name = None
    if isinstance(name, bytes):
        name = name.decode(errors="replace")
    if name and title in name:
        return w
    for child in w.query_tree().children:
        found = find(child, title)
        if found:
            return found
def wait_for(title):
    deadline = time.time() + 20
    while not (win := find(d.screen().root, title)) and time.time() < deadline:
        time.sleep(0.1)
    if not win:
        sys.exit("no window titled " + title)
    return win
"""

PRESS_IN_WINDOW = FIND_WINDOW + """
from pynput.keyboard import Controller
title, key = sys.argv[1], sys.argv[2]
win = wait_for(title)
# No window manager runs on Xvfb, so give the window the keyboard focus ourselves.
win.set_input_focus(X.RevertToParent, X.CurrentTime)
d.sync()
k = Controller()
k.press(key)
time.sleep(0.05)
k.release(key)
"""


def press_in_window(xdisplay: str, title: str, key: str) -> None:
    """Focus the window whose title contains `title` on that display and press `key`, as a user would."""
    subprocess.run([sys.executable, "-c", PRESS_IN_WINDOW, title, key], env={**os.environ, "DISPLAY": xdisplay},
                   check=True, timeout=HANG)


GRAB_WINDOW = FIND_WINDOW + """
title, out = sys.argv[1], sys.argv[2]
win = wait_for(title)
time.sleep(float(sys.argv[3]))
g = win.get_geometry()
raw = win.get_image(0, 0, g.width, g.height, X.ZPixmap, 0xFFFFFFFF)
import numpy as np, cv2
img = np.frombuffer(raw.data, np.uint8).reshape(g.height, g.width, 4)[:, :, :3]
cv2.imwrite(out, img)
"""


def grab_window(xdisplay: str, title: str, out: Path, wait: float = 0.5):
    """Save what the window titled `title` shows on that display, after `wait` seconds, as a PNG."""
    subprocess.run([sys.executable, "-c", GRAB_WINDOW, title, str(out), str(wait)],
                   env={**os.environ, "DISPLAY": xdisplay}, check=True, timeout=HANG)
    import cv2
    return cv2.imread(str(out))


@pytest.fixture(scope="session")
def xconn(xdisplay):
    """A python-xlib connection to the test X server, open for the whole session: Xvfb resets
    (dropping every window, and refusing connections for a moment) whenever its last client
    disconnects, so holding one keeps tests that connect one after another from failing."""
    xlib = pytest.importorskip("Xlib.display", reason="python-xlib is needed for the X window tests")
    deadline = time.time() + 10
    while True:
        try:
            d = xlib.Display(xdisplay)
            break
        except Exception:  # a reset in progress
            if time.time() > deadline:
                raise
            time.sleep(0.1)
    yield d
    d.close()


# The synthetic model that the live-loop tests share.
SEEDS = {"palm": 3, "fist": 5, "none": 7}
REPLAY = [("none", 20), ("palm", 30), ("none", 20), ("fist", 30), ("none", 25)]
KEYS = '[gestures]\npalm = "right"\n\n[gestures.fist]\nkey = "a"\nmode = "hold"\n'


def renderer(label):
    return SynthRenderer(parse_script(f"{label} x60, seed={SEEDS[label]}, size=160x120"))


@pytest.fixture(scope="session")
def model(tmp_path_factory):
    """A small model trained on synthetic palm, fist and none, once for the session (tests that
    write beside it copy it first); the replay shows it those same hands."""
    root = tmp_path_factory.mktemp("live")
    for label, seed in SEEDS.items():
        r = gesture("capture", label, "--source", f"synth:{label} x60, seed={seed}, size=160x120",
                    "--data", root / "data", "--count", 60, "--session", "s0", "--no-preview")
        assert r.returncode == 0, r.stderr
    ck = root / "gesture.pt"
    r = gesture("train", "--data", root / "data", "--out", ck, "--size", 64, "--width", 0.5, timeout=HANG)
    assert r.returncode == 0, r.stderr
    clip = root / "replay.mp4"
    vw = cv2.VideoWriter(str(clip), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, (160, 120))
    for label, n in REPLAY:
        rend = renderer(label)
        for i in range(n):
            vw.write(rend.frame(10 + i)[0])
    vw.release()
    keys = root / "keys.toml"
    keys.write_text(KEYS)
    return ck, clip, keys
