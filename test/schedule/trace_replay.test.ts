/**
 * Record / serialise / replay consistency for every family's instructions: each scenario
 * calls primitives through the API; the trace's JSON text must read back unchanged, replay on
 * a fresh schedule to a structurally equal module, and the replay must record the same text.
 * This catches a kind whose `apply` reads its inputs or attrs in another order or form than
 * the primitive records them.
 */
import { describe, expect, it } from "vitest";
import { parsePrimFunc } from "../../src/tir/script/index.js";
import { structuralEqual } from "../../src/ir/structural.js";
import { PrimFunc } from "../../src/tir/function.js";
import { Schedule, Trace } from "../../src/schedule/index.js";

const matmul = `
@T.prim_func
def main(A: T.Buffer((16, 16), "float32"), B: T.Buffer((16, 16), "float32"), C: T.Buffer((16, 16), "float32")):
    T.func_attr({"tir.noalias": True})
    for i, j, k in T.grid(16, 16, 16):
        with T.block("C"):
            vi, vj, vk = T.axis.remap("SSR", [i, j, k])
            with T.init():
                C[vi, vj] = T.float32(0)
            C[vi, vj] = C[vi, vj] + A[vi, vk] * B[vk, vj]
`;

const twoStage = `
@T.prim_func
def main(A: T.Buffer((16, 32), "float32"), C: T.Buffer((16, 32), "float32")):
    T.func_attr({"tir.noalias": True})
    B = T.alloc_buffer((16, 32))
    for i, j in T.grid(16, 32):
        with T.block("B"):
            vi, vj = T.axis.remap("SS", [i, j])
            B[vi, vj] = A[vi, vj] * T.float32(2)
    for i, j in T.grid(16, 32):
        with T.block("C"):
            vi, vj = T.axis.remap("SS", [i, j])
            C[vi, vj] = B[vi, vj] + T.float32(1)
`;

/** Runs `build` on a fresh schedule, then checks the trace's text, replay and re-recording. */
function roundTrip(source: string, build: (sch: Schedule) => void): string {
  const sch = new Schedule(parsePrimFunc(source), { seed: 3 });
  build(sch);
  const text = sch.trace.toJSONString();
  const trace = Trace.fromJSON(text);
  expect(trace.toJSONString()).toBe(text);
  const again = new Schedule(parsePrimFunc(source), { seed: 99 });
  trace.applyTo(again);
  expect(structuralEqual(again.mod.get("main") as PrimFunc, sch.mod.get("main") as PrimFunc)).toBe(true);
  expect(again.trace.toJSONString()).toBe(text);
  return text;
}

