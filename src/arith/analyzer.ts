/**
 * Analyzer: the one entry point to weft's integer arithmetic. It holds what is known about
 * variables (ranges from loop domains, values from `bind(v, expr)`, facts from enclosing
 * conditions) and answers questions with the sub-analyzers: rewrite simplification (the rule
 * table in rewrite_rules.ts), canonical simplification, constant integer bounds and modular
 * sets.
 *
 * Every answer is memoized per analyzer, keyed by node object. `bind` drops the memo tables;
 * `withConstraint` works on fresh tables and gives the outer ones back afterwards, since what
 * was true outside stays true.
 */
import { Add, IntImm, LT, Not, PrimExpr, Range, Sub, Var } from "../ir/expr.js";
import { usesVar } from "../ir/expr_functor.js";
import type { ConstIntBound } from "./const_int_bound.js";
import type { ModularSet } from "./modular_set.js";
import { AnalyzerContext, Caches, isIndex, type Binding } from "./analyzer_context.js";
import { CMP_EQ } from "./canonical_simplify.js";
import { sameExpr } from "./pattern.js";

export type { ConstIntBound } from "./const_int_bound.js";
export type { ModularSet } from "./modular_set.js";

function describeBound(b: ConstIntBound): string {
  return b.min === b.max ? `the value ${b.min}` : `values in [${b.min}, ${b.max}]`;
}

function describe(x: unknown): string {
  if (x === null || x === undefined) return String(x);
  if (typeof x === "object") return (x as { kind?: string }).kind ?? "an object";
  return typeof x;
}

function checkExpr(method: string, e: unknown): asserts e is PrimExpr {
  if (!(e instanceof PrimExpr)) throw new TypeError(`Analyzer.${method}: expected a PrimExpr, got ${describe(e)}`);
}

export class Analyzer {
  private readonly ctx = new AnalyzerContext();

  // ------------------------------------------------------------ what is known

  /**
   * Declares that `v` ranges over `range` (e.g. a loop variable) or equals `expr`. Binding an
   * already bound variable to something else throws unless `allowOverride` is set.
   */
  bind(v: Var, range: Range | PrimExpr, allowOverride = false): void {
    if (!(v instanceof Var)) throw new TypeError(`Analyzer.bind: expected a Var to bind, got ${describe(v)}`);
    if (!v.dtype.isIntegral() || v.dtype.lanes !== 1) {
      throw new TypeError(`Analyzer.bind: variable "${v.name}" is ${v.dtype}; only scalar integer variables can be bound`);
    }
    let binding: Binding;
    if (range instanceof Range) {
      if (range.extent instanceof IntImm && range.extent.value === 1) {
        binding = { range, ...this.valueBinding(v, range.min) };
      } else if (range.min instanceof IntImm && range.extent instanceof IntImm) {
        binding = { range, bound: { min: range.min.value, max: range.min.value + range.extent.value - 1 } };
      } else {
        const lo = this.constIntBound(range.min).min;
        const last = this.canonicalSimplify(new Add(range.min, new Sub(range.extent, new IntImm(range.extent.dtype, 1))));
        binding = { range, bound: { min: lo, max: this.constIntBound(last).max } };
      }
    } else {
      checkExpr("bind", range);
      binding = this.valueBinding(v, range);
    }
    const old = this.ctx.bindings.get(v);
    if (old && !allowOverride) {
      if (sameBinding(old, binding)) return;
      throw new Error(
        `Analyzer.bind: variable "${v.name}" is already bound (to ${describeBound(old.bound)}); ` +
          `rebinding it (to ${describeBound(binding.bound)}) needs allowOverride = true`,
      );
    }
    this.ctx.bindings.set(v, binding);
    this.ctx.invalidate();
  }

  private valueBinding(v: Var, value: PrimExpr): Binding {
    if (usesVar(value, (u) => u === v)) {
      throw new Error(`Analyzer.bind: variable "${v.name}" cannot be bound to an expression that uses it`);
    }
    const simplified = this.simplify(value);
    return { value: simplified, bound: this.constIntBound(simplified), modular: this.modularSet(simplified) };
  }

  /** The range `v` was bound to, if any. */
  getRange(v: Var): Range | undefined {
    return this.ctx.bindings.get(v)?.range;
  }

