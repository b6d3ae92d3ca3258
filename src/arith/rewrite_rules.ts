/**
 * THE rewrite-rule table of the simplifier: every rule in one place, one entry each,
 * `{ name, lhs, when?, rhs, on? }`. Patterns use the language of pattern.ts: `x, y, z` match
 * any expression, `c1, c2` match integer constants (their values are `k.c1`, `k.c2`), `lit(n)`
 * matches the constant n. Rules apply to scalar integers unless `on` says otherwise; each
 * must be exact for every value (no overflow assumed beyond TIR's own), and must make the
 * expression strictly simpler or more canonical so that rewriting terminates.
 *
 * Division by a constant assumes the constant is not zero only where a rule checks it.
 * Truncating division becomes flooring division only with provably non-negative operands.
 * Comparisons are normalized to `<`, `<=`, `==`, `!=` (`a > b` is `b < a`).
 */
import { bool } from "../ir/dtype.js";
import {
  Add, And, Broadcast, EQ, FloorDiv, FloorMod, IntImm, LE, LT, Max, Min, Mul, NE, Not, Or, Ramp, Select, Sub,
  type PrimExpr,
} from "../ir/expr.js";
import { binaryCtors } from "../ir/expr_functor.js";
import { CMP_EQ, CMP_GT, CMP_LT } from "./canonical_simplify.js";
import { ceilDiv, floorDiv, floorMod, intImm, isIndexType } from "./int_math.js";
import { P, POp, c, lit, sameExpr, v } from "./pattern.js";
import type { Domain, Rule, RuleContext, RuleFn } from "./rewrite_simplify.js";

const x = v("x"), y = v("y"), z = v("z");
const c1 = c("c1"), c2 = c("c2");

// ---------------------------------------------------------------- builders for right-hand sides

/** An integer constant with the dtype of `like`; the rule does not apply if it does not fit. */
function int(value: number, like: PrimExpr): IntImm {
  return intImm(like.dtype, value);
}
const TRUE = new IntImm(bool, 1);
const FALSE = new IntImm(bool, 0);
const add = (a: PrimExpr, b: PrimExpr) => new Add(a, b);
const sub = (a: PrimExpr, b: PrimExpr) => new Sub(a, b);
const mul = (a: PrimExpr, b: PrimExpr) => new Mul(a, b);
const fdiv = (a: PrimExpr, b: PrimExpr) => new FloorDiv(a, b);
const fmod = (a: PrimExpr, b: PrimExpr) => new FloorMod(a, b);
const min = (a: PrimExpr, b: PrimExpr) => new Min(a, b);
const max = (a: PrimExpr, b: PrimExpr) => new Max(a, b);
const zero = (like: PrimExpr) => intImm(like.dtype, 0);

/** Whether the value of `e` lies in [lo, hi]. */
function within(ctx: RuleContext, e: PrimExpr, lo: number, hi: number): boolean {
  const b = ctx.bound(e);
  return b.min >= lo && b.max <= hi;
}
const nonNeg = (ctx: RuleContext, e: PrimExpr) => ctx.bound(e).min >= 0;
const positive = (ctx: RuleContext, e: PrimExpr) => ctx.bound(e).min > 0;
const isIndex = (e: PrimExpr) => isIndexType(e.dtype);
const intVec = (e: PrimExpr) => e.dtype.lanes > 1 && isIndexType(e.dtype.element());

/** The decided value of a comparison from the mask of possible orderings, if decided. */
function decide(mask: number, holds: (m: number) => boolean | undefined): PrimExpr | undefined {
  if (mask === 0) return undefined; // contradictory facts: decide nothing
  const r = holds(mask);
  return r === undefined ? undefined : r ? TRUE : FALSE;
}
const ltHolds = (m: number) => (m === CMP_LT ? true : (m & CMP_LT) === 0 ? false : undefined);
const leHolds = (m: number) => ((m & CMP_GT) === 0 ? true : m === CMP_GT ? false : undefined);
const eqHolds = (m: number) => (m === CMP_EQ ? true : (m & CMP_EQ) === 0 ? false : undefined);
const neHolds = (m: number) => {
  const r = eqHolds(m);
  return r === undefined ? undefined : !r;
};

/** `e` as "expr in [lo, hi]" when it compares a non-constant with a constant. */
function asInterval(e: PrimExpr): { x: PrimExpr; lo: number; hi: number } | undefined {
  if (e.kind !== "LT" && e.kind !== "LE" && e.kind !== "EQ") return undefined;
  const { a, b } = e as LT;
  if (!isIndex(a)) return undefined;
  const strict = e.kind === "LT" ? 1 : 0;
  if (b instanceof IntImm && !(a instanceof IntImm)) {
    return e.kind === "EQ" ? { x: a, lo: b.value, hi: b.value } : { x: a, lo: -Infinity, hi: b.value - strict };
  }
  if (a instanceof IntImm && !(b instanceof IntImm)) {
    return e.kind === "EQ" ? { x: b, lo: a.value, hi: a.value } : { x: b, lo: a.value + strict, hi: Infinity };
  }
  return undefined;
}

