import pytest

from gesture.errors import GestureError
from gesture.live.apps import WindowInfo
from gesture.live.decide import Rule
from gesture.live.keymap import load_keymap, starter_keymap
from gesture.live.keynames import parse_key
from gesture.live.senders import DryRunSender
from gesture.live.swipes import SWIPES

LABELS = ["V", "fist", "none", "palm", "Y"]
GOOD = """\
[gestures]
V = "space"                 # shorthand: tap this key

[gestures.palm]
key = "ctrl+shift+t"        # a key name, a character, or a combination
mode = "hold"               # tap | hold
threshold = 0.85            # optional, overrides --threshold
cooldown = 0.5              # optional, seconds between activations

[gestures.fist]
key = "media_play_pause"
repeat_after = 0.6
"""


def load_error(tmp_path, text) -> tuple:
    """The key map file and the one-line error loading it gives."""
    path = write(tmp_path, text)
    with pytest.raises(GestureError) as e:
        load_keymap(path, LABELS, "none")
    return path, str(e.value)


def write(tmp_path, text):
    p = tmp_path / "keys.toml"
    p.write_text(text)
    return p


def test_the_documented_format_parses(tmp_path):
    km = load_keymap(write(tmp_path, GOOD), LABELS, "none")
    assert km.rules["V"].key == "space" and km.rules["V"].mode == "tap"
    palm = km.rules["palm"]
    assert (palm.key, palm.mode, palm.threshold, palm.cooldown) == ("ctrl+shift+t", "hold", 0.85, 0.5)
    assert km.rules["fist"].repeat_after == 0.6 and km.pause_gesture is None


def test_require_rest(tmp_path):
    assert load_keymap(write(tmp_path, GOOD), LABELS, "none").require_rest is True
    km = load_keymap(write(tmp_path, "require_rest = false\n" + GOOD), LABELS, "none")
    assert km.require_rest is False


def test_pause_gesture(tmp_path):
    km = load_keymap(write(tmp_path, 'pause_gesture = "Y"\n' + GOOD), LABELS, "none")
    assert km.pause_gesture == "Y" and km.rules["Y"].pause


@pytest.mark.parametrize("text,line,msg", [
    ('[gestures]\nV = "spcae"\n', 2, "unknown key 'spcae'"),
    ('[gestures]\nV = "space"\n\n[gestures.palm]\nmode = "hold"\nkey = "ctrl+bogus"\n', 6, "unknown key 'bogus'"),
    ('[gestures]\nV = "space"\nthumbs = "a"\n', 3, "'thumbs' is not one the checkpoint knows"),
    ('[gestures]\nV = "space"\nPlam = "a"\n', 3, "'Plam' is not one the checkpoint knows; did you mean 'palm'?"),
    ('[gestures]\nswipe_lef = "a"\n', 2, "did you mean 'swipe_left'?"),
    ('[gestures]\nnone = "a"\n', 2, "no-gesture class"),
    ('[gestures.palm]\nkey = "a"\nmode = "press"\n', 3, "mode must be tap or hold"),
    ('[gestures.palm]\nkey = "a"\nthreshold = 1.5\n', 3, "threshold must be"),
    ('[gestures.palm]\nkey = "a"\nthreshold = 0.05\n', 3, "threshold must be a number from 0.3"),
    ('[gestures.palm]\nkey = "a"\nrepeat_after = 0.5\nmode = "hold"\n', 3, "repeat_after only applies"),
    ('[gestures.palm]\nkey = "a"\ncolour = "red"\n', 3, "unknown field 'colour'"),
    ('[gestures.palm]\nmode = "hold"\n', 1, "has no key"),
    ('[gestures]\nV = "space"\nV = "a"\n', 3, "not valid TOML"),
    ('pause_gesture = "palm"\n[gestures]\npalm = "a"\n', 3, "also fires a key"),
    ('title = "x"\n[gestures]\npalm = "a"\n', 1, "unknown setting 'title'"),
    ('# rest\nrequire_rest = "no"\n[gestures]\npalm = "a"\n', 2, "require_rest must be true or false"),
    ('# nothing mapped\n', 1, "no [gestures] table"),
    ('[gestures.swipe_up]\nkey = "a"\nshape = 5\n', 3, "shape 5 is not a gesture the checkpoint knows"),
])
def test_bad_maps_name_file_and_line(tmp_path, text, line, msg):
    path, err = load_error(tmp_path, text)
    assert msg in err
    if "TOML" not in msg:
        assert err.startswith(f"{path}:{line}:")
    else:
        assert "line 3" in err


def test_the_no_gesture_class_is_never_suggested(tmp_path):
    _, err = load_error(tmp_path, 'pause_gesture = "nonee"\n[gestures]\npalm = "a"\n')
    assert "is not a gesture the checkpoint knows" in err and "did you mean" not in err


