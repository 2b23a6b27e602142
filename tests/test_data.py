import json

import cv2
import numpy as np
import pytest
from conftest import gesture

from gesture.data.dataset import FLAT_SESSION, pick_none_label, scan, validate_label
from gesture.errors import GestureError


def capture_synth(data, label, n, session, seed=1):
    r = gesture("capture", label, "--source", f"synth:{label} x{n}, seed={seed}, size=160x120", "--data", data,
                "--count", n, "--session", session, "--no-preview")
    assert r.returncode == 0, r.stderr


def data_json(data, *extra):
    r = gesture("data", "--data", data, "--json", *extra)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_data_finds_a_truncated_jpeg_and_quarantines_it(tmp_path):
    data = tmp_path / "data"
    capture_synth(data, "palm", 6, "s1")
    capture_synth(data, "none", 6, "s1")
    victim = data / "palm" / "s1" / "000003.jpg"
    raw = victim.read_bytes()
    victim.write_bytes(raw[: len(raw) // 2])

    rep = data_json(data)
    assert rep["corrupt"] == ["palm/s1/000003.jpg"]
    assert rep["labels"]["palm"]["frames"] == 5 and rep["labels"]["none"]["frames"] == 6
    assert any("corrupt" in w for w in rep["warnings"])

    with open(data / "manifest.jsonl", "a") as f:
        f.write("a line some other tool wrote\n")
    rep = data_json(data, "--quarantine")
    assert rep["quarantined"] == ["palm/s1/000003.jpg"]
    assert not victim.exists()
    assert (data / ".quarantine" / "palm" / "s1" / "000003.jpg").read_bytes() == raw[: len(raw) // 2]
    lines = (data / "manifest.jsonl").read_text().splitlines()
    assert lines[-1] == "a line some other tool wrote", "quarantine never drops a line it cannot read"
    listed = [json.loads(line)["path"] for line in lines[:-1]]
    assert "palm/s1/000003.jpg" not in listed and len(listed) == 11
    moved = [json.loads(line)["path"] for line in (data / ".quarantine" / "manifest.jsonl").read_text().splitlines()]
    assert moved == ["palm/s1/000003.jpg"]
    rep = data_json(data)
    assert rep["corrupt"] == [] and rep["manifest"] == {"missing_files": [], "unlisted_files": []}


def test_data_warnings(tmp_path):
    data = tmp_path / "data"
    capture_synth(data, "palm", 12, "s1")
    capture_synth(data, "fist", 3, "s1")
    capture_synth(data, "fist", 3, "s2", seed=2)
    rep = data_json(data)
    w = "\n".join(rep["warnings"])
    assert "no no-gesture class" in w
    assert "'fist' has only 6 readable frames" in w
    assert "'palm' has one session" in w and "'fist' has one session" not in w
    assert "imbalanced" not in w  # 12 vs 6 is 2x
    capture_synth(data, "palm", 8, "s2")
    assert "imbalanced: 'palm' has 20 frames, 'fist' only 6" in "\n".join(data_json(data)["warnings"])


def test_data_reports_manifest_disagreement(tmp_path):
    data = tmp_path / "data"
    capture_synth(data, "palm", 4, "s1")
    (data / "palm" / "s1" / "000002.jpg").unlink()
    cv2.imwrite(str(data / "palm" / "s1" / "000009.jpg"), np.zeros((8, 8, 3), np.uint8))
    rep = data_json(data)
    assert rep["manifest"] == {"missing_files": ["palm/s1/000002.jpg"], "unlisted_files": ["palm/s1/000009.jpg"]}


def test_missing_data_folder_is_exit_2(tmp_path):
    r = gesture("data", "--data", tmp_path / "nope")
    assert r.returncode == 2 and "does not exist" in r.stderr


def test_flat_and_session_layouts_mix(tmp_path):
    for rel in ["A/12.jpg", "A/3.jpg", "B/s1/1.png", "B/s2/1.jpg", "B/s2/2.jpg", ".quarantine/A/1.jpg"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(tmp_path / rel), np.zeros((8, 8, 3), np.uint8))
    (tmp_path / "README.md").write_text("not a label")
    ds = scan(tmp_path)
    assert ds.labels == ["A", "B"] and ds.sessions == {"A": [FLAT_SESSION], "B": ["s1", "s2"]}
    assert [s.index for s in ds.samples if s.label == "A"] == [3, 12]


def test_none_aliases():
    assert pick_none_label(["A", "nothing"])[0] == "nothing"
    label, note = pick_none_label(["background", "none", "x"])
    assert label == "none" and "'background'" in note
    assert pick_none_label(["a", "b"])[0] is None
    assert pick_none_label(["a", "rest"], override="rest")[0] == "rest"
    with pytest.raises(GestureError):
        pick_none_label(["a"], override="b")


@pytest.mark.parametrize("bad", ["", " ", "a/b", "..", ".x", "x" * 65, "tab\there"])
def test_validate_label_refuses(bad):
    with pytest.raises(GestureError):
        validate_label(bad)


def test_shared_asl_frames_read_as_flat_labels(datasets):
    rep = data_json(datasets / "asl-frames")
    assert set(rep["labels"]) == {"A", "B", "L", "V", "W", "Y", "nothing"}
    assert all(v["frames"] == 200 and v["sessions"] == {FLAT_SESSION: 200} for v in rep["labels"].values())
    assert all(v["sizes"] == {"200x200": 200} for v in rep["labels"].values())
    assert rep["none_label"] == "nothing" and rep["corrupt"] == []


def test_shared_sign_digits_ignore_the_licence_file(datasets):
    ds = scan(datasets / "sign-digits")
    assert ds.labels == [str(d) for d in range(10)] and ds.none_label is None
    assert len(ds.samples) == sum(len(list((datasets / "sign-digits" / str(d)).glob("*.JPG"))) for d in range(10))


def test_half_written_frames_a_kill_left_are_found_and_moved_aside(tmp_path):
    data = tmp_path / "data"
    capture_synth(data, "palm", 4, "s1")
    capture_synth(data, "none", 4, "s1")
    stray = data / "palm" / "s1" / ".000005.jpg.tmp"  # what the writer leaves when killed mid-frame
    stray.write_bytes(b"\xff\xd8\xff half a frame")
    manifest = (data / "manifest.jsonl").read_bytes()
    rep = data_json(data)
    assert rep["stray"] == ["palm/s1/.000005.jpg.tmp"] and any("half-written" in w for w in rep["warnings"])
    rep = data_json(data, "--quarantine")
    assert not stray.exists() and (data / ".quarantine" / "palm" / "s1" / ".000005.jpg.tmp").is_file()
    assert (data / "manifest.jsonl").read_bytes() == manifest  # it never was in the manifest
    assert data_json(data)["stray"] == []