/** `x in [lo, hi]` as the fewest comparisons. */
function intervalExpr(xe: PrimExpr, lo: number, hi: number): PrimExpr {
  if (lo === hi) return new EQ(xe, int(lo, xe));
  const parts: PrimExpr[] = [];
  if (lo !== -Infinity) parts.push(new LE(int(lo, xe), xe));
  if (hi !== Infinity) parts.push(new LE(xe, int(hi, xe)));
  if (parts.length === 0) return TRUE;
  return parts.length === 1 ? parts[0]! : new And(parts[0]!, parts[1]!);
}

function andIntervals(a: PrimExpr, b: PrimExpr): PrimExpr | undefined {
  const p = asInterval(a), q = asInterval(b);
  if (!p || !q || !sameExpr(p.x, q.x)) return undefined;
  const lo = Math.max(p.lo, q.lo), hi = Math.min(p.hi, q.hi);
  if (lo > hi) return FALSE;
  if (lo === p.lo && hi === p.hi) return a;
  if (lo === q.lo && hi === q.hi) return b;
  return lo === hi ? intervalExpr(p.x, lo, hi) : undefined;
}

function orIntervals(a: PrimExpr, b: PrimExpr): PrimExpr | undefined {
  const p = asInterval(a), q = asInterval(b);
  if (!p || !q || !sameExpr(p.x, q.x)) return undefined;
  // Only when the union is itself one interval.
  if (Math.max(p.lo, q.lo) > Math.min(p.hi, q.hi) + 1) return undefined;
  const lo = Math.min(p.lo, q.lo), hi = Math.max(p.hi, q.hi);
  if (lo === -Infinity && hi === Infinity) return TRUE;
  if (lo === p.lo && hi === p.hi) return a;
  if (lo === q.lo && hi === q.hi) return b;
  return undefined;
}

function r(name: string, lhs: POp, rhs: RuleFn<PrimExpr | undefined>, when?: RuleFn<boolean>, on?: readonly Domain[]): Rule {
  return { name, lhs, rhs, when, on };
}
const ANY: readonly Domain[] = ["int", "bool", "float", "vec", "other"];
const BOOL: readonly Domain[] = ["bool"];
const VEC: readonly Domain[] = ["vec"];

// ---------------------------------------------------------------- the table

const addRules: Rule[] = [
  r("add-zero-r", P.add(x, lit(0)), (e) => e.x),
  r("add-zero-l", P.add(lit(0), x), (e) => e.x),
  r("add-const-first", P.add(c1, x), (e) => add(e.x, e.c1)),
  r("add-negative-const", P.add(x, c1), (e, k) => sub(e.x, int(-k.c1, e.x)), (_e, k) => k.c1 < 0),
  r("add-const-const", P.add(P.add(x, c1), c2), (e, k) => add(e.x, int(k.c1 + k.c2, e.x))),
  r("add-subconst-const", P.add(P.sub(x, c1), c2), (e, k) => add(e.x, int(k.c2 - k.c1, e.x))),
  r("add-constsub-const", P.add(P.sub(c1, x), c2), (e, k) => sub(int(k.c1 + k.c2, e.x), e.x)),
  r("add-const-out-l", P.add(P.add(x, c1), y), (e) => add(add(e.x, e.y), e.c1)),
  r("add-const-out-r", P.add(x, P.add(y, c1)), (e) => add(add(e.x, e.y), e.c1)),
  r("add-subconst-out-l", P.add(P.sub(x, c1), y), (e) => sub(add(e.x, e.y), e.c1)),
  r("add-subconst-out-r", P.add(x, P.sub(y, c1)), (e) => sub(add(e.x, e.y), e.c1)),
  r("add-sub-cancel-l", P.add(P.sub(x, y), y), (e) => e.x),
  r("add-sub-cancel-r", P.add(y, P.sub(x, y)), (e) => e.x),
  r("add-neg-l", P.add(P.sub(lit(0), x), y), (e) => sub(e.y, e.x)),
  r("add-neg-r", P.add(x, P.sub(lit(0), y)), (e) => sub(e.x, e.y)),
  r("add-self", P.add(x, x), (e) => mul(e.x, int(2, e.x))),
  r("add-like-terms", P.add(P.mul(x, c1), P.mul(x, c2)), (e, k) => mul(e.x, int(k.c1 + k.c2, e.x))),
  r("add-like-term-x-l", P.add(P.mul(x, c1), x), (e, k) => mul(e.x, int(k.c1 + 1, e.x))),
  r("add-like-term-x-r", P.add(x, P.mul(x, c1)), (e, k) => mul(e.x, int(k.c1 + 1, e.x))),
  r("add-min-max", P.add(P.min(x, y), P.max(x, y)), (e) => add(e.x, e.y)),
  r("add-max-min", P.add(P.max(x, y), P.min(x, y)), (e) => add(e.x, e.y)),
  r("add-min-max-swap", P.add(P.min(x, y), P.max(y, x)), (e) => add(e.x, e.y)),
  r("add-fuse-split", P.add(P.mul(P.floordiv(x, c1), c1), P.floormod(x, c1)), (e) => e.x, (_e, k) => k.c1 !== 0),
  r("add-fuse-split-r", P.add(P.floormod(x, c1), P.mul(P.floordiv(x, c1), c1)), (e) => e.x, (_e, k) => k.c1 !== 0),
  r("add-fuse-split-nested", P.add(P.add(y, P.mul(P.floordiv(x, c1), c1)), P.floormod(x, c1)), (e) => add(e.y, e.x), (_e, k) => k.c1 !== 0),
  r("add-fuse-split-nested-r", P.add(P.add(y, P.floormod(x, c1)), P.mul(P.floordiv(x, c1), c1)), (e) => add(e.y, e.x), (_e, k) => k.c1 !== 0),
];

