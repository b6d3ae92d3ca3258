/**
 * StructInfo inference of attention, resize2d, argmax / argmin, cumsum, the logical ops and
 * group / instance norm: symbolic shapes carried through, and errors for bad shapes and
 * attributes. Also the TVMScript round trip of their calls.
 */
import { describe, expect, it } from "vitest";
import { bool, float16, int32, int64 } from "../../src/ir/dtype.js";
import * as E from "../../src/ir/expr_ops.js";
import { structuralEqual } from "../../src/ir/structural.js";
import { BlockBuilder, StructInfo, TupleStructInfo, Var, op, parseRelaxScript, printRelax, type Expr } from "../../src/relax/index.js";
import { sym, tensor, tvar } from "./helpers.js";

function infer(params: readonly Var[], make: () => Expr): StructInfo {
  const bb = new BlockBuilder();
  bb.beginFunction("f", params);
  const v = bb.emit(make());
  bb.endFunction(v);
  return v.structInfo;
}

function expectInfo(got: StructInfo, want: StructInfo): void {
  if (!structuralEqual(got, want)) throw new Error(`inferred ${op.sinfoText(got)}, expected ${op.sinfoText(want)}`);
}

const b = sym("b"), s = sym("s"), l = sym("l"), n = sym("n");

describe("R.nn.attention", () => {
  it("gives [B, S, N, Hv] with symbolic batch and sequence lengths", () => {
    const q = tvar("q", [b, s, 4, 8]), k = tvar("k", [b, l, 4, 8]), v = tvar("v", [b, l, 4, 16]);
    expectInfo(infer([q, k, v], () => op.nn.attention(q, k, v)), tensor([b, s, 4, 16]));
    const bias = tvar("bias", [b, 1, s, l]);
    expectInfo(infer([q, k, v, bias], () => op.nn.attention(q, k, v, { bias, scale: 0.5, causalMask: "TopLeft" })), tensor([b, s, 4, 16]));
    // Grouped-query attention: 4 query heads over 2 key/value heads.
    const k2 = tvar("k2", [b, l, 2, 8]), v2 = tvar("v2", [b, l, 2, 8]);
    expectInfo(infer([q, k2, v2], () => op.nn.attention(q, k2, v2)), tensor([b, s, 4, 8]));
  });

  it("rejects mismatched shapes, ranks, dtypes and attributes", () => {
    const q = tvar("q", [2, s, 4, 8]), k = tvar("k", [2, l, 4, 6]), v = tvar("v", [2, l, 4, 8]);
    expect(() => infer([q, k, v], () => op.nn.attention(q, k, v))).toThrow(/R.nn.attention: the head sizes of query and key differ \(8 vs 6\)/);
    const k3 = tvar("k3", [2, l, 3, 8]), v3 = tvar("v3", [2, l, 3, 8]);
    expect(() => infer([q, k3, v3], () => op.nn.attention(q, k3, v3))).toThrow(/4 query heads are not a multiple of 3 key\/value heads/);
    const q3 = tvar("q3", [2, s, 32]);
    expect(() => infer([q3, k, v], () => op.nn.attention(q3, k, v))).toThrow(/'query' must be 4-D \[batch, seq, heads, head_dim\], got rank 3/);
    const k4 = tvar("k4", [2, l, 4, 8]);
    const bias = tvar("bias", [3, 4, s, l]);
    expect(() => infer([q, k4, v, bias], () => op.nn.attention(q, k4, v, { bias }))).toThrow(/'bias' \(3, 4, s, l\) does not broadcast to the scores/);
    expect(() => infer([q, k4, v], () => op.nn.attention(q, k4, v, { causalMask: "Diagonal" as "TopLeft" }))).toThrow(/'causal_mask' must be "TopLeft", "BottomRight" or None, got "Diagonal"/);
    const vi = tvar("vi", [2, l, 4, 8], int32);
    expect(() => infer([q, k4, vi], () => op.nn.attention(q, k4, vi))).toThrow(/'value' must be a float tensor, got dtype int32/);
  });
});

