/**
 * What an Analyzer knows, and the plumbing between its sub-analyzers: variable bindings,
 * constraint scopes, memo tables, and the simplification pipeline. The sub-analyzers call
 * back into this object through their host interfaces; one class with prototype methods keeps
 * constructing an Analyzer cheap. `Analyzer` (analyzer.ts) is the public face.
 */
import { IntImm, Not, type BinaryOp, type PrimExpr, type Range, Var } from "../ir/expr.js";
import { structuralHash } from "../ir/structural.js";
import { ConstIntBoundAnalyzer, boundIntersect, type BoundHost, type ConstIntBound } from "./const_int_bound.js";
import { ModularSetAnalyzer, mkModular, type ModularHost, type ModularSet } from "./modular_set.js";
import { RewriteSimplifier, type RewriteHost } from "./rewrite_simplify.js";
import { REWRITE_RULES } from "./rewrite_rules.js";
import { CanonicalSimplifier, type CanonicalHost, type CompareKind } from "./canonical_simplify.js";
import { normalizeTerms, sumScale, type Sum } from "./canonical_form.js";
import { NoRewrite, ceilDiv, floorDiv, isIndexType } from "./int_math.js";
import { sameExpr } from "./pattern.js";

/** What `bind` recorded for a variable. */
export interface Binding {
  readonly range?: Range;
  readonly value?: PrimExpr;
  readonly bound: ConstIntBound;
  readonly modular?: ModularSet;
}

/** The memo tables; replaced wholesale when what is known changes. */
export class Caches {
  readonly simplify = new Map<PrimExpr, PrimExpr>();
  readonly rewrite = new Map<PrimExpr, PrimExpr>();
  readonly sum = new Map<PrimExpr, Sum>();
  readonly bound = new Map<PrimExpr, ConstIntBound>();
  readonly modular = new Map<PrimExpr, ModularSet>();
  constructor(readonly generation: number) {}
  size(): number {
    return this.simplify.size + this.rewrite.size + this.sum.size + this.bound.size + this.modular.size;
  }
}

/**
 * Tables beyond this many entries are dropped. Most hits come from shared subtrees within one
 * query and from re-asking about the same nodes soon after; large tables cost more in
 * insertion and garbage collection than they save.
 */
const CACHE_LIMIT = 4096;

interface Fact {
  readonly fact: PrimExpr;
  readonly negation: PrimExpr;
}

/** Knowledge that only holds inside a `withConstraint` scope. */
interface Scope {
  varBounds: Map<Var, ConstIntBound>;
  varModular: Map<Var, ModularSet>;
  exprBounds: Map<number, { expr: PrimExpr; bound: ConstIntBound }[]>;
  facts: Fact[];
}

function emptyScope(): Scope {
  return { varBounds: new Map(), varModular: new Map(), exprBounds: new Map(), facts: [] };
}

function copyScope(s: Scope): Scope {
  const exprBounds = new Map<number, { expr: PrimExpr; bound: ConstIntBound }[]>();
  for (const [k, list] of s.exprBounds) exprBounds.set(k, list.slice());
  return { varBounds: new Map(s.varBounds), varModular: new Map(s.varModular), exprBounds, facts: s.facts.slice() };
}

export function isIndex(e: PrimExpr): boolean {
  return isIndexType(e.dtype);
}

export class AnalyzerContext implements BoundHost, ModularHost, CanonicalHost, RewriteHost {
  readonly bindings = new Map<Var, Binding>();
  scope: Scope = emptyScope();
  generation = 0;
  caches = new Caches(0);
  private nesting = 0;
  readonly boundAnalyzer = new ConstIntBoundAnalyzer(this);
  readonly modularAnalyzer = new ModularSetAnalyzer(this);
  readonly canonical = new CanonicalSimplifier(this);
  readonly rewriter = new RewriteSimplifier(this, REWRITE_RULES);

  // ------------------------------------------------------------ host interfaces

  get boundCache(): Map<PrimExpr, ConstIntBound> {
    return this.caches.bound;
  }
  get modularCache(): Map<PrimExpr, ModularSet> {
    return this.caches.modular;
  }
  get sumCache(): Map<PrimExpr, Sum> {
    return this.caches.sum;
  }
  get rewriteCache(): Map<PrimExpr, PrimExpr> {
    return this.caches.rewrite;
  }
  get hasExprBounds(): boolean {
    return this.scope.exprBounds.size > 0;
  }
  get facts(): readonly Fact[] {
    return this.scope.facts;
  }
  varBound(v: Var): ConstIntBound | undefined {
    const b = this.bindings.get(v)?.bound;
    const c = this.scope.varBounds.get(v);
    return b && c ? boundIntersect(b, c) : (b ?? c);
  }
  varModular(v: Var): ModularSet | undefined {
    return this.scope.varModular.get(v) ?? this.bindings.get(v)?.modular;
  }
  varValue(v: Var): PrimExpr | undefined {
    return this.bindings.get(v)?.value;
  }
  varRange(v: Var): Range | undefined {
    return this.bindings.get(v)?.range;
  }
  exprBound(e: PrimExpr): ConstIntBound | undefined {
    const list = this.scope.exprBounds.get(structuralHash(e));
    return list?.find((x) => sameExpr(x.expr, e))?.bound;
  }
  bound(e: PrimExpr): ConstIntBound {
    return this.boundAnalyzer.bound(e);
  }
  modular(e: PrimExpr): ModularSet {
    return this.modularAnalyzer.modular(e);
  }
  rewriteNode(e: PrimExpr): PrimExpr {
    return this.rewriter.rewriteNode(e);
  }
  compare(a: PrimExpr, b: PrimExpr): number {
    return this.canonical.compare(a, b);
  }
  linearCompare(kind: CompareKind, a: PrimExpr, b: PrimExpr): PrimExpr | undefined {
    return this.canonical.linearCompare(kind, a, b);
  }
  withFact<T>(cond: PrimExpr, f: () => T): T {
    return this.withConstraint(cond, f);
  }

