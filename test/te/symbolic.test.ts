import { describe, expect, it } from "vitest";
import { int64 } from "../../src/ir/dtype.js";
import { SizeVar, Var } from "../../src/ir/expr.js";
import { collectVars } from "../../src/ir/expr_functor.js";
import { createPrimFunc, placeholder, topi } from "../../src/te/index.js";
import { Rng, build, get, nd, rand, runAndCheck } from "./te_harness.js";

const tol = { rtol: 1e-5, atol: 1e-5 };

describe("symbolic shapes", () => {
  const rng = new Rng(81);

  it("softmax over (n, 128): buffers keep the symbolic dim; runs with n = 3", () => {
    const n = new SizeVar("n");
    const X = placeholder([n, 128], "float32", "X");
    const Y = topi.softmax(X, 1);
    const f = createPrimFunc([X, Y]);
    for (const b of f.bufferMap.values()) expect(b.shape[0]).toBe(n);
    const x = rand(rng, [3, 128]);
    const rx = nd(x);
    const ref = build([3, 128], ([i, j]) => {
      const row = Array.from({ length: 128 }, (_, k) => get(rx, [i!, k]));
      const m = Math.max(...row);
      return Math.exp(get(rx, [i!, j!]) - m) / row.reduce((s, v) => s + Math.exp(v - m), 0);
    });
    runAndCheck([X], Y, [x], ref, { rtol: 1e-5, atol: 1e-7 });
  });

  it("int64 (Relax-style) shapes: layer_norm over [n, 8]", () => {
    const n = new SizeVar("n", int64);
    const X = placeholder([n, 8], "float32", "X");
    const Y = topi.layerNorm(X, undefined, undefined, -1);
    expect(Y.shape.every((d) => d.dtype === int64)).toBe(true);
    const x = rand(rng, [2, 8]);
    const rx = nd(x);
    const ref = build([2, 8], ([i, j]) => {
      const row = Array.from({ length: 8 }, (_, k) => get(rx, [i!, k]));
      const m = row.reduce((a, b) => a + b) / 8;
      const v = row.reduce((a, b) => a + (b - m) ** 2, 0) / 8;
      return (get(rx, [i!, j!]) - m) / Math.sqrt(v + 1e-5);
    });
    runAndCheck([X], Y, [x], ref, { rtol: 1e-4, atol: 1e-4 });
  });

  it("matmul with a symbolic batch and broadcasting add with two symbolic dims", () => {
    const n = new SizeVar("n"), m = new SizeVar("m");
    const A = placeholder([n, 4], "float32", "A");
    const W = placeholder([4, 3], "float32", "W");
    const a = rand(rng, [5, 4]), w = rand(rng, [4, 3]);
    const ra = nd(a), rw = nd(w);
    const ref = build([5, 3], ([i, j]) => [0, 1, 2, 3].reduce((s, k) => s + get(ra, [i!, k]) * get(rw, [k, j!]), 0));
    runAndCheck([A, W], topi.matmul(A, W), [a, w], ref, tol);
    const P = placeholder([n, 1], "float32", "P");
    const Q = placeholder([1, m], "float32", "Q");
    const S = topi.add(P, Q);
    expect(S.shape).toEqual([n, m]);
    const p = rand(rng, [2, 1]), q = rand(rng, [1, 3]);
    runAndCheck([P, Q], S, [p, q], build([2, 3], ([i, j]) => get(nd(p), [i!, 0]) + get(nd(q), [0, j!])), tol);
    // Two different symbolic dims are assumed equal (TVM's rule); the first one is kept.
    const R = placeholder([m], "float32", "R");
    expect(topi.add(placeholder([n], "float32", "N1"), R).shape).toEqual([n]);
  });

  it("reshape [n, 4] -> [-1, 2] infers n * 4 / 2", () => {
    const n = new SizeVar("n");
    const X = placeholder([n, 4], "float32", "X");
    const Y = topi.reshape(X, [-1, 2]);
    expect(collectVars(Y.shape[0]!)).toEqual([n]);
    const x = rand(rng, [3, 4]);
    runAndCheck([X], Y, [x], { shape: [6, 2], data: nd(x).data }, { rtol: 0, atol: 0 });
  });

  it("conv2d and max pooling with symbolic batch, height and width", () => {
    const n = new SizeVar("n"), h = new SizeVar("h"), w = new SizeVar("w");
    const X = placeholder([n, 2, h, w], "float32", "X");
    const K = placeholder([3, 2, 3, 3], "float32", "K");
    const Y = topi.conv2d(X, K, { padding: 1, strides: 2 });
    const x = rand(rng, [1, 2, 5, 4]), k = rand(rng, [3, 2, 3, 3]);
    const rx = nd(x), rk = nd(k);
    const ref = build([1, 3, 3, 2], ([, o, i, j]) => {
      let s = 0;
      for (let c = 0; c < 2; c++)
        for (let a = 0; a < 3; a++)
          for (let b = 0; b < 3; b++) {
            const y = i! * 2 + a - 1, z = j! * 2 + b - 1;
            if (y >= 0 && y < 5 && z >= 0 && z < 4) s += get(rx, [0, c, y, z]) * get(rk, [o!, c, a, b]);
          }
      return s;
    });
    runAndCheck([X, K], Y, [x, k], ref, tol);
    const P = topi.maxPool2d(X, { kernel: 2, strides: 2, ceilMode: true });
    const refP = build([1, 2, 3, 2], ([, c, i, j]) => {
      let best = -Infinity;
      for (let a = 0; a < 2; a++) for (let b = 0; b < 2; b++) if (2 * i! + a < 5) best = Math.max(best, get(rx, [0, c!, 2 * i! + a, 2 * j! + b]));
      return best;
    });
    runAndCheck([X], P, [x], refP, tol);
  });

  it("strided_slice, concat, sum and argmax over symbolic dims", () => {
    const n = new SizeVar("n"), m = new SizeVar("m");
    const X = placeholder([n, 3], "float32", "X");
    const x = rand(rng, [6, 3]);
    const rx = nd(x);
    runAndCheck([X], topi.stridedSlice(X, [1], [-1], [2]), [x], build([2, 3], ([i, j]) => get(rx, [1 + 2 * i!, j!])), { rtol: 0, atol: 0 });
    runAndCheck([X], topi.stridedSlice(X, [-2], [-100], [-1]), [x], build([5, 3], ([i, j]) => get(rx, [4 - i!, j!])), { rtol: 0, atol: 0 });
    const Z = placeholder([m, 3], "float32", "Z");
    const z = rand(rng, [2, 3]);
    runAndCheck([X, Z], topi.concat([X, Z], 0), [x, z], { shape: [8, 3], data: [...rx.data, ...nd(z).data] }, { rtol: 0, atol: 0 });
    runAndCheck([X], topi.sum(X, 0), [x], build([3], ([j]) => [0, 1, 2, 3, 4, 5].reduce((s, i) => s + get(rx, [i, j!]), 0)), tol);
    runAndCheck([X], topi.argmax(X, 0), [x], build([3], ([j]) => {
      let bi = 0;
      for (let i = 1; i < 6; i++) if (get(rx, [i, j!]) > get(rx, [bi, j!])) bi = i;
      return bi;
    }), { rtol: 0, atol: 0 });
  });

  it("a plain Var dim passed as a scalar parameter", () => {
    const n = new Var("n");
    const X = placeholder([n], "float32", "X");
    const Y = topi.exp(X);
    const f = createPrimFunc([X, Y, n]);
    expect(f.params.map((p) => p.name)).toEqual(["X", "T_exp", "n"]);
  });
});
