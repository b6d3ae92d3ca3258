/**
 * Test helpers for the TE operator library: build a PrimFunc with createPrimFunc, run it in
 * the reference interpreter, and compare with a naive JavaScript reference (`Nd` arrays
 * computed in double precision).
 */
import { expect } from "vitest";
import type { Var } from "../../src/ir/expr.js";
import { createPrimFunc, type Tensor } from "../../src/te/index.js";
import { Rng, emptyArray, randomArray, runPrimFunc, toArray, type HostArray } from "../../src/tir/interp/index.js";

/** A plain row-major reference array. */
export interface Nd {
  shape: number[];
  data: number[];
}

export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function stridesOf(shape: readonly number[]): number[] {
  const s = Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

/** The multi-index of flat position `p`. */
export function unravel(p: number, shape: readonly number[]): number[] {
  const idx = Array<number>(shape.length);
  for (let i = shape.length - 1; i >= 0; i--) {
    idx[i] = p % shape[i]!;
    p = Math.floor(p / shape[i]!);
  }
  return idx;
}

export function ravel(idx: readonly number[], shape: readonly number[]): number {
  let p = 0;
  for (let i = 0; i < shape.length; i++) p = p * shape[i]! + idx[i]!;
  return p;
}

export function get(a: Nd, idx: readonly number[]): number {
  return a.data[ravel(idx, a.shape)]!;
}

/** An Nd of `shape` whose element at idx is f(idx). */
export function build(shape: readonly number[], f: (idx: number[]) => number): Nd {
  const n = numel(shape);
  const data = Array<number>(n);
  for (let p = 0; p < n; p++) data[p] = f(unravel(p, shape));
  return { shape: [...shape], data };
}

export function nd(a: HostArray): Nd {
  return { shape: [...a.shape], data: toArray(a) };
}

export function rand(rng: Rng, shape: readonly number[], dtype = "float32"): HostArray {
  return randomArray(shape, dtype, rng);
}

export { Rng };

/**
 * Builds `createPrimFunc([...inputs, ...outputs, ...scalars])`, runs it on `data` and returns
 * the outputs, allocated with the given shapes.
 */
export function runTE(
  inputs: readonly Tensor[],
  outputs: readonly Tensor[],
  data: readonly HostArray[],
  outShapes: readonly (readonly number[])[],
  scalars: readonly [Var, number][] = [],
): HostArray[] {
  const f = createPrimFunc([...inputs, ...outputs, ...scalars.map(([v]) => v)]);
  const outs = outputs.map((t, i) => emptyArray(outShapes[i]!, t.dtype));
  runPrimFunc(f, [...data, ...outs, ...scalars.map(([, n]) => n)]);
  return outs;
}

/** One output, compared with `ref` within |a - r| <= atol + rtol * |r| (NaNs must match). */
export function runAndCheck(
  inputs: readonly Tensor[],
  output: Tensor,
  data: readonly HostArray[],
  ref: Nd,
  tol: { rtol?: number; atol?: number } = {},
): HostArray {
  const [out] = runTE(inputs, [output], data, [ref.shape]);
  expectClose(out!, ref, tol);
  return out!;
}

export function expectClose(actual: HostArray, ref: Nd, tol: { rtol?: number; atol?: number } = {}): void {
  const rtol = tol.rtol ?? 1e-5, atol = tol.atol ?? 1e-6;
  expect([...actual.shape]).toEqual(ref.shape);
  const got = toArray(actual);
  expect(got.length).toBe(ref.data.length);
  for (let i = 0; i < got.length; i++) {
    const a = got[i]!, r = ref.data[i]!;
    if (Number.isNaN(r)) {
      if (!Number.isNaN(a)) throw new Error(`element ${i} (${unravel(i, ref.shape).join(", ")}): expected NaN, got ${a}`);
      continue;
    }
    if (!(Math.abs(a - r) <= atol + rtol * Math.abs(r)) && a !== r) {
      throw new Error(`element ${i} [${unravel(i, ref.shape).join(", ")}]: got ${a}, expected ${r} (rtol ${rtol}, atol ${atol})`);
    }
  }
}
