import { describe, expect, it } from "vitest";
import { parsePrimFunc } from "../../src/tir/script/index.js";
import * as E from "../../src/ir/expr_ops.js";
import { Schedule } from "../../src/schedule/index.js";
import { expectIR, expectRejected, expectReplay, expectSameResults, mainOf } from "./cache_layout_helpers.js";

const elementwise = `
@T.prim_func
def main(A: T.Buffer((32, 16), "float32"), B: T.Buffer((32, 16), "float32")):
    for i, j in T.grid(32, 16):
        with T.block("B"):
            vi, vj = T.axis.remap("SS", [i, j])
            B[vi, vj] = A[vi, vj] * T.float32(2)
`;

// TVM's elementwise_transformed: the two iters fused into one.
const fused = `
@T.prim_func
def main(A: T.Buffer((32, 16), "float32"), B: T.Buffer((32, 16), "float32")):
    for ax0 in range(512):
        with T.block("B"):
            v0 = T.axis.spatial(512, ax0)
            B[v0 // 16, v0 % 16] = A[v0 // 16, v0 % 16] * T.float32(2)
`;

const matmul = `
@T.prim_func
def main(A: T.Buffer((16, 8), "float32"), B: T.Buffer((8, 12), "float32"), C: T.Buffer((16, 12), "float32")):
    for i, j, k in T.grid(16, 12, 8):
        with T.block("C"):
            vi, vj, vk = T.axis.remap("SSR", [i, j, k])
            with T.init():
                C[vi, vj] = T.float32(0)
            C[vi, vj] = C[vi, vj] + A[vi, vk] * B[vk, vj]
`;

// The reduction iter moved outermost and the two spatial ones fused: types follow the iters used.
const matmulKOuter = `
@T.prim_func
def main(A: T.Buffer((16, 8), "float32"), B: T.Buffer((8, 12), "float32"), C: T.Buffer((16, 12), "float32")):
    for ax0, ax1 in T.grid(8, 192):
        with T.block("C"):
            v0 = T.axis.reduce(8, ax0)
            v1 = T.axis.spatial(192, ax1)
            with T.init():
                C[v1 // 12, v1 % 12] = T.float32(0)
            C[v1 // 12, v1 % 12] = C[v1 // 12, v1 % 12] + A[v1 // 12, v0] * B[v0, v1 % 12]
`;

const swappedBinding = `
@T.prim_func
def main(A: T.Buffer((16, 16), "float32"), B: T.Buffer((16, 16), "float32")):
    for i, j in T.grid(16, 16):
        with T.block("B"):
            vi, vj = T.axis.remap("SS", [j, i])
            B[vi, vj] = A[vi, vj] * T.float32(2)
`;

const twoBlocks = `
@T.prim_func
def main(A: T.Buffer((16,), "float32"), B: T.Buffer((16,), "float32"), C: T.Buffer((16,), "float32")):
    for i in range(16):
        with T.block("B"):
            vi = T.axis.spatial(16, i)
            B[vi] = A[vi]
        with T.block("C"):
            vi = T.axis.spatial(16, i)
            C[vi] = A[vi]
`;

describe("transform_block_layout", () => {
  it("fuses the iteration space (TVM's test_transform_block_layout_basic)", () => {
    const orig = parsePrimFunc(elementwise);
    const sch = new Schedule(orig);
    const b = sch.getBlock("B");
    sch.transformBlockLayout(b, (i, j) => [E.add(E.mul(i, 16), j)]);
    expectIR(sch, fused);
    expect(sch.getLoops(b).length).toBe(1);
    expectSameResults(orig, mainOf(sch));
    expect(sch.trace.toJSONString()).toContain('["TransformBlockLayout",["b0"],["lambda i, j: (i * 16 + j,)"],[]]');
    expect(sch.trace.toTypeScript()).toContain('sch.transformBlockLayout(b0, "lambda i, j: (i * 16 + j,)");');
    expectReplay(sch, orig);
  });

  it("keeps reduction iters reductions and regenerates the loops of a matmul", () => {
    const orig = parsePrimFunc(matmul);
    const sch = new Schedule(orig);
    sch.transformBlockLayout(sch.getBlock("C"), "lambda i, j, k: (k, i * 12 + j)");
    expectIR(sch, matmulKOuter);
    expectSameResults(orig, mainOf(sch));
    expectReplay(sch, orig);
  });

  it("rejects a map that is not bijective", () => {
    const sch = new Schedule(parsePrimFunc(elementwise));
    const b = sch.getBlock("B");
    expectRejected(sch, () => sch.transformBlockLayout(b, "lambda i, j: (i + j,)"), "transform_block_layout: the index map lambda i, j: (i + j,) is not bijective affine");
  });

  it("rejects a map with the wrong number of inputs", () => {
    const sch = new Schedule(parsePrimFunc(elementwise));
    const b = sch.getBlock("B");
    expectRejected(sch, () => sch.transformBlockLayout(b, "lambda i: (i,)"), 'the index map lambda i: (i,) takes 1 indices but block "B" has 2 iter vars');
  });

  it("rejects a new iter that mixes spatial and reduction iters", () => {
    const sch = new Schedule(parsePrimFunc(matmul));
    const c = sch.getBlock("C");
    expectRejected(sch, () => sch.transformBlockLayout(c, "lambda i, j, k: (i * 8 + k, j)"), "cannot tell the type of new iter vi * 8 + vk: it mixes iters of different types");
  });

  it("rejects bindings that are not the loops in order", () => {
    const sch = new Schedule(parsePrimFunc(swappedBinding));
    const b = sch.getBlock("B");
    expectRejected(sch, () => sch.transformBlockLayout(b, "lambda i, j: (j, i)"), 'the bindings of block "B" are not its loop variables in order');
  });

  it("rejects a block that shares its loops with another block", () => {
    const sch = new Schedule(parsePrimFunc(twoBlocks));
    const b = sch.getBlock("B");
    expectRejected(sch, () => sch.transformBlockLayout(b, "lambda i: (i,)"), "loop i holds 2 blocks; the block must be the only block under its loops");
  });
});
