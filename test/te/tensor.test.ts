import { describe, expect, it } from "vitest";
import { DataType, float32, int64 } from "../../src/ir/dtype.js";
import { IntImm, SizeVar, Var } from "../../src/ir/expr.js";
import { structuralEqual } from "../../src/ir/structural.js";
import { add, convert, mul, select, gt, and } from "../../src/ir/expr_ops.js";
import {
  ComputeOp, PlaceholderOp, Reduce, commReducer, compute, computeMulti, multiCommReducer, placeholder, prod, reduceAxis, sum,
} from "../../src/te/index.js";
import { Rng, build, get, nd, rand, runTE } from "./te_harness.js";
import { toArray } from "../../src/tir/interp/index.js";

describe("placeholder and compute", () => {
  it("records shape, dtype and op", () => {
    const A = placeholder([2, 3], "int8", "A");
    expect(A.op).toBeInstanceOf(PlaceholderOp);
    expect(A.dtype).toBe(DataType.parse("int8"));
    expect(A.shape.map((d) => (d as IntImm).value)).toEqual([2, 3]);
    const B = compute([2, 3], (i, j) => A.at(i, j), "B");
    expect(B.op).toBeInstanceOf(ComputeOp);
    expect((B.op as ComputeOp).axis.map((a) => a.variable.name)).toEqual(["i", "j"]);
    expect(B.op.inputTensors()).toEqual([A]);
  });

  it("names axes from the fcompute's parameters, falling back to i0, i1, ...", () => {
    const A = placeholder([2, 3], "float32", "A");
    const fromFn = compute([2, 3], function (row, col) {
      return A.at(row, col);
    });
    expect((fromFn.op as ComputeOp).axis.map((a) => a.variable.name)).toEqual(["row", "col"]);
    const rest = compute([2, 3], (...idx) => A.at(idx[0]!, idx[1]!));
    expect((rest.op as ComputeOp).axis.map((a) => a.variable.name)).toEqual(["i0", "i1"]);
    const single = compute([2], x => A.at(x, 0));
    expect((single.op as ComputeOp).axis.map((a) => a.variable.name)).toEqual(["x"]);
    const named = compute([2, 3], (...idx) => A.at(idx[0]!, idx[1]!), "N", { axisNames: ["p", "q"] });
    expect((named.op as ComputeOp).axis.map((a) => a.variable.name)).toEqual(["p", "q"]);
  });

  it("uses int64 indices when any dimension is int64", () => {
    const n = new SizeVar("n", int64);
    const A = placeholder([n, 4], "float32", "A");
    expect(A.shape.map((d) => d.dtype)).toEqual([int64, int64]);
    const B = compute(A.shape, (i, j) => A.at(i, j));
    expect((B.op as ComputeOp).axis.map((a) => a.variable.dtype)).toEqual([int64, int64]);
  });

  it("rejects bad shapes, index counts and bodies with clear messages", () => {
    expect(() => placeholder([2, -1], "float32", "A")).toThrow(/placeholder A: shape \[2, -1\] has an invalid dimension -1 at position 1/);
    expect(() => placeholder([2.5], "float32", "A")).toThrow(/invalid dimension 2.5/);
    expect(() => placeholder([2], "float32x4", "V")).toThrow(/element dtype must be scalar/);
    const A = placeholder([2, 3], "float32", "A");
    expect(() => compute([2], (i) => A.at(i))).toThrow(/tensor A has 2 dimension\(s\) \[2, 3\] but is indexed with 1/);
    expect(() => compute([2], (i) => A.at(i, 0.5))).toThrow();
    expect(() => compute([2], () => [1, 2] as never)).toThrow(/use computeMulti/);
    expect(() => compute([2], (i) => A.at(i, "x" as never))).toThrow(/tensor A: index 1 must be a PrimExpr, number or IterVar, got x/);
    // An IterVar indexes like its variable.
    const k = reduceAxis(3, "k");
    const S = compute([2], (i) => sum(A.at(i, k), k), "S");
    expect(S.op.inputTensors()).toEqual([A]);
  });

  it("rejects a reduction nested inside an expression", () => {
    const A = placeholder([4], "float32", "A");
    const k = reduceAxis(4, "k");
    expect(() => compute([1], () => add(sum(A.at(k.variable), k), 1), "bad")).toThrow(
      /compute bad: a reduction \(sum\) must be the whole body of a compute/,
    );
  });

  it("rejects a reduction axis used outside its reduction", () => {
    const A = placeholder([4], "float32", "A");
    const k = reduceAxis(4, "k");
    expect(() => compute([4], () => A.at(k.variable), "bad")).toThrow(/uses axis variable k, which is neither an axis of this compute/);
    const B = compute([4], (i) => A.at(i), "B");
    const other = (B.op as ComputeOp).axis[0]!.variable;
    expect(() => compute([4], () => A.at(other), "bad2")).toThrow(/uses axis variable i/);
  });

  it("checks reduce axes", () => {
    const A = placeholder([4], "float32", "A");
    const B = compute([4], (i) => A.at(i), "B");
    const spatial = (B.op as ComputeOp).axis[0]!;
    expect(() => sum(A.at(0), spatial)).toThrow(/axis i is a DataPar axis; reductions need axes made by reduceAxis/);
    const k = reduceAxis(4, "k");
    expect(() => sum(A.at(k.variable), [k, k])).toThrow(/axis k is given twice/);
    expect(() => sum(A.at(0), [])).toThrow(/at least one reduction axis/);
    expect(() => reduceAxis(convert(2.0, float32) as never, "f")).toThrow(/must be a scalar integer/);
    const r = reduceAxis([2, 5], "r");
    expect((r.dom.min as IntImm).value).toBe(2);
    expect((r.dom.extent as IntImm).value).toBe(3);
  });
});

