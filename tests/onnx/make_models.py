#!/usr/bin/python3
"""Writes the small ONNX models the import tests read (tests/onnx.sh), with
python3-onnx's helpers, into the directory given.

good/NAME.onnx: a graph through one operator (or one pattern exporters
emit) to the convolutions after it, without value_info; good/expected.txt:
per model, per conv layer, the layer convbench must make of it, as
"NAME LAYER batch c_in h_in w_in c_out kh kw sh sw pt pl pb pr groups bias",
with the shapes from ONNX's own shape inference (onnx.shape_inference),
not from convbench's walk.

bad/NAME.onnx: models that must be refused (tests/onnx.sh holds the
messages).
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper, shape_inference

OPSET = 14
rng = np.random.default_rng(0)


def init(name, shape, dtype=np.float32, values=None):
    if values is None:
        values = rng.standard_normal(shape).astype(dtype)
    return numpy_helper.from_array(np.asarray(values, dtype=dtype).reshape(shape), name)


def ints(name, values):
    return numpy_helper.from_array(np.asarray(values, dtype=np.int64), name)


class Graph:
    def __init__(self, name, shape, batch_symbol=None):
        self.name = name
        self.nodes, self.inits = [], []
        dims = list(shape)
        if batch_symbol:
            dims[0] = batch_symbol
        self.inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, dims)]
        self.count = 0

    def fresh(self, stem):
        self.count += 1
        return f"{stem}{self.count}"

    def node(self, op, inputs, outputs=1, name=None, **attrs):
        outs = [self.fresh("t") for _ in range(outputs)]
        self.nodes.append(helper.make_node(op, inputs, outs, name=name or self.fresh(op), **attrs))
        return outs[0] if outputs == 1 else outs

    def const(self, tensor):
        self.inits.append(tensor)
        return tensor.name

    def conv(self, x, c_in, c_out, k=3, name=None, groups=1, bias=True, **attrs):
        w = self.const(init(self.fresh("w"), [c_out, c_in // groups, k, k]))
        inputs = [x, w]
        if bias:
            inputs.append(self.const(init(self.fresh("b"), [c_out])))
        return self.node("Conv", inputs, name=name or self.fresh("conv"), group=groups, **attrs)

    def model(self, out, domains=()):
        output = helper.make_tensor_value_info(out, TensorProto.FLOAT, None)
        graph = helper.make_graph(self.nodes, self.name, self.inputs, [output], self.inits)
        opsets = [helper.make_opsetid("", OPSET)] + [helper.make_opsetid(d, 1) for d in domains]
        return helper.make_model(graph, opset_imports=opsets, producer_name="convbench-tests")


def conv_layers(model, batch):
    """The conv layers of a model, from ONNX's shape inference."""
    fixed = onnx.ModelProto()
    fixed.CopyFrom(model)
    for v in fixed.graph.input:
        dims = v.type.tensor_type.shape.dim
        if dims and not dims[0].HasField("dim_value"):
            dims[0].dim_value = batch
    inferred = shape_inference.infer_shapes(fixed, strict_mode=True, data_prop=True)
    shapes = {}
    for v in (list(inferred.graph.value_info) + list(inferred.graph.input) +
              list(inferred.graph.output)):
        dims = [d.dim_value if d.HasField("dim_value") else None
                for d in v.type.tensor_type.shape.dim]
        if None in dims:
            raise ValueError(f"ONNX's shape inference leaves {v.name} unknown")
        shapes[v.name] = dims
    inits = {t.name: list(t.dims) for t in model.graph.initializer}
    layers = []
    for n in inferred.graph.node:
        attrs = {a.name: helper.get_attribute_value(a) for a in n.attribute}
        if n.op_type == "Conv":
            x, w = shapes[n.input[0]], inits.get(n.input[1]) or shapes[n.input[1]]
            y = shapes[n.output[0]]
            s = attrs.get("strides", [1, 1])
            p = attrs.get("pads", None)
            if attrs.get("auto_pad", b"NOTSET") in (b"SAME_UPPER", b"SAME_LOWER"):
                p = []
                for axis in range(2):
                    total = max(0, (y[2 + axis] - 1) * s[axis] + w[2 + axis] - x[2 + axis])
                    small = total // 2
                    p.append((small, total - small) if attrs["auto_pad"] == b"SAME_UPPER"
                             else (total - small, small))
                p = [p[0][0], p[1][0], p[0][1], p[1][1]]
            p = p or [0, 0, 0, 0]
            layers.append((n.name, x[0], x[1], x[2], x[3], w[0], w[2], w[3], s[0], s[1],
                           p[0], p[1], p[2], p[3], attrs.get("group", 1), len(n.input) > 2))
        elif n.op_type in ("Gemm", "MatMul") and n.input[1] in inits:
            a, b = shapes[n.input[0]], inits[n.input[1]]
            trans_b = attrs.get("transB", 0)
            rows = int(np.prod(a[:-1])) if n.op_type == "MatMul" else a[0]
            c_in = a[-1]
            c_out = b[0] if trans_b else b[1]
            layers.append((n.name, rows, c_in, 1, 1, c_out, 1, 1, 1, 1, 0, 0, 0, 0, 1,
                           n.op_type == "Gemm" and len(n.input) > 2))
    return layers


