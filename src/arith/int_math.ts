/**
 * Exact integer helpers shared by the analyzers: the four division flavours, gcd, and checks
 * that a JS number is a value of an integer dtype. Values are JS numbers; anything outside the
 * safe-integer range is treated as "cannot compute exactly" so callers fall back instead of
 * producing a rounded (wrong) answer.
 */
import { intRange, type DataType } from "../ir/dtype.js";
import { IntImm } from "../ir/expr.js";

/** Division rounding toward negative infinity (b != 0). */
export function floorDiv(a: number, b: number): number {
  const q = Math.floor(a / b);
  // Guard against the float quotient landing on the wrong side for large operands.
  const r = a - q * b;
  if (b > 0 ? r < 0 : r > 0) return q - 1;
  if (b > 0 ? r >= b : r <= b) return q + 1;
  return q;
}

/** Remainder with the sign of the divisor (b != 0). */
export function floorMod(a: number, b: number): number {
  return a - floorDiv(a, b) * b;
}

/** Division rounding toward zero (C semantics, b != 0). */
export function truncDiv(a: number, b: number): number {
  const q = Math.trunc(a / b);
  return q === 0 ? 0 : q;
}

/** Remainder with the sign of the dividend (C semantics, b != 0). */
export function truncMod(a: number, b: number): number {
  const r = a % b;
  return r === 0 ? 0 : r;
}

/**
 * Index types: signed 32/64-bit integers, where TIR arithmetic does not overflow, so linear
 * rewriting and interval reasoning are exact. Other integer types (unsigned, 8/16-bit) wrap in
 * practice and only get constant folding.
 */
export function isIndexType(t: DataType): boolean {
  return t.code === "int" && t.lanes === 1 && (t.bits === 32 || t.bits === 64);
}

/** Smallest integer >= a / b for b > 0. */
export function ceilDiv(a: number, b: number): number {
  return -floorDiv(-a, b);
}

/** Non-negative greatest common divisor; gcd(0, x) = |x|. */
export function gcd(a: number, b: number): number {
  a = Math.abs(a);
  b = Math.abs(b);
  while (b !== 0) {
    const t = a % b;
    a = b;
    b = t;
  }
  return a;
}

export function isSafe(v: number): boolean {
  return Number.isSafeInteger(v);
}

const limitsCache = new Map<DataType, readonly [number, number]>();

/** Smallest and largest value of an integer dtype as numbers; beyond 2^53 they become infinite. */
export function dtypeLimits(t: DataType): readonly [number, number] {
  let r = limitsCache.get(t);
  if (r) return r;
  if (t.isBool()) r = [0, 1];
  else if (!t.isIntegral()) r = [-Infinity, Infinity];
  else if (t.bits >= 53) r = [t.isUInt() ? 0 : -Infinity, Infinity];
  else {
    const [lo, hi] = intRange(t);
    r = [Number(lo), Number(hi)];
  }
  limitsCache.set(t, r);
  return r;
}

/** Whether `v` is exactly representable as a constant of integer (or bool) dtype `t`. */
export function fitsDType(v: number, t: DataType): boolean {
  if (!Number.isSafeInteger(v)) return false;
  const [lo, hi] = dtypeLimits(t);
  return v >= lo && v <= hi;
}

const SHARED_MIN = -64;
const SHARED_MAX = 1024;
const sharedInts = new Map<DataType, (IntImm | undefined)[]>();

/**
 * An IntImm of dtype `t` (scalar integer or bool); throws NO_REWRITE when `v` does not fit.
 * Small constants are shared: nodes are immutable, and the simplifiers make many of them.
 */
export function intImm(t: DataType, v: number): IntImm {
  if (!fitsDType(v, t)) throw NO_REWRITE;
  if (v < SHARED_MIN || v > SHARED_MAX || t.lanes !== 1) return new IntImm(t, v);
  let row = sharedInts.get(t);
  if (!row) sharedInts.set(t, (row = []));
  const i = v - SHARED_MIN;
  return (row[i] ??= new IntImm(t, v));
}

/** Thrown inside the simplifiers when a constant cannot be represented; callers give up on that rewrite. */
export class NoRewrite extends Error {
  constructor() {
    super("internal: rewrite not applicable");
  }
}
export const NO_REWRITE = new NoRewrite();
