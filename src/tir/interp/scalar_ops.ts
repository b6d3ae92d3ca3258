/**
 * Scalar arithmetic with TIR's per-dtype semantics, on JS numbers:
 * - integers of up to 32 bits wrap like two's complement (unsigned ones modulo 2^bits);
 * - int64/uint64 are exact while results stay within +-2^53; past that they wrap through
 *   BigInt, exact when the operands were exact (values beyond 2^53 may already be inexact);
 * - floats round every result to their precision (float32 with Math.fround, float16/bfloat16
 *   in software, float64 as is);
 * - bool is 0 or 1.
 * Integer division by zero is not handled here: the expression compiler checks the divisor
 * first so that its error can name the expression.
 */
import type { DataType } from "../../ir/dtype.js";
import { InterpreterError } from "./context.js";
import { roundToBFloat16, roundToFloat16 } from "../../ir/float_format.js";

export type Norm = (v: number) => number;
export type Binary = (a: number, b: number) => number;

/** Everything one scalar dtype needs for the arithmetic node kinds. */
export interface ArithKit {
  readonly dtype: DataType;
  /** Brings any number into the value set of the dtype (wrap / round). */
  readonly norm: Norm;
  readonly add: Binary;
  readonly sub: Binary;
  readonly mul: Binary;
  /** Truncating division for integers (divisor known non-zero); true division for floats. */
  readonly div: Binary;
  /** Remainder with the sign of the dividend (C's % and fmod). */
  readonly mod: Binary;
  readonly floordiv: Binary;
  readonly floormod: Binary;
  readonly min: Binary;
  readonly max: Binary;
}

export class UnsupportedDTypeError extends InterpreterError {}

/** Throws when the interpreter has no model of a dtype. */
export function checkSupported(t: DataType, what: string): void {
  const e = t.element();
  if (e.isHandle()) throw new UnsupportedDTypeError(`${what}: handle values cannot take part in arithmetic in the interpreter`);
  if (e.code === "float" && e.bits === 8) {
    throw new UnsupportedDTypeError(`${what}: ${t} is not supported by the interpreter (float8 has no agreed format here)`);
  }
}

function wrapInt64(v: number): number {
  if (Number.isSafeInteger(v)) return v + 0;
  if (!Number.isFinite(v)) return 0;
  return Number(BigInt.asIntN(64, BigInt(Math.trunc(v))));
}
function wrapUInt64(v: number): number {
  if (Number.isSafeInteger(v) && v >= 0) return v + 0;
  if (!Number.isFinite(v)) return 0;
  return Number(BigInt.asUintN(64, BigInt(Math.trunc(v))));
}

/** The normalizer of a scalar dtype: wraps integers, rounds floats, maps bool to 0/1. */
export function normalizer(t: DataType): Norm {
  checkSupported(t, `dtype ${t}`);
  const e = t.element();
  if (e.isBool()) return (v) => (v !== 0 && v === v ? 1 : 0);
  if (e.isFloat()) {
    if (e.code === "bfloat") return roundToBFloat16;
    if (e.bits === 16) return roundToFloat16;
    if (e.bits === 32) return Math.fround;
    return (v) => v;
  }
  const bits = e.bits;
  if (e.isInt()) {
    switch (bits) {
      case 8:
        return (v) => (v << 24) >> 24;
      case 16:
        return (v) => (v << 16) >> 16;
      case 32:
        return (v) => v | 0;
      case 64:
        return wrapInt64;
      default: {
        const shift = 32 - bits;
        return (v) => (v << shift) >> shift;
      }
    }
  }
  switch (bits) {
    case 32:
      return (v) => v >>> 0;
    case 64:
      return wrapUInt64;
    default: {
      const mask = 2 ** bits - 1;
      return (v) => v & mask;
    }
  }
}

/** C-style remainder for integer values (exact in doubles). */
function imod(a: number, b: number): number {
  return a % b;
}
function ifloormod(a: number, b: number): number {
  const r = a % b;
  return r !== 0 && r < 0 !== b < 0 ? r + b : r;
}

