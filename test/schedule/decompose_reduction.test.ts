import { describe, expect, it } from "vitest";
import { createPrimFunc, placeholder, topi } from "../../src/te/index.js";
import { parsePrimFunc } from "../../src/tir/script/index.js";
import { Schedule, ScheduleError } from "../../src/schedule/index.js";
import { expectIR, expectReplay, expectSameResults, mainOf } from "./reduction_helpers.js";

// The classic CPU matmul after 2-level tiling of i and j with the reduction loop between tiles.
const tiledMatmul = `
@T.prim_func
def main(A: T.Buffer((64, 64), "float32"), B: T.Buffer((64, 64), "float32"), C: T.Buffer((64, 64), "float32")):
    for i0, j0, k, i1, j1 in T.grid(4, 4, 64, 16, 16):
        with T.block("C"):
            vi = T.axis.spatial(64, i0 * 16 + i1)
            vj = T.axis.spatial(64, j0 * 16 + j1)
            vk = T.axis.reduce(64, k)
            with T.init():
                C[vi, vj] = T.float32(0)
            C[vi, vj] = C[vi, vj] + A[vi, vk] * B[vk, vj]
`;

const tiledMatmulAtK = `
@T.prim_func
def main(A: T.Buffer((64, 64), "float32"), B: T.Buffer((64, 64), "float32"), C: T.Buffer((64, 64), "float32")):
    for i0, j0 in T.grid(4, 4):
        for i1_init, j1_init in T.grid(16, 16):
            with T.block("C_init"):
                vi = T.axis.spatial(64, i0 * 16 + i1_init)
                vj = T.axis.spatial(64, j0 * 16 + j1_init)
                T.reads()
                T.writes(C[vi, vj])
                C[vi, vj] = T.float32(0)
        for k, i1, j1 in T.grid(64, 16, 16):
            with T.block("C_update"):
                vi = T.axis.spatial(64, i0 * 16 + i1)
                vj = T.axis.spatial(64, j0 * 16 + j1)
                vk = T.axis.reduce(64, k)
                T.reads(C[vi, vj], A[vi, vk], B[vk, vj])
                T.writes(C[vi, vj])
                C[vi, vj] = C[vi, vj] + A[vi, vk] * B[vk, vj]
`;

const tiledMatmulAtOuter = `
@T.prim_func
def main(A: T.Buffer((64, 64), "float32"), B: T.Buffer((64, 64), "float32"), C: T.Buffer((64, 64), "float32")):
    for i0_init, j0_init, i1_init, j1_init in T.grid(4, 4, 16, 16):
        with T.block("C_init"):
            vi = T.axis.spatial(64, i0_init * 16 + i1_init)
            vj = T.axis.spatial(64, j0_init * 16 + j1_init)
            T.reads()
            T.writes(C[vi, vj])
            C[vi, vj] = T.float32(0)
    for i0, j0, k, i1, j1 in T.grid(4, 4, 64, 16, 16):
        with T.block("C_update"):
            vi = T.axis.spatial(64, i0 * 16 + i1)
            vj = T.axis.spatial(64, j0 * 16 + j1)
            vk = T.axis.reduce(64, k)
            T.reads(C[vi, vj], A[vi, vk], B[vk, vj])
            T.writes(C[vi, vj])
            C[vi, vj] = C[vi, vj] + A[vi, vk] * B[vk, vj]
`;

// TVM's test_reduction_decompose4 (smaller): i split by 8, k split non-divisibly by 7 (with a predicate).
const splitMatmul = `
@T.prim_func
def main(A: T.Buffer((64, 64), "float32"), B: T.Buffer((64, 64), "float32"), C: T.Buffer((64, 64), "float32")):
    for i0_0, i0_1, i1, i2_0, i2_1 in T.grid(8, 8, 64, 10, 7):
        with T.block("update"):
            vi = T.axis.spatial(64, i0_0 * 8 + i0_1)
            vj = T.axis.spatial(64, i1)
            vk = T.axis.reduce(64, i2_0 * 7 + i2_1)
            T.where(i2_0 * 7 + i2_1 < 64)
            with T.init():
                C[vi, vj] = T.float32(0)
            C[vi, vj] = C[vi, vj] + A[vi, vk] * B[vj, vk]
`;