def test_missing_map_file(tmp_path):
    with pytest.raises(GestureError, match="cannot read key map"):
        load_keymap(tmp_path / "nope.toml", LABELS, "none")


@pytest.mark.parametrize("text,keys", [
    ("space", ("space",)), ("ctrl+shift+t", ("ctrl", "shift", "t")), ("a", ("a",)), ("A", ("A",)),
    ("+", ("+",)), ("Return", ("enter",)), ("media_play_pause", ("media_play_pause",)), ("f12", ("f12",)),
])
def test_parse_key(text, keys):
    assert parse_key(text) == keys


@pytest.mark.parametrize("bad", ["", "ctrl+", "spacebar", "f25"])
def test_parse_key_refuses(bad):
    with pytest.raises(ValueError):
        parse_key(bad)


def test_starter_map_parses_and_skips_the_no_gesture_class(tmp_path):
    text = starter_keymap(["fist", "none", "palm", "thumbs up"], "none")
    km = load_keymap(write(tmp_path, text), ["fist", "none", "palm", "thumbs up"], "none")
    assert km.rules["fist"].key == "right" and km.rules["palm"].key == "left" and km.rules["thumbs up"].key == "space"
    assert "none" not in km.rules


def test_sender_releases_combinations_in_reverse_and_everything_at_the_end():
    s = DryRunSender()
    s.tap("ctrl+shift+t")
    assert s.sent == [("ctrl", True), ("shift", True), ("t", True), ("t", False), ("shift", False), ("ctrl", False)]
    s.sent.clear()
    s.press("shift")
    s.press("a")
    s.release_all()
    assert s.down == [] and s.sent[-2:] == [("a", False), ("shift", False)]


# Mouse actions

MOUSE = """\
[gestures]
V = "scroll_down"           # shorthand: one step, repeating while held

[gestures.palm]
mouse = "scroll_up"
amount = 3

[gestures.fist]
mouse = "click"
mode = "hold"

[gestures.Y]
mouse = "scroll_left"
repeat_after = 0
"""


def test_mouse_actions_parse_into_the_string_the_decider_carries(tmp_path):
    km = load_keymap(write(tmp_path, MOUSE), LABELS, "none")
    assert km.rules["V"] == Rule(key="scroll_down", mode="tap", repeat_after=0.15)
    assert km.rules["palm"] == Rule(key="scroll_up*3", mode="tap", repeat_after=0.15)
    assert km.rules["fist"] == Rule(key="click", mode="hold")  # a drag; clicks do not repeat by default
    assert km.rules["Y"].key == "scroll_left" and km.rules["Y"].repeat_after is None  # 0: once per activation


@pytest.mark.parametrize("text,line,msg", [
    ('[gestures.palm]\nmouse = "scrol_down"\n', 2, "unknown mouse action 'scrol_down' (did you mean scroll_down?)"),
    ('[gestures]\nV = "space"\npalm = "scrol_down"\n', 3, "unknown key 'scrol_down' (did you mean scroll_down?)"),
    ('[gestures]\npalm = "scroll_down*3"\n', 2, 'long form, mouse = "scroll_down" with amount = N'),
    ('[gestures.palm]\nmouse = "scroll_down"\namount = 0\n', 3, "amount must be a whole number of scroll steps from 1"),
    ('[gestures.palm]\nmouse = "scroll_down"\namount = -2\n', 3, "got -2"),
    ('[gestures.palm]\nmouse = "scroll_down"\namount = 1.5\n', 3, "got 1.5"),
    ('[gestures.palm]\nmouse = "scroll_down"\namount = "3"\n', 3, "got '3'"),
    ('[gestures.palm]\nmouse = "scroll_down"\namount = true\n', 3, "got True"),
    ('[gestures.palm]\nmouse = "scroll_down"\n\namount = 101\n', 4, "from 1 to 100"),
    ('[gestures.palm]\nmouse = "click"\namount = 2\n', 3, "amount only applies to scroll actions, not click"),
    ('[gestures.palm]\nkey = "a"\namount = 2\n', 3, "amount only applies to scroll actions"),
    ('[gestures.palm]\nmouse = "scroll_down"\nmode = "hold"\n', 3, "scroll_down cannot be held; it repeats"),
    ('[gestures.palm]\nmode = "hold"\nmouse = "double_click"\n', 2, "double_click cannot be held"),
    ('[gestures.palm]\nkey = "a"\nmouse = "click"\n', 1, "both key and mouse"),
    ('[gestures.palm]\nkey = "click"\n', 2, 'click is a mouse action; write mouse = "click"'),
    ('[gestures]\npalm = "ctrl+click"\n', 2, "click is a mouse action, which cannot be combined with keys"),
    ('[gestures.palm]\nmouse = "ctrl+click"\n', 2, "cannot be combined with keys"),
    ('[gestures.palm]\nmouse = 3\n', 2, "unknown mouse action 3"),
    ('[gestures.palm]\nmouse = "click"\nrepeat_after = -1\n', 3, "repeat_after must be 0 or a number"),
])
def test_bad_mouse_actions_name_file_and_line(tmp_path, text, line, msg):
    path, err = load_error(tmp_path, text)
    assert err.startswith(f"{path}:{line}:") and msg in err, err


