"""Swipes (live/swipes.py): the detector's decisions on scripted hand paths, the key map's
[swipes], and real hand photographs moved over a real room through `gesture run`."""
import json
import math
import subprocess
import sys
from dataclasses import dataclass

import numpy as np
import pytest
from conftest import DATASETS, HANG, ROOT

from gesture.errors import GestureError
from gesture.live.decide import Decider, DecisionConfig, Rule
from gesture.live.keymap import load_keymap
from gesture.live.swipes import SWIPES, SwipeConfig, Swipes

SHAPE = (480, 640, 3)
RULES = {g: Rule(key=g[6]) for g in SWIPES}  # l, r, u, d


@dataclass
class FakeHand:
    landmarks: np.ndarray
    presence: float
    box: tuple


def hand_at(x, y, size=60.0, presence=0.99):
    """A hand whose palm centre is (x, y) pixels and whose wrist-to-middle-knuckle is `size`."""
    pts = np.zeros((21, 3), np.float32)
    pts[:, 0], pts[:, 1] = x, y
    pts[0, 1], pts[9, 1] = y + 0.6 * size, y - 0.4 * size
    for i, dx in zip((5, 13, 17), (-0.3, 0.1, 0.3)):
        pts[i, 0], pts[i, 1] = x + dx * size, y - 0.1 * size
    pts[12, 1] = y - 1.2 * size
    pts[:, 0] /= SHAPE[1]
    pts[:, 1] /= SHAPE[0]
    half = 0.8 * size
    return FakeHand(pts, presence, (x - half, y - 1.3 * size, x + half, y + 0.8 * size))


def still(x, y, n, **kw):
    return [hand_at(x, y, **kw) for _ in range(n)]


def move(a, b, n, **kw):
    """n frames eased in and out from a to b (a itself not included)."""
    u = (1 - np.cos(np.linspace(0, 1, n + 1)[1:] * math.pi)) / 2
    return [hand_at(a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1]), **kw) for f in u]


def play(frames, rules=RULES, cfg=None, shapes=None, paused=False):
    """[(frame index, swipe)] fired over a list of hands (None: not tracked)."""
    sw = Swipes(cfg)
    out = []
    for i, h in enumerate(frames):
        top = shapes[i] if shapes else None
        out += [(i, e.gesture) for e in sw.update(h, SHAPE, top, i / 30, rules, paused)]
    return out


@pytest.mark.parametrize("step,name", [((1, 0), "swipe_left"), ((-1, 0), "swipe_right"), ((0, -1), "swipe_up"),
                                       ((0, 1), "swipe_down")])
def test_a_swipe_fires_once_at_its_end_named_as_the_mirrored_preview_shows_it(step, name):
    a = (320 - 120 * step[0], 240 - 90 * step[1])
    b = (320 + 120 * step[0], 240 + 90 * step[1])
    frames = still(*a, 10) + move(a, b, 10) + still(*b, 15)
    fired = play(frames)
    assert [g for _, g in fired] == [name]
    assert 19 <= fired[0][0] <= 19 + 3  # the motion's last frame is 19


def test_the_motions_that_are_not_swipes_fire_nothing():
    mid = (320, 240)
    cases = {
        "entry": move((-80, 240), mid, 10) + still(*mid, 15),  # found mid-motion: no still start
        "exit": still(*mid, 10) + move(mid, (700, 240), 10)[:6] + [None] * 10,  # lost on the way out
        "drift": still(*mid, 10) + move(mid, (480, 240), 75) + still(480, 240, 10),  # 160 px over 2.5 s
        "jump": still(200, 240, 10) + [None] * 2 + still(450, 240, 10),
        "teleport": still(200, 240, 10) + still(450, 240, 10),
        "low": still(200, 430, 10) + move((200, 430), (450, 440), 10) + still(450, 440, 10),
        "edge": still(200, 240, 10) + move((200, 240), (600, 240), 10) + still(600, 240, 10),  # ends half out
        "wobble": [hand_at(320 + 8 * math.sin(i / 5), 240 + 6 * math.cos(i / 4)) for i in range(90)],
        "diagonal": still(200, 120, 10) + move((200, 120), (440, 360), 10) + still(440, 360, 10),
        "unsure": still(*mid, 10) + move(mid, (520, 240), 10, presence=0.3) + still(520, 240, 10),
    }
    fired = {k: play(v, cfg=SwipeConfig(presence=0.6)) for k, v in cases.items()}
    assert fired == {k: [] for k in cases}


