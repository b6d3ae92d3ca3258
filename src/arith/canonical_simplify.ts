/**
 * The canonical simplifier: rewrites integer index expressions into the sum-of-split-terms
 * form of canonical_form.ts and back. Linear arithmetic (collecting like terms, cancelling,
 * moving constants) and division/modulo by positive constants happen on that form:
 *
 *   floordiv(x*c*k + e, c)  = x*k + floordiv(e, c)              always, with flooring
 *   floordiv(g*e1 + r, g*k) = floordiv(e1, k)                    when 0 <= r < g
 *   floormod(g*e1 + r, g*k) = floormod(e1, k)*g + r              when 0 <= r < g
 *
 * Everything else (min, max, select, calls, loads, ...) is an opaque atom whose children are
 * simplified canonically and whose node then goes through the rewrite rules.
 */
import { Add, EQ, IntImm, LE, LT, Mul, NE, Sub, type BinaryOp, type PrimExpr, type Range, type Var } from "../ir/expr.js";
import { ExprMutator } from "../ir/expr_functor.js";
import { bool as boolType } from "../ir/dtype.js";
import { boundIntersect, boundAdd, type ConstIntBound } from "./const_int_bound.js";
import {
  Sum, atomSum, constSum, intConst, normalizeSum, normalizeTerms, sumAdd, sumBoundTermwise, sumOf, sumScale,
  termExpr, termSum, type Term,
} from "./canonical_form.js";
import { NoRewrite, ceilDiv, floorDiv, floorMod, gcd, isIndexType, isSafe } from "./int_math.js";
import { MOD_EVERYTHING, modularAdd, modularMul, type ModularSet } from "./modular_set.js";
import { sameExpr } from "./pattern.js";

/** Which orderings of `a` versus `b` are possible: bits LT, EQ, GT. */
export const CMP_LT = 1;
export const CMP_EQ = 2;
export const CMP_GT = 4;

export type CompareKind = "LT" | "LE" | "EQ" | "NE";

/** What the canonical simplifier needs from its analyzer. */
export interface CanonicalHost {
  bound(e: PrimExpr): ConstIntBound;
  modular(e: PrimExpr): ModularSet;
  /** Applies the rewrite rules to a node whose children are already simplified. */
  rewriteNode(e: PrimExpr): PrimExpr;
  /** The expression a variable was bound to with `bind(v, expr)`, if any. */
  varValue(v: Var): PrimExpr | undefined;
  /** The range a variable was bound to with `bind(v, range)`, if any. */
  varRange(v: Var): Range | undefined;
  /** Constraint knowledge about a whole expression, if any. */
  exprBound(e: PrimExpr): ConstIntBound | undefined;
  readonly hasExprBounds: boolean;
  readonly sumCache: Map<PrimExpr, Sum>;
}

function isIndex(e: PrimExpr): boolean {
  return isIndexType(e.dtype);
}

/** Number of top-level additive pieces (constants included). */
function countAddends(e: PrimExpr): number {
  if (e.kind === "Add" || e.kind === "Sub") return countAddends((e as BinaryOp).a) + countAddends((e as BinaryOp).b);
  return 1;
}

export class CanonicalSimplifier extends ExprMutator {
  constructor(private readonly host: CanonicalHost) {
    super();
  }

  /** Canonical simplification of any expression; returns `e` itself when nothing changes. */
  simplify(e: PrimExpr): PrimExpr {
    try {
      const r = this.visitExpr(e);
      return r !== e && sameExpr(r, e) ? e : r;
    } catch (err) {
      if (err instanceof NoRewrite) return e;
      throw err;
    }
  }

  override visitExpr(e: PrimExpr): PrimExpr {
    if (!isIndex(e)) {
      const r = super.visitExpr(e);
      return r === e || r.kind === "Var" ? r : this.host.rewriteNode(r);
    }
    if (e.kind === "IntImm") return e;
    // The output is not memoized as having sum `s`: re-deriving its form may find more (an
    // atom's new mod/div by a constant is only seen as such on the next pass).
    const out = normalizeSum(this.toSum(e));
    return sameExpr(out, e) ? e : out;
  }

