/**
 * Interval sets with symbolic bounds (TVM's IntervalSet) and `evalSet`, which over-approximates
 * the values an integer expression takes while some of its variables range over sets. Buffer
 * access regions, compute_at and bound inference are built on it.
 *
 * Bounds are inclusive PrimExprs; the sentinels POS_INF / NEG_INF stand for a missing bound.
 * Small exact facts (two bounds differ by a constant, a bound is a multiple of a divisor) come
 * from linear forms (linear_facts.ts), so results stay tight whatever the simplifier proves.
 */
import { int64, type DataType } from "../ir/dtype.js";
import {
  Broadcast, Call, Cast, IntImm, Let, PrimExpr, Ramp, Range, Select, Var,
  type Add, type Div, type FloorDiv, type FloorMod, type Max, type Min, type Mod, type Mul, type Sub,
} from "../ir/expr.js";
import * as ops from "../ir/expr_ops.js";
import { usesVar } from "../ir/expr_functor.js";
import { Op } from "../ir/op_registry.js";
import { Analyzer } from "./analyzer.js";
import {
  constantDifference, fromLinearForm, knownEqual, knownGE, knownLE, knownNonNegative, knownNonPositive, knownResidue, linearForm,
  tidyLinear,
} from "./linear_facts.js";

/** Marks a missing upper bound. Compared by identity; never part of a built expression. */
export const POS_INF: Var = new Var("pos_inf", int64);
/** Marks a missing lower bound. */
export const NEG_INF: Var = new Var("neg_inf", int64);

export const isPosInf = (e: PrimExpr): boolean => e === POS_INF;
export const isNegInf = (e: PrimExpr): boolean => e === NEG_INF;
const isInf = (e: PrimExpr): boolean => e === POS_INF || e === NEG_INF;

/** The integers in [min, max] (inclusive); an empty set has min = +inf or max = -inf. */
export class IntervalSet {
  constructor(
    readonly min: PrimExpr,
    readonly max: PrimExpr,
  ) {}

  static single(e: PrimExpr): IntervalSet {
    return new IntervalSet(e, e);
  }
  static interval(min: PrimExpr, max: PrimExpr): IntervalSet {
    return new IntervalSet(min, max);
  }
  /** The set covered by a half-open Range [min, min + extent). */
  static fromRange(r: Range): IntervalSet {
    return IntervalSet.fromMinExtent(r.min, r.extent);
  }
  static fromMinExtent(min: PrimExpr, extent: PrimExpr): IntervalSet {
    if (extent instanceof IntImm && extent.value === 1) return IntervalSet.single(min);
    return new IntervalSet(min, ops.sub(ops.add(min, extent), 1));
  }
  static everything(): IntervalSet {
    return EVERYTHING;
  }
  static nothing(): IntervalSet {
    return NOTHING;
  }

  hasLowerBound(): boolean {
    return !isInf(this.min);
  }
  hasUpperBound(): boolean {
    return !isInf(this.max);
  }
  isEverything(): boolean {
    return this.min === NEG_INF && this.max === POS_INF;
  }
  isNothing(): boolean {
    if (this.min === POS_INF || this.max === NEG_INF) return true;
    if (isInf(this.min) || isInf(this.max)) return false;
    const d = constantDifference(this.max, this.min);
    return d !== undefined && d < 0;
  }
  isSinglePoint(analyzer?: Analyzer): boolean {
    if (this.min === this.max) return true;
    if (isInf(this.min) || isInf(this.max)) return false;
    return knownEqual(this.min, this.max, analyzer);
  }

  /** The set as a Range; throws when a bound is missing (use coverRange to supply them). */
  toRange(analyzer?: Analyzer): Range {
    if (!this.hasLowerBound() || !this.hasUpperBound()) {
      throw new RangeError(`IntSet.toRange: the set ${this} is unbounded; use coverRange(bound) to clip it`);
    }
    if (this.isNothing()) throw new RangeError(`IntSet.toRange: the set ${this} is empty`);
    if (this.isSinglePoint(analyzer)) return new Range(this.min, new IntImm(this.min.dtype, 1));
    const ext = extentBetween(this.min, this.max, analyzer);
    // Bounds of mixed widths (an int64 loop inside an int32 index) meet in the wider type.
    return new Range(ext.dtype === this.min.dtype ? this.min : ops.cast(ext.dtype, this.min), ext);
  }

