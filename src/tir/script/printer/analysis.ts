/**
 * Small IR queries the printer needs to choose between spellings: constant checks, deep
 * equality of loop bounds, whether a parameter buffer can be inlined into the signature, and
 * variable occurrence counts.
 */
import type { Buffer } from "../../../ir/buffer.js";
import { int32 } from "../../../ir/dtype.js";
import type { BufferLoad, IntImm, PrimExpr, Var } from "../../../ir/expr.js";
import { ExprVisitor } from "../../../ir/expr_functor.js";
import { structuralEqual } from "../../../ir/structural.js";
import type { PrimFunc } from "../../function.js";
import type { BufferStore, DeclBuffer, Stmt } from "../../stmt.js";
import { StmtExprVisitor } from "../../stmt_functor.js";

export function isIntConst(e: PrimExpr, value: number): boolean {
  return e.kind === "IntImm" && (e as IntImm).value === value;
}

/** Equality with free variables compared by identity (TVM's ExprDeepEqual). */
export function exprDeepEqual(a: PrimExpr, b: PrimExpr): boolean {
  if (a === b) return true;
  if (a.kind === "IntImm" && b.kind === "IntImm") return a.dtype === b.dtype && (a as IntImm).value === (b as IntImm).value;
  return structuralEqual(a, b);
}

/** Finds variables in an expression; one shared instance, since printing never nests its use. */
class VarFinder extends ExprVisitor {
  set: ReadonlySet<Var> | undefined;
  found = false;
  override visitExpr(e: PrimExpr): void {
    if (!this.found) super.visitExpr(e);
  }
  override visitVar(v: Var): void {
    if (this.set === undefined || this.set.has(v)) this.found = true;
  }
}
const finder = new VarFinder();

/** Whether `e` mentions a variable of `set` (any variable when `set` is omitted). */
export function mentionsVar(e: PrimExpr, set?: ReadonlySet<Var>): boolean {
  if (e.kind === "IntImm" || e.kind === "FloatImm") return false;
  finder.set = set;
  finder.found = false;
  finder.visitExpr(e);
  return finder.found;
}

class VarCounter extends ExprVisitor {
  counts: Map<Var, number> = new Map();
  override visitVar(v: Var): void {
    this.counts.set(v, (this.counts.get(v) ?? 0) + 1);
  }
}
const varCounter = new VarCounter();

/** Adds the variable occurrences of `e` to `counts`. */
export function countVarsInto(e: PrimExpr, counts: Map<Var, number>): void {
  if (e.kind === "IntImm") return;
  varCounter.counts = counts;
  varCounter.visitExpr(e);
}

/** A buffer TVM prints inline in a signature as `A: T.Buffer((...), "dtype")`. */
export function isSimpleBuffer(b: Buffer): boolean {
  if (b.strides.length !== 0) return false;
  for (const s of b.shape) if (mentionsVar(s)) return false;
  if (mentionsVar(b.elemOffset)) return false;
  if (b.elemOffset.kind === "IntImm" && (b.elemOffset as IntImm).value !== 0) return false;
  // The annotation cannot say an offset whose type differs from the shape's.
  if (b.elemOffset.dtype !== (b.shape[0]?.dtype ?? int32)) return false;
  return (
    b.scope === "global" &&
    b.dataAlignment === 64 &&
    b.offsetFactor === 1 &&
    b.bufferType === "default" &&
    b.axisSeparators.length === 0
  );
}

/** Counts variable occurrences, including the fields of buffers that loads/stores touch. */
class OccurrenceCounter extends StmtExprVisitor {
  readonly counts = new Map<Var, number>();

  override visitVar(v: Var): void {
    this.counts.set(v, (this.counts.get(v) ?? 0) + 1);
  }
  override visitBufferStore(s: BufferStore): void {
    this.visitBuffer(s.buffer);
    super.visitBufferStore(s);
  }
  override visitBufferLoad(e: BufferLoad): void {
    this.visitBuffer(e.buffer);
    super.visitBufferLoad(e);
  }
  override visitStmt(s: Stmt): void {
    if (s.kind === "DeclBuffer") this.visitBuffer((s as DeclBuffer).buffer);
    super.visitStmt(s);
  }
  visitBuffer(b: Buffer): void {
    this.visitExpr(b.data);
    for (const e of b.shape) this.visitExpr(e);
    for (const e of b.strides) this.visitExpr(e);
    this.visitExpr(b.elemOffset);
  }
}

/**
 * Occurrences of every variable in a function: body, parameter list, buffer_map keys and the
 * fields of buffer_map buffers. A handle parameter seen exactly twice (its parameter slot and
 * its buffer_map key) is used for nothing else.
 */
export function countVarOccurrences(func: PrimFunc): Map<Var, number> {
  const c = new OccurrenceCounter();
  c.visitStmt(func.body);
  for (const p of func.params) c.visitExpr(p);
  for (const [k, b] of func.bufferMap) {
    c.visitExpr(k);
    c.visitBuffer(b);
  }
  return c.counts;
}

/** Occurrences of every variable in a statement. */
export function countVarUses(s: Stmt): Map<Var, number> {
  const c = new OccurrenceCounter();
  c.visitStmt(s);
  return c.counts;
}

class RealizeFinder extends StmtExprVisitor {
  found = false;
  override visitStmt(x: Stmt): void {
    if (this.found) return;
    if (x.kind === "BlockRealize") this.found = true;
    else super.visitStmt(x);
  }
  override visitExpr(): void {}
}

/** Whether a BlockRealize occurs anywhere in `s` (stops at the first one). */
export function containsBlockRealize(s: Stmt): boolean {
  const f = new RealizeFinder();
  f.visitStmt(s);
  return f.found;
}