const subRules: Rule[] = [
  r("sub-zero", P.sub(x, lit(0)), (e) => e.x),
  r("sub-self", P.sub(x, x), (e) => zero(e.x)),
  r("sub-negative-const", P.sub(x, c1), (e, k) => add(e.x, int(-k.c1, e.x)), (_e, k) => k.c1 < 0),
  r("sub-add-cancel-l", P.sub(P.add(x, y), x), (e) => e.y),
  r("sub-add-cancel-r", P.sub(P.add(x, y), y), (e) => e.x),
  r("sub-cancel-add-l", P.sub(x, P.add(x, y)), (e) => sub(zero(e.x), e.y)),
  r("sub-cancel-add-r", P.sub(y, P.add(x, y)), (e) => sub(zero(e.x), e.x)),
  r("sub-sub-cancel", P.sub(x, P.sub(x, y)), (e) => e.y),
  r("sub-common-ll", P.sub(P.add(x, y), P.add(x, z)), (e) => sub(e.y, e.z)),
  r("sub-common-lr", P.sub(P.add(x, y), P.add(z, x)), (e) => sub(e.y, e.z)),
  r("sub-common-rl", P.sub(P.add(y, x), P.add(x, z)), (e) => sub(e.y, e.z)),
  r("sub-common-rr", P.sub(P.add(y, x), P.add(z, x)), (e) => sub(e.y, e.z)),
  r("sub-addconst-const", P.sub(P.add(x, c1), c2), (e, k) => add(e.x, int(k.c1 - k.c2, e.x))),
  r("sub-subconst-const", P.sub(P.sub(x, c1), c2), (e, k) => sub(e.x, int(k.c1 + k.c2, e.x))),
  r("sub-const-addconst", P.sub(c1, P.add(x, c2)), (e, k) => sub(int(k.c1 - k.c2, e.x), e.x)),
  r("sub-const-constsub", P.sub(c1, P.sub(c2, x)), (e, k) => add(e.x, int(k.c1 - k.c2, e.x))),
  r("sub-constsub-const", P.sub(P.sub(c1, x), c2), (e, k) => sub(int(k.c1 - k.c2, e.x), e.x)),
  r("sub-const-out-l", P.sub(P.add(x, c1), y), (e) => add(sub(e.x, e.y), e.c1)),
  r("sub-const-out-r", P.sub(x, P.add(y, c1)), (e) => sub(sub(e.x, e.y), e.c1)),
  r("sub-subconst-out-r", P.sub(x, P.sub(y, c1)), (e) => add(sub(e.x, e.y), e.c1)),
  r("sub-neg", P.sub(x, P.sub(lit(0), y)), (e) => add(e.x, e.y)),
  r("sub-like-terms", P.sub(P.mul(x, c1), P.mul(x, c2)), (e, k) => mul(e.x, int(k.c1 - k.c2, e.x))),
  r("sub-like-term-x-l", P.sub(P.mul(x, c1), x), (e, k) => mul(e.x, int(k.c1 - 1, e.x))),
  r("sub-like-term-x-r", P.sub(x, P.mul(x, c1)), (e, k) => mul(e.x, int(1 - k.c1, e.x))),
  r("sub-floor-remainder", P.sub(x, P.mul(P.floordiv(x, c1), c1)), (e) => fmod(e.x, e.c1), (_e, k) => k.c1 !== 0),
  r("sub-floor-quotient", P.sub(x, P.floormod(x, c1)), (e) => mul(fdiv(e.x, e.c1), e.c1), (_e, k) => k.c1 !== 0),
];

