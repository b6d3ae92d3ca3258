/**
 * RemoveNoOp (TVM's `tir.transform.RemoveNoOp`, without its optional dataflow analysis):
 * removes statements that do nothing.
 *
 * - `T.evaluate(e)` of an expression without side effects is a no-op (`T.evaluate(0)`).
 * - Sequences drop their no-ops (an empty one is a no-op; a single survivor replaces it).
 * - A loop whose extent is provably <= 0 (with the ranges of the enclosing loops), or whose
 *   body is a no-op, is a no-op.
 * - An `if` with two no-op branches is a no-op; a no-op else is dropped; a no-op then with a
 *   useful else becomes `if not cond: else`.
 * - LetStmt / AttrStmt / Allocate around a no-op are no-ops; a LetStmt whose variable the body
 *   does not use (and whose value has no side effects) is replaced by its body; a DeclBuffer
 *   whose buffer the body never accesses is replaced by its body; the region under
 *   `pragma_debug_skip_region` is dropped.
 * - A store of the value loaded from the very same location is a no-op.
 *
 * Whenever something is removed, expressions with side effects (impure calls) in it are kept
 * as `T.evaluate(...)`. Linear in the size of the function; copy-on-write.
 */
import type { Buffer } from "../../ir/buffer.js";
import { BufferLoad, IntImm, Not, Range, type PrimExpr, type Var } from "../../ir/expr.js";
import { ExprVisitor } from "../../ir/expr_functor.js";
import { Analyzer } from "../../arith/analyzer.js";
import type { PrimFunc } from "../function.js";
import {
  Allocate, AttrStmt, BufferStore, DeclBuffer, Evaluate, IfThenElse, LetStmt, SeqStmt, noOp, type For, type Stmt,
} from "../stmt.js";
import { StmtExprMutator } from "../stmt_functor.js";
import { primFuncPass, type Pass } from "./pass.js";
import { isPure, storesItsOwnValue } from "./simplify.js";

export const RemoveNoOp: Pass = primFuncPass("RemoveNoOp", (func) => removeNoOp(func));

/** Removes the no-ops of one PrimFunc (the function behind the `RemoveNoOp` pass). */
export function removeNoOp(func: PrimFunc): PrimFunc {
  return func.withBody(new NoOpRemover().visitStmt(func.body));
}

/** TVM's is_no_op: an evaluate of a constant integer or an empty sequence. */
export function isNoOp(s: Stmt | undefined): boolean {
  if (s === undefined) return true;
  if (s instanceof Evaluate) return s.value instanceof IntImm;
  if (s instanceof SeqStmt) return s.seq.length === 0;
  return false;
}

/** A statement keeping only the side effects of evaluating `values`. */
function makeEvaluate(values: readonly PrimExpr[]): Stmt {
  const kept = values.filter((v) => !isPure(v)).map((v) => new Evaluate(v));
  if (kept.length === 0) return noOp();
  return SeqStmt.flatten(kept);
}

class NoOpRemover extends StmtExprMutator {
  private readonly ana = new Analyzer();
  /** Buffers accessed (loaded or stored) anywhere visited so far. */
  private readonly accessed = new Set<Buffer>();
  /** Let variables -> whether a use was seen while visiting their body. */
  private readonly letUses = new Map<Var, boolean>();

  override visitVar(v: Var): PrimExpr {
    if (this.letUses.has(v)) this.letUses.set(v, true);
    return v;
  }

  override visitBufferLoad(e: BufferLoad): PrimExpr {
    this.accessed.add(e.buffer);
    this.noteBufferVars(e.buffer);
    return super.visitBufferLoad(e);
  }

  /** A let variable used in a buffer's shape (or as its data) counts as used. */
  private noteBufferVars(b: Buffer): void {
    if (this.letUses.size === 0) return;
    for (const e of [...b.shape, ...b.strides, b.elemOffset, b.data]) this.scanVars(e);
  }

  private scanVars(e: PrimExpr): void {
    const uses = this.letUses;
    new (class extends ExprVisitor {
      override visitVar(v: Var): void {
        if (uses.has(v)) uses.set(v, true);
      }
    })().visitExpr(e);
  }

