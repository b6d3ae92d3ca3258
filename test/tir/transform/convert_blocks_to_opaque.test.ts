import { describe, expect, it } from "vitest";
import { IRModule } from "../../../src/ir/module.js";
import { parsePrimFunc } from "../../../src/tir/script/index.js";
import { Block, BlockRealize, BufferStore, For, IterVar, TRUE } from "../../../src/tir/stmt.js";
import { PrimFunc } from "../../../src/tir/function.js";
import { Buffer } from "../../../src/ir/buffer.js";
import { FloatImm, IntImm, Range, Var } from "../../../src/ir/expr.js";
import { float32, handle, int32 } from "../../../src/ir/dtype.js";
import { postOrderVisitStmt } from "../../../src/tir/stmt_functor.js";
import { PassError } from "../../../src/tir/transform/pass.js";
import { ConvertBlocksToOpaque } from "../../../src/tir/transform/convert_blocks_to_opaque.js";
import { LowerInitBlock } from "../../../src/tir/transform/lower_init_block.js";
import {
  WORKLOADS, applyPass, expectFuncEqual, expectSameOutputs, matmul, scheduledMatmul,
} from "./block_lowering_helpers.js";

const passes = [LowerInitBlock, ConvertBlocksToOpaque];

describe("ConvertBlocksToOpaque", () => {
  it("substitutes the matmul's iter vars by the loop vars, in the body and in reads/writes", () => {
    expectFuncEqual(
      applyPass(passes, matmul(16)),
      `
@T.prim_func
def main(A: T.Buffer((16, 16), "float32"), B: T.Buffer((16, 16), "float32"), C: T.Buffer((16, 16), "float32")):
    T.func_attr({"tir.noalias": True})
    for i, j, k in T.grid(16, 16, 16):
        with T.block("C"):
            T.reads(A[i, k], B[k, j])
            T.writes(C[i, j])
            if k == 0:
                C[i, j] = T.float32(0)
            C[i, j] = C[i, j] + A[i, k] * B[k, j]
`,
    );
  });

  it("scheduled matmul: composite bindings are substituted; the predicate stays on the realize", () => {
    expectFuncEqual(
      applyPass(passes, scheduledMatmul()),
      `
@T.prim_func
def main(A: T.Buffer((16, 16), "float32"), B: T.Buffer((16, 16), "float32"), C: T.Buffer((16, 16), "float32")):
    T.func_attr({"tir.noalias": True})
    C_global = T.alloc_buffer((16, 16))
    for i_0, j_0 in T.grid(4, 2):
        for i_1_init in range(4):
            for j_1_init in T.vectorized(8):
                with T.block("C_init"):
                    T.reads()
                    T.writes(C_global[i_0 * 4 + i_1_init, j_0 * 8 + j_1_init])
                    C_global[i_0 * 4 + i_1_init, j_0 * 8 + j_1_init] = T.float32(0.0)
        for k_0, i_1, k_1 in T.grid(3, 4, 6):
            for j_1 in T.vectorized(8):
                with T.block("C_update"):
                    T.where(k_0 * 6 + k_1 < 16)
                    T.reads(C_global[i_0 * 4 + i_1, j_0 * 8 + j_1], A[i_0 * 4 + i_1, k_0 * 6 + k_1], B[k_0 * 6 + k_1, j_0 * 8 + j_1])
                    T.writes(C_global[i_0 * 4 + i_1, j_0 * 8 + j_1])
                    C_global[i_0 * 4 + i_1, j_0 * 8 + j_1] = C_global[i_0 * 4 + i_1, j_0 * 8 + j_1] + A[i_0 * 4 + i_1, k_0 * 6 + k_1] * B[k_0 * 6 + k_1, j_0 * 8 + j_1]
        for ax0, ax1 in T.grid(4, 8):
            with T.block("C_global"):
                T.reads(C_global[i_0 * 4 + ax0, j_0 * 8 + ax1])
                T.writes(C[i_0 * 4 + ax0, j_0 * 8 + ax1])
                C[i_0 * 4 + ax0, j_0 * 8 + ax1] = C_global[i_0 * 4 + ax0, j_0 * 8 + ax1]
`,
    );
  });

  it("nested blocks: inner bindings that use outer iter vars are rewritten too", () => {
    const before = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((8, 4), "float32"), B: T.Buffer((8, 4), "float32")):
    for io in range(2):
        with T.block("outer"):
            vo = T.axis.spatial(2, io)
            T.reads(A[vo * 4 : vo * 4 + 4, 0:4])
            T.writes(B[vo * 4 : vo * 4 + 4, 0:4])
            for ii, j in T.grid(4, 4):
                with T.block("inner"):
                    vi = T.axis.spatial(8, vo * 4 + ii)
                    vj = T.axis.spatial(4, j)
                    B[vi, vj] = A[vi, vj] * T.float32(2)
`);
    const after = applyPass(passes, before);
    expectFuncEqual(
      after,
      `
@T.prim_func
def main(A: T.Buffer((8, 4), "float32"), B: T.Buffer((8, 4), "float32")):
    for io in range(2):
        with T.block("outer"):
            T.reads(A[io * 4 : io * 4 + 4, 0:4])
            T.writes(B[io * 4 : io * 4 + 4, 0:4])
            for ii, j in T.grid(4, 4):
                with T.block("inner"):
                    T.reads(A[io * 4 + ii, j])
                    T.writes(B[io * 4 + ii, j])
                    B[io * 4 + ii, j] = A[io * 4 + ii, j] * T.float32(2)
`,
    );
    expectSameOutputs(before, after);
  });

  it("fails naming the function and the block when an init is still there", () => {
    const mod = IRModule.fromFunction(matmul(4), "mm");
    expect(() => ConvertBlocksToOpaque(mod)).toThrow(PassError);
    expect(() => ConvertBlocksToOpaque(mod)).toThrow(
      'ConvertBlocksToOpaque: function "mm": block "C" still has an init (T.init()); expected LowerInitBlock to run first',
    );
  });

  it("rejects a block whose iter value uses its own iter var", () => {
    const A = new Buffer("A", float32, [new IntImm(int32, 4)]);
    const i = new Var("i"), vi = new Var("vi");
    const block = new Block({
      nameHint: "self_ref",
      iterVars: [new IterVar(new Range(new IntImm(int32, 0), new IntImm(int32, 4)), vi, "DataPar")],
      body: new BufferStore(A, new FloatImm(float32, 1), [vi]),
    });
    const loop = new For(i, new IntImm(int32, 0), new IntImm(int32, 4), "serial", new BlockRealize([vi], TRUE, block));
    const a = new Var("a", handle);
    const f = new PrimFunc([a], BlockRealize.of(new Block({ nameHint: "root", body: loop })), new Map([[a, A]]));
    expect(() => ConvertBlocksToOpaque(IRModule.fromFunction(f, "g"))).toThrow(
      'ConvertBlocksToOpaque: function "g": block "self_ref": its iter var vi is used in its own predicate or iter values',
    );
  });

  it.each(WORKLOADS)("%s: every block is opaque and the outputs are unchanged", (_name, make) => {
    const before = make();
    const after = applyPass(passes, before);
    postOrderVisitStmt(after.body, (s) => {
      if (s instanceof Block) expect(s.iterVars).toHaveLength(0);
    });
    expectSameOutputs(before, after);
  });

  it("returns the very same module when every block is already opaque", () => {
    const mod = IRModule.fromFunction(applyPass(passes, matmul(8)), "main");
    expect(ConvertBlocksToOpaque(mod)).toBe(mod);
  });
});
