import { describe, expect, it } from "vitest";
import { parsePrimFunc } from "../../src/tir/script/index.js";
import { Schedule } from "../../src/schedule/index.js";
import { allocNames, expectIR, expectRejected, expectReplay, expectSameResults, mainOf } from "./cache_layout_helpers.js";

const transpose = `
@T.prim_func
def main(A: T.Buffer((32, 16), "float32"), B: T.Buffer((16, 32), "float32")):
    for i, j in T.grid(16, 32):
        with T.block("B"):
            vi, vj = T.axis.remap("SS", [i, j])
            B[vi, vj] = A[vj, vi] * T.float32(2)
`;

// TVM's transpose_elementwise_reindex_read: the block reads A_reindex at its own iters.
const transposeReindexRead = `
@T.prim_func
def main(A: T.Buffer((32, 16), "float32"), B: T.Buffer((16, 32), "float32")):
    A_reindex = T.alloc_buffer((16, 32))
    for ax0, ax1 in T.grid(16, 32):
        with T.block("A_reindex_reindex"):
            v0, v1 = T.axis.remap("SS", [ax0, ax1])
            A_reindex[v0, v1] = A[v1, v0]
    for i, j in T.grid(16, 32):
        with T.block("B"):
            vi, vj = T.axis.remap("SS", [i, j])
            B[vi, vj] = A_reindex[vi, vj] * T.float32(2)
`;

const matmulNT = `
@T.prim_func
def main(A: T.Buffer((32, 16), "float32"), B: T.Buffer((24, 16), "float32"), C: T.Buffer((32, 24), "float32")):
    for i0, i1, i2 in T.grid(32, 24, 16):
        with T.block("matmul"):
            i, j, k = T.axis.remap("SSR", [i0, i1, i2])
            with T.init():
                C[i, j] = T.float32(0)
            C[i, j] = C[i, j] + A[i, k] * B[j, k]
`;

// The reduction writes C_reindex over (i, j); the copy back drops the unused reduction iter.
const matmulReindexWrite = `
@T.prim_func
def main(A: T.Buffer((32, 16), "float32"), B: T.Buffer((24, 16), "float32"), C: T.Buffer((32, 24), "float32")):
    C_reindex = T.alloc_buffer((32, 24))
    for i0, i1, i2 in T.grid(32, 24, 16):
        with T.block("matmul"):
            i, j, k = T.axis.remap("SSR", [i0, i1, i2])
            T.reads(A[i, k], B[j, k])
            T.writes(C_reindex[i, j])
            with T.init():
                C_reindex[i, j] = T.float32(0)
            C_reindex[i, j] = C_reindex[i, j] + A[i, k] * B[j, k]
    for ax0, ax1 in T.grid(32, 24):
        with T.block("C_reindex"):
            v0, v1 = T.axis.remap("SS", [ax0, ax1])
            C[v0, v1] = C_reindex[v0, v1]
`;

// B is read as B[j, k]; reindexing gives B_reindex[j, k] with the copy over the block's j and k.
const matmulReindexReadB = `
@T.prim_func
def main(A: T.Buffer((32, 16), "float32"), B: T.Buffer((24, 16), "float32"), C: T.Buffer((32, 24), "float32")):
    B_reindex = T.alloc_buffer((24, 16))
    for ax0, ax1 in T.grid(24, 16):
        with T.block("B_reindex_reindex"):
            v0, v1 = T.axis.remap("SS", [ax0, ax1])
            B_reindex[v0, v1] = B[v0, v1]
    for i0, i1, i2 in T.grid(32, 24, 16):
        with T.block("matmul"):
            i, j, k = T.axis.remap("SSR", [i0, i1, i2])
            T.reads(A[i, k], B_reindex[j, k])
            T.writes(C[i, j])
            with T.init():
                C[i, j] = T.float32(0)
            C[i, j] = C[i, j] + A[i, k] * B_reindex[j, k]
`;

// A 1-D buffer read at i + j: the reindex buffer is 2-D, one dimension per iter.
const sliding = `
@T.prim_func
def main(A: T.Buffer((12,), "float32"), B: T.Buffer((8, 5), "float32")):
    for i, j in T.grid(8, 5):
        with T.block("B"):
            vi, vj = T.axis.remap("SS", [i, j])
            B[vi, vj] = A[vi + vj]
`;

const slidingReindex = `
@T.prim_func
def main(A: T.Buffer((12,), "float32"), B: T.Buffer((8, 5), "float32")):
    A_reindex = T.alloc_buffer((8, 5))
    for ax0, ax1 in T.grid(8, 5):
        with T.block("A_reindex_reindex"):
            v0, v1 = T.axis.remap("SS", [ax0, ax1])
            A_reindex[v0, v1] = A[v0 + v1]
    for i, j in T.grid(8, 5):
        with T.block("B"):
            vi, vj = T.axis.remap("SS", [i, j])
            B[vi, vj] = A_reindex[vi, vj]
`;

