"""The converter's graph builder and its op table: one handler for each TFLite op.

A handler gets the builder, the operator, its kind, its input tensors, its output tensor and
whether its first input is held NCHW; it adds ONNX nodes and says whether its output is
NCHW (None: nothing was written, the output is a constant). `tflite` and `onnx` are
imported when a Graph is made, so importing this module costs nothing.
"""
from __future__ import annotations

NHWC_TO_NCHW = (0, 3, 1, 2)
NCHW_TO_NHWC = (0, 2, 3, 1)


class UnsupportedOp(ValueError):
    pass


def same_pads(in_hw, out_hw, kernel, stride, dilation, padding_same):
    """TF padding as explicit ONNX pads [top, left, bottom, right]. SAME puts the odd extra
    pixel at the end (bottom/right), which ONNX's auto_pad cannot be trusted to match."""
    if not padding_same:
        return [0] * (2 * len(in_hw))
    begin, end = [], []
    for i, o, k, s, d in zip(in_hw, out_hw, kernel, stride, dilation):
        total = max((o - 1) * s + (k - 1) * d + 1 - i, 0)
        begin.append(total // 2)
        end.append(total - total // 2)
    return begin + end


class Graph:
    """The ONNX graph being built from one TFLite subgraph, and the helpers the handlers share."""

    def __init__(self, model, g):
        import numpy as np
        import tflite
        from onnx import TensorProto, helper, numpy_helper

        self.np, self.tflite, self.helper, self.numpy_helper, self.TensorProto = (
            np, tflite, helper, numpy_helper, TensorProto)
        self.model, self.g = model, g
        self.nodes, self.inits = [], []
        self.const = {}    # tflite tensor index -> numpy array (weights, shapes, paddings)
        self.nchw = set()  # tflite tensors whose ONNX value is held NCHW (4-D only)
        self.cached = {}   # converted constants and transposes, so each is made once

    def shape(self, t):
        g = self.g
        return [int(d) for d in g.Tensors(t).ShapeAsNumpy()] if g.Tensors(t).ShapeLength() else []

    @staticmethod
    def name(t):
        return f"t{t}"

    def node(self, op, ins, outs, **attrs):
        self.nodes.append(self.helper.make_node(op, ins, outs, name=f"n{len(self.nodes)}", **attrs))
        return outs[0]

    def int64(self, tag, values):
        n = f"{tag}_{len(self.inits)}"
        self.inits.append(self.numpy_helper.from_array(self.np.asarray(values, self.np.int64), n))
        return n

    def weight(self, t, fix=lambda a: a, key=""):
        """A float constant as an ONNX value: stored as is (float16 here), Cast to float32.
        key names the rearrangement fix makes, so each (tensor, key) is stored once."""
        if (t, key) not in self.cached:
            arr = self.np.ascontiguousarray(fix(self.const[t]))
            n = f"w{t}{key}"
            self.inits.append(self.numpy_helper.from_array(arr, n + "_s"))
            if arr.dtype == self.np.float32:
                n = n + "_s"
            else:
                self.node("Cast", [n + "_s"], [n], to=self.TensorProto.FLOAT)
            self.cached[(t, key)] = n
        return self.cached[(t, key)]

    def value(self, t, want_nchw):
        """A tensor's ONNX name in the requested layout (4-D activations only move)."""
        if t in self.const:
            def fix(a):
                a = a.reshape([1] * (4 - a.ndim) + list(a.shape))
                return a.transpose(NHWC_TO_NCHW)
            return self.weight(t, fix, "c") if want_nchw else self.weight(t)
        if (t in self.nchw) == want_nchw:
            return self.name(t)
        key = (t, want_nchw)
        if key not in self.cached:
            perm = NHWC_TO_NCHW if want_nchw else NCHW_TO_NHWC
            self.cached[key] = self.node("Transpose", [self.name(t)],
                                         [f"{self.name(t)}_{'c' if want_nchw else 'h'}"], perm=perm)
        return self.cached[key]

    def pre(self, fused, out_t):
        """Where an op with a fused activation writes: straight to out_t when there is none."""
        return [self.name(out_t) + ("_pre" if fused else "")]

    def f32(self, tag, arr):
        """A small float32 constant made here (Clip bounds, unit weights), shared by tag."""
        if tag not in self.cached:
            self.inits.append(self.numpy_helper.from_array(self.np.asarray(arr, self.np.float32), tag))
            self.cached[tag] = tag
        return tag

    def activation(self, fused, out_t, x):
        """Applies a fused activation (from the op's options) to ONNX value x, giving out_t."""
        if fused == 0:
            return x
        if fused in (2, 3):  # RELU_N1_TO_1, RELU6
            lo, hi = (-1.0, 1.0) if fused == 2 else (0.0, 6.0)
            return self.node("Clip", [x, self.f32(f"f{lo:g}", lo), self.f32(f"f{hi:g}", hi)], [self.name(out_t)])
        if fused in (1, 4):
            return self.node("Relu" if fused == 1 else "Tanh", [x], [self.name(out_t)])
        raise UnsupportedOp(f"fused activation {fused}")

    def bias(self, ins):
        return [self.weight(ins[2])] if len(ins) > 2 and ins[2] >= 0 else []

    def options(self, op, cls):
        o = op.BuiltinOptions()
        opts = getattr(self.tflite, cls)()
        opts.Init(o.Bytes, o.Pos)
        return opts


def dequantize(b: Graph, op, kind, ins, out, lay):
    if b.const.get(ins[0], b.np.int8(0)).dtype != b.np.float16:
        raise UnsupportedOp("DEQUANTIZE of anything but a float16 constant")
    b.const[out] = b.const[ins[0]]  # kept float16; weight() casts it
    return None


def conv(b: Graph, op, kind, ins, out, lay):
    o = b.options(op, "Conv2DOptions" if kind == "CONV_2D" else "DepthwiseConv2DOptions")
    w = b.const[ins[1]]  # CONV: [O, H, W, I]; DEPTHWISE: [1, H, W, C*multiplier]
    in_shape, out_shape = b.shape(ins[0]), b.shape(out)
    stride, dil = [o.StrideH(), o.StrideW()], [o.DilationHFactor(), o.DilationWFactor()]
    pads = same_pads(in_shape[1:3], out_shape[1:3], w.shape[1:3], stride, dil,
                      o.Padding() == b.tflite.Padding.SAME)
    if kind == "CONV_2D":
        wn, group = b.weight(ins[1], lambda a: a.transpose(0, 3, 1, 2), "k"), 1
    else:  # ONNX depthwise: group = input channels, weights [C*multiplier, 1, H, W]
        wn, group = b.weight(ins[1], lambda a: a.transpose(3, 0, 1, 2), "d"), in_shape[3]
    act = o.FusedActivationFunction()
    x = b.node("Conv", [b.value(ins[0], True), wn] + b.bias(ins), b.pre(act, out),
               kernel_shape=list(w.shape[1:3]), strides=stride, dilations=dil, pads=pads, group=group)
    b.activation(act, out, x)
    return True


def max_pool(b: Graph, op, kind, ins, out, lay):  # ONNX, like TF, never picks a padded cell
    o = b.options(op, "Pool2DOptions")
    k, s = [o.FilterHeight(), o.FilterWidth()], [o.StrideH(), o.StrideW()]
    pads = same_pads(b.shape(ins[0])[1:3], b.shape(out)[1:3], k, s, [1, 1], o.Padding() == b.tflite.Padding.SAME)
    act = o.FusedActivationFunction()
    x = b.node("MaxPool", [b.value(ins[0], True)], b.pre(act, out), kernel_shape=k, strides=s, pads=pads)
    b.activation(act, out, x)
    return True


def add_mul(b: Graph, op, kind, ins, out, lay):
    o = b.options(op, "AddOptions" if kind == "ADD" else "MulOptions")
    # Stay NCHW when an input is; constants are reshaped to match.
    lay = len(b.shape(out)) == 4 and any(t in b.nchw for t in ins)
    act = o.FusedActivationFunction()
    x = b.node(kind.capitalize(), [b.value(t, lay) for t in ins], b.pre(act, out))
    b.activation(act, out, x)
    return lay


def prelu(b: Graph, op, kind, ins, out, lay):
    if not (lay and b.const[ins[1]].size == b.shape(ins[0])[-1]):
        return elementwise(b, op, kind, ins, out, lay)
    # Relu(x) + (-alpha) * Relu(-x), with x, -x and the product as 1x1 depthwise Convs: exact,
    # and ORT keeps it all in its blocked NCHWc layout (the Relus and the Add fuse into the
    # Convs), where its own PRelu kernel, per channel, is 10x slower.
    x, n, c = b.name(ins[0]), b.name(out), b.shape(ins[0])[-1]
    dw = dict(group=c, kernel_shape=[1, 1])
    ones = b.np.ones((c, 1, 1, 1))
    pos = b.node("Relu", [b.node("Conv", [x, b.f32(f"one{c}", ones)], [n + "_p"], **dw)], [n + "_rp"])
    neg = b.node("Relu", [b.node("Conv", [x, b.f32(f"neg{c}", -ones)], [n + "_n"], **dw)], [n + "_rn"])
    neg = b.node("Conv", [neg, b.weight(ins[1], lambda a: -a.reshape(c, 1, 1, 1), "n")], [n + "_neg"], **dw)
    b.node("Add", [neg, pos], [n])
    return lay


def elementwise(b: Graph, op, kind, ins, out, lay):
    x = [b.value(t, lay) for t in ins]
    if kind == "RELU6":
        b.activation(3, out, x[0])
    else:
        b.node({"PRELU": "PRelu", "LOGISTIC": "Sigmoid", "RELU": "Relu"}[kind], x, [b.name(out)])
    return lay


def pad(b: Graph, op, kind, ins, out, lay):
    p = b.const[ins[1]]  # [[begin, end]] per NHWC axis
    if lay:
        p = p[list(NHWC_TO_NCHW)]
    b.node("Pad", [b.value(ins[0], lay), b.int64("pads", list(p[:, 0]) + list(p[:, 1]))], [b.name(out)],
           mode="constant")
    return lay


def resize_bilinear(b: Graph, op, kind, ins, out, lay):
    o = b.options(op, "ResizeBilinearOptions")
    mode = "align_corners" if o.AlignCorners() else "half_pixel" if o.HalfPixelCenters() else "asymmetric"
    n, h, w, c = b.shape(out)
    b.node("Resize", [b.value(ins[0], True), "", "", b.int64("sizes", [n, c, h, w])], [b.name(out)],
           mode="linear", coordinate_transformation_mode=mode)
    return True


def reshape(b: Graph, op, kind, ins, out, lay):
    # Row-major order is NHWC's: reshape the NHWC view, to the static output shape.
    b.node("Reshape", [b.value(ins[0], False), b.int64("shape", b.shape(out))], [b.name(out)])
    return False


def concatenation(b: Graph, op, kind, ins, out, lay):
    o = b.options(op, "ConcatenationOptions")
    rank = len(b.shape(out))
    lay = rank == 4 and all(t in b.nchw for t in ins)
    axis = NHWC_TO_NCHW.index(o.Axis() % rank) if lay else o.Axis() % rank
    act = o.FusedActivationFunction()
    x = b.node("Concat", [b.value(t, lay) for t in ins], b.pre(act, out), axis=axis)
    b.activation(act, out, x)
    return lay


def mean(b: Graph, op, kind, ins, out, lay):
    keep = b.options(op, "ReducerOptions").KeepDims()
    axes = sorted(int(a) % len(b.shape(ins[0])) for a in b.const[ins[1]].ravel())
    # NCHW input works when the axes left over keep their order (e.g. mean over H, W).
    rest = [a for a in NHWC_TO_NCHW if a not in axes]
    src = lay and (keep or rest == sorted(rest))
    if src:
        axes = sorted(NHWC_TO_NCHW.index(a) for a in axes)
    b.node("ReduceMean", [b.value(ins[0], src)], [b.name(out)], axes=axes, keepdims=int(keep))
    return src and keep


def fully_connected(b: Graph, op, kind, ins, out, lay):
    o = b.options(op, "FullyConnectedOptions")
    if o.KeepNumDims() or o.WeightsFormat() != 0:
        raise UnsupportedOp("FULLY_CONNECTED with keep_num_dims or shuffled weights")
    w = b.const[ins[1]]  # [out, in]
    x = b.value(ins[0], False)
    if len(b.shape(ins[0])) != 2:  # TFLite flattens all but the last axis (NHWC order)
        x = b.node("Reshape", [x, b.int64("shape", [-1, w.shape[1]])], [b.name(out) + "_flat"])
    act = o.FusedActivationFunction()
    x = b.node("Gemm", [x, b.weight(ins[1])] + b.bias(ins), b.pre(act, out), transB=1)
    b.activation(act, out, x)
    return False


OPS = {
    "DEQUANTIZE": dequantize,
    "CONV_2D": conv,
    "DEPTHWISE_CONV_2D": conv,
    "MAX_POOL_2D": max_pool,
    "ADD": add_mul,
    "MUL": add_mul,
    "PRELU": prelu,
    "LOGISTIC": elementwise,
    "RELU": elementwise,
    "RELU6": elementwise,
    "PAD": pad,
    "RESIZE_BILINEAR": resize_bilinear,
    "RESHAPE": reshape,
    "CONCATENATION": concatenation,
    "MEAN": mean,
    "FULLY_CONNECTED": fully_connected,
}
