/**
 * The flags the schedule keeps per block (TensorIR's BlockInfo): whether its bindings are
 * affine in the loops above it, whether its reads are covered by what its producers write,
 * and whether its scope is a stage pipeline (each buffer written by one block, no write after
 * a read). Primitives such as compute_at consult them before transforming.
 */
import { Analyzer } from "../arith/analyzer.js";
import { detectIterMap } from "../arith/iter_map.js";
import { knownLE } from "../arith/linear_facts.js";
import type { PrimExpr, Range, Var } from "../ir/expr.js";
import * as E from "../ir/expr_ops.js";
import { childBlocks, loopDomains, producersOf, regionsInScope, scopeOf } from "./analysis.js";
import type { ScheduleState } from "./state.js";
import type { StmtSRef } from "./sref.js";
import type { BlockRealize } from "../tir/stmt.js";
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
  const affineBinding = block.iterVars.length === 0 || affineMemo(realize, doms, analyzer);
  return {
    affineBinding,
    regionCover: readsCovered(state, sref, analyzer),
    stagePipeline: scopeIsStagePipeline(state, scopeOf(sref)),
  };
}

// The affine flag depends only on the realize (bindings, predicate) and the loop domains above
// it, which most primitives (reorder, parallel, annotate, ...) leave untouched; the state drops
// its cached flags on every replace, so remember the costly iterator-map detection here.
const affineCache = new WeakMap<BlockRealize, { doms: ReadonlyMap<Var, Range>; value: boolean }>();

function affineMemo(realize: BlockRealize, doms: ReadonlyMap<Var, Range>, analyzer: Analyzer): boolean {
  const hit = affineCache.get(realize);
  const same = (a: ReadonlyMap<Var, Range>): boolean => {
    if (a.size !== doms.size) return false;
    for (const [v, r] of doms) {
      const o = a.get(v);
      if (!o || o.min !== r.min || o.extent !== r.extent) return false;
    }
    return true;
  };
  if (hit && same(hit.doms)) return hit.value;
  const value = isAffineBlockBinding(realize.iterValues, doms, realize.predicate, analyzer);
  affineCache.set(realize, { doms, value });
  return value;
}

/**
 * TVM's IsAffineBinding: the bindings are a surjective iterator map of the loops in which each
 * binding is one iterator of scale 1 plus an offset (so `l * 16` over a loop l is not affine).
 */
export function isAffineBlockBinding(
  values: readonly PrimExpr[],
  doms: ReadonlyMap<Var, Range>,
  predicate: PrimExpr,
  analyzer: Analyzer = new Analyzer(),
): boolean {
  if (doms.size === 0) return true;
  const r = detectIterMap(values, doms, predicate, "surjective", analyzer);
  if (r.errors.length > 0) return false;
  return r.indices.every((sum) => sum.args.length === 0 || E.isConstInt(sum.args[0]!.scale, 1));
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
        // As TVM, both regions are clipped to the buffer's extent first: a predicated tile
        // (non-divisible split) relaxes past the end of the buffer without accessing it.
        const size = r.buffer.shape[d]!;
        const lo = (x: Range) => E.max(x.min, 0);
        // A symbolic tail (`ceildiv(n, 48) * 48` rows for a buffer of n) is clipped by the
        // linear facts, which know the rounded-up extent is at least n; the analyzer alone
        // cannot simplify `min(ceildiv(n, 48) * 48, n)`.
        const hi = (x: Range) => {
          const end = E.add(x.min, x.extent);
          if (knownLE(size, end, analyzer)) return size;
          return knownLE(end, size, analyzer) ? end : E.min(end, size);
        };
        return analyzer.canProve(E.le(lo(wr), lo(rr))) && knownLE(hi(rr), hi(wr), analyzer);
      }),
    );
    if (!covered) return false;
  }
  return true;
}

/** Whether the blocks directly under `scope` have no write-after-read dependency (region cover not included). */
export function scopeIsStagePipeline(state: ScheduleState, scope: StmtSRef): boolean {
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
