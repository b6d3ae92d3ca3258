/**
 * Iterator maps: the public entry points. Detection, simplification and the affine-binding
 * test live in iter_map_detect.ts; this file adds subspace division, which blockize and
 * tensorize use to split each block binding into a part over outer loops and a part over
 * inner loops.
 */
import { bool } from "../ir/dtype.js";
import { IntImm, PrimExpr, Range, Var } from "../ir/expr.js";
import * as ops from "../ir/expr_ops.js";
import { usesVar } from "../ir/expr_functor.js";
import { Analyzer } from "./analyzer.js";
import { divideExact, knownEqual } from "./linear_facts.js";
import { IterMark, IterSplitExpr, IterSumExpr, oneOf, zeroOf } from "./iter_map_types.js";
import { detectIterMapWithState, type IterMapLevel } from "./iter_map_detect.js";
import { IterMapFailure, exprText, type IterMapRewriter } from "./iter_map_rewrite.js";

export * from "./iter_map_types.js";
export * from "./iter_map_detect.js";
export { IterMapFailure, exprText } from "./iter_map_rewrite.js";

/** One binding split as `outer * inner.extent + inner`. */
export interface SubspaceBinding {
  readonly outer: IterMark;
  readonly inner: IterMark;
}

export interface SubspaceDivision {
  /** One entry per binding; empty when division failed. */
  readonly bindings: SubspaceBinding[];
  /** The conjuncts of the predicate over outer loops only / inner loops only. */
  readonly outerPredicate: PrimExpr;
  readonly innerPredicate: PrimExpr;
  readonly errors: string[];
}

const TRUE_EXPR = new IntImm(bool, 1);

/** A part of a division: a sum of splits (base 0) whose values cover [0, extent). */
interface Part {
  readonly sum: IterSumExpr;
  readonly extent: PrimExpr;
}
interface Division {
  readonly outer: Part;
  readonly inner: Part;
}

/**
 * Divides each binding into a part over the loops not in `subIters` (outer) and a part over
 * `subIters` (inner), so that `binding = outer * inner.extent + inner`.
 */
export function subspaceDivide(
  bindings: readonly PrimExpr[],
  inputIters: ReadonlyMap<Var, Range>,
  subIters: readonly Var[],
  predicate: PrimExpr = TRUE_EXPR,
  checkLevel: IterMapLevel = "surjective",
  analyzer: Analyzer = new Analyzer(),
): SubspaceDivision {
  const failed = (errors: string[]): SubspaceDivision => ({ bindings: [], outerPredicate: TRUE_EXPR, innerPredicate: TRUE_EXPR, errors });
  for (const v of subIters) {
    if (!inputIters.has(v)) return failed([`subspaceDivide: inner loop ${v.name} is not one of the input iterators`]);
  }
  const det = detectIterMapWithState(bindings, inputIters, predicate, checkLevel, analyzer);
  if (det.errors.length > 0) return failed(det.errors);
  try {
    const divider = new SubspaceDivider(det.rewriter, new Set(subIters), analyzer);
    const out = det.indices.map((s, k) => divider.divideBinding(s, bindings[k]!));
    const [outerPredicate, innerPredicate] = splitPredicate(predicate, new Set(subIters));
    return { bindings: out, outerPredicate, innerPredicate, errors: [] };
  } catch (err) {
    if (err instanceof IterMapFailure) return failed([err.message]);
    throw err;
  }
}

function splitPredicate(pred: PrimExpr, inner: ReadonlySet<Var>): [PrimExpr, PrimExpr] {
  let outerP: PrimExpr = TRUE_EXPR, innerP: PrimExpr = TRUE_EXPR;
  const walk = (p: PrimExpr): void => {
    if (p.kind === "And") {
      const b = p as unknown as { a: PrimExpr; b: PrimExpr };
      walk(b.a);
      walk(b.b);
      return;
    }
    if (p instanceof IntImm && p.value !== 0) return;
    const usesInner = usesVar(p, (v) => inner.has(v));
    const usesOuter = usesVar(p, (v) => !inner.has(v) && v.dtype.isIntegral());
    if (usesInner && usesOuter) throw new IterMapFailure(`predicate ${exprText(p)} uses both inner and outer loops`);
    if (usesInner) innerP = ops.and(innerP, p);
    else outerP = ops.and(outerP, p);
  };
  walk(pred);
  return [outerP, innerP];
}

