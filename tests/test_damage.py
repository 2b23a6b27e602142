"""Damaged files a user leaves on disk: every reader says so in one line (GestureError), or
skips what it can lose nothing by skipping; nothing else escapes. Real files, real readers:
each case flips bits in, truncates, or retypes a file written by gesture itself."""
import json

import cv2
import numpy as np
import pytest
from conftest import gesture

from gesture.config import ModelConfig
from gesture.data.check import check
from gesture.data.dataset import read_manifest, scan
from gesture.errors import GestureError
from gesture.live.keymap import load_keymap
from gesture.live.session import live_model
from gesture.model import checkpoint, livefile
from gesture.model.net import GestureNet
from gesture.preprocess import PreprocessConfig

CASES = 120  # per file kind: a few seconds each


def damaged(data: bytes, rng) -> bytes:
    """A truncation, a run of flipped bits, or a stretch of random bytes."""
    kind = rng.integers(3)
    if kind == 0:
        return data[: rng.integers(len(data))]
    out = bytearray(data)
    at = int(rng.integers(len(out)))
    if kind == 1:
        for i in range(at, min(len(out), at + int(rng.integers(1, 4)))):
            out[i] ^= 1 << int(rng.integers(8))
    else:
        out[at:at + 16] = rng.integers(0, 256, min(16, len(out) - at), np.uint8).tobytes()
    return bytes(out)


def survives(call):
    """The reader either works or raises GestureError; the test fails on anything else."""
    try:
        return call()
    except GestureError as e:
        assert str(e) and "\n" not in str(e).strip(), str(e)
        return None


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    out = tmp_path_factory.mktemp("ck") / "c.pt"
    return checkpoint.save(out, GestureNet(ModelConfig(num_classes=2, size=64, width=0.5)), ["palm", "none"], "none",
                           PreprocessConfig(size=64), {"metrics": {"accuracy": 0.9}})


def test_a_damaged_live_file_falls_back_to_the_checkpoint_or_says_why(saved, tmp_path):
    good = livefile.path_for(saved).read_bytes()
    ck = tmp_path / "c.pt"
    ck.write_bytes(saved.read_bytes())
    rng = np.random.default_rng(0)
    for _ in range(CASES):
        livefile.path_for(ck).write_bytes(damaged(good, rng))
        model = survives(lambda: live_model(ck, log=lambda *a: None))
        assert model is not None and model.live.labels == ["palm", "none"]  # the checkpoint itself is whole


def test_a_damaged_checkpoint_is_refused_in_one_line(saved, tmp_path):
    good = saved.read_bytes()
    ck = tmp_path / "c.pt"
    rng = np.random.default_rng(1)
    for _ in range(CASES):
        ck.write_bytes(damaged(good, rng))
        livefile.path_for(ck).unlink(missing_ok=True)
        survives(lambda: checkpoint.load(ck))
        survives(lambda: live_model(ck, log=lambda *a: None))


def test_a_damaged_key_map_is_refused_in_one_line(tmp_path):
    good = ('pause_gesture = "none"\n[gestures]\npalm = "right"\n[gestures.fist]\nkey = "ctrl+shift+t"\n'
            'mode = "hold"\nthreshold = 0.8\n[apps."impress".gestures]\npalm = "scroll_down"\n').encode()
    path = tmp_path / "keys.toml"
    rng = np.random.default_rng(2)
    for _ in range(CASES):
        path.write_bytes(damaged(good, rng))
        survives(lambda: load_keymap(path, ["palm", "fist", "none"], "none"))


def test_a_damaged_manifest_is_read_around_and_kept(tmp_path):
    root = tmp_path / "data"
    rows = []
    for label in ("palm", "none"):
        (root / label / "s1").mkdir(parents=True)
        for i in range(3):
            cv2.imwrite(str(root / label / "s1" / f"{i:06d}.jpg"), np.full((32, 32, 3), 40 * i, np.uint8))
            rows.append(json.dumps({"path": f"{label}/s1/{i:06d}.jpg", "label": label, "session": "s1"}) + "\n")
    good = "".join(rows).encode()
    odd = [b"[1, 2]\n", b'{"path": 7}\n', b'"text"\n', b"\xff\xfe not utf-8\n", b'{"path": ["a"]}\n']
    rng = np.random.default_rng(3)
    for k in range(CASES):
        data = damaged(good, rng) + odd[k % len(odd)]
        (root / "manifest.jsonl").write_bytes(data)
        assert all(isinstance(r.get("path", ""), str) for r in read_manifest(root))
        assert len(scan(root).samples) == 6
        report = check(root, progress=False)
        assert report["frames"] == 6
        assert (root / "manifest.jsonl").read_bytes() == data  # read, never rewritten


def test_the_cli_says_it_in_one_line_and_exits_2(saved, tmp_path):
    data = tmp_path / "data"
    (data / "palm" / "s1").mkdir(parents=True)
    (data / "manifest.jsonl").write_bytes(b'[1]\n{"path": 3}\n\xff\xfe\n')
    r = gesture("data", "--data", data)
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    assert "3 line(s) of manifest.jsonl are not entries" in r.stdout
    keys = tmp_path / "keys.toml"
    keys.write_bytes(b'[gestures]\npalm = "r\xe9ight"\n')
    r = gesture("run", "--checkpoint", saved, "--keys", keys, "--source", "synth:none x2", "--dry-run", "--no-preview")
    assert r.returncode == 2 and "keys.toml:2: not UTF-8" in r.stderr and len(r.stderr.strip().splitlines()) == 1
