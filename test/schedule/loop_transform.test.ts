import { describe, expect, it } from "vitest";
import { Schedule } from "../../src/schedule/index.js";
import { expectIR, expectRejected, expectReplay, expectSameResults, mainOf, parsePrimFunc } from "./loop_test_utils.js";
import { elementwise, small, symbolic, symbolicSmall, withOpaqueBlock, withSeq } from "./loop_fixtures.js";

const loopsOf = (sch: Schedule, block = "B") => sch.getLoops(sch.getBlock(block));

describe("split", () => {
  it("splits into the given factors, keeping unit iterators in the bindings", () => {
    const sch = new Schedule(elementwise);
    const [i, j, k] = loopsOf(sch);
    const outs = sch.split(i!, [2, 1, 64]);
    sch.split(j!, [4, 32]);
    sch.split(k!, [16, 8]);
    expect(outs.map((l) => sch.get(l).loopVar.name)).toEqual(["i_0", "i_1", "i_2"]);
    expectIR(sch, `
@T.prim_func
def main(A: T.Buffer((128, 128, 128), "float32"), B: T.Buffer((128, 128, 128), "float32")):
    for i_0, i_1, i_2, j_0, j_1, k_0, k_1 in T.grid(2, 1, 64, 4, 32, 16, 8):
        with T.block("B"):
            vi = T.axis.spatial(128, i_0 * 64 + i_1 * 64 + i_2)
            vj = T.axis.spatial(128, j_0 * 32 + j_1)
            vk = T.axis.spatial(128, k_0 * 8 + k_1)
            T.reads(A[vi, vj, vk])
            T.writes(B[vi, vj, vk])
            B[vi, vj, vk] = A[vi, vj, vk] * T.float32(2.0)
`);
    expectReplay(sch, elementwise);
  });

  it("infers the one undefined factor", () => {
    const sch = new Schedule(elementwise);
    const [i, j, k] = loopsOf(sch);
    sch.split(i!, [undefined, 1, 64]);
    sch.split(j!, [2, null, 64]);
    sch.split(k!, [2, 1, undefined]);
    expectIR(sch, `
@T.prim_func
def main(A: T.Buffer((128, 128, 128), "float32"), B: T.Buffer((128, 128, 128), "float32")):
    for i_0, i_1, i_2, j_0, j_1, j_2, k_0, k_1, k_2 in T.grid(2, 1, 64, 2, 1, 64, 2, 1, 64):
        with T.block("B"):
            vi = T.axis.spatial(128, i_0 * 64 + i_1 * 64 + i_2)
            vj = T.axis.spatial(128, j_0 * 64 + j_1 * 64 + j_2)
            vk = T.axis.spatial(128, k_0 * 64 + k_1 * 64 + k_2)
            T.reads(A[vi, vj, vk])
            T.writes(B[vi, vj, vk])
            B[vi, vj, vk] = A[vi, vj, vk] * T.float32(2.0)
`);
    expect(sch.trace.toJSONString()).toContain('["Split",["l1","None",1,64],[1,0],["l4","l5","l6"]]');
    expect(sch.trace.toJSONString()).toContain('["Split",["l2",2,"None",64],[1,0],["l7","l8","l9"]]');
    expectReplay(sch, elementwise);
  });

  it("guards non-divisible splits with a predicate on every split", () => {
    const sch = new Schedule(elementwise);
    const [i, j, k] = loopsOf(sch);
    sch.split(i!, [1000, 2, 3]);
    sch.split(j!, [undefined, 129]);
    sch.split(k!, [3, undefined]);
    expectIR(sch, `
@T.prim_func
def main(A: T.Buffer((128, 128, 128), "float32"), B: T.Buffer((128, 128, 128), "float32")):
    for i_0, i_1, i_2, j_0, j_1, k_0, k_1 in T.grid(1000, 2, 3, 1, 129, 3, 43):
        with T.block("B"):
            vi = T.axis.spatial(128, i_0 * 6 + i_1 * 3 + i_2)
            vj = T.axis.spatial(128, j_0 * 129 + j_1)
            vk = T.axis.spatial(128, k_0 * 43 + k_1)
            T.where((i_0 * 2 + i_1) * 3 + i_2 < 128 and j_0 * 129 + j_1 < 128 and k_0 * 43 + k_1 < 128)
            T.reads(A[vi, vj, vk])
            T.writes(B[vi, vj, vk])
            B[vi, vj, vk] = A[vi, vj, vk] * T.float32(2.0)
`);
    expectReplay(sch, elementwise);
  });

  it("keeps results on the interpreter for a non-divisible split", () => {
    const sch = new Schedule(small);
    const [i, j] = loopsOf(sch);
    sch.split(i!, [undefined, 4]);
    sch.split(j!, [5, undefined, 2]);
    expectIR(sch, `
@T.prim_func
def main(A: T.Buffer((10, 12), "float32"), B: T.Buffer((10, 12), "float32")):
    for i_0, i_1, j_0, j_1, j_2 in T.grid(3, 4, 5, 2, 2):
        with T.block("B"):
            vi = T.axis.spatial(10, i_0 * 4 + i_1)
            vj = T.axis.spatial(12, j_0 * 4 + j_1 * 2 + j_2)
            T.where(i_0 * 4 + i_1 < 10 and (j_0 * 2 + j_1) * 2 + j_2 < 12)
            T.reads(A[vi, vj])
            T.writes(B[vi, vj])
            B[vi, vj] = A[vi, vj] * T.float32(2.0) + T.float32(1.0)
`);
    expectSameResults(small, mainOf(sch));
    expectReplay(sch, small);
  });

  it("splits a symbolic extent", () => {
    const sch = new Schedule(symbolic);
    const [, , k] = loopsOf(sch);
    sch.split(k!, [10, undefined]);
    expectIR(sch, `
@T.prim_func
def main(a: T.handle, b: T.handle, n: T.int32):
    A = T.match_buffer(a, (128, 128, n))
    B = T.match_buffer(b, (128, 128, n))
    for i, j, k_0, k_1 in T.grid(128, 128, 10, (n + 9) // 10):
        with T.block("B"):
            vi, vj = T.axis.remap("SS", [i, j])
            vk = T.axis.spatial(n, k_0 * ((n + 9) // 10) + k_1)
            T.where(k_0 * ((n + 9) // 10) + k_1 < n)
            T.reads(A[vi, vj, vk])
            T.writes(B[vi, vj, vk])
            B[vi, vj, vk] = A[vi, vj, vk] * T.float32(2.0)
`);
    expectReplay(sch, symbolic);
  });

  it("splits a symbolic extent by an inner factor and keeps results for several n", () => {
    const sch = new Schedule(symbolicSmall);
    const [, k] = loopsOf(sch);
    sch.split(k!, [undefined, 16]);
    expectIR(sch, `
@T.prim_func
def main(a: T.handle, b: T.handle, n: T.int32):
    A = T.match_buffer(a, (3, n))
    B = T.match_buffer(b, (3, n))
    for i, k_0, k_1 in T.grid(3, (n + 15) // 16, 16):
        with T.block("B"):
            vi = T.axis.spatial(3, i)
            vk = T.axis.spatial(n, k_0 * 16 + k_1)
            T.where(k_0 * 16 + k_1 < n)
            T.reads(A[vi, vk])
            T.writes(B[vi, vk])
            B[vi, vk] = A[vi, vk] + T.float32(1.0)
`);
    for (const n of [1, 16, 37]) expectSameResults(symbolicSmall, mainOf(sch), { n });
    expectReplay(sch, symbolicSmall);
  });

  it("takes sampled values (ExprRV) as factors", () => {
    const sch = new Schedule(small);
    const [, j] = loopsOf(sch);
    const f = sch.newExprRV(3);
    const [j0, j1] = sch.split(j!, [undefined, f]);
    expect([sch.get(j0!).extent, sch.get(j1!).extent].map(String)).toEqual(["4", "3"]);
    const inst = sch.trace.insts[sch.trace.insts.length - 1]!;
    expect(inst.kind.name).toBe("Split");
    expect(inst.inputs[2]).toBe(f);
    expectSameResults(small, mainOf(sch));
  });

  it("replays a split whose factors come from samplePerfectTile", () => {
    const sch = new Schedule(small);
    const [, j] = loopsOf(sch);
    const factors = sch.samplePerfectTile(j!, 2, 4);
    sch.split(j!, factors);
    expect(sch.trace.toJSONString()).toMatch(/\["Split",\["l2","v3","v4"\],\[1,0\],\["l5","l6"\]\]/);
    expectSameResults(small, mainOf(sch));
    expectReplay(sch, small);
  });

  it("drops unit iterators from the bindings with preserveUnitIters = false", () => {
    const sch = new Schedule(small);
    const [i, j] = loopsOf(sch);
    sch.split(i!, [1, 10], { preserveUnitIters: false });
    sch.split(j!, [3, 1, 4], { preserveUnitIters: false });
    expectIR(sch, `
@T.prim_func
def main(A: T.Buffer((10, 12), "float32"), B: T.Buffer((10, 12), "float32")):
    for i_0, i_1, j_0, j_1, j_2 in T.grid(1, 10, 3, 1, 4):
        with T.block("B"):
            vi = T.axis.spatial(10, i_1)
            vj = T.axis.spatial(12, j_0 * 4 + j_2)
            T.reads(A[vi, vj])
            T.writes(B[vi, vj])
            B[vi, vj] = A[vi, vj] * T.float32(2.0) + T.float32(1.0)
`);
    expect(sch.trace.toJSONString()).toContain('["Split",["l1",1,10],[0,0],["l3","l4"]]');
    expectSameResults(small, mainOf(sch));
    expectReplay(sch, small);
  });

  it("keeps a unit outer loop in the binding of a non-divisible split", () => {
    const sch = new Schedule(small);
    const [i] = loopsOf(sch);
    sch.split(i!, [undefined, 16]);
    expectIR(sch, `
@T.prim_func
def main(A: T.Buffer((10, 12), "float32"), B: T.Buffer((10, 12), "float32")):
    for i_0, i_1, j in T.grid(1, 16, 12):
        with T.block("B"):
            vi = T.axis.spatial(10, i_0 * 16 + i_1)
            vj = T.axis.spatial(12, j)
            T.where(i_0 * 16 + i_1 < 10)
            T.reads(A[vi, vj])
            T.writes(B[vi, vj])
            B[vi, vj] = A[vi, vj] * T.float32(2.0) + T.float32(1.0)
`);
    expectSameResults(small, mainOf(sch));
  });

  it("adds no predicate with disablePredication when the factors divide the extent", () => {
    const sch = new Schedule(small);
    const [, j] = loopsOf(sch);
    sch.split(j!, [undefined, 4], { disablePredication: true });
    expect(sch.trace.toJSONString()).toContain('["Split",["l2","None",4],[1,1],["l3","l4"]]');
    expect(String(mainOf(sch))).not.toContain("T.where");
    expectReplay(sch, small);
  });

  it("guards every block under a loop with several blocks", () => {
    const sch = new Schedule(withSeq);
    const [i] = loopsOf(sch);
    sch.split(i!, [3, 3]);
    expectIR(sch, `
@T.prim_func
def main(A: T.Buffer((8, 8, 8), "float32"), B: T.Buffer((8, 8, 8), "float32")):
    C = T.alloc_buffer((8, 8, 8))
    for i_0, i_1, j in T.grid(3, 3, 8):
        for k in range(8):
            with T.block("C"):
                vi = T.axis.spatial(8, i_0 * 3 + i_1)
                vj, vk = T.axis.remap("SS", [j, k])
                T.where(i_0 * 3 + i_1 < 8)
                T.reads(A[vi, vj, vk])
                T.writes(C[vi, vj, vk])
                C[vi, vj, vk] = A[vi, vj, vk] * T.float32(2.0)
        for k in range(8):
            with T.block("B"):
                vi = T.axis.spatial(8, i_0 * 3 + i_1)
                vj, vk = T.axis.remap("SS", [j, k])
                T.where(i_0 * 3 + i_1 < 8)
                T.reads(C[vi, vj, vk])
                T.writes(B[vi, vj, vk])
                B[vi, vj, vk] = C[vi, vj, vk] * T.float32(2.0)
`);
    expectSameResults(withSeq, mainOf(sch));
    expectReplay(sch, withSeq);
  });

  it("rewrites opaque blocks and the blocks inside them, keeping their srefs", () => {
    const sch = new Schedule(withOpaqueBlock);
    const opaque = sch.getBlock("opaque");
    const inner = sch.getBlock("B");
    const [i] = sch.getLoops(opaque);
    sch.split(i!, [undefined, 4]);
    expectIR(sch, `
@T.prim_func
def main(A: T.Buffer((16, 8, 8), "float32"), B: T.Buffer((16, 8, 8), "float32")):
    for i_0, i_1, j, k in T.grid(4, 4, 8, 8):
        with T.block("opaque"):
            T.reads(A[i_0 * 4 + i_1, j, k])
            T.writes(B[i_0 * 4 + i_1, j, k])
            with T.block("B"):
                vi = T.axis.spatial(16, i_0 * 4 + i_1)
                vj, vk = T.axis.remap("SS", [j, k])
                T.reads(A[vi, vj, vk])
                T.writes(B[vi, vj, vk])
                B[vi, vj, vk] = A[vi, vj, vk] * T.float32(2.0)
`);
    expect(sch.get(opaque).nameHint).toBe("opaque");
    expect(sch.get(inner).nameHint).toBe("B");
    expect(sch.getLoops(opaque).map((l) => sch.get(l).loopVar.name)).toEqual(["i_0", "i_1", "j", "k"]);
    expect(sch.getLoops(inner)).toEqual([]); // loops stop at the enclosing opaque block
    expectSameResults(withOpaqueBlock, mainOf(sch));
    expectReplay(sch, withOpaqueBlock);
  });

  it("prints its trace as TypeScript", () => {
    const sch = new Schedule(small);
    const [i, j] = loopsOf(sch);
    sch.split(i!, [undefined, 5]);
    sch.split(j!, [2, 6], { preserveUnitIters: false });
    expect(sch.trace.toTypeScript()).toContain("const [l3, l4] = sch.split(l1, [undefined, 5]);");
    expect(sch.trace.toTypeScript()).toContain("const [l5, l6] = sch.split(l2, [2, 6], { preserveUnitIters: false });");
  });
});