  override visitVar(v: Var): PrimExpr {
    return this.host.varValue(v) ?? v;
  }

  /** The canonical form of a scalar integer expression. */
  toSum(e: PrimExpr): Sum {
    const cache = this.host.sumCache;
    const hit = cache.get(e);
    if (hit) return hit;
    const s = this.computeSum(e);
    cache.set(e, s);
    return s;
  }

  private computeSum(e: PrimExpr): Sum {
    switch (e.kind) {
      case "IntImm":
        return constSum(e.dtype, (e as IntImm).value);
      case "Var":
      case "SizeVar": {
        const val = this.host.varValue(e as Var);
        return val ? this.toSum(val) : atomSum(e);
      }
      case "Add":
        return sumAdd(this.toSum((e as BinaryOp).a), this.toSum((e as BinaryOp).b));
      case "Sub":
        return sumAdd(this.toSum((e as BinaryOp).a), this.toSum((e as BinaryOp).b), -1);
      case "Mul":
        return this.mul(e as BinaryOp);
      case "FloorDiv":
      case "FloorMod":
      case "Div":
      case "Mod":
        return this.divMod(e as BinaryOp);
      default:
        return this.opaque(e);
    }
  }

  /** An atom: children simplified canonically, then the node rewritten by the rules. */
  private opaque(e: PrimExpr): Sum {
    const rebuilt = super.visitExpr(e);
    if (rebuilt === e) return atomSum(e);
    const r = rebuilt.kind === "Var" ? rebuilt : this.host.rewriteNode(rebuilt);
    if (r.kind === "IntImm") return constSum(r.dtype, (r as IntImm).value);
    // A rule may have turned the node into arithmetic the sum form understands.
    if (r.kind === "Add" || r.kind === "Sub" || r.kind === "Mul") return this.toSum(r);
    return atomSum(r);
  }

  private mul(e: BinaryOp): Sum {
    const a = this.toSum(e.a);
    const b = this.toSum(e.b);
    if (b.isConst()) return sumScale(a, b.base);
    if (a.isConst()) return sumScale(b, a.base);
    // A product of two non-constant parts is an atom; single scaled terms lend it their scale.
    const [sa, ea] = this.factor(a);
    const [sb, eb] = this.factor(b);
    const scale = sa * sb;
    if (!isSafe(scale)) throw new NoRewrite();
    const prod = new Mul(ea, eb);
    const r = sameExpr(prod, e) ? e : this.host.rewriteNode(prod);
    if (r.kind !== "Mul") return sumScale(this.toSum(r), scale);
    return sumScale(atomSum(r), scale);
  }

  private factor(s: Sum): [number, PrimExpr] {
    if (s.terms.length === 1 && s.base === 0) {
      const t = s.terms[0]!;
      return [t.scale, termExpr(t, 1)];
    }
    return [1, normalizeSum(s)];
  }

  private divMod(e: BinaryOp): Sum {
    const b = this.toSum(e.b);
    if (b.isConst() && b.base > 0) {
      const floor = e.kind === "FloorDiv" || e.kind === "FloorMod";
      const a = this.toSum(e.a);
      // Truncating division equals flooring division when the dividend is non-negative.
      if (floor || this.sumBound(a).min >= 0) {
        return e.kind === "FloorDiv" || e.kind === "Div" ? this.divSum(a, b.base) : this.modSum(a, b.base);
      }
    }
    return this.opaque(e);
  }

  /** Bound of a sum: term by term, tightened by constraints known about the whole. */
  sumBound(s: Sum): ConstIntBound {
    const bound = (x: PrimExpr) => this.host.bound(x);
    let b = sumBoundTermwise(s, bound);
    if (this.host.hasExprBounds && s.terms.length > 1) {
      const extra = this.host.exprBound(normalizeTerms(s)!);
      if (extra) b = boundIntersect(b, boundAdd(extra, { min: s.base, max: s.base }));
    }
    return b;
  }