const mulRules: Rule[] = [
  r("mul-zero-r", P.mul(x, lit(0)), (e) => zero(e.x)),
  r("mul-zero-l", P.mul(lit(0), x), (e) => zero(e.x)),
  r("mul-one-r", P.mul(x, lit(1)), (e) => e.x),
  r("mul-one-l", P.mul(lit(1), x), (e) => e.x),
  r("mul-const-first", P.mul(c1, x), (e) => mul(e.x, e.c1)),
  r("mul-const-const", P.mul(P.mul(x, c1), c2), (e, k) => mul(e.x, int(k.c1 * k.c2, e.x))),
  r("mul-const-out-l", P.mul(P.mul(x, c1), y), (e) => mul(mul(e.x, e.y), e.c1)),
  r("mul-const-out-r", P.mul(x, P.mul(y, c1)), (e) => mul(mul(e.x, e.y), e.c1)),
  r("mul-distribute-add", P.mul(P.add(x, c1), c2), (e, k) => add(mul(e.x, e.c2), int(k.c1 * k.c2, e.x))),
  r("mul-distribute-sub", P.mul(P.sub(x, c1), c2), (e, k) => sub(mul(e.x, e.c2), int(k.c1 * k.c2, e.x))),
];

// Division by zero is undefined behaviour in TIR, so `x / x` and `0 / x` may assume x != 0.
const floorDivRules: Rule[] = [
  r("floordiv-zero", P.floordiv(lit(0), x), (e) => zero(e.x), (e) => e.x.kind !== "IntImm"),
  r("floordiv-self", P.floordiv(x, x), (e) => int(1, e.x), (e) => e.x.kind !== "IntImm"),
  r("floordiv-one", P.floordiv(x, lit(1)), (e) => e.x),
  r("floordiv-minus-one", P.floordiv(x, lit(-1)), (e) => sub(zero(e.x), e.x)),
  r("floordiv-by-bound", P.floordiv(x, c1), (e, k, ctx) => {
    const b = ctx.bound(e.x);
    if (!Number.isFinite(b.min) || !Number.isFinite(b.max)) return undefined;
    const q = floorDiv(b.min, k.c1);
    return q === floorDiv(b.max, k.c1) ? int(q, e.x) : undefined;
  }, (_e, k) => k.c1 > 0),
  r("floordiv-mul-exact", P.floordiv(P.mul(x, c1), c2), (e, k) => mul(e.x, int(k.c1 / k.c2, e.x)), (_e, k) => k.c2 > 0 && k.c1 % k.c2 === 0),
  r("floordiv-mul-reduce", P.floordiv(P.mul(x, c1), c2), (e, k) => fdiv(e.x, int(k.c2 / k.c1, e.x)), (_e, k) => k.c1 > 0 && k.c2 > 0 && k.c2 % k.c1 === 0),
  r("floordiv-floordiv", P.floordiv(P.floordiv(x, c1), c2), (e, k) => fdiv(e.x, int(k.c1 * k.c2, e.x)), (_e, k) => k.c1 > 0 && k.c2 > 0),
  r("floordiv-mul-add", P.floordiv(P.add(P.mul(x, c1), y), c2), (e, k) => add(mul(e.x, int(k.c1 / k.c2, e.x)), fdiv(e.y, e.c2)), (_e, k) => k.c2 > 0 && k.c1 % k.c2 === 0),
  r("floordiv-add-mul", P.floordiv(P.add(y, P.mul(x, c1)), c2), (e, k) => add(fdiv(e.y, e.c2), mul(e.x, int(k.c1 / k.c2, e.x))), (_e, k) => k.c2 > 0 && k.c1 % k.c2 === 0),
  r("floordiv-add-const", P.floordiv(P.add(x, c1), c2), (e, k) => add(fdiv(e.x, e.c2), int(k.c1 / k.c2, e.x)), (_e, k) => k.c2 > 0 && k.c1 % k.c2 === 0),
  r("floordiv-mul-add-small", P.floordiv(P.add(P.mul(x, c1), y), c2), (e, k) => fdiv(e.x, int(k.c2 / k.c1, e.x)),
    (e, k, ctx) => k.c1 > 0 && k.c2 > 0 && k.c2 % k.c1 === 0 && within(ctx, e.y, 0, k.c1 - 1)),
  r("floordiv-add-mul-small", P.floordiv(P.add(y, P.mul(x, c1)), c2), (e, k) => fdiv(e.x, int(k.c2 / k.c1, e.x)),
    (e, k, ctx) => k.c1 > 0 && k.c2 > 0 && k.c2 % k.c1 === 0 && within(ctx, e.y, 0, k.c1 - 1)),
];