class SubspaceDivider {
  private readonly memo = new Map<IterMark, Division>();
  private readonly markOf = new Map<IterSumExpr, IterMark>();

  constructor(
    private readonly rw: IterMapRewriter,
    private readonly inner: ReadonlySet<Var>,
    private readonly analyzer: Analyzer,
  ) {}

  private one(e: PrimExpr): PrimExpr {
    return oneOf(e.dtype);
  }
  private isOne(e: PrimExpr): boolean {
    return knownEqual(e, this.one(e), this.analyzer);
  }
  private trivial(like: PrimExpr): Part {
    return { sum: new IterSumExpr([], zeroOf(like.dtype)), extent: this.one(like) };
  }
  private scaled(p: Part, k: PrimExpr): IterSplitExpr[] {
    return p.sum.args.map((a) => a.withScale(this.isOne(k) ? a.scale : ops.mul(a.scale, k)));
  }

  /** A mark standing for a part, reusing the underlying mark when the part is one whole. */
  private markFor(p: Part): IterMark {
    const a = p.sum.args;
    if (a.length === 1 && this.isOne(a[0]!.scale) && this.isOne(a[0]!.lowerFactor) && knownEqual(a[0]!.extent, a[0]!.source.extent, this.analyzer)) {
      return a[0]!.source;
    }
    let m = this.markOf.get(p.sum);
    if (!m) {
      m = new IterMark(p.sum, p.extent);
      this.markOf.set(p.sum, m);
    }
    return m;
  }

  divideBinding(s: IterSumExpr, binding: PrimExpr): SubspaceBinding {
    const t = s.dtype;
    if (s.args.length === 0) {
      return { outer: new IterMark(new IterSumExpr([], s.base), this.one(s.base)), inner: new IterMark(new IterSumExpr([], zeroOf(t)), this.one(s.base)) };
    }
    const split = s.args[0]!;
    const d = this.divideSplit(split.withScale(this.one(split.scale)));
    const innerTrivial = this.isOne(d.inner.extent), outerTrivial = this.isOne(d.outer.extent);
    const scale = split.scale;
    if (!this.isOne(scale) && !innerTrivial && !outerTrivial) {
      throw new IterMapFailure(`binding ${exprText(binding)} is scaled by ${exprText(scale)} across inner and outer loops`);
    }
    let outerBase: PrimExpr = zeroOf(t), innerBase: PrimExpr = zeroOf(t);
    if (innerTrivial) outerBase = s.base;
    else if (outerTrivial) innerBase = s.base;
    else {
      const q = divideExact(s.base, d.inner.extent, this.analyzer);
      if (!q) throw new IterMapFailure(`binding ${exprText(binding)} has an offset that is not a multiple of the inner extent ${exprText(d.inner.extent)}`);
      outerBase = q;
    }
    const outerSum = new IterSumExpr(innerTrivial ? this.scaled(d.outer, scale) : d.outer.sum.args, outerBase);
    const innerSum = new IterSumExpr(outerTrivial ? this.scaled(d.inner, scale) : d.inner.sum.args, innerBase);
    return { outer: new IterMark(outerSum, d.outer.extent), inner: new IterMark(innerSum, d.inner.extent) };
  }