  /** A constant when the whole sum lies inside one bucket [q*c, (q+1)*c). */
  private bucket(s: Sum, c: number): number | undefined {
    const b = this.sumBound(s);
    if (!Number.isFinite(b.min) || !Number.isFinite(b.max)) return undefined;
    const q = floorDiv(b.min, c);
    return q === floorDiv(b.max, c) ? q : undefined;
  }

  private mkTerm(index: PrimExpr, lower: number, upper: number, scale: number): Term | undefined {
    if (upper !== Infinity) {
      if (upper === lower) return undefined;
      const b = this.host.bound(index);
      // The mod is a no-op when the index already lies in [0, upper).
      if (b.min >= 0 && b.max < upper) upper = Infinity;
    }
    return { index, lower, upper, scale };
  }

  /** floordiv(s, c) for c > 0. */
  divSum(s: Sum, c: number): Sum {
    const dt = s.dtype;
    if (s.isConst()) return constSum(dt, floorDiv(s.base, c));
    const q = this.bucket(s, c);
    if (q !== undefined) return constSum(dt, q);
    const divisible: Term[] = [];
    const rest: Term[] = [];
    for (const t of s.terms) {
      if (t.scale % c === 0) divisible.push({ ...t, scale: t.scale / c });
      else rest.push(t);
    }
    const baseD = s.base % c === 0 ? s.base : 0;
    const head = new Sum(dt, divisible, baseD / c);
    if (rest.length === 0 && baseD === s.base) return head;
    return sumAdd(head, this.divRest(new Sum(dt, rest, s.base - baseD), c));
  }

  private divRest(s: Sum, c: number): Sum {
    const dt = s.dtype;
    const q = this.bucket(s, c);
    if (q !== undefined) return constSum(dt, q);
    if (s.terms.length === 1 && s.base === 0) return this.splitDiv(s.terms[0]!, c, dt);
    const split = this.splitByGcd(s, c);
    if (split) return this.divSum(split.high, c / split.g);
    return termSum(dt, this.mkTerm(normalizeSum(s), c, Infinity, 1));
  }

  /** floormod(s, c) for c > 0. */
  modSum(s: Sum, c: number): Sum {
    const dt = s.dtype;
    if (s.isConst()) return constSum(dt, floorMod(s.base, c));
    // Coefficients only matter modulo c: x*5 mod 4 is x mod 4 (the sign is kept so |scale| only shrinks).
    const reduced = s.terms.filter((t) => t.scale % c !== 0).map((t) => (Math.abs(t.scale) < c ? t : { ...t, scale: t.scale % c }));
    const rest = sumOf(dt, reduced, floorMod(s.base, c));
    if (rest.isConst()) return rest;
    const q = this.bucket(rest, c);
    if (q !== undefined) return sumAdd(rest, constSum(dt, -q * c));
    if (rest.terms.length === 1 && rest.base === 0) return this.splitMod(rest.terms[0]!, c, dt);
    const split = this.splitByGcd(rest, c);
    if (split) return sumAdd(sumScale(this.modSum(split.high, c / split.g), split.g), split.low);
    return termSum(dt, this.mkTerm(normalizeSum(rest), 1, c, 1));
  }

