import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { placeholder, topi } from "../../src/te/index.js";
import { fromArray, toArray } from "../../src/tir/interp/index.js";
import { Rng, build, get, nd, rand, runAndCheck, runTE } from "./te_harness.js";

const exact = { rtol: 0, atol: 0 };
const { constDim } = topi;

/** Python's slice(b, e, s) applied to range(n): the selected indices. */
function sliceIndices(n: number, b: number, e: number, s: number): number[] {
  let lo: number, hi: number;
  if (s > 0) {
    lo = b < 0 ? Math.max(b + n, 0) : Math.min(b, n);
    hi = e < 0 ? Math.max(e + n, 0) : Math.min(e, n);
  } else {
    lo = b < 0 ? Math.max(b + n, -1) : Math.min(b, n - 1);
    hi = e < 0 ? Math.max(e + n, -1) : Math.min(e, n - 1);
  }
  const out: number[] = [];
  for (let i = lo; s > 0 ? i < hi : i > hi; i += s) out.push(i);
  return out;
}

describe("transpose / reshape / expand_dims / squeeze / broadcast_to", () => {
  const rng = new Rng(71);
  const X = placeholder([2, 3, 4], "float32", "X");
  const x = rand(rng, [2, 3, 4]);
  const rx = nd(x);

  it("transpose with explicit and default axes", () => {
    runAndCheck([X], topi.transpose(X, [1, -1, 0]), [x], build([3, 4, 2], ([a, b, c]) => get(rx, [c!, a!, b!])), exact);
    runAndCheck([X], topi.transpose(X), [x], build([4, 3, 2], ([a, b, c]) => get(rx, [c!, b!, a!])), exact);
    expect(() => topi.transpose(X, [0, 0, 1])).toThrow(/transpose: axes \[0, 0, 1\] must be a permutation of the 3 axes of \[2, 3, 4\]/);
  });

  it("reshape keeps row-major order and infers -1", () => {
    for (const shape of [[6, 4], [4, -1], [-1], [2, 2, 3, 2]]) {
      const Y = topi.reshape(X, shape);
      const out = Y.shape.map((d) => constDim(d)!);
      runAndCheck([X], Y, [x], { shape: out, data: rx.data }, exact);
    }
    expect(() => topi.reshape(X, [5, 5])).toThrow("reshape: cannot reshape [2, 3, 4] (24 elements) to [5, 5] (25 elements)");
    expect(() => topi.reshape(X, [5, -1])).toThrow("reshape: cannot reshape [2, 3, 4] (24 elements) to [5, -1]: 24 is not divisible by 5");
    expect(() => topi.reshape(X, [-1, -1])).toThrow(/at most one dimension may be -1/);
  });

  it("expand_dims and squeeze", () => {
    const E = topi.expandDims(X, -1, 2);
    expect(E.shape.map(constDim)).toEqual([2, 3, 4, 1, 1]);
    runAndCheck([X], E, [x], { shape: [2, 3, 4, 1, 1], data: rx.data }, exact);
    const S1 = placeholder([1, 3, 1], "float32", "S1");
    const s1 = rand(rng, [1, 3, 1]);
    runAndCheck([S1], topi.squeeze(S1), [s1], { shape: [3], data: nd(s1).data }, exact);
    runAndCheck([S1], topi.squeeze(S1, [-1]), [s1], { shape: [1, 3], data: nd(s1).data }, exact);
    expect(() => topi.squeeze(S1, 1)).toThrow(/squeeze: axis 1 of \[1, 3, 1\] has size 3, not 1/);
  });

  it("broadcast_to", () => {
    const B = placeholder([3, 1], "float32", "B");
    const b = rand(rng, [3, 1]);
    runAndCheck([B], topi.broadcastTo(B, [2, 3, 4]), [b], build([2, 3, 4], ([, j]) => get(nd(b), [j!, 0])), exact);
    expect(() => topi.broadcastTo(B, [3, 2, 1])).toThrow(
      "broadcast_to: shapes cannot be broadcast: x [3, 1], shape [3, 2, 1] (dimension -2: 3 in x vs 2 in shape)",
    );
    expect(() => topi.broadcastTo(B, [1, 1])).toThrow("broadcast_to: cannot broadcast [3, 1] to [1, 1]");
  });
});

