import { describe, expect, it } from "vitest";
import { createPrimFunc, placeholder, topi } from "../../src/te/index.js";
import { Block } from "../../src/tir/stmt.js";
import { postOrderVisitStmt } from "../../src/tir/stmt_functor.js";
import { fromArray, toArray } from "../../src/tir/interp/index.js";
import { Rng, build, get, nd, numel, rand, runAndCheck, unravel, type Nd } from "./te_harness.js";

/** Applies `f` to every 1-D line along `axis`. */
function alongAxis(a: Nd, axis: number, f: (line: number[]) => number[]): Nd {
  const out = [...a.data];
  const outer = a.shape.filter((_, i) => i !== axis);
  for (let p = 0; p < numel(outer); p++) {
    const o = unravel(p, outer);
    const idx = (k: number) => [...o.slice(0, axis), k, ...o.slice(axis)];
    const n = a.shape[axis]!;
    const line = Array.from({ length: n }, (_, k) => get(a, idx(k)));
    const r = f(line);
    for (let k = 0; k < n; k++) {
      let flat = 0;
      idx(k).forEach((v, d) => (flat = flat * a.shape[d]! + v));
      out[flat] = r[k]!;
    }
  }
  return { shape: a.shape, data: out };
}

const softmaxLine = (l: number[]) => {
  const m = Math.max(...l);
  const e = l.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};
const logSoftmaxLine = (l: number[]) => {
  const m = Math.max(...l);
  const s = l.map((v) => Math.exp(v - m)).reduce((a, b) => a + b, 0);
  return l.map((v) => v - m - Math.log(s));
};

describe("softmax", () => {
  const rng = new Rng(51);
  for (const axis of [-1, 0, 1]) {
    it(`softmax and log_softmax over axis ${axis} of [2, 3, 4] (rtol 1e-5)`, () => {
      const X = placeholder([2, 3, 4], "float32", "X");
      const x = rand(rng, [2, 3, 4]);
      const ax = axis < 0 ? axis + 3 : axis;
      runAndCheck([X], topi.softmax(X, axis), [x], alongAxis(nd(x), ax, softmaxLine), { rtol: 1e-5, atol: 1e-6 });
      runAndCheck([X], topi.logSoftmax(X, axis), [x], alongAxis(nd(x), ax, logSoftmaxLine), { rtol: 1e-5, atol: 1e-5 });
    });
  }

  it("is numerically stable for large inputs and has four blocks (max, exp, sum, divide)", () => {
    const X = placeholder([2, 3], "float32", "X");
    const x = fromArray([1000, 1001, 1002, -500, -501, -499], [2, 3]);
    const Y = topi.softmax(X);
    const out = runAndCheck([X], Y, [x], alongAxis(nd(x), 1, softmaxLine), { rtol: 1e-5, atol: 1e-7 });
    expect(toArray(out).every(Number.isFinite)).toBe(true);
    const names: string[] = [];
    postOrderVisitStmt(createPrimFunc([X, Y]).body, (s) => {
      if (s instanceof Block && s.nameHint !== "root") names.push(s.nameHint);
    });
    expect(names).toEqual(["T_softmax_maxelem", "T_softmax_exp", "T_softmax_expsum", "T_softmax_norm"]);
  });

  it("rejects integer input and bad axes", () => {
    expect(() => topi.softmax(placeholder([2, 3], "int32", "I"))).toThrow(/softmax: x must be a float tensor, got int32/);
    expect(() => topi.softmax(placeholder([2, 3]), 2)).toThrow(/softmax: axis 2 is out of range for a 2-D tensor \(expected -2..1\)/);
  });
});

function meanVar(vals: number[]): [number, number] {
  const m = vals.reduce((a, b) => a + b, 0) / vals.length;
  const v = vals.reduce((a, b) => a + (b - m) ** 2, 0) / vals.length;
  return [m, v];
}