  /** Like toRange, but a missing bound is taken from `bound` (usually a buffer dimension). */
  coverRange(bound: Range, analyzer?: Analyzer): Range {
    if (this.isNothing()) return new Range(bound.min, new IntImm(bound.extent.dtype, 0));
    const lo = this.hasLowerBound() ? this.min : bound.min;
    const hi = this.hasUpperBound() ? this.max : ops.sub(ops.add(bound.min, bound.extent), 1);
    if (lo === this.min && hi === this.max) return this.toRange(analyzer);
    return new IntervalSet(lo, hi).toRange(analyzer);
  }

  toString(): string {
    if (this.isNothing() && (this.min === POS_INF || this.max === NEG_INF)) return "{}";
    const s = (e: PrimExpr) => (e === POS_INF ? "+inf" : e === NEG_INF ? "-inf" : String(e));
    return `[${s(this.min)}, ${s(this.max)}]`;
  }
}

/** `IntSet` is the name the rest of weft uses; interval sets are the only kind so far. */
export const IntSet = IntervalSet;
export type IntSet = IntervalSet;

const EVERYTHING = new IntervalSet(NEG_INF, POS_INF);
const NOTHING = new IntervalSet(POS_INF, NEG_INF);

/** max - min + 1, as a constant when the bounds differ by one. */
export function extentBetween(min: PrimExpr, max: PrimExpr, analyzer?: Analyzer): PrimExpr {
  const d = constantDifference(max, min);
  if (d !== undefined) return new IntImm(min.dtype, d + 1);
  const raw = ops.add(ops.sub(max, min), 1);
  return tidyLinear(analyzer ? analyzer.simplify(raw) : raw);
}

// ----------------------------------------------------------------- bound arithmetic

function lowerMin(x: PrimExpr, y: PrimExpr, analyzer?: Analyzer): PrimExpr {
  if (x === NEG_INF || y === NEG_INF) return NEG_INF;
  if (x === POS_INF) return y;
  if (y === POS_INF) return x;
  if (x === y || knownLE(x, y, analyzer)) return x;
  if (knownLE(y, x, analyzer)) return y;
  return ops.min(x, y);
}

function upperMax(x: PrimExpr, y: PrimExpr, analyzer?: Analyzer): PrimExpr {
  if (x === POS_INF || y === POS_INF) return POS_INF;
  if (x === NEG_INF) return y;
  if (y === NEG_INF) return x;
  if (x === y || knownGE(x, y, analyzer)) return x;
  if (knownGE(y, x, analyzer)) return y;
  return ops.max(x, y);
}

/** Smallest set containing both. */
export function union(a: IntSet, b: IntSet, analyzer?: Analyzer): IntSet {
  if (a === b || a.isNothing()) return b;
  if (b.isNothing()) return a;
  const lo = lowerMin(a.min, b.min, analyzer);
  const hi = upperMax(a.max, b.max, analyzer);
  if (lo === a.min && hi === a.max) return a;
  if (lo === b.min && hi === b.max) return b;
  return new IntervalSet(lo, hi);
}

export function unionAll(sets: readonly IntSet[], analyzer?: Analyzer): IntSet {
  let acc = NOTHING;
  for (const s of sets) acc = union(acc, s, analyzer);
  return acc;
}

/** The common part of two sets (an over-approximation when bounds cannot be ordered). */
export function intersect(a: IntSet, b: IntSet, analyzer?: Analyzer): IntSet {
  if (a === b) return a;
  if (a.isNothing() || b.isNothing()) return NOTHING;
  const lo = a.min === NEG_INF ? b.min : b.min === NEG_INF ? a.min : upperMax(a.min, b.min, analyzer);
  const hi = a.max === POS_INF ? b.max : b.max === POS_INF ? a.max : lowerMin(a.max, b.max, analyzer);
  if (lo === a.min && hi === a.max) return a;
  if (lo === b.min && hi === b.max) return b;
  return new IntervalSet(lo, hi);
}

// ----------------------------------------------------------------- evalSet

export type DomMap = ReadonlyMap<Var, IntSet>;

/**
 * The set of values `e` takes when each variable in `domMap` ranges over its set; other
 * variables stay symbolic. Sub-expressions that use no relaxed variable come back as the very
 * same object (a single point), so an index like `v_i` is never rewritten.
 */
