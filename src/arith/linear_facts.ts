/**
 * Exact, cheap facts from linear forms (sums of `coeff * atom`): enough to see that
 * `x*16 + 15` and `x*16` differ by 15 or that `n*8 + 4` is 4 modulo 8, whatever the general
 * simplifier can prove. Interval sets and iterator maps ask these first and fall back to the
 * Analyzer. Linear forms are cached per node.
 */
import type { DataType } from "../ir/dtype.js";
import { IntImm, PrimExpr, Var, type Add, type Max, type Min, type Mul, type Sub } from "../ir/expr.js";
import * as ops from "../ir/expr_ops.js";
import { structuralEqual, structuralHash } from "../ir/structural.js";
import type { Analyzer } from "./analyzer.js";

export interface LinearTerm {
  readonly atom: PrimExpr;
  readonly coeff: number;
}
/** `sum(coeff * atom) + constant`; atoms are the non-linear leaves, unique up to structure. */
export interface LinearForm {
  readonly terms: readonly LinearTerm[];
  readonly constant: number;
}

const linearCache = new WeakMap<PrimExpr, LinearForm | null>();

/** The linear form of a scalar integer expression (undefined for other types or huge values). */
export function linearForm(e: PrimExpr): LinearForm | undefined {
  const hit = linearCache.get(e);
  if (hit !== undefined) return hit ?? undefined;
  const f = computeLinearForm(e);
  linearCache.set(e, f ?? null);
  return f;
}

function computeLinearForm(e: PrimExpr): LinearForm | undefined {
  if (!e.dtype.isIntegral() || e.dtype.lanes !== 1) return undefined;
  const terms: { atom: PrimExpr; coeff: number }[] = [];
  const byKey = new Map<number, number[]>();
  let constant = 0;
  let ok = true;
  const addAtom = (atom: PrimExpr, c: number) => {
    const key = atom instanceof Var ? -atom.id : structuralHash(atom);
    const slots = byKey.get(key);
    if (slots) {
      for (const k of slots) {
        const t = terms[k]!;
        if (t.atom === atom || (!(atom instanceof Var) && structuralEqual(t.atom, atom))) {
          t.coeff += c;
          return;
        }
      }
      slots.push(terms.length);
    } else byKey.set(key, [terms.length]);
    terms.push({ atom, coeff: c });
  };
  const walk = (x: PrimExpr, c: number): void => {
    if (!Number.isSafeInteger(c)) ok = false;
    if (!ok || c === 0) return;
    switch (x.kind) {
      case "IntImm":
        constant += c * (x as IntImm).value;
        if (!Number.isSafeInteger(constant)) ok = false;
        return;
      case "Add":
        walk((x as Add).a, c);
        return walk((x as Add).b, c);
      case "Sub":
        walk((x as Sub).a, c);
        return walk((x as Sub).b, -c);
      case "Mul": {
        const m = x as Mul;
        if (m.b instanceof IntImm) return walk(m.a, c * m.b.value);
        if (m.a instanceof IntImm) return walk(m.b, c * m.a.value);
        return addAtom(x, c);
      }
      default:
        return addAtom(x, c);
    }
  };
  walk(e, 1);
  if (!ok) return undefined;
  return { terms: terms.filter((t) => t.coeff !== 0), constant };
}

/** a - b when it is a constant that linear reasoning can see. */
export function constantDifference(a: PrimExpr, b: PrimExpr): number | undefined {
  if (a === b) return 0;
  if (a instanceof IntImm && b instanceof IntImm) return a.value - b.value;
  const fa = linearForm(a), fb = linearForm(b);
  if (!fa || !fb || fa.terms.length !== fb.terms.length) return undefined;
  for (const t of fa.terms) {
    const u = fb.terms.find((x) => x.atom === t.atom || (x.coeff === t.coeff && structuralEqual(x.atom, t.atom)));
    if (!u || u.coeff !== t.coeff) return undefined;
  }
  return fa.constant - fb.constant;
}

function bounds(e: PrimExpr, analyzer?: Analyzer): { min: number; max: number } {
  if (e instanceof IntImm) return { min: e.value, max: e.value };
  return analyzer ? analyzer.constIntBound(e) : { min: -Infinity, max: Infinity };
}

export function knownEqual(a: PrimExpr, b: PrimExpr, analyzer?: Analyzer): boolean {
  if (a === b) return true;
  const d = constantDifference(a, b);
  if (d !== undefined) return d === 0;
  if (structuralEqual(a, b)) return true;
  return analyzer !== undefined && analyzer.canProve(ops.eq(a, b));
}

