/**
 * Rewriting the statements under loops that split and fuse replace: substitute the old loop
 * variables, guard the blocks of a non-divisible split with a predicate, and re-simplify the
 * bindings of the blocks below (as TVM's IterMapSimplifyBlockBinding does), keeping or
 * dropping unit-extent loop variables as `preserveUnitIters` asks.
 */
import { Analyzer } from "../../arith/analyzer.js";
import { iterMapSimplify } from "../../arith/iter_map.js";
import { IntImm, PrimExpr, Range, Var, type BinaryOp } from "../../ir/expr.js";
import * as E from "../../ir/expr_ops.js";
import { usesVar } from "../../ir/expr_functor.js";
import { structuralEqual } from "../../ir/structural.js";
import { Block, BlockRealize, For, type Stmt } from "../../tir/stmt.js";
import { StmtExprMutator } from "../../tir/stmt_functor.js";

export interface LoopBodyRewrite {
  /** Old loop variable -> its value in terms of the new loops. */
  readonly vmap: ReadonlyMap<Var, PrimExpr>;
  /** Conjoined to the predicate of the nearest block realizes (non-divisible splits). */
  readonly predicate?: PrimExpr;
  /**
   * For a binding that is exactly an old loop variable: its normal form, known without running
   * the iterator-map detection (the common case, and the expensive one to detect).
   */
  readonly normalForm?: ReadonlyMap<Var, PrimExpr>;
  /** Domains of every loop enclosing the body: those above the rewritten loops and the new loops. */
  readonly doms: ReadonlyMap<Var, Range>;
  readonly preserveUnitIters: boolean;
  readonly analyzer: Analyzer;
}

export interface RewrittenBody {
  readonly stmt: Stmt;
  /** Original block -> rewritten block, for every block whose node changed (sref reuse). */
  readonly reuse: Map<Block, Block>;
}

/**
 * Substitutes the loop variables everywhere below `body`, appends the predicate to the
 * outermost block realizes only, and simplifies the bindings of the blocks reached without
 * entering a block that has iter vars (those blocks' insides refer to their own iter vars).
 */
export function rewriteLoopBody(body: Stmt, r: LoopBodyRewrite): RewrittenBody {
  const reuse = new Map<Block, Block>();
  const doms = new Map(r.doms);
  let realizeDepth = 0;
  let simplifying = true;
  class Rewriter extends StmtExprMutator {
    override visitVar(v: Var): PrimExpr {
      return r.vmap.get(v) ?? v;
    }
    override visitFor(f: For): Stmt {
      const min = this.visitExpr(f.min), extent = this.visitExpr(f.extent);
      doms.set(f.loopVar, new Range(min, extent));
      const body = this.visitStmt(f.body);
      doms.delete(f.loopVar);
      if (min === f.min && extent === f.extent && body === f.body) return f;
      return f.with({ min, extent, body });
    }
    override visitBlockRealize(realize: BlockRealize): Stmt {
      let values = this.visitArray(realize.iterValues);
      let pred = this.visitExpr(realize.predicate);
      if (realizeDepth === 0 && r.predicate) pred = E.and(pred, r.predicate);
      const wasSimplifying = simplifying;
      if (realize.block.iterVars.length > 0) simplifying = false;
      realizeDepth++;
      const block = this.visitStmt(realize.block) as Block;
      realizeDepth--;
      simplifying = wasSimplifying;
      if (simplifying && values.length > 0) values = this.bindings(realize.iterValues, values, pred);
      if (block !== realize.block) reuse.set(realize.block, block);
      if (values === realize.iterValues && pred === realize.predicate && block === realize.block) return realize;
      return new BlockRealize(values, pred, block);
    }
    /** Bindings in normal form: the known forms when they suffice, else a joint detection. */
    private bindings(orig: readonly PrimExpr[], substituted: readonly PrimExpr[], pred: PrimExpr): readonly PrimExpr[] {
      let detect = false;
      const fast = orig.map((o, b) => {
        const now = substituted[b]!;
        if (now === o) {
          // Untouched; only dropping unit iterators could still change it.
          if (!r.preserveUnitIters && unitLoopVars(o, doms).size > 0) detect = true;
          return o;
        }
        const known = o instanceof Var ? r.normalForm?.get(o) : undefined;
        if (known) return known;
        detect = true;
        return now;
      });
      if (detect) return simplifyBindings(substituted, doms, pred, r.preserveUnitIters, r.analyzer);
      return fast.every((x, b) => x === substituted[b]) ? substituted : fast;
    }
  }
  return { stmt: new Rewriter().visitStmt(body), reuse };
}

/**
 * Block bindings in iterator-map normal form (`i_0 * 32 + i_1`); unchanged when they are not
 * an affine map of the loops. With `preserveUnitIters`, variables of extent-1 loops stay in
 * the bindings (TVM keeps them as unit iterators); otherwise they become their value 0.
 * Returns `values` itself when nothing changed structurally.
 */
export function simplifyBindings(
  values: readonly PrimExpr[],
  doms: ReadonlyMap<Var, Range>,
  predicate: PrimExpr,
  preserveUnitIters: boolean,
  analyzer: Analyzer,
): readonly PrimExpr[] {
  const simplified = iterMapSimplify(values, doms, predicate, "surjective", analyzer);
  const failed = simplified.every((s, i) => s === values[i]);
  if (failed) return values;
  const out = simplified.map((s, i) => {
    const raw = values[i]!;
    if (preserveUnitIters) {
      const units = unitLoopVars(raw, doms);
      if (units.size > 0) return withUnitIters(raw, doms, units, analyzer) ?? s;
    }
    return s;
  });
  return out.every((s, i) => s === values[i] || structuralEqual(s, values[i])) ? values : out;
}

