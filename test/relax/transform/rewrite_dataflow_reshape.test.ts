/**
 * RewriteDataflowReshape: reshape / squeeze / expand_dims kernels left alone by fusion become
 * R.reshape (a VM view); fused kernels and other kernels stay call_tir; results are unchanged.
 */
import { describe, expect, it } from "vitest";
import { build } from "../../../src/relax/pipeline.js";
import { parseRelaxScript, printRelax, transform } from "../../../src/relax/index.js";
import { NDArray } from "../../../src/runtime/ndarray.js";
import { PrimFunc } from "../../../src/tir/function.js";

const T = transform;

// The reshape feeds a matmul (not fusible into it), the squeeze an exp (fused: stays a kernel).
const SRC = `
@R.function
def main(x: R.Tensor(("n", 6), dtype="float32"), w: R.Tensor((3, 4), dtype="float32")) -> R.Tuple(R.Tensor(("n", 2, 4), dtype="float32"), R.Tensor(("n", 6), dtype="float32")):
    n = T.int64()
    with R.dataflow():
        r = R.reshape(x, R.shape([n, 2, 3]))
        m = R.matmul(r, w)
        e = R.expand_dims(x, axis=[1])
        s = R.squeeze(e, axis=[1])
        z = R.exp(s)
        gv = (m, z)
        R.output(gv)
    return gv
`;

const PASSES = [T.Normalize, T.LegalizeOps, T.AnnotateTIROpPattern, T.FuseOps, T.FuseTIR];

describe("RewriteDataflowReshape", () => {
  it("turns the unfused reshape kernel into R.reshape and leaves fused and other kernels as call_tir", () => {
    const before = T.runPipeline(parseRelaxScript(SRC), PASSES);
    expect(printRelax(before)).toMatch(/R\.call_tir\(cls\.reshape|R\.call_tir\(reshape/);
    const after = T.RewriteDataflowReshape(before);
    const text = printRelax(after);
    expect(text).toMatch(/r: R\.Tensor\(\(n, 2, 3\), dtype="float32"\) = R\.reshape\(x, R\.shape\(\[n, 2, 3\]\)\)/);
    expect(text).not.toMatch(/def reshape\(/);
    // The expand_dims / squeeze / exp chain was fused into one kernel: not a view.
    expect(text).toMatch(/call_tir\((cls\.)?fused_expand_dims_squeeze_exp/);
    expect(text).toMatch(/call_tir\((cls\.)?matmul/);
  });

  it("keeps a call_tir whose kernel has no reshape mark", () => {
    const mod = T.runPipeline(parseRelaxScript(SRC), [T.Normalize, T.LegalizeOps]);
    const stripped = mod.map((f) => (f instanceof PrimFunc ? f.with({ attrs: {} }) : f));
    expect(printRelax(T.RewriteDataflowReshape(stripped))).not.toMatch(/= R\.reshape\(/);
  });

  it("computes the same results on js (the VM runs the reshape as a view)", async () => {
    const { vm, exec } = await build(parseRelaxScript(SRC), "js");
    expect(exec.asText()).toMatch(/vm\.builtin\.reshape/);
    for (const n of [1, 3]) {
      const x = Array.from({ length: n * 6 }, (_, i) => (i % 7) * 0.25 - 0.5);
      const w = Array.from({ length: 12 }, (_, i) => (i % 5) * 0.1 - 0.2);
      const [m, z] = vm.invoke("main", NDArray.fromArray(x, [n, 6]), NDArray.fromArray(w, [3, 4])) as NDArray[];
      const want: number[] = [];
      for (let r = 0; r < n * 2; r++) for (let c = 0; c < 4; c++) want.push([0, 1, 2].reduce((a, k) => a + x[r * 3 + k]! * w[k * 4 + c]!, 0));
      expect(m!.shape).toEqual([n, 2, 4]);
      m!.toArray().forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 5));
      z!.toArray().forEach((v, i) => expect(v).toBeCloseTo(Math.exp(x[i]!), 5));
    }
  });
});