const splitMatmulDecomposed = `
@T.prim_func
def main(A: T.Buffer((64, 64), "float32"), B: T.Buffer((64, 64), "float32"), C: T.Buffer((64, 64), "float32")):
    for i0_0 in range(8):
        for i0_1_init, i1_init in T.grid(8, 64):
            with T.block("update_init"):
                vi = T.axis.spatial(64, i0_0 * 8 + i0_1_init)
                vj = T.axis.spatial(64, i1_init)
                T.reads()
                T.writes(C[vi, vj])
                C[vi, vj] = T.float32(0)
        for i0_1, i1, i2_0, i2_1 in T.grid(8, 64, 10, 7):
            with T.block("update_update"):
                vi = T.axis.spatial(64, i0_0 * 8 + i0_1)
                vj = T.axis.spatial(64, i1)
                vk = T.axis.reduce(64, i2_0 * 7 + i2_1)
                T.where(i2_0 * 7 + i2_1 < 64)
                T.reads(C[vi, vj], A[vi, vk], B[vj, vk])
                T.writes(C[vi, vj])
                C[vi, vj] = C[vi, vj] + A[vi, vk] * B[vj, vk]
`;

// Both spatial loops split non-divisibly: their conjuncts stay (in TVM's reversed order), the
// reduction one goes.
const predicated = `
@T.prim_func
def main(A: T.Buffer((100, 60, 50), "float32"), B: T.Buffer((100, 60), "float32")):
    for i0, j0, k0, i1, j1, k1 in T.grid(13, 8, 8, 8, 8, 7):
        with T.block("B"):
            vi = T.axis.spatial(100, i0 * 8 + i1)
            vj = T.axis.spatial(60, j0 * 8 + j1)
            vk = T.axis.reduce(50, k0 * 7 + k1)
            T.where(i0 * 8 + i1 < 100 and j0 * 8 + j1 < 60 and k0 * 7 + k1 < 50)
            with T.init():
                B[vi, vj] = T.float32(0)
            B[vi, vj] = B[vi, vj] + A[vi, vj, vk]
`;

const predicatedDecomposed = `
@T.prim_func
def main(A: T.Buffer((100, 60, 50), "float32"), B: T.Buffer((100, 60), "float32")):
    for i0, j0 in T.grid(13, 8):
        for i1_init, j1_init in T.grid(8, 8):
            with T.block("B_init"):
                vi = T.axis.spatial(100, i0 * 8 + i1_init)
                vj = T.axis.spatial(60, j0 * 8 + j1_init)
                T.where(j0 * 8 + j1_init < 60 and i0 * 8 + i1_init < 100)
                T.reads()
                T.writes(B[vi, vj])
                B[vi, vj] = T.float32(0)
        for k0, i1, j1, k1 in T.grid(8, 8, 8, 7):
            with T.block("B_update"):
                vi = T.axis.spatial(100, i0 * 8 + i1)
                vj = T.axis.spatial(60, j0 * 8 + j1)
                vk = T.axis.reduce(50, k0 * 7 + k1)
                T.where(i0 * 8 + i1 < 100 and j0 * 8 + j1 < 60 and k0 * 7 + k1 < 50)
                T.reads(B[vi, vj], A[vi, vj, vk])
                T.writes(B[vi, vj])
                B[vi, vj] = B[vi, vj] + A[vi, vj, vk]
`;

// TVM's test_decompose_reduction_nested_block: the block's body holds blocks of its own.
const nested = `
@T.prim_func
def main(A: T.Buffer((1, 64), "float32"), B: T.Buffer((1,), "float32")):
    for i, ko in T.grid(1, 2):
        with T.block("outer"):
            vi, vko = T.axis.remap("SR", [i, ko])
            C = T.alloc_buffer((32,), dtype="float32")
            with T.init():
                B[vi] = T.float32(0)
            for ki in T.serial(32):
                with T.block("inner_1"):
                    vki = T.axis.spatial(32, ki)
                    C[vki] = A[vi, vko * 32 + vki]
            for ki in T.serial(32):
                with T.block("inner_2"):
                    vki = T.axis.reduce(32, ki)
                    B[vi] = B[vi] + C[vki]
`;