/** a*b for 64-bit integers: exact in doubles while small, else through BigInt. */
function mul64(norm: Norm, unsigned: boolean): Binary {
  return (a, b) => {
    const p = a * b;
    if (Number.isSafeInteger(p)) return norm(p);
    const big = BigInt(a) * BigInt(b);
    return Number(unsigned ? BigInt.asUintN(64, big) : BigInt.asIntN(64, big));
  };
}
function addSub64(norm: Norm, unsigned: boolean, sign: 1 | -1): Binary {
  return (a, b) => {
    const s = a + sign * b;
    if (Number.isSafeInteger(s)) return norm(s);
    const big = sign === 1 ? BigInt(a) + BigInt(b) : BigInt(a) - BigInt(b);
    return Number(unsigned ? BigInt.asUintN(64, big) : BigInt.asIntN(64, big));
  };
}

// Select-style min/max, as code generators emit them (`a < b ? a : b`): with a NaN operand
// the result is the second operand of the comparison that failed.
const selMin: Binary = (a, b) => (a < b ? a : b);
const selMax: Binary = (a, b) => (a > b ? a : b);

function intKit(t: DataType): ArithKit {
  const norm = normalizer(t);
  const wide = t.bits === 64;
  const unsigned = t.isUInt() || t.isBool();
  const mul: Binary = wide
    ? mul64(norm, unsigned)
    : t.bits === 32 && unsigned
      ? (a, b) => Math.imul(a, b) >>> 0
      : (a, b) => norm(Math.imul(a, b));
  const div: Binary = (a, b) => norm((a - imod(a, b)) / b);
  const floordiv: Binary = (a, b) => norm((a - ifloormod(a, b)) / b);
  return {
    dtype: t,
    norm,
    add: wide ? addSub64(norm, unsigned, 1) : (a, b) => norm(a + b),
    sub: wide ? addSub64(norm, unsigned, -1) : (a, b) => norm(a - b),
    mul,
    div,
    mod: (a, b) => norm(imod(a, b)),
    floordiv,
    floormod: (a, b) => norm(ifloormod(a, b)),
    min: selMin,
    max: selMax,
  };
}

function floatKit(t: DataType): ArithKit {
  const norm = normalizer(t);
  const floordiv: Binary = (a, b) => norm(Math.floor(norm(a / b)));
  return {
    dtype: t,
    norm,
    add: (a, b) => norm(a + b),
    sub: (a, b) => norm(a - b),
    mul: (a, b) => norm(a * b),
    div: (a, b) => norm(a / b),
    mod: (a, b) => norm(a % b),
    floordiv,
    floormod: (a, b) => norm(a - norm(floordiv(a, b) * b)),
    min: selMin,
    max: selMax,
  };
}

const kits = new Map<DataType, ArithKit>();

/** The arithmetic of one scalar dtype (the lanes of a vector dtype are ignored). */
export function kitFor(t: DataType): ArithKit {
  const e = t.element();
  let k = kits.get(e);
  if (!k) {
    checkSupported(e, `dtype ${t}`);
    k = e.isFloat() ? floatKit(e) : intKit(e);
    kits.set(e, k);
  }
  return k;
}

/** Conversion of one lane from `from` to `to`, as T.Cast does it. */
export function castFn(from: DataType, to: DataType): Norm {
  checkSupported(from, `cast from ${from}`);
  checkSupported(to, `cast to ${to}`);
  const src = from.element();
  const dst = to.element();
  if (src === dst) return (v) => v;
  if (dst.isBool()) return (v) => (v !== 0 ? 1 : 0);
  const norm = normalizer(dst);
  if (dst.isFloat()) return norm;
  if (src.isFloat()) {
    // float -> int truncates toward zero; NaN and infinities (undefined behaviour in C) give 0.
    return (v) => (Number.isFinite(v) ? norm(Math.trunc(v)) : 0);
  }
  return norm;
}

/** Bits of an integer value as an unsigned number of `bits` width (for popcount, clz, shifts). */
export function toUnsignedBits(v: number, bits: number): bigint | number {
  if (bits === 64) return BigInt.asUintN(64, BigInt(v));
  if (bits === 32) return v >>> 0;
  return v & (2 ** bits - 1);
}
