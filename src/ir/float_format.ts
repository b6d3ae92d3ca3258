/**
 * Rounding of JS numbers (doubles) to the narrow float formats weft models in
 * software (float16, bfloat16), and their bit encodings. Rounding goes straight from the
 * double to the target format, round-to-nearest-even, overflowing to infinity, so there is no
 * double rounding through float32.
 */

/** Rounds to the nearest integer, ties to even (C's nearbyint in the default mode). */
export function roundHalfEven(x: number): number {
  if (!Number.isFinite(x)) return x;
  let r = Math.floor(x);
  const d = x - r;
  if (d > 0.5 || (d === 0.5 && r % 2 !== 0)) r += 1;
  // Keep the sign of zero, as nearbyint does for inputs in (-0.5, 0].
  return r === 0 && (x < 0 || Object.is(x, -0)) ? -0 : r;
}

/**
 * A rounding function for a binary float format with `mant` stored mantissa bits and normal
 * exponents in [emin, emax] (IEEE style, with subnormals).
 */
function makeRounder(mant: number, emin: number, emax: number): (x: number) => number {
  const overflow = (2 - 2 ** -(mant + 1)) * 2 ** emax;
  return (x: number): number => {
    if (x !== x || x === 0 || x === Infinity || x === -Infinity) return x;
    const a = Math.abs(x);
    if (a >= overflow) return x > 0 ? Infinity : -Infinity;
    let e = Math.floor(Math.log2(a));
    // log2 can be off by one next to powers of two.
    if (2 ** e > a) e--;
    else if (2 ** (e + 1) <= a) e++;
    if (e < emin) e = emin;
    const q = 2 ** (e - mant);
    // a / q is exact: q is a power of two and the quotient has at most 53 significant bits.
    const y = a / q;
    let r = Math.floor(y);
    const d = y - r;
    if (d > 0.5 || (d === 0.5 && r % 2 !== 0)) r += 1;
    const out = r * q;
    return x < 0 ? -out : out;
  };
}

/** Rounds a number to the nearest IEEE binary16 value (ties to even; overflow to +-inf). */
export const roundToFloat16: (x: number) => number = makeRounder(10, -14, 15);
/** Rounds a number to the nearest bfloat16 value (ties to even; overflow to +-inf). */
export const roundToBFloat16: (x: number) => number = makeRounder(7, -126, 127);
/** The same construction for binary32; equals Math.fround (kept to test the construction). */
export const roundToFloat32Generic: (x: number) => number = makeRounder(23, -126, 127);

/** The binary16 bit pattern (0..65535) of a number, after rounding it to float16. */
export function float16Bits(x: number): number {
  if (x !== x) return 0x7e00;
  const v = roundToFloat16(x);
  const sign = v < 0 || Object.is(v, -0) ? 0x8000 : 0;
  const a = Math.abs(v);
  if (a === Infinity) return sign | 0x7c00;
  if (a === 0) return sign;
  if (a < 2 ** -14) return sign | Math.round(a / 2 ** -24);
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e--;
  else if (2 ** (e + 1) <= a) e++;
  const m = Math.round((a / 2 ** e - 1) * 1024);
  return sign | ((e + 15) << 10) | m;
}

/** The number a binary16 bit pattern denotes. */
export function float16FromBits(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const e = (bits >> 10) & 0x1f;
  const m = bits & 0x3ff;
  if (e === 0x1f) return m === 0 ? sign * Infinity : NaN;
  if (e === 0) return sign * m * 2 ** -24;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The bfloat16 bit pattern (0..65535) of a number, after rounding it to bfloat16. */
export function bfloat16Bits(x: number): number {
  if (x !== x) return 0x7fc0;
  // A bfloat16 value is exactly a float32 whose low 16 bits are zero.
  f32[0] = roundToBFloat16(x);
  return u32[0]! >>> 16;
}

/** The number a bfloat16 bit pattern denotes. */
export function bfloat16FromBits(bits: number): number {
  u32[0] = (bits & 0xffff) << 16;
  return f32[0]!;
}