describe("R.image.resize2d", () => {
  it("takes the output size from a (symbolic) shape", () => {
    const x = tvar("x", [n, 3, 8, 8]);
    const h = sym("h");
    expectInfo(infer([x], () => op.image.resize2d(x, [16, E.mul(h, 2)])), tensor([n, 3, 16, E.mul(h, 2)]));
    expectInfo(infer([x], () => op.image.resize2d(x, [4, 4], { method: "nearest_neighbor", outDtype: "float16" })), tensor([n, 3, 4, 4], float16));
  });

  it("rejects bad modes, ranks, sizes and scales", () => {
    const x = tvar("x", [1, 3, 8, 8]);
    expect(() => infer([x], () => op.image.resize2d(x, [4, 4], { method: "area" as "linear" }))).toThrow(/'method' must be one of "nearest_neighbor", "linear", "cubic", got "area"/);
    expect(() => infer([x], () => op.image.resize2d(x, [4, 4], { coordinateTransformationMode: "tf_crop_and_resize" as "half_pixel" }))).toThrow(/'coordinate_transformation_mode' must be one of/);
    expect(() => infer([x], () => op.image.resize2d(x, [4, 4, 4]))).toThrow(/'size' must have 2 values \(output H and W\), got 3/);
    expect(() => infer([x], () => op.image.resize2d(x, [4, 4], { scales: [0, 2] }))).toThrow(/'scales' must be None or two positive numbers/);
    const x3 = tvar("x3", [3, 8, 8]);
    expect(() => infer([x3], () => op.image.resize2d(x3, [4, 4]))).toThrow(/'data' must be 4-D \(NCHW\), got rank 3/);
    const xi = tvar("xi", [1, 1, 2, 2], int32);
    expect(() => infer([xi], () => op.image.resize2d(xi, [4, 4]))).toThrow(/method="linear" needs a float tensor/);
    expectInfo(infer([xi], () => op.image.resize2d(xi, [4, 4], { method: "nearest_neighbor" })), tensor([1, 1, 4, 4], int32));
  });
});

describe("argmax / argmin, cumsum and the logical ops", () => {
  it("argmax / argmin give int64 with or without keepdims", () => {
    const x = tvar("x", [n, 5, 3]);
    expectInfo(infer([x], () => op.argmax(x, 1)), tensor([n, 3], int64));
    expectInfo(infer([x], () => op.argmin(x, -1, true)), tensor([n, 5, 1], int64));
    expectInfo(infer([x], () => op.argmax(x)), tensor([], int64));
    expectInfo(infer([x], () => op.argmax(x, null, true)), tensor([1, 1, 1], int64));
    expect(() => infer([x], () => op.argmax(x, 3))).toThrow(/R.argmax: axis 3 is out of range for a tensor of rank 3/);
    const bx = tvar("bx", [3], bool);
    expect(() => infer([bx], () => op.argmin(bx, 0))).toThrow(/R.argmin: expects a numeric tensor, got dtype bool/);
  });

  it("cumsum keeps the shape (flattens without an axis) and takes an output dtype", () => {
    const x = tvar("x", [n, 4], int32);
    expectInfo(infer([x], () => op.cumsum(x, 1)), tensor([n, 4], int32));
    expectInfo(infer([x], () => op.cumsum(x, 0, { dtype: "int64", exclusive: true, reverse: true })), tensor([n, 4], int64));
    expectInfo(infer([x], () => op.cumsum(x)), tensor([E.mul(n, 4)], int32));
    expect(() => infer([x], () => op.cumsum(x, -3))).toThrow(/R.cumsum: axis -3 is out of range/);
    expect(() => infer([x], () => op.cumsum(x, 0, { dtype: "bool" }))).toThrow(/R.cumsum: cannot sum bool values/);
  });

  it("logical ops take bool tensors and broadcast; isnan / isinf / isfinite give bool", () => {
    const p = tvar("p", [n, 1], bool), q = tvar("q", [3], bool);
    for (const f of [op.logicalAnd, op.logicalOr, op.logicalXor]) expectInfo(infer([p, q], () => f(p, q)), tensor([n, 3], bool));
    expectInfo(infer([p], () => op.logicalNot(p)), tensor([n, 1], bool));
    const x = tvar("x", [n, 3]);
    for (const f of [op.isnan, op.isinf, op.isfinite]) expectInfo(infer([x], () => f(x)), tensor([n, 3], bool));
    expect(() => infer([x, x], () => op.logicalAnd(x, x))).toThrow(/R.logical_and: expects bool tensors, got dtype float32/);
    expect(() => infer([x], () => op.logicalNot(x))).toThrow(/R.logical_not: expects a bool tensor, got dtype float32/);
  });
});