  /** Runs `f` with `cond` assumed true (e.g. inside an if-branch); returns what `f` returns. */
  withConstraint<T>(cond: PrimExpr, f: () => T): T {
    checkExpr("withConstraint", cond);
    if (!cond.dtype.isBool() || cond.dtype.lanes !== 1) {
      throw new TypeError(`Analyzer.withConstraint: the condition must be a scalar bool expression, got ${cond.dtype}`);
    }
    return this.ctx.withConstraint(cond, f);
  }

  // ------------------------------------------------------------ simplification

  /** Simplifies an expression: rewrite rules, then canonical form, then rules again, until stable. */
  simplify(e: PrimExpr): PrimExpr {
    checkExpr("simplify", e);
    return this.ctx.simplify(e);
  }

  /** Only the rewrite rules (no canonical form). */
  rewriteSimplify(e: PrimExpr): PrimExpr {
    checkExpr("rewriteSimplify", e);
    return this.ctx.run(() => this.ctx.rewriter.simplify(e));
  }

  /** Only the canonical form (sums of split terms); non-linear parts still see the rules. */
  canonicalSimplify(e: PrimExpr): PrimExpr {
    checkExpr("canonicalSimplify", e);
    return this.ctx.run(() => this.ctx.canonical.simplify(e));
  }

  /**
   * Rewrite-simplifies `e` from scratch and lists the rules that fired, in order: for
   * debugging a simplification and for testing the rule table.
   */
  traceRewrite(e: PrimExpr): { result: PrimExpr; rules: string[] } {
    checkExpr("traceRewrite", e);
    const ctx = this.ctx;
    const rules: string[] = [];
    const saved = ctx.caches;
    ctx.caches = new Caches(ctx.generation);
    ctx.rewriter.trace = rules;
    try {
      return { result: ctx.run(() => ctx.rewriter.simplify(e)), rules };
    } finally {
      ctx.rewriter.trace = undefined;
      ctx.caches = saved.generation === ctx.generation ? saved : new Caches(ctx.generation);
    }
  }

  // ------------------------------------------------------------ proofs and bounds

  /** Proves a boolean expression true under what is known (false = unknown or false). */
  canProve(cond: PrimExpr): boolean {
    checkExpr("canProve", cond);
    if (!cond.dtype.isBool()) throw new TypeError(`Analyzer.canProve: expected a bool condition, got ${cond.dtype}`);
    const s = this.simplify(cond);
    return s instanceof IntImm && s.value !== 0;
  }

  /** Whether `e >= lower` always holds. */
  canProveGreaterEqual(e: PrimExpr, lower: number): boolean {
    checkExpr("canProveGreaterEqual", e);
    return this.constIntBound(e).min >= lower || this.canProve(new Not(new LT(e, new IntImm(e.dtype, lower))));
  }

  /** Whether `e < upper` always holds. */
  canProveLess(e: PrimExpr, upper: number): boolean {
    checkExpr("canProveLess", e);
    return this.constIntBound(e).max < upper || this.canProve(new LT(e, new IntImm(e.dtype, upper)));
  }

  /** Whether `a == b` always holds (structurally, or by simplifying `a - b` to 0). */
  canProveEqual(a: PrimExpr, b: PrimExpr): boolean {
    checkExpr("canProveEqual", a);
    checkExpr("canProveEqual", b);
    if (sameExpr(a, b)) return true;
    if (a.dtype !== b.dtype || !isIndex(a)) return false;
    return this.ctx.run(() => this.ctx.canonical.compare(a, b)) === CMP_EQ;
  }

  /** Inclusive [min, max] of the values `e` can take (+-Infinity when unbounded). */
  constIntBound(e: PrimExpr): ConstIntBound {
    checkExpr("constIntBound", e);
    return this.ctx.run(() => this.ctx.boundAnalyzer.bound(e));
  }

  /** (coeff, base) with every value of `e` equal to base modulo coeff (coeff 0: exactly base). */
  modularSet(e: PrimExpr): ModularSet {
    checkExpr("modularSet", e);
    return this.ctx.run(() => this.ctx.modularAnalyzer.modular(e));
  }
}

function sameBinding(a: Binding, b: Binding): boolean {
  if (a.range && b.range) return sameExpr(a.range.min, b.range.min) && sameExpr(a.range.extent, b.range.extent);
  if (a.value && b.value) return sameExpr(a.value, b.value);
  return false;
}