export function evalSet(e: PrimExpr, domMap: DomMap, analyzer: Analyzer = new Analyzer()): IntSet {
  const ev = new SetEvaluator(domMap, analyzer);
  const s = ev.eval(e);
  if (s.min === s.max || s.isNothing()) return s;
  return ev.tidy(s);
}

/** The set covered by a Range whose min / extent may use relaxed variables. */
export function evalSetRange(r: Range, domMap: DomMap, analyzer: Analyzer = new Analyzer()): IntSet {
  const ev = new SetEvaluator(domMap, analyzer);
  const lo = ev.eval(r.min);
  if (r.extent instanceof IntImm && r.extent.value === 1) return lo.min === lo.max ? lo : ev.tidy(lo);
  if (r.extent instanceof IntImm && r.extent.value <= 0) return NOTHING;
  const last = ev.eval(ops.sub(ops.add(r.min, r.extent), 1));
  return ev.tidy(new IntervalSet(lo.min, last.max));
}

/** Accepts loop domains as Ranges or IntSets. */
export function toDomMap(m: ReadonlyMap<Var, Range | IntSet>): Map<Var, IntSet> {
  const out = new Map<Var, IntSet>();
  for (const [v, d] of m) out.set(v, d instanceof Range ? IntervalSet.fromRange(d) : d);
  return out;
}

function boundsFor(shape: readonly PrimExpr[] | undefined, i: number): Range | undefined {
  const s = shape?.[i];
  return s ? Range.fromExtent(s) : undefined;
}

/**
 * The region an access `buf[indices]` covers while the variables of `domMap` range over their
 * domains, as one Range per index. A dimension whose set is unbounded falls back to the
 * matching `shape` entry (it throws when no shape is given).
 */
export function evalRegion(
  indices: readonly PrimExpr[],
  domMap: ReadonlyMap<Var, Range | IntSet>,
  analyzer: Analyzer = new Analyzer(),
  shape?: readonly PrimExpr[],
): Range[] {
  const dm = toDomMap(domMap);
  return indices.map((idx, i) => {
    const s = evalSet(idx, dm, analyzer);
    const b = boundsFor(shape, i);
    return b ? s.coverRange(b, analyzer) : s.toRange(analyzer);
  });
}

/** Relaxes a region (e.g. a nested block's read region) over the variables of `domMap`. */
export function relaxRegion(
  region: readonly Range[],
  domMap: ReadonlyMap<Var, Range | IntSet>,
  analyzer: Analyzer = new Analyzer(),
  shape?: readonly PrimExpr[],
): Range[] {
  const dm = toDomMap(domMap);
  return region.map((r, i) => {
    const s = evalSetRange(r, dm, analyzer);
    const b = boundsFor(shape, i);
    return b ? s.coverRange(b, analyzer) : s.toRange(analyzer);
  });
}

const ifThenElseOp = Op.get("tir.if_then_else");

class SetEvaluator {
  private depth = 0;
  constructor(
    private readonly dom: DomMap,
    private readonly analyzer: Analyzer,
  ) {}

  tidy(s: IntSet): IntSet {
    const lo = isInf(s.min) ? s.min : tidyLinear(this.analyzer.simplify(intoMinMax(s.min)));
    const hi = isInf(s.max) ? s.max : tidyLinear(this.analyzer.simplify(intoMinMax(s.max)));
    if (lo === s.min && hi === s.max) return s;
    if (!isInf(lo) && !isInf(hi) && knownEqual(lo, hi, this.analyzer)) return IntervalSet.single(lo);
    return new IntervalSet(lo, hi);
  }

  eval(e: PrimExpr): IntSet {
    switch (e.kind) {
      case "IntImm":
      case "FloatImm":
      case "StringImm":
        return IntervalSet.single(e);
      case "Var":
      case "SizeVar":
        return this.evalVar(e as Var);
      case "Add":
      case "Sub":
      case "Mul":
      case "Div":
      case "Mod":
      case "FloorDiv":
      case "FloorMod":
      case "Min":
      case "Max":
        return this.binary(e as Add);
      case "Cast":
        return this.evalCast(e as Cast);
      case "Select": {
        const s = e as Select;
        return this.choice(e, s.condition, s.trueValue, s.falseValue);
      }
      case "Call": {
        const c = e as Call;
        if (c.op === ifThenElseOp) return this.choice(e, c.args[0]!, c.args[1]!, c.args[2]!);
        return this.opaque(e);
      }
      case "Let": {
        const l = e as Let;
        const v = this.eval(l.value);
        const inner = new Map(this.dom);
        inner.set(l.variable, v);
        return new SetEvaluator(inner, this.analyzer).eval(l.body);
      }
      case "Ramp":
        return this.evalRamp(e as Ramp);
      case "Broadcast":
        return this.eval((e as Broadcast).value);
      default:
        return this.opaque(e);
    }
  }

