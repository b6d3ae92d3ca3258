import { describe, expect, it } from "vitest";
import { parsePrimFunc, printScript } from "../../src/tir/script/index.js";
import { structuralEqual } from "../../src/ir/structural.js";
import { Block, MatchBufferRegion } from "../../src/tir/stmt.js";
import { postOrderVisitStmt } from "../../src/tir/stmt_functor.js";
import { CPU_INTRINSICS, Schedule, TensorIntrin, Trace, registerFmaF32 } from "../../src/schedule/index.js";
import { expectIR, expectRejected, expectReplay, expectSameResults, mainOf } from "./blockize_helpers.js";

const F32 = `A: T.Buffer((64, 64), "float32"), B: T.Buffer((64, 64), "float32"), C: T.Buffer((64, 64), "float32")`;

/** A 64^3 matmul tiled 4 x 16 x 4 with the tile loops innermost. */
const tiledMatmul = (ti: number, tj: number, tk: number, opts: { dtype?: string; bIndex?: string; sub?: boolean; kinds?: string } = {}) => `
@T.prim_func
def main(A: T.Buffer((64, 64), "${opts.dtype ?? "float32"}"), B: T.Buffer((64, 64), "${opts.dtype ?? "float32"}"), C: T.Buffer((64, 64), "${opts.dtype ?? "float32"}")):
    for i0, j0, k0, i1, j1, k1 in T.grid(${64 / ti}, ${64 / tj}, ${64 / tk}, ${ti}, ${tj}, ${tk}):
        with T.block("C"):
            vi = T.axis.spatial(64, i0 * ${ti} + i1)
            vj = T.axis.spatial(64, j0 * ${tj} + j1)
            vk = T.axis.${opts.kinds ?? "reduce"}(64, k0 * ${tk} + k1)
            with T.init():
                C[vi, vj] = T.${opts.dtype ?? "float32"}(0)
            C[vi, vj] = C[vi, vj] ${opts.sub ? "-" : "+"} A[vi, vk] * B[${opts.bIndex ?? "vk, vj"}]
`;

const TENSORIZED_4x16 = (body: string, strides: boolean) => {
  const st = (n: string) => (strides ? `, strides=("${n}", 1)` : "");
  return `
@T.prim_func
def main(${F32}):
    for i0, j0, k0 in T.grid(16, 4, 16):
        with T.block("C_o"):
            vi_o, vj_o, vk_o = T.axis.remap("SSR", [i0, j0, k0])
            T.reads(A[vi_o * 4:vi_o * 4 + 4, vk_o * 4:vk_o * 4 + 4], B[vk_o * 4:vk_o * 4 + 4, vj_o * 16:vj_o * 16 + 16])
            T.writes(C[vi_o * 4:vi_o * 4 + 4, vj_o * 16:vj_o * 16 + 16])
            A_1 = T.match_buffer(A[vi_o * 4:vi_o * 4 + 4, vk_o * 4:vk_o * 4 + 4], (4, 4)${st("lda")}, offset_factor=1)
            B_1 = T.match_buffer(B[vk_o * 4:vk_o * 4 + 4, vj_o * 16:vj_o * 16 + 16], (4, 16)${st("ldb")}, offset_factor=1)
            C_1 = T.match_buffer(C[vi_o * 4:vi_o * 4 + 4, vj_o * 16:vj_o * 16 + 16], (4, 16)${st("ldc")}, offset_factor=1)
            with T.init():
                for i1, j1 in T.grid(4, 16):
                    with T.block("C_init"):
                        vi_i_init, vj_i_init = T.axis.remap("SS", [i1, j1])
                        T.reads()
                        T.writes(C[vi_o * 4 + vi_i_init, vj_o * 16 + vj_i_init])
                        C[vi_o * 4 + vi_i_init, vj_o * 16 + vj_i_init] = T.float32(0)
${body}`;
};