describe("every family's instructions replay from their JSON", () => {
  it("queries: GetChildBlocks, GetProducers, GetConsumers, GetOutputBlocks", () => {
    const text = roundTrip(twoStage, (sch) => {
      const root = sch.getBlock("root");
      const [b, c] = sch.getChildBlocks(root);
      sch.getProducers(c!);
      sch.getConsumers(b!);
      sch.getOutputBlocks(root);
      sch.getChildBlocks(sch.getLoops(c!)[0]!);
    });
    expect(text).toContain('["GetChildBlocks",["b0"],[],["b1","b2"]]');
    expect(text).toContain('["GetOutputBlocks",["b0"],[],["b5"]]');
  });

  it("loops: Split (with a predicate), Fuse, Reorder, AddUnitLoop, Parallel, Vectorize, Unroll, Bind", () => {
    const text = roundTrip(twoStage, (sch) => {
      const b = sch.getBlock("B");
      const [i, j] = sch.getLoops(b);
      const [i0, i1] = sch.split(i!, [undefined, 5]);
      sch.reorder(j!, i1!);
      sch.fuse(i0!, j!);
      sch.addUnitLoop(b);
      const c = sch.getBlock("C");
      const [ci, cj] = sch.getLoops(c);
      sch.parallel(ci!);
      const [cj0, cj1] = sch.split(cj!, [8, undefined]);
      sch.vectorize(cj1!);
      sch.unroll(cj0!);
      sch.bind(sch.addUnitLoop(c), "threadIdx.x");
    });
    expect(text).toContain('["Split",["l1","None",5],[1,0],["l3","l4"]]');
    expect(text).toContain('["Split",["l9",8,"None"],[1,0],["l10","l11"]]');
    expect(text).toContain('["AddUnitLoop",["b7"],[],["l12"]],["Bind",["l12"],["threadIdx.x"],[]]');
  });

  it("compute location: ComputeAt, ReverseComputeAt, ComputeInline, ReverseComputeInline", () => {
    roundTrip(twoStage, (sch) => {
      const [i] = sch.getLoops(sch.getBlock("C"));
      sch.computeAt(sch.getBlock("B"), i!, true);
    });
    roundTrip(twoStage, (sch) => {
      const [i] = sch.getLoops(sch.getBlock("B"));
      sch.reverseComputeAt(sch.getBlock("C"), i!);
    });
    roundTrip(twoStage, (sch) => sch.computeInline(sch.getBlock("B")));
    roundTrip(twoStage, (sch) => sch.reverseComputeInline(sch.getBlock("C")));
  });

  it("sampled compute locations: a loop, the root mark, the inline mark", () => {
    for (const decision of [0, 1, -1, -2]) {
      const text = roundTrip(twoStage, (sch) => {
        const b = sch.getBlock("B");
        sch.computeAt(b, sch.sampleComputeLocation(b, decision));
      });
      expect(text).toContain(`[[1,${decision}]]`);
      expect(text).toContain('["ComputeAt",["b0","l1"],[0,-1],[]]');
    }
  });

  it("caching and layout: CacheRead, CacheWrite, ReIndex, SetScope, StorageAlign, TransformLayout, TransformBlockLayout", () => {
    roundTrip(twoStage, (sch) => {
      const c = sch.getBlock("C");
      sch.cacheRead(c, 0, "shared");
      sch.cacheWrite(c, 0, "local");
    });
    roundTrip(matmul, (sch) => sch.reindex(sch.getBlock("C"), ["write", 0]));
    roundTrip(twoStage, (sch) => {
      const b = sch.getBlock("B");
      sch.setScope(b, 0, "shared");
      sch.storageAlign(b, 0, 0, 16, 1);
    });
    const text = roundTrip(twoStage, (sch) => {
      const b = sch.getBlock("B");
      sch.transformLayout(b, ["write", 0], (i, j) => [j, i]);
      sch.transformBlockLayout(sch.getBlock("C"), "lambda i, j: (j, i)");
    });
    expect(text).toContain('"TransformLayout"');
  });

  it("reductions, blockize, tensorize: DecomposeReduction, RFactor, Blockize, Tensorize", () => {
    roundTrip(matmul, (sch) => {
      const c = sch.getBlock("C");
      const [, , k] = sch.getLoops(c);
      const [k0] = sch.split(k!, [4, undefined]);
      sch.rfactor(k0!, 0);
    });
    roundTrip(matmul, (sch) => {
      const c = sch.getBlock("C");
      sch.decomposeReduction(c, sch.getLoops(c)[1]!);
    });
    const text = roundTrip(matmul, (sch) => {
      const c = sch.getBlock("C");
      const [i] = sch.getLoops(c);
      const [, i1] = sch.split(i!, [undefined, 4]);
      sch.blockize(i1!);
    });
    expect(text).toContain('["Blockize",["l5"],[true],["b6"]]');
    roundTrip(matmul, (sch) => {
      const c = sch.getBlock("C");
      const [i, j, k] = sch.getLoops(c);
      const [i0, i1] = sch.split(i!, [undefined, 4]);
      const [j0, j1] = sch.split(j!, [undefined, 8]);
      const [k0, k1] = sch.split(k!, [undefined, 4]);
      sch.reorder(i0!, j0!, k0!, i1!, j1!, k1!);
      sch.decomposeReduction(c, k0!);
      sch.tensorize(i1!, "weft_fma_f32_4x8");
    });
  });

  it("annotations and sampling: Annotate, Unannotate, EnterPostproc, SampleCategorical, SamplePerfectTile", () => {
    roundTrip(matmul, (sch) => {
      const c = sch.getBlock("C");
      const [i, j] = sch.getLoops(c);
      const v = sch.sampleCategorical([0, 16, 64], [0.2, 0.3, 0.5]);
      sch.annotate(c, "meta_schedule.unroll_explicit", v);
      sch.annotate(i!, "k", "x");
      sch.unannotate(i!, "k");
      const tiles = sch.samplePerfectTile(j!, 2, 4);
      sch.split(j!, tiles);
      sch.enterPostproc();
      sch.annotate(c, "post", [1, 2]);
    });
  });
});
