import itertools

import pytest
import torch
from torch import nn

from gesture.config import ModelConfig
from gesture.model import cost
from gesture.model.net import GestureNet, fuse


@pytest.mark.parametrize("k,s,p,d,groups", [
    c for c in itertools.product((1, 3, 5), (1, 2, 3), (0, 1, 2), (1, 2), (1, 2, 4))
])
def test_output_size_formula_matches_forward(k, s, p, d, groups):
    conv = nn.Conv2d(4, 8, k, stride=s, padding=p, dilation=d, groups=groups)
    for h in (7, 16, 33):
        want = cost.conv_out(h, k, s, p, d)
        if want < 1:
            continue
        assert conv(torch.zeros(1, 4, h, h)).shape[-1] == want


@pytest.mark.parametrize("in_chs,out_chs,k,groups,bias", [
    (3, 16, 3, 1, False), (16, 16, 3, 16, True), (16, 32, 1, 1, True), (8, 12, 5, 4, True),
])
def test_param_count_formula_matches_the_real_layer(in_chs, out_chs, k, groups, bias):
    conv = nn.Conv2d(in_chs, out_chs, k, groups=groups, bias=bias)
    assert cost.conv_params(in_chs, out_chs, k, groups, bias) == sum(p.numel() for p in conv.parameters())


def test_network_shape_and_stage_table():
    cfg = ModelConfig(num_classes=5, size=96)
    net = GestureNet(cfg)
    assert net(torch.zeros(2, 3, 96, 96)).shape == (2, 5)
    dw = [m for m in net.modules() if isinstance(m, nn.Conv2d) and m.groups > 1]
    assert len(dw) == len(cfg.stages) and all(m.groups == m.in_channels == m.out_channels for m in dw)
    assert 5 <= len(cfg.stages) <= 6
    stem = net.stem.conv
    assert (stem.kernel_size, stem.stride) == ((3, 3), (2, 2))


def test_width_multiplier_scales_channels():
    narrow, wide = ModelConfig(width=0.5).channels(), ModelConfig(width=2.0).channels()
    assert all(n < w for n, w in zip(narrow[1:], wide[1:]))
    assert all(c % 8 == 0 for c in narrow + wide)


def _randomise_bn(net):
    g = torch.Generator().manual_seed(0)
    for m in net.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.copy_(torch.rand(m.num_features, generator=g) - 0.5)
            m.running_var.copy_(torch.rand(m.num_features, generator=g) + 0.5)
            m.weight.data.copy_(torch.rand(m.num_features, generator=g) + 0.5)
            m.bias.data.copy_(torch.rand(m.num_features, generator=g) - 0.5)


@pytest.mark.parametrize("width,size", [(1.0, 128), (0.5, 96), (1.5, 112)])
def test_fused_equals_unfused(width, size):
    net = GestureNet(ModelConfig(width=width, size=size)).eval()
    _randomise_bn(net)
    fused = fuse(net)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in fused.modules())
    assert any(isinstance(m, nn.BatchNorm2d) for m in net.modules()), "fuse() must not change the original"
    x = torch.randn(4, 3, size, size)
    with torch.no_grad():
        assert (net(x) - fused(x)).abs().max().item() <= 1e-4


def test_config_round_trips_through_a_dict():
    cfg = ModelConfig(num_classes=4, size=112, width=0.75)
    again = ModelConfig.from_dict(cfg.to_dict())
    assert again == cfg
    a, b = GestureNet(cfg), GestureNet(again)
    b.load_state_dict(a.state_dict())


@pytest.mark.parametrize("kw", [
    {"num_classes": 1}, {"width": 0}, {"size": 16}, {"stages": ((32, 2),) * 4}, {"stages": ((32, 3),) * 5},
    {"block": "resnet"}, {"dropout": 1.0},
])
def test_bad_config_is_refused(kw):
    with pytest.raises(ValueError):
        ModelConfig(**kw)


def test_cost_table_is_checked_against_the_forward_pass(monkeypatch):
    net = fuse(GestureNet(ModelConfig()))
    rows = cost.layer_table(net, 128)
    assert rows[-1].kind == "linear" and rows[-2].kind == "pool"
    # An off-by-one in the formula must be caught as a bug, not printed.
    monkeypatch.setattr(cost, "conv_out", lambda h, k, s=1, p=0, d=1: (h + 2 * p - d * (k - 1) - 1) // s + 2)
    with pytest.raises(AssertionError, match="forward pass"):
        cost.layer_table(net, 128)


def test_standard_twin_costs_about_eight_times_more_at_64_channels():
    rep = cost.cost_report(ModelConfig(width=1.0))
    b = next(b for b in rep["blocks"] if b["in_chs"] == b["out_chs"] == 64)
    # Per pixel: 64*9 + 64*64 against 64*64*9, i.e. 1 / (1/64 + 1/9) = 7.9x
    assert 7.5 < b["mac_ratio"] < 9
    assert rep["ratio"]["params"] > 5 and rep["ratio"]["macs"] > 4