const floorModRules: Rule[] = [
  r("floormod-zero", P.floormod(lit(0), x), (e) => zero(e.x), (e) => e.x.kind !== "IntImm"),
  r("floormod-self", P.floormod(x, x), (e) => zero(e.x), (e) => e.x.kind !== "IntImm"),
  r("floormod-one", P.floormod(x, lit(1)), (e) => zero(e.x)),
  r("floormod-minus-one", P.floormod(x, lit(-1)), (e) => zero(e.x)),
  r("floormod-by-bound", P.floormod(x, c1), (e, k, ctx) => {
    const b = ctx.bound(e.x);
    if (!Number.isFinite(b.min) || !Number.isFinite(b.max)) return undefined;
    const q = floorDiv(b.min, k.c1);
    if (q !== floorDiv(b.max, k.c1)) return undefined;
    return q === 0 ? e.x : sub(e.x, int(q * k.c1, e.x));
  }, (_e, k) => k.c1 > 0),
  r("floormod-by-modular", P.floormod(x, c1), (e, k, ctx) => {
    const m = ctx.modular(e.x);
    return m.coeff % k.c1 === 0 ? int(floorMod(m.base, k.c1), e.x) : undefined;
  }, (_e, k) => k.c1 > 0),
  r("floormod-mul-reduce", P.floormod(P.mul(x, c1), c2), (e, k) => mul(fmod(e.x, int(k.c2 / k.c1, e.x)), e.c1), (_e, k) => k.c1 > 0 && k.c2 > 0 && k.c2 % k.c1 === 0),
  r("floormod-mul-add", P.floormod(P.add(P.mul(x, c1), y), c2), (e) => fmod(e.y, e.c2), (_e, k) => k.c2 !== 0 && k.c1 % k.c2 === 0),
  r("floormod-add-mul", P.floormod(P.add(y, P.mul(x, c1)), c2), (e) => fmod(e.y, e.c2), (_e, k) => k.c2 !== 0 && k.c1 % k.c2 === 0),
  r("floormod-add-const", P.floormod(P.add(x, c1), c2), (e, k) => {
    const m = floorMod(k.c1, k.c2);
    return m === 0 ? fmod(e.x, e.c2) : fmod(add(e.x, int(m, e.x)), e.c2);
  }, (_e, k) => k.c2 > 0 && (k.c1 < 0 || k.c1 >= k.c2)),
  r("floormod-floormod", P.floormod(P.floormod(x, c1), c2), (e) => fmod(e.x, e.c2), (_e, k) => k.c1 > 0 && k.c2 > 0 && k.c1 % k.c2 === 0),
  r("floormod-mul-add-small", P.floormod(P.add(P.mul(x, c1), y), c2), (e, k) => add(mul(fmod(e.x, int(k.c2 / k.c1, e.x)), e.c1), e.y),
    (e, k, ctx) => k.c1 > 0 && k.c2 > 0 && k.c2 % k.c1 === 0 && within(ctx, e.y, 0, k.c1 - 1)),
];

const truncRules: Rule[] = [
  r("truncdiv-zero", P.truncdiv(lit(0), x), (e) => zero(e.x), (e) => e.x.kind !== "IntImm"),
  r("truncdiv-self", P.truncdiv(x, x), (e) => int(1, e.x), (e) => e.x.kind !== "IntImm"),
  r("truncmod-zero", P.truncmod(lit(0), x), (e) => zero(e.x), (e) => e.x.kind !== "IntImm"),
  r("truncmod-self", P.truncmod(x, x), (e) => zero(e.x), (e) => e.x.kind !== "IntImm"),
  r("truncdiv-one", P.truncdiv(x, lit(1)), (e) => e.x),
  r("truncdiv-minus-one", P.truncdiv(x, lit(-1)), (e) => sub(zero(e.x), e.x)),
  r("truncdiv-nonneg-to-floor", P.truncdiv(x, y), (e) => fdiv(e.x, e.y), (e, _k, ctx) => nonNeg(ctx, e.x) && positive(ctx, e.y)),
  r("truncdiv-mul-exact", P.truncdiv(P.mul(x, c1), c2), (e, k) => mul(e.x, int(k.c1 / k.c2, e.x)), (_e, k) => k.c2 !== 0 && k.c1 % k.c2 === 0),
  r("truncdiv-small", P.truncdiv(x, c1), (e) => zero(e.x), (e, k, ctx) => k.c1 !== 0 && within(ctx, e.x, 1 - Math.abs(k.c1), Math.abs(k.c1) - 1)),
  r("truncmod-one", P.truncmod(x, lit(1)), (e) => zero(e.x)),
  r("truncmod-minus-one", P.truncmod(x, lit(-1)), (e) => zero(e.x)),
  r("truncmod-nonneg-to-floor", P.truncmod(x, y), (e) => fmod(e.x, e.y), (e, _k, ctx) => nonNeg(ctx, e.x) && positive(ctx, e.y)),
  r("truncmod-mul", P.truncmod(P.mul(x, c1), c2), (e) => zero(e.x), (_e, k) => k.c2 !== 0 && k.c1 % k.c2 === 0),
  r("truncmod-small", P.truncmod(x, c1), (e) => e.x, (e, k, ctx) => k.c1 !== 0 && within(ctx, e.x, 1 - Math.abs(k.c1), Math.abs(k.c1) - 1)),
];

