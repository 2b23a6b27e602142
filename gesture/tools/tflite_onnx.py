"""Build-time converter: MediaPipe's float16 TFLite hand models -> ONNX for ONNX Runtime.

Only scripts/build-prior runs this; nothing at run time imports it. `tflite` (a pure-python
flatbuffer reader) and `onnx` are imported inside the functions, so importing this module
costs nothing and needs neither package.

    python -m gesture.tools.tflite_onnx MEDIAPIPE_WHEEL OUTDIR

What the conversion keeps and changes:
- The input stays NHWC float32 like the tflite's, so callers feed the same array. One
  Transpose turns it NCHW and every convolution runs NCHW (ONNX's layout, ORT's fast
  path); tensors go back to NHWC only before a layout-sensitive op (RESHAPE, FULLY_CONNECTED
  on 4-D, a CONCATENATION or MEAN that cannot simply remap its axes) or a graph output.
- Output names, shapes and order are the tflite's.
- PRELU becomes Relu/1x1-Conv arithmetic that gives the same values faster in ORT (see there).
- The tflite files keep their weights as float16 behind DEQUANTIZE ops. The ONNX files keep
  them float16 too, each behind a Cast to float32 that ORT folds when the session is made,
  so the files stay about the tflite's size and all arithmetic is float32, as in TFLite.
"""
from __future__ import annotations

import sys
import zipfile

# Where the two models sit inside the mediapipe==0.10.21 wheel.
MODELS = {
    "palm_detection_lite": "mediapipe/modules/palm_detection/palm_detection_lite.tflite",
    "hand_landmark_lite": "mediapipe/modules/hand_landmark/hand_landmark_lite.tflite",
}
OPSET = 17
IR_VERSION = 8  # the IR of opset 17; set explicitly so the bytes do not depend on onnx's default
NHWC_TO_NCHW = (0, 3, 1, 2)
NCHW_TO_NHWC = (0, 2, 3, 1)


class UnsupportedOp(ValueError):
    pass


def op_names(tflite_bytes: bytes) -> list[str]:
    """The builtin op of every operator, in graph order (for reports and tests)."""
    import tflite

    model = tflite.Model.GetRootAsModel(tflite_bytes, 0)
    graph = model.Subgraphs(0)
    return [_opname(tflite, model, graph.Operators(i)) for i in range(graph.OperatorsLength())]


def _opname(tflite, model, op) -> str:
    code = model.OperatorCodes(op.OpcodeIndex())
    # Codes above 127 live only in BuiltinCode; old files set only DeprecatedBuiltinCode.
    return tflite.opcode2name(max(code.BuiltinCode(), code.DeprecatedBuiltinCode()))


