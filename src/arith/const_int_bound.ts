/**
 * Constant integer bounds: for every integer expression an inclusive interval [min, max] of
 * the values it can take, from the ranges of bound variables, constants, dtype limits and the
 * facts entered with `withConstraint`. Unbounded ends are +-Infinity. Arithmetic is
 * mathematical (no wrap-around), as in TIR where signed overflow does not happen.
 */
import type { DataType } from "../ir/dtype.js";
import type {
  BinaryOp, Broadcast, Cast, Let, PrimExpr, Ramp, Select, Var, IntImm,
} from "../ir/expr.js";
import { dtypeLimits, floorDiv, isIndexType, truncDiv } from "./int_math.js";

/** Inclusive integer bounds; +-Infinity when unbounded. */
export interface ConstIntBound {
  readonly min: number;
  readonly max: number;
}

export const EVERYTHING: ConstIntBound = Object.freeze({ min: -Infinity, max: Infinity });

const SAFE = Number.MAX_SAFE_INTEGER;

/** Builds a bound, widening ends that left the exactly representable range to infinity. */
export function mkBound(min: number, max: number): ConstIntBound {
  return { min: min < -SAFE ? -Infinity : min, max: max > SAFE ? Infinity : max };
}

export function dtypeBound(t: DataType): ConstIntBound {
  const [lo, hi] = dtypeLimits(t);
  return { min: lo, max: hi };
}

export function boundIntersect(a: ConstIntBound, b: ConstIntBound): ConstIntBound {
  return { min: Math.max(a.min, b.min), max: Math.min(a.max, b.max) };
}

export function boundUnion(a: ConstIntBound, b: ConstIntBound): ConstIntBound {
  return { min: Math.min(a.min, b.min), max: Math.max(a.max, b.max) };
}

export function boundAdd(a: ConstIntBound, b: ConstIntBound): ConstIntBound {
  return mkBound(a.min + b.min, a.max + b.max);
}

export function boundSub(a: ConstIntBound, b: ConstIntBound): ConstIntBound {
  return mkBound(a.min - b.max, a.max - b.min);
}

/** x * y where 0 * infinity counts as 0 (an interval end of 0 contributes exactly 0). */
function mulEnd(x: number, y: number): number {
  return x === 0 || y === 0 ? 0 : x * y;
}

export function boundMul(a: ConstIntBound, b: ConstIntBound): ConstIntBound {
  const p = [mulEnd(a.min, b.min), mulEnd(a.min, b.max), mulEnd(a.max, b.min), mulEnd(a.max, b.max)];
  return mkBound(Math.min(...p), Math.max(...p));
}

export function boundScale(a: ConstIntBound, c: number): ConstIntBound {
  return c >= 0 ? mkBound(mulEnd(a.min, c), mulEnd(a.max, c)) : mkBound(mulEnd(a.max, c), mulEnd(a.min, c));
}

/** Divisor bound with zero removed (division by zero is undefined, so it never happens). */
function nonZero(b: ConstIntBound): ConstIntBound | undefined {
  let { min, max } = b;
  if (min === 0) min = 1;
  if (max === 0) max = -1;
  if (min > max) return undefined;
  return { min, max };
}

function divEnd(x: number, y: number, floor: boolean): number {
  if (!Number.isFinite(x)) {
    if (!Number.isFinite(y)) return 0; // inf / inf: the quotient tends to a small value; 0 is inside the hull
    return (x > 0) === (y > 0) ? Infinity : -Infinity;
  }
  if (!Number.isFinite(y)) return floor && (x > 0) !== (y > 0) && x !== 0 ? -1 : 0;
  return floor ? floorDiv(x, y) : truncDiv(x, y);
}

function boundDiv(a: ConstIntBound, b0: ConstIntBound, floor: boolean): ConstIntBound {
  const b = nonZero(b0);
  if (!b) return EVERYTHING;
  if (b.min < 0 && b.max > 0) {
    // The divisor can be +-1: the quotient's magnitude is at most the dividend's.
    const m = Math.max(Math.abs(a.min), Math.abs(a.max));
    return { min: -m, max: m };
  }
  const p = [divEnd(a.min, b.min, floor), divEnd(a.min, b.max, floor), divEnd(a.max, b.min, floor), divEnd(a.max, b.max, floor)];
  return mkBound(Math.min(...p), Math.max(...p));
}

export function boundFloorDiv(a: ConstIntBound, b: ConstIntBound): ConstIntBound {
  return boundDiv(a, b, true);
}

export function boundTruncDiv(a: ConstIntBound, b: ConstIntBound): ConstIntBound {
  return boundDiv(a, b, false);
}

export function boundFloorMod(a: ConstIntBound, b0: ConstIntBound): ConstIntBound {
  const b = nonZero(b0);
  if (!b) return EVERYTHING;
  if (b.min === b.max && Number.isFinite(b.min) && Number.isFinite(a.min) && Number.isFinite(a.max)) {
    // A constant divisor and a dividend inside one period: the remainder is a shift of it.
    const c = b.min;
    const q = floorDiv(a.min, c);
    if (q === floorDiv(a.max, c)) return { min: a.min - q * c, max: a.max - q * c };
  }
  if (b.min > 0) {
    if (a.min >= 0) return { min: 0, max: Math.min(a.max, b.max - 1) };
    return { min: 0, max: b.max - 1 };
  }
  if (b.max < 0) {
    if (a.max <= 0) return { min: Math.max(a.min, b.min + 1), max: 0 };
    return { min: b.min + 1, max: 0 };
  }
  return { min: b.min + 1, max: b.max - 1 };
}