describe("normalizations (rtol 1e-4: float32 statistics)", () => {
  const rng = new Rng(52);
  const tol = { rtol: 1e-4, atol: 1e-4 };

  it("layer_norm over the last axis with gamma and beta", () => {
    const X = placeholder([3, 8], "float32", "X");
    const G = placeholder([8], "float32", "G");
    const B = placeholder([8], "float32", "B");
    const x = rand(rng, [3, 8]), g = rand(rng, [8]), b = rand(rng, [8]);
    const rx = nd(x), rg = nd(g), rb = nd(b);
    const ref = build([3, 8], ([i, j]) => {
      const [m, v] = meanVar(Array.from({ length: 8 }, (_, k) => get(rx, [i!, k])));
      return ((get(rx, [i!, j!]) - m) / Math.sqrt(v + 1e-5)) * get(rg, [j!]) + get(rb, [j!]);
    });
    runAndCheck([X, G, B], topi.layerNorm(X, G, B), [x, g, b], ref, tol);
  });

  it("layer_norm over two axes, without affine parameters", () => {
    const X = placeholder([2, 3, 4], "float32", "X");
    const x = rand(rng, [2, 3, 4]);
    const rx = nd(x);
    const ref = build([2, 3, 4], ([i, j, k]) => {
      const [m, v] = meanVar(Array.from({ length: 12 }, (_, p) => get(rx, [i!, Math.floor(p / 4), p % 4])));
      return (get(rx, [i!, j!, k!]) - m) / Math.sqrt(v + 1e-3);
    });
    runAndCheck([X], topi.layerNorm(X, undefined, undefined, [-2, -1], 1e-3), [x], ref, tol);
    expect(() => topi.layerNorm(X, placeholder([4, 3]), undefined, [1, 2])).toThrow(/layer_norm: gamma must have shape \[3, 4\] \(x is \[2, 3, 4\]\), got \[4, 3\]/);
  });

  it("group_norm and instance_norm", () => {
    const X = placeholder([2, 4, 3], "float32", "X");
    const G = placeholder([4], "float32", "G");
    const B = placeholder([4], "float32", "B");
    const x = rand(rng, [2, 4, 3]), g = rand(rng, [4]), b = rand(rng, [4]);
    const rx = nd(x), rg = nd(g), rb = nd(b);
    const grouped = (groups: number) =>
      build([2, 4, 3], ([n, c, w]) => {
        const per = 4 / groups;
        const g0 = Math.floor(c! / per) * per;
        const vals: number[] = [];
        for (let cc = g0; cc < g0 + per; cc++) for (let ww = 0; ww < 3; ww++) vals.push(get(rx, [n!, cc, ww]));
        const [m, v] = meanVar(vals);
        return ((get(rx, [n!, c!, w!]) - m) / Math.sqrt(v + 1e-5)) * get(rg, [c!]) + get(rb, [c!]);
      });
    runAndCheck([X, G, B], topi.groupNorm(X, G, B, 2), [x, g, b], grouped(2), tol);
    runAndCheck([X, G, B], topi.instanceNorm(X, G, B), [x, g, b], grouped(4), tol);
    expect(() => topi.groupNorm(X, G, B, 3)).toThrow(/group_norm: 4 channels of x \[2, 4, 3\] are not divisible into 3 groups/);
  });

  it("float16 layer_norm accumulates in float32 (rtol 2e-3: float16 output rounding)", () => {
    const X = placeholder([2, 6], "float16", "X");
    const x = rand(rng, [2, 6], "float16");
    const rx = nd(x);
    const ref = build([2, 6], ([i, j]) => {
      const [m, v] = meanVar(Array.from({ length: 6 }, (_, k) => get(rx, [i!, k])));
      return (get(rx, [i!, j!]) - m) / Math.sqrt(v + 1e-5);
    });
    const Y = topi.layerNorm(X);
    expect(Y.dtype.toString()).toBe("float16");
    runAndCheck([X], Y, [x], ref, { rtol: 2e-3, atol: 2e-3 });
  });

  it("rms_norm", () => {
    const X = placeholder([2, 5], "float32", "X");
    const W = placeholder([5], "float32", "W");
    const x = rand(rng, [2, 5]), w = rand(rng, [5]);
    const rx = nd(x), rw = nd(w);
    const ref = build([2, 5], ([i, j]) => {
      const ms = Array.from({ length: 5 }, (_, k) => get(rx, [i!, k]) ** 2).reduce((a, b) => a + b) / 5;
      return (get(rx, [i!, j!]) / Math.sqrt(ms + 1e-5)) * get(rw, [j!]);
    });
    runAndCheck([X, W], topi.rmsNorm(X, W), [x, w], ref, tol);
  });

  it("batch_norm (inference) along axis 1", () => {
    const X = placeholder([2, 3, 2], "float32", "X");
    const [M, V, G, B] = ["M", "V", "G", "B"].map((n) => placeholder([3], "float32", n));
    const x = rand(rng, [2, 3, 2]), m = rand(rng, [3]), g = rand(rng, [3]), b = rand(rng, [3]);
    const v = fromArray(toArray(rand(rng, [3])).map((t) => Math.abs(t) + 0.5), [3]);
    const [rx, rm, rv, rg, rb] = [x, m, v, g, b].map(nd);
    const ref = build([2, 3, 2], ([i, c, k]) => ((get(rx!, [i!, c!, k!]) - get(rm!, [c!])) / Math.sqrt(get(rv!, [c!]) + 1e-5)) * get(rg!, [c!]) + get(rb!, [c!]));
    runAndCheck([X, M!, V!, G!, B!], topi.batchNorm(X, M!, V!, G!, B!), [x, m, v, g, b], ref, tol);
    expect(() => topi.batchNorm(X, placeholder([2]), V!)).toThrow(/batch_norm: mean must have shape \[3\] \(x is \[2, 3, 2\]\), got \[2\]/);
  });
});
