import { describe, expect, it } from "vitest";
import { parsePrimFunc, parseScript } from "../../src/tir/script/index.js";
import { Schedule, Trace } from "../../src/schedule/index.js";
import { expectIR, expectRejected, expectReplay, expectSameResults, mainOf } from "./blockize_helpers.js";

const HEAD = `@T.prim_func
def main(A: T.Buffer((64, 64), "float32"), B: T.Buffer((64, 64), "float32"), C: T.Buffer((64, 64), "float32")):`;

/** A 64^3 matmul tiled 16 x 16 x 4 (i0, j0, k0, i1, j1, k1). */
const TILED = `${HEAD}
    for i0, j0, k0, i1, j1, k1 in T.grid(4, 4, 16, 16, 16, 4):
        with T.block("C"):
            vi = T.axis.spatial(64, i0 * 16 + i1)
            vj = T.axis.spatial(64, j0 * 16 + j1)
            vk = T.axis.reduce(64, k0 * 4 + k1)
            with T.init():
                C[vi, vj] = T.float32(0)
            C[vi, vj] = C[vi, vj] + A[vi, vk] * B[vk, vj]
`;

const TILED_BLOCKIZED = `${HEAD}
    for i0, j0, k0 in T.grid(4, 4, 16):
        with T.block("C_o"):
            vi_o, vj_o, vk_o = T.axis.remap("SSR", [i0, j0, k0])
            T.reads(A[vi_o * 16:vi_o * 16 + 16, vk_o * 4:vk_o * 4 + 4], B[vk_o * 4:vk_o * 4 + 4, vj_o * 16:vj_o * 16 + 16])
            T.writes(C[vi_o * 16:vi_o * 16 + 16, vj_o * 16:vj_o * 16 + 16])
            with T.init():
                for i1, j1 in T.grid(16, 16):
                    with T.block("C_init"):
                        vi_i_init, vj_i_init = T.axis.remap("SS", [i1, j1])
                        T.reads()
                        T.writes(C[vi_o * 16 + vi_i_init, vj_o * 16 + vj_i_init])
                        C[vi_o * 16 + vi_i_init, vj_o * 16 + vj_i_init] = T.float32(0)
            for i1, j1, k1 in T.grid(16, 16, 4):
                with T.block("C"):
                    vi_i, vj_i, vk_i = T.axis.remap("SSR", [i1, j1, k1])
                    T.reads(C[vi_o * 16 + vi_i, vj_o * 16 + vj_i], A[vi_o * 16 + vi_i, vk_o * 4 + vk_i], B[vk_o * 4 + vk_i, vj_o * 16 + vj_i])
                    T.writes(C[vi_o * 16 + vi_i, vj_o * 16 + vj_i])
                    C[vi_o * 16 + vi_i, vj_o * 16 + vj_i] = C[vi_o * 16 + vi_i, vj_o * 16 + vj_i] + A[vi_o * 16 + vi_i, vk_o * 4 + vk_i] * B[vk_o * 4 + vk_i, vj_o * 16 + vj_i]
`;

/** Tiled in i and j only: k stays a single loop outside the 16 x 16 tile. */
const TILED_IJ = `${HEAD}
    for i0, j0, k, i1, j1 in T.grid(4, 4, 64, 16, 16):
        with T.block("C"):
            vi = T.axis.spatial(64, i0 * 16 + i1)
            vj = T.axis.spatial(64, j0 * 16 + j1)
            vk = T.axis.reduce(64, k)
            with T.init():
                C[vi, vj] = T.float32(0)
            C[vi, vj] = C[vi, vj] + A[vi, vk] * B[vk, vj]
`;