const TIR_BODY = `            for k, i in T.grid(4, 4):
                for j in T.vectorized(16):
                    C_1[i, j] = C_1[i, j] + A_1[i, k] * B_1[k, j]
`;

const EXTERN_BODY = `            T.call_extern("int32", "weft_ukernel_fma_f32_4x16", C_1.data, C_1.elem_offset, C_1.strides[0], A_1.data, A_1.elem_offset, A_1.strides[0], B_1.data, B_1.elem_offset, B_1.strides[0], 4)
`;

/** uint8 x int8 -> int32 matmul (B stored [n, k], as VNNI wants), tiled for the 16x4 dot product. */
const INT8 = `
@T.prim_func
def main(A: T.Buffer((16, 32), "uint8"), B: T.Buffer((32, 32), "int8"), C: T.Buffer((16, 32), "int32")):
    for i, j0, k0, j1, k1 in T.grid(16, 2, 8, 16, 4):
        with T.block("C"):
            vi = T.axis.spatial(16, i)
            vj = T.axis.spatial(32, j0 * 16 + j1)
            vk = T.axis.reduce(32, k0 * 4 + k1)
            with T.init():
                C[vi, vj] = 0
            C[vi, vj] = C[vi, vj] + T.Cast("int32", A[vi, vk]) * T.Cast("int32", B[vj, vk])
`;

/** The same with B packed as W[n / 16, k / 4, 16, 4] (64 contiguous bytes per tile). */
const INT8_PACKED = `
@T.prim_func
def main(A: T.Buffer((16, 32), "uint8"), W: T.Buffer((2, 8, 16, 4), "int8"), C: T.Buffer((16, 32), "int32")):
    for i, j0, k0, j1, k1 in T.grid(16, 2, 8, 16, 4):
        with T.block("C"):
            vi = T.axis.spatial(16, i)
            vj = T.axis.spatial(32, j0 * 16 + j1)
            vk = T.axis.reduce(32, k0 * 4 + k1)
            with T.init():
                C[vi, vj] = 0
            C[vi, vj] = C[vi, vj] + T.Cast("int32", A[vi, vk]) * T.Cast("int32", W[vj // 16, vk // 4, vj % 16, vk % 4])
`;