def _same_pads(in_hw, out_hw, kernel, stride, dilation, padding_same):
    """TF padding as explicit ONNX pads [top, left, bottom, right]. SAME puts the odd extra
    pixel at the end (bottom/right), which ONNX's auto_pad cannot be trusted to match."""
    if not padding_same:
        return [0, 0, 0, 0]
    begin, end = [], []
    for i, o, k, s, d in zip(in_hw, out_hw, kernel, stride, dilation):
        total = max((o - 1) * s + (k - 1) * d + 1 - i, 0)
        begin.append(total // 2)
        end.append(total - total // 2)
    return begin + end


def convert(tflite_bytes: bytes, doc: str = ""):
    """Returns an onnx.ModelProto computing what the tflite model computes."""
    import numpy as np
    import onnx
    import tflite
    from onnx import TensorProto, helper, numpy_helper

    model = tflite.Model.GetRootAsModel(tflite_bytes, 0)
    if model.SubgraphsLength() != 1:
        raise UnsupportedOp("only single-subgraph models are supported")
    g = model.Subgraphs(0)
    nodes, inits = [], []
    const = {}    # tflite tensor index -> numpy array (weights, shapes, paddings)
    nchw = set()  # tflite tensors whose ONNX value is held NCHW (4-D only)
    cached = {}   # converted constants and transposes, so each is made once

    def shape(t):
        return [int(d) for d in g.Tensors(t).ShapeAsNumpy()] if g.Tensors(t).ShapeLength() else []

    def name(t):
        return f"t{t}"

    def node(op, ins, outs, **attrs):
        nodes.append(helper.make_node(op, ins, outs, name=f"n{len(nodes)}", **attrs))
        return outs[0]

    def int64(tag, values):
        n = f"{tag}_{len(inits)}"
        inits.append(numpy_helper.from_array(np.asarray(values, np.int64), n))
        return n

    def weight(t, fix=lambda a: a, key=""):
        """A float constant as an ONNX value: stored as is (float16 here), Cast to float32.
        key names the rearrangement fix makes, so each (tensor, key) is stored once."""
        if (t, key) not in cached:
            arr = np.ascontiguousarray(fix(const[t]))
            n = f"w{t}{key}"
            inits.append(numpy_helper.from_array(arr, n + "_s"))
            if arr.dtype == np.float32:
                n = n + "_s"
            else:
                node("Cast", [n + "_s"], [n], to=TensorProto.FLOAT)
            cached[(t, key)] = n
        return cached[(t, key)]

    def value(t, want_nchw):
        """A tensor's ONNX name in the requested layout (4-D activations only move)."""
        if t in const:
            def fix(a):
                a = a.reshape([1] * (4 - a.ndim) + list(a.shape))
                return a.transpose(NHWC_TO_NCHW)
            return weight(t, fix, "c") if want_nchw else weight(t)
        if (t in nchw) == want_nchw:
            return name(t)
        key = (t, want_nchw)
        if key not in cached:
            perm = NHWC_TO_NCHW if want_nchw else NCHW_TO_NHWC
            cached[key] = node("Transpose", [name(t)], [f"{name(t)}_{'c' if want_nchw else 'h'}"],
                               perm=perm)
        return cached[key]

    def pre(fused, out_t):
        """Where an op with a fused activation writes: straight to out_t when there is none."""
        return [name(out_t) + ("_pre" if fused else "")]

    def f32(tag, arr):
        """A small float32 constant made here (Clip bounds, unit weights), shared by tag."""
        if tag not in cached:
            inits.append(numpy_helper.from_array(np.asarray(arr, np.float32), tag))
            cached[tag] = tag
        return tag

    def activation(fused, out_t, x):
        """Applies a fused activation (from the op's options) to ONNX value x, giving out_t."""
        if fused == 0:
            return x
        if fused in (2, 3):  # RELU_N1_TO_1, RELU6
            lo, hi = (-1.0, 1.0) if fused == 2 else (0.0, 6.0)
            return node("Clip", [x, f32(f"f{lo:g}", lo), f32(f"f{hi:g}", hi)], [name(out_t)])
        if fused in (1, 4):
            return node("Relu" if fused == 1 else "Tanh", [x], [name(out_t)])
        raise UnsupportedOp(f"fused activation {fused}")

    def bias(ins):
        return [weight(ins[2])] if len(ins) > 2 and ins[2] >= 0 else []

    def options(op, cls):
        o = op.BuiltinOptions()
        opts = getattr(tflite, cls)()
        opts.Init(o.Bytes, o.Pos)
        return opts

    # The graph input arrives NHWC; transpose it once.
    (inp,) = g.InputsAsNumpy()
    in_name = g.Tensors(inp).Name().decode()
    if g.Tensors(inp).Type() != tflite.TensorType.FLOAT32:
        raise UnsupportedOp("only float32 inputs are supported (not a quantized model)")
    graph_inputs = [helper.make_tensor_value_info(in_name, TensorProto.FLOAT, shape(inp))]
    node("Transpose", [in_name], [name(inp)], perm=NHWC_TO_NCHW)
    nchw.add(inp)
    dtypes = {tflite.TensorType.FLOAT32: np.float32, tflite.TensorType.FLOAT16: np.float16,
              tflite.TensorType.INT32: np.int32, tflite.TensorType.INT64: np.int64}

    for i in range(g.OperatorsLength()):
        op = g.Operators(i)
        kind = _opname(tflite, model, op)
        ins = [int(t) for t in op.InputsAsNumpy()]
        out = int(op.OutputsAsNumpy()[0])
        # Constant operands: float16 (or float32) weights, int32 shapes and paddings.
        for t in ins:
            tensor = g.Tensors(t) if t >= 0 else None
            if t >= 0 and t not in const and model.Buffers(tensor.Buffer()).DataLength():
                if tensor.Type() not in dtypes:
                    raise UnsupportedOp(f"constant of tflite type {tensor.Type()} (operator {i})")
                raw = model.Buffers(tensor.Buffer()).DataAsNumpy().tobytes()
                const[t] = np.frombuffer(raw, dtypes[tensor.Type()]).reshape(shape(t))
        # Most ops keep the layout of their first input; those that set their own say so.
        lay = bool(ins) and ins[0] in nchw

        if kind == "DEQUANTIZE":
            if const.get(ins[0], np.int8(0)).dtype != np.float16:
                raise UnsupportedOp("DEQUANTIZE of anything but a float16 constant")
            const[out] = const[ins[0]]  # kept float16; weight() casts it
            continue
        elif kind in ("CONV_2D", "DEPTHWISE_CONV_2D"):
            o = options(op, "Conv2DOptions" if kind == "CONV_2D" else "DepthwiseConv2DOptions")
            w = const[ins[1]]  # CONV: [O, H, W, I]; DEPTHWISE: [1, H, W, C*multiplier]
            in_shape, out_shape = shape(ins[0]), shape(out)
            stride, dil = [o.StrideH(), o.StrideW()], [o.DilationHFactor(), o.DilationWFactor()]
            pads = _same_pads(in_shape[1:3], out_shape[1:3], w.shape[1:3], stride, dil,
                              o.Padding() == tflite.Padding.SAME)
            if kind == "CONV_2D":
                wn, group = weight(ins[1], lambda a: a.transpose(0, 3, 1, 2), "k"), 1
            else:  # ONNX depthwise: group = input channels, weights [C*multiplier, 1, H, W]
                wn, group = weight(ins[1], lambda a: a.transpose(3, 0, 1, 2), "d"), in_shape[3]
            act = o.FusedActivationFunction()
            x = node("Conv", [value(ins[0], True), wn] + bias(ins), pre(act, out),
                     kernel_shape=list(w.shape[1:3]), strides=stride, dilations=dil, pads=pads,
                     group=group)
            activation(act, out, x)
            lay = True
        elif kind == "MAX_POOL_2D":  # ONNX, like TF, never picks a padded cell
            o = options(op, "Pool2DOptions")
            k, s = [o.FilterHeight(), o.FilterWidth()], [o.StrideH(), o.StrideW()]
            pads = _same_pads(shape(ins[0])[1:3], shape(out)[1:3], k, s, [1, 1],
                              o.Padding() == tflite.Padding.SAME)
            act = o.FusedActivationFunction()
            x = node("MaxPool", [value(ins[0], True)], pre(act, out), kernel_shape=k, strides=s,
                     pads=pads)
            activation(act, out, x)
            lay = True
        elif kind in ("ADD", "MUL"):
            o = options(op, "AddOptions" if kind == "ADD" else "MulOptions")
            # Stay NCHW when an input is; constants are reshaped to match.
            lay = len(shape(out)) == 4 and any(t in nchw for t in ins)
            act = o.FusedActivationFunction()
            x = node(kind.capitalize(), [value(t, lay) for t in ins], pre(act, out))
            activation(act, out, x)
        elif kind == "PRELU" and lay and const[ins[1]].size == shape(ins[0])[-1]:
            # Relu(x) + (-alpha) * Relu(-x), with x, -x and the product as 1x1 depthwise Convs:
            # exact, and ORT keeps it all in its blocked NCHWc layout (the Relus and the Add
            # fuse into the Convs), where its own PRelu kernel, per channel, is 10x slower.
            x, n, c = name(ins[0]), name(out), shape(ins[0])[-1]
            dw = dict(group=c, kernel_shape=[1, 1])
            ones = np.ones((c, 1, 1, 1))
            pos = node("Relu", [node("Conv", [x, f32(f"one{c}", ones)], [n + "_p"], **dw)],
                       [n + "_rp"])
            neg = node("Relu", [node("Conv", [x, f32(f"neg{c}", -ones)], [n + "_n"], **dw)],
                       [n + "_rn"])
            neg = node("Conv", [neg, weight(ins[1], lambda a: -a.reshape(c, 1, 1, 1), "n")],
                       [n + "_neg"], **dw)
            node("Add", [neg, pos], [n])
        elif kind in ("PRELU", "LOGISTIC", "RELU", "RELU6"):
            x = [value(t, lay) for t in ins]
            if kind == "RELU6":
                activation(3, out, x[0])
            else:
                onnx_op = {"PRELU": "PRelu", "LOGISTIC": "Sigmoid", "RELU": "Relu"}[kind]
                node(onnx_op, x, [name(out)])
        elif kind == "PAD":
            p = const[ins[1]]  # [[begin, end]] per NHWC axis
            if lay:
                p = p[list(NHWC_TO_NCHW)]
            node("Pad", [value(ins[0], lay), int64("pads", list(p[:, 0]) + list(p[:, 1]))],
                 [name(out)], mode="constant")
        elif kind == "RESIZE_BILINEAR":
            o = options(op, "ResizeBilinearOptions")
            mode = ("align_corners" if o.AlignCorners()
                    else "half_pixel" if o.HalfPixelCenters() else "asymmetric")
            n, h, w, c = shape(out)
            node("Resize", [value(ins[0], True), "", "", int64("sizes", [n, c, h, w])], [name(out)],
                 mode="linear", coordinate_transformation_mode=mode)
            lay = True
        elif kind == "RESHAPE":
            # Row-major order is NHWC's: reshape the NHWC view, to the static output shape.
            node("Reshape", [value(ins[0], False), int64("shape", shape(out))], [name(out)])
            lay = False
        elif kind == "CONCATENATION":
            o = options(op, "ConcatenationOptions")
            rank = len(shape(out))
            lay = rank == 4 and all(t in nchw for t in ins)
            axis = NHWC_TO_NCHW.index(o.Axis() % rank) if lay else o.Axis() % rank
            act = o.FusedActivationFunction()
            x = node("Concat", [value(t, lay) for t in ins], pre(act, out), axis=axis)
            activation(act, out, x)
        elif kind == "MEAN":
            keep = options(op, "ReducerOptions").KeepDims()
            axes = sorted(int(a) % len(shape(ins[0])) for a in const[ins[1]].ravel())
            # NCHW input works when the axes left over keep their order (e.g. mean over H, W).
            rest = [a for a in NHWC_TO_NCHW if a not in axes]
            src = lay and (keep or rest == sorted(rest))
            if src:
                axes = sorted(NHWC_TO_NCHW.index(a) for a in axes)
            node("ReduceMean", [value(ins[0], src)], [name(out)], axes=axes, keepdims=int(keep))
            lay = src and keep
        elif kind == "FULLY_CONNECTED":
            o = options(op, "FullyConnectedOptions")
            if o.KeepNumDims() or o.WeightsFormat() != 0:
                raise UnsupportedOp("FULLY_CONNECTED with keep_num_dims or shuffled weights")
            w = const[ins[1]]  # [out, in]
            x = value(ins[0], False)
            if len(shape(ins[0])) != 2:  # TFLite flattens all but the last axis (NHWC order)
                x = node("Reshape", [x, int64("shape", [-1, w.shape[1]])], [name(out) + "_flat"])
            act = o.FusedActivationFunction()
            x = node("Gemm", [x, weight(ins[1])] + bias(ins), pre(act, out), transB=1)
            activation(act, out, x)
            lay = False
        else:
            raise UnsupportedOp(f"tflite op {kind} (operator {i}) is not supported by "
                                "gesture.tools.tflite_onnx")
        if lay:
            nchw.add(out)

    # Outputs: the tflite's names and order, in the tflite's (NHWC) layout.
    graph_outputs = []
    for t in g.OutputsAsNumpy():
        t = int(t)
        out_name = g.Tensors(t).Name().decode()
        node("Identity", [value(t, False)], [out_name])
        graph_outputs.append(helper.make_tensor_value_info(out_name, TensorProto.FLOAT, shape(t)))

    graph = helper.make_graph(nodes, "main", graph_inputs, graph_outputs, inits)
    # The module's old name, written into the bytes that prior.SHA256 pins: it stays.
    onnx_model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                                   producer_name="gesture.tflite_onnx", doc_string=doc)
    onnx_model.ir_version = IR_VERSION
    onnx.checker.check_model(onnx_model, full_check=True)
    return onnx_model


def convert_wheel(wheel: str, outdir: str) -> dict[str, str]:
    """Converts both hand models out of a mediapipe wheel; returns {name: written path}."""
    import hashlib
    import os

    written = {}
    with zipfile.ZipFile(wheel) as z:
        # The version from the wheel's METADATA, not its file name, which names the platform:
        # the doc string, and so the bytes, stay the same whichever wheel pip picked.
        meta = next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))
        version = next(line.split(":", 1)[1].strip() for line in z.read(meta).decode().splitlines()
                       if line.startswith("Version:"))
        for stem, member in MODELS.items():
            data = z.read(member)
            # "gesture.tflite_onnx", the module's old name, is part of the pinned bytes: it stays.
            doc = (f"{stem}: converted by gesture.tflite_onnx from {member} in the mediapipe "
                   f"{version} wheel (sha256 {hashlib.sha256(data).hexdigest()}). Apache-2.0, "
                   "Copyright Google LLC (the MediaPipe authors); see LICENSE-mediapipe and "
                   "SOURCES.md beside this file.")
            path = os.path.join(outdir, stem + ".onnx")
            with open(path, "wb") as f:
                f.write(convert(data, doc).SerializeToString())
            written[stem] = path
    return written


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python -m gesture.tools.tflite_onnx MEDIAPIPE_WHEEL OUTDIR")
    for stem, path in convert_wheel(sys.argv[1], sys.argv[2]).items():
        print(f"wrote {path}")
