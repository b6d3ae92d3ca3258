import { describe, expect, it } from "vitest";
import { Schedule } from "../../src/schedule/index.js";
import { expectIR, expectRejected, expectReplay, expectSameResults, mainOf, parsePrimFunc } from "./loop_test_utils.js";

// Functions of TVM's test_tir_schedule_reorder.py (with T.block for T.sblock).
const elementwise = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((128, 128, 128, 128), "float32"), B: T.Buffer((128, 128, 128, 128), "float32")):
    for i, j, k, l in T.grid(128, 128, 128, 128):
        with T.block("B"):
            vi, vj, vk, vl = T.axis.remap("SSSS", [i, j, k, l])
            B[vi, vj, vk, vl] = A[vi, vj, vk, vl] * T.float32(2.0)
`);

const elementwiseReordered = (order: string) => `
@T.prim_func
def main(A: T.Buffer((128, 128, 128, 128), "float32"), B: T.Buffer((128, 128, 128, 128), "float32")):
    for ${order} in T.grid(128, 128, 128, 128):
        with T.block("B"):
            vi, vj, vk, vl = T.axis.remap("SSSS", [i, j, k, l])
            T.reads(A[vi, vj, vk, vl])
            T.writes(B[vi, vj, vk, vl])
            B[vi, vj, vk, vl] = A[vi, vj, vk, vl] * T.float32(2.0)
`;

const matmul = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((16, 16), "float32"), B: T.Buffer((16, 16), "float32"), C: T.Buffer((16, 16), "float32")):
    for i, j, k in T.grid(16, 16, 16):
        with T.block("C"):
            vi, vj, vk = T.axis.remap("SSR", [i, j, k])
            T.reads(C[vi, vj], A[vi, vk], B[vk, vj])
            T.writes(C[vi, vj])
            with T.init():
                C[vi, vj] = T.float32(0)
            C[vi, vj] = C[vi, vj] + A[vi, vk] * B[vk, vj]
`);

const withSeq = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((8, 8, 8), "float32"), B: T.Buffer((8, 8, 8), "float32")):
    C = T.alloc_buffer((8, 8, 8))
    for i, j in T.grid(8, 8):
        for k in range(8):
            with T.block("C"):
                vi, vj, vk = T.axis.remap("SSS", [i, j, k])
                C[vi, vj, vk] = A[vi, vj, vk] * T.float32(2.0)
        for k in range(8):
            with T.block("B"):
                vi, vj, vk = T.axis.remap("SSS", [i, j, k])
                B[vi, vj, vk] = C[vi, vj, vk] * T.float32(2.0)
`);

const loopsOf = (sch: Schedule, block = "B") => sch.getLoops(sch.getBlock(block));

describe("reorder", () => {
  it("swaps the outermost and innermost loops", () => {
    const sch = new Schedule(elementwise);
    const [i, , , l] = loopsOf(sch);
    sch.reorder(l!, i!);
    expectIR(sch, elementwiseReordered("l, j, k, i"));
    expect(sch.trace.toJSONString()).toContain('["Reorder",["l4","l1"],[],[]]');
    expectReplay(sch, elementwise);
  });

  it("permutes three loops of a chain, leaving the others in place", () => {
    const sch = new Schedule(elementwise);
    const [i, , k, l] = loopsOf(sch);
    sch.reorder(k!, i!, l!);
    expectIR(sch, elementwiseReordered("k, j, i, l"));
    expect(loopsOf(sch).map((x) => sch.get(x).loopVar.name)).toEqual(["k", "j", "i", "l"]);
    expectReplay(sch, elementwise);
  });

  it("gives the classic 2-level tiling of a matmul (i_0, j_0, k, i_1, j_1)", () => {
    const sch = new Schedule(matmul);
    const [i, j, k] = loopsOf(sch, "C");
    const [i0, i1] = sch.split(i!, [undefined, 4]);
    const [j0, j1] = sch.split(j!, [undefined, 8]);
    sch.reorder(i0!, j0!, k!, i1!, j1!);
    expectIR(sch, `
@T.prim_func
def main(A: T.Buffer((16, 16), "float32"), B: T.Buffer((16, 16), "float32"), C: T.Buffer((16, 16), "float32")):
    for i_0, j_0, k, i_1, j_1 in T.grid(4, 2, 16, 4, 8):
        with T.block("C"):
            vi = T.axis.spatial(16, i_0 * 4 + i_1)
            vj = T.axis.spatial(16, j_0 * 8 + j_1)
            vk = T.axis.reduce(16, k)
            T.reads(C[vi, vj], A[vi, vk], B[vk, vj])
            T.writes(C[vi, vj])
            with T.init():
                C[vi, vj] = T.float32(0)
            C[vi, vj] = C[vi, vj] + A[vi, vk] * B[vk, vj]