const nestedDecomposed = `
@T.prim_func
def main(A: T.Buffer((1, 64), "float32"), B: T.Buffer((1,), "float32")):
    for i in range(1):
        with T.block("outer_init"):
            vi = T.axis.spatial(1, i)
            T.reads()
            T.writes(B[vi])
            B[vi] = T.float32(0)
        for ko in range(2):
            with T.block("outer_update"):
                vi, vko = T.axis.remap("SR", [i, ko])
                T.reads(B[vi], A[vi, vko * 32 : vko * 32 + 32])
                T.writes(B[vi])
                C = T.alloc_buffer((32,))
                for ki in range(32):
                    with T.block("inner_1"):
                        vki = T.axis.spatial(32, ki)
                        T.reads(A[vi, vko * 32 + vki])
                        T.writes(C[vki])
                        C[vki] = A[vi, vko * 32 + vki]
                for ki in range(32):
                    with T.block("inner_2"):
                        vki = T.axis.reduce(32, ki)
                        T.reads(B[vi], C[vki])
                        T.writes(B[vi])
                        B[vi] = B[vi] + C[vki]
`;

// Loop kinds (vectorized, thread binding) and block annotations carry over to the init.
const colsum = `
@T.prim_func
def main(A: T.Buffer((128, 32), "float32"), B: T.Buffer((32,), "float32")):
    for k in T.serial(0, 128):
        for i in T.vectorized(0, 32):
            with T.block("B"):
                T.block_attr({"test_annotation": 1})
                vk, vi = T.axis.remap("RS", [k, i])
                with T.init():
                    B[vi] = T.float32(0)
                B[vi] = B[vi] + A[vk, vi]
`;

const colsumDecomposed = `
@T.prim_func
def main(A: T.Buffer((128, 32), "float32"), B: T.Buffer((32,), "float32")):
    for i_init in T.vectorized(0, 32):
        with T.block("B_init"):
            T.block_attr({"test_annotation": 1})
            vi = T.axis.spatial(32, i_init)
            T.reads()
            T.writes(B[vi])
            B[vi] = T.float32(0)
    for k in T.serial(0, 128):
        for i in T.vectorized(0, 32):
            with T.block("B_update"):
                T.block_attr({"test_annotation": 1})
                vk, vi = T.axis.remap("RS", [k, i])
                T.reads(B[vi], A[vk, vi])
                T.writes(B[vi])
                B[vi] = B[vi] + A[vk, vi]
`;

const threadBound = `
@T.prim_func
def main(A: T.Buffer((32, 16), "float32"), B: T.Buffer((32,), "float32")):
    for t in T.thread_binding(0, 32, thread="threadIdx.x"):
        for r in T.serial(16):
            with T.block("B"):
                vi, vr = T.axis.remap("SR", [t, r])
                with T.init():
                    B[vi] = T.float32(0)
                B[vi] = B[vi] + A[vi, vr]
`;

const threadBoundDecomposed = `
@T.prim_func
def main(A: T.Buffer((32, 16), "float32"), B: T.Buffer((32,), "float32")):
    for t_init in T.thread_binding(0, 32, thread="threadIdx.x"):
        with T.block("B_init"):
            vi = T.axis.spatial(32, t_init)
            T.reads()
            T.writes(B[vi])
            B[vi] = T.float32(0)
    for t in T.thread_binding(0, 32, thread="threadIdx.x"):
        for r in T.serial(16):
            with T.block("B_update"):
                vi, vr = T.axis.remap("SR", [t, r])
                T.reads(B[vi], A[vi, vr])
                T.writes(B[vi])
                B[vi] = B[vi] + A[vi, vr]
`;

function decompose(text: string, block: string, loopIndex: number) {
  const orig = parsePrimFunc(text);
  const sch = new Schedule(orig);
  const b = sch.getBlock(block);
  const loops = sch.getLoops(b);
  const init = sch.decomposeReduction(b, loops[loopIndex]!);
  return { orig, sch, b, loops, init };
}

