import { IntImm, type PrimExpr } from "../../src/ir/expr.js";
import { describe, expect, it } from "vitest";
import { OnnxGraphBuilder, importOnnx, onnxFloat } from "../../src/frontend/index.js";
import { Call, Constant, ShapeExpr, TupleGetItem } from "../../src/relax/index.js";
import { HEADER, bindingsOf, callOf, constArg, expectScript, mainOf, opsOf, retText, single } from "./helpers.js";

const dimText = (d: PrimExpr) => (d instanceof IntImm ? String(d.value) : String(d));
const T = (dims: string) => `R.Tensor(${dims}, dtype="float32")`;

describe("elementwise converters", () => {
  const binaries: [string, string, string][] = [
    ["Add", "add", "float32"], ["Sub", "subtract", "float32"], ["Mul", "multiply", "float32"], ["Div", "divide", "float32"],
    ["Pow", "power", "float32"], ["Equal", "equal", "bool"], ["Less", "less", "bool"], ["Greater", "greater", "bool"],
    ["LessOrEqual", "less_equal", "bool"], ["GreaterOrEqual", "greater_equal", "bool"], ["Max", "maximum", "float32"], ["Min", "minimum", "float32"],
  ];
  for (const [onnxOp, relaxOp, dtype] of binaries) {
    it(`${onnxOp} -> R.${relaxOp} with broadcasting`, () => {
      const f = single(onnxOp, [{ name: "a", dims: ["n", 1, 4] }, { name: "b", dims: [3, 1] }]);
      expect(opsOf(f)).toEqual([relaxOp]);
      expect(retText(f)).toBe(`R.Tensor((n, 3, 4), dtype="${dtype}")`);
    });
  }

  it("Max / Min / Sum / Mean are variadic", () => {
    const f = single("Max", [{ name: "a", dims: [2] }, { name: "b", dims: [2] }, { name: "c", dims: [2] }]);
    expect(opsOf(f)).toEqual(["maximum", "maximum"]);
    const m = single("Mean", [{ name: "a", dims: [2] }, { name: "b", dims: [2] }, { name: "c", dims: [2] }]);
    expect(opsOf(m)).toEqual(["add", "add", "divide"]);
    expect(constArg(callOf(m, "divide"), 1).data).toEqual([3]);
  });

  it("Pow casts an exponent of another dtype to the base's", () => {
    const f = single("Pow", [{ name: "a", dims: [2] }, { name: "b", dims: [2], dtype: "int64" }]);
    expect(opsOf(f)).toEqual(["astype", "power"]);
    expect(retText(f)).toBe(T("(2,)"));
  });

  it("Where selects with broadcasting", () => {
    const f = single("Where", [{ name: "c", dims: [2, 1], dtype: "bool" }, { name: "a", dims: [3] }, { name: "b", dims: [1] }]);
    expect(opsOf(f)).toEqual(["where"]);
    expect(retText(f)).toBe(T("(2, 3)"));
  });

  const unary: [string, string][] = [
    ["Relu", "nn.relu"], ["Sigmoid", "sigmoid"], ["Tanh", "tanh"], ["Exp", "exp"], ["Log", "log"], ["Sqrt", "sqrt"], ["Erf", "erf"],
    ["Neg", "negative"], ["Abs", "abs"], ["Floor", "floor"], ["Ceil", "ceil"], ["Sin", "sin"], ["Cos", "cos"],
  ];
  for (const [onnxOp, relaxOp] of unary) {
    it(`${onnxOp} -> R.${relaxOp}`, () => {
      const f = single(onnxOp, [{ name: "x", dims: ["n", 3] }]);
      expect(opsOf(f)).toEqual([relaxOp]);
      expect(retText(f)).toBe(T("(n, 3)"));
    });
  }

  it("Gelu picks the exact or the tanh form", () => {
    expect(opsOf(single("Gelu", [{ name: "x", dims: [4] }], {}, { opset: 20 }))).toEqual(["nn.gelu"]);
    expect(opsOf(single("Gelu", [{ name: "x", dims: [4] }], { approximate: "tanh" }, { opset: 20 }))).toEqual(["nn.gelu_tanh"]);
    expect(() => single("Gelu", [{ name: "x", dims: [4] }], { approximate: "fast" }, { opset: 20 })).toThrow(/approximate="fast" is not an ONNX Gelu mode/);
  });

  it("LeakyRelu is where(x > 0, x, alpha * x) with the node's alpha", () => {
    const f = single("LeakyRelu", [{ name: "x", dims: [4] }], { alpha: 0.25 });
    expect(opsOf(f)).toEqual(["greater", "multiply", "where"]);
    expect(constArg(callOf(f, "multiply"), 1).data).toEqual([0.25]);
    expect(constArg(callOf(single("LeakyRelu", [{ name: "x", dims: [4] }]), "multiply"), 1).data[0]).toBeCloseTo(0.01);
  });

  it("Clip with both, one or no bounds", () => {
    const both = single("Clip", [{ name: "x", dims: [4] }, { init: { shape: [], data: [-1] } }, { init: { shape: [], data: [6] } }]);
    expect(opsOf(both)).toEqual(["maximum", "minimum"]);
    expect(constArg(callOf(both, "maximum"), 1).data).toEqual([-1]);
    expect(constArg(callOf(both, "minimum"), 1).data).toEqual([6]);
    expect(opsOf(single("Clip", [{ name: "x", dims: [4] }, "", { init: { shape: [], data: [6] } }]))).toEqual(["minimum"]);
    expect(opsOf(single("Clip", [{ name: "x", dims: [4] }]))).toEqual([]);
  });

  it("Cast, Identity and Dropout", () => {
    const c = single("Cast", [{ name: "x", dims: [4] }], { to: 7 });
    expect(retText(c)).toBe('R.Tensor((4,), dtype="int64")');
    expect(callOf(c, "astype").attrs["dtype"]).toBe("int64");
    expect(opsOf(single("Identity", [{ name: "x", dims: [4] }]))).toEqual([]);
    const d = single("Dropout", [{ name: "x", dims: [4] }, { init: { shape: [], data: [0.5] } }]);
    expect(opsOf(d)).toEqual([]);
    expect(retText(d)).toBe(T("(4,)"));
    expect(() => single("Dropout", [{ name: "x", dims: [4] }], {}, { outputs: 2 })).toThrow(/mask output is not supported/);
  });
});

