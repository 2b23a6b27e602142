"""The network: a stem conv, depthwise-separable blocks from one stage table, pooling, a linear head.

The settings live in `ModelConfig`, a dataclass a checkpoint stores and rebuilds the model
from, so nothing about the network has to be passed twice. `fuse()` folds every BatchNorm
into the convolution before it for deployment.
"""
from __future__ import annotations

import copy

import torch
from torch import nn

from ..config import ModelConfig


def conv_bn(in_chs: int, out_chs: int, kernel_size: int, stride: int = 1, groups: int = 1):
    """A bias-free conv and its BatchNorm; the bias comes back when fuse() folds the BN in."""
    conv = nn.Conv2d(in_chs, out_chs, kernel_size, stride, kernel_size // 2, groups=groups, bias=False)
    return conv, nn.BatchNorm2d(out_chs)


class DepthwiseSeparable(nn.Module):
    """3x3 depthwise conv (one filter per channel) then 1x1 pointwise conv, each with BN + ReLU."""

    def __init__(self, in_chs: int, out_chs: int, stride: int):
        super().__init__()
        self.conv_dw, self.bn1 = conv_bn(in_chs, in_chs, 3, stride, groups=in_chs)
        self.act1 = nn.ReLU(inplace=True)
        self.conv_pw, self.bn2 = conv_bn(in_chs, out_chs, 1)
        self.act2 = nn.ReLU(inplace=True)

    def forward(self, x):
        x = self.conv_dw(x)
        x = self.bn1(x)
        x = self.act1(x)
        x = self.conv_pw(x)
        x = self.bn2(x)
        x = self.act2(x)
        return x

    def fuse(self):
        self.conv_dw, self.bn1 = fuse_conv_bn(self.conv_dw, self.bn1), nn.Identity()
        self.conv_pw, self.bn2 = fuse_conv_bn(self.conv_pw, self.bn2), nn.Identity()


class StandardConv(nn.Module):
    """A full 3x3 conv + BN + ReLU: the stem, and the twin of a DepthwiseSeparable block
    (same in/out channels and stride) in the cost comparison."""

    def __init__(self, in_chs: int, out_chs: int, stride: int):
        super().__init__()
        self.conv, self.bn = conv_bn(in_chs, out_chs, 3, stride)
        self.act = nn.ReLU(inplace=True)

    def forward(self, x):
        x = self.conv(x)
        x = self.bn(x)
        x = self.act(x)
        return x

    def fuse(self):
        self.conv, self.bn = fuse_conv_bn(self.conv, self.bn), nn.Identity()


class GestureNet(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        chs = cfg.channels()
        block = DepthwiseSeparable if cfg.block == "separable" else StandardConv
        self.stem = StandardConv(3, chs[0], stride=2)
        self.blocks = nn.Sequential(
            *(block(chs[i], chs[i + 1], stride) for i, (_, stride) in enumerate(cfg.stages))
        )
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.drop = nn.Dropout(cfg.dropout)
        self.head = nn.Linear(chs[-1], cfg.num_classes)
        self._init_weights()

    def _init_weights(self):
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, std=0.01)
                nn.init.zeros_(m.bias)

    def forward_features(self, x):
        x = self.stem(x)
        x = self.blocks(x)
        return x

    def forward_head(self, x):
        x = self.pool(x).flatten(1)
        x = self.drop(x)
        x = self.head(x)
        return x

    def forward(self, x):
        return self.forward_head(self.forward_features(x))


@torch.no_grad()
def fuse_conv_bn(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> nn.Conv2d:
    """Fold an eval-mode BatchNorm into the conv before it: w' = w * g/s, b' = beta + (b - mean) * g/s."""
    fused = nn.Conv2d(
        conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride,
        conv.padding, conv.dilation, conv.groups, bias=True,
    )
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    fused.weight.copy_(conv.weight * scale.reshape(-1, 1, 1, 1))
    bias = conv.bias if conv.bias is not None else torch.zeros_like(bn.running_mean)
    fused.bias.copy_(bn.bias + (bias - bn.running_mean) * scale)
    return fused


def fuse(model: GestureNet) -> GestureNet:
    """An inference copy with every BatchNorm folded away; the original is left untouched."""
    fused = copy.deepcopy(model).eval()
    for m in list(fused.modules()):
        if hasattr(m, "fuse"):
            m.fuse()
    return fused