const twoPatterns = `
@T.prim_func
def main(A: T.Buffer((16, 16), "float32"), B: T.Buffer((16, 16), "float32")):
    for i, j in T.grid(16, 16):
        with T.block("B"):
            vi, vj = T.axis.remap("SS", [i, j])
            B[vi, vj] = A[vi, vj] + A[vj, vi]
`;

const nested = `
@T.prim_func
def main(A: T.Buffer((16,), "float32"), B: T.Buffer((16,), "float32")):
    for i in range(4):
        with T.block("outer"):
            vo = T.axis.spatial(4, i)
            for j in range(4):
                with T.block("inner"):
                    vj = T.axis.spatial(16, vo * 4 + j)
                    B[vj] = A[vj]
`;

const war = `
@T.prim_func
def main(A: T.Buffer((16,), "float32"), X: T.Buffer((16,), "float32"), Y: T.Buffer((16,), "float32")):
    for i in range(16):
        with T.block("R"):
            vi = T.axis.spatial(16, i)
            Y[vi] = A[vi]
    for i in range(16):
        with T.block("W"):
            vi = T.axis.spatial(16, i)
            A[vi] = X[vi]
`;

const loopless = `
@T.prim_func
def main(A: T.Buffer((4,), "float32"), B: T.Buffer((4,), "float32")):
    with T.block("B"):
        vi = T.axis.spatial(4, 2)
        B[vi] = A[vi]
`;

describe("reindex", () => {
  it("reindexes a transposed read (TVM's transpose_elementwise_reindex_read)", () => {
    const orig = parsePrimFunc(transpose);
    const sch = new Schedule(orig);
    const b = sch.getBlock("B");
    const r = sch.reindex(b, ["read", 0]);
    expectIR(sch, transposeReindexRead);
    expect(sch.get(r).nameHint).toBe("A_reindex_reindex");
    expect(allocNames(sch)).toEqual(["A_reindex:global"]);
    expectSameResults(orig, mainOf(sch));
    expect(sch.trace.toJSONString()).toBe('[[["GetBlock",[],["B","main"],["b0"]],["ReIndex",["b0"],[0,0],["b1"]]],[]]');
    expect(sch.trace.toTypeScript()).toContain('const b1 = sch.reindex(b0, ["read", 0]);');
    expectReplay(sch, orig);
  });

  it("reindexes the output of a reduction, dropping the iter its indices do not use", () => {
    const orig = parsePrimFunc(matmulNT);
    const sch = new Schedule(orig);
    const r = sch.reindex(sch.getBlock("matmul"), ["write", 0]);
    expectIR(sch, matmulReindexWrite);
    expect(sch.get(r).nameHint).toBe("C_reindex");
    expectSameResults(orig, mainOf(sch));
    expect(sch.trace.toJSONString()).toContain('["ReIndex",["b0"],[0,1],["b1"]]');
    expectReplay(sch, orig);
  });

  it("accepts a buffer name and keeps the iter order of the block", () => {
    const orig = parsePrimFunc(matmulNT);
    const sch = new Schedule(orig);
    sch.reindex(sch.getBlock("matmul"), "B");
    expectIR(sch, matmulReindexReadB);
    expect(sch.trace.toJSONString()).toContain('["ReIndex",["b0"],[1,0],["b1"]]');
    expectSameResults(orig, mainOf(sch));
  });

  it("gives an index that combines iters one dimension per iter", () => {
    const orig = parsePrimFunc(sliding);
    const sch = new Schedule(orig);
    sch.reindex(sch.getBlock("B"), ["read", 0]);
    expectIR(sch, slidingReindex);
    expectSameResults(orig, mainOf(sch));
    expectReplay(sch, orig);
  });

  it("rejects a buffer accessed at two different index patterns", () => {
    const sch = new Schedule(parsePrimFunc(twoPatterns));
    const b = sch.getBlock("B");
    expectRejected(sch, () => sch.reindex(b, ["read", 0]), 'reindex: cannot reindex buffer A of block "B": it is accessed at different indices');
  });

  it("rejects a block that contains other blocks", () => {
    const sch = new Schedule(parsePrimFunc(nested));
    const b = sch.getBlock("outer");
    expectRejected(sch, () => sch.reindex(b, ["read", 0]), 'cannot reindex buffer A of block "outer": it is not a leaf block');
  });

  it("rejects a scope that is not a stage pipeline (a buffer written after it is read)", () => {
    const sch = new Schedule(parsePrimFunc(war));
    const r = sch.getBlock("R");
    expectRejected(sch, () => sch.reindex(r, ["read", 0]), 'reindex: the scope block "root" is not a stage pipeline');
  });

  it("rejects a block with no loops around it", () => {
    const sch = new Schedule(parsePrimFunc(loopless));
    const b = sch.getBlock("B");
    expectRejected(sch, () => sch.reindex(b, ["read", 0]), 'reindex: block "B" has no loops around it');
  });

  it("rejects an out-of-range index, naming the buffers", () => {
    const sch = new Schedule(parsePrimFunc(transpose));
    const b = sch.getBlock("B");
    expectRejected(sch, () => sch.reindex(b, ["write", 1]), 'reindex: block "B" has 1 write region(s), so the buffer index must be in [0, 1), got 1 (its write buffers: 0: B)');
  });
});
