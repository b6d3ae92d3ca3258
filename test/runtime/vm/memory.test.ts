import { afterEach, describe, expect, it } from "vitest";
import { build } from "../../../src/relax/pipeline.js";
import { parseRelaxScript } from "../../../src/relax/index.js";
import { NDArray } from "../../../src/runtime/ndarray.js";
import { getBuiltin, registerBuiltin, type Builtin } from "../../../src/runtime/vm/builtins.js";
import { findCompiler } from "../../../src/target/c/index.js";
import { CHAIN, HEADER, KERNELS } from "../../relax/transform/chain.js";

const hasC = (() => {
  try {
    findCompiler();
    return true;
  } catch {
    return false;
  }
})();
// c needs a system C compiler: without one it is left out of the list.
/** Memory planning is about the kernels' intermediates: the chain stays unfused (no graph passes). */
const UNFUSED = { passes: [] };

const TARGETS = ["js", "wasm", ...(hasC ? ["c"] : [])].map((target) => ({ target }));

const saved = new Map<string, Builtin>();
/** Counts calls of a builtin (VMs made afterwards see the counting version). */
function count(name: string): { n: number } {
  const orig = getBuiltin(name)!;
  saved.set(name, orig);
  const c = { n: 0 };
  registerBuiltin(name, (...a) => {
    c.n++;
    return orig(...a);
  });
  return c;
}
afterEach(() => {
  for (const [k, f] of saved) registerBuiltin(k, f);
  saved.clear();
});

const SYMBOLIC_CHAIN = (attr: string) => `${HEADER}
${KERNELS}
    @T.prim_func
    def inc(a: T.handle, b: T.handle):
        n = T.int64()
        A = T.match_buffer(a, (n,), "float32")
        B = T.match_buffer(b, (n,), "float32")
        for i in range(n):
            with T.block("B"):
                vi = T.axis.spatial(n, i)
                B[vi] = A[vi] + T.float32(1)

    @R.function
    def main(x: R.Tensor(("n",), dtype="float32")) -> R.Tensor(("n",), dtype="float32"):
        n = T.int64()
        ${attr}
        cls = Module
        with R.dataflow():
            a = R.call_tir(cls.inc, (x,), out_sinfo=R.Tensor((n,), dtype="float32"))
            b = R.call_tir(cls.inc, (a,), out_sinfo=R.Tensor((n,), dtype="float32"))
            c = R.call_tir(cls.inc, (b,), out_sinfo=R.Tensor((n,), dtype="float32"))
            d = R.call_tir(cls.inc, (c,), out_sinfo=R.Tensor((n,), dtype="float32"))
            R.output(d)
        return d
`;

describe("memory planning at run time", () => {
  it.each(TARGETS)("a static chain of four kernels allocates two storages for three intermediates ($target)", async ({ target }) => {
    const storages = count("vm.builtin.alloc_storage");
    const placed = count("vm.builtin.alloc_tensor");
    const fresh = count("vm.builtin.empty");
    const { vm } = await build(parseRelaxScript(CHAIN), target, UNFUSED);
    const y = vm.invoke("main", NDArray.fromArray([0, 1, 2, 3], [4])) as NDArray;
    expect(y.toArray()).toEqual([0, 1, 2, 3].map((v) => ((v + 1) * 2 + 1) * 2));
    expect([storages.n, placed.n, fresh.n]).toEqual([2, 3, 1]);
  });

  it("with tir_var_upper_bound, symbolic intermediates share bounded storages; a larger n is refused", async () => {
    const storages = count("vm.builtin.alloc_storage");
    const fresh = count("vm.builtin.empty");
    const { vm } = await build(parseRelaxScript(SYMBOLIC_CHAIN('R.func_attr({"tir_var_upper_bound": {"n": 8}})')), "js", UNFUSED);
    for (const n of [2, 8]) {
      const x = Array.from({ length: n }, (_, i) => i * 0.5);
      expect((vm.invoke("main", NDArray.fromArray(x, [n])) as NDArray).toArray()).toEqual(x.map((v) => v + 4));
    }
    expect([storages.n, fresh.n]).toEqual([4, 2]); // per call: 2 storages for a, b, c; d per call
    expect(() => vm.invoke("main", NDArray.empty([9]))).toThrow("main: n exceeds its upper bound 8 (function attribute tir_var_upper_bound)");
  });

  it("in JS memory, an invoke's temporaries serve the next invoke while the results it returned stay the caller's", async () => {
    const { vm } = await build(parseRelaxScript(SYMBOLIC_CHAIN("")), "js", UNFUSED);
    const outs: [NDArray, number[]][] = [];
    for (const x of [[1, 2, 3], [10, 20, 30], [5, 6, 7], [-1, -2, -3]]) {
      const y = vm.invoke("main", NDArray.fromArray(x, [3])) as NDArray;
      outs.push([y, x.map((v) => v + 4)]);
    }
    for (const [y, want] of outs) expect(y.toArray()).toEqual(want);
    expect(new Set(outs.map(([y]) => y.data.buffer)).size).toBe(outs.length);
  });

  it("without a bound, symbolic intermediates are allocated per call", async () => {
    const storages = count("vm.builtin.alloc_storage");
    const fresh = count("vm.builtin.empty");
    const { vm } = await build(parseRelaxScript(SYMBOLIC_CHAIN("")), "js", UNFUSED);
    expect((vm.invoke("main", NDArray.fromArray([1, 2, 3], [3])) as NDArray).toArray()).toEqual([5, 6, 7]);
    expect([storages.n, fresh.n]).toEqual([0, 4]);
  });
});