describe("decomposeReduction", () => {
  it("splits the tiled matmul at the reduction loop between the tiles", () => {
    const { orig, sch, b, init } = decompose(tiledMatmul, "C", 2);
    expectIR(sch, tiledMatmulAtK);
    // The block RV now names the update block; the returned RV the init block.
    expect(sch.get(b).nameHint).toBe("C_update");
    expect(sch.get(init).nameHint).toBe("C_init");
    expect(sch.get(sch.getBlock("C_init"))).toBe(sch.get(init));
    expect(sch.trace.toJSONString()).toBe(
      '[[["GetBlock",[],["C","main"],["b0"]],["GetLoops",["b0"],[],["l1","l2","l3","l4","l5"]],' +
        '["DecomposeReduction",["b0","l3"],[],["b6"]],["GetBlock",[],["C_init","main"],["b7"]]],[]]',
    );
    expect(sch.trace.toTypeScript()).toContain("const b6 = sch.decomposeReduction(b0, l3);\n");
    expectSameResults(orig, mainOf(sch));
    expectReplay(sch, orig);
  });

  it("decomposes at the outermost loop, regenerating every spatial loop", () => {
    const { orig, sch, loops } = decompose(tiledMatmul, "C", 0);
    expectIR(sch, tiledMatmulAtOuter);
    // The original loops survive (same srefs) around the update block.
    expect(loops.map((l) => sch.get(l).loopVar.name)).toEqual(["i0", "j0", "k", "i1", "j1"]);
    expectSameResults(orig, mainOf(sch));
    expectReplay(sch, orig);
  });

  it("drops the loops and predicate conjuncts of the reduction (TVM's decompose4)", () => {
    const { orig, sch } = decompose(splitMatmul, "update", 1);
    expectIR(sch, splitMatmulDecomposed);
    expectSameResults(orig, mainOf(sch));
    expectReplay(sch, orig);
  });

  it("keeps the spatial conjuncts of a non-divisible split in the init predicate", () => {
    const { orig, sch } = decompose(predicated, "B", 2);
    expectIR(sch, predicatedDecomposed);
    expectSameResults(orig, mainOf(sch));
    expectReplay(sch, orig);
  });

  it("handles a block whose body holds blocks of its own", () => {
    const { orig, sch } = decompose(nested, "outer", 1);
    expectIR(sch, nestedDecomposed);
    expectSameResults(orig, mainOf(sch));
    expectReplay(sch, orig);
  });

  it("keeps loop kinds and block annotations", () => {
    let r = decompose(colsum, "B", 0);
    expectIR(r.sch, colsumDecomposed);
    expectSameResults(r.orig, mainOf(r.sch));
    expectReplay(r.sch, r.orig);
    r = decompose(threadBound, "B", 0);
    expectIR(r.sch, threadBoundDecomposed);
    expectReplay(r.sch, r.orig);
  });

  it("decomposes a TE-built matmul after sch.split of its reduction loop", () => {
    const A = placeholder([32, 48], "float32", "A"), B = placeholder([48, 40], "float32", "B");
    const orig = createPrimFunc([A, B, topi.matmul(A, B)]);
    const sch = new Schedule(orig);
    const b = sch.getBlock("T_matmul_NN");
    const [, , k] = sch.getLoops(b);
    const [k0] = sch.split(k!, [undefined, 16]);
    const init = sch.decomposeReduction(b, k0!);
    expect(sch.get(init).iterVars.map((iv) => iv.iterType)).toEqual(["DataPar", "DataPar"]);
    expect(sch.trace.toJSONString()).toContain('["DecomposeReduction",["b0","l4"],[],["b6"]]');
    expectSameResults(orig, mainOf(sch));
    expectReplay(sch, orig);
  });
});

const elementwise = `
@T.prim_func
def main(A: T.Buffer((128, 128), "float32"), B: T.Buffer((128, 128), "float32")):
    for i, j in T.grid(128, 128):
        with T.block("B"):
            vi, vj = T.axis.remap("SS", [i, j])
            B[vi, vj] = A[vi, vj] * T.float32(2)
`;

// TVM's matmul_decompose_fail3: the reduction loop k sits above the spatial loop j.
const reductionAbove = `
@T.prim_func
def main(A: T.Buffer((128, 128), "float32"), B: T.Buffer((128, 128), "float32"), C: T.Buffer((128, 128), "float32")):
    for i, k, j in T.grid(128, 128, 128):
        with T.block("update"):
            vi, vj, vk = T.axis.remap("SSR", [i, j, k])
            with T.init():
                C[vi, vj] = T.float32(0)
            C[vi, vj] = C[vi, vj] + A[vi, vk] * B[vj, vk]
`;

const twoReductions = `
@T.prim_func
def main(A: T.Buffer((128, 128), "float32"), B: T.Buffer((128,), "float32")):
    for i, k in T.grid(128, 128):
        with T.block("B"):
            vi, vk = T.axis.remap("SR", [i, k])
            with T.init():
                B[vi] = T.float32(0)
            B[vi] = B[vi] + A[vi, vk]
    for i in range(128):
        with T.block("B2"):
            vi = T.axis.spatial(128, i)
            B[vi] = B[vi] * T.float32(2)
`;

