import json

import pytest
from conftest import DATASETS, HANG, gesture

from gesture.bench import peer

MODEL = {"default net, unfused", "default net, fused", "standard-conv twin, fused"}
CAPTURE = {"capture write rate, 640x480 video"}
TRAIN = {"asl-frames 7 classes, 5-fold block split, mean accuracy", "asl-frames block split, slowest fold's training",
         "asl-frames late split accuracy (lighting never seen)", "sign-digits person-disjoint accuracy"}
RUN_SPEED = {"640x480 replay, whole-frame network alone, per frame (p50)"}
SPEED = {"loop per frame with a hand in view, prior included (p50)", "loop per frame in an empty room (p50)",
         "a 30 fps camera's cost with a hand in view, share of one core", "empty room / hand in view, per frame",
         "frames from a hand's entry to its first landmarks (slowest)"}
SPEED_PEER = {"peer: per frame with a hand in view (p50)", "peer: per frame in an empty room (p50)",
              "peer / gesture per frame, hand in view", "peer / gesture per frame, empty room"}
RUN_REAL = {"latency: slowest gesture, frames from its first frame to its key",
            "false presses during 'nothing' stretches",
            "open set: key presses per 1000 frames of gestures never trained on"}
PEER = {"peer (MediaPipe lite + MLP), ms per frame",
        "whole-frame network alone: speed-up over the peer (peer ms / gesture ms)",
        "peer tracking a hand in video, 640x480, ms per frame",
        "whole-frame network alone: speed-up over the tracking peer",
        "peer: asl-frames 7 classes, 5-fold block split, mean accuracy", "gesture / peer accuracy, block split",
        "peer: asl-frames late split accuracy (lighting never seen)", "gesture / peer accuracy, late split",
        "peer: sign-digits person-disjoint accuracy", "gesture / peer accuracy, digits split",
        "peer: frames of asl-frames showing a hand where none was found",
        "peer: frames of sign-digits showing a hand where none was found"}
PRIOR = {"finger-count, trained on set1, scored on set2", "finger-count, trained on set2, scored on set1",
         "training time, finger-count set1 (1,439 frames in a full run)",
         "training time / time to find the hands, finger-count set1",
         "640x480 replay with the prior, processing per frame (p50)",
         "hagrid-people, people never seen (19 classes)",
         "idle hands read as a gesture: hagrid-people no_gesture, people never seen",
         "drone-gestures no_class frames read as a hagrid gesture",
         "key presses per 1000 frames, drone-gestures no_class replay"}
CORRECT = {"false presses in the rest of the replays, no correction",
           "false presses in the rest of the replays, after correcting the first 1-3",
           "cut in false presses by correcting",
           "after correcting: slowest gesture, frames to its key"}
MEANING = {"pointing direction, people never seen",
           "a frame and its mirror read as opposite directions, people never seen"}
MEANING_PEER = {"peer: pointing direction, people never seen",
                "peer: a frame and its mirror read as opposite directions, people never seen"}
PRESSES = {"false presses per hour, idle hands and unknown shapes",
           "known gestures of people never seen fired within 10 frames"}
PRESSES_PEER = {"peer: false presses per hour, idle hands and unknown shapes",
                "peer: known gestures fired within 10 frames"}
PRESENTATIONS = {"presentations of real frames fired exactly once, as themselves",
                 "presentations of real frames fired twice or more",
                 "frames from a presentation's first frame to its press (median)",
                 "frames from a presentation's first frame to its press (slowest)",
                 "presses per minute of an empty room between presentations"}
SWIPES = {"swipes fired as the right direction", "false swipes per 1000 frames",
          "frames from the end of a motion to its key (slowest)",
          "static gestures fired as themselves, with swipes mapped",
          "swipe detection per frame (p50)", "swipe detection / the hand tracker, per frame"}
STARTER = {"starter gestures, people never seen", "starter: idle hands read as a gesture, people never seen",
           "a few own frames, with other people's hands of the same names", "a few own frames, alone"}
PRIOR_PEER = {"peer: finger-count, trained on set1, scored on set2",
              "peer: finger-count, trained on set2, scored on set1",
              "peer: hagrid-people, people never seen (19 classes)",
              "peer: idle hands read as a gesture, hagrid-people",
              "gesture / peer accuracy, hagrid-people people never seen"}


def test_smoke_bench_writes_every_figure_as_json(tmp_path):
    """--smoke: every section at its smallest size (--quick's figures, from fewer frames and steps)."""
    out = tmp_path / "bench.json"
    r = gesture("bench", "--smoke", "--json", out, timeout=HANG)
    assert r.returncode == 0, r.stderr  # quick figures carry no target, and none rests on the machine's speed
    data = json.loads(out.read_text())
    assert data["quick"] is True and data["smoke"] is True
    assert data["machine"]["cores"] >= 1 and data["machine"]["torch"]
    figures = {f["name"]: f for f in data["figures"]}
    expected = MODEL | CAPTURE | RUN_SPEED
    if DATASETS.is_dir():
        expected |= TRAIN | RUN_REAL | SPEED | PRIOR | CORRECT | MEANING | PRESSES | PRESENTATIONS | SWIPES | STARTER
        if peer.peer_python():
            expected |= PEER | SPEED_PEER | PRIOR_PEER | MEANING_PEER | PRESSES_PEER
        else:
            assert "[peer] skipped: no .venv-peer" in r.stdout
    else:
        assert "skipped" in r.stdout
    assert expected <= set(figures), expected - set(figures)
    for f in figures.values():
        assert isinstance(f["value"], float) and f["unit"] is not None
        assert f["machine"] and f["section"] in ("model", "capture", "train", "run", "peer", "prior", "speed",
                                                 "correct", "meaning", "presses", "presentations", "swipes", "starter")
        assert f["met"] in (True, False, None)
        if f["unit"] in ("ms", "s", "frames/s", "fps", "%"):  # reported with the machine, never targeted
            assert f["target"] is None or f["name"].startswith("frame rate while relearning"), f["name"]
    for name in TRAIN - {"asl-frames block split, slowest fold's training"}:
        if name in figures:  # quick training shows the pipeline works, not what it achieves
            assert 0 <= figures[name]["value"] <= 1 and figures[name]["target"] is None
            assert figures[name]["detail"].startswith("quick")
    if PEER <= set(figures):
        ms = figures["peer (MediaPipe lite + MLP), ms per frame"]
        assert ms["compare"] > 0 and ms["ratio"] == pytest.approx(ms["value"] / ms["compare"])
        assert "mediapipe 0.10.21" in ms["detail"]
    assert "machine:" in r.stdout and "--smoke" in r.stdout


def test_a_peer_figure_beside_a_zero_of_gestures_is_printed_without_a_ratio():
    # A smoke run can fire nothing within the latency: gesture's 0 has no ratio to the peer's.
    from gesture.bench.common import Figure
    from gesture.bench.suite import format_results

    figures = [Figure("presses", "peer: known gestures fired", 0.5, "", compare=0.0),
               Figure("presses", "peer: presses", 2.0, "per hour", compare=4.0)]
    text = format_results({"figures": figures, "machine": {"cpu": "x", "cores": 2, "torch": "t", "torch_threads": 1}})
    assert "(gesture 0.000) " in text and "peer/gesture 0.50x" in text
