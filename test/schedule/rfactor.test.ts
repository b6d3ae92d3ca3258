import { describe, expect, it } from "vitest";
import { parsePrimFunc } from "../../src/tir/script/index.js";
import { createPrimFunc, placeholder, topi } from "../../src/te/index.js";
import { Schedule } from "../../src/schedule/index.js";
import { expectIR, expectReplay, expectSameResults, mainOf, rfactorAt } from "./reduction_helpers.js";
import {
  splitMatmul, splitMatmulWithLet, splitMatmulRFactor0, splitMatmulRFactor1, squareSum, squareSumRFactor,
  squareSumSqrt, squareSumSqrtRFactor, rowsumZeroDim, rowsumZeroDimRFactor, rowsumPredicate,
  rowsumPredicateRFactor, rowsumBothPredicated, rowsumBothPredicatedRFactor, multipleReductionBlocks,
  multipleReductionBlocksRFactor, rowmaxSplit, rowmaxRFactor, argmaxSplit, argmaxSplitRFactor,
  argminReordered, argminReorderedRFactor,
} from "./rfactor_fixtures.js";

/** The same rfactor on a smaller copy of the function keeps its results (the interpreter is slow on 128^3). */
function expectSameResultsScaled(text: string, block: string, loopIndex: number, axis: number, seed: number, tol: number) {
  const { orig, sch } = rfactorAt(text, block, loopIndex, axis);
  expectSameResults(orig, mainOf(sch), seed, tol);
}

const smallSplitMatmul = splitMatmul
  .replaceAll("128", "32")
  .replace("T.grid(32, 32, 4, 8, 4)", "T.grid(32, 32, 2, 4, 4)")
  .replace("i2_outer * 32", "i2_outer * 16");

describe("rfactor", () => {
  it("factors a split matmul reduction over its innermost loop (factor_axis 0)", () => {
    const { orig, sch, b, loops, rf } = rfactorAt(splitMatmul, "update", 4, 0);
    expectIR(sch, splitMatmulRFactor0);
    expect(sch.get(rf)).toBe(sch.get(sch.getBlock("update_rf")));
    expect(sch.get(b)).toBe(sch.get(sch.getBlock("update")));
    // The rfactor loop and the spatial loops stay around the write-back block; the other
    // reduction loops are gone.
    expect(sch.get(loops[4]!).loopVar.name).toBe("i2_inner_inner");
    expect(() => sch.get(loops[2]!)).toThrow(/removed/);
    expect(sch.trace.toJSONString()).toBe(
      '[[["GetBlock",[],["update","main"],["b0"]],["GetLoops",["b0"],[],["l1","l2","l3","l4","l5"]],' +
        '["RFactor",["l5"],[0],["b6"]],["GetBlock",[],["update_rf","main"],["b7"]],["GetBlock",[],["update","main"],["b8"]]],[]]',
    );
    expect(sch.trace.toTypeScript()).toContain("const b6 = sch.rfactor(l5, 0);\n");
    expectSameResultsScaled(smallSplitMatmul, "update", 4, 0, 3, 1e-5);
    expectReplay(sch, orig);
  });

  it("places the new dimension at factor_axis 1, and accepts negative axes", () => {
    const r1 = rfactorAt(splitMatmul, "update", 3, 1);
    expectIR(r1.sch, splitMatmulRFactor1);
    expectSameResultsScaled(smallSplitMatmul, "update", 3, 1, 4, 1e-5);
    expectReplay(r1.sch, r1.orig);
    const neg = rfactorAt(splitMatmul, "update", 4, -3);
    expectIR(neg.sch, splitMatmulRFactor0);
    expect(neg.sch.trace.toJSONString()).toContain('["RFactor",["l5"],[-3],["b6"]]');
  });

  it("reads a single-buffer update bound by a LetStmt", () => {
    const { orig, sch } = rfactorAt(splitMatmulWithLet, "update", 4, 0);
    expectIR(sch, splitMatmulRFactor0);
    expectReplay(sch, orig);
  });

  it("factors over an unsplit reduction loop, keeping block annotations (TVM's square_sum)", () => {
    const { orig, sch } = rfactorAt(squareSum, "C", 2, 1);
    expectIR(sch, squareSumRFactor);
    expectSameResultsScaled(squareSum.replaceAll("256", "24"), "C", 2, 1, 5, 1e-5);
    expectReplay(sch, orig);
  });

  it("factors fused reduction loops over a unit loop", () => {
    const { orig, sch } = rfactorAt(squareSumSqrt, "C", 2, 0);
    expectIR(sch, squareSumSqrtRFactor);
    expectReplay(sch, orig);
  });

  it("leaves no init in the rfactor block when no reduction iter var remains", () => {
    const { orig, sch } = rfactorAt(rowsumZeroDim, "B", 0, 0);
    expectIR(sch, rowsumZeroDimRFactor);
    expectSameResults(orig, mainOf(sch), 6, 1e-5);
    expectReplay(sch, orig);
  });

  it("factors a non-divisible split: the predicate stays in the rfactor block", () => {
    const { orig, sch } = rfactorAt(rowsumPredicate, "B", 1, 1);
    expectIR(sch, rowsumPredicateRFactor);
    expectSameResults(orig, mainOf(sch), 8, 1e-5);
    expectReplay(sch, orig);
  });

  it("keeps spatial predicate conjuncts on the write-back block", () => {
    const { orig, sch } = rfactorAt(rowsumBothPredicated, "B", 3, 0);
    expectIR(sch, rowsumBothPredicatedRFactor);
    expectSameResults(orig, mainOf(sch), 9, 1e-5);
    expectReplay(sch, orig);
  });

  it("keeps the RV of another block whose name the rfactor block repeats", () => {
    const text = `
@T.prim_func
def main(A: T.Buffer((16, 16), "float32"), D: T.Buffer((16,), "float32")):
    C = T.alloc_buffer((16,))
    for i, k in T.grid(16, 16):
        with T.block("C"):
            vi, vk = T.axis.remap("SR", [i, k])
            with T.init():
                C[vi] = T.float32(0)
            C[vi] = C[vi] + A[vi, vk]
    for i in range(16):
        with T.block("C_rf"):
            vi = T.axis.spatial(16, i)
            D[vi] = C[vi] * T.float32(2)
`;
    const orig = parsePrimFunc(text);
    const sch = new Schedule(orig);
    const consumer = sch.getBlock("C_rf");
    const body = sch.get(consumer).body;
    const [, k] = sch.getLoops(sch.getBlock("C"));
    const rf = sch.rfactor(k!, 0);
    expect(sch.get(consumer).body).toBe(body);
    expect(sch.get(rf)).not.toBe(sch.get(consumer));
    expectSameResults(orig, mainOf(sch), 17, 1e-5);
    expectReplay(sch, orig);
  });

  it("factors the first of several reduction blocks under shared loops", () => {
    const { orig, sch } = rfactorAt(multipleReductionBlocks, "C", 2, 2);
    expectIR(sch, multipleReductionBlocksRFactor);
    // C's sum is reordered, and D, E, F add it up further: allow a little more rounding.
    expectSameResults(orig, mainOf(sch), 10, 1e-4);
    expectReplay(sch, orig);
  });
});