  /** Expressions the interval rules do not look into: exact when nothing inside is relaxed. */
  private opaque(e: PrimExpr): IntSet {
    return usesVar(e, (v) => this.dom.has(v)) ? EVERYTHING : IntervalSet.single(e);
  }

  private evalVar(v: Var): IntSet {
    const s = this.dom.get(v);
    if (!s) return IntervalSet.single(v);
    // A domain may mention other relaxed variables (an inner loop bounded by an outer one).
    if (this.depth >= this.dom.size) return s;
    const uses = (x: PrimExpr) => !isInf(x) && usesVar(x, (w) => this.dom.has(w));
    if (!uses(s.min) && !uses(s.max)) return s;
    this.depth++;
    try {
      const lo = uses(s.min) ? this.eval(s.min).min : s.min;
      const hi = uses(s.max) ? this.eval(s.max).max : s.max;
      return new IntervalSet(lo, hi);
    } finally {
      this.depth--;
    }
  }

  private choice(e: PrimExpr, cond: PrimExpr, t: PrimExpr, f: PrimExpr): IntSet {
    if (cond instanceof IntImm) return this.eval(cond.value ? t : f);
    const a = this.eval(t), b = this.eval(f);
    if (a.min === a.max && b.min === b.max && a.min === t && b.min === f && !usesVar(cond, (v) => this.dom.has(v))) {
      return IntervalSet.single(e);
    }
    return union(a, b, this.analyzer);
  }

  private evalCast(c: Cast): IntSet {
    const s = this.eval(c.value);
    if (s.min === s.max) return s.min === c.value ? IntervalSet.single(c) : IntervalSet.single(ops.cast(c.dtype, s.min));
    const from = c.value.dtype, to = c.dtype;
    const widening = from.isIntegral() && to.isIntegral() && to.bits >= from.bits && (to.isInt() || from.isUInt());
    const castBound = (x: PrimExpr) => (isInf(x) ? x : ops.cast(to, x));
    if (widening) return new IntervalSet(castBound(s.min), castBound(s.max));
    if (to.isIntegral() && s.min instanceof IntImm && s.max instanceof IntImm) {
      const [lo, hi] = [ops.wrapInt(s.min.value, to), ops.wrapInt(s.max.value, to)];
      if (lo === s.min.value && hi === s.max.value) return new IntervalSet(castBound(s.min), castBound(s.max));
    }
    return EVERYTHING;
  }

  private evalRamp(r: Ramp): IntSet {
    const base = this.eval(r.base);
    const stride = this.eval(r.stride);
    if (stride.min === stride.max && stride.min instanceof IntImm) {
      const span = stride.min.value * (r.lanes - 1);
      const lo = span < 0 && !isInf(base.min) ? ops.add(base.min, span) : base.min;
      const hi = span > 0 && !isInf(base.max) ? ops.add(base.max, span) : base.max;
      return new IntervalSet(lo, hi);
    }
    return EVERYTHING;
  }

  private binary(e: Add | Sub | Mul | Div | Mod | FloorDiv | FloorMod | Min | Max): IntSet {
    const a = this.eval(e.a);
    const b = this.eval(e.b);
    if (a.isNothing() || b.isNothing()) return NOTHING;
    if (a.min === a.max && b.min === b.max) {
      if (a.min === e.a && b.min === e.b) return IntervalSet.single(e);
      if (!isInf(a.min) && !isInf(b.min)) return IntervalSet.single(rebuild(e.kind, a.min, b.min));
    }
    switch (e.kind) {
      case "Add":
        return new IntervalSet(
          a.min === NEG_INF || b.min === NEG_INF ? NEG_INF : ops.add(a.min, b.min),
          a.max === POS_INF || b.max === POS_INF ? POS_INF : ops.add(a.max, b.max),
        );
      case "Sub":
        return new IntervalSet(
          a.min === NEG_INF || b.max === POS_INF ? NEG_INF : ops.sub(a.min, b.max),
          a.max === POS_INF || b.min === NEG_INF ? POS_INF : ops.sub(a.max, b.min),
        );
      case "Mul":
        return this.mul(a, b);
      case "FloorDiv":
      case "Div":
        return this.div(e, a, b);
      case "FloorMod":
      case "Mod":
        return this.mod(e, a, b);
      case "Min":
        return new IntervalSet(lowerMin(a.min, b.min, this.analyzer), a.max === POS_INF ? b.max : b.max === POS_INF ? a.max : lowerMin(a.max, b.max, this.analyzer));
      case "Max":
        return new IntervalSet(a.min === NEG_INF ? b.min : b.min === NEG_INF ? a.min : upperMax(a.min, b.min, this.analyzer), upperMax(a.max, b.max, this.analyzer));
    }
  }

