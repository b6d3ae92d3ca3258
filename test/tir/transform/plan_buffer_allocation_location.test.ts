import { describe, expect, it } from "vitest";
import { IRModule } from "../../../src/ir/module.js";
import { parsePrimFunc } from "../../../src/tir/script/index.js";
import { PassError } from "../../../src/tir/transform/pass.js";
import { LowerInitBlock } from "../../../src/tir/transform/lower_init_block.js";
import { PlanAndUpdateBufferAllocationLocation } from "../../../src/tir/transform/plan_buffer_allocation_location.js";
import { Schedule } from "../../../src/schedule/index.js";
import { createPrimFunc, placeholder, topi } from "../../../src/te/index.js";
import type { PrimFunc } from "../../../src/tir/function.js";
import { lower } from "../../../src/tir/pipeline.js";
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

  describe("loop-carried buffers stay outside the reduction loops of the blocks writing them", () => {
    it("TE argmax: the value accumulator, used only by the reduction block, stays above k1", () => {
      const x = placeholder([6, 7], "int32", "x");
      const f = createPrimFunc([x, topi.argmax(x, 1)]);
      expectFuncEqual(
        applyPass(passes, f),
        `
@T.prim_func
def main(x: T.Buffer((6, 7), "int32"), x_red: T.Buffer((6,), "int64")):
    T.func_attr({"tir.noalias": True})
    x_red_temp_v0 = T.alloc_buffer((6,), "int64")
    for ax0 in range(6):
        with T.block(""):
            T.reads(x[ax0, 0:7])
            T.writes(x_red_temp_v0[ax0])
            x_red_temp_v1 = T.alloc_buffer((6,), "int32")
            for k1 in range(7):
                with T.block("x_red_temp"):
                    v_ax0, v_k1 = T.axis.remap("SR", [ax0, k1])
                    T.reads(x[v_ax0, v_k1])
                    T.writes(x_red_temp_v0[v_ax0], x_red_temp_v1[v_ax0])
                    if v_k1 == 0:
                        x_red_temp_v0[v_ax0] = T.int64(-1)
                        x_red_temp_v1[v_ax0] = -2147483648
                    v_x_red_temp_v0: T.int64 = T.Select(x_red_temp_v0[v_ax0] >= T.int64(0) and (T.Cast("int64", v_k1) < T.int64(0) or (x_red_temp_v1[v_ax0] > x[v_ax0, v_k1] or x_red_temp_v1[v_ax0] == x[v_ax0, v_k1] and x_red_temp_v0[v_ax0] < T.Cast("int64", v_k1))), x_red_temp_v0[v_ax0], T.Cast("int64", v_k1))
                    v_x_red_temp_v1: T.int32 = T.Select(x_red_temp_v0[v_ax0] >= T.int64(0) and (T.Cast("int64", v_k1) < T.int64(0) or (x_red_temp_v1[v_ax0] > x[v_ax0, v_k1] or x_red_temp_v1[v_ax0] == x[v_ax0, v_k1] and x_red_temp_v0[v_ax0] < T.Cast("int64", v_k1))), x_red_temp_v1[v_ax0], x[v_ax0, v_k1])
                    x_red_temp_v0[v_ax0] = v_x_red_temp_v0
                    x_red_temp_v1[v_ax0] = v_x_red_temp_v1
    for ax0 in range(6):
        with T.block("x_red"):
            v_ax0 = T.axis.spatial(6, ax0)
            T.reads(x_red_temp_v0[v_ax0])
            T.writes(x_red[v_ax0])
            x_red[v_ax0] = x_red_temp_v0[v_ax0]
`,
      );
      // the fully lowered function (1-element accumulator, an Allocate) runs like the original
      expectSameOutputs(f, lower(f).get("main") as PrimFunc);
    });

    it("sum with a cache_write'd accumulator: allocated under the row loop, above k1", () => {
      const y = placeholder([4, 9], "float32", "y");
      const sch = new Schedule(createPrimFunc([y, topi.sum(y, 1)]));
      const red = sch.getBlock("y_red");
      const [row] = sch.getLoops(red);
      sch.reverseComputeAt(sch.cacheWrite(red, 0, "local"), row!);
      const f = sch.mod.get("main") as PrimFunc;
      expectFuncEqual(
        applyPass(passes, f),
        `
@T.prim_func
def main(y: T.Buffer((4, 9), "float32"), y_red: T.Buffer((4,), "float32")):
    T.func_attr({"tir.noalias": True})
    for ax0 in range(4):
        with T.block(""):
            T.reads(y[ax0, 0:9])
            T.writes(y_red[ax0])
            y_red_local = T.alloc_buffer((4,), scope="local")
            for k1 in range(9):
                with T.block("y_red"):
                    v_ax0, v_k1 = T.axis.remap("SR", [ax0, k1])
                    T.reads(y[v_ax0, v_k1])
                    T.writes(y_red_local[v_ax0])
                    if v_k1 == 0:
                        y_red_local[v_ax0] = T.float32(0.0)
                    y_red_local[v_ax0] = y_red_local[v_ax0] + y[v_ax0, v_k1]
            with T.block("y_red_local"):
                v0 = T.axis.spatial(4, ax0)
                T.reads(y_red_local[v0])
                T.writes(y_red[v0])
                y_red[v0] = y_red_local[v0]
`,
      );
      expectSameOutputs(f, lower(f).get("main") as PrimFunc);
    });

    it("split reduction: a written buffer goes above the outer k0, a read-only tile stays under it", () => {
      const before = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((4, 16), "float32"), B: T.Buffer((4,), "float32")):
    A_tile = T.alloc_buffer((4, 16))
    M = T.alloc_buffer((4,))
    for i, k0 in T.grid(4, 4):
        for k1 in range(4):
            with T.block("A_tile"):
                vi = T.axis.spatial(4, i)
                vk = T.axis.spatial(16, k0 * 4 + k1)
                A_tile[vi, vk] = A[vi, vk]
        for k1 in range(4):
            with T.block("B"):
                vi = T.axis.spatial(4, i)
                vk = T.axis.reduce(16, k0 * 4 + k1)
                T.reads(A_tile[vi, vk], M[vi])
                T.writes(B[vi], M[vi])
                if vk == 0:
                    B[vi] = T.float32(0)
                    M[vi] = T.float32(0)
                B[vi] = B[vi] + A_tile[vi, vk] * M[vi]
                M[vi] = M[vi] + T.float32(1)
`);
      const after = applyPass(Plan, before);
      expectFuncEqual(
        after,
        `
@T.prim_func
def main(A: T.Buffer((4, 16), "float32"), B: T.Buffer((4,), "float32")):
    for i in range(4):
        with T.block(""):
            T.reads(A[i, 0:16])
            T.writes(B[i])
            M = T.alloc_buffer((4,))
            for k0 in range(4):
                with T.block(""):
                    T.reads(A[i, k0 * 4:k0 * 4 + 4], M[i])
                    T.writes(B[i], M[i])
                    A_tile = T.alloc_buffer((4, 16))
                    for k1 in range(4):
                        with T.block("A_tile"):
                            vi = T.axis.spatial(4, i)
                            vk = T.axis.spatial(16, k0 * 4 + k1)
                            T.reads(A[vi, vk])
                            T.writes(A_tile[vi, vk])
                            A_tile[vi, vk] = A[vi, vk]
                    for k1 in range(4):
                        with T.block("B"):
                            vi = T.axis.spatial(4, i)
                            vk = T.axis.reduce(16, k0 * 4 + k1)
                            T.reads(A_tile[vi, vk], M[vi])
                            T.writes(B[vi], M[vi])
                            if vk == 0:
                                B[vi] = T.float32(0.0)
                                M[vi] = T.float32(0.0)
                            B[vi] = B[vi] + A_tile[vi, vk] * M[vi]
                            M[vi] = M[vi] + T.float32(1.0)
`,
      );
      expectSameOutputs(before, after);
      expectSameOutputs(before, lower(before).get("main") as PrimFunc);
    });
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
