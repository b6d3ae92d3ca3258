/**
 * The canonical form of integer index expressions: a sum of split terms plus a constant,
 *
 *   sum_i  scale_i * floordiv(floormod(index_i, upper_i), lower_i)  +  base
 *
 * where `index_i` is an opaque (already simplified) expression, `upper_i` is a multiple of
 * `lower_i` or infinite (no mod). A plain `x * 4` is the term (x, lower 1, upper inf, scale 4);
 * `floormod(floordiv(x, 8), 4)` is (x, 8, 32, 1). Like terms merge, and the split pieces of
 * one index fuse back together (`floordiv(x, 8)*8 + floormod(x, 8)` is the term x), which is
 * what makes split-then-fuse index arithmetic collapse.
 */
import type { DataType } from "../ir/dtype.js";
import { Add, FloorDiv, FloorMod, Mul, Sub, type IntImm, type PrimExpr } from "../ir/expr.js";
import {
  boundAdd, boundFloorDiv, boundFloorMod, boundScale, type ConstIntBound,
} from "./const_int_bound.js";
import { NO_REWRITE, fitsDType, intImm, isSafe } from "./int_math.js";
import { sameExpr } from "./pattern.js";

export interface Term {
  readonly index: PrimExpr;
  readonly lower: number;
  /** Infinity when there is no mod. */
  readonly upper: number;
  readonly scale: number;
}

export class Sum {
  constructor(
    readonly dtype: DataType,
    readonly terms: readonly Term[],
    readonly base: number,
  ) {
    if (!isSafe(base)) throw NO_REWRITE;
  }
  isConst(): boolean {
    return this.terms.length === 0;
  }
}

export function constSum(dtype: DataType, v: number): Sum {
  return new Sum(dtype, [], v);
}

export function atomSum(e: PrimExpr): Sum {
  return new Sum(e.dtype, [{ index: e, lower: 1, upper: Infinity, scale: 1 }], 0);
}

export function termSum(dtype: DataType, t: Term | undefined): Sum {
  return new Sum(dtype, t ? [t] : [], 0);
}

function sameShape(a: Term, b: Term): boolean {
  return a.lower === b.lower && a.upper === b.upper && sameExpr(a.index, b.index);
}

/**
 * Adds `t` into `list` in place: merges it with a like term, or fuses it with a neighbouring
 * split of the same index (`lo` covering [lower, upper) and `hi` continuing at `lo.upper`).
 */
function addTerm(list: Term[], t: Term): void {
  for (let i = 0; i < list.length; i++) {
    const u = list[i]!;
    if (!sameShape(u, t)) continue;
    const scale = u.scale + t.scale;
    if (!isSafe(scale)) throw NO_REWRITE;
    list.splice(i, 1);
    if (scale !== 0) addTerm(list, { ...u, scale });
    return;
  }
  for (let i = 0; i < list.length; i++) {
    const u = list[i]!;
    const fused = fuse(u, t) ?? fuse(t, u);
    if (fused) {
      list.splice(i, 1);
      addTerm(list, fused);
      return;
    }
  }
  list.push(t);
}

/**
 * Two pieces of one index as a single term, writing Y = floormod(X, u) and q = b.lower / a.lower:
 *   - digits side by side:  s*(Y mod v)/l + s*(v/l)*(Y / v)   = s*Y/l          (a.upper = b.lower)
 *   - a value minus its low digits:  s*Y/l - s*(Y mod v)/l    = s*(v/l)*(Y/v)   (same lower)
 *   - a value minus its high digits: s*Y/l - s*q*(Y/(l*q))    = s*(Y mod lq)/l  (same upper)
 * (divisions flooring). Undefined when the pair does not have one of these shapes.
 */
function fuse(a: Term, b: Term): Term | undefined {
  if (a.upper === b.lower) {
    if (b.scale !== a.scale * (b.lower / a.lower) || !sameExpr(a.index, b.index)) return undefined;
    return { index: a.index, lower: a.lower, upper: b.upper, scale: a.scale };
  }
  if (a.lower === b.lower && b.scale === -a.scale && b.upper < a.upper && (a.upper === Infinity || a.upper % b.upper === 0)) {
    if (!sameExpr(a.index, b.index)) return undefined;
    return { index: a.index, lower: b.upper, upper: a.upper, scale: a.scale * (b.upper / a.lower) };
  }
  if (a.upper === b.upper && b.lower > a.lower && b.lower % a.lower === 0 && b.scale === -a.scale * (b.lower / a.lower)) {
    if ((a.upper !== Infinity && a.upper % b.lower !== 0) || !sameExpr(a.index, b.index)) return undefined;
    return { index: a.index, lower: a.lower, upper: b.lower, scale: a.scale };
  }
  return undefined;
}

