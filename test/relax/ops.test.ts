import { describe, expect, it } from "vitest";
import { bool, float16, float32, int32, int64 } from "../../src/ir/dtype.js";
import { GlobalVar } from "../../src/ir/expr.js";
import * as E from "../../src/ir/expr_ops.js";
import { IRModule } from "../../src/ir/module.js";
import { structuralEqual } from "../../src/ir/structural.js";
import {
  BlockBuilder, Constant, ShapeStructInfo, StructInfo, TensorStructInfo, TupleStructInfo, Var, op, type Call, type Expr,
} from "../../src/relax/index.js";
import { parsePrimFunc } from "../../src/tir/script/index.js";
import { sym, tensor, tvar } from "./helpers.js";

/** The struct info the builder infers for `make(...)` over fresh params. */
function infer(params: readonly Var[], make: () => Expr, mod?: IRModule): StructInfo {
  const bb = new BlockBuilder(mod);
  bb.beginFunction("f", params);
  const v = bb.emit(make());
  bb.endFunction(v);
  return v.structInfo;
}

function expectInfo(got: StructInfo, want: StructInfo): void {
  if (!structuralEqual(got, want)) throw new Error(`inferred ${op.sinfoText(got)}, expected ${op.sinfoText(want)}`);
}

const n = sym("n"), m = sym("m");

describe("elementwise ops", () => {
  it("unary keeps the struct info; float-only math rejects ints", () => {
    const x = tvar("x", [n, 3]);
    for (const f of [op.exp, op.log, op.sqrt, op.tanh, op.sigmoid, op.negative, op.abs, op.nn.relu, op.nn.gelu, op.nn.silu]) {
      expectInfo(infer([x], () => f(x)), tensor([n, 3]));
    }
    const i = tvar("i", [3], int32);
    expectInfo(infer([i], () => op.abs(i)), tensor([3], int32));
    expect(() => infer([i], () => op.exp(i))).toThrow(/R.exp: expects a float tensor, got dtype int32/);
    const s = new Var("s", new ShapeStructInfo(1));
    expect(() => infer([s], () => op.exp(s))).toThrow(/R.exp: argument 'x' must be a tensor, got R.Shape\(ndim=1\)/);
    expectInfo(infer([], () => op.exp(new Constant(float32, [2], [1, 2]))), tensor([2]));
  });

  it("binary ops broadcast symbolic shapes numpy-style", () => {
    const a = tvar("a", [n, 1, 4]), b = tvar("b", [m, 1]);
    expectInfo(infer([a, b], () => op.add(a, b)), tensor([n, m, 4]));
    const c = tvar("c", [n, 4]), d = tvar("d", [4]);
    expectInfo(infer([c, d], () => op.multiply(c, d)), tensor([n, 4]));
    expectInfo(infer([c, d], () => op.less(c, d)), tensor([n, 4], bool));
    // n vs m: unknown until run time; the rank is still known.
    const e = tvar("e", [n]), f = tvar("f", [m]);
    expectInfo(infer([e, f], () => op.subtract(e, f)), new TensorStructInfo(1, float32));
  });

  it("binary op errors name the op, both shapes and the dtypes", () => {
    const a = tvar("a", [n, 3]), b = tvar("b", [n, 4]);
    expect(() => infer([a, b], () => op.add(a, b))).toThrow(/R.add: shapes \(n, 3\) \('x1'\) and \(n, 4\) \('x2'\) are not broadcastable: dimension 3 vs 4/);
    const i = tvar("i", [3], int32), x = tvar("x", [3]);
    expect(() => infer([i, x], () => op.maximum(i, x))).toThrow(/R.maximum: dtype mismatch: 'x1' is int32 but 'x2' is float32/);
    const s = new Var("s", new ShapeStructInfo(2));
    expect(() => infer([s, x], () => op.add(s, x))).toThrow(/R.add: argument 'x1' must be a tensor, got R.Shape\(ndim=2\)/);
  });

  it("where broadcasts all three and needs a bool condition; astype changes the dtype", () => {
    const c = tvar("c", [n, 1], bool), a = tvar("a", [4]), b = tvar("b", [1]);
    expectInfo(infer([c, a, b], () => op.where(c, a, b)), tensor([n, 4]));
    expect(() => infer([a, a, b], () => op.where(a, a, b))).toThrow(/'condition' must be a bool tensor/);
    expectInfo(infer([a], () => op.astype(a, "float16")), tensor([4], float16));
  });
});

