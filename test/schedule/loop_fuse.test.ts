import { describe, expect, it } from "vitest";
import { Schedule } from "../../src/schedule/index.js";
import { For } from "../../src/tir/stmt.js";
import { expectIR, expectRejected, expectReplay, expectSameResults, mainOf, parsePrimFunc } from "./loop_test_utils.js";
import { elementwise, small, symbolic, withOpaqueBlock, withSeq } from "./loop_fixtures.js";

const loopsOf = (sch: Schedule, block = "B") => sch.getLoops(sch.getBlock(block));

const fusedExpected = `
@T.prim_func
def main(A: T.Buffer((128, 128, 128), "float32"), B: T.Buffer((128, 128, 128), "float32")):
    for i_j_k_fused in range(2097152):
        with T.block("B"):
            vi = T.axis.spatial(128, i_j_k_fused // 16384)
            vj = T.axis.spatial(128, i_j_k_fused % 16384 // 128)
            vk = T.axis.spatial(128, i_j_k_fused % 128)
            T.reads(A[vi, vj, vk])
            T.writes(B[vi, vj, vk])
            B[vi, vj, vk] = A[vi, vj, vk] * T.float32(2.0)
`;

describe("fuse", () => {
  it("fuses three loops", () => {
    const sch = new Schedule(elementwise);
    const [i, j, k] = loopsOf(sch);
    const f = sch.fuse(i!, j!, k!);
    expect(sch.get(f).loopVar.name).toBe("i_j_k_fused");
    expectIR(sch, fusedExpected);
    expect(sch.trace.toJSONString()).toContain('["Fuse",["l1","l2","l3"],[1],["l4"]]');
    expectReplay(sch, elementwise);
  });

  it("fuses the loops above several blocks and keeps results", () => {
    const sch = new Schedule(withSeq);
    const [i, j] = loopsOf(sch);
    sch.fuse(i!, j!);
    expectIR(sch, `
@T.prim_func
def main(A: T.Buffer((8, 8, 8), "float32"), B: T.Buffer((8, 8, 8), "float32")):
    C = T.alloc_buffer((8, 8, 8))
    for i_j_fused in range(64):
        for k in range(8):
            with T.block("C"):
                vi = T.axis.spatial(8, i_j_fused // 8)
                vj = T.axis.spatial(8, i_j_fused % 8)
                vk = T.axis.spatial(8, k)
                T.reads(A[vi, vj, vk])
                T.writes(C[vi, vj, vk])
                C[vi, vj, vk] = A[vi, vj, vk] * T.float32(2.0)
        for k in range(8):
            with T.block("B"):
                vi = T.axis.spatial(8, i_j_fused // 8)
                vj = T.axis.spatial(8, i_j_fused % 8)
                vk = T.axis.spatial(8, k)
                T.reads(C[vi, vj, vk])
                T.writes(B[vi, vj, vk])
                B[vi, vj, vk] = C[vi, vj, vk] * T.float32(2.0)
`);
    expectSameResults(withSeq, mainOf(sch));
    expectReplay(sch, withSeq);
  });

  it("fuses symbolic extents", () => {
    const sch = new Schedule(symbolic);
    const [i, j, k] = loopsOf(sch);
    sch.fuse(i!, j!, k!);
    expectIR(sch, `
@T.prim_func
def main(a: T.handle, b: T.handle, n: T.int32):
    A = T.match_buffer(a, (128, 128, n))
    B = T.match_buffer(b, (128, 128, n))
    for i_j_k_fused in range(n * 16384):
        with T.block("B"):
            vi = T.axis.spatial(128, i_j_k_fused // (n * 128))
            vj = T.axis.spatial(128, i_j_k_fused % (n * 128) // n)
            vk = T.axis.spatial(n, i_j_k_fused % n)
            T.reads(A[vi, vj, vk])
            T.writes(B[vi, vj, vk])
            B[vi, vj, vk] = A[vi, vj, vk] * T.float32(2.0)
`);
    expectReplay(sch, symbolic);
  });

  it("fuses loops around an opaque block", () => {
    const sch = new Schedule(withOpaqueBlock);
    const [i, j, k] = sch.getLoops(sch.getBlock("opaque"));
    sch.fuse(i!, j!, k!);
    expectIR(sch, `
@T.prim_func
def main(A: T.Buffer((16, 8, 8), "float32"), B: T.Buffer((16, 8, 8), "float32")):
    for i_j_k_fused in range(1024):
        with T.block("opaque"):
            T.reads(A[i_j_k_fused // 64, i_j_k_fused % 64 // 8, i_j_k_fused % 8])
            T.writes(B[i_j_k_fused // 64, i_j_k_fused % 64 // 8, i_j_k_fused % 8])
            with T.block("B"):
                vi = T.axis.spatial(16, i_j_k_fused // 64)
                vj = T.axis.spatial(8, i_j_k_fused % 64 // 8)
                vk = T.axis.spatial(8, i_j_k_fused % 8)
                T.reads(A[vi, vj, vk])
                T.writes(B[vi, vj, vk])
                B[vi, vj, vk] = A[vi, vj, vk] * T.float32(2.0)
`);
    expectSameResults(withOpaqueBlock, mainOf(sch));
    expectReplay(sch, withOpaqueBlock);
  });

  it("fuses split loops back, with and without unit iterators", () => {
    const sch = new Schedule(small);
    const [i, j] = loopsOf(sch);
    const [i0, i1] = sch.split(i!, [1, 10]);
    const f = sch.fuse(i0!, i1!);
    expect(sch.get(f).extent.toString()).toBe("10");
    const [j0, j1, j2] = sch.split(j!, [2, 3, 2]);
    sch.fuse(j1!, j2!, { preserveUnitIters: false });
    expectIR(sch, `
@T.prim_func
def main(A: T.Buffer((10, 12), "float32"), B: T.Buffer((10, 12), "float32")):
    for i_0_i_1_fused, j_0, j_1_j_2_fused in T.grid(10, 2, 6):
        with T.block("B"):
            vi = T.axis.spatial(10, i_0_i_1_fused)
            vj = T.axis.spatial(12, j_0 * 6 + j_1_j_2_fused)
            T.reads(A[vi, vj])
            T.writes(B[vi, vj])
            B[vi, vj] = A[vi, vj] * T.float32(2.0) + T.float32(1.0)
`);
    expect(sch.trace.toJSONString()).toContain('["Fuse",["l7","l8"],[0],["l9"]]');
    expect(sch.get(j0!).loopVar.name).toBe("j_0");
    expectSameResults(small, mainOf(sch));
    expectReplay(sch, small);
  });

  it("renames a single fused loop", () => {
    const sch = new Schedule(small);
    const [i] = loopsOf(sch);
    const f = sch.fuse(i!);
    expect(sch.get(f).loopVar.name).toBe("i_fused");
    expect(sch.get(f)).toBeInstanceOf(For);
    expectReplay(sch, small);
  });
});

