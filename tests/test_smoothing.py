import numpy as np
import pytest

from gesture.live.decide import Decider, DecisionConfig, Rule

LABELS = ["fist", "none", "palm"]


def probs(label, p=0.98):
    out = np.full(len(LABELS), (1 - p) / (len(LABELS) - 1))
    out[LABELS.index(label)] = p
    return out


def play(decider, script, fps=30.0):
    """script: [(label, frames, p)]; returns [(frame, kind, gesture, key)]."""
    events, i = [], 0
    for label, n, p in script:
        for _ in range(n):
            events += [(i, e.kind, e.gesture, e.key) for e in decider.update(probs(label, p), i / fps)]
            i += 1
    return events


def decider(rules=None, **cfg):
    rules = {"palm": Rule("right"), "fist": Rule("space")} if rules is None else rules
    # Explicit settings, so these tests pin the logic rather than the tuned defaults.
    # rest_time and confirm 0: a one-frame rest and K frames alone, as the first rules had.
    settings = {"alpha": 0.6, "threshold": 0.8, "frames": 2, "release": 0.5, "rest_time": 0.0, "confirm": 0.0, **cfg}
    return Decider(LABELS, "none", DecisionConfig(**settings), rules)


def test_fires_once_per_activation_within_three_frames():
    ev = play(decider(), [("none", 10, 0.98), ("palm", 20, 0.98), ("none", 10, 0.98)])
    # First palm frame is 10. Smoothed (alpha 0.6): 0.59, 0.83, 0.92: above 0.8 from frame 11,
    # for K=2 frames at frame 12, the third palm frame.
    assert ev == [(12, "tap", "palm", "right")]


def test_no_gesture_never_fires_and_single_frame_blips_do_not_either():
    d = decider()
    script = [("none", 30, 0.98)]
    for k in range(10):
        script += [("palm", 1, 0.99), ("none", 5, 0.9)]
    assert play(d, script) == []


def test_threshold_and_k():
    # 0.75 confident palm never reaches 0.8
    assert play(decider(), [("none", 5, 0.98), ("palm", 30, 0.75)]) == []
    # K=5 waits for five frames at or above the threshold
    ev = play(decider(frames=5), [("none", 5, 0.98), ("palm", 30, 0.98)])
    assert ev == [(5 + 1 + 5 - 1, "tap", "palm", "right")]  # above 0.8 from the second palm frame


def test_hysteresis_keeps_a_wobbling_gesture_active():
    d = decider({"palm": Rule("right", mode="hold")})
    wobble = [("palm", 10, 0.98)] + [("palm", 3, 0.62), ("palm", 3, 0.9)] * 10 + [("none", 10, 0.98)]
    ev = play(d, wobble)
    assert [e[1] for e in ev] == ["press", "release"], "0.62 stays above the 0.5 release level"


def test_hold_presses_and_releases():
    d = decider({"fist": Rule("shift", mode="hold")})
    ev = play(d, [("none", 5, 0.98), ("fist", 20, 0.98), ("none", 10, 0.98)])
    assert [(k, g, key) for _, k, g, key in ev] == [("press", "fist", "shift"), ("release", "fist", "shift")]
    assert 25 <= ev[1][0] <= 27


def test_cooldown_spaces_activations():
    rules = {"palm": Rule("right", cooldown=1.0)}
    script = [("palm", 6, 0.98), ("none", 4, 0.98)] * 6  # a new activation every 10 frames = 0.33 s
    ev = play(decider(rules), script)
    times = [f / 30 for f, *_ in ev]
    assert len(ev) == 2 and times[1] - times[0] >= 1.0
    assert len(play(decider({"palm": Rule("right")}), script)) == 6


def test_repeat_while_held_in_tap_mode():
    d = decider({"palm": Rule("right", repeat_after=0.5)})
    ev = play(d, [("palm", 61, 0.98)])  # 2 s
    frames = [f for f, *_ in ev]
    assert len(ev) == 4 and all(k == "tap" for _, k, _, _ in ev)
    assert np.allclose(np.diff(frames), 15)


def test_switching_gestures_releases_before_the_next_press_and_waits_for_a_rest():
    rules = {"palm": Rule("a", mode="hold"), "fist": Rule("b", mode="hold")}
    script = [("palm", 15, 0.98), ("fist", 15, 0.98), ("none", 10, 0.98), ("fist", 15, 0.98), ("none", 10, 0.98)]
    ev = play(decider(rules), script)
    # Straight from palm to fist: palm ends, but fist waits until the hand has rested.
    assert [(k, key) for _, k, _, key in ev] == [("press", "a"), ("release", "a"), ("press", "b"), ("release", "b")]
    assert ev[2][0] >= 40  # the second fist, after the rest
    # Without the rest rule (require_rest = false in the key map) the first fist fires at once.
    ev = play(decider(rules, rest=False), script)
    assert [(k, key) for _, k, _, key in ev][:4] == [("press", "a"), ("release", "a"), ("press", "b"), ("release", "b")]
    assert 15 <= ev[2][0] <= 18