`);
    expectSameResults(matmul, mainOf(sch));
    expectReplay(sch, matmul);
  });

  it("reorders the tiles of i and j (i_0, j_0, i_1, j_1) with a non-divisible split", () => {
    const sch = new Schedule(matmul);
    const [i, j] = loopsOf(sch, "C");
    const [i0, i1] = sch.split(i!, [undefined, 5]);
    const [j0, j1] = sch.split(j!, [4, 4]);
    sch.reorder(i0!, j0!, i1!, j1!);
    expectIR(sch, `
@T.prim_func
def main(A: T.Buffer((16, 16), "float32"), B: T.Buffer((16, 16), "float32"), C: T.Buffer((16, 16), "float32")):
    for i_0, j_0, i_1, j_1, k in T.grid(4, 4, 5, 4, 16):
        with T.block("C"):
            vi = T.axis.spatial(16, i_0 * 5 + i_1)
            vj = T.axis.spatial(16, j_0 * 4 + j_1)
            vk = T.axis.reduce(16, k)
            T.where(i_0 * 5 + i_1 < 16)
            T.reads(C[vi, vj], A[vi, vk], B[vk, vj])
            T.writes(C[vi, vj])
            with T.init():
                C[vi, vj] = T.float32(0)
            C[vi, vj] = C[vi, vj] + A[vi, vk] * B[vk, vj]
