/**
 * The c target against the interpreter, on hand-written lowered functions: integer results
 * bit for bit, float math within 1e-5 relative.
 */
import { describe, expect, test } from "vitest";
import { int32 } from "../../src/ir/dtype.js";
import { Rng, emptyArray, fromArray, randomArray, toArray } from "../../src/tir/interp/index.js";
import { codegenC } from "../../src/target/c/index.js";
import { IRModule } from "../../src/ir/module.js";
import { parsePrimFunc } from "../../src/tir/script/index.js";
import { buildScript, expectSameAsInterp, hasCompiler, randomArgs } from "./c_helpers.js";
import * as helpers from "./c_helpers.js";
import { runPrimFunc as runRef } from "../../src/tir/interp/index.js";

const d = describe.skipIf(!hasCompiler);

d("c target: scalar code", () => {
  test("elementwise float arithmetic, min/max, select", () => {
    const { f, m } = buildScript(`
@T.prim_func
def main(A: T.Buffer((7, 5), "float32"), B: T.Buffer((7, 5), "float32"), C: T.Buffer((7, 5), "float32")):
    for i, j in T.grid(7, 5):
        C[i, j] = T.max(A[i, j] * B[i, j] + T.float32(0.5), T.min(A[i, j], B[i, j])) - T.Select(A[i, j] > B[i, j], A[i, j], T.float32(-2))
`);
    expectSameAsInterp(f, m, randomArgs(f, 1), 1e-6);
  });

  test("int32 arithmetic wraps like the interpreter (bit exact)", () => {
    const { f, m } = buildScript(`
@T.prim_func
def main(A: T.Buffer((64,), "int32"), B: T.Buffer((64,), "int32")):
    for i in range(64):
        B[i] = A[i] * 65537 + 2147483000 - A[i] * A[i] * 7919
`);
    const rng = new Rng(3);
    const a = emptyArray([64], int32);
    for (let i = 0; i < 64; i++) (a.data as Int32Array)[i] = (rng.nextUint32() | 0);
    const { c } = expectSameAsInterp(f, m, [a, emptyArray([64], int32)]);
    // It really overflowed somewhere.
    const out = toArray(c[1] as never);
    expect(out.some((x, i) => x !== Number((BigInt((a.data as Int32Array)[i]!) * 65537n + 2147483000n - BigInt((a.data as Int32Array)[i]!) ** 2n * 7919n)))).toBe(true);
  });

  test("int8 arithmetic wraps to 8 bits", () => {
    const { f, m } = buildScript(`
@T.prim_func
def main(A: T.Buffer((16,), "int8"), B: T.Buffer((16,), "int8")):
    for i in range(16):
        B[i] = A[i] * T.int8(37) + T.int8(100)
`);
    expectSameAsInterp(f, m, randomArgs(f, 5));
  });

  test("floordiv / floormod / truncdiv / truncmod on negatives", () => {
    const { f, m } = buildScript(`
@T.prim_func
def main(A: T.Buffer((40,), "int32"), B: T.Buffer((40,), "int32"), Q: T.Buffer((40, 4), "int32")):
    for i in range(40):
        Q[i, 0] = T.floordiv(A[i], B[i])
        Q[i, 1] = T.floormod(A[i], B[i])
        Q[i, 2] = T.truncdiv(A[i], B[i])
        Q[i, 3] = T.truncmod(A[i], B[i])
`);
    const a = fromArray(Array.from({ length: 40 }, (_, i) => i * 7 - 140), [40], "int32");
    const b = fromArray(Array.from({ length: 40 }, (_, i) => [3, -3, 5, -7, 1][i % 5]!), [40], "int32");
    const { c } = expectSameAsInterp(f, m, [a, b, emptyArray([40, 4], int32)]);
    const q = toArray(c[2] as never);
    // -140 // 3 = -47, -140 % 3 = 1 (floor); truncdiv -46, truncmod -2.
    expect(q.slice(0, 4)).toEqual([-47, 1, -46, -2]);
  });

  test("transcendental math matches within 1e-5", () => {
    const { f, m } = buildScript(`
@T.prim_func
def main(A: T.Buffer((256,), "float32"), B: T.Buffer((256, 8), "float32")):
    for i in range(256):
        B[i, 0] = T.exp(A[i])
        B[i, 1] = T.log(T.fabs(A[i]) + T.float32(0.01))
        B[i, 2] = T.tanh(A[i] * T.float32(3))
        B[i, 3] = T.erf(A[i])
        B[i, 4] = T.sqrt(T.fabs(A[i]))
        B[i, 5] = T.sigmoid(A[i])
        B[i, 6] = T.pow(T.fabs(A[i]), T.float32(1.5))
        B[i, 7] = T.floor(A[i] * T.float32(10)) + T.round(A[i] * T.float32(4))
`);
    expectSameAsInterp(f, m, randomArgs(f, 7), 1e-5);
  });

  test("if / else, if_then_else, LetStmt", () => {
    const { f, m } = buildScript(`
@T.prim_func
def main(A: T.Buffer((33,), "float32"), B: T.Buffer((33,), "float32")):
    for i in range(33):
        x: T.float32 = A[i] * T.float32(2)
        if i % 3 == 0:
            B[i] = x
        elif A[i] > T.float32(0):
            B[i] = T.if_then_else(i < 20, A[i - 1], T.float32(7))
        else:
            B[i] = T.float32(-1)
`);
    expectSameAsInterp(f, m, randomArgs(f, 11), 1e-6);
  });

  test("float64, uint8, int64 and bool buffers", () => {
    const { f, m } = buildScript(`
@T.prim_func
def main(A: T.Buffer((10,), "float64"), U: T.Buffer((10,), "uint8"), L: T.Buffer((10,), "int64"), P: T.Buffer((10,), "bool"), O: T.Buffer((10,), "float64")):
    for i in range(10):
        U[i] = U[i] * T.uint8(31) + T.uint8(200)
        L[i] = L[i] * T.int64(3000000000) + T.int64(1)
        P[i] = A[i] > T.float64(0)
        O[i] = T.exp(A[i]) + T.Cast("float64", U[i])
`);
    expectSameAsInterp(f, m, randomArgs(f, 13), 1e-12);
  });

  test("symbolic shapes are bound from the arrays", () => {
    const { f, m } = buildScript(`
@T.prim_func
def main(a: T.handle, b: T.handle):
    n = T.int32()
    A = T.match_buffer(a, (n, 3), "float32")
    B = T.match_buffer(b, (n, 3), "float32")
    for i, j in T.grid(n, 3):
        B[i, j] = A[i, j] + T.Cast("float32", i * 3 + j)
`);
    for (const n of [1, 5, 17]) expectSameAsInterp(f, m, randomArgs(f, n, {}, { A: [n, 3], B: [n, 3] }), 1e-6);
  });

  test("a failing AssertStmt is a clear error", () => {
    const { m } = buildScript(`
@T.prim_func
def main(A: T.Buffer((4,), "int32"), n: T.int32):
    assert n < 4, "n must be below 4"
    A[n] = 1
`);
    const a = emptyArray([4], int32);
    m.call("main", [a, 2]);
    expect(toArray(a)).toEqual([0, 0, 1, 0]);
    expect(() => m.call("main", [a, 9])).toThrow(/n must be below 4/);
  });
});