  /** Sign of a single point: 1 (>= 0), -1 (<= 0) or 0 (unknown). */
  private sign(x: PrimExpr): number {
    if (x instanceof IntImm) return x.value >= 0 ? 1 : -1;
    if (knownNonNegative(x, this.analyzer)) return 1;
    if (knownNonPositive(x, this.analyzer)) return -1;
    return 0;
  }

  private scale(x: IntSet, s: PrimExpr): IntSet {
    if (s instanceof IntImm && s.value === 0) return IntervalSet.single(s);
    const m = (y: PrimExpr) => ops.mul(y, s);
    const sg = this.sign(s);
    if (sg > 0) return new IntervalSet(isInf(x.min) ? x.min : m(x.min), isInf(x.max) ? x.max : m(x.max));
    if (sg < 0) {
      return new IntervalSet(x.max === POS_INF ? NEG_INF : m(x.max), x.min === NEG_INF ? POS_INF : m(x.min));
    }
    if (!x.hasLowerBound() || !x.hasUpperBound()) return EVERYTHING;
    const p = m(x.min), q = m(x.max);
    return new IntervalSet(lowerMin(p, q, this.analyzer), upperMax(p, q, this.analyzer));
  }

  private mul(a: IntSet, b: IntSet): IntSet {
    if (b.min === b.max) return this.scale(a, b.min);
    if (a.min === a.max) return this.scale(b, a.min);
    const bounded = a.hasLowerBound() && a.hasUpperBound() && b.hasLowerBound() && b.hasUpperBound();
    if (bounded && this.sign(a.min) > 0 && this.sign(b.min) > 0) {
      return new IntervalSet(ops.mul(a.min, b.min), ops.mul(a.max, b.max));
    }
    if (!bounded) return EVERYTHING;
    const ps = [ops.mul(a.min, b.min), ops.mul(a.min, b.max), ops.mul(a.max, b.min), ops.mul(a.max, b.max)];
    let lo = ps[0]!, hi = ps[0]!;
    for (const p of ps.slice(1)) {
      lo = lowerMin(lo, p, this.analyzer);
      hi = upperMax(hi, p, this.analyzer);
    }
    return new IntervalSet(lo, hi);
  }

  private div(e: Div | FloorDiv, a: IntSet, b: IntSet): IntSet {
    const d = (x: PrimExpr, y: PrimExpr) => (e.kind === "Div" ? ops.truncdiv(x, y) : ops.floordiv(x, y));
    if (b.min === b.max) {
      const s = b.min;
      if (s instanceof IntImm && s.value === 0) throw new RangeError(`evalSet: division by zero in ${e}`);
      // Both floor and truncating division are monotone in the dividend for a fixed divisor.
      const sg = this.sign(s);
      if (sg > 0) return new IntervalSet(isInf(a.min) ? a.min : d(a.min, s), isInf(a.max) ? a.max : d(a.max, s));
      if (sg < 0) return new IntervalSet(a.max === POS_INF ? NEG_INF : d(a.max, s), a.min === NEG_INF ? POS_INF : d(a.min, s));
      return EVERYTHING;
    }
    // A positive divisor range: the extremes sit at the corners.
    if (b.hasLowerBound() && b.hasUpperBound() && a.hasLowerBound() && a.hasUpperBound() && knownGE(b.min, ops.constant(1, b.min.dtype), this.analyzer)) {
      const lo = this.sign(a.min) > 0 ? d(a.min, b.max) : lowerMin(d(a.min, b.min), d(a.min, b.max), this.analyzer);
      const hi = this.sign(a.max) > 0 ? d(a.max, b.min) : upperMax(d(a.max, b.min), d(a.max, b.max), this.analyzer);
      return new IntervalSet(lo, hi);
    }
    return EVERYTHING;
  }

