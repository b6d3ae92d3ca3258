import { describe, expect, it } from "vitest";
import { IntImm } from "../../../src/ir/expr.js";
import { PrimFunc } from "../../../src/tir/function.js";
import { Allocate, For } from "../../../src/tir/stmt.js";
import { FlattenBuffer } from "../../../src/tir/transform/flatten_buffer.js";
import { LowerOpaqueBlock } from "../../../src/tir/transform/lower_opaque_block.js";
import { PassError } from "../../../src/tir/transform/pass.js";
import { applyPass, expectFunc, expectSameResults, parsePrimFunc } from "./lower_passes_utils.js";

const run = (f: PrimFunc) => applyPass(FlattenBuffer, f);

describe("FlattenBuffer", () => {
  it("flattens parameter and allocated buffers row-major; drops DeclBuffer; keeps the buffer_map", () => {
    const before = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((16, 16), "float32"), B: T.Buffer((16, 16), "float32")):
    for i in range(16):
        A_local = T.decl_buffer((2, 8), scope="local")
        for j in range(16):
            A_local[j // 8, j % 8] = A[i, j] * T.float32(2)
        for j in range(16):
            B[i, j] = A_local[j // 8, j % 8] + T.float32(1)
`);
    const after = run(before);
    expectFunc(after, `
@T.prim_func
def main(A: T.Buffer((16, 16), "float32"), B: T.Buffer((16, 16), "float32")):
    A_1 = T.Buffer((256,), data=A.data)
    B_1 = T.Buffer((256,), data=B.data)
    for i in range(16):
        A_local = T.allocate([16], "float32", "local")
        A_local_1 = T.Buffer((16,), data=A_local, scope="local")
        for j in range(16):
            A_local_1[j] = A_1[i * 16 + j] * T.float32(2)
        for j in range(16):
            B_1[i * 16 + j] = A_local_1[j] + T.float32(1)
`, true);
    expect(after.bufferMap).toBe(before.bufferMap);
    expectSameResults(before, after);
  });

  it("strides and elem_offset: index is elem_offset + sum(i_k * stride_k); the allocation covers the strides", () => {
    const before = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((4, 4), "float32"), B: T.Buffer((4, 4), "float32")):
    S = T.allocate([4, 5], "float32", "global")
    S_1 = T.decl_buffer((4, 4), data=S, strides=(5, 1))
    W = T.allocate([24], "float32", "global")
    W_1 = T.decl_buffer((4, 4), data=W, strides=(1, 4), elem_offset=3)
    for i, j in T.grid(4, 4):
        S_1[i, j] = A[i, j]
    for i, j in T.grid(4, 4):
        W_1[i, j] = S_1[j, i]
    for i, j in T.grid(4, 4):
        B[i, j] = W_1[i, j] + W_1[j, i]
`);
    const after = run(before);
    expectFunc(after, `
@T.prim_func
def main(A: T.Buffer((4, 4), "float32"), B: T.Buffer((4, 4), "float32")):
    A_1 = T.Buffer((16,), data=A.data)
    B_1 = T.Buffer((16,), data=B.data)
    S = T.allocate([20], "float32", "global")
    S_1 = T.Buffer((20,), data=S)
    W = T.allocate([24], "float32", "global")
    W_1 = T.Buffer((19,), data=W)
    for i, j in T.grid(4, 4):
        S_1[i * 5 + j] = A_1[i * 4 + j]
    for i, j in T.grid(4, 4):
        W_1[j * 4 + i + 3] = S_1[j * 5 + i]
    for i, j in T.grid(4, 4):
        B_1[i * 4 + j] = W_1[j * 4 + i + 3] + W_1[i * 4 + j + 3]
`, true);
    expectSameResults(before, after);
  });

  it("after LowerOpaqueBlock: a split, cached, guarded loop nest runs the same", () => {
    const opaque = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((3, 10), "float32"), B: T.Buffer((3, 10), "float32")):
    for i in range(3):
        for j_0 in range(3):
            with T.block("outer"):
                T.reads(A[i, j_0 * 4:j_0 * 4 + 4])
                T.writes(B[i, j_0 * 4:j_0 * 4 + 4])
                C = T.alloc_buffer((1, 4), scope="local")
                for j_1 in range(4):
                    with T.block("C"):
                        T.where(j_0 * 4 + j_1 < 10)
                        T.reads(A[i, j_0 * 4 + j_1])
                        T.writes(C[0, j_1])
                        C[0, j_1] = A[i, j_0 * 4 + j_1] * T.float32(3)
                for j_1 in range(4):
                    with T.block("B"):
                        T.where(j_0 * 4 + j_1 < 10)
                        T.reads(C[0, j_1])
                        T.writes(B[i, j_0 * 4 + j_1])
                        B[i, j_0 * 4 + j_1] = C[0, j_1]
`);
    const lowered = applyPass(LowerOpaqueBlock, opaque);
    const after = run(lowered);
    expectFunc(after, `
@T.prim_func
def main(A: T.Buffer((3, 10), "float32"), B: T.Buffer((3, 10), "float32")):
    A_1 = T.Buffer((30,), data=A.data)
    B_1 = T.Buffer((30,), data=B.data)
    for i, j_0 in T.grid(3, 3):
        C = T.allocate([4], "float32", "local")
        C_1 = T.Buffer((4,), data=C, scope="local")
        for j_1 in range(4):
            if j_0 * 4 + j_1 < 10:
                C_1[j_1] = A_1[i * 10 + j_0 * 4 + j_1] * T.float32(3)
        for j_1 in range(4):
            if j_0 * 4 + j_1 < 10:
                B_1[i * 10 + j_0 * 4 + j_1] = C_1[j_1]
`, true);
    expectSameResults(opaque, after);
  });

  it("an Allocate without a matching DeclBuffer allocates the product of its extents", () => {
    const before = parsePrimFunc(`
@T.prim_func
def main(B: T.Buffer((6,), "int32")):
    X = T.allocate([2, 3], "int32", "global")
    X_1 = T.Buffer((2, 3), "int32", data=X)
    for i, j in T.grid(2, 3):
        X_1[i, j] = i * 10 + j
    for k in range(6):
        B[k] = X_1[k // 3, k % 3]
`);
    const after = run(before);
    const alloc = after.body as Allocate;
    expect(alloc.extents.map((e) => (e as IntImm).value)).toEqual([6]);
    expectSameResults(before, after);
  });

  it("returns the same function when everything is flat already", () => {
    const f = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((16,), "float32")):
    for i in range(16):
        A[i] = A[i] + T.float32(1)
`);
    expect(run(f)).toBe(f);
  });

  it("rejects axis_separators, naming the function and the buffer", () => {
    const f = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((4, 4), "float32", axis_separators=[1])):
    for i, j in T.grid(4, 4):
        A[i, j] = T.float32(0)
`);
    expect(() => run(f)).toThrow(PassError);
    expect(() => run(f)).toThrow(/^FlattenBuffer: function "main": buffer A has axis_separators \[1\]; expected none/);
  });

  it("vector accesses flatten with Ramp indices", () => {
    const before = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((4, 8), "float32"), B: T.Buffer((4, 8), "float32")):
    for i in range(4):
        B[i, T.Ramp(0, 1, 8)] = A[i, T.Ramp(0, 1, 8)]
`);
    const after = run(before);
    expect(((after.body as For).body).kind).toBe("BufferStore");
    expectSameResults(before, after);
  });
});