describe("tensorize with the fp32 FMA micro-kernel", () => {
  it("tensorizes the 4x16x4 tile of a tiled matmul (blockizing the loop first) and computes the same", () => {
    const f = parsePrimFunc(tiledMatmul(4, 16, 4));
    const sch = new Schedule(f);
    const i1 = sch.getLoops(sch.getBlock("C"))[3]!;
    sch.tensorize(i1, "weft_fma_f32_4x16");
    expectIR(mainOf(sch), TENSORIZED_4x16(TIR_BODY, true));
    expectSameResults(f, mainOf(sch));
    expect(JSON.stringify(sch.trace.toJSON()[0][2])).toBe('["Tensorize",["l4"],["weft_fma_f32_4x16",true],[]]');
    expect(sch.trace.toTypeScript()).toContain('sch.tensorize(l4, "weft_fma_f32_4x16", { preserveUnitIters: true });');
    expectReplay(sch, f);
  });

  it("substitutes the extern micro-kernel call with pointers, offsets and strides", () => {
    const f = parsePrimFunc(tiledMatmul(4, 16, 4));
    const sch = new Schedule(f);
    sch.tensorize(sch.getLoops(sch.getBlock("C"))[3]!, "weft_fma_f32_4x16_extern");
    expectIR(mainOf(sch), TENSORIZED_4x16(EXTERN_BODY, true));
    expectReplay(sch, f);
  });

  it("tensorizes a block produced by blockize; the block RV stays valid", () => {
    const f = parsePrimFunc(tiledMatmul(4, 16, 4));
    const sch = new Schedule(f);
    const outer = sch.blockize(sch.getLoops(sch.getBlock("C"))[3]!);
    sch.tensorize(outer, "weft_fma_f32_4x16");
    expectIR(mainOf(sch), TENSORIZED_4x16(TIR_BODY, true));
    expect(sch.get(outer).nameHint).toBe("C_o");
    expect(sch.get(outer).matchBuffers.length).toBe(3);
    expect(JSON.stringify(sch.trace.toJSON()[0][3])).toBe('["Tensorize",["b7"],["weft_fma_f32_4x16",true],[]]');
    expectSameResults(f, mainOf(sch));
    expectReplay(sch, f);
  });

  it("runs the classic 6x16 schedule: split, reorder, decompose_reduction, tensorize", () => {
    const f = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((48, 32), "float32"), B: T.Buffer((32, 64), "float32"), C: T.Buffer((48, 64), "float32")):
    for i, j, k in T.grid(48, 64, 32):
        with T.block("C"):
            vi, vj, vk = T.axis.remap("SSR", [i, j, k])
            with T.init():
                C[vi, vj] = T.float32(0)
            C[vi, vj] = C[vi, vj] + A[vi, vk] * B[vk, vj]
`);
    const sch = new Schedule(f);
    const c = sch.getBlock("C");
    const [i, j, k] = sch.getLoops(c);
    const [i0, i1] = sch.split(i!, [undefined, 6]);
    const [j0, j1] = sch.split(j!, [undefined, 16]);
    const [k0, k1] = sch.split(k!, [undefined, 4]);
    sch.reorder(i0!, j0!, k0!, i1!, j1!, k1!);
    sch.decomposeReduction(c, k0!);
    sch.tensorize(i1!, "weft_fma_f32_6x16");
    const g = mainOf(sch);
    const impls: Block[] = [];
    postOrderVisitStmt(g.body, (s) => s instanceof Block && s.matchBuffers.length > 0 && impls.push(s));
    expect(impls.map((b) => b.nameHint)).toEqual(["C_update_o"]);
    expectSameResults(f, g);
    expectReplay(sch, f);
  });

  it("gives every tensorized block its own buffers and stride variables", () => {
    const f = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((8, 4), "float32"), B: T.Buffer((4, 8), "float32"), C: T.Buffer((8, 8), "float32"), D: T.Buffer((8, 8), "float32")):
    for i0, i1, j, k in T.grid(2, 4, 8, 4):
        with T.block("C"):
            vi = T.axis.spatial(8, i0 * 4 + i1)
            vj, vk = T.axis.remap("SR", [j, k])
            with T.init():
                C[vi, vj] = T.float32(0)
            C[vi, vj] = C[vi, vj] + A[vi, vk] * B[vk, vj]
    for i0, i1, j, k in T.grid(2, 4, 8, 4):
        with T.block("D"):
            vi = T.axis.spatial(8, i0 * 4 + i1)
            vj, vk = T.axis.remap("SR", [j, k])
            with T.init():
                D[vi, vj] = T.float32(0)
            D[vi, vj] = D[vi, vj] + A[vi, vk] * B[vk, vj]
`);
    const sch = new Schedule(f);
    sch.tensorize(sch.getLoops(sch.getBlock("C"))[1]!, "weft_fma_f32_4x8");
    sch.tensorize(sch.getLoops(sch.getBlock("D"))[1]!, "weft_fma_f32_4x8");
    const g = mainOf(sch);
    const matches: MatchBufferRegion[] = [];
    postOrderVisitStmt(g.body, (s) => s instanceof Block && matches.push(...s.matchBuffers));
    expect(matches.length).toBe(6);
    expect(new Set(matches.map((m) => m.buffer)).size).toBe(6);
    expect(new Set(matches.map((m) => m.buffer.strides[0])).size).toBe(6);
    // Printing and parsing back gives the same function only if no definition is shared.
    expect(structuralEqual(parsePrimFunc(printScript(g)), g)).toBe(true);
    expectSameResults(f, g);
  });

  it("registers other shapes and depths on demand", () => {
    const [tir, ext] = registerFmaF32(2, 8, 2);
    expect([tir, ext]).toEqual(["weft_fma_f32_2x8_k2", "weft_fma_f32_2x8_k2_extern"]);
    const f = parsePrimFunc(tiledMatmul(2, 8, 2));
    const sch = new Schedule(f);
    sch.tensorize(sch.getLoops(sch.getBlock("C"))[3]!, tir);
    expectSameResults(f, mainOf(sch));
    expect(() => registerFmaF32(2, 8, 2)).toThrow(/"weft_fma_f32_2x8_k2" is already registered/);
    expect(() => registerFmaF32(0, 8)).toThrow("registerFmaF32: M must be a positive integer, got 0");
  });
});

