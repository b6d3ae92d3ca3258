/**
 * SplitWeightPacking + LiftTransformParams: a scheduled kernel's packing of a constant weight
 * becomes a kernel of its own, lifted into `main_transform_params` and run once per VM through
 * vm.builtin.cached_call; results do not change, and a weight passed as a parameter stays packed
 * inside its kernel.
 */
import { describe, expect, it } from "vitest";
import { PRE_VM_PASSES, build, schedulePasses } from "../../../src/relax/pipeline.js";
import { Function, parseRelaxScript, printRelax, transform } from "../../../src/relax/index.js";
import { NDArray } from "../../../src/runtime/ndarray.js";
import { findCompiler } from "../../../src/target/c/index.js";
import { PrimFunc } from "../../../src/tir/function.js";
import { findPackStages } from "../../../src/relax/transform/split_weight_packing.js";

const hasC = (() => {
  try {
    findCompiler();
    return true;
  } catch {
    return false;
  }
})();

const K = 16, N = 32;
const W = Array.from({ length: K * N }, (_, i) => ((i * 37) % 23) / 23 - 0.5);
const B = Array.from({ length: N }, (_, i) => (i % 5) * 0.1);
const rows = (a: number[], n: number) => Array.from({ length: a.length / n }, (_, r) => a.slice(r * n, r * n + n));
const lit = (a: number[]) => a.map((v) => v.toPrecision(17)).join(", ");

const SRC = `
@R.function
def main(x: R.Tensor(("n", ${K}), dtype="float32"), w2: R.Tensor((${K}, ${N}), dtype="float32")) -> R.Tuple(R.Tensor(("n", ${N}), dtype="float32"), R.Tensor(("n", ${N}), dtype="float32")):
    n = T.int64()
    with R.dataflow():
        m = R.matmul(x, R.const([${rows(W, N).map((r) => `[${lit(r)}]`).join(", ")}], "float32"))
        y = R.nn.relu(R.add(m, R.const([${lit(B)}], "float32")))
        z = R.matmul(x, w2)
        gv = (y, z)
        R.output(gv)
    return gv
`;

function reference(x: number[], w: number[], n: number, bias?: number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += x[i * K + k]! * w[k * N + j]!;
      out.push(bias ? Math.max(s + bias[j]!, 0) : s);
    }
  }
  return out;
}

describe("SplitWeightPacking + LiftTransformParams", () => {
  it("moves the packing of the constant weight into main_transform_params; the parameter weight stays packed in its kernel", () => {
    const mod = transform.runPipeline(parseRelaxScript(SRC), [...PRE_VM_PASSES, ...schedulePasses("c")]);
    const names = [...mod.entries()].map(([g]) => g.name);
    const pack = names.find((n) => /_pack_/.test(n));
    expect(pack).toBeDefined();
    expect(mod.get(pack!)).toBeInstanceOf(PrimFunc);
    expect(mod.get("main_transform_params")).toBeInstanceOf(Function);
    const text = printRelax(mod);
    expect(text).toMatch(/R\.call_pure_packed\("vm\.builtin\.cached_call", cls\.main_transform_params/);
    expect(text).toMatch(new RegExp(`R\\.call_tir\\(cls\\.${pack}, \\(R\\.const\\(`));
    // The kernel of the parameter weight still packs it itself (a new w2 each call).
    const z = names.find((n) => n !== pack && /matmul/.test(n) && !/add|relu/.test(n))!;
    expect(findPackStages(mod.get(z) as PrimFunc).length).toBe(1);
    const fused = names.find((n) => /matmul.*add.*relu/.test(n) && !/_pack_/.test(n))!;
    expect(findPackStages(mod.get(fused) as PrimFunc)).toEqual([]);
  });

  for (const target of ["c", "wasm"] as const) {
    it.skipIf(target === "c" && !hasC)(`computes the same results on ${target}; the packing kernel ran once, when the VM was made`, async () => {
      const { vm } = await build(parseRelaxScript(SRC), target);
      vm.setProfiling(true);
      const w2 = W.map((v) => -v);
      for (const n of [1, 5, 17]) {
        const x = Array.from({ length: n * K }, (_, i) => ((i * 13) % 11) / 11 - 0.4);
        const [y, z] = vm.invoke("main", NDArray.fromArray(x, [n, K]), NDArray.fromArray(w2, [K, N])) as NDArray[];
        y!.toArray().forEach((v, i) => expect(v).toBeCloseTo(reference(x, W, n, B)[i]!, 4));
        z!.toArray().forEach((v, i) => expect(v).toBeCloseTo(reference(x, w2, n)[i]!, 4));
      }
      // The packing ran when the VM was made; the calls only read its result.
      expect(vm.profile().filter((e) => /_pack_/.test(e.name))).toEqual([]);
      expect(vm.profile().find((e) => e.name === "vm.builtin.cached_call")?.calls).toBe(3);
    });
  }
});