  /**
   * Writes s = g*high + low with 1 < g < c, g | c and 0 <= low < g, trying the largest such g
   * first; undefined when no split works.
   */
  private splitByGcd(s: Sum, c: number): { g: number; high: Sum; low: Sum } | undefined {
    const cands = [...new Set(s.terms.map((t) => gcd(t.scale, c)))].filter((g) => g > 1 && g < c).sort((x, y) => y - x);
    for (const g of cands) {
      const hi: Term[] = [];
      const lo: Term[] = [];
      for (const t of s.terms) {
        if (t.scale % g === 0) hi.push({ ...t, scale: t.scale / g });
        else lo.push(t);
      }
      if (hi.length === 0) continue;
      const low = new Sum(s.dtype, lo, floorMod(s.base, g));
      const b = this.sumBound(low);
      if (b.min >= 0 && b.max < g) return { g, high: new Sum(s.dtype, hi, floorDiv(s.base, g)), low };
    }
    return undefined;
  }

  /** floordiv of one term by c > 0. */
  private splitDiv(t: Term, c: number, dt: Sum["dtype"]): Sum {
    if (t.scale % c === 0) return termSum(dt, { ...t, scale: t.scale / c });
    if (t.scale > 0 && c % t.scale === 0) {
      const lower = t.lower * (c / t.scale);
      if (!isSafe(lower)) throw new NoRewrite();
      if (t.upper === Infinity) return termSum(dt, this.mkTerm(t.index, lower, Infinity, 1));
      if (lower >= t.upper) return constSum(dt, 0);
      if (t.upper % lower === 0) return termSum(dt, this.mkTerm(t.index, lower, t.upper, 1));
    }
    return termSum(dt, this.mkTerm(normalizeSum(termSum(dt, t)), c, Infinity, 1));
  }

  /** floormod of one term by c > 0. */
  private splitMod(t: Term, c: number, dt: Sum["dtype"]): Sum {
    if (t.scale % c === 0) return constSum(dt, 0);
    if (t.scale > 0 && c % t.scale === 0) {
      const upper = t.lower * (c / t.scale);
      if (!isSafe(upper)) throw new NoRewrite();
      if (t.upper === Infinity || t.upper % upper === 0) return termSum(dt, this.mkTerm(t.index, t.lower, upper, t.scale));
      if (upper % t.upper === 0) return termSum(dt, t);
    }
    return termSum(dt, this.mkTerm(normalizeSum(termSum(dt, t)), 1, c, 1));
  }

  // ------------------------------------------------------------ comparisons

  /** The canonical difference a - b. */
  diff(a: PrimExpr, b: PrimExpr): Sum {
    return sumAdd(this.toSum(a), this.toSum(b), -1);
  }

  /** Which of a < b, a == b, a > b are possible (a mask of CMP_LT | CMP_EQ | CMP_GT). */
  compare(a: PrimExpr, b: PrimExpr): number {
    let d: Sum;
    try {
      d = this.diff(a, b);
    } catch (err) {
      if (err instanceof NoRewrite) return CMP_LT | CMP_EQ | CMP_GT;
      throw err;
    }
    if (d.isConst()) return d.base < 0 ? CMP_LT : d.base > 0 ? CMP_GT : CMP_EQ;
    const bd = this.sumBound(d);
    let lo = bd.min, hi = bd.max;
    if (lo <= 0 && hi >= 0) {
      // Inconclusive with constant bounds: try the ends of symbolic loop ranges (i < n for i in [0, n)).
      lo = Math.max(lo, this.symbolicEnd(d, false));
      hi = Math.min(hi, this.symbolicEnd(d, true));
    }
    let mask = 0;
    if (lo < 0) mask |= CMP_LT;
    if (lo <= 0 && hi >= 0) mask |= CMP_EQ;
    if (hi > 0) mask |= CMP_GT;
    if (mask & CMP_EQ) {
      const m = this.sumModular(d);
      if (m.coeff === 0 ? m.base !== 0 : m.base % m.coeff !== 0) mask &= ~CMP_EQ;
    }
    return mask;
  }

