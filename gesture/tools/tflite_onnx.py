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

from .tflite_ops import NHWC_TO_NCHW, OPS, Graph, UnsupportedOp

# Where the two models sit inside the mediapipe==0.10.21 wheel.
MODELS = {
    "palm_detection_lite": "mediapipe/modules/palm_detection/palm_detection_lite.tflite",
    "hand_landmark_lite": "mediapipe/modules/hand_landmark/hand_landmark_lite.tflite",
}
OPSET = 17
IR_VERSION = 8  # the IR of opset 17; set explicitly so the bytes do not depend on onnx's default
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


def convert(tflite_bytes: bytes, doc: str = ""):
    """Returns an onnx.ModelProto computing what the tflite model computes."""
    import numpy as np
    import onnx
    import tflite
    from onnx import TensorProto, helper

    model = tflite.Model.GetRootAsModel(tflite_bytes, 0)
    if model.SubgraphsLength() != 1:
        raise UnsupportedOp("only single-subgraph models are supported")
    g = model.Subgraphs(0)
    b = Graph(model, g)
    # The graph input arrives NHWC; transpose it once.
    (inp,) = g.InputsAsNumpy()
    in_name = g.Tensors(inp).Name().decode()
    if g.Tensors(inp).Type() != tflite.TensorType.FLOAT32:
        raise UnsupportedOp("only float32 inputs are supported (not a quantized model)")
    graph_inputs = [helper.make_tensor_value_info(in_name, TensorProto.FLOAT, b.shape(inp))]
    b.node("Transpose", [in_name], [b.name(inp)], perm=NHWC_TO_NCHW)
    b.nchw.add(inp)
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
            if t >= 0 and t not in b.const and model.Buffers(tensor.Buffer()).DataLength():
                if tensor.Type() not in dtypes:
                    raise UnsupportedOp(f"constant of tflite type {tensor.Type()} (operator {i})")
                raw = model.Buffers(tensor.Buffer()).DataAsNumpy().tobytes()
                b.const[t] = np.frombuffer(raw, dtypes[tensor.Type()]).reshape(b.shape(t))
        if kind not in OPS:
            raise UnsupportedOp(f"tflite op {kind} (operator {i}) is not supported by gesture.tools.tflite_onnx")
        # Most ops keep the layout of their first input; those that set their own say so.
        if OPS[kind](b, op, kind, ins, out, bool(ins) and ins[0] in b.nchw):
            b.nchw.add(out)

    # Outputs: the tflite's names and order, in the tflite's (NHWC) layout.
    graph_outputs = []
    for t in g.OutputsAsNumpy():
        t = int(t)
        out_name = g.Tensors(t).Name().decode()
        b.node("Identity", [b.value(t, False)], [out_name])
        graph_outputs.append(helper.make_tensor_value_info(out_name, TensorProto.FLOAT, b.shape(t)))

    graph = helper.make_graph(b.nodes, "main", graph_inputs, graph_outputs, b.inits)
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
