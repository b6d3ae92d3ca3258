/**
 * The c target's vector log / tanh / erf (the prelude's WEFT_VMATH_F32, weft's own polynomial
 * fits evaluated over the vector type instead of libm lane by lane), against the functions in
 * double precision: random inputs over each function's range plus the edge cases (0, -0,
 * subnormals, +-inf, NaN, large |x|). Stated bounds (c_prelude.ts): log within 2.4e-7 relative,
 * tanh and erf within 3.6e-7 relative; subnormal results of erf within a few subnormal steps.
 * Then the TE operators that use them, default-scheduled on c, against the interpreter, with
 * the generated C checked to call the vector functions.
 */
import { describe, expect, test } from "vitest";
import { IRModule } from "../../src/ir/module.js";
import { applyDefaultSchedule } from "../../src/schedule/default/index.js";
import { buildC } from "../../src/target/c/index.js";
import { Target } from "../../src/target/target.js";
import { createPrimFunc, placeholder, topi, type Tensor } from "../../src/te/index.js";
import { Rng, copyArray, emptyArray, randomArray, runPrimFunc, type HostArray } from "../../src/tir/interp/index.js";
import { erf } from "../../src/tir/interp/math.js";
import { lower } from "../../src/tir/pipeline.js";
import { buildScript, compareArgs, hasCompiler, testCacheDir } from "./c_helpers.js";

const N = 4096;
const MIN_NORMAL = 1.1754943508222875e-38;
const MIN_SUB = 1.401298464324817e-45;

/** 16-, 8- and 4-lane vector calls and the scalar (libm) call of `fn` over the same inputs. */
function script(fn: string): string {
  return `
@T.prim_func
def main(A: T.Buffer((${N},), "float32"), B: T.Buffer((${N},), "float32"), C: T.Buffer((${N},), "float32"), D: T.Buffer((${N},), "float32"), E: T.Buffer((${N},), "float32")):
    for i in range(${N / 16}):
        B[T.Ramp(i * 16, 1, 16)] = T.${fn}(A[T.Ramp(i * 16, 1, 16)])
    for i in range(${N / 8}):
        C[T.Ramp(i * 8, 1, 8)] = T.${fn}(A[T.Ramp(i * 8, 1, 8)])
    for i in range(${N / 4}):
        D[T.Ramp(i * 4, 1, 4)] = T.${fn}(A[T.Ramp(i * 4, 1, 4)])
    for i in range(${N}):
        E[i] = T.${fn}(A[i])
`;
}

const EDGES = [0, -0, Infinity, -Infinity, NaN, MIN_SUB, -MIN_SUB, 3 * MIN_SUB, 1e-40, -1e-40, MIN_NORMAL, -MIN_NORMAL, 1e-30, -1e-30, 3.4028234663852886e38, -3.4028234663852886e38, 1e30, -1e30, 1, -1, 0.5, -0.5];

interface Fn {
  name: string;
  ref: (x: number) => number;
  bound: number;
  /** Random inputs (as float32). */
  random: (rng: Rng, k: number) => number;
}

const uniform = (rng: Rng, lo: number, hi: number) => rng.uniform(lo, hi);
const FNS: Fn[] = [
  // log: positive floats over the whole exponent range, and many next to 1.
  { name: "log", ref: Math.log, bound: 2.4e-7, random: (r, k) => (k % 3 === 0 ? uniform(r, 0.5, 2) : 2 ** uniform(r, -149, 128)) },
  { name: "tanh", ref: Math.tanh, bound: 3.6e-7, random: (r, k) => (k % 2 === 0 ? uniform(r, -1, 1) : uniform(r, -12, 12)) },
  { name: "erf", ref: erf, bound: 3.6e-7, random: (r, k) => (k % 2 === 0 ? uniform(r, -1.2, 1.2) : uniform(r, -5, 5)) },
];

function inputs(fn: Fn): Float32Array {
  const a = new Float32Array(N);
  const rng = new Rng(11);
  const n = N - EDGES.length;
  for (let k = 0; k < n; k++) a[k] = fn.random(rng, k);
  EDGES.forEach((v, k) => (a[n + k] = v));
  return a;
}

