/**
 * The passes as one pipeline (a plain array): a conv + batch_norm + relu block with constant
 * weights goes through normalization, decomposition, legalization, constant folding, dead
 * code elimination and fusion; every per-pass dump parses back to the module it shows, and
 * the result computes what the legalized program computes.
 */
import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { assertStructuralEqual } from "../../../src/ir/structural.js";
import { Function, SeqExpr, parseRelaxScript, printRelax, transform } from "../../../src/relax/index.js";
import { PrimFunc } from "../../../src/tir/function.js";
import { Rng, randomArray } from "../../../src/tir/interp/index.js";
import { evalRelax, expectArraysClose } from "../reference_eval.js";

const T = transform;

const SRC = `
@R.function
def main(x: R.Tensor(("b", 2, 6, 6), dtype="float32"), w: R.Tensor((3, 2, 3, 3), dtype="float32")) -> R.Tensor(("b", 3, 6, 6), dtype="float32"):
    b = T.int64()
    with R.dataflow():
        scale = R.multiply(R.const([1.0, 2.0, 0.5], "float32"), R.const(2.0, "float32"))
        c = R.nn.conv2d(x, w, padding=[1, 1])
        bn = R.nn.batch_norm(c, scale, R.const([0.1, 0.2, 0.3], "float32"), R.const([0.0, 1.0, -1.0], "float32"), R.const([1.0, 4.0, 0.25], "float32"), axis=1, epsilon=1e-05)
        y = bn[0]
        alias = y
        gv = R.nn.relu(alias)
        R.output(gv)
    return gv
`;

const PIPELINE = [
  T.Normalize, T.CanonicalizeBindings, T.DecomposeOps, T.CanonicalizeBindings, T.LegalizeOps, T.FoldConstant,
  T.DeadCodeElimination, T.AnnotateTIROpPattern, T.FuseOps, T.FuseTIR, T.DeadCodeElimination,
];

describe("a pipeline of the Relax passes", () => {
  it("dumps every step as TVMScript that parses back, and keeps the numbers", () => {
    const dir = mkdtempSync(join(tmpdir(), "weft-relax-pipeline-"));
    const mod = parseRelaxScript(SRC);
    const seen: string[] = [];
    const out = T.runPipeline(mod, PIPELINE, { dumpDir: dir });
    const files = readdirSync(dir).sort();
    expect(files).toEqual([
      "00_input.py", "01_Normalize.py", "02_CanonicalizeBindings.py", "03_DecomposeOps.py", "04_CanonicalizeBindings.py",
      "05_LegalizeOps.py", "06_FoldConstant.py", "07_DeadCodeElimination.py", "08_AnnotateTIROpPattern.py", "09_FuseOps.py",
      "10_FuseTIR.py", "11_DeadCodeElimination.py",
    ]);
    for (const f of files) {
      const text = readFileSync(join(dir, f), "utf8");
      seen.push(text);
      expect(printRelax(parseRelaxScript(text))).toBe(text);
    }
    assertStructuralEqual(parseRelaxScript(seen[seen.length - 1]!), out);

    // One fused kernel is left: conv + the decomposed batch norm (constants folded) + relu.
    const main = out.get("main") as Function;
    const bindings = (main.body as SeqExpr).blocks.flatMap((x) => x.bindings);
    expect(bindings.length).toBe(1);
    const kernels = [...out.entries()].filter(([, f]) => f instanceof PrimFunc).map(([g]) => g.name);
    expect(kernels).toHaveLength(1);
    expect(kernels[0]).toMatch(/^fused_conv2d_/);
    expect(seen[6]).not.toContain("R.multiply(R.const");

    const rng = new Rng(2);
    const args = [randomArray([2, 2, 6, 6], "float32", rng), randomArray([3, 2, 3, 3], "float32", rng)];
    const reference = T.LegalizeOps(mod);
    expectArraysClose(evalRelax(out, "main", args), evalRelax(reference, "main", args), { rtol: 1e-4, atol: 1e-5 });
  });
});
