import { describe, expect, test } from "vitest";
import { IntImm } from "../../../src/ir/expr.js";
import { int32 } from "../../../src/ir/dtype.js";
import { IRModule } from "../../../src/ir/module.js";
import { structuralEqual } from "../../../src/ir/structural.js";
import { AttrStmt, For } from "../../../src/tir/stmt.js";
import { parsePrimFunc, printScript } from "../../../src/tir/script/index.js";
import { UnrollLoop } from "../../../src/tir/transform/unroll_loop.js";
import { applyPass, checkPass, expectSameResults } from "./lowered_pass_helpers.js";

describe("UnrollLoop", () => {
  test("T.unroll loops are copied once per iteration with the loop var substituted", () => {
    const { before, after } = checkPass(
      UnrollLoop,
      `
@T.prim_func
def main(A: T.Buffer((8,), "float32"), B: T.Buffer((8,), "float32")):
    for i in T.unroll(2, 5):
        B[i] = A[i] + T.float32(1)
`,
      `
@T.prim_func
def main(A: T.Buffer((8,), "float32"), B: T.Buffer((8,), "float32")):
    B[2] = A[2] + T.float32(1)
    B[3] = A[3] + T.float32(1)
    B[4] = A[4] + T.float32(1)
`,
    );
    expectSameResults(before, after);
  });

  test("pragma_auto_unroll_max_step unrolls a nest whose steps fit", () => {
    const { before, after } = checkPass(
      UnrollLoop,
      `
@T.prim_func
def main(A: T.Buffer((4,), "float32"), B: T.Buffer((4,), "float32")):
    for i in range(2, annotations={"pragma_auto_unroll_max_step": 4}):
        for j in range(2):
            B[i * 2 + j] = A[j * 2 + i]
`,
      `
@T.prim_func
def main(A: T.Buffer((4,), "float32"), B: T.Buffer((4,), "float32")):
    B[T.Add(T.Mul(0, 2), 0)] = A[T.Add(T.Mul(0, 2), 0)]
    B[T.Mul(0, 2) + 1] = A[T.Add(T.Mul(1, 2), 0)]
    B[T.Add(T.Mul(1, 2), 0)] = A[T.Mul(0, 2) + 1]
    B[T.Mul(1, 2) + 1] = A[T.Mul(1, 2) + 1]
`,
    );
    expectSameResults(before, after);
  });

  test("a nest over the budget is unrolled from the inside only", () => {
    const { before, after } = checkPass(
      UnrollLoop,
      `
@T.prim_func
def main(A: T.Buffer((6,), "float32"), B: T.Buffer((6,), "float32")):
    for i in range(3, annotations={"pragma_auto_unroll_max_step": 4}):
        for j in range(2):
            B[i * 2 + j] = A[i * 2 + j] * T.float32(2)
`,
      `
@T.prim_func
def main(A: T.Buffer((6,), "float32"), B: T.Buffer((6,), "float32")):
    for i in range(3):
        B[T.Add(i * 2, 0)] = A[T.Add(i * 2, 0)] * T.float32(2)
        B[i * 2 + 1] = A[i * 2 + 1] * T.float32(2)
`,
    );
    expectSameResults(before, after);
  });

  test("steps of a sequence add up: two stores per iteration need twice the budget", () => {
    const src = (step: number) => `
@T.prim_func
def main(A: T.Buffer((4,), "float32"), B: T.Buffer((4,), "float32")):
    for i in range(4, annotations={"pragma_auto_unroll_max_step": ${step}}):
        A[i] = T.float32(1)
        B[i] = T.float32(2)
`;
    const kept = applyPass(UnrollLoop, parsePrimFunc(src(7)));
    expect(printScript(kept)).toContain("for i in range(4)");
    const done = applyPass(UnrollLoop, parsePrimFunc(src(8)));
    expect(printScript(done)).not.toContain("for");
    expectSameResults(parsePrimFunc(src(8)), done);
  });

  test("the pragma as an AttrStmt (as LowerOpaqueBlock emits it) is honoured and removed", () => {
    const f = parsePrimFunc(`
@T.prim_func
def main(B: T.Buffer((3,), "int32")):
    for i in range(3):
        B[i] = i * 7
`);
    const loop = f.body as For;
    const g = f.withBody(new AttrStmt(loop.loopVar, "pragma_auto_unroll_max_step", new IntImm(int32, 16), loop));
    const out = applyPass(UnrollLoop, g);
    const want = parsePrimFunc(`
@T.prim_func
def main(B: T.Buffer((3,), "int32")):
    B[0] = T.Mul(0, 7)
    B[1] = T.Mul(1, 7)
    B[2] = T.Mul(2, 7)
`);
    expect(structuralEqual(out, want)).toBe(true);
    expectSameResults(g, out);
  });

  test("without a pragma serial loops are left alone and the function is returned as is", () => {
    const f = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((4,), "float32")):
    for i in range(4):
        A[i] = T.float32(0)
`);
    expect(applyPass(UnrollLoop, f)).toBe(f);
  });

  test("a T.unroll loop with a symbolic extent is a PassError", () => {
    const f = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((8,), "float32"), n: T.int32):
    for i in T.unroll(n):
        A[i] = T.float32(0)
`);
    expect(() => UnrollLoop(IRModule.fromFunction(f, "main"))).toThrow(
      /UnrollLoop: function "main": loop i is T.unroll but its trip count is not a constant/,
    );
  });
});