function minMaxRules(isMin: boolean): Rule[] {
  const M = isMin ? P.min : P.max;
  const N = isMin ? P.max : P.min;
  const mk = isMin ? min : max;
  const other = isMin ? max : min;
  const n = isMin ? "min" : "max";
  // For min: keep x when x <= y is certain, i.e. GT is impossible.
  const keepX = (m: number) => m !== 0 && (isMin ? (m & CMP_GT) === 0 : (m & CMP_LT) === 0);
  const keepY = (m: number) => m !== 0 && (isMin ? (m & CMP_LT) === 0 : (m & CMP_GT) === 0);
  return [
    r(`${n}-by-compare`, M(x, y), (e, _k, ctx) => {
      const m = ctx.compare(e.x, e.y);
      return keepX(m) ? e.x : keepY(m) ? e.y : undefined;
    }),
    r(`${n}-const-first`, M(c1, x), (e) => mk(e.x, e.c1)),
    r(`${n}-const-const`, M(M(x, c1), c2), (e, k) => mk(e.x, int(isMin ? Math.min(k.c1, k.c2) : Math.max(k.c1, k.c2), e.x))),
    r(`${n}-absorb-l`, M(N(x, y), x), (e) => e.x),
    r(`${n}-absorb-r`, M(x, N(x, y)), (e) => e.x),
    r(`${n}-absorb-l-swap`, M(N(y, x), x), (e) => e.x),
    r(`${n}-absorb-r-swap`, M(x, N(y, x)), (e) => e.x),
    r(`${n}-nested-l`, M(M(x, y), x), (e) => mk(e.x, e.y)),
    r(`${n}-nested-l-swap`, M(M(x, y), y), (e) => mk(e.x, e.y)),
    r(`${n}-nested-r`, M(x, M(x, y)), (e) => mk(e.x, e.y)),
    r(`${n}-nested-r-swap`, M(y, M(x, y)), (e) => mk(e.x, e.y)),
    r(`${n}-common-add-l`, M(P.add(x, y), P.add(x, z)), (e) => add(e.x, mk(e.y, e.z))),
    r(`${n}-common-add-r`, M(P.add(y, x), P.add(z, x)), (e) => add(mk(e.y, e.z), e.x)),
    r(`${n}-common-sub-l`, M(P.sub(x, y), P.sub(x, z)), (e) => sub(e.x, other(e.y, e.z))),
    r(`${n}-common-sub-r`, M(P.sub(y, x), P.sub(z, x)), (e) => sub(mk(e.y, e.z), e.x)),
    r(`${n}-mul-pos`, M(P.mul(x, c1), P.mul(y, c1)), (e) => mul(mk(e.x, e.y), e.c1), (_e, k) => k.c1 > 0),
    r(`${n}-mul-neg`, M(P.mul(x, c1), P.mul(y, c1)), (e) => mul(other(e.x, e.y), e.c1), (_e, k) => k.c1 < 0),
    r(`${n}-floordiv-pos`, M(P.floordiv(x, c1), P.floordiv(y, c1)), (e) => fdiv(mk(e.x, e.y), e.c1), (_e, k) => k.c1 > 0),
    r(`${n}-floordiv-neg`, M(P.floordiv(x, c1), P.floordiv(y, c1)), (e) => fdiv(other(e.x, e.y), e.c1), (_e, k) => k.c1 < 0),
  ];
}

const compareRules: Rule[] = [
  r("gt-to-lt", P.gt(x, y), (e) => new LT(e.y, e.x)),
  r("ge-to-le", P.ge(x, y), (e) => new LE(e.y, e.x)),
  r("lt-by-compare", P.lt(x, y), (e, _k, ctx) => decide(ctx.compare(e.x, e.y), ltHolds)),
  r("le-by-compare", P.le(x, y), (e, _k, ctx) => decide(ctx.compare(e.x, e.y), leHolds)),
  r("eq-by-compare", P.eq(x, y), (e, _k, ctx) => decide(ctx.compare(e.x, e.y), eqHolds)),
  r("ne-by-compare", P.ne(x, y), (e, _k, ctx) => decide(ctx.compare(e.x, e.y), neHolds)),
  r("eq-const-first", P.eq(c1, x), (e) => new EQ(e.x, e.c1)),
  r("ne-const-first", P.ne(c1, x), (e) => new NE(e.x, e.c1)),
  // floor(x / c1) < c2  <=>  x < c1*c2, and the mirrored forms, for c1 > 0.
  r("lt-floordiv-const", P.lt(P.floordiv(x, c1), c2), (e, k) => new LT(e.x, int(k.c1 * k.c2, e.x)), (_e, k) => k.c1 > 0),
  r("lt-const-floordiv", P.lt(c1, P.floordiv(x, c2)), (e, k) => new LT(int((k.c1 + 1) * k.c2 - 1, e.x), e.x), (_e, k) => k.c2 > 0),
  r("le-floordiv-const", P.le(P.floordiv(x, c1), c2), (e, k) => new LT(e.x, int((k.c2 + 1) * k.c1, e.x)), (_e, k) => k.c1 > 0),
  r("le-const-floordiv", P.le(c1, P.floordiv(x, c2)), (e, k) => new LE(int(k.c1 * k.c2, e.x), e.x), (_e, k) => k.c2 > 0),
  // x*c1 < c2  <=>  x < ceil(c2 / c1) for c1 > 0 (the general form below also covers it).
  r("lt-mul-const", P.lt(P.mul(x, c1), c2), (e, k) => new LT(e.x, int(ceilDiv(k.c2, k.c1), e.x)), (_e, k) => k.c1 > 0),
  r("lt-linear", P.lt(x, y), (e, _k, ctx) => ctx.linearCompare("LT", e.x, e.y)),
  r("le-linear", P.le(x, y), (e, _k, ctx) => ctx.linearCompare("LE", e.x, e.y)),
  r("eq-linear", P.eq(x, y), (e, _k, ctx) => ctx.linearCompare("EQ", e.x, e.y)),
  r("ne-linear", P.ne(x, y), (e, _k, ctx) => ctx.linearCompare("NE", e.x, e.y)),
];

