import { describe, expect, test } from "vitest";
import { IRModule } from "../../../src/ir/module.js";
import { parsePrimFunc } from "../../../src/tir/script/index.js";
import { PassError } from "../../../src/tir/transform/pass.js";
import { VectorizeLoop } from "../../../src/tir/transform/vectorize_loop.js";
import { applyPass, checkPass, expectSameResults } from "./lowered_pass_helpers.js";

describe("VectorizeLoop", () => {
  test("elementwise: the loop var becomes a Ramp, the constant a Broadcast", () => {
    const { before, after } = checkPass(
      VectorizeLoop,
      `
@T.prim_func
def main(A: T.Buffer((8,), "float32"), B: T.Buffer((8,), "float32")):
    for i in T.vectorized(8):
        B[i] = A[i] * T.float32(2)
`,
      `
@T.prim_func
def main(A: T.Buffer((8,), "float32"), B: T.Buffer((8,), "float32")):
    B[0:8] = A[0:8] * T.Broadcast(T.float32(2), 8)
`,
    );
    expectSameResults(before, after);
  });

  test("broadcast add under an outer loop folds Ramp arithmetic", () => {
    const { before, after } = checkPass(
      VectorizeLoop,
      `
@T.prim_func
def main(A: T.Buffer((32,), "float32"), B: T.Buffer((4,), "float32"), C: T.Buffer((32,), "float32")):
    for j in range(4):
        for i in T.vectorized(8):
            C[j * 8 + i] = A[j * 8 + i] + B[j]
`,
      `
@T.prim_func
def main(A: T.Buffer((32,), "float32"), B: T.Buffer((4,), "float32"), C: T.Buffer((32,), "float32")):
    for j in range(4):
        C[T.Ramp(j * 8, 1, 8)] = A[T.Ramp(j * 8, 1, 8)] + T.Broadcast(B[j], 8)
`,
    );
    expectSameResults(before, after);
  });

  test("strided index and a nonzero loop min", () => {
    const { before, after } = checkPass(
      VectorizeLoop,
      `
@T.prim_func
def main(A: T.Buffer((16,), "float32"), B: T.Buffer((8,), "float32")):
    for i in T.vectorized(2, 6):
        B[i] = A[i * 2 + 1] - A[15 - i]
`,
      `
@T.prim_func
def main(A: T.Buffer((16,), "float32"), B: T.Buffer((8,), "float32")):
    B[2:6] = A[T.Ramp(5, 2, 4)] - A[T.Ramp(13, -1, 4)]
`,
    );
    expectSameResults(before, after);
  });

  test("a lane-dependent Select is widened", () => {
    const { before, after } = checkPass(
      VectorizeLoop,
      `
@T.prim_func
def main(A: T.Buffer((8,), "float32"), B: T.Buffer((8,), "float32")):
    for i in T.vectorized(8):
        B[i] = T.Select(i < 3, A[i], T.float32(0))
`,
      `
@T.prim_func
def main(A: T.Buffer((8,), "float32"), B: T.Buffer((8,), "float32")):
    B[0:8] = T.Select(T.Ramp(0, 1, 8) < T.Broadcast(3, 8), A[0:8], T.Broadcast(T.float32(0), 8))
`,
    );
    expectSameResults(before, after);
  });

  test("a lane-dependent if of stores becomes predicated stores and loads (the guard keeps lanes in bounds)", () => {
    const { before, after } = checkPass(
      VectorizeLoop,
      `
@T.prim_func
def main(A: T.Buffer((5,), "float32"), B: T.Buffer((5,), "float32"), C: T.Buffer((8,), "float32")):
    for i in T.vectorized(8):
        if i < 5:
            B[i] = A[i] + T.float32(1)
        else:
            C[i] = T.float32(3)
`,
      `
@T.prim_func
def main(A: T.Buffer((5,), "float32"), B: T.Buffer((5,), "float32"), C: T.Buffer((8,), "float32")):
    B.vstore([T.Ramp(0, 1, 8)], A.vload([T.Ramp(0, 1, 8)], predicate=T.Ramp(0, 1, 8) < T.Broadcast(5, 8)) + T.Broadcast(T.float32(1), 8), predicate=T.Ramp(0, 1, 8) < T.Broadcast(5, 8))
    C.vstore([T.Ramp(0, 1, 8)], T.Broadcast(T.float32(3), 8), predicate=T.Not(T.Ramp(0, 1, 8) < T.Broadcast(5, 8)))
`,
    );
    expectSameResults(before, after);
  });

  test("if_then_else with a lane-dependent condition predicates the loads of each side", () => {
    const { before, after } = checkPass(
      VectorizeLoop,
      `
@T.prim_func
def main(A: T.Buffer((6,), "float32"), B: T.Buffer((8,), "float32")):
    for i in T.vectorized(8):
        B[i] = T.if_then_else(i < 6, A[i], T.float32(0))
`,
      `
@T.prim_func
def main(A: T.Buffer((6,), "float32"), B: T.Buffer((8,), "float32")):
    B[0:8] = T.if_then_else(T.Ramp(0, 1, 8) < T.Broadcast(6, 8), A.vload([T.Ramp(0, 1, 8)], predicate=T.Ramp(0, 1, 8) < T.Broadcast(6, 8)), T.Broadcast(T.float32(0), 8))
`,
    );
    expectSameResults(before, after);
  });

  test("a reduction inner loop indexed by the lane vectorizes; one into a scalar accumulator falls back", () => {
    const ok = checkPass(
      VectorizeLoop,
      `
@T.prim_func
def main(A: T.Buffer((32,), "float32"), B: T.Buffer((4,), "float32")):
    for i in T.vectorized(4):
        for k in range(8):
            B[i] = B[i] + A[i * 8 + k]
`,
      `
@T.prim_func
def main(A: T.Buffer((32,), "float32"), B: T.Buffer((4,), "float32")):
    for k in range(8):
        B[0:4] = B[0:4] + A[T.Ramp(k, 8, 4)]
`,
    );
    expectSameResults(ok.before, ok.after);

    const fb = checkPass(
      VectorizeLoop,
      `
@T.prim_func
def main(A: T.Buffer((32,), "float32"), B: T.Buffer((4,), "float32")):
    for i in T.vectorized(4):
        acc = T.decl_buffer((1,), "float32")
        acc[0] = T.float32(0)
        for k in range(8):
            acc[0] = acc[0] + A[i * 8 + k]
        B[i] = acc[0]
`,
      `
@T.prim_func
def main(A: T.Buffer((32,), "float32"), B: T.Buffer((4,), "float32")):
    for i in range(4):
        acc = T.decl_buffer((1,), "float32")
        acc[0] = T.float32(0)
        for k in range(8):
            acc[0] = acc[0] + A[i * 8 + k]
        B[i] = acc[0]
`,
    );
    expectSameResults(fb.before, fb.after);
  });

  test("a store into one location that reads what the loop writes falls back", () => {
    checkPass(
      VectorizeLoop,
      `
@T.prim_func
def main(A: T.Buffer((4,), "float32"), B: T.Buffer((1,), "float32")):
    for i in T.vectorized(4):
        B[0] = B[0] + T.float32(1)
`,
      `
@T.prim_func
def main(A: T.Buffer((4,), "float32"), B: T.Buffer((1,), "float32")):
    for i in range(4):
        B[0] = B[0] + T.float32(1)
`,
    );
  });

  test("an impure extern call falls back; pure math is widened", () => {
    checkPass(
      VectorizeLoop,
      `
@T.prim_func
def main(A: T.Buffer((4,), "float32"), B: T.Buffer((4,), "float32")):
    for i in T.vectorized(4):
        B[i] = T.call_extern("float32", "myfunc", A[i])
`,
      `
@T.prim_func
def main(A: T.Buffer((4,), "float32"), B: T.Buffer((4,), "float32")):
    for i in range(4):
        B[i] = T.call_extern("float32", "myfunc", A[i])
`,
    );
    const { before, after } = checkPass(
      VectorizeLoop,
      `
@T.prim_func
def main(A: T.Buffer((4,), "float32"), B: T.Buffer((4,), "float32")):
    for i in T.vectorized(4):
        B[i] = T.exp(A[i]) + T.Cast("float32", i)
`,
      `
@T.prim_func
def main(A: T.Buffer((4,), "float32"), B: T.Buffer((4,), "float32")):
    B[0:4] = T.exp(A[0:4]) + T.Cast("float32x4", T.Ramp(0, 1, 4))
`,
    );
    expectSameResults(before, after);
  });

  test("let-bound lane values become vector lets", () => {
    const f = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((8,), "float32"), B: T.Buffer((8,), "float32")):
    for i in T.vectorized(8):
        x: T.float32 = A[i] * A[i]
        B[i] = x + T.float32(1)
`);
    const g = applyPass(VectorizeLoop, f);
    expect(String(g)).toContain("float32x8");
    expect(String(g)).not.toContain("vectorized");
    expectSameResults(f, g);
  });

  test("non-constant extents stay loops (serial); a function without vectorized loops is returned as is", () => {
    checkPass(
      VectorizeLoop,
      `
@T.prim_func
def main(A: T.Buffer((8,), "float32"), n: T.int32):
    for i in T.vectorized(n):
        A[i] = T.float32(0)
`,
      `
@T.prim_func
def main(A: T.Buffer((8,), "float32"), n: T.int32):
    for i in range(n):
        A[i] = T.float32(0)
`,
    );
    const f = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((8,), "float32")):
    for i in range(8):
        A[i] = T.float32(0)
`);
    expect(applyPass(VectorizeLoop, f)).toBe(f);
  });

  test("nested vectorized loops: the inner one vectorizes, the outer one falls back", () => {
    const f = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((16,), "float32"), B: T.Buffer((16,), "float32")):
    for j in T.vectorized(2):
        for i in T.vectorized(8):
            B[j * 8 + i] = A[j * 8 + i] + T.float32(1)
`);
    const g = applyPass(VectorizeLoop, f);
    expect(String(g)).toContain("for j in range(2)");
    expectSameResults(f, g);
  });

  test("blocks are rejected with a PassError naming the function and the block", () => {
    const f = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((8,), "float32")):
    for i in range(8):
        with T.sblock("init"):
            vi = T.axis.spatial(8, i)
            A[vi] = T.float32(0)
`);
    expect(() => VectorizeLoop(IRModule.fromFunction(f, "main"))).toThrow(PassError);
    expect(() => VectorizeLoop(IRModule.fromFunction(f, "main"))).toThrow(/VectorizeLoop: function "main": expected lowered code without blocks .*found block "root"/);
  });
});