const TILED_IJ_BLOCKIZED = `${HEAD}
    for i0, j0, k in T.grid(4, 4, 64):
        with T.block("C_o"):
            vi_o, vj_o, vk_o = T.axis.remap("SSR", [i0, j0, k])
            T.reads(A[vi_o * 16:vi_o * 16 + 16, vk_o], B[vk_o, vj_o * 16:vj_o * 16 + 16])
            T.writes(C[vi_o * 16:vi_o * 16 + 16, vj_o * 16:vj_o * 16 + 16])
            with T.init():
                for i1, j1 in T.grid(16, 16):
                    with T.block("C_init"):
                        vi_i_init, vj_i_init = T.axis.remap("SS", [i1, j1])
                        T.reads()
                        T.writes(C[vi_o * 16 + vi_i_init, vj_o * 16 + vj_i_init])
                        C[vi_o * 16 + vi_i_init, vj_o * 16 + vj_i_init] = T.float32(0)
            for i1, j1 in T.grid(16, 16):
                with T.block("C"):
                    vi_i, vj_i = T.axis.remap("SS", [i1, j1])
                    T.reads(C[vi_o * 16 + vi_i, vj_o * 16 + vj_i], A[vi_o * 16 + vi_i, vk_o], B[vk_o, vj_o * 16 + vj_i])
                    T.writes(C[vi_o * 16 + vi_i, vj_o * 16 + vj_i])
                    C[vi_o * 16 + vi_i, vj_o * 16 + vj_i] = C[vi_o * 16 + vi_i, vj_o * 16 + vj_i] + A[vi_o * 16 + vi_i, vk_o] * B[vk_o, vj_o * 16 + vj_i]
`;

const ELEMWISE = `
@T.prim_func
def main(A: T.Buffer((32, 32), "float32"), B: T.Buffer((32, 32), "float32")):
    for i, j in T.grid(32, 32):
        with T.block("B"):
            vi, vj = T.axis.remap("SS", [i, j])
            B[vi, vj] = A[vi, vj] * T.float32(2)
`;

const ROWSUM = `
@T.prim_func
def main(A: T.Buffer((32, 32), "float32"), B: T.Buffer((32,), "float32")):
    for k, i in T.grid(32, 32):
        with T.block("B"):
            vk, vi = T.axis.remap("RS", [k, i])
            with T.init():
                B[vi] = T.float32(0)
            B[vi] = B[vi] + A[vi, vk]
`;

/** A unit loop i0 above the tile (what a split with factor 1 leaves). */
const UNIT = (vio: string) => `
@T.prim_func
def main(A: T.Buffer((16, 64), "float32"), B: T.Buffer((16, 64), "float32")):
    for i0, j0 in T.grid(1, 4):
        with T.block("B_o"):
            vi_o = T.axis.spatial(1, ${vio})
            vj_o = T.axis.spatial(4, j0)
            T.reads(A[0:16, vj_o * 16:vj_o * 16 + 16])
            T.writes(B[0:16, vj_o * 16:vj_o * 16 + 16])
            for i1, j1 in T.grid(16, 16):
                with T.block("B"):
                    vi_i, vj_i = T.axis.remap("SS", [i1, j1])
                    T.reads(A[vi_i, vj_o * 16 + vj_i])
                    T.writes(B[vi_i, vj_o * 16 + vj_i])
                    B[vi_i, vj_o * 16 + vj_i] = A[vi_i, vj_o * 16 + vj_i] + T.float32(1)
`;

const UNIT_BEFORE = `
@T.prim_func
def main(A: T.Buffer((16, 64), "float32"), B: T.Buffer((16, 64), "float32")):
    for i0, j0, i1, j1 in T.grid(1, 4, 16, 16):
        with T.block("B"):
            vi = T.axis.spatial(16, i0 * 16 + i1)
            vj = T.axis.spatial(64, j0 * 16 + j1)
            B[vi, vj] = A[vi, vj] + T.float32(1)
`;