/** Variables of extent-1, min-0 loops that `e` uses. */
function unitLoopVars(e: PrimExpr, doms: ReadonlyMap<Var, Range>): Set<Var> {
  const out = new Set<Var>();
  usesVar(e, (v) => {
    const d = doms.get(v);
    if (d && isConst(d.extent, 1) && isConst(d.min, 0)) out.add(v);
    return false;
  });
  return out;
}

const isConst = (e: PrimExpr, v: number): boolean => e instanceof IntImm && e.value === v;

interface Term {
  readonly v: Var;
  coeff: PrimExpr;
  readonly unit: boolean;
  readonly order: number;
}

/**
 * A linear binding written the way TVM's iterator map prints a fused iterator that contains
 * unit iterators: terms by decreasing scale, a unit iterator after the non-unit one of the
 * same scale, then the constant part. Undefined when the binding is not a linear sum with a
 * term of scale 1 (those keep the unit-free simplified form).
 */
function withUnitIters(raw: PrimExpr, doms: ReadonlyMap<Var, Range>, units: Set<Var>, analyzer: Analyzer): PrimExpr | undefined {
  const lin = linearForm(raw, (v) => doms.has(v));
  if (!lin) return undefined;
  const terms: Term[] = [];
  for (const t of lin.terms) {
    const coeff = analyzer.simplify(t.coeff);
    if (isConst(coeff, 0)) continue;
    if (!analyzer.canProve(E.gt(coeff, 0))) return undefined;
    terms.push({ v: t.v, coeff, unit: units.has(t.v), order: terms.length });
  }
  // Insertion sort with a comparison that may be unknown (symbolic scales).
  const sorted: Term[] = [];
  for (const t of terms) {
    let at = sorted.length;
    for (let k = 0; k < sorted.length; k++) {
      const c = compareTerms(t, sorted[k]!, analyzer);
      if (c === undefined) return undefined;
      if (c < 0) {
        at = k;
        break;
      }
    }
    sorted.splice(at, 0, t);
  }
  if (sorted.length === 0 || !isConst(sorted[sorted.length - 1]!.coeff, 1)) return undefined;
  let out: PrimExpr | undefined;
  for (const t of sorted) {
    const term = isConst(t.coeff, 1) ? t.v : E.mul(t.v, t.coeff);
    out = out ? E.add(out, term) : term;
  }
  const base = analyzer.simplify(lin.base);
  return isConst(base, 0) ? out : E.add(out!, base);
}

/** Negative when `a` goes before `b` (larger scale first; ties: non-unit, then appearance). */
function compareTerms(a: Term, b: Term, analyzer: Analyzer): number | undefined {
  if (analyzer.canProveEqual(a.coeff, b.coeff)) {
    if (a.unit !== b.unit) return a.unit ? 1 : -1;
    return a.order - b.order;
  }
  if (analyzer.canProve(E.gt(a.coeff, b.coeff))) return -1;
  if (analyzer.canProve(E.lt(a.coeff, b.coeff))) return 1;
  return undefined;
}

interface LinearForm {
  readonly terms: { v: Var; coeff: PrimExpr }[];
  readonly base: PrimExpr;
}

/** `e` as sum(coeff * v) + base over the variables `isIter` accepts; undefined if not linear. */
function linearForm(e: PrimExpr, isIter: (v: Var) => boolean): LinearForm | undefined {
  const invariant = (x: PrimExpr): boolean => !usesVar(x, isIter);
  const go = (x: PrimExpr): LinearForm | undefined => {
    if (x instanceof Var && isIter(x)) return { terms: [{ v: x, coeff: E.constant(1, x.dtype) }], base: E.constant(0, x.dtype) };
    if (invariant(x)) return { terms: [], base: x };
    if (x.kind === "Add" || x.kind === "Sub") {
      const b = x as BinaryOp;
      const l = go(b.a), rr = go(b.b);
      if (!l || !rr) return undefined;
      const sign = x.kind === "Sub" ? -1 : 1;
      return combine(l, rr, sign);
    }
    if (x.kind === "Mul") {
      const b = x as BinaryOp;
      if (invariant(b.b)) return scale(go(b.a), b.b);
      if (invariant(b.a)) return scale(go(b.b), b.a);
    }
    return undefined;
  };
  return go(e);
}

function combine(a: LinearForm, b: LinearForm, sign: number): LinearForm {
  const terms = a.terms.map((t) => ({ ...t }));
  for (const t of b.terms) {
    const c = sign < 0 ? E.neg(t.coeff) : t.coeff;
    const hit = terms.find((u) => u.v === t.v);
    if (hit) hit.coeff = E.add(hit.coeff, c);
    else terms.push({ v: t.v, coeff: c });
  }
  return { terms, base: sign < 0 ? E.sub(a.base, b.base) : E.add(a.base, b.base) };
}

function scale(a: LinearForm | undefined, k: PrimExpr): LinearForm | undefined {
  if (!a) return undefined;
  return { terms: a.terms.map((t) => ({ v: t.v, coeff: E.mul(t.coeff, k) })), base: E.mul(a.base, k) };
}
