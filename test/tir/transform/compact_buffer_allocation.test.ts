import { describe, expect, it } from "vitest";
import { IRModule } from "../../../src/ir/module.js";
import type { Buffer } from "../../../src/ir/buffer.js";
import type { PrimFunc } from "../../../src/tir/function.js";
import { Block } from "../../../src/tir/stmt.js";
import { postOrderVisitStmt } from "../../../src/tir/stmt_functor.js";
import { lower } from "../../../src/tir/pipeline.js";
import { Schedule } from "../../../src/schedule/index.js";
import { parsePrimFunc } from "../../../src/tir/script/index.js";
import { PassError } from "../../../src/tir/transform/pass.js";
import { LowerInitBlock } from "../../../src/tir/transform/lower_init_block.js";
import { PlanAndUpdateBufferAllocationLocation } from "../../../src/tir/transform/plan_buffer_allocation_location.js";
import { ConvertBlocksToOpaque } from "../../../src/tir/transform/convert_blocks_to_opaque.js";
import { CompactBufferAllocation } from "../../../src/tir/transform/compact_buffer_allocation.js";
import {
  WORKLOADS, applyPass, expectFuncEqual, expectSameOutputs, matmul, scheduledMatmul, softmax,
} from "./block_lowering_helpers.js";

const before = [LowerInitBlock, PlanAndUpdateBufferAllocationLocation, ConvertBlocksToOpaque];
const all = [...before, CompactBufferAllocation];
const mainOf = (m: IRModule) => m.get("main") as PrimFunc;