describe("concat / split", () => {
  const rng = new Rng(72);
  it("concat along any axis reads only the chosen input", () => {
    const A = placeholder([2, 1, 3], "float32", "A");
    const B = placeholder([2, 2, 3], "float32", "B");
    const C = placeholder([2, 3, 3], "float32", "C");
    const [a, b, c] = [[2, 1, 3], [2, 2, 3], [2, 3, 3]].map((s) => rand(rng, s));
    const [ra, rb, rc] = [a!, b!, c!].map(nd);
    const ref = build([2, 6, 3], ([i, j, k]) => (j! < 1 ? get(ra!, [i!, j!, k!]) : j! < 3 ? get(rb!, [i!, j! - 1, k!]) : get(rc!, [i!, j! - 3, k!])));
    runAndCheck([A, B, C], topi.concat([A, B, C], -2), [a!, b!, c!], ref, exact);
    expect(() => topi.concat([A, placeholder([3, 1, 3], "float32", "D")], 1)).toThrow(
      /concat: input 1 has shape \[3, 1, 3\], incompatible with input 0 \[2, 1, 3\] outside axis 1/,
    );
    expect(() => topi.concat([])).toThrow(/concat: expected a non-empty array of tensors/);
  });

  it("split into sections and at indices", () => {
    const X = placeholder([2, 6], "float32", "X");
    const x = rand(rng, [2, 6]);
    const rx = nd(x);
    const parts = topi.split(X, 3, 1);
    const outs = runTE([X], parts, [x], [[2, 2], [2, 2], [2, 2]]);
    outs.forEach((o, p) => expect(toArray(o)).toEqual(build([2, 2], ([i, j]) => get(rx, [i!, 2 * p + j!])).data));
    const pieces = topi.split(X, [1, 4], -1);
    expect(pieces.map((t) => t.shape.map(constDim))).toEqual([[2, 1], [2, 3], [2, 2]]);
    const outs2 = runTE([X], pieces, [x], [[2, 1], [2, 3], [2, 2]]);
    expect(toArray(outs2[1]!)).toEqual(build([2, 3], ([i, j]) => get(rx, [i!, 1 + j!])).data);
    expect(() => topi.split(X, 4, 1)).toThrow(/split: axis 1 of \[2, 6\] \(size 6\) does not split into 4 equal sections/);
    expect(() => topi.split(X, [4, 1], 1)).toThrow(/split indices \[4, 1\] must be increasing integers within \[0, 6\]/);
  });
});

describe("strided_slice", () => {
  it("matches Python slicing on random bounds (property)", () => {
    const X = placeholder([5, 4], "float32", "X");
    const x = rand(new Rng(73), [5, 4]);
    const rx = nd(x);
    const bound = fc.integer({ min: -8, max: 8 });
    const step = fc.integer({ min: -3, max: 3 }).filter((s) => s !== 0);
    fc.assert(
      fc.property(bound, bound, step, bound, bound, step, (b0, e0, s0, b1, e1, s1) => {
        const i0 = sliceIndices(5, b0, e0, s0), i1 = sliceIndices(4, b1, e1, s1);
        const Y = topi.stridedSlice(X, [b0, b1], [e0, e1], [s0, s1]);
        expect(Y.shape.map(constDim)).toEqual([i0.length, i1.length]);
        const ref = build([i0.length, i1.length], ([p, q]) => get(rx, [i0[p!]!, i1[q!]!]));
        runAndCheck([X], Y, [x], ref, exact);
      }),
      { numRuns: 60, seed: 7 },
    );
  });

  it("clamps huge bounds and slices selected axes", () => {
    const X = placeholder([3, 4, 5], "float32", "X");
    const x = rand(new Rng(74), [3, 4, 5]);
    const rx = nd(x);
    const Y = topi.stridedSlice(X, [1, -1], [9223372036854775807, -9223372036854775807], [1, -2], [2, 1]);
    const i2 = sliceIndices(5, 1, 2 ** 40, 1), i1 = sliceIndices(4, -1, -(2 ** 40), -2);
    runAndCheck([X], Y, [x], build([3, i1.length, i2.length], ([a, b, c]) => get(rx, [a!, i1[b!]!, i2[c!]!])), exact);
    expect(() => topi.stridedSlice(X, [0], [1], [0])).toThrow(/strided_slice: stride for axis 0 must not be 0/);
    expect(() => topi.stridedSlice(X, [0, 1], [1])).toThrow(/must have the same length/);
  });
});

