import { describe, expect, it } from "vitest";
import { build } from "../../src/target/build.js";
import "../../src/target/wasm/index.js";
import { WasmModule } from "../../src/target/wasm/index.js";
import { CTL } from "../../src/target/wasm/wasm_parallel.js";
import { parsePrimFunc } from "../../src/tir/script/index.js";
import { compareWithInterpreter, randomArgs } from "./js_harness.js";
import { NDArray } from "../../src/runtime/ndarray.js";

/** Builds a lowered function for wasm on `threads` threads and compares it with the interpreter. */
async function checkParallel(src: string, threads: number, opts: { seed?: number; scalars?: Record<string, number> } = {}): Promise<WasmModule> {
  const f = parsePrimFunc(src);
  const mod = (await build(f, `wasm -num-cores=${threads}`, { lower: null })) as WasmModule;
  await compareWithInterpreter(f, randomArgs(f, opts.seed ?? 3, opts.scalars), { mod });
  return mod;
}

/** Jobs published to the workers so far (the generation word moves by 2 per job: a seqlock). */
function generation(mod: WasmModule): number {
  const ctl = mod.artifact.ctl;
  if (ctl === undefined) return -1;
  return Atomics.load(new Int32Array(mod.memory.buffer, ctl, 16), CTL.GEN) / 2;
}

// Parallel loops outlined and run on worker threads over the shared memory: every case equals
// the interpreter, with more threads than iterations too.
describe("wasm parallel loops on worker threads", () => {
  const rowSum = `
@T.prim_func
def main(A: T.Buffer((37, 19), "float32"), B: T.Buffer((37,), "float32"), s: T.float32):
    for i in T.parallel(37):
        buf = T.allocate([19], "float32", "global")
        Tmp = T.Buffer((19,), "float32", data=buf)
        for j in range(19):
            Tmp[j] = A[i, j] * s
        B[i] = T.float32(0)
        for j in range(19):
            B[i] = B[i] + Tmp[18 - j]
`;

  for (const threads of [2, 3, 64]) {
    it(`captured scalars and buffers, a per-thread temporary, uneven chunks (${threads} threads)`, async () => {
      const mod = await checkParallel(rowSum, threads, { scalars: { s: 0.75 } });
      expect(mod.numThreads).toBe(threads);
      const before = generation(mod);
      const f = mod.get("main");
      const args = randomArgs(parsePrimFunc(rowSum), 5, { s: 2 });
      f(...args);
      f(...args);
      expect(generation(mod) - before).toBe(2);
      mod.dispose();
    });
  }

  it("hundreds of back-to-back calls (workers waking late, jobs republished) give the same result every time", async () => {
    const f = parsePrimFunc(rowSum);
    const mod = (await build(f, "wasm -num-cores=3", { lower: null })) as WasmModule;
    const args = randomArgs(f, 9, { s: 1.25 });
    const main = mod.get("main");
    main(...args);
    const expected = Array.from((args[1] as NDArray).data as Float32Array);
    for (let k = 0; k < 300; k++) {
      ((args[1] as NDArray).data as Float32Array).fill(0);
      main(...args);
      expect(Array.from((args[1] as NDArray).data as Float32Array)).toEqual(expected);
    }
    mod.dispose();
  });

  it("one thread (or -num-cores=1) runs the outlined body serially without workers", async () => {
    const mod = await checkParallel(rowSum, 1, { scalars: { s: -1.5 } });
    expect(mod.numThreads).toBe(1);
    const before = generation(mod);
    mod.get("main")(...randomArgs(parsePrimFunc(rowSum), 2, { s: 1 }));
    expect(generation(mod)).toBe(before);
  });

  it("setNumThreads(1) keeps the pool but runs loops on the calling thread", async () => {
    const mod = await checkParallel(rowSum, 2, { scalars: { s: 0.5 } });
    mod.setNumThreads(1);
    const before = generation(mod);
    const args = randomArgs(parsePrimFunc(rowSum), 7, { s: 0.5 });
    mod.get("main")(...args);
    expect(generation(mod)).toBe(before);
    mod.dispose();
  });

  it("nested parallel loops, vector lets and vectorized stores inside the body", async () => {
    const mod = await checkParallel(`
@T.prim_func
def main(A: T.Buffer((8, 16, 8), "float32"), B: T.Buffer((8, 16, 8), "float32")):
    for i in T.parallel(8):
        for j in T.parallel(16):
            with T.LetStmt(T.Broadcast(T.float32(i) * T.float32(0.5), 8)) as v:
                B[i, j, T.Ramp(0, 1, 8)] = A[i, j, T.Ramp(0, 1, 8)] * v + T.Broadcast(T.float32(j), 8)
`, 2);
    mod.dispose();
  });

  it("a loop with a dynamically sized temporary or a JavaScript call stays serial (still correct)", async () => {
    const f = parsePrimFunc(`
@T.prim_func
def main(a: T.handle, b: T.handle, C: T.Buffer((8,), "float64")):
    n = T.int32()
    A = T.match_buffer(a, (n,), "float32")
    B = T.match_buffer(b, (n,), "float32")
    for i in T.parallel(4):
        buf = T.allocate([n], "float32", "global")
        Tmp = T.Buffer((n,), "float32", data=buf)
        for k in range(n):
            Tmp[k] = A[k] * T.float32(i)
        B[i] = Tmp[n - 1 - i]
    for i in T.parallel(8):
        C[i] = T.exp(T.float64(i) * T.float64(0.25))
`);
    const mod = (await build(f, "wasm -num-cores=2", { lower: null })) as WasmModule;
    const args = randomArgs(f, 1, {}, { A: [9], B: [9] });
    await compareWithInterpreter(f, args, { mod });
    const before = generation(mod);
    mod.get("main")(...args);
    expect(generation(mod)).toBe(before);
    mod.dispose();
  });

  it("an assert failing on a worker is reported by the call, and the module keeps working", async () => {
    const src = `
@T.prim_func
def main(A: T.Buffer((64,), "int32"), B: T.Buffer((64,), "int32")):
    for i in T.parallel(64):
        assert A[i] >= 0, "A must be non-negative"
        B[i] = A[i] * 2
`;
    const f = parsePrimFunc(src);
    const mod = (await build(f, "wasm -num-cores=2", { lower: null })) as WasmModule;
    const A = NDArray.fromArray(Array.from({ length: 64 }, (_, i) => (i === 60 ? -1 : i)), [64], "int32");
    const B = NDArray.fromArray(new Array<number>(64).fill(0), [64], "int32");
    // Element 60 falls in the worker's chunk (iterations 32..63).
    expect(() => mod.get("main")(A, B)).toThrow(/A must be non-negative/);
    const ok = NDArray.fromArray(Array.from({ length: 64 }, (_, i) => i), [64], "int32");
    mod.get("main")(ok, B);
    expect(Array.from(B.toArray() as number[])).toEqual(Array.from({ length: 64 }, (_, i) => 2 * i));
    mod.dispose();
  });
});