  private mod(e: Mod | FloorMod, a: IntSet, b: IntSet): IntSet {
    const floor = e.kind === "FloorMod";
    const t = e.dtype;
    let divisorMax: PrimExpr | undefined;
    if (b.min === b.max && b.min instanceof IntImm) {
      const c = b.min.value;
      if (c === 0) throw new RangeError(`evalSet: modulo by zero in ${e}`);
      if (c < 0) return floor ? new IntervalSet(ops.constant(c + 1, t), ops.constant(0, t)) : this.truncModRange(a, -c, t);
      const exact = this.modWithinPeriod(a, c, floor);
      if (exact) return exact;
      if (!floor) return this.truncModRange(a, c, t);
      return new IntervalSet(ops.constant(0, t), ops.constant(c - 1, t));
    }
    if (b.hasUpperBound() && b.hasLowerBound() && knownGE(b.min, ops.constant(1, t), this.analyzer)) divisorMax = b.max;
    if (!divisorMax) return EVERYTHING;
    const top = ops.sub(divisorMax, 1);
    if (floor || (a.hasLowerBound() && this.sign(a.min) > 0)) return new IntervalSet(ops.constant(0, t), top);
    return new IntervalSet(ops.sub(ops.constant(0, t), top), top);
  }

  /** x mod c when the whole interval lies inside one period of c: the interval shifted. */
  private modWithinPeriod(a: IntSet, c: number, floor: boolean): IntSet | undefined {
    if (!a.hasLowerBound() || !a.hasUpperBound()) return undefined;
    if (!floor && !(this.sign(a.min) > 0)) return undefined;
    const span = constantDifference(a.max, a.min);
    if (span === undefined || span >= c) return undefined;
    const r = knownResidue(a.min, c, this.analyzer);
    if (r === undefined || r + span >= c) return undefined;
    return new IntervalSet(ops.constant(r, a.min.dtype), ops.constant(r + span, a.min.dtype));
  }

  private truncModRange(a: IntSet, c: number, t: DataType): IntSet {
    if (a.hasLowerBound() && this.sign(a.min) > 0) return new IntervalSet(ops.constant(0, t), ops.constant(c - 1, t));
    if (a.hasUpperBound() && this.sign(a.max) < 0) return new IntervalSet(ops.constant(1 - c, t), ops.constant(0, t));
    return new IntervalSet(ops.constant(1 - c, t), ops.constant(c - 1, t));
  }
}

/**
 * `x + max(a, b)` -> `max(x + a, x + b)` when that lets x cancel: a bound narrowed by a guard
 * (`vh + max(1 - vh, 0) - 1`) then reads `max(0, vh - 1)`.
 */
function intoMinMax(e: PrimExpr): PrimExpr {
  const f = linearForm(e);
  if (!f || f.terms.length < 2) return e;
  const mm = f.terms.filter((t) => t.atom.kind === "Min" || t.atom.kind === "Max");
  if (mm.length !== 1 || mm[0]!.coeff !== 1) return e;
  const rest = fromLinearForm({ terms: f.terms.filter((t) => t !== mm[0]), constant: f.constant }, e.dtype);
  const m = mm[0]!.atom as Min | Max;
  const a = tidyLinear(ops.add(rest, m.a)), b = tidyLinear(ops.add(rest, m.b));
  const fewer = (x: PrimExpr) => x instanceof IntImm || x.kind === "Var" || (linearForm(x)?.terms.length ?? 9) < f.terms.length;
  if (!fewer(a) && !fewer(b)) return e;
  return m.kind === "Min" ? ops.min(a, b) : ops.max(a, b);
}

function rebuild(kind: string, x: PrimExpr, y: PrimExpr): PrimExpr {
  switch (kind) {
    case "Add":
      return ops.add(x, y);
    case "Sub":
      return ops.sub(x, y);
    case "Mul":
      return ops.mul(x, y);
    case "Div":
      return ops.truncdiv(x, y);
    case "Mod":
      return ops.truncmod(x, y);
    case "FloorDiv":
      return ops.floordiv(x, y);
    case "FloorMod":
      return ops.floormod(x, y);
    case "Min":
      return ops.min(x, y);
    default:
      return ops.max(x, y);
  }
}
