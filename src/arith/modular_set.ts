/**
 * Modular sets: for an integer expression, a pair (coeff, base) such that every value it
 * takes is `coeff * k + base` for some integer k. coeff 0 means the single value `base`;
 * (1, 0) means nothing is known. Used to prove divisibility (`floormod(i*8 + 4, 4) == 0`)
 * and to see that a vector index stays inside one division bucket.
 */
import type { BinaryOp, Broadcast, Cast, IntImm, Let, PrimExpr, Select, Var } from "../ir/expr.js";
import { dtypeBound, type ConstIntBound } from "./const_int_bound.js";
import { floorDiv, floorMod, gcd, isIndexType, isSafe, truncDiv, truncMod } from "./int_math.js";

/** The set { coeff * k + base | k integer }; coeff 0 means the single value `base`. */
export interface ModularSet {
  readonly coeff: number;
  readonly base: number;
}

export const MOD_EVERYTHING: ModularSet = Object.freeze({ coeff: 1, base: 0 });

/** Normalizes to coeff >= 0 and 0 <= base < coeff; gives up (everything) on unsafe values. */
export function mkModular(coeff: number, base: number): ModularSet {
  coeff = Math.abs(coeff);
  if (!isSafe(coeff) || !isSafe(base)) return MOD_EVERYTHING;
  return { coeff, base: coeff === 0 ? base : floorMod(base, coeff) };
}

export function modularUnion(a: ModularSet, b: ModularSet): ModularSet {
  const diff = a.base - b.base;
  if (!isSafe(diff)) return MOD_EVERYTHING;
  const g = gcd(gcd(a.coeff, b.coeff), diff);
  return mkModular(g, a.base);
}

export function modularAdd(a: ModularSet, b: ModularSet, sign = 1): ModularSet {
  return mkModular(gcd(a.coeff, b.coeff), a.base + sign * b.base);
}

export function modularMul(a: ModularSet, b: ModularSet): ModularSet {
  const c = gcd(gcd(a.coeff * b.coeff, a.coeff * b.base), b.coeff * a.base);
  return mkModular(c, a.base * b.base);
}

/** Whether every value of the set is a multiple of `d` (d != 0). */
export function modularDivisible(m: ModularSet, d: number): boolean {
  return m.coeff % d === 0 && m.base % d === 0;
}

/** What the modular analysis needs from its analyzer. */
export interface ModularHost {
  varModular(v: Var): ModularSet | undefined;
  bound(e: PrimExpr): ConstIntBound;
  readonly modularCache: Map<PrimExpr, ModularSet>;
}

export class ModularSetAnalyzer {
  private readonly letSets = new Map<Var, ModularSet>();

  constructor(private readonly host: ModularHost) {}

  modular(e: PrimExpr): ModularSet {
    const cache = this.host.modularCache;
    const hit = cache.get(e);
    if (hit) return hit;
    let r = e.dtype.isIntegral() || e.dtype.isBool() ? this.compute(e) : MOD_EVERYTHING;
    if (r !== MOD_EVERYTHING && !isIndexType(e.dtype) && e.dtype.isIntegral() && !this.cannotWrap(e)) r = MOD_EVERYTHING;
    if (this.letSets.size === 0) cache.set(e, r);
    return r;
  }

  private compute(e: PrimExpr): ModularSet {
    switch (e.kind) {
      case "IntImm":
        return { coeff: 0, base: (e as IntImm).value };
      case "Var":
      case "SizeVar":
        return this.letSets.get(e as Var) ?? this.host.varModular(e as Var) ?? MOD_EVERYTHING;
      case "Add":
        return modularAdd(this.a(e), this.b(e));
      case "Sub":
        return modularAdd(this.a(e), this.b(e), -1);
      case "Mul":
        return modularMul(this.a(e), this.b(e));
      case "FloorDiv":
        return this.div(e as BinaryOp, true);
      case "Div":
        return this.div(e as BinaryOp, false);
      case "FloorMod":
        return this.mod(e as BinaryOp, true);
      case "Mod":
        return this.mod(e as BinaryOp, false);
      case "Min":
      case "Max":
        return modularUnion(this.a(e), this.b(e));
      case "Select": {
        const s = e as Select;
        return modularUnion(this.modular(s.trueValue), this.modular(s.falseValue));
      }
      case "Cast": {
        const c = e as Cast;
        if (!(c.value.dtype.isIntegral() || c.value.dtype.isBool())) return MOD_EVERYTHING;
        // Only a cast that cannot wrap keeps congruences.
        const b = this.host.bound(c.value);
        const t = dtypeBound(c.dtype.element());
        return b.min >= t.min && b.max <= t.max ? this.modular(c.value) : MOD_EVERYTHING;
      }
      case "Let": {
        const l = e as Let;
        const prev = this.letSets.get(l.variable);
        this.letSets.set(l.variable, this.modular(l.value));
        try {
          return this.modular(l.body);
        } finally {
          if (prev) this.letSets.set(l.variable, prev);
          else this.letSets.delete(l.variable);
        }
      }
      case "Broadcast":
        return this.modular((e as Broadcast).value);
      default:
        return MOD_EVERYTHING;
    }
  }

  /** Whether a wrapping-type expression provably stays inside its type (so no wrap occurred). */
  private cannotWrap(e: PrimExpr): boolean {
    const b = this.host.bound(e);
    const lim = dtypeBound(e.dtype.element());
    return b.min > lim.min || b.max < lim.max || e.kind === "IntImm" || e.kind === "Var";
  }

  private a(e: PrimExpr): ModularSet {
    return this.modular((e as BinaryOp).a);
  }
  private b(e: PrimExpr): ModularSet {
    return this.modular((e as BinaryOp).b);
  }

  private div(e: BinaryOp, floor: boolean): ModularSet {
    const x = this.modular(e.a);
    const y = this.modular(e.b);
    if (y.coeff !== 0 || y.base === 0) return MOD_EVERYTHING;
    const c = y.base;
    if (x.coeff === 0) return { coeff: 0, base: floor ? floorDiv(x.base, c) : truncDiv(x.base, c) };
    if (x.coeff % c !== 0) return MOD_EVERYTHING;
    // x = coeff*k + base with c | coeff: the quotient is (coeff/c)*k + base/c when that is exact.
    if (floor || x.base % c === 0 || (c > 0 && this.host.bound(e.a).min >= 0)) {
      return mkModular(x.coeff / c, floorDiv(x.base, c));
    }
    return MOD_EVERYTHING;
  }

  private mod(e: BinaryOp, floor: boolean): ModularSet {
    const x = this.modular(e.a);
    const y = this.modular(e.b);
    if (y.coeff !== 0 || y.base === 0) return MOD_EVERYTHING;
    const c = y.base;
    if (x.coeff === 0) return { coeff: 0, base: floor ? floorMod(x.base, c) : truncMod(x.base, c) };
    if (x.coeff % c === 0) {
      // Every value is congruent to base modulo c; the remainder is then fixed when its sign is.
      if (floor) return { coeff: 0, base: floorMod(x.base, c) };
      if (x.base % c === 0) return { coeff: 0, base: 0 };
      if (this.host.bound(e.a).min >= 0) return { coeff: 0, base: floorMod(x.base, Math.abs(c)) };
    }
    // The remainder differs from x by a multiple of c, so it keeps x's residue modulo gcd(coeff, c).
    return mkModular(gcd(x.coeff, c), x.base);
  }
}
