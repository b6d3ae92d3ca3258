import { describe, expect, it } from "vitest";
import { placeholder, topi, type ComputeOp, type Tensor } from "../../src/te/index.js";
import { fromArray } from "../../src/tir/interp/index.js";
import { Rng, build, get, nd, numel, rand, runAndCheck, unravel, type Nd } from "./te_harness.js";

/** Reduces `a` over `axes` (all when undefined) with `f` applied to the list of values. */
function reduceRef(a: Nd, axes: number[] | undefined, keepdims: boolean, f: (vals: number[], pos: number[][]) => number): Nd {
  const ax = axes ?? a.shape.map((_, i) => i);
  const red = new Set(ax);
  const outer = a.shape.map((d, i) => (red.has(i) ? 1 : d));
  const inner = ax.map((i) => a.shape[i]!);
  const out = build(outer, (o) => {
    const vals: number[] = [], pos: number[][] = [];
    for (let p = 0; p < numel(inner); p++) {
      const r = unravel(p, inner);
      const idx = [...o];
      ax.forEach((x, q) => (idx[x] = r[q]!));
      vals.push(get(a, idx));
      pos.push(r);
    }
    return f(vals, pos);
  });
  const shape = keepdims ? outer : a.shape.filter((_, i) => !red.has(i));
  return { shape, data: out.data };
}

const sum = (v: number[]) => v.reduce((a, b) => a + b, 0);

describe("reductions", () => {
  const rng = new Rng(61);
  const X = placeholder([2, 3, 4], "float32", "X");
  const x = rand(rng, [2, 3, 4]);
  const rx = nd(x);
  const ops: [string, (t: Tensor, axis?: number | number[], keep?: boolean) => Tensor, (v: number[]) => number][] = [
    ["sum", topi.sum, sum],
    ["mean", topi.mean, (v) => sum(v) / v.length],
    ["max", topi.max, (v) => Math.max(...v)],
    ["min", topi.min, (v) => Math.min(...v)],
    ["prod", topi.prod, (v) => v.reduce((a, b) => a * b, 1)],
  ];
  const axesCases: [number | number[] | undefined, boolean][] = [
    [1, false],
    [-1, true],
    [[0, 2], false],
    [[2, -3], true],
    [undefined, false],
  ];
  for (const [name, op, f] of ops) {
    for (const [axes, keep] of axesCases) {
      it(`${name} over ${JSON.stringify(axes)} keepdims=${keep} (rtol 1e-5)`, () => {
        const list = axes === undefined ? undefined : (typeof axes === "number" ? [axes] : axes).map((a) => (a < 0 ? a + 3 : a)).sort();
        runAndCheck([X], op(X, axes, keep), [x], reduceRef(rx, list, keep, (v) => f(v)), { rtol: 1e-5, atol: 1e-6 });
      });
    }
  }

  it("names the reduction <input>_red with reduce axes k<axis>", () => {
    const Y = topi.sum(X, [0, 2]);
    expect(Y.op.name).toBe("X_red");
    expect((Y.op as ComputeOp).reduceAxis.map((a) => a.variable.name)).toEqual(["k0", "k2"]);
  });

  it("all / any over bools", () => {
    const B = placeholder([2, 3], "bool", "B");
    const b = fromArray([1, 1, 1, 0, 1, 0], [2, 3], "bool");
    runAndCheck([B], topi.all(B, 1), [b], { shape: [2], data: [1, 0] });
    runAndCheck([B], topi.any(B, 0), [b], { shape: [3], data: [1, 1, 1] });
    expect(() => topi.all(X, 1)).toThrow(/all: x has dtype float32, which all does not accept/);
  });

  it("argmax / argmin over an axis and over the flattened tensor", () => {
    // The first index of the best value (row-major position for a flattened reduction).
    const argRef = (better: (a: number, b: number) => boolean) => (vals: number[]) => {
      let bi = 0;
      for (let i = 1; i < vals.length; i++) if (better(vals[i]!, vals[bi]!)) bi = i;
      return bi;
    };
    const gt = (a: number, b: number) => a > b, lt = (a: number, b: number) => a < b;
    runAndCheck([X], topi.argmax(X, 1), [x], reduceRef(rx, [1], false, argRef(gt)), { rtol: 0, atol: 0 });
    runAndCheck([X], topi.argmin(X, -1, { keepdims: true }), [x], reduceRef(rx, [2], true, argRef(lt)), { rtol: 0, atol: 0 });
    runAndCheck([X], topi.argmax(X), [x], reduceRef(rx, undefined, false, argRef(gt)), { rtol: 0, atol: 0 });
    const I = placeholder([2, 4], "int32", "I");
    const ties = fromArray([3, 7, 7, 1, -2, -2, -5, -5], [2, 4], "int32");
    runAndCheck([I], topi.argmax(I, 1), [ties], { shape: [2], data: [1, 0] });
    runAndCheck([I], topi.argmax(I, 1, { selectLastIndex: true }), [ties], { shape: [2], data: [2, 1] });
    runAndCheck([I], topi.argmin(I, 1), [ties], { shape: [2], data: [3, 2] });
    expect(topi.argmax(I, 1).dtype.toString()).toBe("int64");
    expect(topi.argmax(I, 1, { indexDtype: "int32" }).dtype.toString()).toBe("int32");
  });

  it("argmax finds elements equal to the lowest finite value and -inf", () => {
    const F = placeholder([3], "float32", "F");
    runAndCheck([F], topi.argmax(F, 0), [fromArray([-Infinity, -Infinity, -Infinity], [3])], { shape: [], data: [0] });
    runAndCheck([F], topi.argmin(F, 0), [fromArray([Infinity, 5, Infinity], [3])], { shape: [], data: [1] });
  });

  it("reports bad axes", () => {
    expect(() => topi.sum(X, 3)).toThrow(/sum: axis 3 is out of range for a 3-D tensor \(expected -3..2\)/);
    expect(() => topi.sum(X, [1, -2])).toThrow(/sum: axis -2 is repeated in \[1, -2\]/);
    expect(() => topi.argmax(X, 1, { indexDtype: "float32" })).toThrow(/argmax: indexDtype must be a signed integer type, got float32/);
  });
});