describe("take / gather", () => {
  const rng = new Rng(75);
  const A = placeholder([3, 4], "float32", "A");
  const a = rand(rng, [3, 4]);
  const ra = nd(a);

  it("take along an axis with negative indices (ONNX Gather)", () => {
    const I = placeholder([2, 2], "int64", "I");
    const idx = fromArray([0, -1, 2, -3], [2, 2], "int64");
    runAndCheck([A, I], topi.take(A, I, 1), [a, idx], build([3, 2, 2], ([r, p, q]) => get(ra, [r!, [0, 3, 2, 1][2 * p! + q!]!])), exact);
    runAndCheck([A, I], topi.take(A, I, 0), [a, idx], build([2, 2, 4], ([p, q, c]) => get(ra, [[0, 2, 2, 0][2 * p! + q!]!, c!])), exact);
  });

  it("take without an axis flattens; clip and wrap modes", () => {
    const I = placeholder([4], "int32", "I");
    const idx = fromArray([0, 11, -1, 5], [4], "int32");
    runAndCheck([A, I], topi.take(A, I), [a, idx], { shape: [4], data: [0, 11, 11, 5].map((p) => ra.data[p]!) }, exact);
    const wild = fromArray([-5, 2, 7, 13], [4], "int32");
    runAndCheck([A, I], topi.take(A, I, 1, "clip"), [a, wild], build([3, 4], ([r, p]) => get(ra, [r!, [0, 2, 3, 3][p!]!])), exact);
    runAndCheck([A, I], topi.take(A, I, 1, "wrap"), [a, wild], build([3, 4], ([r, p]) => get(ra, [r!, [3, 2, 3, 1][p!]!])), exact);
    expect(() => topi.take(A, placeholder([2], "float32", "F"))).toThrow(/take: indices must be an integer tensor, got float32/);
  });

  it("gather (GatherElements) along each axis", () => {
    const I = placeholder([2, 4], "int32", "I");
    const idx = fromArray([0, 2, -1, 1, 2, 0, 1, -3], [2, 4], "int32");
    const ri = nd(idx);
    const norm = (v: number, n: number) => (v < 0 ? v + n : v);
    runAndCheck([A, I], topi.gather(A, 0, I), [a, idx], build([2, 4], ([i, j]) => get(ra, [norm(get(ri, [i!, j!]), 3), j!])), exact);
    const J = placeholder([3, 2], "int32", "J");
    const jdx = fromArray([3, 0, -1, 1, 2, 2], [3, 2], "int32");
    runAndCheck([A, J], topi.gather(A, 1, J), [a, jdx], build([3, 2], ([i, j]) => get(ra, [i!, norm(get(nd(jdx), [i!, j!]), 4)])), exact);
    expect(() => topi.gather(A, 0, placeholder([4], "int32", "K"))).toThrow(/gather: indices must have the rank of data/);
  });
});

describe("pad", () => {
  const rng = new Rng(76);
  const X = placeholder([2, 3], "float32", "X");
  const x = rand(rng, [2, 3]);
  const rx = nd(x);

  it("constant padding (and negative widths crop)", () => {
    const Y = topi.pad(X, [1, 0], [0, 2], { value: 7 });
    runAndCheck([X], Y, [x], build([3, 5], ([i, j]) => (i! >= 1 && j! < 3 ? get(rx, [i! - 1, j!]) : 7)), exact);
    const C = topi.pad(X, [0, -1], [1, 0]);
    runAndCheck([X], C, [x], build([3, 2], ([i, j]) => (i! < 2 ? get(rx, [i!, j! + 1]) : 0)), exact);
  });

  it("edge and reflect padding", () => {
    const clampI = (v: number, n: number) => Math.min(Math.max(v, 0), n - 1);
    const reflect = (v: number, n: number) => (v < 0 ? -v : v >= n ? 2 * (n - 1) - v : v);
    const E = topi.pad(X, [1, 2], [1, 2], { mode: "edge" });
    runAndCheck([X], E, [x], build([4, 7], ([i, j]) => get(rx, [clampI(i! - 1, 2), clampI(j! - 2, 3)])), exact);
    const R = topi.pad(X, [1, 2], [1, 2], { mode: "reflect" });
    runAndCheck([X], R, [x], build([4, 7], ([i, j]) => get(rx, [reflect(i! - 1, 2), reflect(j! - 2, 3)])), exact);
    expect(() => topi.pad(X, [2, 0], [0, 0], { mode: "reflect" })).toThrow(/reflect padding of dimension 0 must be smaller than its size 2/);
    expect(() => topi.pad(X, [0, -4], [0, 0])).toThrow(/crops more than dimension 1 of \[2, 3\] holds/);
    expect(() => topi.pad(X, [1], [1])).toThrow(/pad: pad_before has 1 entries for a 2-D tensor/);
  });
});

