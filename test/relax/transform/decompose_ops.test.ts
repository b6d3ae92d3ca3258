import { describe, expect, it } from "vitest";
import { assertStructuralEqual } from "../../../src/ir/structural.js";
import { parseRelaxScript, printRelax, transform } from "../../../src/relax/index.js";
import { Rng, randomArray } from "../../../src/tir/interp/index.js";
import { evalRelax, expectArraysClose } from "../reference_eval.js";

const { DecomposeOps, CanonicalizeBindings, LegalizeOps, runPipeline } = transform;

const BN = `
@R.function
def main(x: R.Tensor((2, 3, 4, 4), dtype="float32"), g: R.Tensor((3,), dtype="float32"), b: R.Tensor((3,), dtype="float32"), m: R.Tensor((3,), dtype="float32"), v: R.Tensor((3,), dtype="float32")) -> R.Tensor((2, 3, 4, 4), dtype="float32"):
    with R.dataflow():
        bn = R.nn.batch_norm(x, g, b, m, v, axis=1, epsilon=0.001)
        gv = bn[0]
        R.output(gv)
    return gv
`;

describe("DecomposeOps", () => {
  it("batch_norm (inference) becomes subtract / divide by sqrt / multiply / add with broadcast statistics", () => {
    const out = runPipeline(parseRelaxScript(BN), [DecomposeOps, CanonicalizeBindings]);
    const want = parseRelaxScript(`
@R.function
def main(x: R.Tensor((2, 3, 4, 4), dtype="float32"), g: R.Tensor((3,), dtype="float32"), b: R.Tensor((3,), dtype="float32"), m: R.Tensor((3,), dtype="float32"), v: R.Tensor((3,), dtype="float32")) -> R.Tensor((2, 3, 4, 4), dtype="float32"):
    with R.dataflow():
        lv = R.expand_dims(m, axis=[1, 2])
        lv1 = R.subtract(x, lv)
        lv2 = R.expand_dims(v, axis=[1, 2])
        lv3 = R.add(lv2, R.const(0.001, "float32"))
        lv4 = R.sqrt(lv3)
        lv5 = R.divide(lv1, lv4)
        lv6 = R.expand_dims(g, axis=[1, 2])
        lv7 = R.multiply(lv5, lv6)
        lv8 = R.expand_dims(b, axis=[1, 2])
        gv = R.add(lv7, lv8)
        bn = (gv, m, v)
        R.output(gv)
    return gv
`);
    assertStructuralEqual(out, want);
    expect(printRelax(out)).not.toContain("batch_norm");
  });

  it("computes what the batch_norm PrimFunc computes", () => {
    const mod = parseRelaxScript(BN);
    const direct = LegalizeOps(mod);
    const decomposed = runPipeline(mod, [DecomposeOps, LegalizeOps]);
    const rng = new Rng(3);
    const args = [randomArray([2, 3, 4, 4], "float32", rng), ...[0, 1, 2].map(() => randomArray([3], "float32", rng)), randomArray([3], "float32", rng)];
    const vd = args[4]!.data as Float32Array;
    for (let i = 0; i < vd.length; i++) vd[i] = Math.abs(vd[i]!) + 0.5;
    expectArraysClose(evalRelax(decomposed, "main", args), evalRelax(direct, "main", args), { rtol: 1e-5, atol: 1e-5 });
  });

  it("rejects training mode", () => {
    const mod = parseRelaxScript(BN.replace("epsilon=0.001)", "epsilon=0.001, training=True)"));
    expect(() => DecomposeOps(mod)).toThrow(/DecomposeOps: function "main": R\.nn\.batch_norm: training=True cannot be decomposed/);
  });
});