describe("tensorize with the int8 16x4 dot product (VNNI shape)", () => {
  it("tensorizes a uint8 x int8 -> int32 matmul tile and computes the same", () => {
    const f = parsePrimFunc(INT8);
    const sch = new Schedule(f);
    sch.tensorize(sch.getLoops(sch.getBlock("C"))[3]!, "weft_dot_i8_16x4");
    expectIR(
      mainOf(sch),
      `
@T.prim_func
def main(A: T.Buffer((16, 32), "uint8"), B: T.Buffer((32, 32), "int8"), C: T.Buffer((16, 32), "int32")):
    for i, j0, k0 in T.grid(16, 2, 8):
        with T.block("C_o"):
            vi_o, vj_o, vk_o = T.axis.remap("SSR", [i, j0, k0])
            T.reads(A[vi_o, vk_o * 4:vk_o * 4 + 4], B[vj_o * 16:vj_o * 16 + 16, vk_o * 4:vk_o * 4 + 4])
            T.writes(C[vi_o, vj_o * 16:vj_o * 16 + 16])
            A_1 = T.match_buffer(A[vi_o, vk_o * 4:vk_o * 4 + 4], (4,), "uint8", offset_factor=1)
            B_1 = T.match_buffer(B[vj_o * 16:vj_o * 16 + 16, vk_o * 4:vk_o * 4 + 4], (16, 4), "int8", strides=("ldb", 1), offset_factor=1)
            C_1 = T.match_buffer(C[vi_o, vj_o * 16:vj_o * 16 + 16], (16,), "int32", offset_factor=1)
            with T.init():
                for j1 in range(16):
                    with T.block("C_init"):
                        vj_i_init = T.axis.spatial(16, j1)
                        T.reads()
                        T.writes(C[vi_o, vj_o * 16 + vj_i_init])
                        C[vi_o, vj_o * 16 + vj_i_init] = 0
            for k in range(4):
                for i_1 in T.vectorized(16):
                    C_1[i_1] = C_1[i_1] + T.Cast("int32", A_1[k]) * T.Cast("int32", B_1[i_1, k])
`,
    );
    expectSameResults(f, mainOf(sch));
    expectReplay(sch, f);
  });

  it("matches a packed 4-D weight tile against the 2-D description (leading unit dimensions)", () => {
    const f = parsePrimFunc(INT8_PACKED);
    const tir = new Schedule(f);
    tir.tensorize(tir.getLoops(tir.getBlock("C"))[3]!, "weft_dot_i8_16x4");
    expectSameResults(f, mainOf(tir));
    const ext = new Schedule(f);
    ext.tensorize(ext.getLoops(ext.getBlock("C"))[3]!, "weft_dot_i8_16x4_extern");
    expectIR(
      mainOf(ext),
      `
@T.prim_func
def main(A: T.Buffer((16, 32), "uint8"), W: T.Buffer((2, 8, 16, 4), "int8"), C: T.Buffer((16, 32), "int32")):
    for i, j0, k0 in T.grid(16, 2, 8):
        with T.block("C_o"):
            vi_o, vj_o, vk_o = T.axis.remap("SSR", [i, j0, k0])
            T.reads(A[vi_o, vk_o * 4:vk_o * 4 + 4], W[vj_o, vk_o, 0:16, 0:4])
            T.writes(C[vi_o, vj_o * 16:vj_o * 16 + 16])
            A_1 = T.match_buffer(A[vi_o, vk_o * 4:vk_o * 4 + 4], (4,), "uint8", offset_factor=1)
            B = T.match_buffer(W[vj_o, vk_o, 0:16, 0:4], (16, 4), "int8", offset_factor=1)
            C_1 = T.match_buffer(C[vi_o, vj_o * 16:vj_o * 16 + 16], (16,), "int32", offset_factor=1)
            with T.init():
                for j1 in range(16):
                    with T.block("C_init"):
                        vj_i_init = T.axis.spatial(16, j1)
                        T.reads()
                        T.writes(C[vi_o, vj_o * 16 + vj_i_init])
                        C[vi_o, vj_o * 16 + vj_i_init] = 0
            T.call_extern("int32", "weft_ukernel_dot_i8_16x4", C_1.data, C_1.elem_offset, A_1.data, A_1.elem_offset, B.data, B.elem_offset)
`,
    );
  });
});

