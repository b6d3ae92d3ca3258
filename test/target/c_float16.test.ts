/**
 * float16 and bfloat16 on the c target (src/target/c/c_float16.ts): float storage holding
 * rounded values, every operation rounded to the type like the interpreter does. Results must
 * equal the interpreter's bit for bit (scalar code computes in double and rounds once; vector
 * code rounds float32 lanes, which cannot differ for + - * /), including ties, subnormals,
 * overflow to infinity, NaN and signed zeros.
 */
import { describe, expect, test } from "vitest";
import { IRModule } from "../../src/ir/module.js";
import { bfloat16Bits, float16Bits, roundToBFloat16, roundToFloat16 } from "../../src/ir/float_format.js";
import { applyDefaultSchedule } from "../../src/schedule/default/index.js";
import { buildC } from "../../src/target/c/index.js";
import { build } from "../../src/target/build.js";
import { NDArray } from "../../src/runtime/ndarray.js";
import { Target } from "../../src/target/target.js";
import { createPrimFunc, placeholder, topi } from "../../src/te/index.js";
import { Rng, copyArray, fromArray, randomArray, runPrimFunc, type HostArray } from "../../src/tir/interp/index.js";
import { lower } from "../../src/tir/pipeline.js";
import { parsePrimFunc } from "../../src/tir/script/index.js";
import { buildScript, compareArgs, expectSameAsInterp, hasCompiler, randomArgs, testCacheDir } from "./c_helpers.js";

const d = describe.skipIf(!hasCompiler);

/** float32 inputs that stress the rounding: ties of float16 / bfloat16, subnormals, overflow, specials. */
function edgeInputs(n: number, seed: number): number[] {
  const out: number[] = [0, -0, Infinity, -Infinity, NaN, 65504, 65519.99, 65520, -65520, 1e5, 2 ** -24, 2 ** -25, 3 * 2 ** -25, 2 ** -14, 2 ** -14 - 2 ** -25, 1e-8, -1e-8, 1e-40, 3.3895313892515355e38, 3.4e38];
  // Exact float16 ties (1 + k/1024 + 1/2048) and bfloat16 ties (1 + k/128 + 1/256), both signs.
  for (let k = 0; k < 8; k++) out.push((1 + k / 1024 + 1 / 2048) * 2 ** (k - 4), -(1 + k / 128 + 1 / 256) * 2 ** (3 * k - 10));
  // Subnormal float16 ties: (2k + 1) * 2^-25.
  for (let k = 0; k < 6; k++) out.push((2 * k + 1) * 2 ** -25);
  const rng = new Rng(seed);
  while (out.length < n) {
    const k = out.length % 4;
    out.push(k === 0 ? rng.uniform(-4, 4) : k === 1 ? rng.uniform(-70000, 70000) : k === 2 ? rng.uniform(-1, 1) * 2 ** rng.int(-30, 0) : rng.normal() * 300);
  }
  return out.map(Math.fround);
}

