/**
 * The c and wasm targets compute float32 exp themselves (a polynomial over the vector type / in
 * wasm SIMD128) instead of calling libm or JavaScript lane by lane: accuracy against exp in
 * double precision, within 1e-6 relative on [-87, 88], and the special values.
 */
import { describe, expect, test } from "vitest";
import { emptyArray, type HostArray } from "../../src/tir/interp/index.js";
import { parsePrimFunc } from "../../src/tir/script/index.js";
import { build } from "../../src/target/build.js";
import "../../src/target/wasm/index.js";
import { buildScript, hasCompiler } from "./c_helpers.js";

// 16-lane and 4-lane vector exp, and a scalar one (over the same inputs).
const SRC = `
@T.prim_func
def main(A: T.Buffer((4096,), "float32"), B: T.Buffer((4096,), "float32"), C: T.Buffer((4096,), "float32"), D: T.Buffer((4096,), "float32")):
    for i in range(256):
        B[T.Ramp(i * 16, 1, 16)] = T.exp(A[T.Ramp(i * 16, 1, 16)])
    for i in range(1024):
        C[T.Ramp(i * 4, 1, 4)] = T.exp(A[T.Ramp(i * 4, 1, 4)])
    for i in range(4096):
        D[i] = T.exp(A[i])
`;

const SPECIAL = [Infinity, -Infinity, NaN, 0, -0, 88.7, 88.72, 88.8, 89, 100, -87.3, -95, -103, -103.9, -104, -110, -1000, 1e-8, -1e-8];

function inputs(): Float32Array {
  const a = new Float32Array(4096);
  const n = 4096 - SPECIAL.length;
  for (let i = 0; i < n; i++) a[i] = -87 + (175 * i) / (n - 1); // [-87, 88]
  SPECIAL.forEach((v, k) => (a[n + k] = v));
  return a;
}

function arrays(): HostArray[] {
  const xs = [0, 1, 2, 3].map(() => emptyArray([4096], "float32"));
  (xs[0]!.data as Float32Array).set(inputs());
  return xs;
}

function checkExp(a: Float32Array, got: Float32Array, what: string): void {
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const want = Math.fround(Math.exp(x));
    const g = got[i]!;
    if (Number.isNaN(want)) {
      expect(Number.isNaN(g), `${what}: exp(${x})`).toBe(true);
      continue;
    }
    if (!Number.isFinite(want) || want === 0) {
      expect(g, `${what}: exp(${x})`).toBe(want);
      continue;
    }
    if (want < 1.1754943508222875e-38) {
      // Subnormal results: absolute error of a few subnormal steps.
      expect(Math.abs(g - want), `${what}: exp(${x}) = ${g}, want ${want}`).toBeLessThanOrEqual(4 * 1.401298464324817e-45);
      continue;
    }
    const rel = Math.abs(g - Math.exp(x)) / Math.exp(x);
    worst = Math.max(worst, rel);
    expect(rel, `${what}: exp(${x}) = ${g}, want ${want}`).toBeLessThanOrEqual(1e-6);
  }
  expect(worst).toBeLessThan(1e-6);
  if (process.env["WEFT_PRINT_EXP_ERROR"]) console.log(`${what}: worst relative error ${worst.toExponential(2)}`);
}

describe.skipIf(!hasCompiler)("c target: vector exp", () => {
  test("a polynomial exp over the vector type, accurate to 1e-6 on [-87, 88]; inf, -inf, NaN, overflow, subnormals", () => {
    const { m } = buildScript(SRC);
    expect(m.source).toContain("weft_f32x16_exp(");
    expect(m.source).toContain("weft_f32x4_exp(");
    expect(m.source).not.toMatch(/\{expf\(/); // no lane-by-lane libm calls for vectors
    const xs = arrays();
    m.call("main", xs);
    const a = xs[0]!.data as Float32Array;
    checkExp(a, xs[1]!.data as Float32Array, "c f32x16");
    checkExp(a, xs[2]!.data as Float32Array, "c f32x4");
    checkExp(a, xs[3]!.data as Float32Array, "c scalar");
  });
});

describe("wasm target: exp in wasm", () => {
  test("f32x4 and scalar exp without calling JavaScript, accurate to 1e-6 on [-87, 88]; inf, -inf, NaN, overflow, subnormals", async () => {
    const f = parsePrimFunc(SRC);
    const mod = await build(f, "wasm -emit-text", { lower: null });
    const text = mod.getSource?.("main") ?? "";
    expect(text).toContain("i32x4.shl"); // f32x4 exp inline (wasm_math.ts): 2^n built in the exponent bits
    expect(text).not.toMatch(/\(import "weft" "exp/); // no call out to Math.exp
    const xs = arrays();
    mod.get("main")(...xs);
    const a = xs[0]!.data as Float32Array;
    checkExp(a, xs[1]!.data as Float32Array, "wasm f32x4 (16 lanes)");
    checkExp(a, xs[2]!.data as Float32Array, "wasm f32x4");
    checkExp(a, xs[3]!.data as Float32Array, "wasm scalar");
  });
});