d("c target: vectors, parallel loops, allocations", () => {
  test("Ramp loads and stores with Broadcast, in a parallel loop", () => {
    const { f, m } = buildScript(`
@T.prim_func
def main(A: T.Buffer((256,), "float32"), B: T.Buffer((256,), "float32"), C: T.Buffer((256,), "float32")):
    for i in T.parallel(32):
        C[T.Ramp(i * 8, 1, 8)] = A[T.Ramp(i * 8, 1, 8)] * B[T.Ramp(i * 8, 1, 8)] + T.Broadcast(T.float32(0.25), 8)
`);
    expect(m.source).toContain("weft_parallel_for(");
    expect(m.source).toContain("weft_f32x8_ld");
    expectSameAsInterp(f, m, randomArgs(f, 21), 1e-6);
  });

  test("strided gathers, scatters and vector int math (floordiv lanes)", () => {
    const { f, m } = buildScript(`
@T.prim_func
def main(A: T.Buffer((64,), "int32"), B: T.Buffer((64,), "int32")):
    for i in range(4):
        B[T.Ramp(i, 4, 8)] = T.floordiv(A[T.Ramp(i * 16, 2, 8)] - T.Broadcast(3, 8), T.Broadcast(2, 8)) + T.Ramp(0, -5, 8)
        B[T.Ramp(32 + i * 8, 1, 8)] = T.max(A[T.Ramp(i * 8, 1, 8)], T.Broadcast(0, 8)) * T.Broadcast(3, 8)
`);
    expectSameAsInterp(f, m, randomArgs(f, 22));
  });

  test("vector math and vector selects", () => {
    const { f, m } = buildScript(`
@T.prim_func
def main(A: T.Buffer((64,), "float32"), B: T.Buffer((64,), "float32")):
    for i in range(8):
        B[T.Ramp(i * 8, 1, 8)] = T.Select(A[T.Ramp(i * 8, 1, 8)] > T.Broadcast(T.float32(0), 8), T.exp(A[T.Ramp(i * 8, 1, 8)]), T.tanh(A[T.Ramp(i * 8, 1, 8)])) + T.Cast("float32x8", T.Ramp(i, 1, 8))
`);
    expectSameAsInterp(f, m, randomArgs(f, 23), 1e-5);
  });

  test("Allocate temporaries: small on the stack, large on the heap", () => {
    const { f, m } = buildScript(`
@T.prim_func
def main(A: T.Buffer((64, 64), "float32"), B: T.Buffer((64,), "float32")):
    big = T.decl_buffer((40000,), "float32")
    for i in range(40000):
        big[i] = T.float32(1)
    for i in T.parallel(64):
        tmp = T.decl_buffer((64,), "float32")
        for j in range(64):
            tmp[j] = A[i, j] * A[i, j] + big[i * 600 + j]
        acc = T.decl_buffer((1,), "float32")
        acc[0] = T.float32(0)
        for j in range(64):
            acc[0] = acc[0] + tmp[j]
        B[i] = acc[0]
`);
    expect(m.source).toMatch(/big = \(float\*\)weft_ws_get\(/);
    expect(m.source).toMatch(/tmp\[64\] __attribute__\(\(aligned\(64\)\)\)/);
    expectSameAsInterp(f, m, randomArgs(f, 24), 1e-5);
  });

  test("codegen rejects functions that still have blocks", () => {
    const f = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((4,), "float32")):
    for i in range(4):
        with T.block("A"):
            vi = T.axis.spatial(4, i)
            A[vi] = T.float32(1)
`);
    expect(() => codegenC(IRModule.fromFunction(f, "main"))).toThrow(/lower it first/);
  });
});

d("c target: tensorized matmul with the extern micro-kernels", () => {
  test("weft_ukernel_fma_f32_6x16 matmul matches the untensorized interpreter result", () => {
    const ref = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((48, 32), "float32"), B: T.Buffer((32, 64), "float32"), C: T.Buffer((48, 64), "float32")):
    for i, j in T.grid(48, 64):
        C[i, j] = T.float32(0)
        for k in range(32):
            C[i, j] = C[i, j] + A[i, k] * B[k, j]
`);
    const { m } = buildScript(`
@T.prim_func
def main(A: T.Buffer((48, 32), "float32"), B: T.Buffer((32, 64), "float32"), C: T.Buffer((48, 64), "float32")):
    for i0 in T.parallel(8):
        for j0 in range(4):
            for i1, j1 in T.grid(6, 16):
                C[i0 * 6 + i1, j0 * 16 + j1] = T.float32(0)
            for k0 in range(8):
                T.evaluate(T.call_extern("int32", "weft_ukernel_fma_f32_6x16", C.data, i0 * 384 + j0 * 16, 64, A.data, i0 * 192 + k0 * 4, 32, B.data, k0 * 256 + j0 * 16, 64, 4))
`);
    expect(m.source).toContain("static inline int32_t weft_ukernel_fma_f32_6x16");
    const args = randomArgs(ref, 31);
    // Compare the tensorized C kernel with the plain interpreter run.
    const refArgs = args.map((a) => (typeof a === "number" ? a : { ...a, data: a.data.slice() }));
    const cArgs = args.map((a) => (typeof a === "number" ? a : { ...a, data: a.data.slice() }));
    runRef(ref, refArgs);
    m.call("main", cArgs);
    helpers.compareArgs(cArgs, refArgs, 1e-5);
  });

  test("weft_ukernel_dot_i8_16x4 over a packed int8 layout is bit exact", () => {
    // C[n] += sum_k A[k] (uint8) * W[n // 16, k // 4, n % 16, k % 4] (int8), n < 32, k < 16.
    const ref = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((16,), "uint8"), W: T.Buffer((2, 4, 16, 4), "int8"), C: T.Buffer((32,), "int32")):
    for n, k in T.grid(32, 16):
        C[n] = C[n] + T.Cast("int32", A[k]) * T.Cast("int32", W[n // 16, k // 4, n % 16, k % 4])
`);
    const { m } = buildScript(`
@T.prim_func
def main(A: T.Buffer((16,), "uint8"), W: T.Buffer((2, 4, 16, 4), "int8"), C: T.Buffer((32,), "int32")):
    for n0, k0 in T.grid(2, 4):
        T.evaluate(T.call_extern("int32", "weft_ukernel_dot_i8_16x4", C.data, n0 * 16, A.data, k0 * 4, W.data, n0 * 256 + k0 * 64))
`);
    const rng = new Rng(5);
    const args = [randomArray([16], "uint8", rng), randomArray([2, 4, 16, 4], "int8", rng), randomArray([32], "int32", rng)];
    const refArgs = args.map((a) => ({ ...a, data: a.data.slice() }));
    const cArgs = args.map((a) => ({ ...a, data: a.data.slice() }));
    runRef(ref, refArgs);
    m.call("main", cArgs);
    helpers.compareArgs(cArgs, refArgs, 0);
  });
});