def test_the_return_stroke_is_not_a_second_swipe_but_a_later_swipe_back_is():
    a, b = (200, 240), (440, 240)
    there = still(*a, 10) + move(a, b, 10) + still(*b, 5)
    back = move(b, a, 12) + still(*a, 10)
    assert [g for _, g in play(there + back)] == ["swipe_left"]
    later = there + still(*b, 40) + back  # 1.5 s later: a swipe of its own
    assert [g for _, g in play(later)] == ["swipe_left", "swipe_right"]


def test_the_way_back_from_a_throw_the_tracker_lost_in_its_blur_does_not_fire_the_other_way():
    a, b, mid = (200, 240), (440, 240), (300, 240)
    throw = move(a, b, 10)
    blurred = still(*a, 10) + throw[:4] + [None] * (SwipeConfig().gap + 2)  # lost mid-throw, for longer than `gap`
    found = still(*b, 5)  # found again where the throw ended, then back
    assert play(blurred + found + move(b, a, 12) + still(*a, 10)) == []
    later = blurred + still(*b, 40) + move(b, a, 12) + still(*a, 10)  # 1.5 s later: a swipe of its own
    assert [g for _, g in play(later)] == ["swipe_right"]
    slow = still(*a, 10) + move(a, mid, 40)[:20] + [None] * 12 + still(*mid, 5)  # a hand lost while moving slowly
    assert [g for _, g in play(slow + move(mid, a, 8) + still(*a, 10))] == ["swipe_right"]


def test_a_fast_hand_lost_for_a_frame_mid_motion_still_swipes():
    a, b = (160, 240), (480, 240)
    path = move(a, b, 8)
    path[3] = path[4] = None  # the tracker lost it twice
    assert [g for _, g in play(still(*a, 10) + path + still(*b, 10))] == ["swipe_left"]


def test_a_real_throw_at_15_fps_with_repeated_frames_fires_once():
    """swipe-demos' clips repeat every third frame: the hand stands still for one frame mid-throw.
    One slow frame is not the end of the motion (it broke real throws into pieces too short to fire)."""
    a, b = (160, 240), (480, 240)
    path = move(a, b, 6)
    jerky = [h for i, h in enumerate(path) for h in ([h, h] if i % 2 else [h])]  # every other frame repeated
    frames = still(*a, 6) + jerky + still(*b, 8)
    sw, fired = Swipes(), []
    for i, h in enumerate(frames):
        fired += [(i, e.gesture) for e in sw.update(h, SHAPE, None, i / 15, RULES, False)]
    assert [g for _, g in fired] == ["swipe_left"]
    assert fired[0][0] <= 6 + len(jerky) + 2  # two still frames after the throw


def test_a_hand_lost_just_after_it_stopped_still_swipes_and_one_lost_moving_does_not():
    a, b = (160, 240), (480, 240)
    stopped = still(*a, 10) + move(a, b, 8) + still(*b, 1) + [None] * 10  # stops, then the tracker loses it
    assert [g for _, g in play(stopped)] == ["swipe_left"]
    leaving = still(*a, 10) + move(a, b, 8) + [None] * 10  # lost while still moving: it left the frame
    assert play(leaving) == []


def test_swipe_demos_marks_are_scored_by_direction_and_window():
    from gesture.bench import swipe_demos

    name = "swipe2_left_right"  # marked (17, 23, swipe_left), (41, 48, swipe_right)
    events = [{"event": "tap", "gesture": "swipe_left", "frame": 25},  # 2 frames after the first's end
              {"event": "tap", "gesture": "swipe_left", "frame": 44},  # the wrong way during the second
              {"event": "tap", "gesture": "swipe_up", "frame": 5}]  # in a hold
    s = swipe_demos.score(name, events)
    assert s["right"] == 1 and s["delays"] == [2] and s["false"] == ["swipe_left@44", "swipe_up@5"]
    assert swipe_demos.quiet_frames(name, 80) == 80 - (23 + 8 - 16 + 1) - (48 + 8 - 40 + 1)


def test_shape_pause_cooldown_and_an_unmapped_direction():
    a, b = (200, 240), (440, 240)
    frames = still(*a, 10) + move(a, b, 10) + still(*b, 10)
    with_fist = ["fist"] * len(frames)
    rules = {"swipe_left": Rule(key="l", shape="palm")}
    assert play(frames, rules, shapes=with_fist) == []
    assert [g for _, g in play(frames, rules, shapes=["palm"] * len(frames))] == ["swipe_left"]
    assert play(frames, paused=True) == []
    assert play(frames, {"swipe_right": Rule(key="r")}) == []
    twice = frames + move(b, a, 10) + still(*a, 40) + move(a, b, 10) + still(*b, 10)
    assert len(play(twice, {"swipe_left": Rule(key="l")})) == 2
    assert len(play(twice, {"swipe_left": Rule(key="l", cooldown=10.0)})) == 1