/** a <= b, from linear facts, constant bounds or the analyzer. */
export function knownLE(a: PrimExpr, b: PrimExpr, analyzer?: Analyzer): boolean {
  const d = constantDifference(b, a);
  if (d !== undefined) return d >= 0;
  if (bounds(a, analyzer).max <= bounds(b, analyzer).min) return true;
  // `n <= ceildiv(n, 48) * 48`, the extent of a symbolic loop split by a constant factor
  // (`floordiv(n + 47, 48) * 48`): compare with the lower bound `n + 47 - 47` instead.
  const lb = roundedDownLowerBound(b, analyzer);
  if (lb !== undefined && knownLE(a, lb, analyzer)) return true;
  // a <= max(x, y) when a <= x or a <= y; min(x, y) <= b when x <= b or y <= b.
  if (b.kind === "Max" && (knownLE(a, (b as Max).a, analyzer) || knownLE(a, (b as Max).b, analyzer))) return true;
  if (a.kind === "Min" && (knownLE((a as Min).a, b, analyzer) || knownLE((a as Min).b, b, analyzer))) return true;
  return analyzer !== undefined && analyzer.canProve(ops.le(a, b));
}

/**
 * `e` with every min / max whose order the linear facts decide replaced by the smaller / larger
 * operand (bottom up). Region bounds of symbolic tiles come as `min(max(ceildiv(n, 64) * 64 - 1,
 * 0), n - 1)`, which the analyzer alone leaves as is.
 */
export function resolveMinMax(e: PrimExpr, analyzer?: Analyzer): PrimExpr {
  if (e.kind !== "Min" && e.kind !== "Max" && e.kind !== "Add" && e.kind !== "Sub") return e;
  const x = e as Min;
  const a = resolveMinMax(x.a, analyzer), b = resolveMinMax(x.b, analyzer);
  if (e.kind === "Add") return a === x.a && b === x.b ? e : ops.add(a, b);
  if (e.kind === "Sub") return a === x.a && b === x.b ? e : ops.sub(a, b);
  const [lo, hi] = knownLE(a, b, analyzer) ? [a, b] : knownLE(b, a, analyzer) ? [b, a] : [undefined, undefined];
  if (lo === undefined) return a === x.a && b === x.b ? e : e.kind === "Min" ? ops.min(a, b) : ops.max(a, b);
  return e.kind === "Min" ? lo : hi!;
}

/**
 * For `floordiv(y, c) * k` with constants c > 0, k a positive multiple of c and y >= 0 (a
 * product of split extents `ceildiv(n, c) * ...`): the lower bound `y - (c - 1)`, since
 * floordiv(y, c) * c >= y - (c - 1) and multiplying the non-negative floordiv(y, c) * c by k / c >= 1
 * does not make it smaller. Undefined for any other form.
 */
function roundedDownLowerBound(b: PrimExpr, analyzer?: Analyzer): PrimExpr | undefined {
  // (rounded) + c and (rounded) - c: shift the bound of the rounded term.
  if ((b.kind === "Add" || b.kind === "Sub") && (b as Add).b instanceof IntImm) {
    const lb = roundedDownLowerBound((b as Add).a, analyzer);
    return lb === undefined ? undefined : b.kind === "Add" ? ops.add(lb, (b as Add).b) : ops.sub(lb, (b as Sub).b);
  }
  let k = 1;
  let rest: PrimExpr | undefined;
  const visit = (e: PrimExpr): boolean => {
    if (e instanceof IntImm) {
      k *= e.value;
      return true;
    }
    if (e.kind === "Mul") return visit((e as Mul).a) && visit((e as Mul).b);
    if (rest !== undefined) return false;
    rest = e;
    return true;
  };
  if (b.kind !== "Mul" || !visit(b) || rest === undefined || rest.kind !== "FloorDiv") return undefined;
  const fd = rest as unknown as { a: PrimExpr; b: PrimExpr };
  if (!(fd.b instanceof IntImm)) return undefined;
  const c = fd.b.value;
  if (c <= 0 || k < c || k % c !== 0 || !knownNonNegative(fd.a, analyzer)) return undefined;
  return ops.sub(fd.a, c - 1);
}

export function knownGE(a: PrimExpr, b: PrimExpr, analyzer?: Analyzer): boolean {
  return knownLE(b, a, analyzer);
}

export function knownNonNegative(e: PrimExpr, analyzer?: Analyzer): boolean {
  if (e instanceof IntImm) return e.value >= 0;
  if (e.kind === "SizeVar") return true;
  const f = linearForm(e);
  if (f && f.constant >= 0 && f.terms.length > 0 && f.terms.every((t) => t.coeff > 0 && (t.atom.kind === "SizeVar" || bounds(t.atom, analyzer).min >= 0))) {
    return true;
  }
  return bounds(e, analyzer).min >= 0 || (analyzer !== undefined && analyzer.canProve(ops.ge(e, 0)));
}