describe("matmul and linear", () => {
  it("batched, broadcast and 1-D cases", () => {
    const a = tvar("a", [n, 2, 3]), b = tvar("b", [3, 5]);
    expectInfo(infer([a, b], () => op.matmul(a, b)), tensor([n, 2, 5]));
    const v = tvar("v", [3]);
    expectInfo(infer([a, v], () => op.matmul(a, v)), tensor([n, 2]));
    expectInfo(infer([v, b], () => op.matmul(v, b)), tensor([5]));
    expectInfo(infer([v, v], () => op.matmul(v, v)), tensor([]));
    const p = tvar("p", [4, 1, 2, 3]), q = tvar("q", [7, 3, 6]);
    expectInfo(infer([p, q], () => op.matmul(p, q)), tensor([4, 7, 2, 6]));
    expectInfo(infer([a, b], () => op.matmul(a, b, "float16")), tensor([n, 2, 5], float16));
  });

  it("a reduction-dim mismatch names both shapes", () => {
    const a = tvar("a", [2, 3]), b = tvar("b", [4, 5]);
    expect(() => infer([a, b], () => op.matmul(a, b))).toThrow(/R.matmul: reduction dimension mismatch: 'x1' \(2, 3\) has 3 columns but 'x2' \(4, 5\) has 4 rows/);
  });

  it("linear is x @ w^T + b", () => {
    const x = tvar("x", [n, 768]), w = tvar("w", [256, 768]), b = tvar("b", [256]);
    expectInfo(infer([x, w, b], () => op.linear(x, w, b)), tensor([n, 256]));
  });
});

describe("shape manipulation", () => {
  const x = tvar("x", [n, 3, 4]);
  it("permute_dims, expand_dims, squeeze", () => {
    expectInfo(infer([x], () => op.permuteDims(x, [2, 0, 1])), tensor([4, n, 3]));
    expectInfo(infer([x], () => op.permuteDims(x)), tensor([4, 3, n]));
    expect(() => infer([x], () => op.permuteDims(x, [0, 1]))).toThrow(/must list each of the 3 axes/);
    expectInfo(infer([x], () => op.expandDims(x, [0, -1])), tensor([1, n, 3, 4, 1]));
    const y = tvar("y", [1, n, 1]);
    expectInfo(infer([y], () => op.squeeze(y, [0, 2])), tensor([n]));
    expect(() => infer([x], () => op.squeeze(x, [1]))).toThrow(/axis 1 of 'x' \(n, 3, 4\) has extent 3, not 1/);
    expect(() => infer([x], () => op.expandDims(x, 5))).toThrow(/axis 5 is out of range for a tensor of rank 4/);
  });

  it("reshape infers -1 and keeps a shape var", () => {
    expectInfo(infer([x], () => op.reshape(x, [-1, 4])), tensor([E.mul(n, 3), 4]));
    expect(() => infer([x], () => op.reshape(x, [-1, -1]))).toThrow(/more than one -1/);
    const s = new Var("s", new ShapeStructInfo([m, 2]));
    const t = tvar("t", [m, 2]);
    const got = infer([t, s], () => op.reshape(t, s)) as TensorStructInfo;
    expect(got.shape).toBe(s);
  });

  it("concat sums the axis and checks the others", () => {
    const a = tvar("a", [n, 3]), b = tvar("b", [m, 3]);
    expectInfo(infer([a, b], () => op.concat([a, b], 0)), tensor([E.add(n, m), 3]));
    const c = tvar("c", [n, 4]);
    expect(() => infer([a, c], () => op.concat([a, c], 0))).toThrow(/tensors\[0\] \(n, 3\) and tensors\[1\] \(n, 4\) differ on axis 1/);
  });

  it("split by sections or indices gives a tuple", () => {
    const a = tvar("a", [6, n]);
    expectInfo(infer([a], () => op.split(a, 3, 0)), new TupleStructInfo([tensor([2, n]), tensor([2, n]), tensor([2, n])]));
    expectInfo(infer([a], () => op.split(a, [1, 4], 0)), new TupleStructInfo([tensor([1, n]), tensor([3, n]), tensor([2, n])]));
    expect(() => infer([a], () => op.split(a, 4, 0))).toThrow(/does not split into 4 equal sections/);
  });

  it("broadcast_to checks compatibility", () => {
    const a = tvar("a", [1, 3]);
    expectInfo(infer([a], () => op.broadcastTo(a, [n, 2, 3])), tensor([n, 2, 3]));
    expect(() => infer([a], () => op.broadcastTo(a, [2, 4]))).toThrow(/cannot broadcast 'x' of shape \(1, 3\) to \(2, 4\)/);
  });

  it("strided_slice and take", () => {
    const a = tvar("a", [10, n]);
    expectInfo(infer([a], () => op.stridedSlice(a, [0], [2], [8], { strides: [3] })), tensor([2, n]));
    expectInfo(infer([a], () => op.stridedSlice(a, [0], [-4], [100])), tensor([4, n]));
    expectInfo(infer([a], () => op.stridedSlice(a, [1], [0], [m], { assumeInbound: true })), tensor([10, m]));
    const idx = tvar("idx", [m], int64);
    expectInfo(infer([a, idx], () => op.take(a, idx, 1)), tensor([10, m]));
    expectInfo(infer([a, idx], () => op.take(a, idx)), tensor([m]));
    expect(() => infer([a, a], () => op.take(a, a, 0))).toThrow(/'indices' must be an integer tensor/);
  });

  it("reductions with axis and keepdims", () => {
    expectInfo(infer([x], () => op.sum(x, [1])), tensor([n, 4]));
    expectInfo(infer([x], () => op.mean(x, [-1], true)), tensor([n, 3, 1]));
    expectInfo(infer([x], () => op.max(x)), tensor([]));
    expectInfo(infer([x], () => op.min(x, [0, 2], true)), tensor([1, 3, 1]));
    expect(() => infer([x], () => op.sum(x, [1, -2]))).toThrow(/repeat an axis/);
  });
});