def test_a_moving_hand_holds_static_gestures_back_and_a_swipe_needs_a_rest_after_it():
    d = Decider(["palm", "none"], "none", DecisionConfig(), {"palm": Rule(key="p")})
    p = [0.95, 0.05]
    assert all(d.update(p, i / 30, still=False) == [] for i in range(10))
    assert [e.gesture for e in d.update(p, 0.4) + d.update(p, 0.43)] == ["palm"]
    d = Decider(["palm", "none"], "none", DecisionConfig(), {"palm": Rule(key="p")})
    d.swiped()
    assert all(d.update(p, i / 30) == [] for i in range(10))  # the shape the swipe ended in
    for i in range(12):
        d.update([0.0, 1.0], 1 + i / 30)  # the hand drops: a rest (0.4 s)
    assert [e.gesture for e in d.update(p, 2.0) + d.update(p, 2.03) + d.update(p, 2.06)] == ["palm"]


def test_the_controller_makes_the_shape_a_swipe_ends_in_wait_for_a_rest():
    """Through live/controller.py as the loop runs it: a swipe with an open palm, mapped as a static
    gesture too, fires the swipe and not the palm it ends in, until the hand rests."""
    from types import SimpleNamespace

    from gesture.live.controller import Controller
    from gesture.live.keymap import KeyMap
    from gesture.live.outputs import Focus

    rules = {**RULES, "palm": Rule(key="p")}
    focus = Focus(KeyMap(rules), None)
    ctl = Controller(Decider(["palm", "none"], "none", DecisionConfig(), focus.rules), Swipes(), focus, print)
    a, b = (160, 240), (480, 240)
    hands = still(*a, 10) + move(a, b, 8) + still(*b, 20)
    fired = []
    for i, h in enumerate(hands):
        t = i / 30
        # At rest before the throw (none on top: the rule is armed), an open palm from its start on.
        probs = np.array([0.05, 0.95] if i < 10 else [0.95, 0.05])
        events, still_ = ctl.swipe(SimpleNamespace(probs=probs, hand=h), SHAPE, ["palm", "none"], t)
        fired += [e.gesture for e in events + ctl.decide(probs, t, still_, True)]
    assert fired == ["swipe_left"]  # not the palm it ends in: that waits for a rest


def write(tmp_path, text):
    path = tmp_path / "keys.toml"
    path.write_text(text)
    return path


LABELS = ["fist", "none", "palm"]


def test_a_key_map_takes_swipes_and_their_settings():
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as d:
        km = load_keymap(write(Path(d), '[gestures]\nswipe_left = "left"\nswipe_up = { key = "up", shape = "palm" }\n'
                                         'fist = "space"\n\n[swipes]\ndistance = 2.5\nsettle = 4\n'), LABELS, "none")
    assert km.uses_swipes
    assert km.rules["swipe_left"].key == "left" and km.rules["swipe_up"].shape == "palm"
    assert km.swipes.distance == 2.5 and km.swipes.settle == 4 and km.swipes.speed == SwipeConfig().speed


@pytest.mark.parametrize("text,line,words", [
    ('[gestures]\nswipe_left = "left"\n', 2, "no hand prior"),
    ('[gestures]\nfist = "a"\n\n[swipes]\ndistance = 0.01\n', 5, "from 0.3 to 20"),
    ('[gestures]\nfist = "a"\n\n[swipes]\nfast = 1\n', 5, "unknown swipe setting"),
    ('[gestures]\nfist = "a"\n\n[swipes]\nsettle = 2.5\n', 5, "whole number"),
    ('[gestures]\nfist = "a"\n\n[swipes]\nstart = 1.0\nstop = 2.0\n', 4, "must not be above start"),
    ('[gestures]\nswipe_up = { key = "up", shape = "thumb" }\n', 2, "not a gesture the checkpoint knows"),
    ('[gestures]\nswipe_up = { key = "up", mode = "hold" }\n', 2, "does not apply to a swipe"),
    ('[gestures]\nfist = { key = "a", shape = "palm" }\n', 2, "only applies to swipes"),
    ('[gestures]\nswipe_sideways = "a"\n', 2, "nor a swipe"),
])
def test_bad_swipes_in_a_key_map_are_one_line_with_file_and_line(tmp_path, text, line, words):
    with pytest.raises(GestureError) as e:
        load_keymap(write(tmp_path, text), LABELS, "none", prior="no hand prior" not in words)
    msg = str(e.value)
    assert msg.startswith(f"{tmp_path / 'keys.toml'}:{line}:") and words in msg and "\n" not in msg


