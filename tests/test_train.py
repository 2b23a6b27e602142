import json
import re
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict

import cv2
import numpy as np
import pytest
import torch
from conftest import HANG, ROOT, gesture

from gesture.config import TrainConfig
from gesture.data.dataset import Sample, load_frames, scan
from gesture.data.splits import validation_split
from gesture.errors import GestureError
from gesture.learn.augment import centre
from gesture.learn.evaluate import evaluate_samples
from gesture.learn.fit_net import fit
from gesture.learn.frames import load_data
from gesture.model import checkpoint
from gesture.model.livefile import from_checkpoint
from gesture.preprocess import PreprocessConfig, preprocess, standardize

FAST = ["--size", "64", "--width", "0.5"]


def make_synth_data(root, labels=("palm", "fist", "none"), sessions=2, n=30):
    """Each session films five short scenes (room, light, skin, pose) of each label."""
    for label in labels:
        drawn = "none" if label == "nothing" else label
        scenes = ", ".join([f"{drawn} x{-(-n // 5)}"] * 5)
        for k in range(sessions):
            r = gesture("capture", label, "--source", f"synth:{scenes}, seed={10 * k + len(label)}, size=160x120",
                        "--data", root, "--count", n, "--session", f"s{k}", "--no-preview")
            assert r.returncode == 0, r.stderr
    return root


@pytest.fixture(scope="module")
def synth_data(tmp_path_factory):
    return make_synth_data(tmp_path_factory.mktemp("synth") / "data")


@pytest.fixture(scope="module")
def trained(synth_data, tmp_path_factory):
    out = tmp_path_factory.mktemp("ckpt") / "gesture.pt"
    r = gesture("train", "--data", synth_data, "--out", out, *FAST, timeout=HANG)
    assert r.returncode == 0, r.stderr
    return out, r


def test_train_learns_synthetic_gestures_well_above_chance(trained):
    out, r = trained
    m = json.loads((out.parent / "metrics.json").read_text())
    assert m["accuracy"] > 0.7, m  # three classes: chance is 0.33; held-out sessions
    assert "held out session" in r.stdout and "no-gesture class: 'none'" in r.stdout
    ck = checkpoint.load(out)
    assert ck.labels == ["fist", "none", "palm"] and ck.none_label == "none"
    assert ck.preprocess.size == 64 and ck.model.cfg.width == 0.5
    assert ck.meta["data"]["frames"] == 180 and len(ck.meta["data"]["fingerprint"]) == 16


def test_reports_exist_and_parse(trained):
    out, _ = trained
    m = json.loads((out.parent / "metrics.json").read_text())
    assert set(m["per_class"]) == {"fist", "none", "palm"}
    assert all(set(v) == {"precision", "recall", "f1", "support"} for v in m["per_class"].values())
    conf = np.array(m["confusion"])
    assert conf.shape == (3, 3) and conf.sum() == m["frames"] == m["val_frames"]
    assert np.trace(conf) / conf.sum() == pytest.approx(m["accuracy"], abs=1e-3)
    assert len(m["history"]) == m["epochs_run"] and all("val_acc" in h for h in m["history"])
    for png in ("confusion.png", "curves.png"):
        img = cv2.imread(str(out.parent / png))
        assert img is not None and img.shape[0] > 100 and img.std() > 5


def test_checkpoint_round_trips_with_identical_logits(trained, tmp_path):
    out, _ = trained
    ck = checkpoint.load(out)
    again = tmp_path / "again.pt"
    checkpoint.save(again, ck.model, ck.labels, ck.none_label, ck.preprocess, ck.meta)
    ck2 = checkpoint.load(again)
    frame = np.random.default_rng(0).integers(0, 255, (120, 160, 3), dtype=np.uint8)
    x = torch.from_numpy(preprocess(frame, ck.preprocess))
    with torch.no_grad():
        assert torch.equal(ck.model(x), ck2.model(x))
    assert ck2.preprocess == ck.preprocess and ck2.labels == ck.labels