  // ------------------------------------------------------------ queries

  /** Runs a top-level query: resets the rewrite step budget and keeps the memo tables bounded. */
  run<T>(f: () => T): T {
    if (this.nesting === 0) {
      this.rewriter.resetSteps();
      if (this.caches.size() > CACHE_LIMIT) this.caches = new Caches(this.generation);
    }
    this.nesting++;
    try {
      return f();
    } finally {
      this.nesting--;
    }
  }

  /** Rewrite rules, then canonical form, then rules again, until nothing changes (at most 3 rounds). */
  simplify(e: PrimExpr): PrimExpr {
    const hit = this.caches.simplify.get(e);
    if (hit) return hit;
    const r = this.run(() => {
      let cur = this.rewriter.simplify(e);
      for (let i = 0; i < 3; i++) {
        const canon = this.canonical.simplify(cur);
        if (canon === cur) break;
        cur = this.rewriter.simplify(canon);
      }
      return cur;
    });
    const cache = this.caches.simplify;
    cache.set(e, r);
    cache.set(r, r);
    return r;
  }

  /** Drops every memoized answer (what is known about a variable changed). */
  invalidate(): void {
    this.generation++;
    this.caches = new Caches(this.generation);
  }

  // ------------------------------------------------------------ constraints

  /** Runs `f` with `cond` assumed; constraint knowledge and memo tables are scoped to it. */
  withConstraint<T>(cond: PrimExpr, f: () => T): T {
    const savedScope = this.scope;
    const savedCaches = this.caches;
    this.scope = copyScope(savedScope);
    this.caches = new Caches(this.generation);
    try {
      this.run(() => this.enterConstraint(cond));
      return f();
    } finally {
      this.scope = savedScope;
      // The outer tables stay valid unless a bind inside the scope changed what is known.
      this.caches = savedCaches.generation === this.generation ? savedCaches : new Caches(this.generation);
    }
  }

  private enterConstraint(cond: PrimExpr): void {
    if (cond.kind === "And") {
      this.enterConstraint((cond as BinaryOp).a);
      this.enterConstraint((cond as BinaryOp).b);
      return;
    }
    const s = this.simplify(cond);
    if (s instanceof IntImm) return;
    const negation = this.rewriter.simplify(new Not(s));
    this.scope.facts.push({ fact: s, negation });
    if ((s.kind === "LT" || s.kind === "LE" || s.kind === "EQ") && isIndex((s as BinaryOp).a)) {
      this.enterComparison(s.kind, (s as BinaryOp).a, (s as BinaryOp).b);
    }
    this.caches = new Caches(this.generation);
  }

  /** `a OP b` as a bound on the non-constant part T of a - b = T + base. */
  private enterComparison(kind: "LT" | "LE" | "EQ", a: PrimExpr, b: PrimExpr): void {
    let d: Sum;
    try {
      d = this.canonical.diff(a, b);
    } catch (err) {
      if (err instanceof NoRewrite) return;
      throw err;
    }
    if (d.isConst()) return;
    const nb = -d.base;
    const tb: ConstIntBound = kind === "LT" ? { min: -Infinity, max: nb - 1 } : kind === "LE" ? { min: -Infinity, max: nb } : { min: nb, max: nb };
    const t = d.terms[0]!;
    if (d.terms.length === 1 && t.lower === 1 && t.upper === Infinity) {
      // scale * X in [lo, hi]  =>  X in the divided interval, rounded inward.
      const s = t.scale;
      const lo = s > 0 ? tb.min : tb.max, hi = s > 0 ? tb.max : tb.min;
      this.addBound(t.index, {
        min: Number.isFinite(lo) ? ceilDiv(s > 0 ? lo : -lo, Math.abs(s)) : -Infinity,
        max: Number.isFinite(hi) ? floorDiv(s > 0 ? hi : -hi, Math.abs(s)) : Infinity,
      });
      return;
    }
    if (d.terms.length === 1 && t.scale === 1 && t.lower === 1 && t.upper !== Infinity && kind === "EQ" && t.index instanceof Var) {
      // floormod(v, c) == r: v is r modulo c.
      this.scope.varModular.set(t.index, mkModular(t.upper, nb));
    }
    try {
      // Both orientations, so that `i - n` and `n - i` are both recognised later.
      this.addBound(normalizeTerms(d)!, tb);
      this.addBound(normalizeTerms(sumScale(d, -1))!, { min: -tb.max, max: -tb.min });
    } catch (err) {
      if (!(err instanceof NoRewrite)) throw err;
    }
  }

  private addBound(e: PrimExpr, b: ConstIntBound): void {
    if (e instanceof Var) {
      const old = this.scope.varBounds.get(e);
      this.scope.varBounds.set(e, old ? boundIntersect(old, b) : b);
      return;
    }
    const h = structuralHash(e);
    let list = this.scope.exprBounds.get(h);
    if (!list) this.scope.exprBounds.set(h, (list = []));
    const hit = list.find((x) => sameExpr(x.expr, e));
    if (hit) hit.bound = boundIntersect(hit.bound, b);
    else list.push({ expr: e, bound: b });
  }
}