def test_a_class_named_like_a_swipe_is_refused(tmp_path):
    with pytest.raises(GestureError, match="built-in swipe"):
        load_keymap(write(tmp_path, '[gestures]\nfist = "a"\n'), ["fist", "none", "swipe_left"], "none")


# Real hand photographs moved over a real room, written with OpenCV, tracked by the prior in
# the real live loop.

@pytest.fixture(scope="module")
def replay(tmp_path_factory):
    for name in ("asl-frames", "sign-digits"):
        if not (DATASETS / name).is_dir():
            pytest.skip(f"{name} not found in {DATASETS} (the ../shared folder beside the project)")
    from gesture import prior
    from gesture.bench import motion
    from gesture.bench.replay import write_video
    from gesture.data.images import read_image

    root = tmp_path_factory.mktemp("swipes")
    rng = np.random.default_rng(3)
    tracker = prior.tracker(static=True)
    room = read_image(sorted((DATASETS / "asl-frames" / "nothing").iterdir())[150])
    room = __import__("cv2").resize(room, (640, 480))
    hand = None
    for path in sorted((DATASETS / "sign-digits" / "5").iterdir()):  # the first open hand the prior finds here
        p = motion.patch(read_image(path), tracker, 190)
        if p is not None and tracker(motion.paste(room, p, 320, 240)) is not None:
            hand = p
            break
    script = motion.Script(rng)
    for kind, d in (("swipe", "swipe_left"), ("entry", None), ("swipe", "swipe_up"), ("drift", None),
                    ("jump", None), ("ret", "swipe_right")):
        script.add(kind, hand, direction=d)
    # Sharp motion: this checks the loop and the rules on throws the prior follows all along. The
    # bench scores blurred ones (a throw lost in its blur is the prior's miss, measured there).
    clip = write_video(script.render(room, exposure=0), root / "swipes.mp4")
    return clip, script.items, make_checkpoint(root)


def make_checkpoint(root):
    """A model with the hand prior whose weights do not matter: swipes read the tracked hand."""
    from gesture.bench.common import plumbing_checkpoint

    return plumbing_checkpoint(root / "swipes.pt", ("none", "palm"), "none", size=64, width=0.5, samples=40, steps=50)


KEYS = '[gestures]\nswipe_left = "a"\nswipe_right = "d"\nswipe_up = "w"\nswipe_down = "s"\n'


def test_swipes_of_real_hands_fire_through_gesture_run_and_the_hard_cases_do_not(replay, tmp_path):
    clip, items, ck = replay
    keys = tmp_path / "keys.toml"
    keys.write_text(KEYS)
    log = tmp_path / "ev.jsonl"
    r = subprocess.run([sys.executable, "-m", "gesture", "run", "--checkpoint", str(ck), "--source", str(clip),
                        "--keys", str(keys), "--dry-run", "--no-preview", "--no-corrections", "--log", str(log)],
                       cwd=ROOT, capture_output=True, text=True, timeout=HANG)
    assert r.returncode == 0, r.stderr
    fired = [json.loads(line) for line in log.read_text().splitlines()]
    swipes = [(e["frame"], e["gesture"]) for e in fired if e["event"] == "tap"]
    expected = [(it.end, it.swipe) for it in items if it.swipe]
    assert [g for _, g in swipes] == [g for _, g in expected]  # nothing on entry, drift, jump or the return
    assert all(0 <= f - end <= 3 for (f, _), (end, _) in zip(swipes, expected))


def test_the_keys_of_real_swipes_reach_a_real_keyboard_listener(replay, xdisplay, tmp_path):
    import os

    from test_run_actions import KEY_LISTENER, heard, listen

    clip, items, ck = replay
    keys = tmp_path / "keys.toml"
    keys.write_text(KEYS)
    env = {**os.environ, "DISPLAY": xdisplay}
    proc = listen(KEY_LISTENER, env)
    r = subprocess.run([sys.executable, "-m", "gesture", "run", "--checkpoint", str(ck), "--source", str(clip),
                        "--keys", str(keys), "--no-preview", "--no-corrections"], env=env, cwd=ROOT,
                       capture_output=True, text=True, timeout=HANG)
    assert r.returncode == 0, r.stderr
    pressed = [k for kind, k in heard(proc) if kind == "press"]
    assert pressed == ["'a'", "'w'", "'d'"]


def test_a_long_still_start_setting_still_counts_every_frame_before_the_motion():
    a, b = (200, 240), (440, 240)
    frames = still(*a, 200) + move(a, b, 10) + still(*b, 10)
    assert [g for _, g in play(frames, cfg=SwipeConfig(settle=30))] == ["swipe_left"]
    assert play(still(*a, 20) + move(a, b, 10) + still(*b, 10), cfg=SwipeConfig(settle=30)) == []