def test_eval_matches_labels_by_name_and_reports_unknown_ones(trained, tmp_path):
    out, _ = trained
    data = tmp_path / "other"
    make_synth_data(data, labels=("palm", "nothing", "v"), sessions=1, n=12)  # 'nothing' is the none alias
    r = gesture("eval", "--checkpoint", out, "--data", data, "--json")
    assert r.returncode == 0, r.stderr
    m = json.loads(r.stdout)
    assert {"accuracy", "per_class", "confusion"} <= set(m)
    assert m["frames"] == 24  # palm and nothing are scored
    assert m["per_class"]["palm"]["support"] == 12 and m["per_class"]["none"]["support"] == 12
    assert m["unknown_labels"]["v"]["frames"] == 12 and sum(m["unknown_labels"]["v"]["predicted"].values()) == 12
    text = gesture("eval", "--checkpoint", out, "--data", data)
    assert "not in the checkpoint, not scored: 'v' (12 frames)" in text.stdout


def test_eval_sees_what_training_validation_saw(trained, synth_data):
    # Validation inside training scores the stored centres of margin-resized frames; eval
    # and the live loop decode and preprocess afresh. Frame by frame they must agree.
    from gesture.learn.fit_net import evaluate
    from gesture.model.recognizer import Recognizer

    out, _ = trained
    ck = checkpoint.load(out)
    cfg = TrainConfig(data=synth_data, size=ck.preprocess.size, width=ck.model.cfg.width, cache=False)
    data = load_data(cfg, ck.preprocess, log=lambda *a: None, progress=False)
    idx = torch.arange(len(data.samples))
    _, _, train_probs = evaluate(ck.model, data, idx, ck.preprocess, cfg.size)
    frames, _ = load_frames(data.samples, ck.preprocess, 0, cache=False, progress=False)
    live = Recognizer(from_checkpoint(ck), str(out), video=False).stills(frames)  # NumPy preprocessing, ONNX Runtime
    assert (live.argmax(1) == train_probs.argmax(1)).mean() > 0.97
    with torch.no_grad():
        stored = torch.softmax(ck.model(standardize(centre(data.frames, cfg.size), ck.preprocess)), 1).numpy()
    assert np.abs(stored - live).mean() < 0.02


def test_split_never_puts_a_session_on_both_sides():
    rng = np.random.default_rng(0)
    for trial in range(30):
        samples = []
        for label in ("a", "b", "c"):
            for k in range(int(rng.integers(1, 5))):
                for i in range(int(rng.integers(5, 80))):
                    samples.append(Sample(None, label, f"s{k}", i))
        split = validation_split(samples, seed=trial)
        assert not set(split.train) & set(split.val)
        sides = defaultdict(set)
        for side, idx in (("train", split.train), ("val", split.val)):
            for i in idx:
                sides[(samples[i].label, samples[i].session)].add(side)
        multi = {label for label in "abc" if len({s.session for s in samples if s.label == label}) > 1}
        for (label, session), where in sides.items():
            if label in multi:
                assert len(where) == 1, f"session {label}/{session} on both sides"
        for label in "abc":
            assert any(samples[i].label == label for i in split.val), "every class is validated"