  private divideSplit(s: IterSplitExpr): Division {
    const m = s.source;
    const dm = this.divideMark(m);
    const whole = { sum: new IterSumExpr([s], zeroOf(s.dtype)), extent: s.extent };
    if (this.isOne(dm.inner.extent)) return { outer: whole, inner: this.trivial(s.extent) };
    if (this.isOne(dm.outer.extent)) return { outer: this.trivial(s.extent), inner: whole };
    const I = dm.inner.extent;
    const lf = s.lowerFactor, ext = s.extent;
    const zero = zeroOf(s.dtype);
    const part = (p: Part, l: PrimExpr, e: PrimExpr): Part => ({ sum: new IterSumExpr([new IterSplitExpr(this.markFor(p), l, e, this.one(e))], zero), extent: e });
    if (this.isOne(lf) && knownEqual(ext, m.extent, this.analyzer)) return dm;
    const hiDigit = divideExact(lf, I, this.analyzer);
    if (hiDigit) return { outer: part(dm.outer, hiDigit, ext), inner: this.trivial(ext) };
    const top = ops.mul(lf, ext);
    if (divideExact(I, top, this.analyzer)) return { outer: this.trivial(ext), inner: part(dm.inner, lf, ext) };
    const innerExt = divideExact(I, lf, this.analyzer);
    const outerExt = divideExact(top, I, this.analyzer);
    if (innerExt && outerExt) {
      return { outer: part(dm.outer, this.one(lf), outerExt), inner: part(dm.inner, lf, innerExt) };
    }
    throw new IterMapFailure(`a digit of ${this.rw.markText(m)} straddles the inner extent ${exprText(I)}`);
  }

  private divideMark(m: IterMark): Division {
    let d = this.memo.get(m);
    if (!d) {
      d = this.divideMarkUncached(m);
      this.memo.set(m, d);
    }
    return d;
  }

  private divideMarkUncached(m: IterMark): Division {
    const whole = { sum: new IterSumExpr([IterSplitExpr.whole(m)], zeroOf(m.dtype)), extent: m.extent };
    const v = this.rw.inputVarOf(m);
    if (v) return this.inner.has(v) ? { outer: this.trivial(m.extent), inner: whole } : { outer: whole, inner: this.trivial(m.extent) };
    const src = m.source;
    if (!(src instanceof IterSumExpr)) throw new IterMapFailure(`internal: mark ${exprText(src)} is neither an input nor a fusion`);
    // The fused terms, lowest scale first: inner-only terms, at most one mixed term, then outer-only.
    const parts = [...src.args].reverse().map((a) => ({ a, d: this.divideSplit(a.withScale(this.one(a.scale))) }));
    const name = () => this.rw.markText(m);
    const allInner = parts.every((p) => this.isOne(p.d.outer.extent));
    const allOuter = parts.every((p) => this.isOne(p.d.inner.extent));
    if (allInner) return { outer: this.trivial(m.extent), inner: whole };
    if (allOuter) return { outer: whole, inner: this.trivial(m.extent) };
    const innerArgs: IterSplitExpr[] = [], outerArgs: IterSplitExpr[] = [];
    let I: PrimExpr = this.one(m.extent), O: PrimExpr = this.one(m.extent);
    let outerStarted = false;
    for (const { a, d } of parts) {
      const hasInner = !this.isOne(d.inner.extent), hasOuter = !this.isOne(d.outer.extent);
      if (hasInner) {
        if (outerStarted) throw new IterMapFailure(`iterator ${name()} fuses an inner loop above an outer loop`);
        innerArgs.push(...this.scaled(d.inner, a.scale));
        I = ops.mul(a.scale, d.inner.extent);
      }
      if (hasOuter) {
        const k = hasInner ? this.one(a.scale) : divideExact(a.scale, I, this.analyzer);
        if (!k) throw new IterMapFailure(`iterator ${name()}: scale ${exprText(a.scale)} is not a multiple of the inner extent ${exprText(I)}`);
        outerArgs.push(...this.scaled(d.outer, k));
        O = ops.mul(O, d.outer.extent);
        outerStarted = true;
      }
    }
    const exact = src.base instanceof IntImm && src.base.value === 0 && knownEqual(m.extent, ops.mul(O, I), this.analyzer);
    if (!exact) throw new IterMapFailure(`the predicated iterator ${name()} spans both inner and outer loops`);
    const zero = zeroOf(m.dtype);
    return { outer: { sum: new IterSumExpr(outerArgs.reverse(), zero), extent: O }, inner: { sum: new IterSumExpr(innerArgs.reverse(), zero), extent: I } };
  }
}
