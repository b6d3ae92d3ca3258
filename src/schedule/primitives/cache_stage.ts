/**
 * The machinery cache_read and cache_write share (TVM's cache_read_write.cc helpers): where the
 * copy stage goes (the lowest statement holding the block and one of its related blocks), the
 * region it copies (the producer's region relaxed over the loops below that point), and the copy
 * stage itself: `for ax0, ax1 in T.grid(...)` around a block `<buffer>_<scope>` that copies one
 * element per iteration.
 */
import { Buffer, BufferRegion } from "../../ir/buffer.js";
import { BufferLoad, IntImm, type PrimExpr, Range, Var } from "../../ir/expr.js";
import * as E from "../../ir/expr_ops.js";
import { substitute } from "../../ir/expr_functor.js";
import { Analyzer } from "../../arith/analyzer.js";
import { relaxRegion } from "../../arith/int_set.js";
import { knownLE } from "../../arith/linear_facts.js";
import {
  Block, BlockRealize, BufferStore, DeclBuffer, For, IterVar, SeqStmt, TRUE, type Stmt,
} from "../../tir/stmt.js";
import { childBlocks, forEachChildStmt, loopDomains } from "../analysis.js";
import type { ScheduleState } from "../state.js";
import type { StmtSRef } from "../sref.js";

/** Where the stage goes: into the body of `loc` (a loop or block), before item `pos` of it. */
export interface CacheLocation {
  loc: StmtSRef;
  pos: number;
}

/** Child blocks of the scope after `blockSRef` that read a buffer it writes (its RAW dependents). */
export function rawConsumers(state: ScheduleState, scope: StmtSRef, blockSRef: StmtSRef): StmtSRef[] {
  const kids = childBlocks(state, scope);
  const at = kids.indexOf(blockSRef);
  const written = new Set(blockSRef.block().writes.map((w) => w.buffer));
  return kids.slice(at + 1).filter((s) => s.block().reads.some((r) => written.has(r.buffer)));
}

/** The statement list a body holds, looking through DeclBuffer wrappers. */
function bodyItems(s: Stmt): number {
  let b = s;
  while (b instanceof DeclBuffer) b = b.body;
  return b instanceof SeqStmt ? b.seq.length : 1;
}

/**
 * TVM's CacheLocDetector: the insertion point is the lowest loop or block whose body contains
 * both `blockSRef` and one of `related`, right before the sequence item holding the first
 * related block that follows it. With no related blocks the stage goes at the end of the scope;
 * when `blockSRef` is never met (cache_read of an input) at the start of the scope.
 */
export function detectCacheLoc(state: ScheduleState, blockSRef: StmtSRef, scope: StmtSRef, related: readonly StmtSRef[]): CacheLocation {
  const scopeBlock = scope.block();
  if (related.length === 0) return { loc: scope, pos: bodyItems(scopeBlock.body) };
  const relatedBlocks = new Set(related.map((r) => r.stmt));
  let visitedBlock = false;
  let visitedRelated = false;
  let loc: StmtSRef | undefined;
  let pos = -1;
  const visit = (s: Stmt): void => {
    if (s instanceof SeqStmt) {
      const prev = visitedBlock;
      visitedBlock = false;
      for (let i = 0; i < s.seq.length; i++) {
        if (pos !== -1) break;
        visit(s.seq[i]!);
        if (visitedBlock && visitedRelated && pos === -1) {
          pos = i;
          break;
        } else if (visitedRelated) {
          break;
        }
      }
      visitedBlock = visitedBlock || prev;
    } else if (s instanceof Block) {
      if (s === scopeBlock) {
        visit(s.body);
        if (visitedRelated && !loc) {
          loc = scope;
          if (!visitedBlock && pos === -1) pos = 0;
        }
        return;
      }
      if (s === blockSRef.stmt) visitedBlock = true;
      else if (relatedBlocks.has(s)) visitedRelated = true;
    } else if (s instanceof For) {
      visit(s.body);
      if (visitedBlock && visitedRelated && !loc && pos !== -1) loc = state.getSRef(s);
    } else {
      forEachChildStmt(s, visit);
    }
  };
  visit(scopeBlock);
  if (!loc || pos < 0) return { loc: scope, pos: 0 };
  return { loc, pos };
}

