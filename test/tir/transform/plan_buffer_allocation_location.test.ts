import { describe, expect, it } from "vitest";
import { IRModule } from "../../../src/ir/module.js";
import { parsePrimFunc } from "../../../src/tir/script/index.js";
import { PassError } from "../../../src/tir/transform/pass.js";
import { LowerInitBlock } from "../../../src/tir/transform/lower_init_block.js";
import { PlanAndUpdateBufferAllocationLocation } from "../../../src/tir/transform/plan_buffer_allocation_location.js";
import {
  WORKLOADS, applyPass, expectFuncEqual, expectSameOutputs, matmul, scheduledMatmul, scheduledSoftmax, softmax,
} from "./block_lowering_helpers.js";

const Plan = PlanAndUpdateBufferAllocationLocation;
const passes = [LowerInitBlock, Plan];

describe("PlanAndUpdateBufferAllocationLocation", () => {
  it("TVM's element_func: B moves under the i loop into a new opaque block", () => {
    const before = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((16, 16), "float32"), C: T.Buffer((16, 16), "float32")):
    B = T.alloc_buffer((16, 16))
    for i0 in range(16):
        for j0 in range(16):
            with T.block("B"):
                i, j = T.axis.remap("SS", [i0, j0])
                B[i, j] = A[i, j] + T.float32(1)
        for j0 in range(16):
            with T.block("C"):
                i, j = T.axis.remap("SS", [i0, j0])
                C[i, j] = B[i, j] * T.float32(2)
`);
    const after = applyPass(Plan, before);
    expectFuncEqual(
      after,
      `
@T.prim_func
def main(A: T.Buffer((16, 16), "float32"), C: T.Buffer((16, 16), "float32")):
    for i0 in range(16):
        with T.block(""):
            T.reads(A[i0, 0:16])
            T.writes(C[i0, 0:16])
            B = T.alloc_buffer((16, 16))
            for j0 in range(16):
                with T.block("B"):
                    i, j = T.axis.remap("SS", [i0, j0])
                    T.reads(A[i, j])
                    T.writes(B[i, j])
                    B[i, j] = A[i, j] + T.float32(1)
            for j0 in range(16):
                with T.block("C"):
                    i, j = T.axis.remap("SS", [i0, j0])
                    T.reads(B[i, j])
                    T.writes(C[i, j])
                    C[i, j] = B[i, j] * T.float32(2)
`,
    );
    expectSameOutputs(before, after);
  });

  it("scheduled matmul: the cache_write buffer is allocated under the j_0 tile loop", () => {
    const before = applyPass(LowerInitBlock, scheduledMatmul());
    expectFuncEqual(
      applyPass(Plan, before),
      `
@T.prim_func
def main(A: T.Buffer((16, 16), "float32"), B: T.Buffer((16, 16), "float32"), C: T.Buffer((16, 16), "float32")):
    T.func_attr({"tir.noalias": True})
    for i_0, j_0 in T.grid(4, 2):
        with T.block(""):
            T.reads(A[i_0 * 4 : i_0 * 4 + 4, 0:18], B[0:18, j_0 * 8 : j_0 * 8 + 8])
            T.writes(C[i_0 * 4 : i_0 * 4 + 4, j_0 * 8 : j_0 * 8 + 8])
            C_global = T.alloc_buffer((16, 16))
            for i_1_init in range(4):
                for j_1_init in T.vectorized(8):
                    with T.block("C_init"):
                        vi = T.axis.spatial(16, i_0 * 4 + i_1_init)
                        vj = T.axis.spatial(16, j_0 * 8 + j_1_init)
                        T.reads()
                        T.writes(C_global[vi, vj])
                        C_global[vi, vj] = T.float32(0.0)
            for k_0, i_1, k_1 in T.grid(3, 4, 6):
                for j_1 in T.vectorized(8):
                    with T.block("C_update"):
                        vi = T.axis.spatial(16, i_0 * 4 + i_1)
                        vj = T.axis.spatial(16, j_0 * 8 + j_1)
                        vk = T.axis.reduce(16, k_0 * 6 + k_1)
                        T.where(k_0 * 6 + k_1 < 16)
                        T.reads(C_global[vi, vj], A[vi, vk], B[vk, vj])
                        T.writes(C_global[vi, vj])
                        C_global[vi, vj] = C_global[vi, vj] + A[vi, vk] * B[vk, vj]
            for ax0, ax1 in T.grid(4, 8):
                with T.block("C_global"):
                    v0 = T.axis.spatial(16, i_0 * 4 + ax0)
                    v1 = T.axis.spatial(16, j_0 * 8 + ax1)
                    T.reads(C_global[v0, v1])
                    T.writes(C[v0, v1])
                    C[v0, v1] = C_global[v0, v1]
`,
    );
  });

  it("a buffer used by a single block moves into that block; an unused buffer disappears", () => {
    const before = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((8,), "float32"), B: T.Buffer((8,), "float32")):
    T_tmp = T.alloc_buffer((8,))
    T_unused = T.alloc_buffer((3,))
    with T.block("outer"):
        T.reads(A[0:8])
        T.writes(B[0:8], T_tmp[0:8])
        for i in range(8):
            T_tmp[i] = A[i] * T.float32(3)
        for i in range(8):
            B[i] = T_tmp[i] + T.float32(1)
`);
    const after = applyPass(Plan, before);
    expectFuncEqual(
      after,
      `
@T.prim_func
def main(A: T.Buffer((8,), "float32"), B: T.Buffer((8,), "float32")):
    with T.block("root"):
        T.reads()
        T.writes()
        with T.block("outer"):
            T.reads(A[0:8])
            T.writes(B[0:8])
            T_tmp = T.alloc_buffer((8,))
            for i in range(8):
                T_tmp[i] = A[i] * T.float32(3)
            for i in range(8):
                B[i] = T_tmp[i] + T.float32(1)
`,
    );
    expectSameOutputs(before, after);
  });

  it("softmax: buffers shared by several root loops stay at the root", () => {
    const before = applyPass(LowerInitBlock, softmax());
    expect(applyPass(Plan, before)).toBe(before);
  });

  it("scheduled softmax: the three temporaries move under the row loop", () => {
    const after = applyPass(passes, scheduledSoftmax());
    const text = `
@T.prim_func
def main(A: T.Buffer((4, 8), "float32"), B: T.Buffer((4, 8), "float32")):
    T.func_attr({"tir.noalias": True})
    for i in range(4):
        with T.block(""):
            T.reads(A[i, 0:8])
            T.writes(B[i, 0:8])
            A_max = T.alloc_buffer((4,))
            A_exp = T.alloc_buffer((4, 8))
            A_sum = T.alloc_buffer((4,))
            for ax0 in range(8):
                with T.block("A_max"):
                    vi, vk = T.axis.remap("SR", [i, ax0])
                    T.reads(A[vi, vk])
                    T.writes(A_max[vi])
                    if vk == 0:
                        A_max[vi] = T.min_value("float32")
                    A_max[vi] = T.max(A_max[vi], A[vi, vk])
            for ax0 in range(8):
                with T.block("A_exp"):
                    vi, vj = T.axis.remap("SS", [i, ax0])
                    T.reads(A[vi, vj], A_max[vi])
                    T.writes(A_exp[vi, vj])
                    A_exp[vi, vj] = T.exp(A[vi, vj] - A_max[vi])
            for ax0 in range(8):
                with T.block("A_sum"):
                    vi, vk = T.axis.remap("SR", [i, ax0])
                    T.reads(A_exp[vi, vk])
                    T.writes(A_sum[vi])
                    if vk == 0:
                        A_sum[vi] = T.float32(0)
                    A_sum[vi] = A_sum[vi] + A_exp[vi, vk]
            for j in range(8):
                with T.block("B"):
                    vi, vj = T.axis.remap("SS", [i, j])
                    T.reads(A_exp[vi, vj], A_sum[vi])
                    T.writes(B[vi, vj])
                    B[vi, vj] = A_exp[vi, vj] / A_sum[vi]
`;
    expectFuncEqual(after, text);
  });

  it("fails naming the function and the block when an init is still there", () => {
    expect(() => Plan(IRModule.fromFunction(matmul(4), "mm"))).toThrow(PassError);
    expect(() => Plan(IRModule.fromFunction(matmul(4), "mm"))).toThrow(
      'PlanAndUpdateBufferAllocationLocation: function "mm": block "C" still has an init',
    );
  });

  it.each(WORKLOADS)("%s: outputs are unchanged", (_name, make) => {
    const before = make();
    expectSameOutputs(before, applyPass(passes, before));
  });
});
