// Address arithmetic of the wasm target: constant index terms go into the memory instructions'
// offset immediates (positive ones only, up to WASM_GUARD_BYTES), loop-invariant index arithmetic
// leaves inner loops (wasm_index_hoist.ts), broadcasts of loads become v128.load32_splat,
// divisions by constants are inline; results stay equal to the interpreter bit for bit.
import { describe, expect, it } from "vitest";
import { build } from "../../src/target/build.js";
import "../../src/target/wasm/index.js";
import type { WasmModule } from "../../src/target/wasm/index.js";
import { hoistIndexArithmetic } from "../../src/target/wasm/wasm_index_hoist.js";
import type { PrimFunc } from "../../src/tir/function.js";
import { parsePrimFunc, printScript } from "../../src/tir/script/index.js";
import { compareWithInterpreter, randomArgs } from "./js_harness.js";
import { NDArray } from "../../src/runtime/ndarray.js";

async function checkWasm(src: string, shapes: Record<string, number[]> = {}, seed = 1): Promise<string> {
  const f: PrimFunc = parsePrimFunc(src);
  const mod = (await build(f, "wasm -emit-text", { lower: null })) as WasmModule;
  await compareWithInterpreter(f, randomArgs(f, seed, {}, shapes), { mod });
  return mod.getSource();
}

describe("wasm address arithmetic", () => {
  it("positive constant terms fold into load / store offsets; negative ones stay in the address", async () => {
    const text = await checkWasm(`
@T.prim_func
def main(A: T.Buffer((40,), "float32"), B: T.Buffer((40,), "float32"), C: T.Buffer((40,), "int32")):
    for i in range(36):
        B[i + 3] = A[i + 1] + A[i + 2] * A[i]
    for i in range(40):
        if i >= 1:
            C[i] = T.Cast("int32", A[i - 1] * T.float32(8))
        B[i] = T.if_then_else(i >= 2 and i < 39, A[i - 2] + A[i + 1], T.float32(0))
`);
    expect(text).toMatch(/f32\.load offset=4\b/);
    expect(text).toMatch(/f32\.load offset=8\b/);
    expect(text).toMatch(/f32\.store offset=12\b/);
    expect(text).not.toMatch(/offset=-/);
  });

  it("a constant beyond WASM_GUARD_BYTES stays in the address", async () => {
    const text = await checkWasm(`
@T.prim_func
def main(A: T.Buffer((1100,), "float32"), B: T.Buffer((8,), "float32")):
    for i in range(8):
        B[i] = A[i + 1030] + A[i + 1024]
`);
    expect(text).toMatch(/f32\.load offset=4096\b/); // 1024 elements: exactly the guard
    expect(text).not.toMatch(/offset=4120\b/); // 1030 elements: 4120 bytes, not folded
  });

  it("v128 loads and stores fold the ramp base's constant and the chunk; negative bases do not", async () => {
    const text = await checkWasm(`
@T.prim_func
def main(A: T.Buffer((80,), "float32"), B: T.Buffer((80,), "float32"), C: T.Buffer((80,), "int32")):
    for i in range(8):
        B[T.Ramp(i * 8 + 4, 1, 8)] = A[T.Ramp(i * 8 + 2, 1, 8)] + A[T.Ramp(i * 8 + 1, 1, 8)]
    for i in range(1, 9):
        C[T.Ramp(i * 8, 1, 8)] = T.Cast("int32x8", A[T.Ramp(i * 8 - 3, 1, 8)] * T.Broadcast(T.float32(4), 8))
`);
    expect(text).toMatch(/v128\.load offset=8\b/);
    expect(text).toMatch(/v128\.load offset=24\b/);
    expect(text).toMatch(/v128\.store offset=16\b/);
    expect(text).toMatch(/v128\.store offset=32\b/);
  });

  it("a broadcast of a float32 / int32 load is a v128.load32_splat (with its offset)", async () => {
    const text = await checkWasm(`
@T.prim_func
def main(A: T.Buffer((32,), "float32"), S: T.Buffer((9,), "float32"), I: T.Buffer((9,), "int32"), B: T.Buffer((32,), "float32"), D: T.Buffer((32,), "int32")):
    for i in range(8):
        B[T.Ramp(i * 4, 1, 4)] = A[T.Ramp(i * 4, 1, 4)] * T.Broadcast(S[i + 1], 4) + T.Broadcast(S[i], 4)
        D[T.Ramp(i * 4, 1, 4)] = T.Ramp(i, 1, 4) * T.Broadcast(I[i + 1], 4)
    for i in range(4):
        B[T.Ramp(i * 8, 1, 8)] = B[T.Ramp(i * 8, 1, 8)] + T.Broadcast(B[i * 8 + 4], 8)
`);
    expect(text).toMatch(/v128\.load32_splat offset=4\b/);
    expect(text).not.toMatch(/f32x4\.splat\s*\(\s*f32\.load/);
  });

  it("fused-loop div / mod and invariant products leave the inner loops; the constant stays last", async () => {
    const src = `
@T.prim_func
def main(A: T.Buffer((200,), "float32"), W: T.Buffer((72,), "float32"), B: T.Buffer((24,), "float32")):
    for f in range(24):
        B[f] = T.float32(0)
        for r in range(4):
            for s in range(3):
                B[f] = B[f] + A[r * 30 + f // 6 * 10 + s * 10 + f % 6 + 1] * W[f // 6 * 18 + s + r * 3]
`;
    const f = parsePrimFunc(src);
    const h = printScript(hoistIndexArithmetic(f));
    // The innermost loop's indices read only hoisted values, s and constants.
    const inner = h.slice(h.indexOf("for s in"));
    expect(inner).not.toMatch(/\/\/|%|T\.floordiv|T\.floormod/);
    expect(inner).toMatch(/\+ 1\]/);
    expect(h.indexOf("for r in")).toBeLessThan(h.indexOf("for s in"));
    const text = await checkWasm(src);
    expect(text).not.toContain("__fdivs");
    expect(text).not.toContain("__fmods");
    expect(text).toMatch(/f32\.load offset=4\b/);
  });

  it("floor division and modulo by constants are exact for negative numerators", async () => {
    await checkWasm(`
@T.prim_func
def main(A: T.Buffer((64,), "int32"), B: T.Buffer((64,), "int32")):
    for i in range(64):
        B[i] = (A[i] - 50) // 7 + (A[i] - 50) % 7 * 100 + (i - 40) // 8 * 10000 + (i - 40) % 8 * 1000000 + T.truncdiv(i - 31, 5) + T.truncmod(A[i], 3)
`, {}, 3);
    await checkWasm(`
@T.prim_func
def main(A: T.Buffer((8,), "int32"), B: T.Buffer((8,), "int32")):
    B[0] = A[0] // 7
    B[1] = A[1] % 7
    B[2] = T.int32(-2147483648) // 7
    B[3] = T.int32(-2147483648) % 7
    B[4] = T.int32(-2147483648) // 4
    B[5] = T.int32(-2147483647) % 4
    B[6] = T.int32(2147483647) // 9
    B[7] = T.int32(-7) // 1
`);
  });

  it("dynamic shapes: symbolic strides and extents, guarded negative offsets", async () => {
    const text = await checkWasm(`
@T.prim_func
def main(a: T.handle, b: T.handle):
    n = T.int32()
    m = T.int32()
    A2 = T.match_buffer(a, (n, m), "float32")
    B2 = T.match_buffer(b, (n, m), "float32")
    A = T.Buffer((n * m,), "float32", data=A2.data)
    B = T.Buffer((n * m,), "float32", data=B2.data)
    for i in range(n):
        for j in range(m):
            B[i * m + j] = T.if_then_else(1 <= j and j < m - 1, A[i * m + j - 1] + A[i * m + j + 1], A2[i, j]) + T.if_then_else(1 <= i, A[i * m + j - m], T.float32(0))
`, { A2: [5, 7], B2: [5, 7] });
    expect(text).toMatch(/f32\.load offset=4\b/);
  });
});