const logicRules: Rule[] = [
  r("and-true-r", P.and(x, lit(1)), (e) => e.x, undefined, BOOL),
  r("and-true-l", P.and(lit(1), x), (e) => e.x, undefined, BOOL),
  r("and-false-r", P.and(x, lit(0)), () => FALSE, undefined, BOOL),
  r("and-false-l", P.and(lit(0), x), () => FALSE, undefined, BOOL),
  r("and-self", P.and(x, x), (e) => e.x, undefined, BOOL),
  r("and-not-self-r", P.and(x, P.not(x)), () => FALSE, undefined, BOOL),
  r("and-not-self-l", P.and(P.not(x), x), () => FALSE, undefined, BOOL),
  r("and-absorb-l", P.and(P.and(x, y), x), (e) => new And(e.x, e.y), undefined, BOOL),
  r("and-absorb-r", P.and(x, P.and(x, y)), (e) => new And(e.x, e.y), undefined, BOOL),
  r("and-intervals", P.and(x, y), (e) => andIntervals(e.x, e.y), undefined, BOOL),
  r("or-true-r", P.or(x, lit(1)), () => TRUE, undefined, BOOL),
  r("or-true-l", P.or(lit(1), x), () => TRUE, undefined, BOOL),
  r("or-false-r", P.or(x, lit(0)), (e) => e.x, undefined, BOOL),
  r("or-false-l", P.or(lit(0), x), (e) => e.x, undefined, BOOL),
  r("or-self", P.or(x, x), (e) => e.x, undefined, BOOL),
  r("or-not-self-r", P.or(x, P.not(x)), () => TRUE, undefined, BOOL),
  r("or-not-self-l", P.or(P.not(x), x), () => TRUE, undefined, BOOL),
  r("or-absorb-and-l", P.or(P.and(x, y), x), (e) => e.x, undefined, BOOL),
  r("or-absorb-and-r", P.or(x, P.and(x, y)), (e) => e.x, undefined, BOOL),
  r("and-absorb-or-l", P.and(P.or(x, y), x), (e) => e.x, undefined, BOOL),
  r("and-absorb-or-r", P.and(x, P.or(x, y)), (e) => e.x, undefined, BOOL),
  r("or-intervals", P.or(x, y), (e) => orIntervals(e.x, e.y), undefined, BOOL),
  r("not-not", P.not(P.not(x)), (e) => e.x, undefined, BOOL),
  // Negating an ordering is exact for integers only (NaN breaks it for floats).
  r("not-lt", P.not(P.lt(x, y)), (e) => new LE(e.y, e.x), (e) => isIndex(e.x), BOOL),
  r("not-le", P.not(P.le(x, y)), (e) => new LT(e.y, e.x), (e) => isIndex(e.x), BOOL),
  r("not-eq", P.not(P.eq(x, y)), (e) => new NE(e.x, e.y), undefined, BOOL),
  r("not-ne", P.not(P.ne(x, y)), (e) => new EQ(e.x, e.y), undefined, BOOL),
  r("not-and", P.not(P.and(x, y)), (e) => new Or(new Not(e.x), new Not(e.y)), undefined, BOOL),
  r("not-or", P.not(P.or(x, y)), (e) => new And(new Not(e.x), new Not(e.y)), undefined, BOOL),
];

const selectRules: Rule[] = [
  r("select-same", P.select(x, y, y), (e) => e.y, undefined, ANY),
  r("select-not", P.select(P.not(x), y, z), (e) => new Select(e.x, e.z, e.y), undefined, ANY),
  r("select-lt-min", P.select(P.lt(x, y), x, y), (e) => min(e.x, e.y)),
  r("select-lt-max", P.select(P.lt(x, y), y, x), (e) => max(e.x, e.y)),
  r("select-le-min", P.select(P.le(x, y), x, y), (e) => min(e.x, e.y)),
  r("select-le-max", P.select(P.le(x, y), y, x), (e) => max(e.x, e.y)),
];