describe("fuse rejections", () => {
  const dependent = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((8, 8), "float32"), B: T.Buffer((8, 8), "float32")):
    for i in range(8):
        for j in range(i):
            with T.block("B"):
                vi = T.axis.spatial(8, i)
                vj = T.axis.spatial(8, j)
                B[vi, vj] = A[vi, vj]
`);
  it("rejects loops that are not directly nested", () => {
    const sch = new Schedule(elementwise);
    const [i, , k] = loopsOf(sch);
    const err = expectRejected(sch, () => sch.fuse(i!, k!), /fuse: The loops can't be fused because the outer loop i is not the parent of the inner loop k/);
    expect(err.message).toContain("^");
  });
  it("rejects an inner loop that is not the only child", () => {
    const sch = new Schedule(withSeq);
    const [, j, k] = loopsOf(sch);
    expectRejected(sch, () => sch.fuse(j!, k!), /fuse: The loops can't be fused because the inner loop k is not the only child of outer loop j/);
  });
  it("rejects loops given inner first", () => {
    const sch = new Schedule(elementwise);
    const [i, j] = loopsOf(sch);
    expectRejected(sch, () => sch.fuse(j!, i!), /fuse: The loops can't be fused because the outer loop j is not the parent of the inner loop i/);
  });
  it("rejects a loop whose extent depends on an outer fused loop", () => {
    const sch = new Schedule(dependent);
    const [i, j] = loopsOf(sch);
    expectRejected(sch, () => sch.fuse(i!, j!), /fuse: A loop j's `extent` \(i\) is dependent on another loop i/);
  });
  it("rejects no loops and repeated loops", () => {
    const sch = new Schedule(elementwise);
    const [i] = loopsOf(sch);
    expectRejected(sch, () => sch.fuse(), /fuse: expects at least one loop/);
    expectRejected(sch, () => sch.fuse(i!, i!), /fuse: loop i is given more than once/);
  });
});
