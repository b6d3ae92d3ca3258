/**
 * Shared machinery of the reduction primitives (decompose_reduction, rfactor): what they
 * require of the block and scope they transform (TVM's five conditions of a reduction block,
 * the dominance of a block in its scope, the stage-pipeline property of a scope), the path
 * copying both use to rebuild a statement below an ancestor, and variable substitution.
 */
import type { Buffer } from "../../ir/buffer.js";
import { bool } from "../../ir/dtype.js";
import { And, IntImm, type PrimExpr, type Var } from "../../ir/expr.js";
import { ExprMutator, ExprVisitor } from "../../ir/expr_functor.js";
import { BufferStore, type Stmt } from "../../tir/stmt.js";
import { StmtExprMutator, postOrderVisitStmt } from "../../tir/stmt_functor.js";
import { childBlocks } from "../analysis.js";
import { scopeIsStagePipeline } from "../block_info.js";
import { replaceChild } from "../replace.js";
import type { Schedule } from "../schedule.js";
import type { ScheduleState } from "../state.js";
import type { StmtSRef } from "../sref.js";

// ---------------------------------------------------------------- variables
// The visitor classes are defined once: expr_functor's substitute / usesVar / collectVars
// define a class per call, which costs ~10x more and dominated these primitives' time.

class Subst extends ExprMutator {
  constructor(private readonly vmap: ReadonlyMap<Var, PrimExpr>) {
    super();
  }
  override visitVar(v: Var): PrimExpr {
    return this.vmap.get(v) ?? v;
  }
}

class SubstStmt extends StmtExprMutator {
  constructor(private readonly vmap: ReadonlyMap<Var, PrimExpr>) {
    super();
  }
  override visitVar(v: Var): PrimExpr {
    return this.vmap.get(v) ?? v;
  }
}

class Finder extends ExprVisitor {
  found = false;
  constructor(private readonly pred: (v: Var) => boolean) {
    super();
  }
  override visitExpr(e: PrimExpr): void {
    if (!this.found) super.visitExpr(e);
  }
  override visitVar(v: Var): void {
    if (this.pred(v)) this.found = true;
  }
}

class Collector extends ExprVisitor {
  readonly vars: Var[] = [];
  override visitVar(v: Var): void {
    if (!this.vars.includes(v)) this.vars.push(v);
  }
}

/** `e` with variables replaced by `vmap`. */
export function subst(e: PrimExpr, vmap: ReadonlyMap<Var, PrimExpr>): PrimExpr {
  return vmap.size === 0 ? e : new Subst(vmap).visitExpr(e);
}

/** `s` with variables replaced by `vmap` (bindings, regions and bodies of blocks included). */
export function substStmt(s: Stmt, vmap: ReadonlyMap<Var, PrimExpr>): Stmt {
  return vmap.size === 0 ? s : new SubstStmt(vmap).visitStmt(s);
}

/** Whether `e` mentions a variable satisfying `pred`. */
export function mentions(e: PrimExpr, pred: (v: Var) => boolean): boolean {
  const f = new Finder(pred);
  f.visitExpr(e);
  return f.found;
}

/** The variables of `e` in first-use order. */
export function varsIn(e: PrimExpr): Var[] {
  const c = new Collector();
  c.visitExpr(e);
  return c.vars;
}

/** The conjuncts of a predicate `a and b and ...`, left to right. */
export function conjuncts(pred: PrimExpr): PrimExpr[] {
  if (pred instanceof And) return [...conjuncts(pred.a), ...conjuncts(pred.b)];
  return [pred];
}

/** `c0 and c1 and ...` (left-nested), or true for none. */
export function conjoin(cs: readonly PrimExpr[]): PrimExpr {
  return cs.length === 0 ? new IntImm(bool, 1) : cs.reduce((acc, c) => new And(acc, c));
}

// ---------------------------------------------------------------- reduction blocks