/** op(broadcast(a), broadcast(b)) = broadcast(op(a, b)) for every lane-wise binary op. */
const broadcastBinaryRules: Rule[] = Object.keys(binaryCtors).map((kind) =>
  r(`${kind.toLowerCase()}-broadcast-broadcast`, new POp(kind, [P.broadcast(x), P.broadcast(y)]),
    (e, _k, _ctx, node) => new Broadcast(new binaryCtors[kind]!(e.x, e.y), node.dtype.lanes), undefined, VEC),
);

const rampFits = (e: Record<string, PrimExpr>, k: Record<string, number>, ctx: RuleContext, node: PrimExpr): boolean => {
  // Every lane of ramp(x, c1) stays in the bucket of x modulo c2.
  const m = ctx.modular(e.x);
  if (k.c2 <= 0 || k.c1 < 0 || m.coeff % k.c2 !== 0) return false;
  const first = floorMod(m.base, k.c2);
  return first + k.c1 * (node.dtype.lanes - 1) < k.c2;
};

const vectorRules: Rule[] = [
  ...broadcastBinaryRules,
  r("not-broadcast", P.not(P.broadcast(x)), (e, _k, _ctx, node) => new Broadcast(new Not(e.x), node.dtype.lanes), undefined, VEC),
  r("ramp-zero-stride", P.ramp(x, lit(0)), (e, _k, _ctx, node) => new Broadcast(e.x, node.dtype.lanes), undefined, VEC),
  r("ramp-add-ramp", P.add(P.ramp(x, y), P.ramp(z, v("w"))), (e, _k, _ctx, node) => new Ramp(add(e.x, e.z), add(e.y, e.w), node.dtype.lanes), (_e, _k, _c, n) => intVec(n), VEC),
  r("ramp-sub-ramp", P.sub(P.ramp(x, y), P.ramp(z, v("w"))), (e, _k, _ctx, node) => new Ramp(sub(e.x, e.z), sub(e.y, e.w), node.dtype.lanes), (_e, _k, _c, n) => intVec(n), VEC),
  r("ramp-add-broadcast", P.add(P.ramp(x, y), P.broadcast(z)), (e, _k, _ctx, node) => new Ramp(add(e.x, e.z), e.y, node.dtype.lanes), (_e, _k, _c, n) => intVec(n), VEC),
  r("broadcast-add-ramp", P.add(P.broadcast(z), P.ramp(x, y)), (e, _k, _ctx, node) => new Ramp(add(e.z, e.x), e.y, node.dtype.lanes), (_e, _k, _c, n) => intVec(n), VEC),
  r("ramp-sub-broadcast", P.sub(P.ramp(x, y), P.broadcast(z)), (e, _k, _ctx, node) => new Ramp(sub(e.x, e.z), e.y, node.dtype.lanes), (_e, _k, _c, n) => intVec(n), VEC),
  r("broadcast-sub-ramp", P.sub(P.broadcast(z), P.ramp(x, y)), (e, _k, _ctx, node) => new Ramp(sub(e.z, e.x), sub(zero(e.y), e.y), node.dtype.lanes), (_e, _k, _c, n) => intVec(n), VEC),
  r("ramp-mul-broadcast", P.mul(P.ramp(x, y), P.broadcast(z)), (e, _k, _ctx, node) => new Ramp(mul(e.x, e.z), mul(e.y, e.z), node.dtype.lanes), (_e, _k, _c, n) => intVec(n), VEC),
  r("broadcast-mul-ramp", P.mul(P.broadcast(z), P.ramp(x, y)), (e, _k, _ctx, node) => new Ramp(mul(e.x, e.z), mul(e.y, e.z), node.dtype.lanes), (_e, _k, _c, n) => intVec(n), VEC),
  r("ramp-floordiv-one-bucket", P.floordiv(P.ramp(x, c1), P.broadcast(c2)), (e, _k, _ctx, node) => new Broadcast(fdiv(e.x, e.c2), node.dtype.lanes), rampFits, VEC),
  r("ramp-floormod-one-bucket", P.floormod(P.ramp(x, c1), P.broadcast(c2)), (e, _k, _ctx, node) => new Ramp(fmod(e.x, e.c2), e.c1, node.dtype.lanes), rampFits, VEC),
];

/** Every rewrite rule, in the order they are tried for a node. */
export const REWRITE_RULES: readonly Rule[] = [
  ...addRules,
  ...subRules,
  ...mulRules,
  ...floorDivRules,
  ...floorModRules,
  ...truncRules,
  ...minMaxRules(true),
  ...minMaxRules(false),
  ...compareRules,
  ...logicRules,
  ...selectRules,
  ...vectorRules,
];