describe("R.topk", () => {
  it("gives (values, indices) or one of them, with k on the axis", () => {
    const x = tvar("x", [n, 8]);
    expectInfo(infer([x], () => op.topk(x, 3)), new TupleStructInfo([tensor([n, 3]), tensor([n, 3], int32)]));
    expectInfo(infer([x], () => op.topk(x, 2, { axis: 0, retType: "indices", dtype: "int64" })), tensor([2, 8], int64));
    expectInfo(infer([x], () => op.topk(x, 5, { retType: "values" })), tensor([n, 5]));
    expect(() => infer([x], () => op.topk(x, 9))).toThrow(/R.topk: k=9 is larger than the extent 8 of axis 1/);
    expect(() => infer([x], () => op.topk(x, 0))).toThrow(/k must be at least 1, got 0/);
    expect(() => infer([x], () => op.topk(x, 1, { retType: "both_sorted" as "both" }))).toThrow(/ret_type must be "both", "values" or "indices"/);
    expect(() => infer([x], () => op.topk(x, 1, { dtype: "float32" }))).toThrow(/index dtype must be a signed integer type, got float32/);
  });
});

describe("R.nn.group_norm and R.nn.instance_norm", () => {
  it("keep the input's struct info and check per-channel parameters", () => {
    const x = tvar("x", [n, 6, 4, 4]), g = tvar("g", [6]), bt = tvar("bt", [6]);
    expectInfo(infer([x, g, bt], () => op.nn.groupNorm(x, g, bt, 3)), tensor([n, 6, 4, 4]));
    expectInfo(infer([x, g, bt], () => op.nn.instanceNorm(x, g, bt)), tensor([n, 6, 4, 4]));
    expect(() => infer([x, g, bt], () => op.nn.groupNorm(x, g, bt, 4))).toThrow(/R.nn.group_norm: 6 channels of 'data' \(n, 6, 4, 4\) do not divide into 4 groups/);
    const g5 = tvar("g5", [5]);
    expect(() => infer([x, g5, bt], () => op.nn.instanceNorm(x, g5, bt))).toThrow(/'gamma' \(5,\) does not match the 6 channels \(axis 1\)/);
    expect(() => infer([x, g, bt], () => op.nn.instanceNorm(x, g, bt, { channelAxis: 0 }))).toThrow(/channel_axis 0 is the batch axis/);
    expect(() => infer([x, g, bt], () => op.nn.groupNorm(x, g, bt, 0))).toThrow(/num_groups must be positive, got 0/);
  });
});

