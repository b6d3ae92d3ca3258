/** The c target through the shared `build(mod, target)` entry point and the runtime Module. */
import { describe, expect, test } from "vitest";
import { IRModule } from "../../src/ir/module.js";
import { build } from "../../src/target/build.js";
import "../../src/target/c/index.js";
import { Target, registeredTargets } from "../../src/target/target.js";
import { cOptionsOf } from "../../src/target/c/index.js";
import { NDArray } from "../../src/runtime/index.js";
import { parsePrimFunc } from "../../src/tir/script/index.js";
import { hasCompiler } from "./c_helpers.js";

describe("c target registration", () => {
  test("registers as \"c\" and reads -mcpu / -num-cores", () => {
    expect(registeredTargets()).toContain("c");
    expect(cOptionsOf(Target.parse("c -mcpu=x86-64-v3 -num-cores=2"))).toEqual({ mcpu: "x86-64-v3", numThreads: 2 });
  });

  test.skipIf(!hasCompiler)("build(mod, 'c') runs with NDArrays and checks arguments", async () => {
    const f = parsePrimFunc(`
@T.prim_func
def main(a: T.handle, b: T.handle):
    n = T.int32()
    A = T.match_buffer(a, (n,), "float32")
    B = T.match_buffer(b, (n,), "float32")
    for i in T.parallel(n):
        B[i] = A[i] * T.float32(2) + T.float32(1)
`);
    const prev = process.env["WEFT_CACHE_DIR"];
    const { testCacheDir } = await import("./c_helpers.js");
    process.env["WEFT_CACHE_DIR"] = testCacheDir;
    try {
      const m = await build(IRModule.fromFunction(f, "main"), "c -num-cores=2", { lower: null });
      expect(m.target).toBe("c -num-cores=2");
      const a = NDArray.fromArray([1, 2, 3, 4, 5], [5], "float32");
      const b = NDArray.empty([5], "float32");
      m.get("main")(a, b);
      expect(b.toArray()).toEqual([3, 5, 7, 9, 11]);
      expect(() => m.get("main")(a, NDArray.empty([4], "float32"))).toThrow(/argument B/);
      expect(() => m.get("main")(a, NDArray.empty([5], "int32"))).toThrow(/dtype float32/);
      expect(m.getSource?.("main")).toContain("num_threads(2)");
      const r = m.timeEvaluator("main", { number: 2, repeat: 2 })(a, b);
      expect(r.times.length).toBe(2);
    } finally {
      if (prev === undefined) delete process.env["WEFT_CACHE_DIR"];
      else process.env["WEFT_CACHE_DIR"] = prev;
    }
  });
});