def test_single_session_holds_out_contiguous_blocks_with_a_gap():
    samples = [Sample(None, "a", "only", i * 3) for i in range(200)]
    assert len(validation_split(samples, fraction=0.3).val) == 60
    split = validation_split(samples)
    val = sorted(samples[i].index // 3 for i in split.val)
    runs = np.split(val, np.where(np.diff(val) != 1)[0] + 1)
    assert len(runs) == 2 and all(len(r) == 20 for r in runs)
    train = {samples[i].index // 3 for i in split.train}
    for r in runs:
        assert r[0] - 1 not in train and r[-1] + 1 not in train, "neighbours of held-out blocks are not trained on"


def test_weights_only_refuses_a_pickled_object(tmp_path):
    class Payload:  # stands in for anything that would run code when unpickled
        def __reduce__(self):
            return (print, ("this must never run",))

    evil = tmp_path / "evil.pt"
    with open(evil, "wb") as f:
        torch.save({"format": "gesture-checkpoint", "version": 1, "x": Payload()}, f)
    with pytest.raises(GestureError, match="more than weights"):
        checkpoint.load(evil)
    r = gesture("eval", "--checkpoint", evil, "--data", tmp_path)
    assert r.returncode == 2 and "this must never run" not in r.stdout + r.stderr


@pytest.mark.parametrize("content,expect", [
    (b"", "not a readable checkpoint"),
    (b"hello, not a checkpoint", "not a readable checkpoint"),
    (None, "foreign file"),
    ("truncated", "not a readable checkpoint"),
])
def test_corrupt_or_foreign_checkpoints_exit_2(trained, tmp_path, content, expect):
    path = tmp_path / "bad.pt"
    if content is None:
        torch.save({"weights": torch.zeros(3)}, path)
    elif content == "truncated":
        raw = trained[0].read_bytes()
        path.write_bytes(raw[: len(raw) // 2])
    else:
        path.write_bytes(content)
    r = gesture("eval", "--checkpoint", path, "--data", tmp_path)
    assert r.returncode == 2 and expect in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_bad_training_data_exit_2(tmp_path):
    r = gesture("train", "--data", tmp_path / "missing", "--out", tmp_path / "c.pt")
    assert r.returncode == 2 and "does not exist" in r.stderr
    (tmp_path / "empty").mkdir()
    r = gesture("train", "--data", tmp_path / "empty", "--out", tmp_path / "c.pt")
    assert r.returncode == 2 and "no images found" in r.stderr
    one = make_synth_data(tmp_path / "one", labels=("palm",), sessions=1, n=12)
    r = gesture("train", "--data", one, "--out", tmp_path / "c.pt")
    assert r.returncode == 2 and "only one class" in r.stderr
    few = make_synth_data(tmp_path / "few", labels=("palm", "fist"), sessions=1, n=12)
    for p in sorted((few / "fist" / "s0").glob("*.jpg"))[5:]:
        p.unlink()
    r = gesture("train", "--data", few, "--out", tmp_path / "c.pt")
    assert r.returncode == 2 and "'fist' has 5" in r.stderr
    assert not (tmp_path / "c.pt").exists()


def test_bad_settings_and_outputs_fail_before_training(synth_data, tmp_path):
    for args, msg in ((["--size", "8"], "size must be at least"), (["--out", tmp_path], "is a folder"),
                      (["--out", tmp_path / "file" / "c.pt"], "cannot write a checkpoint")):
        if "file" in str(args[-1]):
            (tmp_path / "file").write_text("in the way")
        t = time.monotonic()
        r = gesture("train", "--data", synth_data, *args)
        assert r.returncode == 2 and msg in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
        assert "decoding" not in r.stderr and time.monotonic() - t < 20


def test_eval_with_no_matching_labels_exit_2(trained, tmp_path):
    data = make_synth_data(tmp_path / "other", labels=("v", "l"), sessions=1, n=10)
    r = gesture("eval", "--checkpoint", trained[0], "--data", data)
    assert r.returncode == 2 and "none of the labels" in r.stderr


def test_unreadable_mixed_size_alpha_and_gray_images_are_fine(tmp_path):
    data = make_synth_data(tmp_path / "data", labels=("palm", "none"), sessions=1, n=14)
    cv2.imwrite(str(data / "palm" / "s0" / "000100.png"), np.full((50, 90, 4), 128, np.uint8))  # alpha, other size
    cv2.imwrite(str(data / "palm" / "s0" / "000101.png"), np.full((70, 70), 90, np.uint8))  # grayscale
    (data / "none" / "s0" / "000102.jpg").write_bytes(b"\xff\xd8\xff not really a jpeg")
    r = gesture("train", "--data", data, "--out", tmp_path / "c.pt", "--epochs", 2, *FAST)
    assert r.returncode == 0, r.stderr
    assert "skipped 1 unreadable image(s)" in r.stdout
    assert checkpoint.load(tmp_path / "c.pt").meta["data"]["frames"] == 30  # 14 + 2 odd palms, 14 none


def test_time_budget_is_a_cap_that_says_loudly_when_it_cuts_in(synth_data, tmp_path):
    r = gesture("train", "--data", synth_data, "--out", tmp_path / "c.pt", "--epochs", 5000, "--time-budget", 4, *FAST)
    assert r.returncode == 0, r.stderr
    assert "WARNING: the 4 s time budget cut training short" in r.stdout
    m = json.loads((tmp_path / "metrics.json").read_text())
    assert m["cut_short"] is True and m["planned_epochs"] == 5000
    # It stops before an epoch that would end past the cap: past it by about an epoch at most,
    # however slow or busy the machine (an epoch's time is what sets the slack, not a clock).
    per_epoch = m["train_seconds"] / m["epochs_run"]
    assert m["epochs_run"] < 5000 and m["train_seconds"] <= 4 + 2 * per_epoch + 0.5


def test_the_plan_comes_from_the_data_not_the_clock(synth_data, tmp_path):
    """Same data and seed: the same epochs and the same model, however fast the machine is."""
    runs = []
    for name in ("a", "b"):
        r = gesture("train", "--data", synth_data, "--out", tmp_path / name / "c.pt", "--epochs", 3, *FAST)
        assert r.returncode == 0, r.stderr
        assert "time budget" not in r.stdout  # planned by the data: nothing cut it short
        runs.append(checkpoint.load(tmp_path / name / "c.pt"))
    m = json.loads((tmp_path / "a" / "metrics.json").read_text())
    assert m["cut_short"] is False and m["epochs_run"] == m["planned_epochs"] == 3
    a, b = (dict(ck.model.state_dict()) for ck in runs)
    assert max((a[k].float() - b[k].float()).abs().max().item() for k in a) < 1e-4
    assert TrainConfig().time_budget is None  # no clock in the default plan
    assert TrainConfig().epochs_for(1500) == TrainConfig().epochs_for(1500)


def test_a_worse_retrain_says_so_and_keeps_the_previous_checkpoint(synth_data, tmp_path):
    out = tmp_path / "c.pt"
    assert gesture("train", "--data", synth_data, "--out", out, "--epochs", 8, *FAST).returncode == 0
    good = json.loads((tmp_path / "metrics.json").read_text())["accuracy"]
    r = gesture("train", "--data", synth_data, "--out", out, "--epochs", 1, "--seed", "0", *FAST)
    assert r.returncode == 0, r.stderr
    prev = tmp_path / "c.prev.pt"
    assert prev.is_file() and checkpoint.load(prev).meta["metrics"]["accuracy"] == good
    worse = json.loads((tmp_path / "metrics.json").read_text())["accuracy"]
    if worse < good - 0.005:
        assert "WARNING: the new model validates at" in r.stdout and str(prev) in r.stdout
    else:
        assert f"kept at {prev}" in r.stdout


def _ctrl_c_as_in_a_terminal():
    # A test run started in the background (`cmd &`, nohup) inherits SIGINT ignored, and so
    # would the child: Python then never raises KeyboardInterrupt. A user's terminal does not.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_during_training_saves_the_best_so_far(synth_data, tmp_path):
    out = tmp_path / "c.pt"
    proc = subprocess.Popen([sys.executable, "-m", "gesture", "train", "--data", str(synth_data), "--out", str(out),
                             "--epochs", "500", "--time-budget", "600", *FAST], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, preexec_fn=_ctrl_c_as_in_a_terminal)
    seen, err = threading.Event(), []

    def watch():  # tqdm redraws "training: ... | 3/500 [" on stderr after each epoch
        buf = b""
        for chunk in iter(lambda: proc.stderr.read1(256), b""):
            buf += chunk
            err.append(chunk)
            if any(int(n) >= 3 for n in re.findall(rb"training:[^\r\n]*?\| (\d+)/\d+ \[", buf)):
                seen.set()

    threading.Thread(target=watch, daemon=True).start()
    assert seen.wait(120), b"".join(err).decode(errors="replace")
    proc.send_signal(signal.SIGINT)
    stdout = proc.stdout.read().decode()
    assert proc.wait(60) == 130
    assert "training was interrupted" in stdout
    ck = checkpoint.load(out)
    assert 1 <= ck.meta["metrics"]["best_epoch"] < 500


def test_real_frames_learn_well_above_chance(datasets, tmp_path):
    """Three asl-frames classes, held-out time blocks (never random frames)."""
    ds = scan(datasets / "asl-frames")
    samples = [s for s in ds.samples if s.label in ("A", "B", "nothing")]
    cfg = TrainConfig(size=64, width=0.5, cache=False)
    pcfg = PreprocessConfig(size=64)
    data = load_data(cfg, pcfg, samples=samples, log=lambda *a: None, progress=False)
    test = [i for i, s in enumerate(data.samples) if (s.index // 300) % 5 == 2]
    rest = [i for i, s in enumerate(data.samples) if (s.index // 300) % 5 != 2]
    inner = validation_split([data.samples[i] for i in rest])
    res = fit(data, [rest[i] for i in inner.train], [rest[i] for i in inner.val], cfg, pcfg, progress=False)
    ck = checkpoint.Checkpoint(res.model, data.labels, "nothing", pcfg, {})
    m = evaluate_samples(from_checkpoint(ck), [data.samples[i] for i in test], {k: k for k in data.labels},
                         progress=False)
    assert m["frames"] > 60 and m["accuracy"] > 0.7, m["confusion"]  # chance is 0.33


def test_two_worse_retrains_never_lose_the_better_model(tmp_path):
    from gesture.config import ModelConfig
    from gesture.model.net import GestureNet

    out, split = tmp_path / "c.pt", "validation: session s1"
    prev = checkpoint.previous_path(out)

    def retrain(acc):  # what `gesture train` does around its save
        previous = checkpoint.keep_previous(out)
        checkpoint.save(out, GestureNet(ModelConfig(num_classes=2, size=64, width=0.5)), ["palm", "none"], "none",
                        PreprocessConfig(size=64), {"metrics": {"accuracy": acc, "split": split}})
        return checkpoint.compare(previous, acc, split) if previous else None

    def kept():
        return checkpoint.load(prev).meta["metrics"]["accuracy"]

    retrain(0.9)
    assert "below the 0.900" in retrain(0.6) and kept() == 0.9
    note = retrain(0.5)  # the second worse one: the good model must still be there
    assert kept() == 0.9 and "below the 0.900" in note and str(prev) in note and "(0.600) was not kept" in note
    assert checkpoint.load(out).meta["metrics"]["accuracy"] == 0.5
    assert "at 0.900 on the same validation frames, stays kept" in retrain(0.95)  # the 0.5 it replaced is worse
    assert kept() == 0.9
    retrain(0.7)
    assert kept() == 0.95  # now the better one is the one replaced
    assert checkpoint.livefile.path_for(prev).is_file()


def test_train_never_overwrites_a_file_that_is_not_a_checkpoint(synth_data, tmp_path):
    keys = tmp_path / "keys.toml"
    keys.write_text('[gestures]\npalm = "right"\n')
    r = gesture("train", "--data", synth_data, "--out", keys, *FAST)
    assert r.returncode == 2 and "is not a gesture checkpoint" in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert keys.read_text() == '[gestures]\npalm = "right"\n'


def test_a_failed_train_leaves_no_folder_behind(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    r = gesture("train", "--data", empty, "--out", tmp_path / "new" / "c.pt")
    assert r.returncode == 2 and "no images found" in r.stderr, r.stderr
    assert not (tmp_path / "new").exists()


def test_a_no_gesture_class_that_rarely_reaches_a_rest_is_warned_about():
    from gesture.learn import reports

    labels, none = ["v", "none"], 1
    y = np.array([0, 1, 1, 1, 1])
    unsure = np.array([[0.9, 0.1]] + [[0.4, 0.6]] * 4, np.float32)  # none on top, below the rest level
    rest = reports.rest_share(unsure, y, np.ones(5, bool), labels, none)
    assert rest["share"] == 0 and rest["frames"] == 4 and rest["median"] == 0.6
    assert "'none' reaches the level a rest needs (0.7" in reports.rest_warning(rest)
    # With no hand in view any lead of none rests (as in the live loop); a sure none rests anywhere.
    assert reports.rest_warning(reports.rest_share(unsure, y, np.zeros(5, bool), labels, none)) is None
    sure = np.array([[0.9, 0.1]] + [[0.2, 0.8]] * 4, np.float32)
    assert reports.rest_warning(reports.rest_share(sure, y, np.ones(5, bool), labels, none)) is None
    assert reports.rest_share(sure, np.zeros(5, int), None, labels, none) is None  # no none frames: nothing to say
