/**
 * Symbolic int64 kernels (the form Relax's legalization writes) on wasm: NarrowDataType makes
 * their indices int32 from the module's memory bound; results must equal the interpreter's at
 * every size, and a dimension outside the bound must fail with an error naming it.
 */
import { describe, expect, it } from "vitest";
import { IRModule } from "../../src/ir/module.js";
import { NDArray } from "../../src/runtime/ndarray.js";
import { applyDefaultSchedule } from "../../src/schedule/default/index.js";
import { build } from "../../src/target/build.js";
import { Target } from "../../src/target/target.js";
import "../../src/target/wasm/index.js";
import type { PrimFunc } from "../../src/tir/function.js";
import { lower } from "../../src/tir/pipeline.js";
import { parsePrimFunc, printScript } from "../../src/tir/script/index.js";
import { compareWithInterpreter, randomArgs } from "./js_harness.js";

const MATMUL = `
@T.prim_func
def main(a: T.handle, w: T.Buffer((T.int64(32), T.int64(24)), "float32"), bias: T.Buffer((T.int64(24),), "float32"), c: T.handle):
    n = T.int64(is_size_var=True)
    A = T.match_buffer(a, (n, T.int64(32)))
    C = T.match_buffer(c, (n, T.int64(24)))
    for i, j, k in T.grid(n, T.int64(24), T.int64(32)):
        with T.block("C"):
            vi, vj, vk = T.axis.remap("SSR", [i, j, k])
            with T.init():
                C[vi, vj] = bias[vj]
            C[vi, vj] = C[vi, vj] + A[vi, vk] * w[vk, vj]
`;

// Attention-like: the symbolic dim appears twice in one buffer (n * n elements per head).
const SCORES = `
@T.prim_func
def main(q: T.handle, s: T.handle):
    n = T.int64(is_size_var=True)
    Q = T.match_buffer(q, (T.int64(3), n, T.int64(8)))
    S = T.match_buffer(s, (T.int64(3), n, n))
    for h, i, j, k in T.grid(T.int64(3), n, n, T.int64(8)):
        with T.block("S"):
            vh, vi, vj, vk = T.axis.remap("SSSR", [h, i, j, k])
            with T.init():
                S[vh, vi, vj] = T.float32(0)
            S[vh, vi, vj] = S[vh, vi, vj] + Q[vh, vi, vk] * Q[vh, vj, vk] * T.float32(0.5)
`;

// A reshape as legalization writes it: the flat index divided by the symbolic element count.
const RESHAPE = `
@T.prim_func
def main(a: T.handle, b: T.handle):
    n = T.int64(is_size_var=True)
    A = T.match_buffer(a, (T.int64(1), n, T.int64(24)))
    B = T.match_buffer(b, (T.int64(1), n, T.int64(3), T.int64(8)))
    for i, j, h, d in T.grid(T.int64(1), n, T.int64(3), T.int64(8)):
        with T.block("R"):
            vi, vj, vh, vd = T.axis.remap("SSSS", [i, j, h, d])
            B[vi, vj, vh, vd] = A[T.floordiv(vj * T.int64(24) + vh * T.int64(8) + vd, n * T.int64(24)), T.floormod(T.floordiv(vj * T.int64(24) + vh * T.int64(8) + vd, T.int64(24)), n), T.floormod(vj * T.int64(24) + vh * T.int64(8) + vd, T.int64(24))]
`;

async function checkSizes(src: string, target: string, sizes: number[], shapesOf: (n: number) => Record<string, number[]>, schedule: boolean): Promise<string> {
  let f: PrimFunc = parsePrimFunc(src);
  if (schedule) f = applyDefaultSchedule(IRModule.fromFunction(f, "main"), Target.from(target)).get("main") as PrimFunc;
  const mod = await build(f, target);
  for (const n of sizes) await compareWithInterpreter(f, randomArgs(f, n, {}, shapesOf(n)), { mod, tol: 1e-5 });
  return printScript(lower(f, { narrow: { memoryBytes: 2 ** 31 } }));
}

describe("symbolic int64 kernels on wasm (narrowed to int32)", () => {
  it("a matmul with a symbolic row count, unscheduled and default-scheduled, equals the interpreter at several sizes", async () => {
    for (const schedule of [false, true]) {
      const text = await checkSizes(MATMUL, "wasm -num-cores=2", [1, 5, 48, 100], (n) => ({ A: [n, 32], C: [n, 24] }), schedule);
      expect(text).toContain("n = T.int32(is_size_var=True)");
      expect(text).not.toContain("T.int64(");
    }
  });

  it("a dim that appears twice in a buffer (attention scores) equals the interpreter at several sizes", async () => {
    const text = await checkSizes(SCORES, "wasm", [1, 3, 17], (n) => ({ Q: [3, n, 8], S: [3, n, n] }), false);
    expect(text).not.toContain("T.int64(");
  });

  it("a reshape's index (divided by the symbolic element count) equals the interpreter at several sizes", async () => {
    for (const schedule of [false, true]) {
      const text = await checkSizes(RESHAPE, "wasm", [1, 5, 33], (n) => ({ A: [1, n, 24], B: [1, n, 3, 8] }), schedule);
      expect(text).not.toContain("T.int64(");
    }
  });

  it("a dimension over the memory bound (only possible for an empty array) fails naming the dimension", async () => {
    const f = parsePrimFunc(`
@T.prim_func
def main(a: T.handle, b: T.handle):
    n = T.int64(is_size_var=True)
    m = T.int64(is_size_var=True)
    A = T.match_buffer(a, (n, m))
    B = T.match_buffer(b, (n,))
    for i in range(n):
        B[i] = T.float32(1)
`);
    const mod = await build(f, "wasm -max-memory-mb=1");
    const fn = mod.get("main");
    const b = NDArray.empty([4], "float32");
    fn(NDArray.empty([4, 0], "float32"), b);
    expect(b.toArray()).toEqual([1, 1, 1, 1]);
    // float32 (n, m) in 1 MiB: n <= 262144 (m >= 1); an (n, 0) array may claim more.
    expect(() => fn(NDArray.empty([300000, 0], "float32"), NDArray.empty([300000], "float32"))).toThrow(/needs|symbolic dimension n must be at most 262144/);
    expect(() => fn(NDArray.empty([3e9, 0], "float32"), NDArray.empty([0], "float32"))).toThrow();
  });
});
