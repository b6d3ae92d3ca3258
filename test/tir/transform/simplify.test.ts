import { describe, expect, it } from "vitest";
import { Simplify } from "../../../src/tir/transform/simplify.js";
import { Schedule } from "../../../src/schedule/index.js";
import { PrimFunc } from "../../../src/tir/function.js";
import { applyPass, expectFunc, expectSameResults, parsePrimFunc } from "./lower_passes_utils.js";

const run = (f: PrimFunc) => applyPass(Simplify, f);

describe("Simplify", () => {
  it("simplifies indices with the loop ranges it is inside", () => {
    const before = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((16, 4), "float32"), B: T.Buffer((64,), "float32")):
    for i in range(16):
        for j in range(4):
            B[i * 4 + j] = A[(i * 4 + j) // 4, (i * 4 + j) % 4] + A[T.min(i, 15), T.max(j, 0)]
`);
    const after = run(before);
    expectFunc(after, `
@T.prim_func
def main(A: T.Buffer((16, 4), "float32"), B: T.Buffer((64,), "float32")):
    for i in range(16):
        for j in range(4):
            B[i * 4 + j] = A[i, j] + A[i, j]
`);
    expectSameResults(before, after);
  });

  it("removes ifs whose condition it can prove, and uses the condition in each branch", () => {
    const before = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((8,), "int32"), B: T.Buffer((8,), "int32")):
    for i in range(8):
        if i < 8:
            B[i] = A[i]
        if 8 <= i:
            B[i] = 0
        if i < 4:
            B[i] = B[i] + T.min(i, 3)
        else:
            B[i] = B[i] + T.max(i, 4) + T.Select(i < 4, 1, 2)
`);
    const after = run(before);
    expectFunc(after, `
@T.prim_func
def main(A: T.Buffer((8,), "int32"), B: T.Buffer((8,), "int32")):
    for i in range(8):
        B[i] = A[i]
        T.evaluate(0)
        if i < 4:
            B[i] = B[i] + i
        else:
            B[i] = B[i] + i + 2
`);
    expectSameResults(before, after);
  });

  it("keeps loops of extent 1 and 0 (as TVM does) but folds an extent-1 loop variable to its min", () => {
    const before = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((4, 4), "float32"), B: T.Buffer((4, 4), "float32")):
    for i in range(4):
        for j in range(1):
            B[i, j + 2] = A[i, j * 3 + 1]
        for k in range(0):
            B[i, k] = T.float32(0)
`);
    const after = run(before);
    expectFunc(after, `
@T.prim_func
def main(A: T.Buffer((4, 4), "float32"), B: T.Buffer((4, 4), "float32")):
    for i in range(4):
        for j in range(1):
            B[i, 2] = A[i, 1]
        for k in range(0):
            B[i, k] = T.float32(0)
`);
    expectSameResults(before, after);
  });

  it("inlines integer lets, keeps the others", () => {
    const before = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((16,), "float32"), B: T.Buffer((16,), "float32")):
    for i in range(8):
        x: T.int32 = i * 2
        y: T.float32 = A[x] * T.float32(2)
        B[x + 1 - 1] = y + y
`);
    const after = run(before);
    expectFunc(after, `
@T.prim_func
def main(A: T.Buffer((16,), "float32"), B: T.Buffer((16,), "float32")):
    for i in range(8):
        y: T.float32 = A[i * 2] * T.float32(2)
        B[i * 2] = y + y
`);
    expectSameResults(before, after);
  });

  it("drops a store of the value already at that location", () => {
    const before = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((16,), "float32")):
    for i in range(16):
        A[i] = A[i + 0 * i]
        A[i] = A[i] + T.float32(1)
`);
    const after = run(before);
    expectFunc(after, `
@T.prim_func
def main(A: T.Buffer((16,), "float32")):
    for i in range(16):
        T.evaluate(0)
        A[i] = A[i] + T.float32(1)
`);
    expectSameResults(before, after);
  });

  it("simplifies opaque blocks: regions, realize predicates and thread extents", () => {
    const before = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((64,), "float32"), B: T.Buffer((64,), "float32")):
    for bx in T.thread_binding(16, thread="blockIdx.x"):
        for tx in T.thread_binding(4, thread="threadIdx.x"):
            with T.block("B"):
                T.where(bx * 4 + tx < 64)
                T.reads(A[(bx * 4 + tx) // 4 * 4 + tx % 4])
                T.writes(B[bx * 4 + tx])
                B[bx * 4 + tx] = A[(bx * 4 + tx) // 4 * 4 + tx % 4]
`);
    const after = run(before);
    expectFunc(after, `
@T.prim_func
def main(A: T.Buffer((64,), "float32"), B: T.Buffer((64,), "float32")):
    for bx in T.thread_binding(16, thread="blockIdx.x"):
        for tx in T.thread_binding(4, thread="threadIdx.x"):
            with T.block("B"):
                T.reads(A[bx * 4 + tx])
                T.writes(B[bx * 4 + tx])
                B[bx * 4 + tx] = A[bx * 4 + tx]
`);
    expectSameResults(before, after);
  });

  it("symbolic extents: facts about the loop range prove bounds checks", () => {
    const before = parsePrimFunc(`
@T.prim_func
def main(n: T.int32, A: T.Buffer((64,), "float32")):
    for i in range(n):
        if i < n:
            A[i] = T.float32(1)
`);
    const after = run(before);
    expectFunc(after, `
@T.prim_func
def main(n: T.int32, A: T.Buffer((64,), "float32")):
    for i in range(n):
        A[i] = T.float32(1)
`);
    expectSameResults(before, after, { n: 10 });
  });

  it("returns the same function when there is nothing to simplify", () => {
    const f = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((16, 16), "float32")):
    for i, j in T.grid(16, 16):
        if i < j:
            A[i, j] = A[j, i] * T.float32(2)
`);
    expect(run(f)).toBe(f);
  });

  it("a split that does not divide: the guard stays where it is needed, goes where it is not", () => {
    const func = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((30,), "float32"), B: T.Buffer((30,), "float32")):
    for i in range(30):
        with T.block("B"):
            vi = T.axis.spatial(30, i)
            B[vi] = A[vi] + T.float32(1)
`);
    const sch = new Schedule(func);
    const [i] = sch.getLoops(sch.getBlock("B"));
    sch.split(i!, [undefined, 8]);
    const scheduled = sch.mod.get("main") as PrimFunc;
    const after = run(scheduled);
    expectFunc(after, `
@T.prim_func
def main(A: T.Buffer((30,), "float32"), B: T.Buffer((30,), "float32")):
    for i_0, i_1 in T.grid(4, 8):
        with T.block("B"):
            vi = T.axis.spatial(30, i_0 * 8 + i_1)
            T.where(i_0 * 8 + i_1 < 30)
            T.reads(A[vi])
            T.writes(B[vi])
            B[vi] = A[vi] + T.float32(1)
`);
    expectSameResults(func, after);
  });
});