describe("int64 arithmetic on wasm (f64 representation)", () => {
  it("+ - * / % floordiv floormod and casts match the interpreter inside and beyond the fast ranges", async () => {
    const f = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((12,), "int64"), B: T.Buffer((12,), "int64"), I: T.Buffer((12,), "int32"), C: T.Buffer((7, 12), "int64")):
    for i in range(12):
        C[0, i] = A[i] + B[i]
        C[1, i] = A[i] - B[i]
        C[2, i] = A[i] * B[i]
        C[3, i] = T.Div(A[i], B[i])
        C[4, i] = T.truncmod(A[i], B[i])
        C[5, i] = T.floordiv(A[i], B[i]) + T.floormod(A[i], B[i])
        C[6, i] = T.Cast("int64", I[i]) * T.int64(3)
`);
    const big = 2 ** 40, huge = 2 ** 52;
    const a = [7, -7, 7, -7, 2147483647, -2147483647, big, -big, huge, huge, 3, 0];
    const b = [2, 2, -2, -2, 3, 7, big / 4 + 3, 5, 4, -huge / 2, 1, 9];
    const ints = [0, 1, -1, 2147483647, -2147483648, 5, 6, 7, 8, 9, 10, 11];
    const args = [NDArray.fromArray(a, [12], "int64"), NDArray.fromArray(b, [12], "int64"), NDArray.fromArray(ints, [12], "int32"), NDArray.fromArray(new Array(84).fill(0), [7, 12], "int64")];
    await compareWithInterpreter(f, args, { mod: await build(f, "wasm", { lower: null }) });
  });
});