describe("reducers", () => {
  it("Reduce nodes compare structurally (bound axis and reducer variables by position)", () => {
    const A = placeholder([4], "float32", "A");
    const k1 = reduceAxis(4, "k"), k2 = reduceAxis(4, "r");
    const r1 = sum(A.at(k1.variable), k1), r2 = sum(A.at(k2.variable), k2);
    expect(structuralEqual(r1, r2)).toBe(true);
    expect(structuralEqual(r1, prod(A.at(k2.variable), k2))).toBe(false);
    expect(structuralEqual(r1, sum(A.at(k2.variable), k2, gt(k2.variable, 0)))).toBe(false);
  });

  it("sum over a reduce axis with a non-zero start", () => {
    const A = placeholder([3, 6], "float32", "A");
    const r = reduceAxis([2, 5], "r");
    const S = compute([3], (i) => sum(A.at(i, r.variable), r), "S");
    const rng = new Rng(5);
    const a = rand(rng, [3, 6]);
    const ra = nd(a);
    const [out] = runTE([A], [S], [a], [[3]]);
    const ref = build([3], ([i]) => get(ra, [i!, 2]) + get(ra, [i!, 3]) + get(ra, [i!, 4]));
    toArray(out!).forEach((v, p) => expect(v).toBeCloseTo(ref.data[p]!, 5));
  });

  it("prod and a user-defined reducer (sum of absolute values)", () => {
    const A = placeholder([2, 4], "float32", "A");
    const k = reduceAxis(4, "k");
    const P = compute([2], (i) => prod(A.at(i, k.variable), k), "P");
    const absSum = commReducer((x, y) => add(x, y), (t) => convert(0, t), "abs_sum");
    const k2 = reduceAxis(4, "k");
    const L1 = compute([2], (i) => {
      const v = A.at(i, k2.variable);
      return absSum(select(gt(v, 0), v, mul(v, -1)), k2);
    }, "L1");
    expect((L1.op as ComputeOp).body[0]).toBeInstanceOf(Reduce);
    const rng = new Rng(6);
    const a = rand(rng, [2, 4]);
    const ra = nd(a);
    const [p, l1] = runTE([A], [P, L1], [a], [[2], [2]]);
    const refP = build([2], ([i]) => [0, 1, 2, 3].reduce((s, kk) => s * get(ra, [i!, kk]), 1));
    const refL = build([2], ([i]) => [0, 1, 2, 3].reduce((s, kk) => s + Math.abs(get(ra, [i!, kk])), 0));
    toArray(p!).forEach((v, q) => expect(v).toBeCloseTo(refP.data[q]!, 5));
    toArray(l1!).forEach((v, q) => expect(v).toBeCloseTo(refL.data[q]!, 5));
  });

  it("a two-value reducer (count and sum of positive entries)", () => {
    const A = placeholder([3, 5], "float32", "A");
    const k = reduceAxis(5, "k");
    const countSum = multiCommReducer(
      ([c0, s0], [c1, s1]) => [add(c0!, c1!), add(s0!, s1!)],
      (ts) => ts.map((t) => convert(0, t)),
      "count_sum",
    );
    const [C, S] = computeMulti([3], (i) => {
      const v = A.at(i, k.variable);
      return countSum([convert(1, float32), v], k, and(gt(v, 0), gt(v, -10)));
    }, "CS");
    const rng = new Rng(7);
    const a = rand(rng, [3, 5]);
    const ra = nd(a);
    const [c, s] = runTE([A], [C!, S!], [a], [[3], [3]]);
    for (let i = 0; i < 3; i++) {
      const pos = [0, 1, 2, 3, 4].map((kk) => get(ra, [i, kk])).filter((v) => v > 0);
      expect(toArray(c!)[i]).toBe(pos.length);
      expect(toArray(s!)[i]).toBeCloseTo(pos.reduce((x, y) => x + y, 0), 5);
    }
  });

  it("rejects a multi-value reduction in a single-output compute, and mismatched identities", () => {
    const A = placeholder([3], "float32", "A");
    const k = reduceAxis(3, "k");
    const two = multiCommReducer(([a, b], [c, d]) => [add(a!, c!), add(b!, d!)], (ts) => ts.map((t) => convert(0, t)), "two");
    expect(() => compute([1], () => two([A.at(k.variable), A.at(k.variable)], k)[0]!, "X")).toThrow(
      /the two reduction produces 2 values but the compute has 1 output/,
    );
    const bad = commReducer((x, y) => add(x, y), () => new Var("z", int64), "bad");
    expect(() => bad(A.at(k.variable), k)).toThrow(/bad: fidentity gave a int64 value where float32 was expected/);
  });
});
