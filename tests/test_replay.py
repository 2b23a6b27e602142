from gesture.replay import Segment, score


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
    assert s["unknown_presses"] == 3 and s["unknown_frames"] == 30 and s["unknown_per_1000"] == 100.0
    assert s["unknown_by_gesture"] == {"V": 2, "palm": 1}  # the false press at frame 5 is not counted here