describe("CompactBufferAllocation", () => {
  it("scheduled matmul: the cache_write buffer shrinks to one 4x8 tile, indices shift by the tile start", () => {
    const input = applyPass(before, scheduledMatmul());
    const after = applyPass(CompactBufferAllocation, input);
    expectFuncEqual(
      after,
      `
@T.prim_func
def main(A: T.Buffer((16, 16), "float32"), B: T.Buffer((16, 16), "float32"), C: T.Buffer((16, 16), "float32")):
    T.func_attr({"tir.noalias": True})
    for i_0, j_0 in T.grid(4, 2):
        with T.block(""):
            T.reads(A[i_0 * 4 : i_0 * 4 + 4, 0:18], B[0:18, j_0 * 8 : j_0 * 8 + 8])
            T.writes(C[i_0 * 4 : i_0 * 4 + 4, j_0 * 8 : j_0 * 8 + 8])
            C_global = T.alloc_buffer((4, 8))
            for i_1_init in range(4):
                for j_1_init in T.vectorized(8):
                    with T.block("C_init"):
                        T.reads()
                        T.writes(C_global[i_0 * 4 + i_1_init - i_0 * 4, j_0 * 8 + j_1_init - j_0 * 8])
                        C_global[i_0 * 4 + i_1_init - i_0 * 4, j_0 * 8 + j_1_init - j_0 * 8] = T.float32(0.0)
            for k_0, i_1, k_1 in T.grid(3, 4, 6):
                for j_1 in T.vectorized(8):
                    with T.block("C_update"):
                        T.where(k_0 * 6 + k_1 < 16)
                        T.reads(C_global[i_0 * 4 + i_1 - i_0 * 4, j_0 * 8 + j_1 - j_0 * 8], A[i_0 * 4 + i_1, k_0 * 6 + k_1], B[k_0 * 6 + k_1, j_0 * 8 + j_1])
                        T.writes(C_global[i_0 * 4 + i_1 - i_0 * 4, j_0 * 8 + j_1 - j_0 * 8])
                        C_global[i_0 * 4 + i_1 - i_0 * 4, j_0 * 8 + j_1 - j_0 * 8] = C_global[i_0 * 4 + i_1 - i_0 * 4, j_0 * 8 + j_1 - j_0 * 8] + A[i_0 * 4 + i_1, k_0 * 6 + k_1] * B[k_0 * 6 + k_1, j_0 * 8 + j_1]
            for ax0, ax1 in T.grid(4, 8):
                with T.block("C_global"):
                    T.reads(C_global[i_0 * 4 + ax0 - i_0 * 4, j_0 * 8 + ax1 - j_0 * 8])
                    T.writes(C[i_0 * 4 + ax0, j_0 * 8 + ax1])
                    C[i_0 * 4 + ax0, j_0 * 8 + ax1] = C_global[i_0 * 4 + ax0 - i_0 * 4, j_0 * 8 + ax1 - j_0 * 8]
`,
    );
    expectSameOutputs(input, after);
  });

  it("TVM's element_func: B becomes (1, 16) under the i loop", () => {
    const input = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((16, 16), "float32"), C: T.Buffer((16, 16), "float32")):
    for i in range(16):
        with T.block(""):
            T.reads(A[i, 0:16])
            T.writes(C[i, 0:16])
            B = T.alloc_buffer((16, 16))
            for j in range(16):
                with T.block(""):
                    T.reads(A[i, j])
                    T.writes(B[i, j])
                    B[i, j] = A[i, j] + T.float32(1)
            for j in range(16):
                with T.block(""):
                    T.reads(B[i, j])
                    T.writes(C[i, j])
                    C[i, j] = B[i, j] * T.float32(2)
`);
    const after = applyPass(CompactBufferAllocation, input);
    expectFuncEqual(
      after,
      `
@T.prim_func
def main(A: T.Buffer((16, 16), "float32"), C: T.Buffer((16, 16), "float32")):
    for i in range(16):
        with T.block(""):
            T.reads(A[i, 0:16])
            T.writes(C[i, 0:16])
            B = T.alloc_buffer((1, 16))
            for j in range(16):
                with T.block(""):
                    T.reads(A[i, j])
                    T.writes(B[i - i, j])
                    B[i - i, j] = A[i, j] + T.float32(1)
            for j in range(16):
                with T.block(""):
                    T.reads(B[i - i, j])
                    T.writes(C[i, j])
                    C[i, j] = B[i - i, j] * T.float32(2)
`,
    );
    expectSameOutputs(input, after);
  });

  it("a partial last tile: the region is clipped to the shape and the extent bounded by a constant", () => {
    const input = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((10,), "float32"), C: T.Buffer((10,), "float32")):
    for i_0 in range(3):
        with T.block(""):
            T.reads(A[i_0 * 4 : i_0 * 4 + 4])
            T.writes(C[i_0 * 4 : i_0 * 4 + 4])
            B = T.alloc_buffer((10,))
            for i_1 in range(4):
                if i_0 * 4 + i_1 < 10:
                    B[i_0 * 4 + i_1] = A[i_0 * 4 + i_1] + T.float32(1)
            for i_1 in range(4):
                if i_0 * 4 + i_1 < 10:
                    C[i_0 * 4 + i_1] = B[i_0 * 4 + i_1]
`);
    const after = applyPass(CompactBufferAllocation, input);
    expectFuncEqual(
      after,
      `
@T.prim_func
def main(A: T.Buffer((10,), "float32"), C: T.Buffer((10,), "float32")):
    for i_0 in range(3):
        with T.block(""):
            T.reads(A[i_0 * 4 : i_0 * 4 + 4])
            T.writes(C[i_0 * 4 : i_0 * 4 + 4])
            B = T.alloc_buffer((4,))
            for i_1 in range(4):
                if i_0 * 4 + i_1 < 10:
                    B[i_0 * 4 + i_1 - i_0 * 4] = A[i_0 * 4 + i_1] + T.float32(1)
            for i_1 in range(4):
                if i_0 * 4 + i_1 < 10:
                    C[i_0 * 4 + i_1] = B[i_0 * 4 + i_1 - i_0 * 4]
`,
    );
    expectSameOutputs(input, after);
  });

  it("keeps buffers whose data pointer escapes, and returns the same function when nothing shrinks", () => {
    const input = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((16,), "float32")):
    for i in range(4):
        with T.block(""):
            T.reads()
            T.writes(A[i * 4 : i * 4 + 4])
            B = T.alloc_buffer((16,))
            B[i * 4] = T.float32(1)
            T.evaluate(T.call_extern("int32", "use", B.data))
            A[i * 4] = B[i * 4]
`);
    expect(applyPass(CompactBufferAllocation, input)).toBe(input);
    const sm = applyPass(before, softmax());
    expect(applyPass(CompactBufferAllocation, sm)).toBe(sm);
  });

  it("storage_align: the compacted buffer gets padded strides (stride % factor == offset)", () => {
    const sch = new Schedule(matmul(16));
    const c = sch.getBlock("C");
    const [i, j] = sch.getLoops(c);
    const [i0, i1] = sch.split(i!, [undefined, 4]);
    const [j0, j1] = sch.split(j!, [undefined, 8]);
    sch.reorder(i0!, j0!, i1!, j1!);
    const cw = sch.cacheWrite(c, 0, "global");
    sch.reverseComputeAt(cw, j0!);
    sch.storageAlign(c, 0, 0, 16, 1);
    const scheduled = sch.mod.get("main") as PrimFunc;
    const after = applyPass(all, scheduled);
    let cGlobal: Buffer | undefined;
    postOrderVisitStmt(after.body, (s) => {
      if (s instanceof Block) for (const b of s.allocBuffers) if (b.name === "C_global") cGlobal = b;
    });
    expect(cGlobal!.shape.map(String)).toEqual(["4", "8"]);
    expect(cGlobal!.strides.map(String)).toEqual(["17", "1"]);
    expectSameOutputs(scheduled, after);
    expectSameOutputs(scheduled, mainOf(lower(scheduled)));
  });

  it("fails naming the function and the block on a block that still has iter vars", () => {
    const mod = IRModule.fromFunction(applyPass(LowerInitBlock, scheduledMatmul()), "mm");
    expect(() => CompactBufferAllocation(mod)).toThrow(PassError);
    expect(() => CompactBufferAllocation(mod)).toThrow(
      'CompactBufferAllocation: function "mm": block "C_init" still has iter vars; expected an opaque block (run ConvertBlocksToOpaque first)',
    );
  });

  it.each(WORKLOADS)("%s: outputs are unchanged after plan + opaque + compact", (_name, make) => {
    const f = make();
    expectSameOutputs(f, applyPass(all, f));
  });
});