export function boundTruncMod(a: ConstIntBound, b0: ConstIntBound): ConstIntBound {
  const b = nonZero(b0);
  if (!b) return EVERYTHING;
  const m = Math.max(Math.abs(b.min), Math.abs(b.max)) - 1;
  // The remainder has the dividend's sign and a smaller magnitude than both operands.
  return { min: a.min >= 0 ? 0 : Math.max(-m, a.min), max: a.max <= 0 ? 0 : Math.min(m, a.max) };
}

export function boundMin(a: ConstIntBound, b: ConstIntBound): ConstIntBound {
  return { min: Math.min(a.min, b.min), max: Math.min(a.max, b.max) };
}

export function boundMax(a: ConstIntBound, b: ConstIntBound): ConstIntBound {
  return { min: Math.max(a.min, b.min), max: Math.max(a.max, b.max) };
}

/** What the bound analysis needs from the analyzer that owns it. */
export interface BoundHost {
  /** Bound recorded for a variable (by `bind` or a constraint), if any. */
  varBound(v: Var): ConstIntBound | undefined;
  /** Bound recorded for a whole expression by a constraint, if any. */
  exprBound(e: PrimExpr): ConstIntBound | undefined;
  /** Whether any expression bounds exist (skips the lookup when none). */
  readonly hasExprBounds: boolean;
  /** The memo table, owned by the analyzer so that it can be dropped when facts change. */
  readonly boundCache: Map<PrimExpr, ConstIntBound>;
}

export class ConstIntBoundAnalyzer {
  /** Bounds of Let-bound variables while their body is being visited. */
  private readonly letBounds = new Map<Var, ConstIntBound>();

  constructor(private readonly host: BoundHost) {}

  bound(e: PrimExpr): ConstIntBound {
    const cache = this.host.boundCache;
    const hit = cache.get(e);
    if (hit) return hit;
    let r = this.compute(e);
    if (!isIndexType(e.dtype) && e.dtype.isIntegral() && e.dtype.lanes === 1) {
      // Narrow and unsigned integers wrap: a mathematical range that leaves the type means
      // the value may be anywhere in it.
      const lim = dtypeBound(e.dtype);
      if (r.min < lim.min || r.max > lim.max) r = lim;
    }
    if (this.host.hasExprBounds) {
      const extra = this.host.exprBound(e);
      if (extra) r = boundIntersect(r, extra);
    }
    if (this.letBounds.size === 0) cache.set(e, r);
    return r;
  }

  private compute(e: PrimExpr): ConstIntBound {
    const t = e.dtype;
    switch (e.kind) {
      case "IntImm": {
        const v = (e as IntImm).value;
        return { min: v, max: v };
      }
      case "Var":
      case "SizeVar": {
        const v = e as Var;
        const known = this.letBounds.get(v) ?? this.host.varBound(v);
        let b = known ? boundIntersect(known, dtypeBound(t)) : dtypeBound(t);
        if (e.kind === "SizeVar") b = { min: Math.max(0, b.min), max: b.max };
        return b;
      }
      case "Add":
        return boundAdd(this.ab(e), this.bb(e));
      case "Sub":
        return boundSub(this.ab(e), this.bb(e));
      case "Mul":
        return boundMul(this.ab(e), this.bb(e));
      case "FloorDiv":
        return this.integral(t, () => boundFloorDiv(this.ab(e), this.bb(e)));
      case "FloorMod":
        return this.integral(t, () => boundFloorMod(this.ab(e), this.bb(e)));
      case "Div":
        return this.integral(t, () => boundTruncDiv(this.ab(e), this.bb(e)));
      case "Mod":
        return this.integral(t, () => boundTruncMod(this.ab(e), this.bb(e)));
      case "Min":
        return boundMin(this.ab(e), this.bb(e));
      case "Max":
        return boundMax(this.ab(e), this.bb(e));
      case "EQ": case "NE": case "LT": case "LE": case "GT": case "GE": case "And": case "Or": case "Not":
        return { min: 0, max: 1 };
      case "Select": {
        const s = e as Select;
        return boundUnion(this.bound(s.trueValue), this.bound(s.falseValue));
      }
      case "Cast":
        return this.cast(e as Cast);
      case "Let": {
        const l = e as Let;
        const vb = this.bound(l.value);
        const prev = this.letBounds.get(l.variable);
        this.letBounds.set(l.variable, vb);
        try {
          return this.bound(l.body);
        } finally {
          if (prev) this.letBounds.set(l.variable, prev);
          else this.letBounds.delete(l.variable);
        }
      }
      case "Broadcast":
        return this.bound((e as Broadcast).value);
      case "Ramp": {
        const r = e as Ramp;
        const last = boundScale(this.bound(r.stride), r.lanes - 1);
        return boundUnion(this.bound(r.base), boundAdd(this.bound(r.base), last));
      }
      default:
        return dtypeBound(t.element());
    }
  }

  private ab(e: PrimExpr): ConstIntBound {
    return this.bound((e as BinaryOp).a);
  }
  private bb(e: PrimExpr): ConstIntBound {
    return this.bound((e as BinaryOp).b);
  }

  /** Division bounds only make sense for integers; float division is unbounded here. */
  private integral(t: DataType, f: () => ConstIntBound): ConstIntBound {
    return t.isIntegral() ? f() : EVERYTHING;
  }

  private cast(c: Cast): ConstIntBound {
    const to = c.dtype.element();
    const from = c.value.dtype.element();
    if (to.isBool()) return { min: 0, max: 1 };
    if (!to.isIntegral()) return this.bound(c.value);
    const limits = dtypeBound(to);
    if (!(from.isIntegral() || from.isBool())) return limits;
    const v = this.bound(c.value);
    // A value that fits keeps its bound; one that may not fit may wrap anywhere in the target.
    if (v.min >= limits.min && v.max <= limits.max) return v;
    return limits;
  }
}
