import { describe, expect, it } from "vitest";
import { placeholder, topi } from "../../src/te/index.js";
import { Rng, build, get, nd, rand, runAndCheck, type Nd } from "./te_harness.js";

/** numpy.matmul on Nd arrays, with optional transposes of the last two axes. */
function matmulRef(a: Nd, b: Nd, ta = false, tb = false): Nd {
  const A = a.shape.length === 1 ? { shape: [1, a.shape[0]!], data: a.data } : a;
  const B = b.shape.length === 1 ? { shape: [b.shape[0]!, 1], data: b.data } : b;
  const an = A.shape.length, bn = B.shape.length;
  const M = ta ? A.shape[an - 1]! : A.shape[an - 2]!;
  const K = ta ? A.shape[an - 2]! : A.shape[an - 1]!;
  const N = tb ? B.shape[bn - 2]! : B.shape[bn - 1]!;
  const ba = A.shape.slice(0, -2), bb = B.shape.slice(0, -2);
  const nb = Math.max(ba.length, bb.length);
  const batch = Array.from({ length: nb }, (_, i) => {
    const x = ba[ba.length - nb + i] ?? 1, y = bb[bb.length - nb + i] ?? 1;
    return x === 1 ? y : x;
  });
  const full = build([...batch, M, N], (idx) => {
    const bi = idx.slice(0, nb), i = idx[nb]!, j = idx[nb + 1]!;
    const pick = (bs: number[]) => bs.map((d, q) => (d === 1 ? 0 : bi[nb - bs.length + q]!));
    let s = 0;
    for (let k = 0; k < K; k++) {
      const av = get(A, [...pick(ba), ...(ta ? [k, i] : [i, k])]);
      const bv = get(B, [...pick(bb), ...(tb ? [j, k] : [k, j])]);
      s += av * bv;
    }
    return s;
  });
  const shape = [...batch, ...(a.shape.length === 1 ? [] : [M]), ...(b.shape.length === 1 ? [] : [N])];
  return { shape, data: full.data };
}

// float32 sums of a few products: relative 1e-5 plus a small absolute term for cancellation.
const tol = { rtol: 1e-5, atol: 1e-5 };

describe("matmul", () => {
  const rng = new Rng(21);
  const cases: [number[], number[], boolean, boolean][] = [
    [[3, 4], [4, 5], false, false],
    [[4, 3], [4, 5], true, false],
    [[3, 4], [5, 4], false, true],
    [[4, 3], [5, 4], true, true],
    [[4], [4, 5], false, false],
    [[3, 4], [4], false, false],
    [[4], [4], false, false],
    [[2, 3, 4], [4, 5], false, false],
    [[2, 1, 3, 4], [3, 4, 2], false, false],
    [[1, 3, 4], [2, 5, 4], false, true],
  ];
  for (const [sa, sb, ta, tb] of cases) {
    it(`[${sa}] x [${sb}] transpose_a=${ta} transpose_b=${tb}`, () => {
      const A = placeholder(sa, "float32", "A");
      const B = placeholder(sb, "float32", "B");
      const a = rand(rng, sa), b = rand(rng, sb);
      const C = topi.matmul(A, B, { transposeA: ta, transposeB: tb });
      expect(C.op.name).toBe(`T_matmul_${ta ? "T" : "N"}${tb ? "T" : "N"}`);
      runAndCheck([A, B], C, [a, b], matmulRef(nd(a), nd(b), ta, tb), tol);
    });
  }

  it("accumulates int8 x int8 in int32 with outDtype", () => {
    const A = placeholder([2, 3], "int8", "A");
    const B = placeholder([3, 2], "int8", "B");
    const a = rand(rng, [2, 3], "int8"), b = rand(rng, [3, 2], "int8");
    const C = topi.matmul(A, B, { outDtype: "int32" });
    expect(C.dtype.toString()).toBe("int32");
    runAndCheck([A, B], C, [a, b], matmulRef(nd(a), nd(b)), { rtol: 0, atol: 0 });
  });

  it("names the shapes when inner dimensions differ", () => {
    const A = placeholder([2, 3], "float32", "A");
    const B = placeholder([4, 5], "float32", "B");
    expect(() => topi.matmul(A, B)).toThrow("matmul: inner dimensions differ: A is [2, 3] but B is [4, 5]");
    expect(() => topi.matmul(A, B, { transposeB: true })).toThrow(
      "matmul: inner dimensions differ: A is [2, 3] but B is [4, 5] (transpose_a=false, transpose_b=true)",
    );
    const C = placeholder([2, 3, 3], "float32", "C");
    const D = placeholder([4, 3, 3], "float32", "D");
    expect(() => topi.matmul(C, D)).toThrow("matmul: batch dimensions cannot be broadcast: A is [2, 3, 3] and B is [4, 3, 3]");
    expect(() => topi.matmul(A, placeholder([3, 2], "int32", "I"))).toThrow(/matmul: dtypes differ: A is float32 but B is int32/);
    expect(() => topi.matmul(placeholder([], "float32", "S"), B)).toThrow(/operands must be at least 1-D/);
  });
});

describe("batch_matmul and dense", () => {
  const rng = new Rng(22);
  it("batch_matmul transposes y by default and broadcasts a batch of 1", () => {
    const X = placeholder([2, 3, 4], "float32", "X");
    const Y = placeholder([1, 5, 4], "float32", "Y");
    const x = rand(rng, [2, 3, 4]), y = rand(rng, [1, 5, 4]);
    const Z = topi.batchMatmul(X, Y);
    expect(Z.op.name).toBe("T_batch_matmul_NT");
    runAndCheck([X, Y], Z, [x, y], matmulRef(nd(x), nd(y), false, true), tol);
    const Y2 = placeholder([2, 4, 5], "float32", "Y2");
    const y2 = rand(rng, [2, 4, 5]);
    runAndCheck([X, Y2], topi.batchMatmul(X, Y2, { transposeB: false }), [x, y2], matmulRef(nd(x), nd(y2)), tol);
    expect(() => topi.batchMatmul(placeholder([3, 4]), Y)).toThrow(/batch_matmul: x must be 3-D, got shape \[3, 4\]/);
  });

  it("dense computes x @ W^T + b", () => {
    const X = placeholder([3, 4], "float32", "X");
    const W = placeholder([5, 4], "float32", "W");
    const Bias = placeholder([5], "float32", "bias");
    const x = rand(rng, [3, 4]), w = rand(rng, [5, 4]), b = rand(rng, [5]);
    const prod = matmulRef(nd(x), nd(w), false, true);
    const rb = nd(b);
    const ref = build([3, 5], ([i, j]) => get(prod, [i!, j!]) + get(rb, [j!]));
    runAndCheck([X, W, Bias], topi.dense(X, W, Bias), [x, w, b], ref, tol);
    runAndCheck([X, W], topi.dense(X, W), [x, w], prod, tol);
    expect(() => topi.dense(X, placeholder([5, 3], "float32", "W3"))).toThrow(
      "dense: inner dimensions differ: data is [3, 4] but weight is [5, 3] (transpose_a=false, transpose_b=true)",
    );
    expect(() => topi.dense(X, W, placeholder([4], "float32", "b4"))).toThrow(/dense: bias must be 1-D with 5 entries \(weight is \[5, 4\]\), got \[4\]/);
  });
});
