/**
 * Float and bit helpers that JavaScript's Math lacks, with C semantics: erf, pow's special
 * cases, copysign, nextafter per float format, ldexp, popcount and clz per integer width, and
 * bit-level reinterpretation between dtypes.
 */
import type { DataType } from "../../ir/dtype.js";
import { bfloat16Bits, bfloat16FromBits, float16Bits, float16FromBits } from "../../ir/float_format.js";

const TWO_OVER_SQRT_PI = 1.1283791670955126;
const ONE_OVER_SQRT_PI = 0.5641895835477563;

/**
 * The error function, accurate to a few ulps of a double. Below 3 it sums the series
 * erf(x) = 2/sqrt(pi) * exp(-x^2) * sum_n 2^n x^(2n+1) / (2n+1)!!, whose terms are all
 * positive (no cancellation); above it evaluates erfc's continued fraction.
 */
export function erf(x: number): number {
  if (x !== x || x === 0) return x;
  const a = Math.abs(x);
  let r: number;
  if (a < 3) {
    let term = a;
    let sum = a;
    const a2 = 2 * a * a;
    for (let n = 0; n < 200; n++) {
      term *= a2 / (2 * n + 3);
      sum += term;
      if (term < sum * 1e-17) break;
    }
    r = TWO_OVER_SQRT_PI * Math.exp(-a * a) * sum;
  } else if (a < 6.5) {
    r = 1 - erfcLarge(a);
  } else {
    r = 1;
  }
  return x < 0 ? -r : r;
}

/** erfc(a) for a >= 3 by the continued fraction 1/(a + (1/2)/(a + 1/(a + (3/2)/(a + ...)))). */
function erfcLarge(a: number): number {
  let t = a;
  for (let k = 80; k >= 1; k--) t = a + k / 2 / t;
  return (Math.exp(-a * a) * ONE_OVER_SQRT_PI) / t;
}

/** C's pow: unlike Math.pow, pow(1, y) = 1 and pow(-1, +-inf) = 1 even for NaN / infinite y. */
export function cpow(x: number, y: number): number {
  if (x === 1) return 1;
  if (x === -1 && (y === Infinity || y === -Infinity)) return 1;
  return Math.pow(x, y);
}

/** C's copysign; the sign of a NaN is not observable in JS, so NaN counts as positive. */
export function copysign(a: number, b: number): number {
  const m = Math.abs(a);
  return b < 0 || Object.is(b, -0) ? -m : m;
}

/** ldexp(x, e) = x * 2^e without overflowing the intermediate power of two. */
export function ldexp(x: number, e: number): number {
  if (x === 0 || !Number.isFinite(x) || e !== e) return e !== e ? NaN : x;
  const k = Math.trunc(e);
  if (k > 2200) return x > 0 ? Infinity : -Infinity;
  if (k < -2200) return x > 0 ? 0 : -0;
  const h = Math.trunc(k / 2);
  return x * 2 ** h * 2 ** (k - h);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);

/** Encode/decode pairs for float formats of at most 32 bits (bit patterns as numbers). */
const narrowFormats: Record<string, [(x: number) => number, (b: number) => number]> = {
  float16: [float16Bits, float16FromBits],
  bfloat16: [bfloat16Bits, bfloat16FromBits],
  float32: [
    (x) => {
      f32[0] = x;
      return u32[0]!;
    },
    (b) => {
      u32[0] = b;
      return f32[0]!;
    },
  ],
};

/** nextafter(x, y) in the given float format. */
export function nextafterFn(t: DataType): (x: number, y: number) => number {
  const key = t.element().toString();
  if (key === "float64") {
    return (x, y) => {
      if (x !== x || y !== y) return NaN;
      if (x === y) return y;
      if (x === 0) return y > 0 ? Number.MIN_VALUE : -Number.MIN_VALUE;
      f64[0] = x;
      u64[0] = (x < y) === (x > 0) ? u64[0]! + 1n : u64[0]! - 1n;
      return f64[0]!;
    };
  }
  const fmt = narrowFormats[key];
  if (!fmt) throw new Error(`internal: no nextafter for ${t}`);
  const [enc, dec] = fmt;
  return (x, y) => {
    if (x !== x || y !== y) return NaN;
    if (x === y) return y;
    if (x === 0) return y > 0 ? dec(1) : -dec(1);
    const b = enc(x);
    return dec((x < y) === (x > 0) ? b + 1 : b - 1);
  };
}