/** Worst relative error of `got` against `fn.ref` in double; special values must match exactly. */
function check(fn: Fn, a: Float32Array, got: Float32Array, what: string): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!, g = got[i]!;
    const exact = fn.ref(x);
    const want = Math.fround(exact);
    const msg = `${what}: ${fn.name}(${x}) = ${g}, want ${want}`;
    if (Number.isNaN(want) || !Number.isFinite(want) || want === 0) {
      expect(Object.is(g, want), msg).toBe(true); // NaN, +-inf, and the sign of zero
      continue;
    }
    if (Math.abs(want) < MIN_NORMAL) {
      expect(Math.abs(g - exact), msg).toBeLessThanOrEqual(4 * MIN_SUB);
      continue;
    }
    const rel = Math.abs(g - exact) / Math.abs(exact);
    worst = Math.max(worst, rel);
    expect(rel, msg).toBeLessThanOrEqual(fn.bound);
  }
  if (process.env["WEFT_PRINT_VMATH_ERROR"]) console.log(`${what}: worst relative error ${worst.toExponential(2)}`);
  return worst;
}

const d = describe.skipIf(!hasCompiler);

d("c target: vector log / tanh / erf", () => {
  for (const fn of FNS) {
    test(`${fn.name}: polynomial over the vector type, within ${fn.bound} relative; 0, -0, subnormals, +-inf, NaN, large |x|`, () => {
      const { m } = buildScript(script(fn.name));
      for (const l of [16, 8, 4]) expect(m.source).toContain(`weft_f32x${l}_${fn.name}(`);
      expect(m.source).not.toMatch(new RegExp(`[{,] ?${fn.name}f\\(`)); // no lane-by-lane libm calls for vectors
      const xs: HostArray[] = [0, 1, 2, 3, 4].map(() => emptyArray([N], "float32"));
      const a = inputs(fn);
      (xs[0]!.data as Float32Array).set(a);
      m.call("main", xs);
      for (const [k, what] of [[1, "f32x16"], [2, "f32x8"], [3, "f32x4"], [4, "scalar libm"]] as const) {
        check(fn, a, xs[k]!.data as Float32Array, `${what} ${fn.name}`);
      }
      // The vector widths compute the same polynomial: identical results.
      expect(Array.from(xs[2]!.data as Float32Array)).toEqual(Array.from(xs[1]!.data as Float32Array));
      expect(Array.from(xs[3]!.data as Float32Array)).toEqual(Array.from(xs[1]!.data as Float32Array));
    });
  }
});

interface OpCase {
  name: string;
  make: () => Tensor[];
  /** Vector functions the default-scheduled C must call. */
  uses: string[];
}

const p = (shape: number[], name = "x") => placeholder(shape, "float32", name);
const OPS: OpCase[] = [
  // The log of log_softmax is of the row's sum (a scalar); its exp is vectorized.
  { name: "log_softmax", make: () => { const x = p([4, 128]); return [x, topi.logSoftmax(x)]; }, uses: ["_exp("] },
  { name: "tanh", make: () => { const x = p([8, 256]); return [x, topi.tanh(x)]; }, uses: ["_tanh("] },
  { name: "sigmoid and silu", make: () => { const x = p([8, 256]); return [x, topi.sigmoid(x), topi.multiply(x, topi.sigmoid(x))]; }, uses: ["_exp("] },
  { name: "gelu (erf form)", make: () => { const x = p([8, 256]); return [x, topi.gelu(x)]; }, uses: ["_erf("] },
  { name: "gelu (tanh form)", make: () => { const x = p([8, 256]); return [x, topi.gelu(x, "tanh")]; }, uses: ["_tanh("] },
  { name: "log", make: () => { const x = p([8, 256]); return [x, topi.log(topi.add(topi.abs(x), 0.5))]; }, uses: ["_log("] },
];

d("TE operators using vector log / tanh / erf / exp, default schedule on c, vs the interpreter", () => {
  for (const c of OPS) {
    test(c.name, () => {
      const f = createPrimFunc(c.make());
      const g = applyDefaultSchedule(IRModule.fromFunction(f, "main"), Target.parse("c -num-cores=2"));
      const m = buildC(lower(g), { cacheDir: testCacheDir, numThreads: 2 });
      for (const u of c.uses) expect(m.source).toMatch(new RegExp(`weft_f32x\\d+${u.replace("(", "\\(")}`));
      const rng = new Rng(5);
      const args = f.params.map((q) => {
        const b = f.bufferMap.get(q)!;
        const a = randomArray(b.shape.map((s) => Number(s.toString())), "float32", rng);
        const d = a.data as Float32Array;
        for (let k = 0; k < d.length; k++) d[k] = d[k]! * 6; // wide enough to reach the large-|x| branches
        return a;
      });
      const ref = args.map(copyArray);
      runPrimFunc(f, ref);
      const got = args.map(copyArray);
      m.call("main", got);
      compareArgs(got, ref, 2e-6);
    });
  }
});
