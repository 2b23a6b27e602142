import pytest

from gesture.errors import GestureError
from gesture.keys import DryRunSender, load_keymap, parse_key, starter_keymap

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
    ('[gestures]\nnone = "a"\n', 2, "no-gesture class"),
    ('[gestures.palm]\nkey = "a"\nmode = "press"\n', 3, "mode must be tap or hold"),
    ('[gestures.palm]\nkey = "a"\nthreshold = 1.5\n', 3, "threshold must be"),
    ('[gestures.palm]\nkey = "a"\nthreshold = 0.05\n', 3, "threshold must be a number from 0.3"),
    ('[gestures.palm]\nkey = "a"\nrepeat_after = 0.5\nmode = "hold"\n', 3, "repeat_after only applies"),
    ('[gestures.palm]\nkey = "a"\ncolour = "red"\n', 3, "unknown field 'colour'"),
    ('[gestures.palm]\nmode = "hold"\n', 1, "has no key"),
    ('[gestures]\nV = "space"\nV = "a"\n', 3, "not valid TOML"),
    ('pause_gesture = "palm"\n[gestures]\npalm = "a"\n', 1, "also fires a key"),
    ('title = "x"\n[gestures]\npalm = "a"\n', 1, "unknown setting 'title'"),
    ('# rest\nrequire_rest = "no"\n[gestures]\npalm = "a"\n', 2, "require_rest must be true or false"),
    ('# nothing mapped\n', 1, "no [gestures] table"),
])
def test_bad_maps_name_file_and_line(tmp_path, text, line, msg):
    path = write(tmp_path, text)
    with pytest.raises(GestureError) as e:
        load_keymap(path, LABELS, "none")
    assert msg in str(e.value)
    if "TOML" not in msg:
        assert str(e.value).startswith(f"{path}:{line}:")
    else:
        assert "line 3" in str(e.value)


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
