// The wasm target's float32 math (src/target/wasm/wasm_math.ts), scalar and f32x4, against
// Math.* (and the interpreter's erf) in double precision: error in ulp of the float32 result
// over random and edge inputs, special values, and scalar / vector agreement bit for bit.
import binaryen from "binaryen";
import { describe, expect, it } from "vitest";
import { erf as erfRef } from "../../src/tir/interp/math.js";
import { F32_MATH, type F32MathFn, f32MathFunction, f32x4MathInline } from "../../src/target/wasm/wasm_math.js";

const FNS = [...F32_MATH] as F32MathFn[];
const REF: Record<F32MathFn, (x: number) => number> = {
  exp: Math.exp, log: Math.log, log2: Math.log2, log10: Math.log10, tanh: Math.tanh,
  sigmoid: (x) => 1 / (1 + Math.exp(-x)), erf: erfRef,
};
/** The error bound each function is held to, in ulp of the float32 result. */
const MAX_ULP: Record<F32MathFn, number> = { exp: 2, log: 2, log2: 2, log10: 2, sigmoid: 3, tanh: 2, erf: 3 };

interface Runner {
  scalar(xs: Float32Array): Float32Array;
  vector(xs: Float32Array): Float32Array;
}

/** A module exporting, per function, `s_<fn>(x: f32) -> f32` and `v_<fn>(ptr, n)` (in place, 4 at a time). */
async function makeRunner(fn: F32MathFn): Promise<Runner> {
  const m = new binaryen.Module();
  m.setFeatures(binaryen.Features.MVP | binaryen.Features.SIMD128 | binaryen.Features.NontrappingFPToInt);
  m.setMemory(16, 16, "mem");
  const sname = f32MathFunction(m, fn);
  m.addFunction("s", binaryen.createType([binaryen.f32]), binaryen.f32, [], m.call(sname, [m.local.get(0, binaryen.f32)], binaryen.f32));
  m.addFunctionExport("s", "s");
  // v(ptr, n): for (i = 0; i < n; i += 4) store(ptr + 4i, fn(load(ptr + 4i)))
  const locals: binaryen.Type[] = [binaryen.i32];
  const alloc = (t: binaryen.Type): number => 2 + locals.push(t) - 1;
  const addr = (): binaryen.ExpressionRef => m.i32.add(m.local.get(0, binaryen.i32), m.i32.shl(m.local.get(2, binaryen.i32), m.i32.const(2)));
  const value = f32x4MathInline(m, fn, m.v128.load(0, 16, addr()), alloc);
  const body = m.block(null, [
    m.local.set(2, m.i32.const(0)),
    m.loop("l", m.block(null, [
      m.v128.store(0, 16, addr(), value),
      m.local.set(2, m.i32.add(m.local.get(2, binaryen.i32), m.i32.const(4))),
      m.br("l", m.i32.lt_s(m.local.get(2, binaryen.i32), m.local.get(1, binaryen.i32))),
    ])),
  ]);
  m.addFunction("v", binaryen.createType([binaryen.i32, binaryen.i32]), binaryen.none, locals, body);
  m.addFunctionExport("v", "v");
  expect(m.validate()).toBeTruthy();
  m.optimize();
  const bin = m.emitBinary();
  m.dispose();
  const { instance } = await WebAssembly.instantiate(bin as Uint8Array<ArrayBuffer>);
  const ex = instance.exports as { s: (x: number) => number; v: (p: number, n: number) => void; mem: WebAssembly.Memory };
  return {
    scalar: (xs) => xs.map((x) => ex.s(x)),
    vector: (xs) => {
      const n = Math.ceil(xs.length / 4) * 4;
      const mem = new Float32Array(ex.mem.buffer, 0, n);
      mem.fill(0);
      mem.set(xs);
      ex.v(0, n);
      return mem.slice(0, xs.length);
    },
  };
}

/** Spacing of float32 numbers at |v| (2^-149 among subnormals). */
function ulpOf(v: number): number {
  const a = Math.abs(Math.fround(v));
  if (a < 2 ** -126) return 2 ** -149;
  if (!Number.isFinite(a)) return Infinity;
  return 2 ** (Math.floor(Math.log2(a)) - 23);
}

