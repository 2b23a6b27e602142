import json

import cv2

from conftest import gesture


def test_demo_runs_the_whole_product_on_the_synthetic_camera(tmp_path):
    """Reduced: fewer frames and a shorter training than the real demo, the same code path."""
    out = tmp_path / "demo"
    r = gesture("demo", "--out", out, "--frames", 160, "--time-budget", 20, timeout=600)
    assert r.returncode == 0, r.stderr
    res = json.loads((out / "demo.json").read_text())
    # The real capture wrote both sessions of every label, and the manifest agrees.
    manifest = [json.loads(line) for line in (out / "data" / "manifest.jsonl").read_text().splitlines()]
    assert len(manifest) == 5 * 160 == len(list((out / "data").rglob("*.jpg")))
    assert {m["session"] for m in manifest} == {"synth-1", "synth-2"}
    # The real trainer held out a session and wrote its reports.
    assert 0.2 < res["validation_accuracy"] <= 1.0
    for f in ("gesture.pt", "metrics.json", "confusion.png", "curves.png"):
        assert (out / "model" / f).is_file(), f
    # The live loop fired keys from the demo's key map, logged as JSON lines, and printed them.
    events = [json.loads(line) for line in (out / "events.jsonl").read_text().splitlines()]
    fired = [e for e in events if e["event"] in ("tap", "press")]
    assert fired, r.stdout
    keys = {"palm": "right", "fist": "media_play_pause", "v": "left", "l": "shift"}
    assert all(e["key"] == keys[e["gesture"]] for e in fired)
    assert "(dry run)" in r.stdout and "fps" in r.stdout and "infer" in r.stdout
    assert res["fps"] > 0 and res["ms_per_frame"]["p50"] > 0
    shot = cv2.imread(str(out / "overlay.png"))
    assert shot is not None and shot.shape == (480, 640, 3)


def test_demo_never_writes_into_a_folder_that_has_something_in_it(tmp_path):
    (tmp_path / "mine.txt").write_text("keep me")
    r = gesture("demo", "--out", tmp_path)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and "not empty" in r.stderr
    assert (tmp_path / "mine.txt").read_text() == "keep me" and len(list(tmp_path.iterdir())) == 1
