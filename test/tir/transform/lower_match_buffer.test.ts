import { describe, expect, it } from "vitest";
import { IRModule } from "../../../src/ir/module.js";
import { parsePrimFunc, printScript } from "../../../src/tir/script/index.js";
import { Block } from "../../../src/tir/stmt.js";
import { postOrderVisitStmt } from "../../../src/tir/stmt_functor.js";
import { PassError } from "../../../src/tir/transform/pass.js";
import { LowerInitBlock } from "../../../src/tir/transform/lower_init_block.js";
import { PlanAndUpdateBufferAllocationLocation } from "../../../src/tir/transform/plan_buffer_allocation_location.js";
import { ConvertBlocksToOpaque } from "../../../src/tir/transform/convert_blocks_to_opaque.js";
import { CompactBufferAllocation } from "../../../src/tir/transform/compact_buffer_allocation.js";
import { LowerMatchBuffer } from "../../../src/tir/transform/lower_match_buffer.js";
import { WORKLOADS, applyPass, expectFuncEqual, expectSameOutputs, tensorizedMatmul } from "./block_lowering_helpers.js";

const before = [LowerInitBlock, PlanAndUpdateBufferAllocationLocation, ConvertBlocksToOpaque, CompactBufferAllocation];

describe("LowerMatchBuffer", () => {
  it("TVM's buffer_load_store: view accesses become source accesses at region min + index", () => {
    const input = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((16, 16, 16), "float32"), C: T.Buffer((16, 16), "float32")):
    for i, j, k in T.grid(4, 16, 8):
        with T.block(""):
            T.reads(C[i * 4 : i * 4 + 4, k * 2 : k * 2 + 2])
            T.writes(A[i * 4 : i * 4 + 4, j, k * 2 : k * 2 + 2])
            sub_A = T.match_buffer(A[i * 4 : i * 4 + 4, j, k * 2 : k * 2 + 2], (4, 1, 2), offset_factor=1)
            sub_C = T.match_buffer(C[i * 4 : i * 4 + 4, k * 2 : k * 2 + 2], (4, 2), offset_factor=1)
            for ii, kk in T.grid(4, 2):
                sub_A[ii, 0, kk] = sub_A[ii, 0, kk] + sub_C[ii, kk]
`);
    const after = applyPass(LowerMatchBuffer, input);
    expectFuncEqual(
      after,
      `
@T.prim_func
def main(A: T.Buffer((16, 16, 16), "float32"), C: T.Buffer((16, 16), "float32")):
    for i, j, k in T.grid(4, 16, 8):
        with T.block(""):
            T.reads(C[i * 4 : i * 4 + 4, k * 2 : k * 2 + 2])
            T.writes(A[i * 4 : i * 4 + 4, j, k * 2 : k * 2 + 2])
            for ii, kk in T.grid(4, 2):
                A[i * 4 + ii, j, k * 2 + kk] = A[i * 4 + ii, j, k * 2 + kk] + C[i * 4 + ii, k * 2 + kk]
`,
    );
    // (The interpreter rejects the input itself: sub_A views a non-contiguous region without
    // declaring strides. Semantics are checked on the other cases.)
  });

  it("a lower-rank view indexes the dropped leading dimensions at their min; vars are substituted", () => {
    const input = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((4, 8), "float32"), B: T.Buffer((4,), "float32")):
    for i in range(4):
        with T.block(""):
            T.reads(A[i, 0:8])
            T.writes(B[i])
            row = T.match_buffer(A[i, 0:8], (8,), offset_factor=1)
            B[i] = row[0] + row[7] + T.Cast("float32", row.elem_offset)
`);
    const after = applyPass(LowerMatchBuffer, input);
    expectFuncEqual(
      after,
      `
@T.prim_func
def main(A: T.Buffer((4, 8), "float32"), B: T.Buffer((4,), "float32")):
    for i in range(4):
        with T.block(""):
            T.reads(A[i, 0:8])
            T.writes(B[i])
            B[i] = A[i, 0] + A[i, 7] + T.Cast("float32", i * 8)
`,
    );
    expectSameOutputs(input, after);
  });

  it("tensorized matmul: data, elem_offset and strides of the micro-kernel's views are bound", () => {
    const input = applyPass(before, tensorizedMatmul());
    const after = applyPass(LowerMatchBuffer, input);
    postOrderVisitStmt(after.body, (s) => {
      if (s instanceof Block) expect(s.matchBuffers).toHaveLength(0);
    });
    expect(printScript(after)).toContain(
      "C_global[i_0 * 4 - i_0 * 4 + i, j_0 * 8 - j_0 * 8 + j] = C_global[i_0 * 4 - i_0 * 4 + i, j_0 * 8 - j_0 * 8 + j] + A[i_0 * 4 + i, k_0 * 4 + k] * B[k_0 * 4 + k, j_0 * 8 + j]",
    );
    expectSameOutputs(tensorizedMatmul(), after);
  });

  it("strided views: data, elem_offset and stride variables become the source's", () => {
    const input = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((16, 32), "float32")):
    for i, j in T.grid(4, 2):
        with T.block("tile"):
            T.reads(A[i * 4 : i * 4 + 4, j * 16 : j * 16 + 16])
            T.writes(A[i * 4 : i * 4 + 4, j * 16 : j * 16 + 16])
            lda = T.int32()
            off = T.int32()
            sub = T.match_buffer(A[i * 4 : i * 4 + 4, j * 16 : j * 16 + 16], (4, 16), strides=[lda, 1], elem_offset=off, offset_factor=1)
            T.evaluate(T.call_extern("int32", "kernel", sub.data, off, lda))
            sub[1, 2] = T.float32(0)
`);
    expectFuncEqual(
      applyPass(LowerMatchBuffer, input),
      `
@T.prim_func
def main(A: T.Buffer((16, 32), "float32")):
    for i, j in T.grid(4, 2):
        with T.block("tile"):
            T.reads(A[i * 4 : i * 4 + 4, j * 16 : j * 16 + 16])
            T.writes(A[i * 4 : i * 4 + 4, j * 16 : j * 16 + 16])
            T.evaluate(T.call_extern("int32", "kernel", A.data, i * 128 + j * 16, 32))
            A[i * 4 + 1, j * 16 + 2] = T.float32(0)
`,
    );
  });

  it("a view of a view (nested blocks) resolves to the outermost source", () => {
    const input = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((8, 8), "float32")):
    for i in range(2):
        with T.block("outer"):
            T.reads()
            T.writes(A[i * 4 : i * 4 + 4, 0:8])
            tile = T.match_buffer(A[i * 4 : i * 4 + 4, 0:8], (4, 8), offset_factor=1)
            for r in range(4):
                with T.block("inner"):
                    T.reads()
                    T.writes(tile[r, 0:8])
                    row = T.match_buffer(tile[r, 0:8], (8,), offset_factor=1)
                    for c in range(8):
                        row[c] = T.Cast("float32", r * 8 + c)
`);
    const after = applyPass(LowerMatchBuffer, input);
    expectFuncEqual(
      after,
      `
@T.prim_func
def main(A: T.Buffer((8, 8), "float32")):
    for i in range(2):
        with T.block("outer"):
            T.reads()
            T.writes(A[i * 4 : i * 4 + 4, 0:8])
            for r in range(4):
                with T.block("inner"):
                    T.reads()
                    T.writes(A[i * 4 + r, 0:8])
                    for c in range(8):
                        A[i * 4 + r, c] = T.Cast("float32", r * 8 + c)
`,
    );
    expectSameOutputs(input, after);
  });

  it("fails naming the function, the block and the unmet constraint", () => {
    const bad = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((16,), "float32")):
    with T.block("tile"):
        T.reads()
        T.writes(A[0:4])
        sub = T.match_buffer(A[0:4], (8,))
        sub[0] = T.float32(0)
`);
    const mod = IRModule.fromFunction(bad, "f");
    expect(() => LowerMatchBuffer(mod)).toThrow(PassError);
    expect(() => LowerMatchBuffer(mod)).toThrow(
      'LowerMatchBuffer: function "f": block "tile": the match_buffer constraint sub.shape_0 is not met: 8 == 4',
    );
  });

  it.each(WORKLOADS)("%s: no view is left, outputs are unchanged, and a function without views comes back as is", (_name, make) => {
    const f = applyPass(before, make());
    let views = 0;
    postOrderVisitStmt(f.body, (s) => {
      if (s instanceof Block) views += s.matchBuffers.length;
    });
    const after = applyPass(LowerMatchBuffer, f);
    expect(after === f).toBe(views === 0);
    postOrderVisitStmt(after.body, (s) => {
      if (s instanceof Block) expect(s.matchBuffers).toHaveLength(0);
    });
    expectSameOutputs(make(), after);
  });
});
