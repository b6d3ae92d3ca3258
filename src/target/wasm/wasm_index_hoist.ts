/**
 * Loop-invariant index arithmetic, hoisted (a wasm extra pass, after wasm_loops.ts's rewrites).
 *
 * Neither binaryen nor V8 moves code out of loops, so an access `P[rc * 3364 + (f % 392) / 7 * 58
 * + ry * 58 + f % 7 * 8 + rx + 1]` inside `for rc, ry, rx` recomputes every term, divisions of
 * the fused loop var `f` included, at every iteration. For each serial loop (outermost first), the
 * int32 sums in its body are reassociated into (terms invariant in the loop) + (the others) +
 * (constant); the invariant part, and every other invariant non-leaf int32 subexpression, is bound
 * by a LetStmt in front of the loop. Inner loops are processed afterwards, so each piece lands
 * just outside the innermost loop it does not depend on; the constant stays last, where the code
 * generator folds it into the memory instruction's offset (wasm_expr.ts).
 *
 * Exactness: int32 addition wraps, so reassociating a sum changes no bit of it; a hoisted
 * expression is int32 arithmetic on variables defined outside the loop (no loads, no calls), so
 * its value is the same at every iteration. It is evaluated even when the loop runs zero times:
 * only divisions by non-zero constants are allowed in it, so nothing can trap or misbehave.
 */
import { Add, IntImm, Sub, Var, type BinaryOp, type Let, type PrimExpr } from "../../ir/expr.js";
import { int32 } from "../../ir/dtype.js";
import { ExprVisitor } from "../../ir/expr_functor.js";
import { structuralEqual } from "../../ir/structural.js";
import type { PrimFunc } from "../../tir/function.js";
import { Allocate, For, LetStmt, type Stmt } from "../../tir/stmt.js";
import { StmtExprMutator, StmtExprVisitor } from "../../tir/stmt_functor.js";
import { primFuncPass } from "../../tir/transform/index.js";

const ARITH = new Set(["Add", "Sub", "Mul", "Div", "Mod", "FloorDiv", "FloorMod", "Min", "Max"]);
const DIVS = new Set(["Div", "Mod", "FloorDiv", "FloorMod"]);

/** Whether `e` is int32 arithmetic on variables and constants that never divides by a variable or 0. */
function plainIndexArith(e: PrimExpr): boolean {
  if (e.dtype !== int32) return false;
  if (e.kind === "IntImm" || e.kind === "Var" || e.kind === "SizeVar") return true;
  if (!ARITH.has(e.kind)) return false;
  const b = e as BinaryOp;
  if (DIVS.has(e.kind) && !(b.b.kind === "IntImm" && (b.b as IntImm).value !== 0)) return false;
  return plainIndexArith(b.a) && plainIndexArith(b.b);
}

/** Variables a loop defines (its var, inner loop vars, lets, allocations) and whether it holds parallel code. */
function definedIn(f: For): { defined: Set<Var>; parallel: boolean } {
  const defined = new Set<Var>([f.loopVar]);
  let parallel = false;
  new (class extends StmtExprVisitor {
    override visitStmt(s: Stmt): void {
      if (s instanceof For) {
        defined.add(s.loopVar);
        if (s.forKind === "parallel" || s.forKind === "thread_binding") parallel = true;
      } else if (s instanceof LetStmt) defined.add(s.variable);
      else if (s instanceof Allocate) defined.add(s.bufferVar);
      else if (s.kind === "AttrStmt") parallel = true;
      super.visitStmt(s);
    }
    override visitExpr(e: PrimExpr): void {
      if (e.kind === "Let") defined.add((e as Let).variable);
      super.visitExpr(e);
    }
  })().visitStmt(f.body);
  return { defined, parallel };
}

class IndexHoister extends StmtExprMutator {
  private counter = 0;
  /** While rewriting a loop's body: the loop's definitions and the expressions hoisted so far. */
  private scope: { defined: Set<Var>; found: { value: PrimExpr; v: Var }[] } | undefined;

  private invariant(e: PrimExpr): boolean {
    const defined = this.scope!.defined;
    let ok = plainIndexArith(e);
    if (ok) {
      new (class extends ExprVisitor {
        override visitVar(v: Var): void {
          if (defined.has(v)) ok = false;
        }
      })().visitExpr(e);
    }
    return ok;
  }

