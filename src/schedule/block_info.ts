/**
 * The flags the schedule keeps per block (TensorIR's BlockInfo): whether its bindings are
 * affine in the loops above it, whether its reads are covered by what its producers write,
 * and whether its scope is a stage pipeline (each buffer written by one block, no write after
 * a read). Primitives such as compute_at consult them before transforming.
 */
import { Analyzer } from "../arith/analyzer.js";
import { isAffineBinding } from "../arith/iter_map.js";
import * as E from "../ir/expr_ops.js";
import { childBlocks, loopDomains, producersOf, regionsInScope, scopeOf } from "./analysis.js";
import type { ScheduleState } from "./state.js";
import type { StmtSRef } from "./sref.js";
import type { Buffer } from "../ir/buffer.js";

export interface BlockInfo {
  readonly affineBinding: boolean;
  readonly regionCover: boolean;
  readonly stagePipeline: boolean;
}

export function computeBlockInfo(state: ScheduleState, sref: StmtSRef): BlockInfo {
  const block = sref.block();
  if (!sref.parent) return { affineBinding: true, regionCover: true, stagePipeline: scopeIsStagePipeline(state, sref) };
  const realize = state.realizeOf(block);
  const analyzer = new Analyzer();
  const doms = loopDomains(sref);
  for (const [v, r] of doms) analyzer.bind(v, r);
  const affineBinding =
    block.iterVars.length === 0 || isAffineBinding(realize.iterValues, doms, realize.predicate, analyzer);
  return {
    affineBinding,
    regionCover: readsCovered(state, sref, analyzer),
    stagePipeline: scopeIsStagePipeline(state, scopeOf(sref)),
  };
}

function readsCovered(state: ScheduleState, sref: StmtSRef, analyzer: Analyzer): boolean {
  const producers = producersOf(state, sref);
  if (producers.length === 0) return true;
  const reads = regionsInScope(state, sref, "reads", analyzer);
  for (const r of reads) {
    const writes = producers.flatMap((p) => regionsInScope(state, p, "writes", analyzer).filter((w) => w.buffer === r.buffer));
    if (writes.length === 0) continue;
    const covered = writes.some((w) =>
      w.region.every((wr, d) => {
        const rr = r.region[d]!;
        return (
          analyzer.canProve(E.le(wr.min, rr.min)) &&
          analyzer.canProve(E.le(E.add(rr.min, rr.extent), E.add(wr.min, wr.extent)))
        );
      }),
    );
    if (!covered) return false;
  }
  return true;
}

function scopeIsStagePipeline(state: ScheduleState, scope: StmtSRef): boolean {
  const writers = new Map<Buffer, number>();
  const readSoFar = new Set<Buffer>();
  for (const c of childBlocks(state, scope)) {
    const b = c.block();
    for (const w of b.writes) {
      // A write after another block already read the buffer is a WAR dependency.
      if (readSoFar.has(w.buffer) && !b.reads.some((r) => r.buffer === w.buffer)) return false;
      writers.set(w.buffer, (writers.get(w.buffer) ?? 0) + 1);
    }
    for (const r of b.reads) readSoFar.add(r.buffer);
  }
  return true;
}