function popcount32(x: number): number {
  let v = x >>> 0;
  let c = 0;
  while (v !== 0) {
    v &= v - 1;
    c++;
  }
  return c;
}

/** Number of set bits of an integer of `bits` width (two's complement pattern). */
export function popcount(v: number, bits: number): number {
  if (bits === 64) {
    const u = BigInt.asUintN(64, BigInt(v));
    return popcount32(Number(u >> 32n)) + popcount32(Number(u & 0xffffffffn));
  }
  return popcount32(bits === 32 ? v >>> 0 : v & (2 ** bits - 1));
}

/** Leading zero bits of an integer of `bits` width (bits for zero). */
export function clz(v: number, bits: number): number {
  if (bits === 64) {
    const u = BigInt.asUintN(64, BigInt(v));
    const hi = Number(u >> 32n);
    return hi !== 0 ? Math.clz32(hi) : 32 + Math.clz32(Number(u & 0xffffffffn));
  }
  if (bits === 32) return Math.clz32(v >>> 0);
  return Math.clz32(v & (2 ** bits - 1)) - (32 - bits);
}

type LaneWriter = (dv: DataView, at: number, v: number) => void;
type LaneReader = (dv: DataView, at: number) => number;

function laneAccess(t: DataType): [LaneWriter, LaneReader] | undefined {
  const e = t.element();
  const LE = true;
  switch (e.toString()) {
    case "int8":
      return [(d, i, v) => d.setInt8(i, v), (d, i) => d.getInt8(i)];
    case "uint8":
      return [(d, i, v) => d.setUint8(i, v), (d, i) => d.getUint8(i)];
    case "int16":
      return [(d, i, v) => d.setInt16(i, v, LE), (d, i) => d.getInt16(i, LE)];
    case "uint16":
      return [(d, i, v) => d.setUint16(i, v, LE), (d, i) => d.getUint16(i, LE)];
    case "int32":
      return [(d, i, v) => d.setInt32(i, v, LE), (d, i) => d.getInt32(i, LE)];
    case "uint32":
      return [(d, i, v) => d.setUint32(i, v, LE), (d, i) => d.getUint32(i, LE)];
    case "int64":
      return [(d, i, v) => d.setBigInt64(i, BigInt(v), LE), (d, i) => Number(d.getBigInt64(i, LE))];
    case "uint64":
      return [(d, i, v) => d.setBigUint64(i, BigInt(v), LE), (d, i) => Number(d.getBigUint64(i, LE))];
    case "float16":
      return [(d, i, v) => d.setUint16(i, float16Bits(v), LE), (d, i) => float16FromBits(d.getUint16(i, LE))];
    case "bfloat16":
      return [(d, i, v) => d.setUint16(i, bfloat16Bits(v), LE), (d, i) => bfloat16FromBits(d.getUint16(i, LE))];
    case "float32":
      return [(d, i, v) => d.setFloat32(i, v, LE), (d, i) => d.getFloat32(i, LE)];
    case "float64":
      return [(d, i, v) => d.setFloat64(i, v, LE), (d, i) => d.getFloat64(i, LE)];
    default:
      return undefined;
  }
}

/**
 * A function reinterpreting the bits of `from` lanes as `to` lanes (little-endian, as every
 * weft target is). Returns undefined for types without a byte-addressable layout (bool, int4).
 */
export function reinterpretFn(from: DataType, to: DataType): ((lanes: readonly number[]) => number[]) | undefined {
  const w = laneAccess(from);
  const r = laneAccess(to);
  if (!w || !r) return undefined;
  const fromBytes = from.element().bytes();
  const toBytes = to.element().bytes();
  const dv = new DataView(new ArrayBuffer(fromBytes * from.lanes));
  const [write] = w;
  const [, read] = r;
  return (lanes) => {
    for (let i = 0; i < from.lanes; i++) write(dv, i * fromBytes, lanes[i]!);
    const out = new Array<number>(to.lanes);
    for (let i = 0; i < to.lanes; i++) out[i] = read(dv, i * toBytes);
    return out;
  };
}