d("c target: float16 / bfloat16", () => {
  test("casts from float32 round to nearest even (ties, subnormals, overflow, NaN), scalar and vector", () => {
    const { f, m } = buildScript(`
@T.prim_func
def main(A: T.Buffer((128,), "float32"), H: T.Buffer((128,), "float16"), B: T.Buffer((128,), "bfloat16"), H4: T.Buffer((128,), "float16"), B8: T.Buffer((128,), "bfloat16")):
    for i in range(128):
        H[i] = T.Cast("float16", A[i])
        B[i] = T.Cast("bfloat16", A[i])
    for i in range(32):
        H4[T.Ramp(i * 4, 1, 4)] = T.Cast("float16x4", A[T.Ramp(i * 4, 1, 4)])
    for i in range(16):
        B8[T.Ramp(i * 8, 1, 8)] = T.Cast("bfloat16x8", A[T.Ramp(i * 8, 1, 8)])
`);
    expect(m.source).toContain("weft_f16x4_rnd(");
    expect(m.source).toContain("weft_bf16x8_rnd(");
    const xs = edgeInputs(128, 1);
    const args = [fromArray(xs, [xs.length], "float32"), ...randomArgs(f, 2).slice(1)];
    const { c } = expectSameAsInterp(f, m, args);
    // Against the rounding functions directly (bit patterns, so -0 and NaN count too).
    const [h, b, h4, b8] = (c.slice(1) as HostArray[]).map((a) => Array.from(a.data as Float32Array));
    expect(h!.map(float16Bits)).toEqual(xs.map((x) => float16Bits(roundToFloat16(x))));
    expect(h4!.map(float16Bits)).toEqual(xs.map((x) => float16Bits(roundToFloat16(x))));
    expect(b!.map(bfloat16Bits)).toEqual(xs.map((x) => bfloat16Bits(roundToBFloat16(x))));
    expect(b8!.map(bfloat16Bits)).toEqual(xs.map((x) => bfloat16Bits(roundToBFloat16(x))));
  });

  test("arithmetic rounds after every operation, as in the interpreter: scalar and 8-lane vectors", () => {
    const { f, m } = buildScript(`
@T.prim_func
def main(A: T.Buffer((256,), "float16"), B: T.Buffer((256,), "float16"), W: T.Buffer((256,), "bfloat16"), C: T.Buffer((256,), "float16"), D: T.Buffer((256,), "float16"), E: T.Buffer((256,), "bfloat16"), F: T.Buffer((256,), "float32"), G: T.Buffer((256,), "bfloat16")):
    for i in range(256):
        C[i] = A[i] * B[i] + T.float16(0.1) - A[i] / (T.fabs(B[i]) + T.float16(0.001))
        E[i] = W[i] * W[i] - T.Cast("bfloat16", A[i]) + T.bfloat16(1.0e-3) / W[i]
        F[i] = T.Cast("float32", T.floordiv(A[i], B[i])) + T.Cast("float32", T.floormod(A[i], B[i])) + T.Cast("float32", T.max(A[i], B[i]))
    for i in range(32):
        D[T.Ramp(i * 8, 1, 8)] = A[T.Ramp(i * 8, 1, 8)] * B[T.Ramp(i * 8, 1, 8)] + T.Broadcast(T.float16(0.1), 8) - A[T.Ramp(i * 8, 1, 8)] / (B[T.Ramp(i * 8, 1, 8)] * B[T.Ramp(i * 8, 1, 8)] + T.Broadcast(T.float16(0.001), 8))
        G[T.Ramp(i * 8, 1, 8)] = W[T.Ramp(i * 8, 1, 8)] * W[T.Ramp(i * 8, 1, 8)] - T.Cast("bfloat16x8", A[T.Ramp(i * 8, 1, 8)]) + T.Broadcast(T.bfloat16(1.0e-3), 8) / W[T.Ramp(i * 8, 1, 8)]
`);
    expect(m.source).toContain("weft_f16x8_rnd(");
    expect(m.source).toContain("weft_bf16x8_rnd(");
    const rng = new Rng(9);
    const a = edgeInputs(256, 3).map((x) => (Math.abs(x) > 300 ? x / 1000 : x));
    const b = Array.from({ length: 256 }, (_, k) => (k % 3 === 0 ? rng.uniform(-1e-3, 1e-3) : k % 3 === 1 ? rng.uniform(-300, 300) : rng.uniform(-2, 2)));
    const w = Array.from({ length: 256 }, (_, k) => (k % 2 ? rng.normal() * 1e5 : rng.uniform(-1, 1)));
    const args = [fromArray(a, [a.length], "float16"), fromArray(b, [b.length], "float16"), fromArray(w, [w.length], "bfloat16"), ...randomArgs(f, 4).slice(3)];
    expectSameAsInterp(f, m, args);
  });

  test("math functions (computed in double, rounded once) and casts from integers and float64", () => {
    const { f, m } = buildScript(`
@T.prim_func
def main(A: T.Buffer((64,), "float16"), I: T.Buffer((64,), "int32"), G: T.Buffer((64,), "float64"), C: T.Buffer((64,), "float16"), D: T.Buffer((64,), "bfloat16"), E: T.Buffer((64,), "float16")):
    for i in range(64):
        C[i] = T.exp(A[i]) + T.tanh(A[i]) + T.sigmoid(A[i]) + T.sqrt(T.fabs(A[i])) + T.erf(A[i])
        D[i] = T.Cast("bfloat16", I[i]) + T.Cast("bfloat16", G[i])
    for i in range(16):
        E[T.Ramp(i * 4, 1, 4)] = T.exp(A[T.Ramp(i * 4, 1, 4)]) + T.Cast("float16x4", I[T.Ramp(i * 4, 1, 4)]) + T.Cast("float16x4", G[T.Ramp(i * 4, 1, 4)])
`);
    const rng = new Rng(13);
    const a = Array.from({ length: 64 }, () => rng.uniform(-6, 6));
    const ints = Array.from({ length: 64 }, (_, k) => (k % 2 ? rng.int(-70000, 70000) : rng.int(-(2 ** 31), 2 ** 31 - 1)));
    const g = Array.from({ length: 64 }, (_, k) => (k % 2 ? rng.normal() * 1e-6 : (1 + 2 ** -8 + 2 ** -40) * rng.int(1, 100)));
    const args = [fromArray(a, [a.length], "float16"), fromArray(ints, [ints.length], "int32"), fromArray(g, [g.length], "float64"), ...randomArgs(f, 5).slice(3)];
    expectSameAsInterp(f, m, args);
  });

  test("reinterpret to and from 16-bit integers gives the binary16 / bfloat16 bit patterns", () => {
    const { f, m } = buildScript(`
@T.prim_func
def main(A: T.Buffer((32,), "float16"), W: T.Buffer((32,), "bfloat16"), U: T.Buffer((32,), "uint16"), V: T.Buffer((32,), "int16"), H: T.Buffer((32,), "float16")):
    for i in range(32):
        U[i] = T.reinterpret("uint16", A[i])
        V[i] = T.reinterpret("int16", W[i])
        H[i] = T.reinterpret("float16", U[i] + T.uint16(1))
`);
    const xs = [0, -0, Infinity, -Infinity, 65504, -65504, 2 ** -24, -(2 ** -24), 2 ** -14, 0.1, -3.5, 1000, ...Array.from({ length: 20 }, (_, k) => (k - 10) * 0.37)];
    const args = [fromArray(xs, [xs.length], "float16"), fromArray(xs, [xs.length], "bfloat16"), ...randomArgs(f, 6).slice(2)];
    const { c } = expectSameAsInterp(f, m, args);
    expect(Array.from((c[2] as HostArray).data as Uint16Array)).toEqual(xs.map((x) => float16Bits(x)));
  });

  test("build(mod, 'c') runs on float16 / bfloat16 NDArrays (float storage of rounded values)", async () => {
    const f = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((6,), "float16"), B: T.Buffer((6,), "bfloat16"), C: T.Buffer((6,), "float16")):
    for i in range(6):
        C[i] = A[i] * T.float16(3) + T.Cast("float16", B[i])
`);
    const prev = process.env["WEFT_CACHE_DIR"];
    process.env["WEFT_CACHE_DIR"] = testCacheDir;
    try {
      const m = await build(IRModule.fromFunction(f, "main"), "c", { lower: null });
      const xs = [0.1, -2.5, 1000, 65504, 1e-7, 3.14159];
      const a = NDArray.fromArray(xs, [6], "float16"), b = NDArray.fromArray(xs, [6], "bfloat16"), c = NDArray.empty([6], "float16");
      m.get("main")(a, b, c);
      const want = xs.map((x) => roundToFloat16(roundToFloat16(roundToFloat16(x) * 3) + roundToFloat16(roundToBFloat16(x))));
      expect(c.toArray()).toEqual(want);
    } finally {
      if (prev === undefined) delete process.env["WEFT_CACHE_DIR"];
      else process.env["WEFT_CACHE_DIR"] = prev;
    }
  });

  test("default-scheduled float16 elementwise and reduction operators on c match the interpreter", () => {
    const x = placeholder([8, 64], "float16", "x"), y = placeholder([64], "float16", "y");
    const f = createPrimFunc([x, y, topi.add(topi.multiply(x, y), 1), topi.sum(x, 1), topi.cast(topi.relu(x), "float32")]);
    const g = applyDefaultSchedule(IRModule.fromFunction(f, "main"), Target.parse("c -num-cores=2"));
    const m = buildC(lower(g), { cacheDir: testCacheDir, numThreads: 2 });
    const rng = new Rng(17);
    const args = f.params.map((q) => {
      const b = f.bufferMap.get(q)!;
      return randomArray(b.shape.map((s) => Number(s.toString())), b.dtype, rng);
    });
    const ref = args.map(copyArray);
    runPrimFunc(f, ref);
    const got = args.map(copyArray);
    m.call("main", got);
    // Elementwise results are exact; the sum may be reassociated by the schedule (each partial
    // sum rounded to float16), so it gets float16's tolerance.
    compareArgs(got.slice(0, 3), ref.slice(0, 3));
    compareArgs(got.slice(3, 4), ref.slice(3, 4), 8e-3);
    compareArgs(got.slice(4), ref.slice(4));
  });
});
