/**
 * A VM over wasm kernels keeps its tensors in the module's memory: kernel calls copy nothing,
 * results come back as arrays of their own, and everything stays right when the memory grows.
 */
import { describe, expect, it } from "vitest";
import { nn } from "../../../src/frontend/index.js";
import { build } from "../../../src/relax/pipeline.js";
import { NDArray } from "../../../src/runtime/ndarray.js";
import { WasmModule } from "../../../src/target/wasm/index.js";

function model() {
  const rng = new nn.Rng(3);
  return nn.exportRelax(new nn.Sequential(new nn.Linear(8, 16, { rng }), new nn.ReLU(), new nn.Linear(16, 4, { rng })), [{ name: "x", shape: ["n", 8] }]);
}

const input = (n: number) => NDArray.fromArray(Array.from({ length: n * 8 }, (_, i) => Math.sin(i * 0.37 + n)), [n, 8], "float32");

function expectClose(got: NDArray, want: NDArray): void {
  expect(got.shape).toEqual(want.shape);
  const g = got.toArray(), w = want.toArray();
  for (let i = 0; i < w.length; i++) expect(Math.abs(g[i]! - w[i]!)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(w[i]!)));
}

describe("VM tensors in wasm memory", () => {
  it("kernel calls copy nothing; results are the js target's, stay valid across memory growth, and memory is reused", async () => {
    const mod = model();
    const ref = await build(mod, "js");
    const wasm = await build(mod, "wasm -num-cores=2");
    const m = wasm.modules[0] as WasmModule;
    expect(m).toBeInstanceOf(WasmModule);
    expect(wasm.vm.memory).toBeDefined();

    const kept: { y: NDArray; want: NDArray }[] = [];
    const before = m.memory.buffer.byteLength;
    // The last sizes need far more memory than the module starts with: it grows under the
    // constants (copied in when the VM was made) and under the results of earlier calls.
    for (const n of [1, 5, 48, 2000, 12000]) {
      const y = wasm.vm.invoke("main", input(n)) as NDArray;
      const want = ref.vm.invoke("main", input(n)) as NDArray;
      expectClose(y, want);
      expect(m.inMemory(y)).toBe(false); // copied out: the next invoke reuses the memory
      kept.push({ y, want });
    }
    expect(m.memory.buffer.byteLength).toBeGreaterThan(before);
    expect(m.copies).toEqual({ arrays: 0, bytes: 0 });
    for (const { y, want } of kept) expectClose(y, want);

    // Memory is released at the end of each invoke: repeating a size grows nothing.
    const size = m.memory.buffer.byteLength;
    for (let r = 0; r < 5; r++) wasm.vm.invoke("main", input(12000));
    expect(m.memory.buffer.byteLength).toBe(size);
  });

  it("with a plain (non-shared) memory the VM keeps JS memory and calls copy", async () => {
    const mod = model();
    const ref = await build(mod, "js");
    const wasm = await build(mod, "wasm -shared-memory=false");
    const m = wasm.modules[0] as WasmModule;
    expect(wasm.vm.memory).toBeUndefined();
    for (const n of [2, 3000]) expectClose(wasm.vm.invoke("main", input(n)) as NDArray, ref.vm.invoke("main", input(n)) as NDArray);
    expect(m.copies.arrays).toBeGreaterThan(0);
  });
});
