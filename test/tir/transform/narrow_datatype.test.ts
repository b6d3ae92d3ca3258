import { describe, expect, it } from "vitest";
import { int32 } from "../../../src/ir/dtype.js";
import { narrowDataType, narrowDataTypePass, NarrowDataType, symbolicDimBounds } from "../../../src/tir/transform/narrow_datatype.js";
import { applyPass, expectFunc, expectSameResults, parsePrimFunc, printScript } from "./lower_passes_utils.js";

describe("NarrowDataType", () => {
  it("makes int64 loops, indices, comparisons and casts int32 when every value fits", () => {
    const before = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((T.int64(64),), "float32"), B: T.Buffer((T.int64(64),), "float32")):
    for i in range(T.int64(8)):
        for j in range(T.int64(8)):
            if i * T.int64(8) + j < T.int64(60):
                B[i * T.int64(8) + j] = A[j * T.int64(8) + i] * T.Cast("float32", T.floordiv(i, T.int64(3)))
`);
    const after = applyPass(NarrowDataType, before);
    expectFunc(after, `
@T.prim_func
def main(A: T.Buffer((64,), "float32"), B: T.Buffer((64,), "float32")):
    for i in range(8):
        for j in range(8):
            if i * 8 + j < 60:
                B[i * 8 + j] = A[j * 8 + i] * T.Cast("float32", T.floordiv(i, 3))
`);
    expectSameResults(before, after);
  });

  it("keeps int64 what might not fit; a narrowed variable used there comes back through a cast", () => {
    const before = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((T.int64(4096000000),), "float32"), B: T.Buffer((T.int64(4096),), "float32")):
    for i in range(T.int64(4096)):
        B[i] = A[i * T.int64(1000000)]
`);
    expectFunc(applyPass(NarrowDataType, before), `
@T.prim_func
def main(A: T.Buffer((T.int64(4096000000),), "float32"), B: T.Buffer((4096,), "float32")):
    for i in range(4096):
        B[i] = A[T.Cast("int64", i) * T.int64(1000000)]
`);
  });

  it("narrows let variables and vector indices (Ramp, Broadcast)", () => {
    const before = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((T.int64(64),), "float32"), B: T.Buffer((T.int64(64),), "float32")):
    for i in range(T.int64(8)):
        base: T.int64 = i * T.int64(8)
        B[T.Ramp(base, T.int64(1), 8)] = A[T.Ramp(i, T.int64(8), 8)] + T.Broadcast(A[base], 8)
`);
    const after = applyPass(NarrowDataType, before);
    expectFunc(after, `
@T.prim_func
def main(A: T.Buffer((64,), "float32"), B: T.Buffer((64,), "float32")):
    for i in range(8):
        base: T.int32 = i * 8
        B[T.Ramp(base, 1, 8)] = A[T.Ramp(i, 8, 8)] + T.Broadcast(A[base], 8)
`);
    expectSameResults(before, after);
  });

  it("leaves symbolic dims alone without a memory bound (64-bit targets)", () => {
    const f = parsePrimFunc(`
@T.prim_func
def main(a: T.handle, b: T.handle):
    n = T.int64(is_size_var=True)
    A = T.match_buffer(a, (n, T.int64(16)))
    B = T.match_buffer(b, (n * T.int64(16),))
    for i in range(n):
        for j in range(T.int64(16)):
            B[i * T.int64(16) + j] = A[i, j]
`);
    expectFunc(applyPass(NarrowDataType, f), `
@T.prim_func
def main(a: T.handle, b: T.handle):
    n = T.int64(is_size_var=True)
    A = T.match_buffer(a, (n, 16))
    B = T.match_buffer(b, (n * T.int64(16),))
    for i in range(n):
        for j in range(16):
            B[i * T.int64(16) + T.Cast("int64", j)] = A[i, j]
`);
  });

  it("with a memory bound, symbolic dims become int32, bounded by the memory and asserted at entry", () => {
    const before = parsePrimFunc(`
@T.prim_func
def main(a: T.handle, b: T.handle):
    n = T.int64(is_size_var=True)
    A = T.match_buffer(a, (n, T.int64(16)))
    B = T.match_buffer(b, (n, T.int64(16)))
    for i in range(n):
        for j in range(T.int64(16)):
            B[i, j] = A[i, j] * T.Cast("float32", n) + T.Cast("float32", i * T.int64(16) + j)
`);
    // float32 (n, 16) in 2^20 bytes: n <= 2^20 / 64.
    expect([...symbolicDimBounds(before, 2 ** 20).values()]).toEqual([16384]);
    const after = applyPass(narrowDataTypePass({ memoryBytes: 2 ** 20 }), before);
    expectFunc(after, `
@T.prim_func
def main(a: T.handle, b: T.handle):
    n = T.int32(is_size_var=True)
    A = T.match_buffer(a, (n, 16))
    B = T.match_buffer(b, (n, 16))
    assert n <= 16384, "main: the symbolic dimension n must be at most 16384, so that its buffers fit in the target's 1048576-byte memory (is it a dimension of an empty array?)"
    for i in range(n):
        for j in range(16):
            B[i, j] = A[i, j] * T.Cast("float32", n) + T.Cast("float32", i * 16 + j)
`);
    expectSameResults(before, after, { n: 5 });
  });

  it("divisions by symbolic divisors (whose range holds 0) are narrowed from their operands", () => {
    const before = parsePrimFunc(`
@T.prim_func
def main(a: T.handle, b: T.handle):
    n = T.int64(is_size_var=True)
    A = T.match_buffer(a, (n, T.int64(16)))
    B = T.match_buffer(b, (n, T.int64(16)))
    for i, j in T.grid(n, T.int64(16)):
        B[i, j] = A[T.floordiv(i * T.int64(16) + j, n * T.int64(16)) + T.floormod(i * T.int64(3), n), T.min(j, n)]
`);
    const after = applyPass(narrowDataTypePass({ memoryBytes: 2 ** 20 }), before);
    expectFunc(after, `
@T.prim_func
def main(a: T.handle, b: T.handle):
    n = T.int32(is_size_var=True)
    A = T.match_buffer(a, (n, 16))
    B = T.match_buffer(b, (n, 16))
    assert n <= 16384, "main: the symbolic dimension n must be at most 16384, so that its buffers fit in the target's 1048576-byte memory (is it a dimension of an empty array?)"
    for i, j in T.grid(n, 16):
        B[i, j] = A[T.floordiv(i * 16 + j, n * 16) + T.floormod(i * 3, n), T.min(j, n)]
`);
    expectSameResults(before, after, { n: 7 });
  });

  it("with a memory of at most 2^31 bytes, buffer indices use wrapping int32 sums even where a part's bound is too loose", () => {
    const before = parsePrimFunc(`
@T.prim_func
def main(a: T.handle, b: T.handle):
    n = T.int64(is_size_var=True)
    A = T.match_buffer(a, (n, T.int64(768)))
    B = T.match_buffer(b, (n, T.int64(12), T.int64(64)))
    A_1 = T.Buffer((n * T.int64(768),), data=A.data)
    B_1 = T.Buffer((n * T.int64(768),), data=B.data)
    for f, k in T.grid(n * T.int64(12), T.int64(64)):
        B_1[f * T.int64(64) + k] = A_1[T.floordiv(f * T.int64(64) + k, n * T.int64(768)) * n * T.int64(768) + f * T.int64(64) + k]
`);
    // The quotient is 0, but its bound times n is not below 2^31: exact narrowing keeps that index int64.
    const exact = printScript(applyPass(narrowDataTypePass({ memoryBytes: 2 ** 32 }), before));
    expect(exact).toContain(`B_1[f * 64 + k] = A_1[(T.Cast("int64", f) * T.int64(64) + T.Cast("int64", k)) // (T.Cast("int64", n) * T.int64(768))`);
    const after = applyPass(narrowDataTypePass({ memoryBytes: 2 ** 31 }), before);
    expectFunc(after, `
@T.prim_func
def main(a: T.handle, b: T.handle):
    n = T.int32(is_size_var=True)
    A = T.match_buffer(a, (n, 768))
    B = T.match_buffer(b, (n, 12, 64))
    A_1 = T.Buffer((n * 768,), data=A.data)
    B_1 = T.Buffer((n * 768,), data=B.data)
    assert n <= 699050, "main: the symbolic dimension n must be at most 699050, so that its buffers fit in the target's 2147483648-byte memory (is it a dimension of an empty array?)"
    for f, k in T.grid(n * 12, 64):
        B_1[f * 64 + k] = A_1[(f * 64 + k) // (n * 768) * n * 768 + f * 64 + k]
`, true);
    expectSameResults(before, after, { n: 3 });
  });

  it("a dim that appears twice in a buffer is bounded by the root; distinct dims are bounded one by one", () => {
    const f = parsePrimFunc(`
@T.prim_func
def main(a: T.handle, b: T.handle):
    n = T.int64(is_size_var=True)
    m = T.int64(is_size_var=True)
    A = T.match_buffer(a, (T.int64(12), n, n))
    B = T.match_buffer(b, (n, m), "int8")
    for h, i, j in T.grid(T.int64(12), n, n):
        A[h, i, j] = T.float32(0)
`);
    const bounds = symbolicDimBounds(f, 2 ** 31);
    const byName = Object.fromEntries([...bounds].map(([v, b]) => [v.name, b]));
    // 12 n^2 * 4 <= 2^31 -> n <= 6688; int8 (n, m): m <= 2^31 (no room for int32: stays int64).
    expect(byName).toEqual({ n: 6688, m: 2 ** 31 });
    const out = narrowDataType(f, { memoryBytes: 2 ** 31 });
    const dims = [...out.bufferMap.values()].map((b) => b.shape.map((d) => d.dtype === int32));
    expect(dims).toEqual([[true, true, true], [true, false]]);
  });

  it("scalar parameters are not bounded (they are not dims of arrays in memory)", () => {
    const f = parsePrimFunc(`
@T.prim_func
def main(a: T.handle, n: T.int64):
    A = T.match_buffer(a, (n,))
    for i in range(n):
        A[i] = T.float32(1)
`);
    expect(narrowDataType(f, { memoryBytes: 2 ** 20 })).toBe(f);
  });
});
