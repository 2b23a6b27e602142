"""The focused window on a real X server (Xvfb), and the app map it selects."""
import time

import pytest

from gesture.live.apps import NEED_X11, FocusWatcher, WindowInfo
from gesture.live.keymap import load_keymap

pytest.importorskip("Xlib", reason="python-xlib reads the focused window (pip install python-xlib)")
from Xlib import X, Xatom

LABELS = ["V", "fist", "none", "palm", "Y"]
KEYS = """\
[gestures]
palm = "right"

[apps."impress".gestures]
palm = "space"

[apps."firefox".gestures]
palm = "scroll_down"
"""
POLL = 0.05  # seconds: quicker than the live default, so the tests stay short


@pytest.fixture
def x(xdisplay, xconn, monkeypatch):
    """The test's connection to the X server, with DISPLAY pointing there for the watcher; the
    windows a test makes are destroyed after it."""
    monkeypatch.setenv("DISPLAY", xdisplay)
    before = {w.id for w in xconn.screen().root.query_tree().children}
    yield xconn
    for w in xconn.screen().root.query_tree().children:
        if w.id not in before:
            w.destroy()
    xconn.sync()


def make_window(d, instance, cls, title, net_title=None, parent=None):
    parent = parent or d.screen().root
    win = parent.create_window(0, 0, 200, 100, 0, d.screen().root_depth, X.InputOutput, X.CopyFromParent)
    if cls:
        win.set_wm_class(instance, cls)
    if title:
        win.set_wm_name(title)
    if net_title:
        win.change_property(d.intern_atom("_NET_WM_NAME"), d.intern_atom("UTF8_STRING"), 8, net_title.encode())
    win.map()
    d.sync()
    return win


def focus(d, win):
    # No window manager runs on Xvfb, so the test gives the focus as a window manager would.
    d.set_input_focus(win, X.RevertToParent, X.CurrentTime)
    d.sync()


def wait_for(watcher, want, timeout=60.0):  # returns as soon as it is seen
    deadline = time.time() + timeout
    while watcher.current != want and time.time() < deadline:
        time.sleep(POLL / 2)
    return watcher.current


def test_the_watcher_follows_the_focus_and_the_key_map_follows_the_watcher(x, tmp_path):
    (tmp_path / "keys.toml").write_text(KEYS)
    km = load_keymap(tmp_path / "keys.toml", LABELS, "none")
    impress = make_window(x, "libreoffice", "libreoffice-impress", "talk.odp - LibreOffice Impress")
    firefox = make_window(x, "Navigator", "firefox", "Docs - Mozilla Firefox")
    focus(x, impress)
    watcher = FocusWatcher.start(log=pytest.fail, interval=POLL)
    try:
        # The first answer is there when start() returns: the first frame uses the right map.
        want = WindowInfo("libreoffice-impress", "talk.odp - LibreOffice Impress", "libreoffice")
        assert watcher.current == want
        assert km.rules_for(watcher.current) == ("impress", km.apps[0].rules)
        focus(x, firefox)
        assert wait_for(watcher, WindowInfo("firefox", "Docs - Mozilla Firefox", "Navigator")).wm_class == "firefox"
        name, rules = km.rules_for(watcher.current)
        assert name == "firefox" and rules["palm"].key == "scroll_down"
        focus(x, impress)
        assert wait_for(watcher, want) == want
        # Focus on the desktop itself: no application, the default map.
        x.set_input_focus(X.PointerRoot, X.RevertToParent, X.CurrentTime)
        x.sync()
        assert wait_for(watcher, None) is None
        assert km.rules_for(watcher.current) == ("default", km.rules)
    finally:
        watcher.close()
    assert not watcher._thread.is_alive()


def test_focus_on_a_child_window_walks_up_to_the_application(x):
    app = make_window(x, "vlc", "vlc", "movie.mkv - VLC media player")
    child = make_window(x, None, None, None, parent=app)  # a toolkit's focus proxy: no class, no title
    focus(x, child)
    watcher = FocusWatcher.start(interval=POLL)
    try:
        assert watcher.current == WindowInfo("vlc", "movie.mkv - VLC media player", "vlc")
    finally:
        watcher.close()


def test_the_window_managers_active_window_and_its_utf8_title_win(x):
    root = x.screen().root
    focused = make_window(x, "xterm", "XTerm", "xterm")
    active = make_window(x, "libreoffice", "libreoffice-impress", "Prasentation", net_title="Präsentation.odp")
    focus(x, focused)
    net_active = x.intern_atom("_NET_ACTIVE_WINDOW")
    root.change_property(net_active, Xatom.WINDOW, 32, [active.id])
    x.sync()
    watcher = FocusWatcher.start(interval=POLL)
    try:
        assert watcher.current == WindowInfo("libreoffice-impress", "Präsentation.odp", "libreoffice")
        # "No active window" (0): back to the input focus.
        root.change_property(net_active, Xatom.WINDOW, 32, [0])
        x.sync()
        assert wait_for(watcher, WindowInfo("XTerm", "xterm", "xterm")) == WindowInfo("XTerm", "xterm", "xterm")
    finally:
        root.delete_property(net_active)
        x.sync()
        watcher.close()


def test_a_window_that_vanishes_never_stops_the_watcher(x):
    root = x.screen().root
    net_active = x.intern_atom("_NET_ACTIVE_WINDOW")
    first = make_window(x, "gedit", "Gedit", "notes.txt")
    focus(x, first)
    watcher = FocusWatcher.start(interval=POLL)
    try:
        assert watcher.current.wm_class == "Gedit"
        # The active window is destroyed while the window manager still names it: every read
        # of it now fails with BadWindow. The watcher keeps its last answer and keeps going.
        gone = make_window(x, "vlc", "vlc", "vlc")
        root.change_property(net_active, Xatom.WINDOW, 32, [gone.id])
        gone.destroy()
        x.sync()
        time.sleep(POLL * 4)
        assert watcher._thread.is_alive() and watcher.current.wm_class == "Gedit"
        root.delete_property(net_active)
        # The focused window itself closes: the focus reverts to the root, no application.
        first.destroy()
        x.sync()
        assert wait_for(watcher, None) is None and watcher._thread.is_alive()
        later = make_window(x, "Navigator", "firefox", "Mozilla Firefox")
        focus(x, later)
        assert wait_for(watcher, WindowInfo("firefox", "Mozilla Firefox", "Navigator")).wm_class == "firefox"
    finally:
        root.delete_property(net_active)
        x.sync()
        watcher.close()


@pytest.mark.parametrize("env", [{"DISPLAY": None}, {"DISPLAY": ":97"}])
def test_without_an_x_display_there_is_no_watcher_and_one_message(monkeypatch, env):
    for k, v in env.items():
        if v is None:
            monkeypatch.delenv(k, raising=False)
        else:
            monkeypatch.setenv(k, v)  # a display nobody serves
    said = []
    assert FocusWatcher.start(log=said.append) is None
    assert len(said) == 1 and said[0].startswith(NEED_X11)
