import { describe, expect, it } from "vitest";
import { NDArray } from "../../src/runtime/ndarray.js";
import { ArgumentError } from "../../src/runtime/module.js";
import { build } from "../../src/target/build.js";
import "../../src/target/wasm/index.js";
import { WasmModule } from "../../src/target/wasm/index.js";
import type { PrimFunc } from "../../src/tir/function.js";
import { parsePrimFunc } from "../../src/tir/script/index.js";
import { compareWithInterpreter, randomArgs } from "./js_harness.js";

async function checkWasm(
  src: string,
  opts: { seed?: number; scalars?: Record<string, number>; shapes?: Record<string, number[]>; tol?: number; target?: string } = {},
): Promise<WasmModule> {
  const f: PrimFunc = parsePrimFunc(src);
  const mod = await build(f, opts.target ?? "wasm -emit-text", { lower: null });
  await compareWithInterpreter(f, randomArgs(f, opts.seed ?? 1, opts.scalars, opts.shapes), { tol: opts.tol, mod });
  return mod as WasmModule;
}

// Hand-written functions in lowered form; each runs under the wasm target and the interpreter.
// Integers and float32 arithmetic are equal bit for bit; math intrinsics call JS Math in double
// precision and round like the interpreter, so they are equal too (tolerance stated where used).
describe("wasm codegen on lowered functions (equal to the interpreter)", () => {
  it("elementwise float32 over a flattened 2-D index", async () => {
    await checkWasm(`
@T.prim_func
def main(A: T.Buffer((48,), "float32"), B: T.Buffer((48,), "float32"), C: T.Buffer((48,), "float32")):
    for i in range(6):
        for j in range(8):
            C[i * 8 + j] = A[i * 8 + j] * B[i * 8 + j] + T.max(A[i * 8 + j], T.float32(0.25)) / T.float32(3)
`);
  });
  it("vectorized Ramp loads and stores use SIMD128; strided ramps, broadcasts and predicated lanes", async () => {
    const mod = await checkWasm(`
@T.prim_func
def main(A: T.Buffer((64,), "float32"), B: T.Buffer((32,), "float32"), C: T.Buffer((32,), "float32"), D: T.Buffer((32,), "int32")):
    for i in range(8):
        B[T.Ramp(i * 4, 1, 4)] = A[T.Ramp(i * 8, 2, 4)] * T.Broadcast(A[i], 4) + T.Broadcast(T.float32(0.1), 4)
    for i in range(4):
        C[T.Ramp(i * 8, 1, 8)] = T.max(B[T.Ramp(i * 8, 1, 8)], A[T.Ramp(i * 8, 1, 8)]) - T.Select(A[T.Ramp(i * 8, 1, 8)] < T.Broadcast(T.float32(0), 8), B[T.Ramp(i * 8, 1, 8)], T.Broadcast(T.float32(1), 8))
    for i in range(8):
        D[T.Ramp(i * 4, 1, 4)] = T.Ramp(i * 4, 3, 4) * T.Broadcast(-7, 4) + T.min(T.Ramp(0, 1, 4), T.Broadcast(i, 4))
    for i in range(8):
        C[T.Ramp(i * 4, 1, 4)] = B.vload([T.Ramp(i * 4, 1, 4)], predicate=T.Ramp(i * 4, 1, 4) < T.Broadcast(30, 4))
`);
    const text = mod.getSource();
    expect(text).toContain("v128.load");
    expect(text).toContain("f32x4.mul");
    expect(text).toContain("v128.store");
  });

  it("vectorized lanes of other shapes (float32x3, int8x4) fall back lane by lane", async () => {
    await checkWasm(`
@T.prim_func
def main(A: T.Buffer((24,), "float32"), B: T.Buffer((24,), "float32"), C: T.Buffer((16,), "int8"), D: T.Buffer((16,), "int8")):
    for i in range(8):
        B[T.Ramp(i * 3, 1, 3)] = A[T.Ramp(i * 3, 1, 3)] + T.Broadcast(T.float32(2), 3)
    for i in range(4):
        D[T.Ramp(i * 4, 1, 4)] = C[T.Ramp(i * 4, 1, 4)] * T.Broadcast(T.int8(3), 4)
`);
  });

  it("Allocate temporaries live in a static region reserved at build, reused across calls", async () => {
    const src = `
@T.prim_func
def main(A: T.Buffer((16,), "float32"), B: T.Buffer((16,), "float32")):
    buf = T.allocate([16], "float32", "global")
    Tmp = T.Buffer((16,), "float32", data=buf)
    Acc = T.decl_buffer((1,), "float32", scope="local")
    for i in range(16):
        Tmp[i] = A[15 - i] * T.float32(2)
    Acc[0] = T.float32(0)
    for i in range(16):
        Acc[0] = Acc[0] + Tmp[i]
        B[i] = Acc[0]
`;
    const mod = await checkWasm(src);
    expect(mod.artifact.staticEnd).toBeGreaterThan(4096);
    await checkWasm(src, { seed: 2 });
  });

  it("if / else, LetStmt, assert, while, select and if_then_else guarding an out-of-range load", async () => {
    await checkWasm(`
@T.prim_func
def main(A: T.Buffer((16,), "int32"), B: T.Buffer((16,), "int32"), n: T.int32):
    x: T.int32 = n * 3 - 1
    assert n > 0, "n must be positive"
    for i in range(16):
        if i < n:
            B[i] = A[i] + x
        else:
            B[i] = T.if_then_else(i + 1 < 16, A[T.min(i + 1, 15)], A[0] * 2) + T.Select(A[i] > 0, 1, -1)
    B[0] = 0
    while B[0] < 5:
        B[0] = B[0] + 2
`, { scalars: { n: 7 } });
    const f = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((4,), "int32"), n: T.int32):
    assert n > 0, "n must be positive"
    A[0] = n
`);
    const mod = await build(f, "wasm", { lower: null });
    expect(() => mod.get("main")(NDArray.empty([4], "int32"), 0)).toThrow("main: n must be positive");
    const a = NDArray.empty([4], "int32");
    mod.get("main")(a, 9);
    expect(a.toArray()).toEqual([9, 0, 0, 0]);
  });

  it("int32 arithmetic wraps on overflow, and narrow ints wrap too", async () => {
    await checkWasm(`
@T.prim_func
def main(A: T.Buffer((32,), "int32"), B: T.Buffer((32,), "int32"), C: T.Buffer((32,), "int8"), D: T.Buffer((32,), "uint8"), E: T.Buffer((32,), "uint32")):
    for i in range(32):
        B[i] = A[i] * 1000003 * 1000003 + 2147483647 - (A[i] - 2147483647)
        C[i] = T.Cast("int8", A[i] * 37) + T.int8(120)
        D[i] = T.Cast("uint8", A[i]) * T.uint8(77) - T.uint8(200)
        E[i] = T.Cast("uint32", A[i]) * T.uint32(3000000) + T.truncdiv(T.Cast("uint32", A[i] - 100), T.uint32(7))
`);
  });

  it("floordiv / floormod / truncdiv / truncmod on negative operands", async () => {
    await checkWasm(`
@T.prim_func
def main(A: T.Buffer((64,), "int32"), B: T.Buffer((64,), "int32"), C: T.Buffer((64,), "int32")):
    for i in range(64):
        C[i] = T.floordiv(A[i] * 7, B[i] * 2 + 1) * 1000 + T.floormod(A[i] * 7, B[i] * 2 + 1) * 100 + T.truncdiv(A[i] * 5, B[i] * 2 + 1) * 10 + T.truncmod(A[i] * 5, B[i] * 2 + 1) + T.floordiv(A[i] - 50, 4) + T.floormod(A[i] - 50, 8)
`, { seed: 3 });
  });

  it("float32 rounds every result (computed in f32)", async () => {
    await checkWasm(`
@T.prim_func
def main(A: T.Buffer((256,), "float32"), B: T.Buffer((256,), "float32"), C: T.Buffer((1,), "float32")):
    C[0] = T.float32(0)
    for i in range(256):
        C[0] = C[0] + A[i] * B[i] + T.float32(1e-3)
`);
  });

  it("casts between float and int (truncation, wrap; NaN and infinity give 0), bool and float64", async () => {
    await checkWasm(`
@T.prim_func
def main(A: T.Buffer((16,), "float32"), B: T.Buffer((16,), "int32"), C: T.Buffer((16,), "float64"), D: T.Buffer((16,), "bool")):
    for i in range(16):
        B[i] = T.Cast("int32", A[i] * T.float32(100)) + T.Cast("int32", T.float32(1) / (A[i] - A[i])) + T.Cast("int32", T.Cast("float64", A[i]) * T.float64(1e10))
        C[i] = T.Cast("float64", A[i]) / T.float64(3)
        D[i] = A[i] > T.float32(0) and not A[i] > T.float32(0.5)
`);
  });

  it("float16 and bfloat16 arithmetic round like the interpreter", async () => {
    await checkWasm(`
@T.prim_func
def main(A: T.Buffer((32,), "float16"), B: T.Buffer((32,), "bfloat16"), C: T.Buffer((32,), "float16"), D: T.Buffer((32,), "float32")):
    for i in range(32):
        C[i] = A[i] * A[i] + T.float16(0.1) - T.Cast("float16", B[i])
        D[i] = T.Cast("float32", A[i]) + T.Cast("float32", B[i] * T.bfloat16(3))
`);
  });

  it("math intrinsics (exp, log, tanh, sigmoid, erf, sqrt, pow, round) on float32 and float64", async () => {
    await checkWasm(`
@T.prim_func
def main(A: T.Buffer((64,), "float32"), B: T.Buffer((64,), "float32"), C: T.Buffer((64,), "float64")):
    for i in range(64):
        B[i] = T.exp(A[i]) + T.tanh(A[i]) + T.sigmoid(A[i]) + T.erf(A[i]) + T.sqrt(T.fabs(A[i])) + T.pow(T.fabs(A[i]), T.float32(1.5)) + T.round(A[i] * T.float32(4)) + T.log(T.fabs(A[i]) + T.float32(1)) + T.floor(A[i]) + T.ceil(A[i]) + T.trunc(A[i] * T.float32(3))
        C[i] = T.exp(T.Cast("float64", A[i])) + T.sqrt(T.fabs(T.Cast("float64", A[i]))) + T.floormod(T.Cast("float64", A[i]), T.float64(0.3))
`, { tol: 1e-6 });
  });

  it("int64 indices and values, bit operations, shuffles and vector lets", async () => {
    await checkWasm(`
@T.prim_func
def main(A: T.Buffer((16,), "int32"), B: T.Buffer((16,), "int64"), C: T.Buffer((8,), "int32")):
    for i in range(T.int64(16)):
        B[i] = T.Cast("int64", A[i]) * T.int64(3000000000) + T.int64(7)
    for i in range(2):
        v: T.int32x4 = A[T.Ramp(i * 8, 2, 4)] + T.Broadcast(i, 4)
        C[T.Ramp(i * 4, 1, 4)] = T.bitwise_xor(T.Shuffle([v, A[T.Ramp(4, 1, 4)]], [1, 2, 5, 6]), T.shift_left(v, T.Broadcast(2, 4)))
`);
  });

  it("int64 division and modulo by constants and products past 2^53, in wasm's i64 arithmetic", async () => {
    await checkWasm(`
@T.prim_func
def main(A: T.Buffer((16,), "int32"), B: T.Buffer((16, 6), "int64")):
    for i in range(T.int64(16)):
        x: T.int64 = T.Cast("int64", A[i]) * T.int64(3000000001) - T.int64(7)
        B[i, 0] = T.floordiv(x, T.int64(6))
        B[i, 1] = T.floormod(x, T.int64(6))
        B[i, 2] = T.truncdiv(x, T.int64(4294967311))
        B[i, 3] = T.truncmod(x, T.int64(7))
        B[i, 4] = x * T.int64(4000000) + T.int64(1)
        B[i, 5] = T.floordiv(T.Cast("int64", A[i]) - T.int64(5), T.int64(2))
`);
  });

  it("symbolic shapes bound from the arrays, and a dynamic-size temporary", async () => {
    await checkWasm(`
@T.prim_func
def main(a: T.handle, b: T.handle):
    n = T.int32()
    A = T.match_buffer(a, (n,), "float32")
    B = T.match_buffer(b, (n,), "float32")
    buf = T.allocate([n], "float32", "global")
    Tmp = T.Buffer((n,), "float32", data=buf)
    for i in range(n):
        Tmp[i] = A[i] + T.float32(1)
    for i in range(n):
        B[i] = Tmp[n - 1 - i]
`, { shapes: { A: [13], B: [13] } });
  });

  it("a dynamic temporary larger than the memory grows it", async () => {
    const f = parsePrimFunc(`
@T.prim_func
def main(a: T.handle, b: T.handle):
    n = T.int32()
    A = T.match_buffer(a, (n,), "float32")
    B = T.match_buffer(b, (n,), "float32")
    buf = T.allocate([n * 64], "float32", "global")
    Tmp = T.Buffer((n * 64,), "float32", data=buf)
    for i in range(n * 64):
        Tmp[i] = A[i % n] + T.float32(1)
    for i in range(n):
        B[i] = Tmp[n * 64 - 1 - i]
`);
    await compareWithInterpreter(f, randomArgs(f, 4, {}, { A: [3000], B: [3000] }), { mod: await build(f, "wasm", { lower: null }) });
  });

  it("parallel, unrolled and thread-bound loops run serially", async () => {
    await checkWasm(`
@T.prim_func
def main(A: T.Buffer((64,), "float32"), B: T.Buffer((64,), "float32")):
    for i in T.parallel(4):
        for j in T.unroll(4):
            for k in T.serial(4):
                B[i * 16 + j * 4 + k] = A[i * 16 + j * 4 + k] * T.float32(2)
`);
  });

  it("returns the value of T.ret", async () => {
    const f = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((4,), "int32")) -> T.int32:
    T.evaluate(T.ret(A[0] + A[3]))
`);
    const mod = await build(f, "wasm", { lower: null });
    expect(mod.get("main")(NDArray.fromArray([1, 2, 3, 4], [4], "int32"))).toBe(5);
  });
});