  override visitBufferStore(s: BufferStore): Stmt {
    this.accessed.add(s.buffer);
    this.noteBufferVars(s.buffer);
    const r = super.visitBufferStore(s);
    if (r instanceof BufferStore && storesItsOwnValue(r)) {
      return this.visitStmt(makeEvaluate([r.value, ...r.indices]));
    }
    return r;
  }

  override visitFor(f: For): Stmt {
    const ext = this.visitExpr(f.extent);
    if (this.ana.constIntBound(ext).max <= 0) return noOp();
    if (f.loopVar.dtype.isIntegral() && f.loopVar.dtype.lanes === 1) {
      this.ana.bind(f.loopVar, new Range(f.min, ext), true);
    }
    const r = super.visitFor(f);
    const loop = r as For;
    if (loop.extent instanceof IntImm && loop.extent.value <= 0) return noOp();
    return isNoOp(loop.body) ? makeEvaluate([loop.min, loop.extent]) : r;
  }

  override visitStmt(s: Stmt): Stmt {
    switch (s.kind) {
      case "Evaluate": {
        const e = s as Evaluate;
        const v = this.visitExpr(e.value);
        if (v instanceof IntImm) return v === e.value ? e : new Evaluate(v);
        if (isPure(v)) return noOp();
        return v === e.value ? e : new Evaluate(v);
      }
      case "SeqStmt": {
        const q = s as SeqStmt;
        const seq = this.visitStmts(q.seq);
        const kept = seq.filter((x) => !isNoOp(x));
        if (kept.length === seq.length) return seq === q.seq ? q : SeqStmt.flatten(seq);
        if (kept.length === 0) return noOp();
        return SeqStmt.flatten(kept);
      }
      case "IfThenElse":
        return this.visitIf(s as IfThenElse);
      case "LetStmt":
        return this.visitLet(s as LetStmt);
      case "AttrStmt": {
        const a = s as AttrStmt;
        if (a.attrKey === "pragma_debug_skip_region") return noOp();
        const r = super.visitStmt(a) as AttrStmt;
        return isNoOp(r.body) ? makeEvaluate([r.value]) : r;
      }
      case "Allocate": {
        const r = super.visitStmt(s) as Allocate;
        return isNoOp(r.body) ? makeEvaluate(r.extents) : r;
      }
      case "DeclBuffer": {
        const d = s as DeclBuffer;
        const before = this.accessed.has(d.buffer);
        this.accessed.delete(d.buffer);
        const body = this.visitStmt(d.body);
        const used = this.accessed.has(d.buffer);
        if (before) this.accessed.add(d.buffer);
        if (!used) return body;
        this.noteBufferVars(d.buffer);
        return body === d.body ? d : new DeclBuffer(d.buffer, body);
      }
      default:
        return super.visitStmt(s);
    }
  }

  private visitIf(s: IfThenElse): Stmt {
    const r = super.visitStmt(s);
    if (!(r instanceof IfThenElse)) return r;
    const noThen = isNoOp(r.thenCase);
    if (r.elseCase) {
      const noElse = isNoOp(r.elseCase);
      if (noThen && noElse) return makeEvaluate([r.condition]);
      if (noElse) return new IfThenElse(r.condition, r.thenCase);
      if (noThen) return new IfThenElse(new Not(r.condition), r.elseCase);
      return r;
    }
    return noThen ? makeEvaluate([r.condition]) : r;
  }

  private visitLet(s: LetStmt): Stmt {
    const value = this.visitExpr(s.value);
    const outer = this.letUses.get(s.variable);
    this.letUses.set(s.variable, false);
    const body = this.visitStmt(s.body);
    const used = this.letUses.get(s.variable)!;
    if (outer === undefined) this.letUses.delete(s.variable);
    else this.letUses.set(s.variable, outer || used);
    if (isNoOp(body)) return makeEvaluate([value]);
    if (!used && isPure(value)) return body;
    return value === s.value && body === s.body ? s : new LetStmt(s.variable, value, body);
  }
}