describe("linear algebra and nn converters", () => {
  it("MatMul with batch broadcasting", () => {
    const f = single("MatMul", [{ name: "a", dims: ["b", 1, "s", 8] }, { name: "w", dims: [4, 8, 16] }]);
    expect(retText(f)).toBe(T("(b, 4, s, 16)"));
  });

  it("Gemm composes permute_dims, matmul, multiply and add from transA/transB/alpha/beta", () => {
    const g = new OnnxGraphBuilder();
    const a = g.input("a", "float32", [4, 2]);
    const b = g.input("b", "float32", [3, 4]);
    const c = g.input("c", "float32", [3]);
    g.output(g.op("Gemm", [a, b, c], { transA: 1, transB: 1, alpha: 0.5, beta: onnxFloat(2) }));
    expectScript(importOnnx(g.toBytes()), `${HEADER}
@I.ir_module
class Module:
    @R.function
    def main(a: R.Tensor((4, 2), dtype="float32"), b: R.Tensor((3, 4), dtype="float32"), c: R.Tensor((3,), dtype="float32")) -> R.Tensor((2, 3), dtype="float32"):
        with R.dataflow():
            lv = R.permute_dims(a, axes=[1, 0])
            lv1 = R.permute_dims(b, axes=[1, 0])
            lv2 = R.matmul(lv, lv1)
            lv3 = R.multiply(lv2, R.const(0.5, "float32"))
            lv4 = R.multiply(c, R.const(2.0, "float32"))
            gemm = R.add(lv3, lv4)
            gv = gemm
            R.output(gv)
        return gv
`);
  });

  it("Conv 2-D: pads, strides, dilations, group and a constant bias", () => {
    const f = single("Conv", [
      { name: "x", dims: ["n", 4, 9, 9] },
      { init: { shape: [6, 2, 3, 3], data: new Array(108).fill(0.5) } },
      { init: { shape: [6], data: [1, 2, 3, 4, 5, 6] } },
    ], { pads: [1, 0, 2, 1], strides: [2, 1], dilations: [1, 2], group: 2 });
    const conv = callOf(f, "nn.conv2d");
    expect(conv.attrs["padding"]).toEqual([1, 0, 2, 1]);
    expect(conv.attrs["strides"]).toEqual([2, 1]);
    expect(conv.attrs["dilation"]).toEqual([1, 2]);
    expect(conv.attrs["groups"]).toBe(2);
    const bias = constArg(callOf(f, "add"), 1);
    expect(bias.shape).toEqual([1, 6, 1, 1]);
    expect(bias.data).toEqual([1, 2, 3, 4, 5, 6]);
    // H: (9 + 3 - 3) / 2 + 1 = 5; W: (9 + 1 - 5) / 1 + 1 = 6.
    expect(retText(f)).toBe(T("(n, 6, 5, 6)"));
  });

  it("Conv 1-D goes through conv2d on a unit H axis", () => {
    const f = single("Conv", [{ name: "x", dims: [1, 3, 10] }, { name: "w", dims: [5, 3, 3] }], { pads: [1, 1], strides: [2] });
    expect(opsOf(f)).toEqual(["expand_dims", "expand_dims", "nn.conv2d", "squeeze"]);
    expect(callOf(f, "nn.conv2d").attrs["padding"]).toEqual([0, 1, 0, 1]);
    expect(retText(f)).toBe(T("(1, 5, 5)"));
  });

  it("Conv auto_pad SAME_UPPER / SAME_LOWER compute the padding", () => {
    const up = single("Conv", [{ name: "x", dims: [1, 1, 6, 6] }, { name: "w", dims: [1, 1, 4, 4] }], { auto_pad: "SAME_UPPER" });
    expect(callOf(up, "nn.conv2d").attrs["padding"]).toEqual([1, 1, 2, 2]);
    expect(retText(up)).toBe(T("(1, 1, 6, 6)"));
    const lo = single("Conv", [{ name: "x", dims: [1, 1, 6, 6] }, { name: "w", dims: [1, 1, 4, 4] }], { auto_pad: "SAME_LOWER", strides: [2, 2] });
    expect(callOf(lo, "nn.conv2d").attrs["padding"]).toEqual([1, 1, 1, 1]);
    expect(retText(lo)).toBe(T("(1, 1, 3, 3)"));
    expect(() => single("Conv", [{ name: "x", dims: [1, 1, 2, 2, 2] }, { name: "w", dims: [1, 1, 1, 1, 1] }])).toThrow(/3-D convolution is not supported/);
  });

  it("MaxPool / AveragePool / GlobalAveragePool", () => {
    const m = single("MaxPool", [{ name: "x", dims: ["n", 3, 8, 8] }], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] });
    expect(callOf(m, "nn.max_pool2d").attrs["pool_size"]).toEqual([3, 3]);
    expect(retText(m)).toBe(T("(n, 3, 4, 4)"));
    const a = single("AveragePool", [{ name: "x", dims: [1, 3, 7, 7] }], { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1, count_include_pad: 1 });
    const ac = callOf(a, "nn.avg_pool2d");
    expect([ac.attrs["ceil_mode"], ac.attrs["count_include_pad"]]).toEqual([true, true]);
    expect(retText(a)).toBe(T("(1, 3, 4, 4)"));
    const p1 = single("MaxPool", [{ name: "x", dims: [1, 3, 9] }], { kernel_shape: [3] });
    expect(opsOf(p1)).toEqual(["expand_dims", "nn.max_pool2d", "squeeze"]);
    expect(retText(p1)).toBe(T("(1, 3, 7)"));
    const gp = single("GlobalAveragePool", [{ name: "x", dims: ["n", 16, 5, 5] }]);
    expect(callOf(gp, "mean").attrs["axis"]).toEqual([2, 3]);
    expect(retText(gp)).toBe(T("(n, 16, 1, 1)"));
    expect(() => single("MaxPool", [{ name: "x", dims: [1, 3, 9, 9] }], { kernel_shape: [3, 3] }, { outputs: 2 })).toThrow(/Indices output is not supported/);
  });

  it("BatchNormalization with constant parameters folds into a per-channel scale and shift", () => {
    const scale = [1, 2], bias = [0.5, -1], mean = [3, -2], variance = [4, 0.25], eps = 1e-5;
    const f = single("BatchNormalization", [
      { name: "x", dims: ["n", 2, 3, 3] },
      { init: { shape: [2], data: scale } }, { init: { shape: [2], data: bias } },
      { init: { shape: [2], data: mean } }, { init: { shape: [2], data: variance } },
    ], { epsilon: eps });
    expect(opsOf(f)).toEqual(["multiply", "add"]);
    const a = constArg(callOf(f, "multiply"), 1), b = constArg(callOf(f, "add"), 1);
    expect(a.shape).toEqual([2, 1, 1]);
    for (let c = 0; c < 2; c++) {
      // y = (x - mean) / sqrt(var + eps) * scale + bias, checked at x = 0 and the slope.
      const slope = scale[c]! / Math.sqrt(variance[c]! + eps);
      expect(a.data[c]).toBeCloseTo(slope, 6);
      expect(b.data[c]).toBeCloseTo(bias[c]! - mean[c]! * slope, 6);
    }
    expect(retText(f)).toBe(T("(n, 2, 3, 3)"));
  });

  it("BatchNormalization with parameter inputs composes the formula; training mode is rejected", () => {
    const ins = [{ name: "x", dims: [1, 2, 4, 4] }, ...["s", "b", "m", "v"].map((name) => ({ name, dims: [2] }))];
    const f = single("BatchNormalization", ins);
    expect(opsOf(f)).toEqual(["reshape", "reshape", "add", "sqrt", "divide", "reshape", "reshape", "subtract", "multiply", "add"]);
    expect(retText(f)).toBe(T("(1, 2, 4, 4)"));
    expect(() => single("BatchNormalization", ins, { training_mode: 1 })).toThrow(/training mode/);
  });

  it("LayerNormalization normalizes from axis to the end; a missing bias is zeros", () => {
    const f = single("LayerNormalization", [{ name: "x", dims: ["b", "s", 8] }, { init: { shape: [8], data: new Array(8).fill(1) } }], { epsilon: 1e-6 });
    const ln = callOf(f, "nn.layer_norm");
    expect(ln.attrs["axes"]).toEqual([2]);
    expect(ln.attrs["epsilon"]).toBeCloseTo(1e-6, 12);
    expect(constArg(ln, 2).data).toEqual(new Array(8).fill(0));
    const g = single("LayerNormalization", [{ name: "x", dims: [2, 3, 4] }, { name: "s", dims: [3, 4] }, { name: "b", dims: [3, 4] }], { axis: 1 });
    expect(callOf(g, "nn.layer_norm").attrs["axes"]).toEqual([1, 2]);
  });

  it("Softmax / LogSoftmax keep the axis", () => {
    expect(callOf(single("Softmax", [{ name: "x", dims: [2, 3] }], { axis: 0 }), "nn.softmax").attrs["axis"]).toBe(0);
    expect(callOf(single("LogSoftmax", [{ name: "x", dims: [2, 3] }]), "nn.log_softmax").attrs["axis"]).toBe(-1);
  });

  it("Reduce*: axes as attribute before opset 18, as input after; ReduceSum takes the input from 13", () => {
    const m13 = single("ReduceMean", [{ name: "x", dims: ["n", 3, 4] }], { axes: [1], keepdims: 0 }, { opset: 13 });
    expect(callOf(m13, "mean").attrs["axis"]).toEqual([1]);
    expect(retText(m13)).toBe(T("(n, 4)"));
    const m18 = single("ReduceMax", [{ name: "x", dims: ["n", 3, 4] }, { ints: [-1] }], {}, { opset: 18 });
    expect(callOf(m18, "max").attrs["axis"]).toEqual([-1]);
    expect(retText(m18)).toBe(T("(n, 3, 1)"));
    const s13 = single("ReduceSum", [{ name: "x", dims: [2, 3] }, { ints: [0] }], { keepdims: 0 }, { opset: 13 });
    expect(retText(s13)).toBe(T("(3,)"));
    const all = single("ReduceMin", [{ name: "x", dims: [2, 3] }], { keepdims: 0 }, { opset: 18 });
    expect(retText(all)).toBe(T("()"));
    expect(opsOf(single("ReduceSum", [{ name: "x", dims: [2, 3] }], { noop_with_empty_axes: 1 }, { opset: 13 }))).toEqual([]);
  });
});