def test_a_gesture_that_fades_and_returns_without_a_rest_fires_once():
    # Flicker, or a hand drifting through shapes the model half-knows: palm fades to an
    # unsure 0.4 (fist on top, not the no-gesture class), then comes back.
    script = [("none", 5, 0.98), ("palm", 10, 0.98), ("fist", 6, 0.4), ("palm", 10, 0.98)]
    assert [k for _, k, _, _ in play(decider(), script)] == ["tap"]
    assert [k for _, k, _, _ in play(decider(rest=False), script)] == ["tap", "tap"]
    # One frame of rest is enough to arm it again.
    again = script[:3] + [("none", 3, 0.98), ("palm", 10, 0.98)]
    assert [k for _, k, _, _ in play(decider(), again)] == ["tap", "tap"]


def test_only_a_confident_no_gesture_frame_counts_as_a_rest():
    # A dark frame inside an unknown shape can put the no-gesture class on top, unsure.
    unsure = [("none", 5, 0.98), ("palm", 10, 0.98), ("none", 6, 0.45), ("palm", 10, 0.98)]
    d = decider()
    assert [k for _, k, _, _ in play(d, unsure)] == ["tap"]
    assert d.active is None and d.waiting_for_rest  # palm is back, but there was no real rest
    assert [k for _, k, _, _ in play(decider(rest_level=0.4), unsure)] == ["tap", "tap"]
    d = decider()
    play(d, unsure[:3])
    assert d.active is None and d.waiting_for_rest  # what the overlay shows as "rest first"
    play(d, [("none", 3, 0.98)])
    assert not d.waiting_for_rest


def test_per_gesture_threshold_overrides_the_default():
    rules = {"palm": Rule("right", threshold=0.95)}
    assert play(decider(rules), [("palm", 30, 0.9)]) == []
    assert play(decider({"palm": Rule("right", threshold=0.6)}), [("palm", 30, 0.7)])[0][1] == "tap"


def test_pause_blocks_firing_and_releases_held_keys():
    d = decider({"fist": Rule("shift", mode="hold"), "palm": Rule("right")})
    play(d, [("fist", 10, 0.98)])
    ev = d.set_paused(True, 1.0)
    assert [(e.kind, e.key) for e in ev] == [("release", "shift"), ("pause", None)]
    assert play(d, [("none", 10, 0.98), ("palm", 20, 0.98)]) == []
    d.set_paused(False, 2.0)
    assert play(d, [("none", 10, 0.98), ("palm", 20, 0.98)])[0][1:] == ("tap", "palm", "right")


def test_pause_gesture_toggles():
    d = decider({"fist": Rule(pause=True), "palm": Rule("right")})
    ev = play(d, [("fist", 10, 0.98), ("none", 10, 0.98), ("palm", 10, 0.98), ("none", 10, 0.98),
                  ("fist", 10, 0.98), ("none", 10, 0.98), ("palm", 10, 0.98)])
    assert [k for _, k, _, _ in ev] == ["pause", "resume", "tap"]


def test_close_releases_a_held_key():
    d = decider({"fist": Rule("shift", mode="hold")})
    play(d, [("fist", 10, 0.98)])
    assert [(e.kind, e.key) for e in d.close(1.0)] == [("release", "shift")]
    assert d.close(1.1) == []


def test_unmapped_gesture_activates_silently():
    d = decider({})
    assert play(d, [("palm", 10, 0.98)]) == [] and d.active == "palm"


@pytest.mark.parametrize("kw", [{"alpha": 0}, {"threshold": 1.5}, {"threshold": 0.05}, {"frames": 0},
                                {"rest_level": 1.2}, {"rest_time": -0.1}, {"rest_time": 5.0}, {"confirm": -1.0},
                                {"confirm": 2.5}])
def test_bad_decision_config(kw):
    with pytest.raises(ValueError):
        DecisionConfig(**kw)


def test_a_held_key_is_released_when_the_hand_goes_even_at_the_lowest_threshold():
    d = decider({"fist": Rule("shift", mode="hold")}, threshold=0.3)
    ev = play(d, [("fist", 10, 0.98), ("none", 20, 0.9)])
    assert [k for _, k, _, _ in ev] == ["press", "release"]