const notQuasiAffine = `
@T.prim_func
def main(A: T.Buffer((128, 128), "float32"), B: T.Buffer((128,), "float32")):
    for i, k in T.grid(128, 16):
        with T.block("B"):
            vi = T.axis.S(128, i)
            vk = T.axis.R(128, T.floordiv(k * k, 2))
            with T.init():
                B[vi] = T.float32(0)
            B[vi] = B[vi] + A[vi, vk]
`;

const reduceIndexesOutput = `
@T.prim_func
def main(A: T.Buffer((128, 128), "float32"), B: T.Buffer((128, 128), "float32")):
    for i, k in T.grid(128, 128):
        with T.block("B"):
            vi, vk = T.axis.remap("SR", [i, k])
            with T.init():
                B[vi, vk] = T.float32(0)
            B[vi, vk] = B[vi, vk] + A[vi, vk]
`;

describe("decomposeReduction rejections", () => {
  function rejects(text: string, block: string, loop: (sch: Schedule) => ReturnType<Schedule["getLoops"]>[number], message: RegExp) {
    const sch = new Schedule(parsePrimFunc(text));
    const b = sch.getBlock(block);
    const l = loop(sch);
    const before = sch.mod;
    const n = sch.trace.insts.length;
    let err: unknown;
    try {
      sch.decomposeReduction(b, l);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ScheduleError);
    expect((err as Error).message).toMatch(message);
    // A failed primitive leaves the schedule as it was.
    expect(sch.mod).toBe(before);
    expect(sch.trace.insts.length).toBe(n);
    return err as ScheduleError;
  }

  it("rejects a loop that does not enclose the block", () => {
    const err = rejects(twoReductions, "B", (sch) => sch.getLoops(sch.getBlock("B2"))[0]!, /decompose_reduction: the loop i is not an ancestor of block "B"/);
    expect(err.message).toContain("^");
  });

  it("rejects a block without init", () => {
    rejects(elementwise, "B", (sch) => sch.getLoops(sch.getBlock("B"))[0]!, /decompose_reduction: block "B" is not a reduction block: condition 1 fails: it has no init statement/);
  });

  it("rejects a block whose bindings are not quasi-affine", () => {
    rejects(notQuasiAffine, "B", (sch) => sch.getLoops(sch.getBlock("B"))[0]!, /block "B" is not a reduction block: condition 2 fails: its iter var bindings are not quasi-affine/);
  });

  it("rejects a block that is not the only writer of its output", () => {
    rejects(twoReductions, "B", (sch) => sch.getLoops(sch.getBlock("B"))[0]!, /condition 4 fails: block "B2" also writes buffer B in the same scope/);
  });

  it("rejects a block that indexes its output with a reduction iter var", () => {
    rejects(reduceIndexesOutput, "B", (sch) => sch.getLoops(sch.getBlock("B"))[0]!, /condition 5 fails: a reduction iter var indexes the output buffer B/);
  });

  it("rejects a loop below a loop of the reduction (TVM's decompose_fail3)", () => {
    rejects(
      reductionAbove,
      "update",
      (sch) => sch.getLoops(sch.getBlock("update"))[2]!,
      /decompose_reduction: the loop j must be higher than all the loops related to reduce block var of block "update": the outer loop k feeds reduction iter var vk/,
    );
  });

  it("rejects the root block", () => {
    const sch = new Schedule(parsePrimFunc(tiledMatmul));
    const root = sch.getBlock("root");
    const [l] = sch.getLoops(sch.getBlock("C"));
    expect(() => sch.decomposeReduction(root, l!)).toThrow(/decompose_reduction: the primitive does not operate on the root block/);
  });

  it("rejects RVs of the wrong kind and removed loops", () => {
    const { sch, b, loops } = decompose(tiledMatmul, "C", 2);
    // The block has no init any more.
    expect(() => sch.decomposeReduction(b, loops[0]!)).toThrow(/block "C_update" is not a reduction block: condition 1 fails/);
    expect(() => sch.decomposeReduction(loops[0] as never, loops[0]!)).toThrow(/decompose_reduction: expected a block \(BlockRV\), got LoopRV/);
  });
});