/** Error of `got` in ulp of the float32 rounding of `ref`; NaN / infinities must match exactly. */
function ulpError(got: number, ref: number): number {
  const r = Math.fround(ref);
  if (Number.isNaN(r) || !Number.isFinite(r)) return Object.is(got, r) || (Number.isNaN(got) && Number.isNaN(r)) ? 0 : Infinity;
  if (!Number.isFinite(got) || Number.isNaN(got)) return Infinity;
  return Math.abs(got - ref) / ulpOf(r);
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Inputs of interest per function: uniform over the interesting range, log-uniform magnitudes, edges. */
function inputs(fn: F32MathFn, n: number): Float32Array {
  const r = rng(fn.length * 7919 + n);
  const out: number[] = [];
  const ranges: Record<F32MathFn, [number, number]> = {
    exp: [-104, 89], log: [0, 10], log2: [0, 10], log10: [0, 10], tanh: [-10, 10], sigmoid: [-105, 105], erf: [-5, 5],
  };
  const [lo, hi] = ranges[fn];
  for (let i = 0; i < n; i++) out.push(lo + (hi - lo) * r());
  // magnitudes from 2^-149 to 2^127, both signs (positive only for the logarithms)
  const logs = fn.startsWith("log");
  for (let i = 0; i < n; i++) {
    const v = 2 ** (-149 + 276 * r()) * (1 + r());
    out.push(logs || r() < 0.5 ? v : -v);
  }
  const edges = [
    0, -0, 1, -1, 0.5, 2, 1e-45, -1e-45, 1.1754942e-38, 1.1754944e-38, 3.4028235e38, -3.4028235e38, 0.625, -0.625, 0.62499994,
    0.9999999, 1.0000001, 4, -4, 3.92, 9.01, 88.72, 88.7228, 88.73, 88.8, 89, -87.33, -87.34, -103.2, -103.97, -103.98, -104,
    -105, 1e-4, -1e-4, 1e-20, 10, 100, 1000, 0.70710677, 1.4142135, 0.99, 1.01,
  ];
  for (const e of edges) out.push(e, Math.fround(e * (1 + 2 ** -23)), Math.fround(e * (1 - 2 ** -23)));
  return new Float32Array(out);
}

const runners = new Map<F32MathFn, Promise<Runner>>();
const runner = (fn: F32MathFn): Promise<Runner> => {
  let r = runners.get(fn);
  if (!r) runners.set(fn, (r = makeRunner(fn)));
  return r;
};

describe("float32 math in wasm (scalar and f32x4) against Math.* in double precision", () => {
  for (const fn of FNS) {
    it(`${fn}: within ${MAX_ULP[fn]} ulp on random and edge inputs; vector lanes equal the scalar function`, async () => {
      const run = await runner(fn);
      const xs = inputs(fn, 20000);
      const s = run.scalar(xs), v = run.vector(xs);
      let worst = 0, at = 0;
      for (let i = 0; i < xs.length; i++) {
        const x = xs[i]!;
        const ref = REF[fn](x);
        // erf near 0 and results below the normal range: absolute error in units of 2^-149 is meaningless, use ulp of x / of FLT_MIN
        const err = ulpError(s[i]!, ref);
        if (err > worst) [worst, at] = [err, x];
        if (!Object.is(s[i], v[i]) && !(Number.isNaN(s[i]) && Number.isNaN(v[i]))) {
          throw new Error(`${fn}(${x}): scalar ${s[i]} and vector ${v[i]} differ`);
        }
      }
      expect(worst, `${fn}: worst error ${worst.toFixed(2)} ulp at x = ${at}`).toBeLessThanOrEqual(MAX_ULP[fn]);
    });
  }

  it("special values: infinities, NaN, zeros, overflow and underflow", async () => {
    const cases: [F32MathFn, number, number][] = [
      ["exp", Infinity, Infinity], ["exp", -Infinity, 0], ["exp", NaN, NaN], ["exp", 0, 1], ["exp", -0, 1],
      ["exp", 89, Infinity], ["exp", -104, 0], ["exp", 3.4028235e38, Infinity], ["exp", -3.4028235e38, 0],
      ["log", 0, -Infinity], ["log", -0, -Infinity], ["log", -1, NaN], ["log", -Infinity, NaN], ["log", Infinity, Infinity],
      ["log", NaN, NaN], ["log", 1, 0], ["log2", 8, 3], ["log2", 2 ** -149, -149], ["log2", 2 ** -130, -130], ["log10", 1000, 3],
      ["log2", 0, -Infinity], ["log10", -2, NaN],
      ["tanh", Infinity, 1], ["tanh", -Infinity, -1], ["tanh", NaN, NaN], ["tanh", -0, -0], ["tanh", 0, 0], ["tanh", 50, 1],
      ["sigmoid", Infinity, 1], ["sigmoid", -Infinity, 0], ["sigmoid", NaN, NaN], ["sigmoid", 0, 0.5], ["sigmoid", 200, 1],
      ["sigmoid", -200, 0], ["erf", Infinity, 1], ["erf", -Infinity, -1], ["erf", NaN, NaN], ["erf", -0, -0], ["erf", 10, 1],
    ];
    for (const [fn, x, want] of cases) {
      const run = await runner(fn);
      const xs = new Float32Array([x, x, x, x]);
      for (const got of [run.scalar(xs)[0]!, run.vector(xs)[0]!]) {
        expect(Object.is(got, want) || (Number.isNaN(got) && Number.isNaN(want)), `${fn}(${x}) = ${got}, expected ${want}`).toBe(true);
      }
    }
  });

  it("exp rounds gradually into the subnormal range (no flush to zero)", async () => {
    const run = await runner("exp");
    const xs = new Float32Array([-88, -90, -95, -100, -103]);
    const got = run.vector(xs);
    xs.forEach((x, i) => {
      expect(got[i]!).toBeGreaterThan(0);
      expect(Math.abs(got[i]! - Math.exp(x))).toBeLessThanOrEqual(2 * ulpOf(Math.exp(x)));
    });
  });
});
