import { describe, expect, it } from "vitest";
import { IntImm } from "../../../src/ir/expr.js";
import { PrimFunc } from "../../../src/tir/function.js";
import { Allocate, AttrStmt, DeclBuffer, For, IfThenElse } from "../../../src/tir/stmt.js";
import { LowerOpaqueBlock } from "../../../src/tir/transform/lower_opaque_block.js";
import { PassError } from "../../../src/tir/transform/pass.js";
import { applyPass, expectFunc, expectSameResults, parsePrimFunc } from "./lower_passes_utils.js";

const run = (f: PrimFunc) => applyPass(LowerOpaqueBlock, f);

describe("LowerOpaqueBlock", () => {
  it("block allocations become decl_buffers (Allocate + DeclBuffer) where the block was", () => {
    // What cache_read + compute_at + ConvertBlocksToOpaque leave.
    const before = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((16, 16), "float32"), B: T.Buffer((16, 16), "float32")):
    for i in range(16):
        with T.block("outer"):
            T.reads(A[i, 0:16])
            T.writes(B[i, 0:16])
            A_local = T.alloc_buffer((16,), scope="local")
            A_tmp = T.alloc_buffer((2, 8))
            for j in range(16):
                with T.block("A_local"):
                    T.reads(A[i, j])
                    T.writes(A_local[j])
                    A_local[j] = A[i, j] * T.float32(2)
            for j in range(16):
                with T.block("A_tmp"):
                    T.reads(A_local[j])
                    T.writes(A_tmp[j // 8, j % 8])
                    A_tmp[j // 8, j % 8] = A_local[j]
            for j in range(16):
                with T.block("B"):
                    T.reads(A_tmp[j // 8, j % 8])
                    T.writes(B[i, j])
                    B[i, j] = A_tmp[j // 8, j % 8] + T.float32(1)
`);
    const after = run(before);
    expectFunc(after, `
@T.prim_func
def main(A: T.Buffer((16, 16), "float32"), B: T.Buffer((16, 16), "float32")):
    for i in range(16):
        A_local = T.decl_buffer((16,), scope="local")
        A_tmp = T.decl_buffer((2, 8))
        for j in range(16):
            A_local[j] = A[i, j] * T.float32(2)
        for j in range(16):
            A_tmp[j // 8, j % 8] = A_local[j]
        for j in range(16):
            B[i, j] = A_tmp[j // 8, j % 8] + T.float32(1)
`);
    expectSameResults(before, after);
    const alloc = (after.body as For).body as Allocate;
    expect(alloc).toBeInstanceOf(Allocate);
    expect((alloc.body as DeclBuffer).buffer.name).toBe("A_local");
  });

  it("root allocations, predicates become ifs, unit loops go, thread bindings become launch_thread", () => {
    const before = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((30, 1), "float32"), B: T.Buffer((30,), "float32")):
    C = T.alloc_buffer((32,))
    for bx in T.thread_binding(4, thread="blockIdx.x"):
        for tx in T.thread_binding(8, thread="threadIdx.x"):
            for k in range(1):
                with T.block("C"):
                    T.where(bx * 8 + tx < 30)
                    T.reads(A[bx * 8 + tx, k])
                    T.writes(C[bx * 8 + tx])
                    C[bx * 8 + tx] = A[bx * 8 + tx, k] + T.float32(1)
    for i in range(30):
        with T.block("B"):
            T.reads(C[i])
            T.writes(B[i])
            B[i] = C[i]
`);
    const after = run(before);
    expectFunc(after, `
@T.prim_func
def main(A: T.Buffer((30, 1), "float32"), B: T.Buffer((30,), "float32")):
    C = T.decl_buffer((32,))
    with T.launch_thread("blockIdx.x", 4) as bx:
        tx = T.launch_thread("threadIdx.x", 8)
        if bx * 8 + tx < 30:
            C[bx * 8 + tx] = A[bx * 8 + tx, 0] + T.float32(1)
    for i in range(30):
        B[i] = C[i]
`);
    expectSameResults(before, after);
  });

  it("pragma annotations become attrs (on the loop var for loops, on 0 for blocks); other loop annotations stay", () => {
    const before = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((16,), "float32")):
    for i in T.serial(16, annotations={"pragma_unroll_explicit": 1, "pragma_auto_unroll_max_step": 16, "software_pipeline_stage": [0, 1]}):
        with T.block("A"):
            T.reads(A[i])
            T.writes(A[i])
            T.block_attr({"pragma_import_c": "x", "meta_schedule.tiling_structure": "SSR"})
            A[i] = A[i] + T.float32(1)
`);
    const after = run(before);
    expectSameResults(before, after);
    const a1 = after.body as AttrStmt;
    expect(a1.attrKey).toBe("pragma_auto_unroll_max_step");
    const a2 = a1.body as AttrStmt;
    expect(a2.attrKey).toBe("pragma_unroll_explicit");
    const loop = a2.body as For;
    expect(loop).toBeInstanceOf(For);
    expect(a1.node).toBe(loop.loopVar);
    expect(a2.node).toBe(loop.loopVar);
    expect((a1.value as IntImm).value).toBe(16);
    expect(Object.keys(loop.annotations)).toEqual(["software_pipeline_stage"]);
    const blockAttr = loop.body as AttrStmt;
    expect(blockAttr.attrKey).toBe("pragma_import_c");
    expect((blockAttr.node as IntImm).value).toBe(0);
    expect(blockAttr.body.kind).toBe("BufferStore");
  });

  it("strided allocations allocate the stride ratios; storage_align moves to the Allocate", () => {
    const before = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((4, 4), "float32"), B: T.Buffer((4, 4), "float32")):
    with T.block("root"):
        T.reads(A[0:4, 0:4])
        T.writes(B[0:4, 0:4])
        S = T.alloc_buffer((4, 4), strides=(5, 1))
        for i, j in T.grid(4, 4):
            with T.block("S"):
                T.reads(A[i, j])
                T.writes(S[i, j])
                T.block_attr({"buffer_dim_align": [[0, 0, 4, 1]]})
                S[i, j] = A[i, j]
        for i, j in T.grid(4, 4):
            with T.block("B"):
                T.reads(S[j, i])
                T.writes(B[i, j])
                B[i, j] = S[j, i]
`);
    const after = run(before);
    expectSameResults(before, after);
    const alloc = after.body as Allocate;
    expect(alloc).toBeInstanceOf(Allocate);
    expect(alloc.extents.map((e) => (e as IntImm).value)).toEqual([4, 5]);
    expect(alloc.annotations).toEqual({ buffer_dim_align: [[-1, 0, 4, 1]] });
    expect((alloc.body as DeclBuffer).buffer.strides.map((e) => (e as IntImm).value)).toEqual([5, 1]);
  });

  it("returns the same function when there are no blocks and nothing to lower", () => {
    const f = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((16,), "float32")):
    for i in range(16):
        if i < 8:
            A[i] = T.float32(0)
`);
    expect(run(f)).toBe(f);
  });

  it("rejects blocks that are not opaque, naming the function and the block", () => {
    const f = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((16,), "float32")):
    for i in range(16):
        with T.block("zero"):
            vi = T.axis.spatial(16, i)
            A[vi] = T.float32(0)
`);
    expect(() => run(f)).toThrow(PassError);
    expect(() => run(f)).toThrow(
      'LowerOpaqueBlock: function "main": block "zero": expected an opaque block (no block iter vars); run ConvertBlocksToOpaque first',
    );
  });

  it("rejects blocks that still have an init", () => {
    const f = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((16,), "float32"), B: T.Buffer((1,), "float32")):
    with T.block("sum"):
        T.reads(A[0:16])
        T.writes(B[0])
        with T.init():
            B[0] = T.float32(0)
        for k in range(16):
            B[0] = B[0] + A[k]
`);
    expect(() => run(f)).toThrow(/block "sum": expected no T.init\(\) statement; run LowerInitBlock first/);
  });

  it("keeps the realize predicate when the block is nested in an unlowered if", () => {
    const before = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((10,), "float32")):
    for i in range(12):
        if i % 2 == 0:
            with T.block("A"):
                T.where(i < 10)
                T.reads()
                T.writes(A[i])
                A[i] = T.Cast("float32", i)
`);
    const after = run(before);
    const ifOuter = (after.body as For).body as IfThenElse;
    expect(ifOuter.thenCase).toBeInstanceOf(IfThenElse);
    expectSameResults(before, after);
  });
});