describe("tensorize traces", () => {
  it("replays a TVM trace that tensorizes with TVM's VNNI intrinsic name", () => {
    const f = parsePrimFunc(INT8_PACKED);
    const sch = new Schedule(f);
    Trace.fromJSON(
      '[[["GetBlock",[],["C","main"],["b0"]],["GetLoops",["b0"],[],["l1","l2","l3","l4","l5"]],["Tensorize",["l4"],["dot_16x4_vnni",1],[]]],[]]',
    ).applyTo(sch);
    const ref = new Schedule(f);
    ref.tensorize(ref.getLoops(ref.getBlock("C"))[3]!, "weft_dot_i8_16x4_extern");
    expect(structuralEqual(mainOf(sch), mainOf(ref))).toBe(true);
  });
});

describe("tensorize rejections", () => {
  const at = (text: string, loop = 3) => {
    const sch = new Schedule(parsePrimFunc(text));
    return { sch, loop: sch.getLoops(sch.getBlock("C"))[loop]! };
  };

  it("names the loop whose extent differs", () => {
    const { sch, loop } = at(tiledMatmul(4, 16, 8));
    const e = expectRejected(
      sch,
      () => sch.tensorize(loop, "weft_fma_f32_4x16"),
      'tensorize: block "C_o" does not match intrinsic "weft_fma_f32_4x16": the description\'s loop k has extent 4 but the block\'s has 8',
    );
    expect(e.message).toContain("for i0, j0, k0, i1, j1, k1 in T.grid(16, 4, 8, 4, 16, 8):");
  });

  it("rejects a block whose buffers hold another dtype", () => {
    const { sch, loop } = at(tiledMatmul(4, 16, 4, { dtype: "float16" }));
    expectRejected(sch, () => sch.tensorize(loop, "weft_fma_f32_4x16"), "the description's buffer C holds float32 but the block's buffer C holds float16");
  });

  it("rejects an index pattern that differs (B transposed)", () => {
    registerFmaF32(4, 4);
    const { sch, loop } = at(tiledMatmul(4, 4, 4, { bIndex: "vj, vk" }));
    expectRejected(
      sch,
      () => sch.tensorize(loop, "weft_fma_f32_4x4"),
      "the description accesses B[vk, vj] where the block accesses B[vj_o * 4 + vj_i, vk_o * 4 + vk_i]: index 0 is vj_i from the tile origin, not vk_i",
    );
  });

  it("rejects a tile whose region does not fit the description's tile", () => {
    const { sch, loop } = at(tiledMatmul(4, 16, 4, { bIndex: "vj, vk" }));
    expectRejected(sch, () => sch.tensorize(loop, "weft_fma_f32_4x16"), /the description's tile B\[0:4, 0:16\] has extent 4 in dimension 0 but the block's region B\[vj_o \* 16:vj_o \* 16 \+ 16, vk_o \* 4:vk_o \* 4 \+ 4\] has 16/);
  });

  it("rejects a different computation", () => {
    const { sch, loop } = at(tiledMatmul(4, 16, 4, { sub: true }));
    expectRejected(sch, () => sch.tensorize(loop, "weft_fma_f32_4x16"), /the description computes C\[vi, vj\] \+ A\[vi, vk\] \* B\[vk, vj\] where the block computes C\[.*\] - A\[.*\] \* B\[.*\]/);
  });

  it("rejects a block without the reduction structure", () => {
    const f = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((4, 4), "float32"), B: T.Buffer((4, 16), "float32"), C: T.Buffer((4, 16), "float32")):
    for i, j, k in T.grid(4, 16, 4):
        with T.block("C"):
            vi, vj, vk = T.axis.remap("SSS", [i, j, k])
            C[vi, vj] = C[vi, vj] + A[vi, vk] * B[vk, vj]
`);
    const sch = new Schedule(f);
    const i = sch.getLoops(sch.getBlock("C"))[0]!;
    expectRejected(sch, () => sch.tensorize(i, "weft_fma_f32_4x16"), 'iter var vk of the description\'s block "update" is CommReduce but vk_i of the block\'s is DataPar');
  });

  it("rejects a loop kind that differs", () => {
    const f = parsePrimFunc(`
@T.prim_func
def main(${F32}):
    for i0, j0, k0, i1 in T.grid(16, 4, 16, 4):
        for j1 in T.vectorized(16):
            for k1 in range(4):
                with T.block("C"):
                    vi = T.axis.spatial(64, i0 * 4 + i1)
                    vj = T.axis.spatial(64, j0 * 16 + j1)
                    vk = T.axis.reduce(64, k0 * 4 + k1)
                    C[vi, vj] = C[vi, vj] + A[vi, vk] * B[vk, vj]
`);
    const sch = new Schedule(f);
    const i1 = sch.getLoops(sch.getBlock("C"))[3]!;
    expectRejected(sch, () => sch.tensorize(i1, "weft_fma_f32_4x16"), "the description's loop j is serial but the block's loop j1 is vectorized");
  });

  it("rejects an unknown intrinsic, listing the registered ones", () => {
    const { sch, loop } = at(tiledMatmul(4, 16, 4));
    const e = expectRejected(sch, () => sch.tensorize(loop, "weft_mma_f32_3x3"), 'tensorize: no tensor intrinsic named "weft_mma_f32_3x3" (registered: ');
    for (const n of CPU_INTRINSICS) expect(e.message).toContain(n);
  });

  it("rejects a block that is tensorized already", () => {
    const { sch } = at(tiledMatmul(4, 16, 4));
    const outer = sch.blockize(sch.getLoops(sch.getBlock("C"))[3]!);
    sch.tensorize(outer, "weft_fma_f32_4x16");
    expectRejected(sch, () => sch.tensorize(outer, "weft_fma_f32_4x16"), 'tensorize: block "C_o" already has match_buffers (is it tensorized already?)');
  });

  it("rejects the root block", () => {
    const { sch } = at(tiledMatmul(4, 16, 4));
    const root = sch.getBlock("root");
    expectRejected(sch, () => sch.tensorize(root, "weft_fma_f32_4x16"), "tensorize: cannot tensorize the root block of a function");
  });

  it("rejects a strided tile for an implementation that needs a contiguous one", () => {
    const sch = new Schedule(parsePrimFunc(INT8));
    const j1 = sch.getLoops(sch.getBlock("C"))[3]!;
    expectRejected(
      sch,
      () => sch.tensorize(j1, "weft_dot_i8_16x4_extern"),
      'tensorize: intrinsic "weft_dot_i8_16x4_extern" needs a contiguous tile of B (its implementation declares B without strides), but B[vj_o * 16:vj_o * 16 + 16, vk_o * 4:vk_o * 4 + 4] is not contiguous in a buffer of shape (32, 32)',
    );
  });

  it("rejects a tile guarded by a predicate", () => {
    const f = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((60, 64), "float32"), B: T.Buffer((64, 64), "float32"), C: T.Buffer((60, 64), "float32")):
    for i0, j0, k0 in T.grid(16, 4, 16):
        with T.block("C_o"):
            vi_o, vj_o, vk_o = T.axis.remap("SSR", [i0, j0, k0])
            T.where(i0 < 15)
            for i1, j1, k1 in T.grid(4, 16, 4):
                with T.block("C"):
                    vi_i, vj_i, vk_i = T.axis.remap("SSR", [i1, j1, k1])
                    C[vi_o * 4 + vi_i, vj_o * 16 + vj_i] = C[vi_o * 4 + vi_i, vj_o * 16 + vj_i] + A[vi_o * 4 + vi_i, vk_o * 4 + vk_i] * B[vk_o * 4 + vk_i, vj_o * 16 + vj_i]
`);
    const sch = new Schedule(f);
    const b = sch.getBlock("C_o");
    expectRejected(sch, () => sch.tensorize(b, "weft_fma_f32_4x16"), 'block "C_o" does not match intrinsic "weft_fma_f32_4x16": the block is guarded by the predicate i0 < 15');
  });
});