describe("nn ops", () => {
  it("softmax and layer_norm", () => {
    const x = tvar("x", [n, 768]), g = tvar("g", [768]), b = tvar("b", [768]);
    expectInfo(infer([x], () => op.nn.softmax(x, 1)), tensor([n, 768]));
    expectInfo(infer([x], () => op.nn.logSoftmax(x)), tensor([n, 768]));
    expect(() => infer([x], () => op.nn.softmax(x, 2))).toThrow(/axis 2 is out of range/);
    expectInfo(infer([x, g, b], () => op.nn.layerNorm(x, g, b)), tensor([n, 768]));
    const bad = tvar("bad", [512]);
    expect(() => infer([x, bad, b], () => op.nn.layerNorm(x, bad, b))).toThrow(/'gamma' \(512,\) does not match axis 1 of 'x' \(n, 768\)/);
  });

  it("conv2d with stride, padding, dilation and groups", () => {
    const data = tvar("data", [n, 16, 32, 32]), w = tvar("w", [32, 4, 3, 3]);
    expectInfo(
      infer([data, w], () => op.nn.conv2d(data, w, { strides: [2, 2], padding: [1, 1], groups: 4 })),
      tensor([n, 32, 16, 16]),
    );
    const w2 = tvar("w2", [8, 16, 3, 3]);
    expectInfo(infer([data, w2], () => op.nn.conv2d(data, w2, { dilation: [2, 2] })), tensor([n, 8, 28, 28]));
    const w3 = tvar("w3", [8, 3, 3, 3]);
    expect(() => infer([data, w3], () => op.nn.conv2d(data, w3))).toThrow(/'data' \(n, 16, 32, 32\) has 16 channels but 'weight' \(8, 3, 3, 3\) expects 3 x groups 1/);
    const flat = tvar("flat", [16, 32]);
    expect(() => infer([flat, w], () => op.nn.conv2d(flat, w))).toThrow(/'data' must be 4-D/);
  });

  it("pooling, with ceil mode", () => {
    const x = tvar("x", [1, 8, 7, 7]);
    expectInfo(infer([x], () => op.nn.maxPool2d(x, [2, 2], { strides: [2, 2] })), tensor([1, 8, 3, 3]));
    expectInfo(infer([x], () => op.nn.avgPool2d(x, [2, 2], { strides: [2, 2], ceilMode: true })), tensor([1, 8, 4, 4]));
    expectInfo(infer([x], () => op.nn.maxPool2d(x, [3, 3], { padding: [1, 1, 1, 1] })), tensor([1, 8, 7, 7]));
  });
});

describe("cross-level calls", () => {
  const prim = parsePrimFunc(`
@T.prim_func
def add_one(A: T.Buffer((4,), "float32"), B: T.Buffer((4,), "float32")):
    for i in range(4):
        with T.block("B"):
            vi = T.axis.spatial(4, i)
            B[vi] = A[vi] + T.float32(1)
`);
  const mod = new IRModule([["add_one", prim]]);

  it("call_tir returns out_sinfo and checks the PrimFunc's arity", () => {
    const x = tvar("x", [4]);
    const gv = mod.getGlobalVar("add_one");
    expectInfo(infer([x], () => op.callTir(gv, [x], tensor([4])), mod), tensor([4]));
    expect(() => infer([x], () => op.callTir(gv, [x, x], tensor([4])), mod)).toThrow(/PrimFunc 'add_one' takes 2 parameter\(s\) but the call passes 2 input\(s\) \+ 1 output/);
    expect(() => infer([x], () => op.callTir(gv, [x], new ShapeStructInfo(1)), mod)).toThrow(/out_sinfo must be an R.Tensor/);
    expect(() => infer([x], () => op.callTir(new GlobalVar("nope"), [x], tensor([4])))).not.toThrow();
  });

  it("packed calls and shape_of", () => {
    const x = tvar("x", [n, 2]);
    expectInfo(infer([x], () => op.callDpsPacked("my_kernel", [x], tensor([n, 2]))), tensor([n, 2]));
    expectInfo(infer([x], () => op.callPurePacked("my_fn", [x, x], tensor([2]))), tensor([2]));
    expectInfo(infer([x], () => op.shapeOf(x)), new ShapeStructInfo([n, 2]));
    const call = op.callPurePacked("f", [x], tensor([1])) as Call;
    expect(call.sinfoArgs.length).toBe(1);
  });
});
