import json

from conftest import gesture


def test_model_json_is_complete_and_consistent():
    r = gesture("model", "--json", "--size", "96", "--width", "0.5", "--classes", "4")
    assert r.returncode == 0, r.stderr
    rep = json.loads(r.stdout)
    assert rep["input"] == [3, 96, 96] and rep["config"]["num_classes"] == 4
    layers = rep["layers"]
    kinds = [layer["kind"] for layer in layers]
    assert kinds[0] == "conv" and kinds[-2:] == ["pool", "linear"]
    assert kinds.count("dw") == kinds.count("pw") == len(rep["config"]["stages"])
    assert layers[0]["out_h"] == 48  # stride-2 stem
    assert layers[-1]["out_chs"] == 4
    assert rep["totals"]["params"] == sum(layer["params"] for layer in layers)
    assert rep["totals"]["macs"] == sum(layer["macs"] for layer in layers)
    for layer in layers:
        if layer["kind"] in ("conv", "dw", "pw"):
            assert layer["params"] == (layer["out_chs"] * layer["in_chs"] // layer["groups"] * layer["kernel"] ** 2
                                       + layer["out_chs"])
    std = rep["standard"]["totals"]
    assert abs(rep["ratio"]["macs"] - std["macs"] / rep["totals"]["macs"]) < 1e-2


def test_model_text_report_names_both_networks():
    r = gesture("model")
    assert r.returncode == 0, r.stderr
    assert ("Standard-conv twin" in r.stdout and "blocks.0.conv_dw" in r.stdout
            and "agree with a forward pass" in r.stdout)


def test_bad_flags_give_one_line_and_exit_2():
    for args in (["model", "--size", "8"], ["model", "--width", "-1"], ["model", "--classes", "x"],
                 ["bench", "--only", "nope"]):
        r = gesture(*args)
        assert r.returncode == 2, args
        assert len(r.stderr.strip().splitlines()) == 1, r.stderr
        assert "Traceback" not in r.stderr


def test_unknown_command_exit_2():
    r = gesture("fly")
    assert r.returncode == 2 and "invalid choice" in r.stderr


def test_bench_model_section_writes_json(tmp_path):
    out = tmp_path / "bench.json"
    r = gesture("bench", "--only", "model", "--runs", "5", "--json", out)
    assert r.returncode == 0, r.stderr  # no target rests on how fast this machine is
    data = json.loads(out.read_text())
    names = {f["name"]: f for f in data["figures"]}
    assert names["default net, fused"]["value"] > 0
    # Milliseconds are reported with the machine, never targeted: a slower CPU must not fail.
    assert all(f["target"] is None for f in data["figures"] if f["unit"] == "ms")
    assert data["machine"]["cores"] >= 1
