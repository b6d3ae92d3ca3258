import { describe, expect, it } from "vitest";
import { IRModule } from "../../../src/ir/module.js";
import { parsePrimFunc } from "../../../src/tir/script/index.js";
import { Block } from "../../../src/tir/stmt.js";
import { postOrderVisitStmt } from "../../../src/tir/stmt_functor.js";
import { LowerInitBlock } from "../../../src/tir/transform/lower_init_block.js";
import { WORKLOADS, applyPass, conv2d, expectFuncEqual, expectSameOutputs, matmul } from "./block_lowering_helpers.js";

describe("LowerInitBlock", () => {
  it("guards the matmul init with `vk == 0` in front of the body", () => {
    expectFuncEqual(
      applyPass(LowerInitBlock, matmul(16)),
      `
@T.prim_func
def main(A: T.Buffer((16, 16), "float32"), B: T.Buffer((16, 16), "float32"), C: T.Buffer((16, 16), "float32")):
    T.func_attr({"tir.noalias": True})
    for i, j, k in T.grid(16, 16, 16):
        with T.block("C"):
            vi, vj, vk = T.axis.remap("SSR", [i, j, k])
            T.reads(A[vi, vk], B[vk, vj])
            T.writes(C[vi, vj])
            if vk == 0:
                C[vi, vj] = T.float32(0)
            C[vi, vj] = C[vi, vj] + A[vi, vk] * B[vk, vj]
`,
    );
  });

  it("conjoins every reduction iter var (in order) and compares with the domain min", () => {
    const before = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((8, 10, 4), "float32"), B: T.Buffer((8,), "float32")):
    for i, r, s in T.grid(8, 6, 4):
        with T.block("B"):
            vi = T.axis.spatial(8, i)
            vr = T.axis.reduce((2, 8), r + 2)
            vs = T.axis.reduce(4, s)
            with T.init():
                B[vi] = T.float32(1)
            B[vi] = B[vi] * A[vi, vr, vs]
`);
    expectFuncEqual(
      applyPass(LowerInitBlock, before),
      `
@T.prim_func
def main(A: T.Buffer((8, 10, 4), "float32"), B: T.Buffer((8,), "float32")):
    for i, r, s in T.grid(8, 6, 4):
        with T.block("B"):
            vi = T.axis.spatial(8, i)
            vr = T.axis.reduce((2, 8), r + 2)
            vs = T.axis.reduce(4, s)
            T.reads(A[vi, vr, vs])
            T.writes(B[vi])
            if vr == 2 and vs == 0:
                B[vi] = T.float32(1)
            B[vi] = B[vi] * A[vi, vr, vs]
`,
    );
  });

  it("keeps the init unguarded in a block without reduction iter vars (TVM's behaviour)", () => {
    const before = parsePrimFunc(`
@T.prim_func
def main(B: T.Buffer((8,), "float32")):
    for i in range(8):
        with T.block("B"):
            vi = T.axis.spatial(8, i)
            with T.init():
                B[vi] = T.float32(0)
            B[vi] = B[vi] + T.float32(1)
`);
    expectFuncEqual(
      applyPass(LowerInitBlock, before),
      `
@T.prim_func
def main(B: T.Buffer((8,), "float32")):
    for i in range(8):
        with T.block("B"):
            vi = T.axis.spatial(8, i)
            T.reads()
            T.writes(B[vi])
            B[vi] = T.float32(0)
            B[vi] = B[vi] + T.float32(1)
`,
    );
  });

  it("lowers the inits of nested blocks too", () => {
    const before = parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((2, 4), "float32"), B: T.Buffer((2,), "float32"), S: T.Buffer((1,), "float32")):
    for o in range(1):
        with T.block("outer"):
            vo = T.axis.reduce(1, o)
            T.reads(A[0:2, 0:4])
            T.writes(B[0:2], S[0])
            with T.init():
                S[0] = T.float32(0)
            for i, k in T.grid(2, 4):
                with T.block("inner"):
                    vi, vk = T.axis.remap("SR", [i, k])
                    with T.init():
                        B[vi] = T.float32(0)
                    B[vi] = B[vi] + A[vi, vk]
            S[0] = S[0] + B[0]
`);
    const after = applyPass(LowerInitBlock, before);
    expectFuncEqual(
      after,
      `
@T.prim_func
def main(A: T.Buffer((2, 4), "float32"), B: T.Buffer((2,), "float32"), S: T.Buffer((1,), "float32")):
    for o in range(1):
        with T.block("outer"):
            vo = T.axis.reduce(1, o)
            T.reads(A[0:2, 0:4])
            T.writes(B[0:2], S[0])
            if vo == 0:
                S[0] = T.float32(0)
            for i, k in T.grid(2, 4):
                with T.block("inner"):
                    vi, vk = T.axis.remap("SR", [i, k])
                    T.reads(A[vi, vk])
                    T.writes(B[vi])
                    if vk == 0:
                        B[vi] = T.float32(0)
                    B[vi] = B[vi] + A[vi, vk]
            S[0] = S[0] + B[0]
`,
    );
    expectSameOutputs(before, after);
  });

  it("conv2d: three reduction axes", () => {
    const after = applyPass(LowerInitBlock, conv2d());
    let cond = "";
    postOrderVisitStmt(after.body, (s) => {
      if (s instanceof Block && s.nameHint === "conv2d_nchw") {
        expect(s.init).toBeUndefined();
        cond = String((s.body as unknown as { seq: { condition: unknown }[] }).seq[0]!.condition);
      }
    });
    expect(cond).toBe("v_rc == 0 and v_ry == 0 and v_rx == 0");
  });

  it.each(WORKLOADS)("%s: no init is left and the outputs are unchanged", (_name, make) => {
    const before = make();
    const after = applyPass(LowerInitBlock, before);
    let hadInit = false;
    postOrderVisitStmt(before.body, (s) => {
      if (s instanceof Block && s.init) hadInit = true;
    });
    expect(after === before).toBe(!hadInit);
    postOrderVisitStmt(after.body, (s) => {
      if (s instanceof Block) expect(s.init).toBeUndefined();
    });
    expectSameOutputs(before, after);
  });

  it("returns the very same function (and module) when there is no init", () => {
    const f = applyPass(LowerInitBlock, matmul(8));
    const mod = IRModule.fromFunction(f, "main");
    expect(LowerInitBlock(mod)).toBe(mod);
    expect(LowerInitBlock.name).toBe("LowerInitBlock");
  });
});