describe("wasm module", () => {
  const src = `
@T.prim_func
def main(A: T.Buffer((8, 4), "float32"), B: T.Buffer((8, 4), "float32")):
    for i in range(32):
        B[i // 4, i % 4] = A[i // 4, i % 4] + T.float32(1)
`;

  it("module.empty arrays live in wasm memory and are used in place (no copy)", async () => {
    const mod = (await build(parsePrimFunc(src), "wasm")) as WasmModule;
    const a = mod.empty([8, 4], "float32"), b = mod.empty([8, 4], "float32");
    expect(a.data.buffer === mod.memory.buffer || mod.inMemory(a)).toBe(true);
    expect(a.data.byteOffset % 64).toBe(0);
    a.data.set(Array.from({ length: 32 }, (_, i) => i));
    mod.get("main")(a, b);
    expect(b.toArray()).toEqual(Array.from({ length: 32 }, (_, i) => i + 1));
    // Mixed: an ordinary NDArray input and an in-memory output.
    const c = NDArray.fromArray(Array.from({ length: 32 }, (_, i) => -i), [8, 4], "float32");
    mod.get("main")(c, b);
    expect(b.toArray()).toEqual(Array.from({ length: 32 }, (_, i) => 1 - i));
    expect(c.toArray()[5]).toBe(-5);
  });

  it("works with a plain (non-shared) memory, as in a page that is not cross-origin isolated", async () => {
    const mod = (await build(parsePrimFunc(src), "wasm -shared-memory=false")) as WasmModule;
    expect(mod.artifact.shared).toBe(false);
    expect(mod.memory.buffer instanceof ArrayBuffer).toBe(true);
    const a = mod.empty([8, 4], "float32"), b = mod.empty([8, 4], "float32");
    a.data.fill(2);
    mod.get("main")(a, b);
    expect(b.toArray()).toEqual(new Array(32).fill(3));
    const c = NDArray.empty([8, 4], "float32");
    mod.get("main")(a, c);
    expect(c.toArray()).toEqual(new Array(32).fill(3));
  });

  it("with a shared memory (Node), module.empty arrays survive memory growth", async () => {
    const mod = (await build(parsePrimFunc(src), "wasm")) as WasmModule;
    if (!mod.artifact.shared) return; // engine without shared memory
    const a = mod.empty([8, 4], "float32"), b = mod.empty([8, 4], "float32");
    a.data.fill(5);
    mod.empty([1 << 20], "float32"); // 4 MiB: grows the memory
    mod.get("main")(a, b);
    expect(b.toArray()).toEqual(new Array(32).fill(6));
  });

  it("arguments are checked by the shared ArgChecker and say which argument is wrong", async () => {
    const mod = await build(parsePrimFunc(src), "wasm");
    const f = mod.get("main");
    expect(() => f(NDArray.empty([8, 4], "float32"))).toThrow(ArgumentError);
    expect(() => f(NDArray.empty([8, 4], "float32"))).toThrow("main: expected 2 argument(s) (A, B), got 1");
    expect(() => f(NDArray.empty([8, 4], "float32"), NDArray.empty([8, 5], "float32"))).toThrow("main: argument B: expected shape (8, 4), got (8, 5)");
    expect(() => f(NDArray.empty([8, 4], "int32"), NDArray.empty([8, 4], "float32"))).toThrow("main: argument A: expected dtype float32, got int32");
    expect(() => f(3, NDArray.empty([8, 4], "float32"))).toThrow(/argument A: expected a float32 array of shape \(8, 4\), got the number 3/);
  });

  it("timeEvaluator times a call", async () => {
    const mod = await build(parsePrimFunc(src), "wasm");
    const r = mod.timeEvaluator("main", { number: 2, repeat: 2 })(NDArray.empty([8, 4]), NDArray.empty([8, 4]));
    expect(r.times).toHaveLength(2);
  });
});