def test_dry_run_sender_records_mouse_actions():
    s = DryRunSender()
    s.tap("scroll_down*3")
    s.tap("scroll_up")
    s.tap("right_click")
    s.tap("double_click")
    assert s.sent == [("scroll_down*3", True), ("scroll_up", True), ("mouse.right", True), ("mouse.right", False),
                      ("mouse.left", True), ("mouse.left", False), ("mouse.left", True), ("mouse.left", False)]
    assert s.down == []


def test_a_held_button_is_released_like_a_held_key():
    s = DryRunSender()
    s.press("click")  # a drag
    s.press("shift")
    assert s.down == ["mouse.left", "shift"]
    s.release("click")
    assert s.sent[-1] == ("mouse.left", False) and s.down == ["shift"]
    s.press("middle_click")
    s.release_all()  # every exit path of the live loop
    assert s.sent[-2:] == [("mouse.middle", False), ("shift", False)] and s.down == []
    with pytest.raises(ValueError):
        s.press("scroll_down")  # the key map refuses it; a sender must not half-do it
    assert s.down == []


# Per-application maps

APPS = """\
pause_gesture = "Y"

[gestures]
V = "space"

[apps."impress|powerpoint".gestures]
V = "right"
palm = "left"

[apps."^vlc$".gestures.fist]
key = "space"
mode = "hold"

[apps."firefox".gestures]
palm = "scroll_down"
"""


def test_app_sections_parse_in_file_order_and_share_the_pause_gesture(tmp_path):
    km = load_keymap(write(tmp_path, APPS), LABELS, "none")
    assert [a.pattern for a in km.apps] == ["impress|powerpoint", "^vlc$", "firefox"]
    slides, vlc, firefox = (a.rules for a in km.apps)
    assert slides == {"V": Rule("right"), "palm": Rule("left"), "Y": Rule(pause=True)}
    assert vlc["fist"] == Rule("space", mode="hold") and vlc["Y"].pause
    assert firefox["palm"].key == "scroll_down" and firefox["palm"].repeat_after == 0.15
    assert km.pause_gesture == "Y" and km.rules == {"V": Rule("space"), "Y": Rule(pause=True)}
    assert [(m, g) for m, g, _ in km.all_rules()][:3] == [("default", "V"), ("default", "Y"),
                                                          ("impress|powerpoint", "V")]


def test_rules_for_picks_the_first_matching_app_map(tmp_path):
    km = load_keymap(write(tmp_path, APPS), LABELS, "none")
    assert km.rules_for(None) == ("default", km.rules)
    assert km.rules_for(WindowInfo("Gedit", "notes.txt", "gedit")) == ("default", km.rules)
    # Case-insensitive, and searched in the class, the instance and the title.
    assert km.rules_for(WindowInfo("libreoffice-impress", "talk.odp", "libreoffice"))[0] == "impress|powerpoint"
    assert km.rules_for(WindowInfo("Wine", "PowerPoint - talk.pptx", "powerpnt.exe"))[0] == "impress|powerpoint"
    assert km.rules_for(WindowInfo("vlc", "movie.mkv - VLC media player", "vlc"))[0] == "^vlc$"
    # Anchors hold within one field: a title that merely mentions VLC is not the VLC window.
    name, rules = km.rules_for(WindowInfo("Navigator", "Download VLC - Mozilla Firefox", "firefox"))
    assert name == "firefox" and rules["palm"].key == "scroll_down"
    assert km.rules_for(WindowInfo("Gedit", "vlc", ""))[0] == "^vlc$"  # the title alone can match, too


def test_a_map_with_only_app_sections_has_an_empty_default(tmp_path):
    km = load_keymap(write(tmp_path, '[apps."vlc".gestures]\npalm = "space"\n'), LABELS, "none")
    assert km.rules == {} and km.rules_for(WindowInfo("vlc", ""))[1] == {"palm": Rule("space")}


