/**
 * The loop part of the classic CPU matmul schedule: a TVM trace (its JSON as TVM writes it)
 * replays unchanged, and the same schedule on a small matmul computes the same results.
 */
import { describe, expect, it } from "vitest";
import { Schedule, Trace } from "../../src/schedule/index.js";
import { expectIR, expectReplay, expectSameResults, mainOf, parsePrimFunc } from "./loop_test_utils.js";

const matmul = (n: number) =>
  parsePrimFunc(`
@T.prim_func
def main(A: T.Buffer((${n}, ${n}), "float32"), B: T.Buffer((${n}, ${n}), "float32"), C: T.Buffer((${n}, ${n}), "float32")):
    for i, j, k in T.grid(${n}, ${n}, ${n}):
        with T.block("C"):
            vi, vj, vk = T.axis.remap("SSR", [i, j, k])
            T.reads(C[vi, vj], A[vi, vk], B[vk, vj])
            T.writes(C[vi, vj])
            with T.init():
                C[vi, vj] = T.float32(0)
            C[vi, vj] = C[vi, vj] + A[vi, vk] * B[vk, vj]
`);

// The first instructions of the example in spec/trace-json.md (up to the loop kinds).
const tvmTrace =
  '[[["GetBlock",[],["C","main"],["b0"]],["GetLoops",["b0"],[],["l1","l2","l3"]],["SamplePerfectTile",["l1"],[4,64],["v4","v5","v6","v7"]],' +
  '["Split",["l1","v4","v5","v6","v7"],[1,0],["l8","l9","l10","l11"]],["Split",["l2","None",64],[1,0],["l12","l13"]],' +
  '["Reorder",["l8","l12","l9","l10","l3","l11","l13"],[],[]],["Fuse",["l8","l12"],[1],["l14"]],["Parallel",["l14"],[],[]],' +
  '["Vectorize",["l13"],[],[]]],[[2,[8,4,8,4]]]]';

describe("classic matmul loop schedule", () => {
  it("replays TVM's trace JSON unchanged", () => {
    const sch = new Schedule(matmul(1024));
    Trace.fromJSON(tvmTrace).applyTo(sch);
    expect(sch.trace.toJSONString()).toBe(tvmTrace);
    expectIR(sch, `
@T.prim_func
def main(A: T.Buffer((1024, 1024), "float32"), B: T.Buffer((1024, 1024), "float32"), C: T.Buffer((1024, 1024), "float32")):
    for i_0_j_0_fused in T.parallel(128):
        for i_1, i_2, k, i_3 in T.grid(4, 8, 1024, 4):
            for j_1 in T.vectorized(64):
                with T.block("C"):
                    vi = T.axis.spatial(1024, i_0_j_0_fused // 16 * 128 + i_1 * 32 + i_2 * 4 + i_3)
                    vj = T.axis.spatial(1024, i_0_j_0_fused % 16 * 64 + j_1)
                    vk = T.axis.reduce(1024, k)
                    T.reads(C[vi, vj], A[vi, vk], B[vk, vj])
                    T.writes(C[vi, vj])
                    with T.init():
                        C[vi, vj] = T.float32(0)
                    C[vi, vj] = C[vi, vj] + A[vi, vk] * B[vk, vj]
`);
  });

  it("computes the same results on a small matmul, and replays", () => {
    const func = matmul(32);
    const sch = new Schedule(func);
    const c = sch.getBlock("C");
    const [i, j, k] = sch.getLoops(c);
    const [i0, i1, i2, i3] = sch.split(i!, [2, 2, 2, 4]);
    const [j0, j1] = sch.split(j!, [undefined, 8]);
    sch.reorder(i0!, j0!, i1!, i2!, k!, i3!, j1!);
    const f = sch.fuse(i0!, j0!);
    sch.parallel(f);
    sch.vectorize(j1!);
    sch.unroll(i3!);
    expect(sch.getLoops(c).map((l) => `${sch.get(l).loopVar.name}:${sch.get(l).forKind}`)).toEqual([
      "i_0_j_0_fused:parallel",
      "i_1:serial",
      "i_2:serial",
      "k:serial",
      "i_3:unrolled",
      "j_1:vectorized",
    ]);
    expectSameResults(func, mainOf(sch));
    expectReplay(sch, func);
  });
});
