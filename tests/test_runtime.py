"""The network in ONNX Runtime: the same outputs as torch on real frames, and a graph that must match its weights."""
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch
from conftest import HANG, gesture

from gesture.config import ModelConfig
from gesture.errors import GestureError
from gesture.model import checkpoint, framenet
from gesture.model.net import GestureNet
from gesture.preprocess import PreprocessConfig, preprocess

pytest.importorskip("onnxruntime", reason="pip install onnxruntime")


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A default-size checkpoint with BatchNorm statistics that are not the identity, as after training."""
    torch.manual_seed(0)
    model = GestureNet(ModelConfig(num_classes=4))
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.uniform_(0.5, 1.5)
    path = tmp_path_factory.mktemp("rt") / "c.pt"
    checkpoint.save(path, model.eval(), ["a", "b", "c", "none"], "none", PreprocessConfig(), {})
    return path


def test_onnx_runtime_gives_torchs_outputs_on_real_frames(saved, datasets):
    import cv2

    ck = checkpoint.load(saved)
    assert ck.onnx is not None
    frames = [cv2.imread(str(p)) for p in sorted((datasets / "asl-frames" / "A").glob("*.jpg"))[:3]]
    frames += [cv2.imread(str(p)) for p in sorted((datasets / "hagrid-people" / "palm").glob("*.jpg"))[:3]]
    x = np.concatenate([preprocess(f, ck.preprocess) for f in frames])
    ort = framenet.FrameNet(ck.onnx)
    with torch.inference_mode():
        logits = ck.model(torch.from_numpy(x)).numpy()
    got = ort._session.run(None, {framenet.INPUT: x})[0]
    assert np.abs(got - logits).max() < 1e-5
    assert np.abs(ort.probs(x) - torch.softmax(torch.from_numpy(logits), 1).numpy()).max() < 1e-5


def test_a_graph_that_does_not_match_its_weights_is_refused(saved, tmp_path):
    raw = torch.load(saved, weights_only=True)
    raw["state_dict"]["head.weight"] = raw["state_dict"]["head.weight"] + 0.1  # weights edited, graph kept
    bad = tmp_path / "bad.pt"
    torch.save(raw, bad)
    with pytest.raises(GestureError, match="ONNX graph does not match its weights"):
        checkpoint.load(bad)
    r = gesture("run", "--checkpoint", bad, "--source", "synth:none x3", "--dry-run", "--no-preview")
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and "does not match" in r.stderr


def test_a_checkpoint_without_a_graph_gets_its_model_file_made_again_and_says_so(saved, tmp_path):
    raw = torch.load(saved, weights_only=True)
    del raw["onnx"], raw["onnx_weights"]
    old = tmp_path / "old.pt"
    torch.save(raw, old)
    log = tmp_path / "e.jsonl"
    r = gesture("run", "--checkpoint", old, "--source", "synth:none x5", "--dry-run", "--no-preview", "--log", log)
    assert r.returncode == 0, r.stderr
    assert "made old.live.npz again from" in r.stdout and "5 frames at" in r.stdout
    from gesture.model import livefile

    assert livefile.load(old)[0] is not None  # the next run starts from it, without torch


def test_run_uses_onnx_runtime_and_reports_the_processing_time_without_the_read(saved):
    r = gesture("run", "--checkpoint", saved, "--source", "synth:none x20", "--dry-run", "--no-preview")
    assert r.returncode == 0, r.stderr
    assert "running the network in torch" not in r.stdout and "infer" in r.stdout
    line = next(x for x in r.stdout.splitlines() if x.startswith("per frame:"))
    total, work = (float(v) for v in re.findall(r"([\d.]+) ms median", line))
    assert 0 < work <= total


def test_run_starts_without_torch_from_the_live_file_beside_the_checkpoint(saved, tmp_path):
    from gesture.model import livefile

    assert livefile.path_for(saved).is_file()  # written with the checkpoint
    code = ("import sys; from gesture.cli import main; rc = main(['run', '--checkpoint', sys.argv[1], '--source', "
            "'synth:none x5', '--dry-run', '--no-preview']); print('torch imported:', 'torch' in sys.modules); "
            "sys.exit(rc)")
    r = subprocess.run([sys.executable, "-c", code, str(saved)], capture_output=True, text=True, timeout=HANG)
    assert r.returncode == 0, r.stderr
    assert "torch imported: False" in r.stdout and "first frame classified" in r.stdout


def test_a_stale_live_file_is_not_used(saved, tmp_path):
    from gesture.model import livefile

    copy = tmp_path / "c.pt"
    shutil.copy(saved, copy)
    shutil.copy(livefile.path_for(saved), livefile.path_for(copy))
    assert livefile.load(copy)[0] is not None
    copy.write_bytes(copy.read_bytes() + b"\0")  # the checkpoint changed; its live file did not
    live, why = livefile.load(copy)
    assert live is None and "another version" in why


# A runtime-only install, as `pip install gesture-keys` without the [train] extra makes it:
# torch and onnx cannot be imported (a fresh venv with the wheel alone was checked by hand too).
NO_TORCH = ("import sys; sys.modules['torch'] = None; sys.modules['onnx'] = None; "
            "from gesture.cli import main; rc = main(sys.argv[1:]); "
            "print('torch imported:', sys.modules.get('torch') is not None); sys.exit(rc)")


def without_torch(*args, cwd=None):
    return subprocess.run([sys.executable, "-c", NO_TORCH, *map(str, args)], capture_output=True, text=True,
                          timeout=HANG, cwd=cwd)


def test_without_torch_the_starter_and_a_trained_model_run_and_eval_scores(saved, tmp_path):
    import cv2

    r = without_torch("run", "--checkpoint", "starter", "--source", "synth:palm x5", "--dry-run", "--no-preview")
    assert r.returncode == 0 and "torch imported: False" in r.stdout, r.stderr
    r = without_torch("run", "--checkpoint", saved, "--source", "synth:none x5", "--dry-run", "--no-preview")
    assert r.returncode == 0 and "first frame classified" in r.stdout, r.stderr
    rng = np.random.default_rng(0)
    for label in ("a", "none"):
        (tmp_path / "data" / label).mkdir(parents=True)
        for i in range(3):
            cv2.imwrite(str(tmp_path / "data" / label / f"{i:06d}.jpg"), rng.integers(0, 255, (120, 160, 3), np.uint8))
    r = without_torch("eval", "--checkpoint", saved, "--data", tmp_path / "data")
    assert r.returncode == 0 and "on 6 frames of 2 label(s)" in r.stdout, r.stdout + r.stderr


def test_without_torch_training_and_a_stale_model_file_say_what_to_install(saved, tmp_path):
    r = without_torch("train", "--data", tmp_path, "--out", tmp_path / "c.pt")
    assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr
    assert "training needs torch" in r.stderr and "gesture-keys[train]" in r.stderr
    from gesture.model import livefile

    stale = tmp_path / "s.pt"
    shutil.copy(saved, stale)
    shutil.copy(livefile.path_for(saved), livefile.path_for(stale))
    stale.write_bytes(stale.read_bytes() + b"\0")  # the checkpoint changed; its model file did not
    r = without_torch("run", "--checkpoint", stale, "--source", "synth:none x3", "--dry-run", "--no-preview")
    assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr
    assert "was made from another version" in r.stderr and "gesture-keys[train]" in r.stderr
