import { describe, expect, it } from "vitest";
import { PrimFunc } from "../../../src/tir/function.js";
import { RemoveNoOp } from "../../../src/tir/transform/remove_no_op.js";
import { Simplify } from "../../../src/tir/transform/simplify.js";
import { Schedule } from "../../../src/schedule/index.js";
import { runPipeline } from "../../../src/tir/transform/pass.js";
import { LowerInitBlock } from "../../../src/tir/transform/lower_init_block.js";
import { ConvertBlocksToOpaque } from "../../../src/tir/transform/convert_blocks_to_opaque.js";
import { LowerOpaqueBlock } from "../../../src/tir/transform/lower_opaque_block.js";
import { FlattenBuffer } from "../../../src/tir/transform/flatten_buffer.js";
import { applyPass, expectFunc, expectSameResults, parsePrimFunc } from "./lower_passes_utils.js";

const run = (f: PrimFunc) => applyPass(RemoveNoOp, f);

describe("RemoveNoOp", () => {
  it("drops evaluates, empty loops and ifs, and loops of extent 0", () => {
    const before = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((16,), "float32"), n: T.int32):
    T.evaluate(0)
    for i in range(16):
        T.evaluate(i + 1)
        if i < n:
            T.evaluate(0)
        else:
            A[i] = T.float32(2)
        if i < 3:
            T.evaluate(1)
    for k in range(0):
        A[k] = T.float32(1)
    for i in range(4):
        for j in range(i - 4):
            A[j] = T.float32(5)
    for i in range(4):
        for j in range(3):
            T.evaluate(0)
    A[0] = A[0] + T.float32(1)
`);
    const after = run(before);
    expectFunc(after, `
@T.prim_func
def main(A: T.Buffer((16,), "float32"), n: T.int32):
    for i in range(16):
        if not i < n:
            A[i] = T.float32(2)
    A[0] = A[0] + T.float32(1)
`);
    expectSameResults(before, after, { n: 5 });
  });

  it("drops stores of a value to its own location, unused lets and unused declared buffers", () => {
    const before = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((16,), "float32"), B: T.Buffer((16,), "float32")):
    for i in range(16):
        x: T.int32 = i * 2
        y: T.int32 = i + 1
        A[i] = A[i]
        B[y - 1] = A[i]
    U = T.decl_buffer((8,), scope="local")
    V = T.decl_buffer((4,), scope="local")
    for i in range(4):
        V[i] = A[i]
        B[i] = V[i]
`);
    const after = run(before);
    expectFunc(after, `
@T.prim_func
def main(A: T.Buffer((16,), "float32"), B: T.Buffer((16,), "float32")):
    for i in range(16):
        y: T.int32 = i + 1
        B[y - 1] = A[i]
    U = T.allocate([8], "float32", "local")
    V = T.decl_buffer((4,), scope="local")
    for i in range(4):
        V[i] = A[i]
        B[i] = V[i]
`);
    expectSameResults(before, after);
  });

  it("an allocation around nothing goes, and so does the loop around it", () => {
    const before = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((16,), "float32")):
    for i in range(4):
        X = T.decl_buffer((8,), scope="local")
        for j in range(8):
            T.evaluate(0)
    A[0] = T.float32(1)
`);
    expectFunc(run(before), `
@T.prim_func
def main(A: T.Buffer((16,), "float32")):
    A[0] = T.float32(1)
`);
  });

  it("after Simplify: a provably false guard leaves nothing behind", () => {
    const before = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((8,), "float32")):
    for i in range(8):
        if 8 <= i:
            A[i] = T.float32(0)
        A[i] = A[i] * T.float32(2)
    for j in range(8):
        if j >= 8:
            A[j] = T.float32(1)
`);
    const after = run(applyPass(Simplify, before));
    expectFunc(after, `
@T.prim_func
def main(A: T.Buffer((8,), "float32")):
    for i in range(8):
        A[i] = A[i] * T.float32(2)
`);
    expectSameResults(before, after);
  });

  it("returns the same function when there is nothing to remove", () => {
    const f = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((16,), "float32")):
    for i in range(16):
        x: T.int32 = i * 2
        if i < 8:
            A[x // 2] = T.float32(0)
        else:
            A[i] = T.float32(1)
`);
    expect(run(f)).toBe(f);
  });
});

describe("the lowering passes end to end", () => {
  it("a split, cache_write matmul through ConvertBlocksToOpaque .. RemoveNoOp computes the same", () => {
    const func = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((12, 8), "float32"), B: T.Buffer((8, 10), "float32"), C: T.Buffer((12, 10), "float32")):
    for i, j, k in T.grid(12, 10, 8):
        with T.block("C"):
            vi, vj, vk = T.axis.remap("SSR", [i, j, k])
            with T.init():
                C[vi, vj] = T.float32(0)
            C[vi, vj] = C[vi, vj] + A[vi, vk] * B[vk, vj]
`);
    const sch = new Schedule(func);
    const c = sch.getBlock("C");
    const [, j] = sch.getLoops(c);
    sch.split(j!, [undefined, 4]);
    sch.cacheWrite(c, 0, "local");
    const lowered = runPipeline(sch.mod, [LowerInitBlock, ConvertBlocksToOpaque, LowerOpaqueBlock, FlattenBuffer, Simplify, RemoveNoOp]);
    const out = lowered.get("main") as PrimFunc;
    expectSameResults(func, out);
  });
});