  /**
   * An upper (or lower) bound of `d` found by replacing each plain `scale * v`, for v bound to
   * a range, by the range end that maximizes (minimizes) it, then bounding what is left. Other
   * occurrences of v keep their own bounds, so this stays sound.
   */
  private symbolicEnd(d: Sum, upper: boolean): number {
    let out: Sum | undefined;
    try {
      for (const t of d.terms) {
        if (t.lower !== 1 || t.upper !== Infinity || !(t.index.kind === "Var" || t.index.kind === "SizeVar")) continue;
        const r = this.host.varRange(t.index as Var);
        if (!r || (r.min.kind === "IntImm" && r.extent.kind === "IntImm")) continue;
        const useMax = upper === t.scale > 0;
        const end = useMax ? new Add(r.min, new Sub(r.extent, new IntImm(r.extent.dtype, 1))) : r.min;
        if (end.dtype !== d.dtype) continue;
        out = sumAdd(sumAdd(out ?? d, termSum(d.dtype, t), -1), sumScale(this.toSum(end), t.scale));
      }
      if (!out) return upper ? Infinity : -Infinity;
      const b = sumBoundTermwise(out, (x) => this.host.bound(x));
      return upper ? b.max : b.min;
    } catch (err) {
      if (err instanceof NoRewrite) return upper ? Infinity : -Infinity;
      throw err;
    }
  }

  private sumModular(s: Sum): ModularSet {
    let acc: ModularSet = { coeff: 0, base: s.base };
    for (const t of s.terms) {
      const tm = t.lower === 1 && t.upper === Infinity ? this.host.modular(t.index) : MOD_EVERYTHING;
      acc = modularAdd(acc, modularMul(tm, { coeff: 0, base: t.scale }));
    }
    return acc;
  }

  /**
   * `a OP b` rewritten as `P OP N + r` with common terms cancelled, constants merged and the
   * common factor of all coefficients divided out; undefined when that would not be simpler.
   */
  linearCompare(kind: CompareKind, a: PrimExpr, b: PrimExpr): PrimExpr | undefined {
    if (!isIndex(a)) return undefined;
    let d: Sum;
    try {
      d = this.diff(a, b);
      if (d.isConst()) return undefined;
      let g = 0;
      for (const t of d.terms) g = gcd(g, t.scale);
      const pieces = d.terms.length + (d.base !== 0 ? 1 : 0);
      if (g <= 1 && pieces >= countAddends(a) + countAddends(b)) return undefined;
      // P - N + base OP 0  <=>  P/g OP N/g + r
      const dt = d.dtype;
      const pos = d.terms.filter((t) => t.scale > 0).map((t) => ({ ...t, scale: t.scale / g }));
      const neg = d.terms.filter((t) => t.scale < 0).map((t) => ({ ...t, scale: -t.scale / g }));
      const nb = -d.base;
      let r: number;
      if (kind === "LT") r = ceilDiv(nb, g);
      else if (kind === "LE") r = floorDiv(nb, g);
      else if (nb % g !== 0) return new IntImm(boolType, kind === "NE" ? 1 : 0);
      else r = nb / g;
      let lhs: PrimExpr;
      let rhs: PrimExpr;
      if (pos.length === 0) {
        // 0 OP N + r  <=>  -r OP N  (for EQ/NE the variable side goes left)
        lhs = intConst(dt, -r);
        rhs = normalizeSum(sumOf(dt, neg, 0));
        if (kind === "EQ" || kind === "NE") [lhs, rhs] = [rhs, lhs];
      } else {
        lhs = normalizeSum(sumOf(dt, pos, 0));
        rhs = normalizeSum(sumOf(dt, neg, r));
      }
      const out = kind === "LT" ? new LT(lhs, rhs) : kind === "LE" ? new LE(lhs, rhs) : kind === "EQ" ? new EQ(lhs, rhs) : new NE(lhs, rhs);
      const orig = kind === "LT" ? new LT(a, b) : kind === "LE" ? new LE(a, b) : kind === "EQ" ? new EQ(a, b) : new NE(a, b);
      return sameExpr(out, orig) ? undefined : out;
    } catch (err) {
      if (err instanceof NoRewrite) return undefined;
      throw err;
    }
  }
}