`);
    expectSameResults(matmul, mainOf(sch));
    expectReplay(sch, matmul);
  });

  it("moves a reduction loop outermost and keeps results", () => {
    const sch = new Schedule(matmul);
    const [i, , k] = loopsOf(sch, "C");
    sch.reorder(k!, i!);
    expect(loopsOf(sch, "C").map((x) => sch.get(x).loopVar.name)).toEqual(["k", "j", "i"]);
    expectSameResults(matmul, mainOf(sch));
  });

  it("accepts bindings that are affine only below the reordered loops", () => {
    const f = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((14, 4), "float32"), B: T.Buffer((14, 4), "float32")):
    for v0, v1, v2 in T.grid(3, 4, 4):
        with T.block("block"):
            i = T.axis.spatial(14, v0 * v0 + v1)
            j = T.axis.spatial(4, v2)
            B[i, j] = A[i, j] + T.float32(1.0)
`);
    const sch = new Schedule(f);
    const [v0, v1, v2] = loopsOf(sch, "block");
    expectRejected(sch, () => sch.reorder(v0!, v2!, v1!), /reorder: The block "block" under the loops to be reordered has a non-affine binding/);
    sch.reorder(v2!, v1!);
    expect(loopsOf(sch, "block").map((x) => sch.get(x).loopVar.name)).toEqual(["v0", "v2", "v1"]);
    expectSameResults(f, mainOf(sch));
    expectReplay(sch, f);
  });

  it("reorders loops of opaque-access blocks", () => {
    const f = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((4, 4), "float32"), B: T.Buffer((4, 4), "float32")):
    for i, j in T.grid(4, 4):
        with T.block("A"):
            vi, vj = T.axis.remap("SS", [i, j])
            T.reads()
            T.writes(A[0:4, 0:4])
            A[vi, vj] = T.float32(1)
    for i, j in T.grid(4, 4):
        with T.block("B"):
            vi, vj = T.axis.remap("SS", [i, j])
            T.reads(A[0:4, 0:4])
            T.writes(B[0:4, 0:4])
            B[vi, vj] = A[vj, vi]
`);
    const sch = new Schedule(f);
    const [ai, aj] = loopsOf(sch, "A");
    sch.reorder(aj!, ai!);
    const [bi, bj] = loopsOf(sch, "B");
    sch.reorder(bj!, bi!);
    expect(loopsOf(sch, "A").map((x) => sch.get(x).loopVar.name)).toEqual(["j", "i"]);
    expect(loopsOf(sch, "B").map((x) => sch.get(x).loopVar.name)).toEqual(["j", "i"]);
    expectSameResults(f, mainOf(sch));
    expectReplay(sch, f);
  });

  it("moves a single loop that feeds both kinds of iters, keeping results", () => {
    const sch = new Schedule(matmul);
    const [i, j, k] = loopsOf(sch, "C");
    const [t0, t1] = sch.split(sch.fuse(j!, k!), [undefined, 4]);
    sch.reorder(t1!, i!, t0!);
    expect(loopsOf(sch, "C").map((x) => sch.get(x).loopVar.name)).toEqual(["j_k_fused_1", "i", "j_k_fused_0"]);
    expectSameResults(matmul, mainOf(sch));
    expectReplay(sch, matmul);
  });

  it("records a reorder of a single loop without changing anything", () => {
    const sch = new Schedule(matmul);
    const [i] = loopsOf(sch, "C");
    const mod = sch.mod;
    sch.reorder(i!);
    expect(sch.mod).toBe(mod);
    expect(sch.trace.toJSONString()).toContain('["Reorder",["l1"],[],[]]');
    expect(sch.trace.toTypeScript()).toContain("sch.reorder(l1);");
  });
});

describe("reorder rejections", () => {
  it("rejects a loop given twice", () => {
    const sch = new Schedule(elementwise);
    const [i, , k] = loopsOf(sch);
    expectRejected(sch, () => sch.reorder(k!, i!, i!), /reorder: Loop i appears in the input array for multiple times/);
  });

  it("rejects loops with a non-loop statement between them", () => {
    const sch = new Schedule(withSeq);
    const [i, , k] = loopsOf(sch);
    const err = expectRejected(
      sch,
      () => sch.reorder(k!, i!),
      /reorder: the loops are not in a single nested chain: a non-loop statement lies between loop j and loop k \(the body of j is a sequence of statements, not the loop alone\)/,
    );
    expect(err.message).toContain("^");
  });

  it("rejects loops in different branches of the nest", () => {
    const sch = new Schedule(withSeq);
    const [i, , k1] = loopsOf(sch);
    const [, , k2] = loopsOf(sch, "C");
    expectRejected(sch, () => sch.reorder(k1!, i!, k2!), /reorder: the loops are not in a single nested chain: loop k does not enclose loop k/);
  });

  it("rejects loops in different block scopes", () => {
    const f = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((8, 8, 8), "float32"), B: T.Buffer((8, 8, 8), "float32")):
    for i, j in T.grid(8, 8):
        with T.block("A"):
            vi, vj = T.axis.remap("SS", [i, j])
            for k in range(8):
                with T.block("B"):
                    vk = T.axis.spatial(8, k)
                    T.reads(A[vi, vj, vk])
                    T.writes(B[vi, vj, vk])
                    B[vi, vj, vk] = A[vi, vj, vk] * T.float32(2.0)
`);
    const sch = new Schedule(f);
    const [i] = loopsOf(sch, "A");
    const [k] = loopsOf(sch, "B");
    expectRejected(sch, () => sch.reorder(k!, i!), /reorder: the loops are not in a single nested chain: loop k and loop i are not under the same block scope/);
  });

  it("rejects blocks with iters other than data-parallel or reduction", () => {
    const f = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((8, 8, 8), "float32"), B: T.Buffer((8, 8, 8), "float32")):
    for i, j, k in T.grid(8, 8, 8):
        with T.block("B"):
            vi, vj = T.axis.remap("SS", [i, j])
            vk = T.axis.scan(8, k)
            B[vi, vj, vk] = A[vi, vj, vk] * T.float32(2.0)
`);
    const sch = new Schedule(f);
    const [i, , k] = loopsOf(sch);
    expectRejected(sch, () => sch.reorder(k!, i!), /reorder: The block "B" under the loops to be reordered have block iter type other than data-parallel or reduction \(iter vk is Ordered\)/);
  });

  it("rejects an order in which an outer loop depends on an inner one", () => {
    const f = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((8, 8, 8), "float32"), B: T.Buffer((8, 8, 8), "float32")):
    for i in range(8):
        for j, k in T.grid(8, i):
            with T.block("B"):
                vi, vj, vk = T.axis.remap("SSS", [i, j, k])
                B[vi, vj, vk] = A[vi, vj, vk] * T.float32(2.0)
`);
    const sch = new Schedule(f);
    const [i, , k] = loopsOf(sch);
    expectRejected(sch, () => sch.reorder(k!, i!), /reorder: Outer Loop k's `min` or `extent` is dependent on an inner loop i in the new order/);
  });

  it("rejects swapping two loops that each feed both the spatial and the reduction iters", () => {
    const sch = new Schedule(matmul);
    const [, j, k] = loopsOf(sch, "C");
    const [t0, t1] = sch.split(sch.fuse(j!, k!), [undefined, 3]);
    expectRejected(
      sch,
      () => sch.reorder(t1!, t0!),
      /reorder: loops j_k_fused_0 and j_k_fused_1 both feed data-parallel and reduction iters of block "C" \(they come from fusing a spatial and a reduction loop\); swapping them would run updates of an output element before its init/,
    );
  });

  it("rejects non-affine bindings (a loop scaled by 16)", () => {
    const f = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((8, 8, 8, 128), "float32"), B: T.Buffer((8, 8, 8, 128), "float32")):
    for i, j, k, l in T.grid(8, 8, 8, 8):
        with T.block("B"):
            vi, vj, vk = T.axis.remap("SSS", [i, j, k])
            vl = T.axis.spatial(128, l * 16)
            B[vi, vj, vk, vl] = A[vi, vj, vk, vl] * T.float32(2.0)
`);
    const sch = new Schedule(f);
    const [i, , , l] = loopsOf(sch);
    expectRejected(sch, () => sch.reorder(l!, i!), /reorder: The block "B" under the loops to be reordered has a non-affine binding \(i, j, k, l \* 16\)/);
  });

  it("rejects a predicate that is not an affine constraint of the bindings", () => {
    const f = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((8, 8, 8, 8), "float32"), B: T.Buffer((8, 8, 8, 8), "float32")):
    for i, j, k, l in T.grid(8, 8, 8, 8):
        with T.block("B"):
            T.where(i * 512 + j * 64 + k * 8 + l < 100)
            vi, vj, vk, vl = T.axis.remap("SSSS", [i, j, k, l])
            B[vi, vj, vk, vl] = A[vi, vj, vk, vl] * T.float32(2.0)
`);
    const sch = new Schedule(f);
    const [i, , , l] = loopsOf(sch);
    expectRejected(sch, () => sch.reorder(l!, i!), /reorder: The block "B" under the loops to be reordered has a non-affine binding/);
  });
});

