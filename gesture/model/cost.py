"""Per-layer cost report for `gesture model`: output sizes, parameters and multiply-accumulates.

Sizes come from the convolution formula and are checked against a real forward pass; the
same network with every depthwise-separable pair swapped for a plain 3x3 conv is costed
beside it, which is the whole argument for depthwise-separable blocks on a laptop CPU.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import torch
from torch import nn

from ..config import ModelConfig
from .net import GestureNet, fuse


def conv_out(size: int, kernel: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """H_out = floor((H + 2p - d(k-1) - 1) / s) + 1, as in the PyTorch Conv2d documentation."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def conv_params(in_chs: int, out_chs: int, kernel: int, groups: int = 1, bias: bool = True) -> int:
    return out_chs * (in_chs // groups) * kernel * kernel + (out_chs if bias else 0)


@dataclass
class Layer:
    name: str
    kind: str  # conv | dw | pw | pool | linear
    in_chs: int
    out_chs: int
    kernel: int
    stride: int
    padding: int
    dilation: int
    groups: int
    out_h: int
    out_w: int
    params: int
    macs: int


def _conv_kind(m: nn.Conv2d) -> str:
    if m.groups > 1 and m.groups == m.in_channels == m.out_channels:
        return "dw"
    return "pw" if m.kernel_size == (1, 1) else "conv"


def _pair(v) -> int:
    a, b = (v, v) if isinstance(v, int) else v
    if a != b:
        raise ValueError(f"only square kernels, strides and paddings are costed, got {v}")
    return a


def layer_table(model: GestureNet, size: int) -> list[Layer]:
    """Cost every conv, pooling and linear layer of `model` for a size x size input, in forward order."""
    rows, h, w = [], size, size
    for name, m in model.named_modules():
        if isinstance(m, nn.Conv2d):
            k, s, p, d = (_pair(v) for v in (m.kernel_size, m.stride, m.padding, m.dilation))
            h, w = conv_out(h, k, s, p, d), conv_out(w, k, s, p, d)
            params = conv_params(m.in_channels, m.out_channels, k, m.groups, m.bias is not None)
            macs = h * w * m.out_channels * (m.in_channels // m.groups) * k * k
            rows.append(Layer(name, _conv_kind(m), m.in_channels, m.out_channels, k, s, p, d, m.groups, h, w, params,
                              macs))
        elif isinstance(m, nn.AdaptiveAvgPool2d):
            chs = rows[-1].out_chs
            # One accumulate per input value; the divide per channel is noise.
            rows.append(Layer(name, "pool", chs, chs, h, 1, 0, 1, chs, 1, 1, 0, h * w * chs))
            h = w = 1
        elif isinstance(m, nn.Linear):
            params = m.in_features * m.out_features + (m.out_features if m.bias is not None else 0)
            rows.append(Layer(name, "linear", m.in_features, m.out_features, 1, 1, 0, 1, 1, 1, 1, params,
                              m.in_features * m.out_features))
    _check_against_forward(model, size, rows)
    return rows


def _check_against_forward(model: nn.Module, size: int, rows: list[Layer]) -> None:
    """Run the model once and compare every layer's real output and parameter count with the table."""
    seen: dict[str, tuple] = {}
    modules = dict(model.named_modules())
    hooks = [
        modules[r.name].register_forward_hook(lambda m, i, o, n=r.name: seen.__setitem__(n, tuple(o.shape)))
        for r in rows
    ]
    try:
        with torch.no_grad():
            model.eval()(torch.zeros(1, 3, size, size))
    finally:
        for hk in hooks:
            hk.remove()
    for r in rows:
        want = (1, r.out_chs) if r.kind == "linear" else (1, r.out_chs, r.out_h, r.out_w)
        if seen.get(r.name) != want:
            raise AssertionError(f"cost table says {r.name} outputs {want}, the forward pass gave {seen.get(r.name)}")
        real = sum(p.numel() for p in modules[r.name].parameters())
        if real != r.params:
            raise AssertionError(f"cost table says {r.name} has {r.params} parameters, the module has {real}")


@dataclass
class BlockCompare:
    index: int
    in_chs: int
    out_chs: int
    stride: int
    out_h: int
    out_w: int
    separable_params: int
    standard_params: int
    separable_macs: int
    standard_macs: int

    @property
    def mac_ratio(self) -> float:
        return self.standard_macs / self.separable_macs


def cost_report(cfg: ModelConfig) -> dict:
    """Everything `gesture model` prints: both networks layer by layer, per-block and total ratios."""
    net = fuse(GestureNet(cfg))  # costed as deployed: BatchNorm folded, convs carry a bias
    twin = fuse(GestureNet(replace(cfg, block="standard")))
    sep_rows, std_rows = layer_table(net, cfg.size), layer_table(twin, cfg.size)
    train_params = sum(p.numel() for p in GestureNet(cfg).parameters())

    blocks = []
    for i in range(len(cfg.stages)):
        sep = [r for r in sep_rows if r.name.startswith(f"blocks.{i}.")]
        std = [r for r in std_rows if r.name.startswith(f"blocks.{i}.")]
        blocks.append(BlockCompare(
            i, sep[0].in_chs, sep[-1].out_chs, sep[0].stride, sep[-1].out_h, sep[-1].out_w,
            sum(r.params for r in sep), sum(r.params for r in std),
            sum(r.macs for r in sep), sum(r.macs for r in std),
        ))

    def totals(rows):
        return {"params": sum(r.params for r in rows), "macs": sum(r.macs for r in rows)}

    sep_tot, std_tot = totals(sep_rows), totals(std_rows)
    return {
        "config": cfg.to_dict(),
        "input": [3, cfg.size, cfg.size],
        "checked_against_forward": True,
        "layers": [asdict(r) for r in sep_rows],
        "totals": {**sep_tot, "train_params": train_params},
        "standard": {"layers": [asdict(r) for r in std_rows], "totals": std_tot},
        "blocks": [{**asdict(b), "mac_ratio": round(b.mac_ratio, 3)} for b in blocks],
        "ratio": {
            "params": round(std_tot["params"] / sep_tot["params"], 3),
            "macs": round(std_tot["macs"] / sep_tot["macs"], 3),
        },
    }


def _fmt(n: int) -> str:
    return f"{n:,}"


def _layer_lines(layers: list[dict]) -> list[str]:
    head = (f"  {'layer':<18} {'kind':<6} {'in->out':>9}  {'k':>2} {'s':>2} {'p':>2} {'d':>2} {'groups':>6}  "
            f"{'out HxW':>7}  {'params':>9}  {'MACs':>11}")
    lines = [head]
    for r in layers:
        geo = (("-",) * 5 if r["kind"] == "linear"
               else (r["kernel"], r["stride"], r["padding"], r["dilation"],
                     "-" if r["kind"] == "pool" else r["groups"]))
        hw = "-" if r["kind"] == "linear" else f"{r['out_h']}x{r['out_w']}"
        lines.append(
            f"  {r['name']:<18} {r['kind']:<6} {str(r['in_chs']) + '->' + str(r['out_chs']):>9}  "
            f"{geo[0]:>2} {geo[1]:>2} {geo[2]:>2} {geo[3]:>2} {geo[4]:>6}  {hw:>7}  "
            f"{_fmt(r['params']):>9}  {_fmt(r['macs']):>11}"
        )
    return lines


def format_report(rep: dict) -> str:
    c = rep["config"]
    t, s = rep["totals"], rep["standard"]["totals"]
    out = [
        f"GestureNet: input 3x{c['size']}x{c['size']}, width {c['width']}, {c['num_classes']} classes, "
        f"{len(c['stages'])} depthwise-separable blocks (costed as deployed, BatchNorm folded)",
        *_layer_lines(rep["layers"]),
        f"  total: {_fmt(t['params'])} params, {_fmt(t['macs'])} MACs "
        f"({_fmt(t['train_params'])} params while training, before fuse() folds BatchNorm away)",
        "",
        "Standard-conv twin: each depthwise-separable pair replaced by one 3x3 conv, same in/out channels and stride",
        *_layer_lines(rep["standard"]["layers"]),
        f"  total: {_fmt(s['params'])} params, {_fmt(s['macs'])} MACs",
        "",
        "Per block, depthwise-separable vs standard 3x3:",
        f"  {'block':<5} {'in->out':>9} {'s':>2} {'out HxW':>7}  "
        f"{'separable MACs':>14} {'standard MACs':>14}  {'ratio':>6}",
    ]
    for b in rep["blocks"]:
        out.append(
            f"  {b['index']:<5} {str(b['in_chs']) + '->' + str(b['out_chs']):>9} {b['stride']:>2} "
            f"{str(b['out_h']) + 'x' + str(b['out_w']):>7}  {_fmt(b['separable_macs']):>14} "
            f"{_fmt(b['standard_macs']):>14}  {b['mac_ratio']:>5.1f}x"
        )
    out += [
        f"Whole network: the standard twin has {rep['ratio']['params']:.1f}x the parameters "
        f"and {rep['ratio']['macs']:.1f}x the MACs.",
        "Output sizes from H_out = floor((H + 2p - d(k-1) - 1)/s) + 1 agree with a forward pass.",
    ]
    return "\n".join(out)