/** Inserts `stage` as item `pos` of a body (a sequence, or one statement: pos 0 or 1). */
export function insertCacheStage(body: Stmt, pos: number, stage: Stmt): Stmt {
  if (body instanceof DeclBuffer) return new DeclBuffer(body.buffer, insertCacheStage(body.body, pos, stage));
  if (body instanceof SeqStmt) {
    const seq = [...body.seq];
    if (pos > seq.length) throw new Error(`internal: cannot insert at position ${pos} of a sequence of ${seq.length}`);
    seq.splice(pos, 0, stage);
    return new SeqStmt(seq);
  }
  if (pos === 0) return new SeqStmt([stage, body]);
  if (pos === 1) return new SeqStmt([body, stage]);
  throw new Error(`internal: cannot insert at position ${pos} next to a single statement`);
}

/**
 * The region of `region` (a region of `blockSRef`, over its iter vars) touched while the loops
 * between the block and `until` run: bindings substituted, those loops relaxed, and the result
 * kept inside the buffer.
 */
export function relaxBufferRegion(state: ScheduleState, region: BufferRegion, blockSRef: StmtSRef, until: StmtSRef): BufferRegion {
  const block = blockSRef.block();
  const realize = state.realizeOf(block);
  const vmap = new Map<Var, PrimExpr>();
  block.iterVars.forEach((iv, i) => vmap.set(iv.variable, realize.iterValues[i]!));
  const bound = region.region.map((r) => new Range(substitute(r.min, vmap), substitute(r.extent, vmap)));
  const analyzer = new Analyzer();
  const doms = loopDomains(blockSRef, until);
  const shape = region.buffer.shape;
  const relaxed = relaxRegion(bound, doms, analyzer, shape).map((r, i) => clampToDim(r, shape[i]!, analyzer));
  return new BufferRegion(region.buffer, relaxed);
}

/** A range clipped to [0, dim) when both are constants (non-divisible splits over-approximate). */
function clampToDim(r: Range, dim: PrimExpr, analyzer: Analyzer): Range {
  if (!(r.min instanceof IntImm && r.extent instanceof IntImm && dim instanceof IntImm)) {
    // A symbolic dimension split by a constant tile relaxes to [0, ceildiv(n, c) * c): the
    // predicated tail never touches rows n and above, so the region is the whole dimension.
    if (r.min instanceof IntImm && r.min.value === 0 && knownLE(dim, r.extent, analyzer)) return new Range(r.min, dim);
    return r;
  }
  const lo = Math.max(r.min.value, 0);
  const hi = Math.min(r.min.value + r.extent.value, dim.value);
  if (lo === r.min.value && hi === r.min.value + r.extent.value) return r;
  return new Range(new IntImm(r.min.dtype, lo), analyzer.simplify(new IntImm(r.extent.dtype, Math.max(hi - lo, 0))));
}

/** Whether every child block of the scope reading `buffer` lies under `stmtSRef` (TVM's AllConsumersUnderStmt). */
export function allConsumersUnderStmt(state: ScheduleState, buffer: Buffer, scope: StmtSRef, stmtSRef: StmtSRef): boolean {
  const under = new Set(childBlocks(state, stmtSRef));
  return childBlocks(state, scope).every((s) => !s.block().reads.some((r) => r.buffer === buffer) || under.has(s));
}

/**
 * The copy stage of cache_read / cache_write (TVM's MakeCacheStage): loops `ax<i>` over the
 * cached region, a block `<cached buffer>_<scope>` with one spatial iter var `v<i>` per
 * dimension copying `readBuffer` into `writeBuffer`. With the full region the cache has the
 * buffer's shape and the bindings are `min + ax<i>`; otherwise (a compact cache) the cache has
 * the region's extents and the original buffer is indexed at `min + v<i>`.
 */
