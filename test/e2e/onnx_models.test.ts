/**
 * End to end: models written with the nn builder, exported to ONNX, imported, compiled by
 * relax.build (graph passes, fusion, default schedules, VM) for js, wasm and c, and run on the
 * VM; outputs compared with a float64 evaluation of the imported Relax function. One build
 * serves every value of the symbolic dimensions.
 */
import { describe, expect, it } from "vitest";
import { importOnnx, nn } from "../../src/frontend/index.js";
import { build } from "../../src/relax/pipeline.js";
import { NDArray } from "../../src/runtime/ndarray.js";
import { findCompiler } from "../../src/target/c/index.js";
import { mainOf } from "../frontend/helpers.js";
import { TinyBert, cnn, mlp } from "../frontend/models.js";
import { evalMain } from "../relax/reference_eval.js";
import { arr, type Nd } from "../relax/reference_ops.js";

const hasC = (() => {
  try {
    findCompiler();
    return true;
  } catch {
    return false;
  }
})();
const TARGETS = ["js", "wasm", ...(hasC ? ["c"] : [])];

const rand = (rng: InstanceType<typeof nn.Rng>, shape: number[]) => arr(shape, () => rng.next() * 2 - 1);

/** Largest |a - b| relative to the largest |b| (float32 kernels against a float64 reference). */
function relErr(got: NDArray, want: Nd): number {
  expect(got.shape).toEqual(want.shape);
  const g = got.toArray();
  let scale = 1e-6, err = 0;
  for (let i = 0; i < g.length; i++) {
    scale = Math.max(scale, Math.abs(want.data[i]!));
    err = Math.max(err, Math.abs(g[i]! - want.data[i]!));
  }
  return err / scale;
}

async function check(model: nn.Module, specs: nn.InputSpec[], cases: Nd[][], target: string, dtype = "float32"): Promise<void> {
  const mod = importOnnx(nn.exportOnnx(model, specs));
  const { vm } = await build(mod, target);
  for (const inputs of cases) {
    const want = evalMain(mainOf(mod), inputs);
    const got = vm.invoke("main", ...inputs.map((a) => NDArray.fromArray(Array.from(a.data), a.shape, dtype))) as NDArray;
    expect(relErr(got, want)).toBeLessThan(1e-4);
  }
}

describe.each(TARGETS)("ONNX models compiled for %s and run on the VM", (target) => {
  it("MLP with a symbolic batch (1, 3 and 17 rows from one build)", async () => {
    const rng = new nn.Rng(3);
    await check(mlp(5), [{ name: "x", shape: ["batch", 8] }], [1, 3, 17].map((b) => [rand(rng, [b, 8])]), target);
  });

  it("small CNN: conv + batch norm + relu + max pool + grouped strided conv + global pool + linear", async () => {
    const rng = new nn.Rng(4);
    await check(cnn(2), [{ name: "x", shape: ["batch", 3, 8, 8] }], [1, 2].map((b) => [rand(rng, [b, 3, 8, 8])]), target);
  });

  it("BERT-style encoder layer with a symbolic sequence length (5, 16 and 23 tokens from one build)", async () => {
    const cases = [5, 16, 23].map((seq) => [arr([2, seq], (i) => (i * 7 + seq) % 50)]);
    await check(new TinyBert(new nn.Rng(9)), [{ name: "input_ids", shape: ["batch", "seq"], dtype: "int64" }], cases, target, "int64");
  });
});
