/**
 * Queries over the sref tree shared by the primitives: enclosing loops, the scope block,
 * child blocks in execution order, producers / consumers, and block regions expressed over
 * the loops of the scope.
 */
import { BufferRegion, type Buffer } from "../ir/buffer.js";
import { Range, type PrimExpr, type Var } from "../ir/expr.js";
import { substitute } from "../ir/expr_functor.js";
import { Analyzer } from "../arith/analyzer.js";
import { relaxRegion } from "../arith/int_set.js";
import { Block, BlockRealize, For, type Stmt } from "../tir/stmt.js";
import { postOrderVisitStmt } from "../tir/stmt_functor.js";
import type { ScheduleState } from "./state.js";
import type { StmtSRef } from "./sref.js";

/** The loops enclosing `sref` up to (not including) its scope block, outermost first. */
export function loopsAbove(sref: StmtSRef): StmtSRef[] {
  const out: StmtSRef[] = [];
  for (let p = sref.parent; p && p.isLoop; p = p.parent) out.push(p);
  return out.reverse();
}

/** The nearest enclosing block (the scope root) of a block or loop. */
export function scopeOf(sref: StmtSRef): StmtSRef {
  for (let p = sref.parent; p; p = p.parent) if (p.isBlock) return p;
  throw new Error(`internal: ${sref.describe()} has no enclosing block`);
}

/** Blocks directly under `scope` (not nested in other blocks), in execution order. */
export function childBlocks(state: ScheduleState, parent: StmtSRef): StmtSRef[] {
  const stmt = parent.stmt!;
  const out: StmtSRef[] = [];
  const visit = (s: Stmt): void => {
    if (s instanceof BlockRealize) {
      const r = state.getSRef(s.block);
      if (r) out.push(r);
      return;
    }
    forEachChildStmt(s, visit);
  };
  if (stmt instanceof Block) visit(stmt.body);
  else visit((stmt as For).body);
  return out;
}

/** Calls `f` on the direct child statements of `s` (bodies, branches, sequence items). */
export function forEachChildStmt(s: Stmt, f: (c: Stmt) => void): void {
  const any = s as unknown as { seq?: Stmt[]; body?: Stmt; thenCase?: Stmt; elseCase?: Stmt };
  if (s instanceof BlockRealize) return f(s.block);
  if (any.seq) any.seq.forEach(f);
  if (any.thenCase) f(any.thenCase);
  if (any.elseCase) f(any.elseCase);
  if (any.body && !(s instanceof Block)) f(any.body);
  if (s instanceof Block) {
    if (s.init) f(s.init);
    f(s.body);
  }
}

/** Domains of the loops between `sref` and `until` (exclusive), as a map for int-set relaxation. */
export function loopDomains(sref: StmtSRef, until?: StmtSRef): Map<Var, Range> {
  const m = new Map<Var, Range>();
  for (let p = sref.parent; p && p !== until; p = p.parent) {
    if (p.isBlock) break;
    const l = p.loop();
    m.set(l.loopVar, new Range(l.min, l.extent));
  }
  return m;
}

/** The block's regions with its iter vars replaced by their bindings and loops under `scope` relaxed. */
export function regionsInScope(
  state: ScheduleState,
  blockSRef: StmtSRef,
  which: "reads" | "writes",
  analyzer = new Analyzer(),
): BufferRegion[] {
  const block = blockSRef.block();
  const realize = state.realizeOf(block);
  const vmap = new Map<Var, PrimExpr>();
  block.iterVars.forEach((iv, i) => vmap.set(iv.variable, realize.iterValues[i]!));
  const doms = loopDomains(blockSRef);
  return block[which].map((r) => {
    const bound = r.region.map((rg) => new Range(substitute(rg.min, vmap), substitute(rg.extent, vmap)));
    return new BufferRegion(r.buffer, relaxRegion(bound, doms, analyzer));
  });
}

export function writesBuffer(block: Block, buf: Buffer): boolean {
  return block.writes.some((w) => w.buffer === buf);
}
export function readsBuffer(block: Block, buf: Buffer): boolean {
  return block.reads.some((r) => r.buffer === buf);
}

/** Blocks in the same scope that write a buffer `blockSRef` reads, in execution order. */
export function producersOf(state: ScheduleState, blockSRef: StmtSRef): StmtSRef[] {
  const block = blockSRef.block();
  const scope = scopeOf(blockSRef);
  return childBlocks(state, scope).filter(
    (s) => s !== blockSRef && s.block().writes.some((w) => readsBuffer(block, w.buffer)),
  );
}

/** Blocks in the same scope that read a buffer `blockSRef` writes, in execution order. */
export function consumersOf(state: ScheduleState, blockSRef: StmtSRef): StmtSRef[] {
  const block = blockSRef.block();
  const scope = scopeOf(blockSRef);
  return childBlocks(state, scope).filter(
    (s) => s !== blockSRef && s.block().reads.some((r) => writesBuffer(block, r.buffer)),
  );
}

/** All blocks of a function (including the root), in pre-order. */
export function allBlocks(root: Block): Block[] {
  const out: Block[] = [];
  postOrderVisitStmt(root, (s) => {
    if (s instanceof Block) out.push(s);
  });
  return out.reverse();
}