describe("rfactor reducers", () => {
  it("factors a max reduction", () => {
    const { orig, sch } = rfactorAt(rowmaxSplit, "B", 2, 1);
    expectIR(sch, rowmaxRFactor);
    expectSameResults(orig, mainOf(sch), 11, 0);
    expectReplay(sch, orig);
  });

  it("recognises min, prod and integer sums, and an update written `value + old`", () => {
    const cases: [string, string, string, string][] = [
      ["float32", "T.max_value(\"float32\")", "T.min(B[vi], A[vi, vk])", "min"],
      ["float32", "T.float32(1)", "B[vi] * (A[vi, vk] * T.float32(0.5) + T.float32(1))", "prod"],
      ["int32", "0", "B[vi] + A[vi, vk]", "int sum"],
      ["float32", "T.float32(0)", "A[vi, vk] + B[vi]", "swapped sum"],
    ];
    for (const [dtype, init, update] of cases) {
      const text = `
@T.prim_func
def main(A: T.Buffer((16, 24), "${dtype}"), B: T.Buffer((16,), "${dtype}")):
    for i, k_0, k_1 in T.grid(16, 3, 8):
        with T.block("B"):
            vi = T.axis.spatial(16, i)
            vk = T.axis.reduce(24, k_0 * 8 + k_1)
            with T.init():
                B[vi] = ${init}
            B[vi] = ${update}
`;
      const { orig, sch } = rfactorAt(text, "B", 1, 0);
      expectSameResults(orig, mainOf(sch), 12, 1e-5);
      expectReplay(sch, orig);
    }
  });

  it("writes the swapped update in the reducer's order", () => {
    const text = rowmaxSplit.replace("T.min_value(\"float32\")", "T.float32(0)").replace("T.max(B[vi], A[vi, vk])", "A[vi, vk] + B[vi]");
    const { sch } = rfactorAt(text, "B", 2, 1);
    const rf = sch.get(sch.getBlock("B_rf"));
    expect(String(rf.body)).toMatch(/B_rf\[vi, vk_1\] = B_rf\[vi, vk_1\] \+ A\[vi, vk_0 \* 16 \+ vk_1\]/);
  });

  it("factors an argmax (two buffers through LetStmts)", () => {
    const { orig, sch } = rfactorAt(argmaxSplit, "argmax", 2, 1);
    expectIR(sch, argmaxSplitRFactor);
    expectSameResults(orig, mainOf(sch), 13, 0);
    expectReplay(sch, orig);
  });

  it("factors an argmin whose init and stores come in another order", () => {
    const { orig, sch } = rfactorAt(argminReordered, "argmin", 2, 1);
    expectIR(sch, argminReorderedRFactor);
    expectSameResults(orig, mainOf(sch), 14, 0);
    expectReplay(sch, orig);
  });

  it("factors weft's TE argmax after sch.split", () => {
    const A = placeholder([4, 48], "float32", "A");
    const orig = createPrimFunc([A, topi.argmax(A, 1)]);
    const sch = new Schedule(orig);
    const b = sch.getBlock("A_red_temp");
    const [, k] = sch.getLoops(b);
    const [, ki] = sch.split(k!, [undefined, 8]);
    const rf = sch.rfactor(ki!, 0);
    expect(sch.get(rf).nameHint).toBe("A_red_temp_rf");
    expectSameResults(orig, mainOf(sch), 15, 0);
    expectReplay(sch, orig);
  });

  it("factors a TE sum over two reduction axes", () => {
    const A = placeholder([6, 10, 12], "float32", "A");
    const orig = createPrimFunc([A, topi.sum(A, [1, 2])]);
    const sch = new Schedule(orig);
    const b = sch.getBlock(sch.get(sch.getChildBlocks(sch.getBlock("root"))[0]!).nameHint);
    const loops = sch.getLoops(b);
    sch.rfactor(loops[2]!, 1);
    expectSameResults(orig, mainOf(sch), 16, 1e-5);
    expectReplay(sch, orig);
  });
});