describe("split rejections", () => {
  const annotated = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((8, 8), "float32"), B: T.Buffer((8, 8), "float32")):
    for i in range(8):
        for j in T.serial(8, annotations={"useless_annotation": 1}):
            with T.block("B"):
                vi, vj = T.axis.remap("SS", [i, j])
                B[vi, vj] = A[vi, vj]
`);
  const threaded = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((8, 8), "float32"), B: T.Buffer((8, 8), "float32")):
    for i in range(8):
        for j in T.thread_binding(8, thread="threadIdx.x"):
            with T.block("B"):
                vi, vj = T.axis.remap("SS", [i, j])
                B[vi, vj] = A[vi, vj]
`);
  const offset = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((8, 8), "float32"), B: T.Buffer((8, 8), "float32")):
    for i in range(8):
        for j in range(2, 8):
            with T.block("B"):
                vi, vj = T.axis.remap("SS", [i, j])
                B[vi, vj] = A[vi, vj]
`);

  it("rejects two inferred factors", () => {
    const sch = new Schedule(small);
    const [i] = loopsOf(sch);
    expectRejected(sch, () => sch.split(i!, [undefined, 2, undefined]), /split: only one factor can be specified as None/);
  });
  it("rejects non-positive factors", () => {
    const sch = new Schedule(small);
    const [i, j] = loopsOf(sch);
    expectRejected(sch, () => sch.split(i!, [-2, -5]), /split: All the constant factors are required to be positive\. However, the factor at position 0 is -2/);
    expectRejected(sch, () => sch.split(j!, [0, undefined]), /the factor at position 0 is 0/);
    expectRejected(sch, () => sch.split(j!, [undefined, -4]), /the factor at position 1 is -4/);
  });
  it("rejects non-integer factors and an empty factor list", () => {
    const sch = new Schedule(small);
    const [i] = loopsOf(sch);
    expectRejected(sch, () => sch.split(i!, [2.5, undefined]), /split: the factor at position 0 is 2\.5, which is not an integer/);
    expectRejected(sch, () => sch.split(i!, []), /split: expects a non-empty list of factors/);
  });
  it("rejects factors whose product is smaller than the extent", () => {
    const sch = new Schedule(small);
    const [i] = loopsOf(sch);
    expectRejected(sch, () => sch.split(i!, [3, 3]), /split: The product of factors \(9\) is not larger than or equal to the extent of loop i \(10\)/);
  });
  it("rejects a loop with annotations or a thread binding", () => {
    let sch = new Schedule(annotated);
    let [, j] = loopsOf(sch);
    expectRejected(sch, () => sch.split(j!, [undefined, 2]), /split: The primitive can't be applied because the loop j has annotation or thread binding: it has annotations \(useless_annotation\)/);
    sch = new Schedule(threaded);
    [, j] = loopsOf(sch);
    expectRejected(sch, () => sch.split(j!, [undefined, 2]), /loop j has annotation or thread binding: it is bound to thread axis "threadIdx.x"/);
  });
  it("rejects a loop that does not start at 0", () => {
    const sch = new Schedule(offset);
    const [, j] = loopsOf(sch);
    expectRejected(sch, () => sch.split(j!, [undefined, 2]), /split: The loop j does not start with 0 \(its min is 2\), which is not supported/);
  });
  it("rejects disablePredication when the split needs a predicate", () => {
    const sch = new Schedule(small);
    const [i] = loopsOf(sch);
    const err = expectRejected(
      sch,
      () => sch.split(i!, [undefined, 4], { disablePredication: true }),
      /split: disable_predication is set, but the factors \[None, 4\] do not provably cover the extent 10 of loop i exactly \(the blocks would need the predicate i_0 \* 4 \+ i_1 < 10\)/,
    );
    expect(err.message).toContain("for i, j in T.grid(10, 12)");
  });
  it("rejects a loop RV that an earlier split replaced", () => {
    const sch = new Schedule(small);
    const [i] = loopsOf(sch);
    sch.split(i!, [2, 5]);
    expectRejected(sch, () => sch.split(i!, [2, 5]), /split: the loop was removed by an earlier primitive/);
  });
});
