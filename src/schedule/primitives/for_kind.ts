/**
 * Loop kinds: parallel, vectorize, bind (a GPU thread axis) and unroll. The first three make
 * iterations of the loop run at once, so (as TVM's ParallelizeComputation) they require the
 * blocks under the loop to form a compact dataflow and to depend on the loop only through
 * data-parallel block iters (a reduction iter may be bound to threadIdx.* for cross-thread
 * reduction). Unroll only changes how the loop is emitted and has no precondition.
 */
import { usesVar } from "../../ir/expr_functor.js";
import type { Var } from "../../ir/expr.js";
import { BlockRealize, BufferStore, type Block, type ForKind, type Stmt } from "../../tir/stmt.js";
import { postOrderVisitStmt } from "../../tir/stmt_functor.js";
import { childBlocks } from "../analysis.js";
import { registerInstructionKind } from "../instruction.js";
import type { LoopRV } from "../rv.js";
import { Schedule } from "../schedule.js";
import type { StmtSRef } from "../sref.js";

declare module "../schedule.js" {
  interface Schedule {
    /** Marks a loop parallel (its iterations run on several CPU threads). */
    parallel(loop: LoopRV): void;
    /** Marks a loop vectorized (its iterations become the lanes of vector operations). */
    vectorize(loop: LoopRV): void;
    /** Marks a loop to be fully unrolled. */
    unroll(loop: LoopRV): void;
    /** Binds a loop to a GPU thread axis: "blockIdx.x/y/z", "threadIdx.x/y/z", "vthread.x/y/z". */
    bind(loop: LoopRV, threadAxis: string): void;
  }
}

const THREAD_AXIS = /^(blockIdx\.[xyz]|threadIdx\.[xyz]|vthread(\.[xyz])?)$/;

const COMPLETE_CONDITIONS = [
  "all block vars are data parallel",
  "local dominant: the block is the only block under the loop that writes its output buffers",
  "no overlap between the buffers the block reads and writes",
];
const REDUCTION_CONDITIONS = [
  "the block has an `init` statement",
  "all the block bindings are quasi-affine expressions of the loops",
  "all block vars are either data parallel or reduction block vars",
  "local dominant: the block is the only block under the loop that writes its output buffers",
  "the reduction block vars are not used to index the output buffers",
];

function parallelize(sch: Schedule, prim: string, loopRV: LoopRV, kind: ForKind, threadAxis?: string): void {
  const s = sch.loopSRef(loopRV, prim);
  const loop = s.loop();
  if (kind === "thread_binding" && !THREAD_AXIS.test(threadAxis ?? "")) {
    throw sch.error(
      prim,
      `unknown thread axis ${JSON.stringify(threadAxis)}; expected one of blockIdx.x/y/z, threadIdx.x/y/z, vthread.x/y/z (or the legacy "vthread")`,
      s,
      [s],
    );
  }
  checkCompactDataflow(sch, prim, s);
  checkParallelizability(sch, prim, s, kind, threadAxis);
  const replaced = loop.with({ forKind: kind, threadTag: kind === "thread_binding" ? threadAxis : undefined });
  sch.state.replace(s, replaced);
}

/** Every block directly under the loop must be a local complete block or a local reduction block. */
function checkCompactDataflow(sch: Schedule, prim: string, loopSRef: StmtSRef): void {
  const blocks = childBlocks(sch.state, loopSRef);
  const writers = new Map<unknown, number>();
  for (const b of blocks) for (const w of new Set(b.block().writes.map((r) => r.buffer))) writers.set(w, (writers.get(w) ?? 0) + 1);
  const dominant = (b: Block): boolean => b.writes.every((w) => writers.get(w.buffer) === 1);
  for (const bs of blocks) {
    const b = bs.block();
    const complete = completeViolation(b, dominant(b));
    if (complete === 0) continue;
    const reduction = reductionViolation(b, dominant(b), sch.state.blockInfo(bs).affineBinding);
    if (reduction === 0) continue;
    throw sch.error(
      prim,
      `The queried subtree root loop ${loopSRef.loop().loopVar.name} in SRef tree does not have compact dataflow, because its child block "${b.nameHint}" ` +
        `is neither a local complete block nor a local reduction block: as a complete block it violates condition #${complete} ` +
        `(${COMPLETE_CONDITIONS[complete - 1]}), as a reduction block condition #${reduction} (${REDUCTION_CONDITIONS[reduction - 1]})`,
      loopSRef,
      [loopSRef, bs],
    );
  }
}

function completeViolation(b: Block, dominant: boolean): number {
  if (b.iterVars.some((iv) => iv.iterType !== "DataPar")) return 1;
  if (!dominant) return 2;
  const written = new Set(b.writes.map((w) => w.buffer));
  if (b.reads.some((r) => written.has(r.buffer))) return 3;
  return 0;
}

