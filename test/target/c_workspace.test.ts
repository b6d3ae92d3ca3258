/**
 * No allocation in the hot path of a c kernel call: heap-sized temporaries (Allocate nodes too
 * large for the stack, e.g. the packed B panel of the matmul micro-kernel schedule) live in
 * thread-local workspace slots that keep their memory across calls. The library counts every
 * workspace (re)allocation (`CModule.workspaceAllocs()`, the prelude's weft_workspace_allocs):
 * the count must stay the same over repeated calls, grow only when a call needs more memory,
 * and results must match the interpreter (so that per-thread temporaries of parallel bodies are
 * not shared between the pool's threads).
 */
import { describe, expect, test } from "vitest";
import { IRModule } from "../../src/ir/module.js";
import { applyDefaultSchedule } from "../../src/schedule/default/index.js";
import { buildC } from "../../src/target/c/index.js";
import { Target } from "../../src/target/target.js";
import { createPrimFunc, placeholder, topi } from "../../src/te/index.js";
import type { PrimFunc } from "../../src/tir/function.js";
import { Rng, copyArray, randomArray, runPrimFunc, type HostArray } from "../../src/tir/interp/index.js";
import { lower } from "../../src/tir/pipeline.js";
import { buildScript, compareArgs, expectSameAsInterp, hasCompiler, randomArgs, testCacheDir } from "./c_helpers.js";

const d = describe.skipIf(!hasCompiler);

d("c target: workspaces instead of allocation per call", () => {
  test("a large temporary and per-iteration temporaries of a parallel loop are allocated once", () => {
    // big: 160 KB (over the 64 KiB stack limit); row: 80 KB per parallel iteration.
    const { f, m } = buildScript(`
@T.prim_func
def main(A: T.Buffer((64, 200), "float32"), B: T.Buffer((64,), "float32")):
    big = T.decl_buffer((40000,), "float32")
    for i in range(40000):
        big[i] = T.Cast("float32", i % 7)
    for i in T.parallel(64):
        row = T.decl_buffer((20000,), "float32")
        for j in range(20000):
            row[j] = A[i, j % 200] * big[i * 600 + j % 300] + T.Cast("float32", i)
        B[i] = row[i * 300 + 7] + row[19999]
`);
    expect(m.source).toMatch(/big = \(float\*\)weft_ws_get\(/);
    expect(m.source).toMatch(/row = \(float\*\)weft_ws_get\(/);
    expect(m.source).not.toMatch(/\bfree\(big|\bfree\(row/);
    const args = randomArgs(f, 41) as HostArray[];
    const ref = args.map(copyArray);
    runPrimFunc(f, ref);
    const run = () => {
      const got = args.map(copyArray);
      m.call("main", got);
      compareArgs(got, ref, 1e-6);
    };
    // One thread: big and the caller's row, allocated by the first call only.
    m.setNumThreads(1);
    run();
    expect(m.workspaceAllocs()).toBe(2);
    for (let k = 0; k < 10; k++) run();
    expect(m.workspaceAllocs()).toBe(2);
    // Two threads: a pool worker that runs iterations gets its own row (once), the results
    // stay right (the rows are not shared).
    m.setNumThreads(2);
    for (let k = 0; k < 10; k++) run();
    expect(m.workspaceAllocs()).toBeGreaterThanOrEqual(2);
    expect(m.workspaceAllocs()).toBeLessThanOrEqual(3);
  });

  test("a symbolic-size temporary grows when a call needs more and is reused otherwise", () => {
    const { f, m } = buildScript(`
@T.prim_func
def main(a: T.handle, b: T.handle):
    n = T.int32()
    A = T.match_buffer(a, (n,), "float32")
    B = T.match_buffer(b, (n,), "float32")
    tmp = T.decl_buffer((n * 2,), "float32")
    for i in range(n * 2):
        tmp[i] = A[i % n] * T.float32(2)
    for i in range(n):
        B[i] = tmp[i] + tmp[n * 2 - 1 - i]
`);
    expect(m.source).toMatch(/tmp = \(float\*\)weft_ws_get\(/);
    const call = (n: number) => expectSameAsInterp(f, m, randomArgs(f, n, {}, { A: [n], B: [n] }), 1e-6);
    call(1000);
    expect(m.workspaceAllocs()).toBe(1);
    call(500);
    call(1000);
    expect(m.workspaceAllocs()).toBe(1);
    call(3000);
    expect(m.workspaceAllocs()).toBe(2);
    call(10);
    call(3000);
    expect(m.workspaceAllocs()).toBe(2);
  });

  test("the default c schedule of matmul (packed B panel) reuses its workspace across calls", () => {
    // B packed: 256 x 128 floats = 128 KiB, over the stack limit.
    const A = placeholder([64, 256], "float32", "A"), B = placeholder([256, 128], "float32", "B");
    const f: PrimFunc = createPrimFunc([A, B, topi.matmul(A, B)]);
    const target = Target.parse("c -num-cores=2");
    const g = applyDefaultSchedule(IRModule.fromFunction(f, "main"), target);
    const m = buildC(lower(g), { cacheDir: testCacheDir, numThreads: 2 });
    expect(m.source).toContain("weft_ukernel_fma_f32_");
    expect(m.source).toMatch(/= \(float\*\)weft_ws_get\(/);
    expect(m.source).not.toMatch(/\bfree\((?!s->p\))/); // only the prelude's weft_ws_get frees
    const rng = new Rng(3);
    const args: HostArray[] = [randomArray([64, 256], "float32", rng), randomArray([256, 128], "float32", rng), randomArray([64, 128], "float32", rng)];
    const ref = args.map(copyArray);
    runPrimFunc(f, ref);
    const got = args.map(copyArray);
    m.call("main", got);
    compareArgs(got, ref, 1e-5);
    const first = m.workspaceAllocs();
    expect(first).toBe(1);
    for (let k = 0; k < 10; k++) m.call("main", got);
    expect(m.workspaceAllocs()).toBe(first);
    compareArgs(got, ref, 1e-5);
  });
});