describe("TensorIntrin registry", () => {
  const DESC = `
@T.prim_func
def desc(a: T.handle, c: T.handle):
    A = T.match_buffer(a, (4,), "float32", offset_factor=1)
    C = T.match_buffer(c, (4,), "float32", offset_factor=1)
    with T.block("root"):
        T.reads(A[0:4])
        T.writes(C[0:4])
        for i in range(4):
            with T.block("copy"):
                vi = T.axis.spatial(4, i)
                C[vi] = A[vi]
`;

  it("registers an intrinsic and rejects a second registration of the name", () => {
    const d = parsePrimFunc(DESC);
    const t = TensorIntrin.register("test_copy4", d, d);
    expect(TensorIntrin.get("test_copy4")).toBe(t);
    expect(TensorIntrin.names()).toContain("test_copy4");
    expect(() => TensorIntrin.register("test_copy4", d, d)).toThrow('an intrinsic named "test_copy4" is already registered');
    expect(TensorIntrin.register("test_copy4", d, d, { override: true }).name).toBe("test_copy4");
  });

  it("checks that description and implementation agree", () => {
    const d = parsePrimFunc(DESC);
    const one = parsePrimFunc(`
@T.prim_func
def impl(a: T.handle):
    A = T.match_buffer(a, (4,), "float32", offset_factor=1)
    with T.block("root"):
        T.reads(A[0:4])
        T.writes(A[0:4])
        A[0] = A[0]
`);
    expect(() => TensorIntrin.register("test_bad", d, one)).toThrow('TensorIntrin.register("test_bad"): the description has 2 parameters but the implementation has 1');
    const half = parsePrimFunc(DESC.replace(/"float32"/g, '"float16"'));
    expect(() => TensorIntrin.register("test_bad", d, half)).toThrow("parameter 0 is float32 (4) in the description but float16 (4) in the implementation");
    const unread = parsePrimFunc(DESC.replace("T.reads(A[0:4])", "T.reads()"));
    expect(() => TensorIntrin.register("test_bad", unread, d)).toThrow("buffer A of the description appears in neither T.reads nor T.writes of its root block");
  });

  it("says which names exist when one is missing", () => {
    expect(() => TensorIntrin.get("nope")).toThrow(/no tensor intrinsic named "nope" \(registered: .*weft_dot_i8_16x4.*\)/);
  });
});

describe("shape-named intrinsics", () => {
  it("resolves an fp32 FMA shape on first use by name", async () => {
    const { TensorIntrin } = await import("../../src/schedule/index.js");
    const name = "weft_fma_f32_3x8_k5_extern";
    expect(TensorIntrin.names()).not.toContain(name);
    const t = TensorIntrin.get(name);
    expect(t.name).toBe(name);
    expect(() => TensorIntrin.get("weft_fma_f32_axb")).toThrow(/no tensor intrinsic named "weft_fma_f32_axb"/);
  });
});