export function sumAdd(a: Sum, b: Sum, sign: 1 | -1 = 1): Sum {
  if (b.isConst()) return b.base === 0 ? a : new Sum(a.dtype, a.terms, a.base + sign * b.base);
  const list = a.terms.slice();
  for (const t of b.terms) addTerm(list, sign === 1 ? t : { ...t, scale: -t.scale });
  return new Sum(a.dtype, list, a.base + sign * b.base);
}

export function sumScale(a: Sum, c: number): Sum {
  if (c === 1) return a;
  if (c === 0) return constSum(a.dtype, 0);
  const terms = a.terms.map((t) => {
    const scale = t.scale * c;
    if (!isSafe(scale)) throw NO_REWRITE;
    return { ...t, scale };
  });
  return new Sum(a.dtype, terms, a.base * c);
}

/** Builds a sum from terms one by one so that like terms merge. */
export function sumOf(dtype: DataType, terms: readonly Term[], base: number): Sum {
  const list: Term[] = [];
  for (const t of terms) addTerm(list, t);
  return new Sum(dtype, list, base);
}

/** An integer constant of `t`, or NO_REWRITE when it does not fit. */
export function intConst(t: DataType, v: number): IntImm {
  return intImm(t, v);
}

/** The expression of one term with its scale replaced by `scale` (>= 1). */
export function termExpr(t: Term, scale: number): PrimExpr {
  const dt = t.index.dtype;
  let e = t.index;
  if (t.upper !== Infinity) e = new FloorMod(e, intConst(dt, t.upper));
  if (t.lower !== 1) e = new FloorDiv(e, intConst(dt, t.lower));
  if (scale !== 1) e = new Mul(e, intConst(dt, scale));
  return e;
}

/** Larger coefficients first, so `i0*32 + i1` reads outer-to-inner; ties keep their order. */
function termOrder(a: Term, b: Term): number {
  return Math.abs(b.scale) - Math.abs(a.scale) || b.lower - a.lower || (b.upper === a.upper ? 0 : b.upper > a.upper ? 1 : -1);
}

/** Back to an expression: positive terms added, negative ones subtracted, the constant last. */
export function normalizeSum(s: Sum): PrimExpr {
  const dt = s.dtype;
  const terms = s.terms.slice().sort(termOrder);
  const pos = terms.filter((t) => t.scale > 0);
  const neg = terms.filter((t) => t.scale < 0);
  let res: PrimExpr | undefined;
  let base = s.base;
  for (const t of pos) {
    const te = termExpr(t, t.scale);
    res = res ? new Add(res, te) : te;
  }
  if (!res && neg.length > 0) {
    // Only subtractions: start from the constant, `3 - x`, `0 - x`, `-2 - x`.
    res = intConst(dt, base);
    base = 0;
  }
  for (const t of neg) res = new Sub(res!, termExpr(t, -t.scale));
  if (!res) return intConst(dt, base);
  if (base > 0) return new Add(res, intConst(dt, base));
  if (base < 0) return fitsDType(-base, dt) ? new Sub(res, intConst(dt, -base)) : new Add(res, intConst(dt, base));
  return res;
}

/** The non-constant part of a sum as an expression (undefined for constants). */
export function normalizeTerms(s: Sum): PrimExpr | undefined {
  return s.isConst() ? undefined : normalizeSum(new Sum(s.dtype, s.terms, 0));
}

export function termBound(t: Term, bound: (e: PrimExpr) => ConstIntBound): ConstIntBound {
  let b = bound(t.index);
  if (t.upper !== Infinity) b = boundFloorMod(b, { min: t.upper, max: t.upper });
  if (t.lower !== 1) b = boundFloorDiv(b, { min: t.lower, max: t.lower });
  return boundScale(b, t.scale);
}

/** Term-wise bound of a sum (callers add constraint knowledge about the whole). */
export function sumBoundTermwise(s: Sum, bound: (e: PrimExpr) => ConstIntBound): ConstIntBound {
  let acc: ConstIntBound = { min: s.base, max: s.base };
  for (const t of s.terms) acc = boundAdd(acc, termBound(t, bound));
  return acc;
}
