import { describe, expect, it } from "vitest";
import { NDArray } from "../../src/runtime/ndarray.js";
import { build } from "../../src/target/build.js";
import { parsePrimFunc } from "../../src/tir/script/index.js";
import { checkScript } from "./js_harness.js";

// Hand-written functions in lowered form (1-D buffers, T.allocate / T.decl_buffer, Ramp
// vectors); each runs under the js target and the interpreter, results equal bit for bit.
describe("js codegen on lowered functions (equal to the interpreter bit for bit)", () => {
  it("elementwise float32 over a flattened 2-D index", async () => {
    await checkScript(`
@T.prim_func
def main(A: T.Buffer((48,), "float32"), B: T.Buffer((48,), "float32"), C: T.Buffer((48,), "float32")):
    for i in range(6):
        for j in range(8):
            C[i * 8 + j] = A[i * 8 + j] * B[i * 8 + j] + T.max(A[i * 8 + j], T.float32(0.25)) / T.float32(3)
`);
  });

  it("vectorized Ramp loads and stores, strided ramps, broadcasts and predicated lanes", async () => {
    const mod = await checkScript(`
@T.prim_func
def main(A: T.Buffer((64,), "float32"), B: T.Buffer((32,), "float32"), C: T.Buffer((32,), "float32")):
    for i in range(8):
        B[T.Ramp(i * 4, 1, 4)] = A[T.Ramp(i * 8, 2, 4)] * T.Broadcast(A[i], 4) + T.Broadcast(T.float32(0.1), 4)
    for i in range(8):
        C[T.Ramp(i * 4, 1, 4)] = B.vload([T.Ramp(i * 4, 1, 4)], predicate=T.Ramp(i * 4, 1, 4) < T.Broadcast(30, 4))
`);
    expect(mod.getSource!("main")).toContain("Math.fround");
  });

  it("Allocate / decl_buffer temporaries, reused across calls", async () => {
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
    const mod = await checkScript(src);
    await checkScript(src, { seed: 2 });
    // The constant-size temporaries are allocated when the module is compiled, not per call.
    expect(mod.getSource!("main")).toMatch(/^const buf = new Float32Array\(16\);$/m);
  });

  it("if / else, LetStmt, assert, while, select and if_then_else guarding an out-of-range load", async () => {
    await checkScript(`
@T.prim_func
def main(A: T.Buffer((16,), "int32"), B: T.Buffer((16,), "int32"), n: T.int32):
    x: T.int32 = n * 3 - 1
    assert n > 0, "n must be positive"
    for i in range(16):
        if i < n:
            B[i] = A[i] + x
        else:
            B[i] = T.if_then_else(i + 1 < 16, A[T.min(i + 1, 15)], A[0] * 2) + T.Select(A[i] > 0, 1, -1)
    k = T.int32()
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
    const mod = await build(f, "js", { lower: null });
    expect(() => mod.get("main")(NDArray.empty([4], "int32"), 0)).toThrow("main: n must be positive");
  });

  it("int32 arithmetic wraps on overflow (Math.imul, |0), and narrow ints wrap too", async () => {
    await checkScript(`
@T.prim_func
def main(A: T.Buffer((32,), "int32"), B: T.Buffer((32,), "int32"), C: T.Buffer((32,), "int8"), D: T.Buffer((32,), "uint8")):
    for i in range(32):
        B[i] = A[i] * 1000003 * 1000003 + 2147483647 - (A[i] - 2147483647)
        C[i] = T.Cast("int8", A[i] * 37) + T.int8(120)
        D[i] = T.Cast("uint8", A[i]) * T.uint8(77) - T.uint8(200)
`);
  });

  it("floordiv / floormod / truncdiv / truncmod on negative operands", async () => {
    await checkScript(`
@T.prim_func
def main(A: T.Buffer((64,), "int32"), B: T.Buffer((64,), "int32"), C: T.Buffer((64,), "int32")):
    for i in range(64):
        C[i] = T.floordiv(A[i] * 7, B[i] * 2 + 1) * 1000 + T.floormod(A[i] * 7, B[i] * 2 + 1) * 100 + T.truncdiv(A[i] * 5, B[i] * 2 + 1) * 10 + T.truncmod(A[i] * 5, B[i] * 2 + 1)
`);
  });

  it("float32 rounds every result (a double accumulator would differ)", async () => {
    const mod = await checkScript(`
@T.prim_func
def main(A: T.Buffer((256,), "float32"), B: T.Buffer((256,), "float32"), C: T.Buffer((1,), "float32")):
    C[0] = T.float32(0)
    for i in range(256):
        C[0] = C[0] + A[i] * B[i] + T.float32(1e-3)
`);
    expect(mod.getSource!("main")).toMatch(/Math\.fround\(Math\.fround\(/);
  });

  it("casts between float and int (truncation; NaN and infinity give 0), bool and float64", async () => {
    await checkScript(`
@T.prim_func
def main(A: T.Buffer((16,), "float32"), B: T.Buffer((16,), "int32"), C: T.Buffer((16,), "float64"), D: T.Buffer((16,), "bool")):
    for i in range(16):
        B[i] = T.Cast("int32", A[i] * T.float32(100)) + T.Cast("int32", T.float32(1) / (A[i] - A[i]))
        C[i] = T.Cast("float64", A[i]) / T.float64(3)
        D[i] = A[i] > T.float32(0) and not A[i] > T.float32(0.5)
`);
  });

  it("float16 and bfloat16 arithmetic round like the interpreter", async () => {
    await checkScript(`
@T.prim_func
def main(A: T.Buffer((32,), "float16"), B: T.Buffer((32,), "bfloat16"), C: T.Buffer((32,), "float16"), D: T.Buffer((32,), "float32")):
    for i in range(32):
        C[i] = A[i] * A[i] + T.float16(0.1) - T.Cast("float16", B[i])
        D[i] = T.Cast("float32", A[i]) + T.Cast("float32", B[i] * T.bfloat16(3))
`);
  });

  it("math intrinsics (exp, log, tanh, sigmoid, erf, sqrt, pow, round) on float32", async () => {
    await checkScript(`
@T.prim_func
def main(A: T.Buffer((64,), "float32"), B: T.Buffer((64,), "float32")):
    for i in range(64):
        B[i] = T.exp(A[i]) + T.tanh(A[i]) + T.sigmoid(A[i]) + T.erf(A[i]) + T.sqrt(T.fabs(A[i])) + T.pow(T.fabs(A[i]), T.float32(1.5)) + T.round(A[i] * T.float32(4)) + T.log(T.fabs(A[i]) + T.float32(1))
`, { tol: 1e-6 });
  });

  it("int64 indices and values, bit operations, shuffles and vector lets", async () => {
    await checkScript(`
@T.prim_func
def main(A: T.Buffer((16,), "int32"), B: T.Buffer((16,), "int64"), C: T.Buffer((8,), "int32")):
    for i in range(T.int64(16)):
        B[i] = T.Cast("int64", A[i]) * T.int64(3000000000) + T.int64(7)
    for i in range(2):
        v: T.int32x4 = A[T.Ramp(i * 8, 2, 4)] + T.Broadcast(i, 4)
        C[T.Ramp(i * 4, 1, 4)] = T.bitwise_xor(T.Shuffle([v, A[T.Ramp(4, 1, 4)]], [1, 2, 5, 6]), T.shift_left(v, T.Broadcast(2, 4)))
`);
  });

  it("symbolic shapes bound from the arrays, and a dynamic-size temporary", async () => {
    await checkScript(`
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

  it("parallel, unrolled and thread-bound loops run serially", async () => {
    await checkScript(`
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
    const mod = await build(f, "js", { lower: null });
    expect(mod.get("main")(NDArray.fromArray([1, 2, 3, 4], [4], "int32"))).toBe(5);
  });

  it("rejects functions that still have blocks", async () => {
    const f = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((4,), "float32")):
    for i in range(4):
        with T.block("b"):
            vi = T.axis.spatial(4, i)
            A[vi] = T.float32(0)
`);
    await expect(build(f, "js", { lower: null })).rejects.toThrow(/block "root" is still present; build expects lowered input/);
  });
});