describe("shape and data-movement converters", () => {
  it("Reshape with 0 (copy) and -1 (inferred), symbolic", () => {
    const f = single("Reshape", [{ name: "x", dims: ["b", "s", 12] }, { ints: [0, 0, 3, -1] }]);
    expect(retText(f)).toBe(T("(b, s, 3, 4)"));
    const r = callOf(f, "reshape").args[1] as ShapeExpr;
    expect(r.values.map(dimText)).toEqual(["b", "s", "3", "4"]);
    const z = single("Reshape", [{ name: "x", dims: [0, 4] }, { ints: [4, 0] }], { allowzero: 1 });
    expect(retText(z)).toBe(T("(4, 0)"));
    expect(() => single("Reshape", [{ name: "x", dims: [2, 3] }, { name: "s", dims: [2], dtype: "int64" }])).toThrow(/new shape must be known at import time/);
    expect(() => single("Reshape", [{ name: "x", dims: [2, 3] }, { ints: [-1, -1] }])).toThrow(/at most one can be inferred/);
  });

  it("Flatten around an axis", () => {
    expect(retText(single("Flatten", [{ name: "x", dims: ["n", 2, 3, 4] }]))).toBe(T("(n, 24)"));
    expect(retText(single("Flatten", [{ name: "x", dims: ["n", 2, 3, 4] }], { axis: 0 }))).toBe(T("(1, n * 24)"));
    expect(retText(single("Flatten", [{ name: "x", dims: [2, 3, 4] }], { axis: -1 }))).toBe(T("(6, 4)"));
  });

  it("Transpose with and without perm", () => {
    expect(retText(single("Transpose", [{ name: "x", dims: ["a", 2, 3] }], { perm: [1, 2, 0] }))).toBe(T("(2, 3, a)"));
    expect(retText(single("Transpose", [{ name: "x", dims: ["a", 2, 3] }]))).toBe(T("(3, 2, a)"));
  });

  it("Concat along a symbolic axis", () => {
    expect(retText(single("Concat", [{ name: "x", dims: ["n", 2] }, { name: "y", dims: ["m", 2] }], { axis: 0 }))).toBe(T("(n + m, 2)"));
  });

  it("Split: equal parts, explicit sizes, uneven num_outputs", () => {
    const eq = single("Split", [{ name: "x", dims: [6, 4] }], { axis: 0 }, { outputs: 3 });
    expect(retText(eq)).toBe(`R.Tuple(${T("(2, 4)")}, ${T("(2, 4)")}, ${T("(2, 4)")})`);
    expect(bindingsOf(eq).filter((b) => b.value instanceof TupleGetItem).length).toBe(3);
    const sz = single("Split", [{ name: "x", dims: [2, 7] }, { ints: [2, 5] }], { axis: 1 }, { outputs: 2 });
    expect(callOf(sz, "split").attrs["indices_or_sections"]).toEqual([2]);
    expect(retText(sz)).toBe(`R.Tuple(${T("(2, 2)")}, ${T("(2, 5)")})`);
    const un = single("Split", [{ name: "x", dims: [7] }], { num_outputs: 3 }, { opset: 18, outputs: 3 });
    expect(retText(un)).toBe(`R.Tuple(${T("(3,)")}, ${T("(3,)")}, ${T("(1,)")})`);
  });

  it("Slice: negative starts, INT64_MAX ends, steps and axes", () => {
    const f = single("Slice", [{ name: "x", dims: [10, "n"] }, { ints: [-4, 1] }, { ints: [2 ** 63, 2 ** 63] }, { ints: [0, 1] }, { ints: [2, 1] }]);
    const s = callOf(f, "strided_slice");
    expect(s.attrs["begin"]).toEqual([-4, 1]);
    expect(s.attrs["strides"]).toEqual([2, 1]);
    // n may be 0, so the extent keeps its clamp: max(n - min(n, 1), 0).
    expect(retText(f)).toBe(T("(2, T.max(n - T.min(n, T.int64(1)), T.int64(0)))"));
    const rev = single("Slice", [{ name: "x", dims: [5] }, { ints: [-1] }, { ints: [-(2 ** 63)] }, { ints: [0] }, { ints: [-1] }]);
    expect(retText(rev)).toBe(T("(5,)"));
  });

  it("Gather along an axis; negative constant indices wrap", () => {
    const f = single("Gather", [{ name: "x", dims: [5, "n"] }, { init: { dtype: "int64", shape: [2, 3], data: [0, 1, 2, 3, 4, 0] } }], { axis: 0 });
    expect(retText(f)).toBe(T("(2, 3, n)"));
    const neg = single("Gather", [{ name: "x", dims: [4, 6] }, { init: { dtype: "int64", shape: [], data: [-1] } }], { axis: 1 });
    expect(constArg(callOf(neg, "take"), 1).data).toEqual([5]);
    expect(retText(neg)).toBe(T("(4,)"));
    const emb = single("Gather", [{ init: { shape: [10, 4], data: new Array(40).fill(0) } }, { name: "ids", dims: ["b", "s"], dtype: "int64" }]);
    expect(retText(emb)).toBe(T("(b, s, 4)"));
  });

  it("Squeeze / Unsqueeze: axes as input (opset 13+) or attribute (before)", () => {
    expect(retText(single("Unsqueeze", [{ name: "x", dims: ["n", 3] }, { ints: [0, -1] }]))).toBe(T("(1, n, 3, 1)"));
    expect(retText(single("Squeeze", [{ name: "x", dims: [1, "n", 1] }, { ints: [2] }]))).toBe(T("(1, n)"));
    expect(retText(single("Squeeze", [{ name: "x", dims: [1, "n", 1] }]))).toBe(T("(n,)"));
    expect(retText(single("Unsqueeze", [{ name: "x", dims: [3] }], { axes: [1] }, { opset: 11 }))).toBe(T("(3, 1)"));
    expect(retText(single("Squeeze", [{ name: "x", dims: [3, 1] }], { axes: [1] }, { opset: 11 }))).toBe(T("(3,)"));
  });

  it("Expand broadcasts both ways", () => {
    const f = single("Expand", [{ name: "x", dims: ["n", 1] }, { ints: [2, 1, 4] }]);
    expect(retText(f)).toBe(T("(2, n, 4)"));
    expect((callOf(f, "broadcast_to").args[1] as ShapeExpr).values.map(dimText)).toEqual(["2", "n", "4"]);
  });

  it("shape folding handles Unsqueeze/Concat/Cast/Squeeze chains (the PyTorch export pattern)", () => {
    const g = new OnnxGraphBuilder();
    const x = g.input("x", "float32", ["b", "s", 8]);
    const shp = g.op("Shape", [x]);
    const b = g.op("Gather", [shp, g.initializer("i0", "int64", [], [0])]);
    const s = g.op("Gather", [shp, g.initializer("i1", "int64", [], [1])]);
    const s32 = g.op("Cast", [s], { to: 6 });
    const parts = [b, s32, g.scalar(2, "int64"), g.scalar(4, "int64")].map((v) => g.op("Unsqueeze", [v, g.ints([0])]));
    const cast = parts.map((p) => g.op("Cast", [p], { to: 7 }));
    const target = g.op("Concat", cast, { axis: 0 });
    const y = g.op("Reshape", [x, target]);
    const n = g.op("Mul", [g.op("Squeeze", [g.op("Unsqueeze", [b, g.ints([0])])]), s]);
    g.output(y);
    g.output(g.op("Reshape", [x, g.op("Concat", [g.op("Unsqueeze", [n, g.ints([0])]), g.ints([8])], { axis: 0 })]));
    const f = mainOf(importOnnx(g.toBytes()));
    expect(retText(f)).toBe(`R.Tuple(${T("(b, s, 2, 4)")}, ${T("(b * s, 8)")})`);
    expect(opsOf(f)).toEqual(["reshape", "reshape"]);
  });

  it("PyTorch's Expand pattern Where(Equal(shape, -1), ones, shape) folds to a static target", () => {
    const g = new OnnxGraphBuilder();
    const x = g.input("x", "float32", ["n", 1, 4]);
    const target = g.ints([-1, 3, -1], "target");
    const ones = g.op("ConstantOfShape", [g.op("Shape", [target])], { value: { dtype: "int64", shape: [1], data: [1] } });
    const minusOnes = g.op("Mul", [ones, g.initializer("m1", "int64", [], [-1])]);
    const isMinus = g.op("Equal", [target, minusOnes]);
    const shape = g.op("Where", [isMinus, ones, target]);
    g.output(g.op("Expand", [x, shape]));
    const f = mainOf(importOnnx(g.toBytes()));
    expect(opsOf(f)).toEqual(["broadcast_to"]);
    expect(retText(f)).toBe(T("(n, 3, 4)"));
  });

  it("Equal on symbolic shape values is emitted, not folded", () => {
    const g = new OnnxGraphBuilder();
    const x = g.input("x", "int64", [2]);
    g.output(g.op("Equal", [x, g.ints([1, 2])]));
    expect(opsOf(mainOf(importOnnx(g.toBytes())))).toEqual(["equal"]);
  });

  it("ConstantOfShape of a symbolic shape broadcasts the value", () => {
    const g = new OnnxGraphBuilder();
    g.output(g.op("ConstantOfShape", [g.op("Shape", [g.input("x", "float32", ["n", 2])])], { value: { dtype: "float32", shape: [1], data: [3] } }));
    const f = mainOf(importOnnx(g.toBytes()));
    expect(constArg(callOf(f, "broadcast_to"), 0).data).toEqual([3]);
    expect(retText(f)).toBe(T("(n, 2)"));
  });

  it("Range of static bounds is a Constant; run-time bounds are rejected", () => {
    const g = new OnnxGraphBuilder();
    const r = g.op("Range", [g.scalar(1, "int64"), g.scalar(10, "int64"), g.scalar(3, "int64")]);
    g.output(g.op("Add", [g.input("x", "int64", [3]), r]));
    const f = mainOf(importOnnx(g.toBytes()));
    expect(constArg(callOf(f, "add"), 1).data).toEqual([1, 4, 7]);
    expect(() => single("Range", [{ name: "a", dims: [], dtype: "int64" }, { name: "b", dims: [], dtype: "int64" }, { name: "c", dims: [], dtype: "int64" }])).toThrow(/must be static integers/);
  });

  it("Pad (constant mode) concatenates value blocks, crops negative pads, works on symbolic dims", () => {
    const f = single("Pad", [{ name: "x", dims: ["n", 3, 4] }, { ints: [0, 1, 2, 0, 0, 1] }, { init: { shape: [], data: [-1] } }]);
    expect(opsOf(f)).toEqual(["broadcast_to", "concat", "broadcast_to", "broadcast_to", "concat"]);
    expect(constArg(callOf(f, "broadcast_to"), 0).data).toEqual([-1]);
    expect(retText(f)).toBe(T("(n, 4, 7)"));
    const crop = single("Pad", [{ name: "x", dims: [5, 6] }, { ints: [1, -1] }, "", { ints: [1] }]);
    expect(retText(crop)).toBe(T("(5, 6)"));
    expect(() => single("Pad", [{ name: "x", dims: [5] }, { ints: [1, 1] }], { mode: "reflect" })).toThrow(/mode="reflect" is not supported/);
  });

  it("HardSwish composes x * clamp(x / 6 + 0.5, 0, 1)", () => {
    const f = single("HardSwish", [{ name: "x", dims: [4] }]);
    expect(opsOf(f)).toEqual(["multiply", "add", "maximum", "minimum", "multiply"]);
    expect(constArg(callOf(f, "multiply"), 1).data[0]).toBeCloseTo(1 / 6);
  });
});

void Call;
void Constant;