  private bind(value: PrimExpr): Var {
    const found = this.scope!.found;
    const hit = found.find((c) => structuralEqual(c.value, value, { mapFreeVars: false }));
    if (hit) return hit.v;
    const v = new Var(`idx${this.counter++}`, int32);
    found.push({ value, v });
    return v;
  }

  /** A sum's terms (sign, term), constants folded into `c` (wrapping like int32). */
  private terms(e: PrimExpr, sign: 1 | -1, out: { s: 1 | -1; x: PrimExpr }[], c: { v: number }): void {
    if (e.dtype === int32 && (e.kind === "Add" || e.kind === "Sub")) {
      const b = e as BinaryOp;
      this.terms(b.a, sign, out, c);
      this.terms(b.b, e.kind === "Add" ? sign : (-sign as 1 | -1), out, c);
    } else if (e.kind === "IntImm" && e.dtype === int32) c.v = (c.v + sign * (e as IntImm).value) | 0;
    else out.push({ s: sign, x: e });
  }

  /** An int32 sum as (hoisted invariant terms) + (other terms, rewritten) + constant. */
  private sum(e: PrimExpr): PrimExpr {
    const ts: { s: 1 | -1; x: PrimExpr }[] = [];
    const c = { v: 0 };
    this.terms(e, 1, ts, c);
    const inv = ts.filter((t) => this.invariant(t.x));
    const rest = ts.filter((t) => !this.invariant(t.x));
    const join = (acc: PrimExpr | undefined, t: { s: 1 | -1; x: PrimExpr }): PrimExpr =>
      acc === undefined ? (t.s > 0 ? t.x : new Sub(new IntImm(int32, 0), t.x)) : t.s > 0 ? new Add(acc, t.x) : new Sub(acc, t.x);
    let out: PrimExpr | undefined;
    if (inv.length) {
      const part = inv.reduce<PrimExpr | undefined>(join, undefined)!;
      out = part.kind === "Var" || part.kind === "SizeVar" ? part : this.bind(part);
    }
    for (const t of rest) out = join(out, { s: t.s, x: this.visitExpr(t.x) });
    if (out === undefined) return new IntImm(int32, c.v);
    return c.v === 0 ? out : c.v > 0 ? new Add(out, new IntImm(int32, c.v)) : new Sub(out, new IntImm(int32, -c.v));
  }

  override visitExpr(e: PrimExpr): PrimExpr {
    if (!this.scope || e.dtype !== int32) return super.visitExpr(e);
    if (e.kind === "Add" || e.kind === "Sub") {
      if (this.invariant(e)) return this.bind(e);
      return this.sum(e);
    }
    if (ARITH.has(e.kind) && this.invariant(e)) return this.bind(e);
    return super.visitExpr(e);
  }

  override visitFor(f: For): Stmt {
    if (this.scope) return super.visitFor(f); // collecting for an outer loop: just a statement
    const { defined, parallel } = definedIn(f);
    if (parallel || (f.forKind !== "serial" && f.forKind !== "unrolled")) return this.inner(f);
    this.scope = { defined, found: [] };
    let body: Stmt;
    let found: { value: PrimExpr; v: Var }[];
    try {
      body = this.visitStmt(f.body);
      found = this.scope.found;
    } finally {
      this.scope = undefined;
    }
    let out: Stmt = this.inner(body === f.body ? f : f.with({ body }));
    for (let i = found.length - 1; i >= 0; i--) out = new LetStmt(found[i]!.v, found[i]!.value, out);
    return out;
  }

  /** The loops inside `f` (its own bounds are left as they are). */
  private inner(f: For): For {
    const body = this.visitStmt(f.body);
    return body === f.body ? f : f.with({ body });
  }
}

/** Hoists the loop-invariant int32 index arithmetic of one PrimFunc out of its serial loops. */
export function hoistIndexArithmetic(f: PrimFunc): PrimFunc {
  const body = new IndexHoister().visitStmt(f.body);
  return body === f.body ? f : f.withBody(body);
}

export const WasmHoistIndexArithmetic = primFuncPass("WasmHoistIndexArithmetic", hoistIndexArithmetic);