export function makeCacheStage(
  cacheRegion: BufferRegion,
  readBuffer: Buffer,
  writeBuffer: Buffer,
  storageScope: string,
  fullRegion: boolean,
  outerLoops: ReadonlyMap<Var, Range> = new Map(),
): { stage: Stmt; block: Block } {
  const loopVars: Var[] = [];
  const iterValues: PrimExpr[] = [];
  for (const r of cacheRegion.region) {
    const lv = new Var(`ax${loopVars.length}`, r.extent.dtype);
    loopVars.push(lv);
    iterValues.push(fullRegion ? E.add(r.min, lv) : lv);
  }
  const iterVars: IterVar[] = [];
  const readIdx: PrimExpr[] = [];
  const writeIdx: PrimExpr[] = [];
  const isRead = cacheRegion.buffer === readBuffer;
  cacheRegion.buffer.shape.forEach((dim, i) => {
    const r = cacheRegion.region[i]!;
    const v = new Var(`v${i}`, r.extent.dtype);
    if (fullRegion) {
      iterVars.push(new IterVar(new Range(new IntImm(dim.dtype, 0), dim), v, "DataPar"));
      readIdx.push(v);
      writeIdx.push(v);
    } else {
      iterVars.push(new IterVar(new Range(new IntImm(r.extent.dtype, 0), r.extent), v, "DataPar"));
      // The original buffer is indexed by the region's position, the compact cache from 0.
      (isRead ? readIdx : writeIdx).push(E.add(r.min, v));
      (isRead ? writeIdx : readIdx).push(v);
    }
  });
  const point = (buf: Buffer, idx: readonly PrimExpr[]) =>
    new BufferRegion(buf, idx.map((x) => new Range(x, new IntImm(x.dtype, 1))));
  const block = new Block({
    iterVars,
    reads: [point(readBuffer, readIdx)],
    writes: [point(writeBuffer, writeIdx)],
    nameHint: `${cacheRegion.buffer.name}_${storageScope}`,
    body: new BufferStore(writeBuffer, new BufferLoad(readBuffer, readIdx), writeIdx),
  });
  const predicate = fullRegion ? inBoundsPredicate(cacheRegion, loopVars, iterValues, outerLoops) : TRUE;
  let stage: Stmt = new BlockRealize(iterValues, predicate, block);
  for (let i = loopVars.length - 1; i >= 0; i--) {
    stage = new For(loopVars[i]!, new IntImm(loopVars[i]!.dtype, 0), cacheRegion.region[i]!.extent, "serial", stage);
  }
  return { stage, block };
}

/**
 * Under loops split non-divisibly the copied region can stick out of the buffer for the last
 * iterations (the stage has no share of the producer's predicate). Guard each dimension the
 * analyzer cannot keep inside the buffer with `binding < dim`. (TVM leaves the stage unguarded
 * and reads past the end there; in the usual, divisible case no guard is added.)
 */
function inBoundsPredicate(region: BufferRegion, loopVars: readonly Var[], bindings: readonly PrimExpr[], outer: ReadonlyMap<Var, Range>): PrimExpr {
  const analyzer = new Analyzer();
  for (const [v, r] of outer) analyzer.bind(v, r, true);
  loopVars.forEach((v, i) => analyzer.bind(v, new Range(new IntImm(v.dtype, 0), region.region[i]!.extent), true));
  let pred: PrimExpr = TRUE;
  bindings.forEach((b, i) => {
    const dim = region.buffer.shape[i]!;
    if (!analyzer.canProve(E.lt(b, dim))) pred = E.and(pred, E.lt(b, dim));
    if (!analyzer.canProve(E.ge(b, 0))) pred = E.and(pred, E.ge(b, 0));
  });
  return pred;
}

/** `region` with every min moved by `-offset.min` (a region of a compact cache). */
export function shiftRegion(region: readonly Range[], offset: readonly Range[], analyzer: Analyzer): Range[] {
  return region.map((r, i) => new Range(analyzer.simplify(E.sub(r.min, offset[i]!.min)), r.extent));
}