describe("blockize(loop)", () => {
  it("blockizes the 16x16x4 tile of a tiled matmul, moving the init to the outer block", () => {
    const f = parsePrimFunc(TILED);
    const sch = new Schedule(f);
    const c = sch.getBlock("C");
    const loops = sch.getLoops(c);
    const outer = sch.blockize(loops[3]!);
    expectIR(mainOf(sch), TILED_BLOCKIZED);
    expect(sch.get(outer).nameHint).toBe("C_o");
    // The block RV of "C" now names the inner block, and the tile's loops survive inside.
    expect(sch.get(c).nameHint).toBe("C");
    expect(sch.getLoops(c).length).toBe(3);
    expect(sch.getLoops(outer).length).toBe(3);
    expectSameResults(f, mainOf(sch));
    expect(JSON.stringify(sch.trace.toJSON()[0][2])).toBe('["Blockize",["l4"],[true],["b7"]]');
    expectReplay(sch, f);
  });

  it("blockizes the inner two loops of a matmul tiled in i and j (the reduction stays outside)", () => {
    const f = parsePrimFunc(TILED_IJ);
    const sch = new Schedule(f);
    sch.blockize(sch.getLoops(sch.getBlock("C"))[3]!);
    expectIR(mainOf(sch), TILED_IJ_BLOCKIZED);
    expectSameResults(f, mainOf(sch));
    expectReplay(sch, f);
  });

  it("blockizes the innermost loop of an elementwise block", () => {
    const f = parsePrimFunc(ELEMWISE);
    const sch = new Schedule(f);
    sch.blockize(sch.getLoops(sch.getBlock("B"))[1]!);
    expectIR(
      mainOf(sch),
      `
@T.prim_func
def main(A: T.Buffer((32, 32), "float32"), B: T.Buffer((32, 32), "float32")):
    for i in range(32):
        with T.block("B_o"):
            vi_o = T.axis.spatial(32, i)
            vj_o = T.axis.spatial(1, 0)
            T.reads(A[vi_o, 0:32])
            T.writes(B[vi_o, 0:32])
            for j in range(32):
                with T.block("B"):
                    vj_i = T.axis.spatial(32, j)
                    T.reads(A[vi_o, vj_i])
                    T.writes(B[vi_o, vj_i])
                    B[vi_o, vj_i] = A[vi_o, vj_i] * T.float32(2)
`,
    );
    expectSameResults(f, mainOf(sch));
  });

  it("blockizes the outermost loop: every outer iter var has extent 1", () => {
    const f = parsePrimFunc(ELEMWISE);
    const sch = new Schedule(f);
    sch.blockize(sch.getLoops(sch.getBlock("B"))[0]!);
    expectIR(
      mainOf(sch),
      `
@T.prim_func
def main(A: T.Buffer((32, 32), "float32"), B: T.Buffer((32, 32), "float32")):
    with T.block("B_o"):
        vi_o = T.axis.spatial(1, 0)
        vj_o = T.axis.spatial(1, 0)
        T.reads(A[0:32, 0:32])
        T.writes(B[0:32, 0:32])
        for i, j in T.grid(32, 32):
            with T.block("B"):
                vi_i, vj_i = T.axis.remap("SS", [i, j])
                T.reads(A[vi_i, vj_i])
                T.writes(B[vi_i, vj_i])
                B[vi_i, vj_i] = A[vi_i, vj_i] * T.float32(2)
`,
    );
    expectSameResults(f, mainOf(sch));
    expectReplay(sch, f);
  });

  it("builds the init loops from the data-parallel iterators the init uses (rowsum, reduction outermost)", () => {
    const f = parsePrimFunc(ROWSUM);
    const sch = new Schedule(f);
    sch.blockize(sch.getLoops(sch.getBlock("B"))[0]!);
    expectIR(
      mainOf(sch),
      `
@T.prim_func
def main(A: T.Buffer((32, 32), "float32"), B: T.Buffer((32,), "float32")):
    with T.block("B_o"):
        vk_o = T.axis.reduce(1, 0)
        vi_o = T.axis.spatial(1, 0)
        T.reads(A[0:32, 0:32])
        T.writes(B[0:32])
        with T.init():
            for i in range(32):
                with T.block("B_init"):
                    vi_i_init = T.axis.spatial(32, i)
                    T.reads()
                    T.writes(B[vi_i_init])
                    B[vi_i_init] = T.float32(0)
        for k, i in T.grid(32, 32):
            with T.block("B"):
                vk_i, vi_i = T.axis.remap("RS", [k, i])
                T.reads(B[vi_i], A[vi_i, vk_i])
                T.writes(B[vi_i])
                B[vi_i] = B[vi_i] + A[vi_i, vk_i]
`,
    );
    expectSameResults(f, mainOf(sch));
  });

  it("keeps a unit outer loop in the outer binding unless preserveUnitIters is false", () => {
    const f = parsePrimFunc(UNIT_BEFORE);
    const a = new Schedule(f);
    a.blockize(a.getLoops(a.getBlock("B"))[2]!);
    expectIR(mainOf(a), UNIT("i0"));
    const b = new Schedule(f);
    b.blockize(b.getLoops(b.getBlock("B"))[2]!, { preserveUnitIters: false });
    expectIR(mainOf(b), UNIT("0"));
    expectSameResults(f, mainOf(b));
    expect(JSON.stringify(b.trace.toJSON()[0][2])).toBe('["Blockize",["l3"],[false],["b5"]]');
    expect(b.trace.toTypeScript()).toContain("const b5 = sch.blockize(l3, { preserveUnitIters: false });");
    expectReplay(b, f);
  });

  it("blockizes a block that is itself an outer block, keeping both inner blocks' srefs", () => {
    const f = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((16, 16), "float32"), B: T.Buffer((16, 16), "float32")):
    for i0, i1, j in T.grid(4, 4, 16):
        with T.block("B"):
            vi = T.axis.spatial(16, i0 * 4 + i1)
            vj = T.axis.spatial(16, j)
            B[vi, vj] = A[vi, vj] * T.float32(2)
`);
    const sch = new Schedule(f);
    const b = sch.getBlock("B");
    const [, i1, j] = sch.getLoops(b);
    const bo = sch.blockize(j!);
    const boo = sch.blockize(i1!);
    expectIR(
      mainOf(sch),
      `
@T.prim_func
def main(A: T.Buffer((16, 16), "float32"), B: T.Buffer((16, 16), "float32")):
    for i0 in range(4):
        with T.block("B_o_o"):
            vi_o_o = T.axis.spatial(4, i0)
            vj_o_o = T.axis.spatial(1, 0)
            T.reads(A[vi_o_o * 4:vi_o_o * 4 + 4, 0:16])
            T.writes(B[vi_o_o * 4:vi_o_o * 4 + 4, 0:16])
            for i1 in range(4):
                with T.block("B_o"):
                    vi_o_i = T.axis.spatial(4, i1)
                    T.reads(A[vi_o_o * 4 + vi_o_i, 0:16])
                    T.writes(B[vi_o_o * 4 + vi_o_i, 0:16])
                    for j in range(16):
                        with T.block("B"):
                            vj_i = T.axis.spatial(16, j)
                            T.reads(A[vi_o_o * 4 + vi_o_i, vj_i])
                            T.writes(B[vi_o_o * 4 + vi_o_i, vj_i])
                            B[vi_o_o * 4 + vi_o_i, vj_i] = A[vi_o_o * 4 + vi_o_i, vj_i] * T.float32(2)
`,
    );
    expect([sch.get(b).nameHint, sch.get(bo).nameHint, sch.get(boo).nameHint]).toEqual(["B", "B_o", "B_o_o"]);
    expect(sch.getLoops(bo).length).toBe(1);
    expectSameResults(f, mainOf(sch));
    expectReplay(sch, f);
  });

  it("divides bindings that are not affine when each uses only outer or only inner loops", () => {
    const f = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((64,), "float32"), B: T.Buffer((8, 8), "float32")):
    for i, j in T.grid(8, 8):
        with T.block("B"):
            vi = T.axis.spatial(8, i * i % 8)
            vj = T.axis.spatial(8, j)
            B[vi, vj] = A[vi * 8 + vj]
`);
    const sch = new Schedule(f);
    sch.blockize(sch.getLoops(sch.getBlock("B"))[1]!);
    expectIR(
      mainOf(sch),
      `
@T.prim_func
def main(A: T.Buffer((64,), "float32"), B: T.Buffer((8, 8), "float32")):
    for i in range(8):
        with T.block("B_o"):
            vi_o = T.axis.spatial(8, i * i % 8)
            vj_o = T.axis.spatial(1, 0)
            T.reads(A[vi_o * 8:vi_o * 8 + 8])
            T.writes(B[vi_o, 0:8])
            for j in range(8):
                with T.block("B"):
                    vj_i = T.axis.spatial(8, j)
                    T.reads(A[vi_o * 8 + vj_i])
                    T.writes(B[vi_o, vj_i])
                    B[vi_o, vj_i] = A[vi_o * 8 + vj_i]
`,
    );
    expectSameResults(f, mainOf(sch));
  });

  it("replays a TVM trace that spells the boolean attr as 1", () => {
    const f = parsePrimFunc(ELEMWISE);
    const sch = new Schedule(f);
    Trace.fromJSON('[[["GetBlock",[],["B","main"],["b0"]],["GetLoops",["b0"],[],["l1","l2"]],["Blockize",["l2"],[1],["b3"]]],[]]').applyTo(sch);
    const ref = new Schedule(f);
    ref.blockize(ref.getLoops(ref.getBlock("B"))[1]!);
    expectIR(mainOf(sch), `
@T.prim_func
def main(A: T.Buffer((32, 32), "float32"), B: T.Buffer((32, 32), "float32")):
    for i in range(32):
        with T.block("B_o"):
            vi_o = T.axis.spatial(32, i)
            vj_o = T.axis.spatial(1, 0)
            T.reads(A[vi_o, 0:32])
            T.writes(B[vi_o, 0:32])
            for j in range(32):
                with T.block("B"):
                    vj_i = T.axis.spatial(32, j)
                    T.reads(A[vi_o, vj_i])
                    T.writes(B[vi_o, vj_i])
                    B[vi_o, vj_i] = A[vi_o, vj_i] * T.float32(2)
`);
  });
});