function reductionViolation(b: Block, dominant: boolean, affine: boolean): number {
  if (!b.init) return 1;
  if (!affine) return 2;
  if (b.iterVars.some((iv) => iv.iterType !== "DataPar" && iv.iterType !== "CommReduce")) return 3;
  if (!dominant) return 4;
  return reductionIterIndexesOutput(b) ? 5 : 0;
}

function reductionIterIndexesOutput(b: Block): boolean {
  const reduce = new Set<Var>(b.iterVars.filter((iv) => iv.iterType === "CommReduce").map((iv) => iv.variable));
  const written = new Set(b.writes.map((w) => w.buffer));
  let hit = false;
  postOrderVisitStmt(b.body, (x: Stmt) => {
    if (hit || !(x instanceof BufferStore) || !written.has(x.buffer)) return;
    hit = x.indices.some((i) => usesVar(i, (v) => reduce.has(v)));
  });
  return hit;
}

/**
 * Each block under the loop needs an affine binding, and each of its iters whose binding uses
 * the loop variable must be data parallel (or a reduction bound to threadIdx.*).
 */
function checkParallelizability(sch: Schedule, prim: string, loopSRef: StmtSRef, kind: ForKind, threadAxis?: string): void {
  const loop = loopSRef.loop();
  const crossThreadReduction = kind === "thread_binding" && (threadAxis ?? "").startsWith("threadIdx.");
  const visit = (x: Stmt): void => {
    if (!(x instanceof BlockRealize)) return;
    const bs = sch.state.getSRef(x.block);
    if (!bs) return; // blocks inside a tensor intrinsic have no sref
    const block = x.block;
    if (!sch.state.blockInfo(bs).affineBinding) {
      throw sch.error(
        prim,
        `The block "${block.nameHint}" is required to have an affine binding, but its bindings ` +
          `(${x.iterValues.map(String).join(", ")}) are not an affine map of the loops above it`,
        bs,
        [bs],
      );
    }
    block.iterVars.forEach((iv, k) => {
      if (!usesVar(x.iterValues[k]!, (v) => v === loop.loopVar)) return;
      if (iv.iterType === "DataPar") return;
      if (iv.iterType === "CommReduce" && crossThreadReduction) return;
      const what = iv.iterType === "CommReduce" ? "a reduction block iter" : `a block iter of type ${iv.iterType}`;
      const allowed = kind === "thread_binding" ? "data parallel block iters (or reduction iters when binding threadIdx.x/y/z)" : "data parallel block iters";
      throw sch.error(
        prim,
        `loop ${loop.loopVar.name} cannot be ${verb(kind)}: in block "${block.nameHint}", block iter ${iv.variable.name} is ${what} and its binding ` +
          `${x.iterValues[k]} uses ${loop.loopVar.name}; only ${allowed} may depend on the loop`,
        loopSRef,
        [loopSRef, bs],
      );
    });
  };
  postOrderVisitStmt(loop.body, visit);
}

function verb(kind: ForKind): string {
  return kind === "parallel" ? "parallelized" : kind === "vectorized" ? "vectorized" : "bound to a thread axis";
}

Schedule.prototype.parallel = function (this: Schedule, loop: LoopRV): void {
  this.transact("parallel", () => {
    parallelize(this, "parallel", loop, "parallel");
    this.record("Parallel", [loop], [], []);
  });
};

Schedule.prototype.vectorize = function (this: Schedule, loop: LoopRV): void {
  this.transact("vectorize", () => {
    parallelize(this, "vectorize", loop, "vectorized");
    this.record("Vectorize", [loop], [], []);
  });
};

Schedule.prototype.bind = function (this: Schedule, loop: LoopRV, threadAxis: string): void {
  this.transact("bind", () => {
    parallelize(this, "bind", loop, "thread_binding", threadAxis);
    this.record("Bind", [loop], [threadAxis], []);
  });
};

Schedule.prototype.unroll = function (this: Schedule, loop: LoopRV): void {
  this.transact("unroll", () => {
    const s = this.loopSRef(loop, "unroll");
    this.state.replace(s, s.loop().with({ forKind: "unrolled", threadTag: undefined }));
    this.record("Unroll", [loop], [], []);
  });
};

for (const [name, method] of [["Parallel", "parallel"], ["Vectorize", "vectorize"], ["Unroll", "unroll"]] as const) {
  registerInstructionKind({
    name,
    pure: false,
    apply: (sch, inputs) => {
      sch[method](inputs[0] as LoopRV);
      return [];
    },
    toTS: (inputs) => `sch.${method}(${inputs[0]});`,
  });
}

registerInstructionKind({
  name: "Bind",
  pure: false,
  apply: (sch, inputs, attrs) => {
    sch.bind(inputs[0] as LoopRV, attrs[0] as string);
    return [];
  },
  toTS: (inputs, attrs) => `sch.bind(${inputs[0]}, ${JSON.stringify(attrs[0])});`,
});
