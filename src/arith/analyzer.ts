/**
 * Analyzer: the one entry point to weft's integer arithmetic. It holds what is known about
 * variables (ranges from loop domains, facts from enclosing conditions) and answers questions
 * with the sub-analyzers: rewrite simplification, constant integer bounds, modular sets,
 * interval sets and iterator maps.
 *
 * NOTE: this file is the interface the other layers code against; the sub-analyzers fill in
 * the bodies.
 */
import type { PrimExpr, Range, Var } from "../ir/expr.js";

/** Inclusive integer bounds; +-Infinity when unbounded. */
export interface ConstIntBound {
  readonly min: number;
  readonly max: number;
}

/** The set { coeff * k + base | k integer }; coeff 0 means the single value `base`. */
export interface ModularSet {
  readonly coeff: number;
  readonly base: number;
}

export class Analyzer {
  /** Declares that `v` ranges over `range` (e.g. a loop variable). */
  bind(v: Var, range: Range | PrimExpr, _allowOverride = false): void {
    void v;
    void range;
  }

  /** Simplifies an expression using the rewrite rules and everything known. */
  simplify(e: PrimExpr): PrimExpr {
    return e;
  }

  /** Proves a boolean expression true under what is known (false = unknown or false). */
  canProve(_cond: PrimExpr): boolean {
    return false;
  }

  constIntBound(_e: PrimExpr): ConstIntBound {
    return { min: -Infinity, max: Infinity };
  }

  modularSet(_e: PrimExpr): ModularSet {
    return { coeff: 1, base: 0 };
  }

  /** Runs `f` with `cond` assumed true (e.g. inside an if-branch). */
  withConstraint<T>(_cond: PrimExpr, f: () => T): T {
    return f();
  }
}