describe("blockize(blocks)", () => {
  const BLOCKS = `
@T.prim_func
def main(A: T.Buffer((16, 16), "float32"), B: T.Buffer((16, 16), "float32")):
    for m in range(6):
        for i, j in T.grid(3, 1):
            with T.block("B"):
                vi, vj = T.axis.remap("SS", [i, j])
                T.reads(A[vi, vj])
                T.writes(B[vi, vj])
                B[vi, vj] = A[vi, vj] * T.float32(2)
        for i, j in T.grid(16, 8):
            with T.block("C"):
                vi, vj = T.axis.remap("SS", [i, j])
                T.reads(A[vi, vj + 8])
                T.writes(B[vi, vj + 8])
                B[vi, vj + 8] = A[vi, vj + 8] * T.float32(3)
`;

  it("puts two sibling loop nests into one outer block (TVM's outer_<B>_<C>_)", () => {
    const f = parsePrimFunc(BLOCKS);
    const sch = new Schedule(f);
    const outer = sch.blockize([sch.getBlock("B"), sch.getBlock("C")], { preserveUnitIters: false });
    expectIR(
      mainOf(sch),
      `
@T.prim_func
def main(A: T.Buffer((16, 16), "float32"), B: T.Buffer((16, 16), "float32")):
    for m in range(6):
        with T.block("outer_B_C_"):
            vi_o = T.axis.spatial(1, 0)
            vj_o = T.axis.spatial(1, 0)
            T.reads(A[0:16, 0:16])
            T.writes(B[0:16, 0:16])
            for i, j in T.grid(3, 1):
                with T.block("B"):
                    vi_i = T.axis.spatial(3, i)
                    T.reads(A[vi_i, 0])
                    T.writes(B[vi_i, 0])
                    B[vi_i, 0] = A[vi_i, 0] * T.float32(2)
            for i, j in T.grid(16, 8):
                with T.block("C"):
                    vi_i, vj_i = T.axis.remap("SS", [i, j])
                    T.reads(A[vi_i, vj_i + 8])
                    T.writes(B[vi_i, vj_i + 8])
                    B[vi_i, vj_i + 8] = A[vi_i, vj_i + 8] * T.float32(3)
`,
    );
    expect(sch.get(outer).nameHint).toBe("outer_B_C_");
    expectSameResults(f, mainOf(sch));
    expect(JSON.stringify(sch.trace.toJSON()[0][2])).toBe('["Blockize",[["b0","b1"]],[false],["b2"]]');
    expect(sch.trace.toTypeScript()).toContain("const b2 = sch.blockize([b0, b1], { preserveUnitIters: false });");
    expectReplay(sch, f);
  });

  it("wraps a single block in an outer block under its own loop", () => {
    const f = parsePrimFunc(ELEMWISE);
    const sch = new Schedule(f);
    sch.blockize([sch.getBlock("B")]);
    expectIR(
      mainOf(sch),
      `
@T.prim_func
def main(A: T.Buffer((32, 32), "float32"), B: T.Buffer((32, 32), "float32")):
    for i, j in T.grid(32, 32):
        with T.block("outer_B_"):
            vi_o, vj_o = T.axis.remap("SS", [i, j])
            T.reads(A[vi_o, vj_o])
            T.writes(B[vi_o, vj_o])
            with T.block("B"):
                T.reads(A[vi_o, vj_o])
                T.writes(B[vi_o, vj_o])
                B[vi_o, vj_o] = A[vi_o, vj_o] * T.float32(2)
`,
    );
    expectSameResults(f, mainOf(sch));
  });
});