# Swapping the key map between frames (the focused application changed)

def test_set_rules_releases_a_held_key_and_ends_the_gesture():
    d = decider({"fist": Rule("shift", mode="hold")})
    play(d, [("none", 5, 0.98), ("fist", 10, 0.98)])
    assert d.active == "fist"
    ev = d.set_rules({"fist": Rule("a", mode="hold")}, 1.0)
    assert [(e.kind, e.gesture, e.key, e.t) for e in ev] == [("release", "fist", "shift", 1.0)]
    assert d.active is None and d.rules["fist"].key == "a"
    # The fist still shown does not fire in the new map until the hand has rested ...
    assert play(d, [("fist", 20, 0.98)]) == []
    assert d.waiting_for_rest
    # ... and after a rest the new map's key is the one pressed and released.
    ev = play(d, [("none", 5, 0.98), ("fist", 10, 0.98), ("none", 10, 0.98)])
    assert [(k, key) for _, k, _, key in ev] == [("press", "a"), ("release", "a")]


def test_set_rules_stops_a_repeating_scroll():
    d = decider({"palm": Rule("scroll_down*3", repeat_after=0.15)})
    ev = play(d, [("none", 5, 0.98), ("palm", 30, 0.98)])  # 1 s: a tap, then one every 0.15 s
    assert len(ev) >= 6 and {key for *_, key in ev} == {"scroll_down*3"}
    assert d.set_rules({"palm": Rule("space")}, 35 / 30) == []  # a tap holds nothing
    assert play(d, [("palm", 30, 0.98)]) == [] and d.active is None


def test_set_rules_with_nothing_active_changes_what_the_next_gesture_fires():
    d = decider()
    play(d, [("none", 5, 0.98)])
    assert d.set_rules({"palm": Rule("left")}, 0.2) == []
    assert not d.waiting_for_rest  # nothing was active: no rest is owed
    assert play(d, [("palm", 10, 0.98)])[0][1:] == ("tap", "palm", "left")


def test_set_rules_keeps_the_pause():
    d = decider({"fist": Rule(pause=True), "palm": Rule("right")})
    play(d, [("fist", 10, 0.98), ("none", 10, 0.98)])
    assert d.paused
    d.set_rules({"fist": Rule(pause=True), "palm": Rule("left")}, 1.0)
    assert d.paused and play(d, [("palm", 10, 0.98)]) == []


# Real frames in time order: a held gesture flickers, and only a sustained rest re-arms it

def test_a_held_gesture_that_flickers_to_no_gesture_for_two_frames_fires_once():
    # The tracker loses a moving hand for two frames and the whole-frame network says
    # no-gesture, sure of it: with a one-frame rest that re-armed the gesture and it fired twice.
    flicker = [("none", 15, 0.98), ("palm", 15, 0.98), ("none", 2, 0.98), ("palm", 15, 0.98), ("none", 15, 0.98)]
    assert [k for _, k, _, _ in play(decider(), flicker)] == ["tap", "tap"]  # the old rule
    assert [k for _, k, _, _ in play(decider(rest_time=0.3), flicker)] == ["tap"]
    # Eight flickered frames (0.27 s) are still no rest; a real one (0.5 s, the hand lowered) is.
    long = flicker[:2] + [("none", 8, 0.98)] + flicker[3:]
    assert [k for _, k, _, _ in play(decider(rest_time=0.3), long)] == ["tap"]
    lowered = flicker[:2] + [("none", 15, 0.98)] + flicker[3:]
    assert [k for _, k, _, _ in play(decider(rest_time=0.3), lowered)] == ["tap", "tap"]


def test_a_rest_must_be_unbroken():
    # Rests of 0.2 s broken by a frame of the gesture never add up to 0.3 s.
    script = ([("none", 10, 0.98), ("palm", 15, 0.98)] + [("none", 6, 0.98), ("palm", 1, 0.98)] * 6
              + [("palm", 15, 0.98)])
    d = decider(rest_time=0.3)
    assert [k for _, k, _, _ in play(d, script)] == ["tap"]
    assert d.waiting_for_rest or d.active is None


def test_rest_time_is_counted_in_seconds_not_frames():
    # At 15 fps, 5 frames of rest are a third of a second: enough for 0.3 s.
    script = [("palm", 10, 0.98), ("none", 7, 0.98), ("palm", 10, 0.98)]
    assert [k for _, k, _, _ in play(decider(rest_time=0.3), script, fps=15)] == ["tap", "tap"]
    assert [k for _, k, _, _ in play(decider(rest_time=0.3), script, fps=30)] == ["tap"]