const REDUCTION_BLOCK_DEFINITION =
  "A reduction block (1) has an init statement, (2) has quasi-affine iter var bindings, (3) has only " +
  "data-parallel and reduction iter vars, (4) is the only writer of its output buffers in its scope, " +
  "(5) does not index its output buffers with reduction iter vars";

/** A block of the scope other than `blockSRef` that also writes one of its outputs, if any. */
export function otherWriter(state: ScheduleState, scopeSRef: StmtSRef, blockSRef: StmtSRef): { block: StmtSRef; buffer: Buffer } | undefined {
  const written = new Set(blockSRef.block().writes.map((w) => w.buffer));
  for (const c of childBlocks(state, scopeSRef)) {
    if (c === blockSRef) continue;
    const w = c.block().writes.find((r) => written.has(r.buffer));
    if (w) return { block: c, buffer: w.buffer };
  }
  return undefined;
}

/** Why the block is not a reduction block under `scopeSRef` (TVM's numbered conditions), or undefined. */
export function reductionBlockViolation(state: ScheduleState, blockSRef: StmtSRef, scopeSRef: StmtSRef): string | undefined {
  const block = blockSRef.block();
  if (!block.init) return "condition 1 fails: it has no init statement (`with T.init():`)";
  if (!state.blockInfo(blockSRef).affineBinding) {
    return "condition 2 fails: its iter var bindings are not quasi-affine in the loops above it";
  }
  const odd = block.iterVars.find((iv) => iv.iterType !== "DataPar" && iv.iterType !== "CommReduce");
  if (odd) return `condition 3 fails: iter var ${odd.variable.name} is ${odd.iterType}`;
  const other = otherWriter(state, scopeSRef, blockSRef);
  if (other) {
    return `condition 4 fails: block "${other.block.block().nameHint}" also writes buffer ${other.buffer.name} in the same scope`;
  }
  const reduceVars = new Set<Var>(block.iterVars.filter((iv) => iv.iterType === "CommReduce").map((iv) => iv.variable));
  let indexed: BufferStore | undefined;
  postOrderVisitStmt(block.body, (s) => {
    if (!indexed && s instanceof BufferStore && s.indices.some((i) => mentions(i, (v) => reduceVars.has(v)))) indexed = s;
  });
  if (indexed) return `condition 5 fails: a reduction iter var indexes the output buffer ${indexed.buffer.name}`;
  return undefined;
}

/** Throws the primitive's ScheduleError when the block is not a reduction block. */
export function checkReductionBlock(sch: Schedule, primitive: string, blockSRef: StmtSRef, scopeSRef: StmtSRef): void {
  const why = reductionBlockViolation(sch.state, blockSRef, scopeSRef);
  if (why) {
    throw sch.error(
      primitive,
      `block "${blockSRef.block().nameHint}" is not a reduction block: ${why}. ${REDUCTION_BLOCK_DEFINITION}`,
      blockSRef,
      [blockSRef],
    );
  }
}

/**
 * Whether the scope rooted at `scopeSRef` is a stage pipeline as TVM defines it: no
 * write-after-read dependency among its child blocks, and every child's reads covered by what
 * its producers write.
 */
export function isStagePipelineScope(state: ScheduleState, scopeSRef: StmtSRef): boolean {
  if (!scopeIsStagePipeline(state, scopeSRef)) return false;
  return childBlocks(state, scopeSRef).every((c) => state.blockInfo(c).regionCover);
}

/**
 * Path copying: the statement of `top` rebuilt with `at` (a loop or block below it) replaced by
 * `replacement`. Nothing outside the path from `at` to `top` is rebuilt.
 */
export function rebuildUpTo(top: StmtSRef, at: StmtSRef, replacement: Stmt): Stmt {
  if (at === top) return replacement;
  let child: Stmt = at.stmt!;
  let rebuilt = replacement;
  for (let p = at.parent; p; p = p.parent) {
    rebuilt = replaceChild(p.stmt!, child, rebuilt);
    if (p === top) return rebuilt;
    child = p.stmt!;
  }
  throw new Error("internal: rebuildUpTo: `top` is not an ancestor of `at`");
}