export function knownNonPositive(e: PrimExpr, analyzer?: Analyzer): boolean {
  if (e instanceof IntImm) return e.value <= 0;
  return bounds(e, analyzer).max <= 0 || (analyzer !== undefined && analyzer.canProve(ops.le(e, 0)));
}

/** floormod(e, c) when it is a known constant (c > 0). */
export function knownResidue(e: PrimExpr, c: number, analyzer?: Analyzer): number | undefined {
  if (e instanceof IntImm) return ((e.value % c) + c) % c;
  const f = linearForm(e);
  if (f && f.terms.every((t) => t.coeff % c === 0)) return ((f.constant % c) + c) % c;
  const m = analyzer?.modularSet(e);
  if (m && m.coeff % c === 0) return ((m.base % c) + c) % c;
  return undefined;
}

function nodeCount(e: PrimExpr, limit: number): number {
  let n = 0;
  const walk = (x: PrimExpr) => {
    if (++n > limit) return;
    const b = x as Partial<Add>;
    if (b.a instanceof PrimExpr) walk(b.a);
    if (b.b instanceof PrimExpr) walk(b.b);
  };
  walk(e);
  return n;
}

/** The linear form written back as an expression, in first-appearance order of its atoms. */
export function fromLinearForm(f: LinearForm, dtype: DataType): PrimExpr {
  let acc: PrimExpr | undefined;
  for (const t of f.terms) {
    const mag = Math.abs(t.coeff);
    const term = mag === 1 ? t.atom : ops.mul(t.atom, ops.constant(mag, dtype));
    if (!acc) acc = t.coeff > 0 ? term : ops.sub(ops.constant(0, dtype), term);
    else acc = t.coeff > 0 ? ops.add(acc, term) : ops.sub(acc, term);
  }
  if (!acc) return ops.constant(f.constant, dtype);
  if (f.constant > 0) return ops.add(acc, ops.constant(f.constant, dtype));
  if (f.constant < 0) return ops.sub(acc, ops.constant(-f.constant, dtype));
  return acc;
}

/** Collects like terms when that makes the expression smaller; otherwise returns `e` itself. */
export function tidyLinear(e: PrimExpr): PrimExpr {
  if (e.kind !== "Add" && e.kind !== "Sub" && e.kind !== "Mul") return e;
  const f = linearForm(e);
  if (!f) return e;
  const r = fromLinearForm(f, e.dtype);
  const size = nodeCount(e, 256);
  return nodeCount(r, size) < size ? r : e;
}

/** a / b when b provably divides a (undefined when that cannot be shown). */
export function divideExact(a: PrimExpr, b: PrimExpr, analyzer?: Analyzer): PrimExpr | undefined {
  if (b instanceof IntImm) {
    const d = b.value;
    if (d === 0) return undefined;
    if (d === 1) return a;
    if (a instanceof IntImm) return a.value % d === 0 ? new IntImm(a.dtype, a.value / d) : undefined;
    const f = linearForm(a);
    if (f && f.constant % d === 0 && f.terms.every((t) => t.coeff % d === 0)) {
      return fromLinearForm({ terms: f.terms.map((t) => ({ atom: t.atom, coeff: t.coeff / d })), constant: f.constant / d }, a.dtype);
    }
  }
  if (a instanceof IntImm && a.value === 0) return a;
  if (a === b || knownEqual(a, b)) return new IntImm(a.dtype, 1);
  if (a.kind === "Mul") {
    const m = a as Mul;
    const x = divideExact(m.a, b, analyzer);
    if (x) return ops.mul(x, m.b);
    const y = divideExact(m.b, b, analyzer);
    if (y) return ops.mul(m.a, y);
  } else if (a.kind === "Add" || a.kind === "Sub") {
    const s = a as Add;
    const x = divideExact(s.a, b, analyzer);
    const y = x && divideExact(s.b, b, analyzer);
    if (x && y) return a.kind === "Add" ? ops.add(x, y) : ops.sub(x, y);
  }
  if (analyzer && !(b instanceof IntImm) && analyzer.canProve(ops.eq(ops.floormod(a, b), 0))) {
    return analyzer.simplify(ops.floordiv(a, b));
  }
  return undefined;
}

export function knownDivisible(a: PrimExpr, b: PrimExpr, analyzer?: Analyzer): boolean {
  return divideExact(a, b, analyzer) !== undefined;
}