def test_confirm_waits_that_long_and_a_short_blip_never_fires():
    # Palm above 0.8 from its second frame (frame 11); 0.1 s more is frame 14 at 30 fps.
    ev = play(decider(confirm=0.1), [("none", 10, 0.98), ("palm", 20, 0.98)])
    assert ev == [(14, "tap", "palm", "right")]
    # Three frames of a shape (an idle hand passing through it) stay under 0.1 s above threshold.
    blips = [("none", 10, 0.98)] + [("palm", 3, 0.98), ("none", 10, 0.98)] * 5
    assert play(decider(confirm=0.1), blips) == []
    assert len(play(decider(), blips)) == 5  # without confirm each blip fired


def test_the_defaults_fire_once_within_the_latency_target_on_a_flickering_hold():
    # 45 frames of a held gesture in which the reading flickers as real frames do: a frame of
    # no-gesture or of another shape every few frames; idle hands before and after.
    rng = np.random.default_rng(0)
    held = [("palm", 1, 0.95) if rng.random() > 0.25 else (("none", 1, 0.9) if rng.random() < 0.5 else ("fist", 1, 0.6))
            for _ in range(45)]
    script = [("none", 15, 0.95)] + held + [("none", 15, 0.95)]
    ev = play(Decider(LABELS, "none", DecisionConfig(), {"palm": Rule("right"), "fist": Rule("space")}), script)
    assert [(k, g) for _, k, g, _ in ev] == [("tap", "palm")]
    assert ev[0][0] - 15 <= 10


@pytest.mark.parametrize("args", [("--confirm", "3"), ("--rest-time", "-1"), ("--rest-time", "soon")])
def test_decision_settings_outside_their_range_are_one_line_and_exit_2(args):
    from conftest import gesture

    r = gesture("run", "--dry-run", "--no-preview", "--source", "synth:palm x5", *args)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert args[0] in r.stderr and ("from 0 to 2.0 seconds" in r.stderr or "expected a number" in r.stderr)


def test_with_no_hand_in_view_an_unsure_no_gesture_is_a_rest():
    # An empty room in light the model never saw: no-gesture on top at only 0.6. With the hand
    # in view that is no rest (a dark frame inside a shape); with no hand found it is.
    def run(hand_in_rest):
        d, t, taps = decider(rest_time=0.3), 0.0, []
        for label, n, p, hand in [("palm", 10, 0.98, True), ("none", 15, 0.6, hand_in_rest), ("palm", 10, 0.98, True)]:
            for _ in range(n):
                taps += [e.kind for e in d.update(probs(label, p), t, hand=hand)]
                t += 1 / 30
        return taps
    assert run(hand_in_rest=False) == ["tap", "tap"]
    assert run(hand_in_rest=True) == ["tap"]
    assert run(hand_in_rest=None) == ["tap"]  # no prior (--from-scratch): only a sure rest counts


def test_a_gesture_held_back_is_said_once_with_why():
    # Palm fires, fades without a rest, comes back: held back, waiting for a rest. Said once.
    d = decider(rest_time=0.3)
    play(d, [("none", 5, 0.98), ("palm", 10, 0.98), ("fist", 6, 0.4), ("palm", 10, 0.98)])
    lines = d.news()
    assert len(lines) == 1 and lines[0].startswith("palm was recognised but held back: waiting for a rest")
    assert d.held_back["palm", lines[0].split(": ", 1)[1]] >= 5
    play(d, [("fist", 6, 0.4), ("palm", 10, 0.98)])
    assert d.news() == []  # the same reason again is not said again
    rules = {"palm": Rule("right", cooldown=5.0)}
    d = decider(rules)
    play(d, [("palm", 10, 0.98), ("none", 5, 0.98), ("palm", 10, 0.98)])
    assert [line.split(": ", 1)[1] for line in d.news()] == ["its cooldown in the key map"]


def test_hand_only_fires_nothing_from_frames_without_a_hand_and_says_why():
    def run(handless):
        d, t, taps = decider(handless=handless), 0.0, []
        for _ in range(10):  # the whole-frame network reads palm in an empty room
            taps += [e.kind for e in d.update(probs("palm"), t, hand=False)]
            t += 1 / 30
        return taps, d.news()
    assert run(True)[0] == ["tap"]
    taps, news = run(False)
    assert taps == [] and news == ["palm was recognised but held back: no hand was found in the frame "
                                   "(the whole-frame network's reading alone fires nothing)"]
    d = decider(handless=False)  # a frame with a hand fires as before
    assert [e.kind for i in range(10) for e in d.update(probs("palm"), i / 30, hand=True)] == ["tap"]