describe("R.nn.conv2d_transpose", () => {
  it("computes the output extent and channels (IOHW weight, groups)", () => {
    const x = tvar("x", [n, 4, 5, 7]), w = tvar("w", [4, 3, 3, 2]);
    // H: (5 - 1) * 2 - 1 - 0 + 1 * 2 + 1 + 1 = 11; W: (7 - 1) * 3 - 0 - 1 + 2 * 1 + 2 + 1 = 22.
    expectInfo(infer([x, w], () => op.nn.conv2dTranspose(x, w, { strides: [2, 3], padding: [1, 0, 0, 1], outputPadding: [1, 2], dilation: [1, 2], groups: 2 })), tensor([n, 6, 11, 22]));
    const h = sym("h");
    const xs = tvar("xs", [1, 4, h, 4]);
    expectInfo(infer([xs, w], () => op.nn.conv2dTranspose(xs, w, { strides: [2, 2] })), tensor([1, 3, E.add(E.mul(h, 2), 1), 8]));
  });

  it("rejects bad channels, output padding and layouts", () => {
    const x = tvar("x", [1, 4, 5, 5]), w = tvar("w", [3, 2, 3, 3]);
    expect(() => infer([x, w], () => op.nn.conv2dTranspose(x, w))).toThrow(/'data' \(1, 4, 5, 5\) has 4 channels but 'weight' \(3, 2, 3, 3\) \(IOHW\) expects 3/);
    const w4 = tvar("w4", [4, 2, 3, 3]);
    expect(() => infer([x, w4], () => op.nn.conv2dTranspose(x, w4, { strides: [2, 2], outputPadding: [2, 0] }))).toThrow(/output_padding 2 must be >= 0 and smaller than the stride \(2\)/);
    expect(() => infer([x, w4], () => op.nn.conv2dTranspose(x, w4, { groups: 3 }))).toThrow(/4 input channels do not divide into 3 groups/);
    expect(() => infer([x, w4], () => op.nn.conv2dTranspose(x, w4, { padding: [4, 4] }))).toThrow(/the padding crops the whole output/);
  });
});

describe("TVMScript round trip", () => {
  it("prints and parses the new calls", () => {
    const text = `
from tvm.script import ir as I
from tvm.script import relax as R

@I.ir_module
class Module:
    @R.function
    def main(q: R.Tensor(("b", "s", 2, 4), dtype="float32"), m: R.Tensor((1, 2, 3, 3), dtype="float32"), c: R.Tensor((2,), dtype="float32")) -> R.Tensor(("b", "s", 2, 4), dtype="float32"):
        b = T.int64()
        s = T.int64()
        with R.dataflow():
            lv = R.nn.attention(q, q, q, scale=0.5, causal_mask="TopLeft")
            lv1 = R.image.resize2d(m, R.shape([6, 5]), method="nearest_neighbor", coordinate_transformation_mode="asymmetric", rounding_method="floor", scales=[2.0, 1.5])
            lv2 = R.argmax(m, axis=1, keepdims=True, select_last_index=True)
            lv3 = R.cumsum(m, axis=3, exclusive=True, reverse=True)
            lv4 = R.nn.group_norm(m, c, c, num_groups=2, channel_axis=1, epsilon=1e-3)
            lv5 = R.logical_not(R.isnan(m))
            lv6 = R.nn.attention(q, q, q, m)
            lv7 = R.topk(m, k=2, axis=1, ret_type="both", largest=False, dtype="int64")
            lv8 = R.nn.conv2d_transpose(m, R.permute_dims(m, axes=[1, 0, 2, 3]), strides=[2, 2], output_padding=[1, 1])
            lv9 = R.cumsum(m)
            lv10 = R.image.resize2d(m, R.shape([s, 4]))
            lv11 = R.nn.instance_norm(m, c, c)
            gv = lv
            R.output(gv)
        return gv
`;
    const mod = parseRelaxScript(text.replace("from tvm.script import relax as R", "from tvm.script import tir as T\nfrom tvm.script import relax as R"));
    const again = parseRelaxScript(printRelax(mod));
    expect(structuralEqual(mod, again)).toBe(true);
    const printed = printRelax(mod);
    expect(printed).toContain('R.nn.attention(q, q, q, scale=0.5, causal_mask="TopLeft")');
    expect(printed).toContain("R.image.resize2d(m, R.shape([6, 5])");
  });
});