def good_models():
    """name -> (model, batch the walk must use)"""
    models = {}

    def add(name, g, out, batch=1, domains=()):
        models[name] = (g.model(out, domains), batch)

    # operators that keep the shape
    for op, attrs in [("Relu", {}), ("Sigmoid", {}), ("HardSigmoid", {}), ("HardSwish", {}),
                      ("Softmax", {"axis": 1}), ("Dropout", {}), ("Identity", {}),
                      ("Cast", {"to": TensorProto.FLOAT})]:
        g = Graph("unary_" + op, [1, 3, 12, 12])
        add("op_" + op, g, g.conv(g.node(op, ["x"], **attrs), 3, 8, name="conv"))
    g = Graph("clip", [1, 3, 12, 12])
    lo, hi = g.const(init("lo", [], values=0.0)), g.const(init("hi", [], values=6.0))
    add("op_Clip", g, g.conv(g.node("Clip", ["x", lo, hi]), 3, 8, name="conv"))
    g = Graph("bn", [1, 3, 12, 12])
    bn = [g.const(init(n, [3])) for n in ("scale", "shift", "mean")]
    bn.append(g.const(init("var", [3], values=np.ones(3))))
    add("op_BatchNormalization", g, g.conv(g.node("BatchNormalization", ["x"] + bn), 3, 8,
                                           name="conv"))
    # broadcasting arithmetic, both operand orders
    for op in ("Add", "Sub", "Mul", "Div"):
        g = Graph("arith_" + op, [1, 3, 12, 10])
        c = g.const(init("c" + op, [1, 3, 1, 1]))
        add("op_" + op, g, g.conv(g.node(op, [c, "x"]), 3, 8, name="conv"))
    # pools
    g = Graph("maxpool", [1, 4, 15, 15])
    add("op_MaxPool", g, g.conv(g.node("MaxPool", ["x"], kernel_shape=[3, 3], strides=[2, 2],
                                       pads=[1, 1, 1, 1]), 4, 8, name="conv"))
    g = Graph("maxpool_ceil", [1, 4, 14, 14])
    add("op_MaxPool_ceil", g, g.conv(g.node("MaxPool", ["x"], kernel_shape=[3, 3],
                                            strides=[2, 2], ceil_mode=1), 4, 8, name="conv"))
    g = Graph("avgpool", [1, 4, 13, 11])
    add("op_AveragePool", g, g.conv(g.node("AveragePool", ["x"], kernel_shape=[2, 2],
                                           strides=[2, 2]), 4, 8, name="conv"))
    g = Graph("gap", [1, 16, 7, 7])
    add("op_GlobalAveragePool", g,
        g.conv(g.node("GlobalAveragePool", ["x"]), 16, 10, k=1, name="classifier"))
    g = Graph("reducemean", [1, 16, 7, 9])
    add("op_ReduceMean", g, g.conv(g.node("ReduceMean", ["x"], axes=[2, 3], keepdims=1), 16, 10,
                                   k=1, name="conv"))
    # classifier heads: Flatten -> Gemm (both transB), Reshape -> MatMul
    for trans_b in (0, 1):
        g = Graph("gemm", [2, 16, 3, 3])
        flat = g.node("Flatten", ["x"], axis=1)
        w = g.const(init("fc_w", [10, 144] if trans_b else [144, 10]))
        b = g.const(init("fc_b", [10]))
        add(f"op_Gemm_transB{trans_b}", g,
            g.node("Gemm", [flat, w, b], name="fc", transB=trans_b), batch=2)
    g = Graph("matmul", [1, 16, 4, 4])
    shape = g.const(ints("flat_shape", [1, -1]))
    flat = g.node("Reshape", ["x", shape])
    w = g.const(init("fc_w", [256, 10]))
    add("op_MatMul", g, g.node("MatMul", [flat, w], name="fc"))
    # ShuffleNet's channel shuffle: the shape computed from Shape, through
    # Gather, Unsqueeze and Concat, into Reshape; Transpose between
    g = Graph("shuffle", [1, 8, 10, 10], batch_symbol="N")
    y = g.conv("x", 8, 8, name="conv_a")
    s = g.node("Shape", [y])
    dims = []
    for axis in (0, 2, 3):
        d = g.node("Gather", [s, g.const(ints(f"axis{axis}", axis))], axis=0)
        dims.append(g.node("Unsqueeze", [d, g.const(ints(f"ax{axis}", [0]))]))
    two, four = g.const(ints("two", [2])), g.const(ints("four", [4]))
    five = g.node("Concat", [dims[0], two, four, dims[1], dims[2]], axis=0)
    r = g.node("Reshape", [y, five])
    t = g.node("Transpose", [r], perm=[0, 2, 1, 3, 4])
    minus = g.const(ints("minus", [-1]))
    back = g.node("Concat", [dims[0], minus, dims[1], dims[2]], axis=0)
    add("pattern_channel_shuffle", g, g.conv(g.node("Reshape", [t, back]), 8, 8, name="conv_b"),
        batch=3)
    # Concat of two branches, Split, Slice, Pad
    g = Graph("concat", [1, 4, 9, 9])
    a, b = g.conv("x", 4, 6, name="left", pads=[1, 1, 1, 1]), g.conv("x", 4, 10, k=1, name="right")
    add("op_Concat", g, g.conv(g.node("Concat", [a, b], axis=1), 16, 8, name="after"))
    g = Graph("split", [1, 12, 8, 8])
    parts = g.const(ints("parts", [4, 8]))
    left, right = g.node("Split", ["x", parts], outputs=2, axis=1)
    add("op_Split", g, g.conv(right, 8, 4, name="conv"))
    g = Graph("slice", [1, 8, 16, 16])
    sl = g.node("Slice", ["x", g.const(ints("starts", [2, 1])), g.const(ints("ends", [7, -1])),
                          g.const(ints("axes", [1, 3])), g.const(ints("steps", [1, 2]))])
    add("op_Slice", g, g.conv(sl, 5, 8, name="conv"))
    g = Graph("pad", [1, 3, 10, 10])
    pd = g.node("Pad", ["x", g.const(ints("pads", [0, 0, 1, 2, 0, 0, 3, 4]))])
    add("op_Pad", g, g.conv(pd, 3, 8, name="conv"))
    # Resize by scales (an empty roi, as exporters write) and by sizes
    g = Graph("resize_scales", [1, 4, 7, 9])
    roi = g.const(init("roi", [0]))
    scales = g.const(init("scales", [4], values=[1.0, 1.0, 2.0, 1.5]))
    add("op_Resize_scales", g, g.conv(g.node("Resize", ["x", roi, scales], mode="nearest"), 4, 8,
                                      name="conv"))
    g = Graph("resize_sizes", [1, 4, 7, 9])
    roi = g.const(init("roi", [0]))
    empty = g.const(init("no_scales", [0]))
    sizes = g.const(ints("sizes", [1, 4, 20, 30]))
    add("op_Resize_sizes", g, g.conv(g.node("Resize", ["x", roi, empty, sizes], mode="linear"),
                                     4, 8, name="conv"))
    # Constant, Squeeze, Unsqueeze, Transpose
    g = Graph("constant", [1, 48, 4, 4])
    shape = g.node("Constant", [], value=ints("c", [1, 12, 8, 8]))
    add("op_Constant", g, g.conv(g.node("Reshape", ["x", shape]), 12, 8, name="conv"))
    g = Graph("squeeze", [1, 6, 1, 5, 7])
    sq = g.node("Squeeze", ["x", g.const(ints("sq_axes", [2]))])
    add("op_Squeeze", g, g.conv(sq, 6, 8, name="conv"))
    g = Graph("unsqueeze", [6, 5, 7])
    un = g.node("Unsqueeze", ["x", g.const(ints("un_axes", [0]))])
    add("op_Unsqueeze", g, g.conv(un, 6, 8, name="conv"))
    g = Graph("transpose", [1, 9, 11, 3])
    tr = g.node("Transpose", ["x"], perm=[0, 3, 1, 2])
    add("op_Transpose", g, g.conv(tr, 3, 8, name="conv"))
    # weights through Identity (torch.onnx.export writes shared weights so)
    g = Graph("identity_weight", [1, 3, 8, 8])
    w = g.node("Identity", [g.const(init("w_raw", [8, 3, 3, 3]))])
    b = g.node("Identity", [g.const(init("b_raw", [8]))])
    add("weights_through_Identity", g, g.node("Conv", ["x", w, b], name="conv", pads=[1, 1, 1, 1]))
    # auto_pad at stride 2 (asymmetric), dilation, groups, depthwise
    for mode in ("SAME_UPPER", "SAME_LOWER"):
        g = Graph("autopad", [1, 4, 10, 9])
        add(f"auto_pad_{mode}", g, g.conv("x", 4, 8, name="conv", strides=[2, 2], auto_pad=mode))
    g = Graph("explicit_asymmetric", [1, 4, 10, 9])
    add("pads_asymmetric", g, g.conv("x", 4, 8, name="conv", strides=[2, 1], pads=[0, 1, 2, 0]))
    g = Graph("grouped", [1, 8, 12, 12])
    y = g.conv("x", 8, 8, name="grouped", groups=2, dilations=[2, 2], pads=[2, 2, 2, 2])
    add("groups_depthwise", g, g.conv(y, 8, 8, name="depthwise", groups=8, strides=[2, 2],
                                      pads=[1, 1, 1, 1], bias=False))
    # identical layers: timed once, repeat 3
    g = Graph("repeats", [1, 8, 8, 8])
    y = "x"
    for i in range(3):
        y = g.conv(y, 8, 8, name=f"block{i}", pads=[1, 1, 1, 1])
    add("identical_layers", g, y)
    # a transposed convolution (never measured) after an operator without a
    # shape rule: listed, and the conv beside it still measured
    g = Graph("listed", [1, 4, 8, 8])
    up = g.node("ConvTranspose", [g.node("Foo", ["x"], domain="com.example"),
                                  g.const(init("wt", [4, 2, 2, 2]))], name="up", strides=[2, 2])
    models["listed_after_unknown"] = (g.model(g.conv("x", 4, 8, name="conv"),
                                              domains=("com.example",)), 1)
    # symbolic batch, taken from --batch
    g = Graph("symbolic", [1, 3, 8, 8], batch_symbol="batch_size")
    add("symbolic_batch", g, g.conv("x", 3, 4, name="conv"), batch=5)
    return models


