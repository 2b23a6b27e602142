import numpy as np

from gesture.bench.replay import Segment, decide, held, pad, score


def test_score_sorts_presses_by_the_segment_they_fall_in():
    segments = [Segment("none", 0, 10), Segment("palm", 10, 20), Segment("none", 30, 10), Segment("W", 40, 30)]
    events = [
        {"frame": 5, "event": "tap", "gesture": "palm"},  # during no-gesture: false
        {"frame": 12, "event": "tap", "gesture": "palm"},  # palm's first press: 2 frames late
        {"frame": 20, "event": "release", "gesture": "palm"},  # not a press
        {"frame": 25, "event": "tap", "gesture": "palm"},  # fired again inside its stretch
        {"frame": 41, "event": "tap", "gesture": "V"},  # an unknown shape taken for V
        {"frame": 50, "event": "press", "gesture": "V"},
        {"frame": 60, "event": "tap", "gesture": "palm"},
    ]
    s = score(events, segments, "none", {"palm", "V"})
    assert s["delays"] == [2] and s["repeat_presses"] == 1 and s["false_presses"] == 1
    assert s["false_by_gesture"] == {"palm": 1}
    assert s["unknown_presses"] == 3 and s["unknown_frames"] == 30 and s["unknown_per_1000"] == 100.0
    assert s["unknown_by_gesture"] == {"V": 2, "palm": 1}  # the false press at frame 5 is not counted here


def test_decide_applies_the_live_loops_rules_to_any_probabilities():
    # Palm fires once; held, it does not fire again; after a confident rest (0.4 s) it can
    # fire again; a rest shorter than rest_time does not re-arm it; a wobbling, unsure stream
    # never fires.
    palm, none, unsure = [0.9, 0.1], [0.05, 0.95], [0.45, 0.55]
    script = [none] * 3 + [palm] * 10 + [none] * 12 + [palm] * 6 + [none] * 4 + [palm] * 6 + [unsure] * 10
    events = decide(np.array(script), ["palm", "none"], "none", {"palm": "a"})
    taps = [e["frame"] for e in events if e["event"] == "tap"]
    assert taps == [5, 27] and all(e["gesture"] == "palm" for e in events)


def test_held_segments_scale_with_the_frames_shown():
    assert held([Segment("a", 0, 2), Segment("b", 2, 3)], 15) == [Segment("a", 0, 30), Segment("b", 30, 45)]


def test_pad_centres_a_small_frame_and_shrinks_a_large_one():
    small = pad(np.full((240, 320, 3), 200, np.uint8))
    assert small.shape == (480, 640, 3) and small[240, 320, 0] == 200 and small[0, 0, 0] == 0
    big = pad(np.full((800, 600, 3), 200, np.uint8))  # taller than 480: shrunk to fit, not cut
    assert big.shape == (480, 640, 3) and big[240, 320, 0] == 200 and big[240, 0, 0] == 0