describe("blockize rejections", () => {
  it("rejects a loop with two blocks under it", () => {
    const sch = new Schedule(
      parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((16, 16), "float32"), B: T.Buffer((16, 16), "float32"), C: T.Buffer((16, 16), "float32")):
    for i in range(16):
        for j in range(16):
            with T.block("B"):
                vi, vj = T.axis.remap("SS", [i, j])
                B[vi, vj] = A[vi, vj]
        for j in range(16):
            with T.block("C"):
                vi, vj = T.axis.remap("SS", [i, j])
                C[vi, vj] = B[vi, vj]
`),
    );
    const i = sch.getLoops(sch.getBlock("B"))[0]!;
    const e = expectRejected(sch, () => sch.blockize(i), 'blockize: loop i must lead through a chain of loops to exactly one block, but it has 2 blocks under it ("B", "C")');
    expect(e.message).toContain("for i in range(16):");
  });

  it("rejects bindings that cannot be divided at the loop", () => {
    const sch = new Schedule(
      parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((32,), "float32"), B: T.Buffer((32,), "float32")):
    for i0, i1 in T.grid(8, 4):
        with T.block("B"):
            vi = T.axis.spatial(32, i1 * 8 + i0)
            B[vi] = A[vi]
`),
    );
    const i1 = sch.getLoops(sch.getBlock("B"))[1]!;
    expectRejected(sch, () => sch.blockize(i1), /blockize: the bindings of block "B" cannot be divided into a part over the loops outside loop i1 and a part over the loops from it inwards: /);
  });

  it("rejects a predicate that spans the loops inside and outside (non-divisible split)", () => {
    const sch = new Schedule(
      parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((30,), "float32"), B: T.Buffer((30,), "float32")):
    for i0, i1 in T.grid(4, 8):
        with T.block("B"):
            vi = T.axis.spatial(30, i0 * 8 + i1)
            T.where(i0 * 8 + i1 < 30)
            B[vi] = A[vi]
`),
    );
    const i1 = sch.getLoops(sch.getBlock("B"))[1]!;
    expectRejected(sch, () => sch.blockize(i1), /cannot be divided .*spans both inner and outer loops/);
  });

  const THREE = `
@T.prim_func
def main(A: T.Buffer((8,), "float32"), B: T.Buffer((8,), "float32"), C: T.Buffer((8,), "float32"), D: T.Buffer((8,), "float32")):
    for i in range(8):
        with T.block("B"):
            vi = T.axis.spatial(8, i)
            B[vi] = A[vi]
    for i in range(8):
        with T.block("X"):
            vi = T.axis.spatial(8, i)
            C[vi] = A[vi]
    for i in range(8):
        with T.block("C"):
            vi = T.axis.spatial(8, i)
            D[vi] = B[vi]
`;

  it("rejects blocks that are not adjacent", () => {
    const sch = new Schedule(parsePrimFunc(THREE));
    const b = sch.getBlock("B"), c = sch.getBlock("C");
    expectRejected(sch, () => sch.blockize([b, c]), 'blockize: blocks "B" and "C" are not adjacent under block "root"; the blocks to blockize must be consecutive');
  });

  it("rejects a block listed twice and an empty list", () => {
    const sch = new Schedule(parsePrimFunc(THREE));
    const b = sch.getBlock("B");
    expectRejected(sch, () => sch.blockize([b, b]), 'blockize: block "B" is listed twice');
    expectRejected(sch, () => sch.blockize([]), "blockize: expected a loop or a non-empty list of blocks");
  });

  it("rejects a block nested in another listed block", () => {
    const sch = new Schedule(parsePrimFunc(ELEMWISE));
    const b = sch.getBlock("B");
    const bo = sch.blockize(sch.getLoops(b)[1]!);
    expectRejected(sch, () => sch.blockize([bo, b]), 'blockize: block "B" is nested inside block "B_o"');
  });

  it("rejects blocks of different functions", () => {
    const mod = parseScript(`
@I.ir_module
class Module:
    @T.prim_func
    def f(A: T.Buffer((8,), "float32")):
        for i in range(8):
            with T.block("B"):
                vi = T.axis.spatial(8, i)
                A[vi] = T.float32(1)
    @T.prim_func
    def g(A: T.Buffer((8,), "float32")):
        for i in range(8):
            with T.block("C"):
                vi = T.axis.spatial(8, i)
                A[vi] = T.float32(2)
`);
    const sch = new Schedule(mod);
    const b = sch.getBlock("B", "f"), c = sch.getBlock("C", "g");
    expectRejected(sch, () => sch.blockize([b, c]), 'blockize: blocks "B" and "C" are in different functions');
  });

  it("rejects blocks whose outer iteration differs", () => {
    const sch = new Schedule(
      parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((4, 8), "float32"), B: T.Buffer((4, 8), "float32"), C: T.Buffer((8,), "float32")):
    for m in range(4):
        for i in range(8):
            with T.block("B"):
                vm, vi = T.axis.remap("SS", [m, i])
                B[vm, vi] = A[vm, vi]
        for i in range(8):
            with T.block("C"):
                vi = T.axis.spatial(8, i)
                C[vi] = A[0, vi]
`),
    );
    const b = sch.getBlock("B"), c = sch.getBlock("C");
    expectRejected(sch, () => sch.blockize([b, c]), 'blockize: blocks "B" and "C" do not share their outer iteration: they have 2 and 1 iter vars');
  });

  it("rejects reductions with an init when blockizing several blocks", () => {
    const sch = new Schedule(
      parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((8, 8), "float32"), B: T.Buffer((8,), "float32"), C: T.Buffer((8,), "float32")):
    for i, k in T.grid(8, 8):
        with T.block("B"):
            vi, vk = T.axis.remap("SR", [i, k])
            with T.init():
                B[vi] = T.float32(0)
            B[vi] = B[vi] + A[vi, vk]
    for i, k in T.grid(8, 8):
        with T.block("C"):
            vi, vk = T.axis.remap("SR", [i, k])
            with T.init():
                C[vi] = T.float32(0)
            C[vi] = C[vi] + A[vi, vk]
`),
    );
    const b = sch.getBlock("B"), c = sch.getBlock("C");
    expectRejected(sch, () => sch.blockize([b, c]), /blockize: block "B" is a reduction with an init; blockizing several blocks cannot move an init to the outer block/);
  });
});