describe("addUnitLoop", () => {
  const zeroDim = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((), "int32"), B: T.Buffer((), "int32"), C: T.Buffer((), "int32")):
    with T.block("C"):
        vi = T.axis.spatial(1, 0)
        C[()] = A[()] + B[()]
`);

  it("adds a unit loop above a block", () => {
    const sch = new Schedule(zeroDim);
    const block = sch.getBlock("C");
    const u = sch.addUnitLoop(block);
    expect(sch.get(u).loopVar.name).toBe("u");
    expectIR(sch, `
@T.prim_func
def main(A: T.Buffer((), "int32"), B: T.Buffer((), "int32"), C: T.Buffer((), "int32")):
    for u in range(1):
        with T.block("C"):
            vi = T.axis.spatial(1, 0)
            T.reads(A[()], B[()])
            T.writes(C[()])
            C[()] = A[()] + B[()]
`);
    expect(sch.getLoops(block)).toHaveLength(1);
    expect(sch.trace.toJSONString()).toContain('["AddUnitLoop",["b0"],[],["l1"]]');
    expectSameResults(zeroDim, mainOf(sch));
    expectReplay(sch, zeroDim);
  });

  it("adds a unit loop above a loop, and above a block inside a loop", () => {
    const sch = new Schedule(zeroDim);
    const block = sch.getBlock("C");
    const u1 = sch.addUnitLoop(block);
    sch.addUnitLoop(u1);
    expectIR(sch, `
@T.prim_func
def main(A: T.Buffer((), "int32"), B: T.Buffer((), "int32"), C: T.Buffer((), "int32")):
    for u1, u2 in T.grid(1, 1):
        with T.block("C"):
            vi = T.axis.spatial(1, 0)
            T.reads(A[()], B[()])
            T.writes(C[()])
            C[()] = A[()] + B[()]
`);
    const m = new Schedule(matmul);
    const c = m.getBlock("C");
    m.addUnitLoop(c);
    expect(m.getLoops(c).map((x) => m.get(x).loopVar.name)).toEqual(["i", "j", "k", "u"]);
    expectSameResults(matmul, mainOf(m));
    expectReplay(m, matmul);
    expectReplay(sch, zeroDim);
  });

  it("rejects the root block", () => {
    const sch = new Schedule(zeroDim);
    const root = sch.getBlock("root");
    expectRejected(sch, () => sch.addUnitLoop(root), /add_unit_loop: cannot add a loop above the root block "root"/);
  });
});