@pytest.mark.parametrize("text,line,msg", [
    ('[gestures]\nV = "a"\n\n[apps."(vlc".gestures]\npalm = "space"\n', 4, "app pattern '(vlc' is not a valid regular"),
    ('[gestures]\nV = "a"\n[apps."vlc".gestures]\npalm = "space"\nthumbs = "a"\n', 5,
     "[apps.\"vlc\"] gesture 'thumbs' is not one the checkpoint knows"),
    ('[gestures]\nV = "a"\n[apps."vlc".gestures.thumbs]\nkey = "a"\n', 3, "gesture 'thumbs' is not one"),
    ('[gestures]\nV = "a"\n[apps."vlc".gestures]\npalm = "spcae"\n', 4, "unknown key 'spcae' (did you mean space?)"),
    ('[gestures]\nV = "a"\n[apps."vlc".gestures.palm]\nmouse = "scroll_down"\namount = 0\n', 5, "amount must be"),
    ('[gestures]\nV = "a"\n[apps."vlc".gestures]\nnone = "a"\n', 4, "no-gesture class"),
    ('pause_gesture = "Y"\n[gestures]\nV = "a"\n[apps."vlc".gestures]\nV = "b"\nY = "c"\n', 6,
     "pause_gesture 'Y' also fires a key"),
    ('[gestures]\nV = "a"\n[apps."vlc"]\npalm = "space"\n', 4,
     "unknown setting 'palm' in [apps.\"vlc\"]; its gestures go"),
    ('[gestures]\nV = "a"\n[apps."vlc"]\n', 3, "has no gestures"),
    ('[gestures]\nV = "a"\n[apps."".gestures]\nV = "b"\n', 3, "an empty app pattern matches every window"),
    ('[gestures]\nV = "a"\n[apps]\nvlc = "space"\n', 4, "must be a table of gestures"),
    ("apps = 3\n[gestures]\nV = 'a'\n", 1, "apps must hold sections"),
])
def test_bad_app_sections_name_file_and_line(tmp_path, text, line, msg):
    path, err = load_error(tmp_path, text)
    assert err.startswith(f"{path}:{line}:") and msg in err, err


def test_the_starter_map_documents_mouse_actions_and_app_maps(tmp_path):
    text = starter_keymap(["fist", "none", "palm"], "none")
    for word in ("scroll_down", "scroll_left", "click", "right_click", "double_click", "amount", "[apps."):
        assert word in text
    # Its commented examples are real syntax: uncommented, with NAME a gesture, they load.
    lines = text.splitlines()
    m, a = lines.index('# mouse = "scroll_down"'), next(i for i, x in enumerate(lines) if x.startswith("# [apps."))
    examples = [x[2:].replace("NAME", "palm") for x in lines[m - 1:m + 2] + lines[a:a + 2]]
    mine = [x for x in lines if x != 'palm = "left"'] + examples
    km = load_keymap(write(tmp_path, "\n".join(mine)), ["fist", "none", "palm"], "none")
    assert km.rules["palm"].key == "scroll_down*3" and km.apps[0].rules["palm"].key == "scroll_down"


def test_corrections_hotkeys_default_and_can_be_set(tmp_path):
    km = load_keymap(write(tmp_path, GOOD), LABELS, "none")
    assert km.corrections == {"wrong": "ctrl+alt+x", "missed": "ctrl+alt+m"}
    km = load_keymap(write(tmp_path, GOOD + '\n[corrections]\nwrong = "ctrl+shift+w"\n'), LABELS, "none")
    assert km.corrections == {"wrong": "ctrl+shift+w", "missed": "ctrl+alt+m"}


@pytest.mark.parametrize("table, words", [
    ('wrong = "x"', "every press"),  # a bare key would fire all the time
    ('oops = "ctrl+alt+o"', "unknown correction"),
    ('wrong = "ctrl+nokey"', "unknown key"),
])
def test_bad_corrections_hotkeys_name_their_line(tmp_path, table, words):
    text = GOOD + "\n[corrections]\n" + table + "\n"
    _, err = load_error(tmp_path, text)
    line = len(text.splitlines())
    assert f"keys.toml:{line}:" in err and words in err


def test_every_key_map_in_the_readme_loads(tmp_path):
    import re

    from conftest import ROOT

    from gesture.live.keymap import tomllib

    blocks = re.findall(r"```toml\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    assert len(blocks) >= 2
    for text in blocks:
        doc = tomllib.loads(text)
        names = set(doc.get("gestures", {})) | {g for app in doc.get("apps", {}).values() for g in app["gestures"]}
        names |= {doc["pause_gesture"]} if "pause_gesture" in doc else set()
        names |= {r["shape"] for r in doc.get("gestures", {}).values() if isinstance(r, dict) and "shape" in r}
        load_keymap(write(tmp_path, text), sorted((names - set(SWIPES)) | {"none"}), "none")