def with_unknown_op(hint):
    """A custom operator between the input and the conv: no shape rule; the
    file's value_info gives its output's shape when hint is set."""
    g = Graph("custom", [1, 3, 8, 8])
    y = g.node("Foo", ["x"], domain="com.example")
    model = g.model(g.conv(y, 6, 8, name="conv"), domains=("com.example",))
    if hint:
        model.graph.value_info.append(
            helper.make_tensor_value_info(y, TensorProto.FLOAT, [1, 6, 8, 8]))
    return model


def bad_models(directory):
    def save(name, model):
        onnx.save(model, os.path.join(directory, name + ".onnx"))

    # a node input nothing produces
    g = Graph("missing", [1, 3, 8, 8])
    g.conv("nowhere", 3, 8, name="conv")
    save("missing_tensor", g.model("t2"))
    # a cycle: a -> b -> a
    g = Graph("cycle", [1, 3, 8, 8])
    g.nodes.append(helper.make_node("Add", ["x", "b_out"], ["a_out"], name="a"))
    g.nodes.append(helper.make_node("Relu", ["a_out"], ["b_out"], name="b"))
    g.conv("a_out", 3, 8, name="conv")
    save("cycle", g.model("t2"))
    # dims: negative, zero, overflowing
    g = Graph("negative", [1, 3, 8, 8])
    g.conv("x", 3, 8, name="conv")
    g.inits[0].dims[0] = -8
    save("negative_dim", g.model("t3"))
    g = Graph("zero", [1, 0, 8, 8])
    g.conv("x", 0, 8, name="conv")
    save("zero_channels", g.model("t3"))
    g = Graph("overflow", [1 << 40, 1 << 40, 8, 8])
    g.node("Relu", ["x"], name="relu")
    save("overflow_dims", g.model("t1"))
    # the weight's input channels differ from the input's
    g = Graph("mismatch", [1, 5, 8, 8])
    w = g.const(init("w", [8, 3, 3, 3]))
    g.node("Conv", ["x", w], name="conv")
    save("weight_mismatch", g.model("t1"))
    # more parts than the walk keeps
    g = Graph("split", [1, 65, 4, 4])
    g.node("Split", ["x"], outputs=65, name="split", axis=1, split=[1] * 65)
    save("split_parts", g.model("t1"))
    # an operator without a shape rule before a conv, no value_info
    save("unknown_operator", with_unknown_op(hint=False))
    # a symbolic dimension other than the batch
    g = Graph("symbolic_h", [1, 3, 8, 8])
    g.inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, "height", 8])]
    g.conv("x", 3, 8, name="conv")
    save("symbolic_height", g.model("t3"))
    # not ONNX at all, truncated, empty
    valid = g.model("t3").SerializeToString()
    with open(os.path.join(directory, "truncated.onnx"), "wb") as f:
        f.write(valid[: len(valid) // 2])
    open(os.path.join(directory, "empty.onnx"), "wb").close()
    with open(os.path.join(directory, "text.onnx"), "w") as f:
        f.write("this is not a model\n")


def main():
    out = sys.argv[1]
    good, bad = os.path.join(out, "good"), os.path.join(out, "bad")
    os.makedirs(good, exist_ok=True)
    os.makedirs(bad, exist_ok=True)
    lines = []
    for name, (model, batch) in good_models().items():
        onnx.save(model, os.path.join(good, name + ".onnx"))
        for layer in conv_layers(model, batch):
            lines.append(" ".join([name] + [str(int(v)) if not isinstance(v, str) else v
                                            for v in layer]))
    model = with_unknown_op(hint=True)
    onnx.save(model, os.path.join(good, "value_info_hint.onnx"))
    lines.append("value_info_hint conv 1 6 8 8 8 3 3 1 1 0 0 0 0 1 1")
    with open(os.path.join(good, "expected.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    bad_models(bad)


if __name__ == "__main__":
    main()
