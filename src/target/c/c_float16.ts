/**
 * float16 and bfloat16 on the c target. Storage is what the runtime keeps them in (NDArray and
 * the interpreter's HostArray): a float32 array holding values already rounded to the narrow
 * type, so C sees them as `float`. Arithmetic rounds every result to the narrow type, as the
 * interpreter does (src/tir/interp/scalar_ops.ts):
 * - scalar code computes each operation in double (exact for +, -, * of two narrow values;
 *   correctly rounded for /, math functions as libm's double versions) and rounds once from
 *   double to the narrow type (`weft_rnd_f16` / `weft_rnd_bf16`: round to nearest, ties to
 *   even, subnormals, overflow to infinity), like the interpreter's double-then-round;
 * - vector code computes +, -, *, / in float32 lanes and rounds the lanes (`<vt>_rnd`): with
 *   float32's 24 bits >= 2 * 11 + 2 the double rounding cannot change a result (Figueroa), so
 *   it equals the single rounding; other vector operations on narrow floats (math calls, casts
 *   from integers or float64) go lane by lane through the scalar path.
 * `_Float16` is not used: GCC and Clang compute it with excess precision (rounding at
 * assignments, not after every operation) unless the CPU has native fp16 arithmetic.
 */
import type { DataType } from "../../ir/dtype.js";

export type NarrowFloat = "f16" | "bf16";

/** "f16" / "bf16" for float16 / bfloat16 (scalar or vector), else undefined. */
export function narrowFloat(t: DataType): NarrowFloat | undefined {
  const e = t.element();
  if (!e.isFloat() || e.bits !== 16) return undefined;
  return e.code === "bfloat" ? "bf16" : "f16";
}

/** C helpers: scalar rounding from double, bit-pattern conversions, min/max. */
export const FLOAT16_PRELUDE = `/* float16 / bfloat16 values are kept in floats; see src/target/c/c_float16.ts. */
static inline float weft_rnd_f16(double x) {
  uint64_t u, s, a; double r;
  memcpy(&u, &x, 8); s = u & 0x8000000000000000ull; a = u & 0x7fffffffffffffffull;
  if (a >= 0x7ff0000000000000ull) return (float)x;
  if (a < 0x3f10000000000000ull) { double ad; memcpy(&ad, &a, 8); r = (ad + 268435456.0) - 268435456.0; memcpy(&a, &r, 8); }
  else { a = (a + 0x1ffffffffffull + ((a >> 42) & 1)) & ~0x3ffffffffffull; if (a >= 0x40f0000000000000ull) a = 0x7ff0000000000000ull; }
  a |= s; memcpy(&r, &a, 8); return (float)r;
}
static inline float weft_rnd_bf16(double x) {
  uint64_t u, s, a; double r;
  memcpy(&u, &x, 8); s = u & 0x8000000000000000ull; a = u & 0x7fffffffffffffffull;
  if (a >= 0x7ff0000000000000ull) return (float)x;
  if (a < 0x3810000000000000ull) { double ad; memcpy(&ad, &a, 8); r = (ad + 0x1p-81) - 0x1p-81; memcpy(&a, &r, 8); }
  else { a = (a + 0xfffffffffffull + ((a >> 45) & 1)) & ~0x1fffffffffffull; if (a >= 0x47f0000000000000ull) a = 0x7ff0000000000000ull; }
  a |= s; memcpy(&r, &a, 8); return (float)r;
}
/* Bit patterns of values already rounded to the type, and back (T.reinterpret). */
static inline uint16_t weft_f16_bits(float x) {
  uint32_t u; memcpy(&u, &x, 4);
  uint16_t s = (uint16_t)((u >> 16) & 0x8000); uint32_t a = u & 0x7fffffff;
  if (a > 0x7f800000) return s | 0x7e00;
  if (a >= 0x47800000) return s | 0x7c00;
  if (a < 0x38800000) { float f; memcpy(&f, &a, 4); return s | (uint16_t)(f * 16777216.0f); }
  return s | (uint16_t)((a - 0x38000000) >> 13);
}
static inline float weft_f16_from_bits(uint16_t h) {
  uint32_t s = (uint32_t)(h & 0x8000) << 16, e = (h >> 10) & 0x1f, m = h & 0x3ff, u; float f;
  if (e == 0) { f = (float)m * 5.9604644775390625e-8f; return s ? -f : f; }
  u = s | (e == 31 ? 0x7f800000 : (e + 112) << 23) | (m << 13);
  memcpy(&f, &u, 4); return f;
}
static inline uint16_t weft_bf16_bits(float x) { uint32_t u; memcpy(&u, &x, 4); return (uint16_t)(u >> 16); }
static inline float weft_bf16_from_bits(uint16_t h) { uint32_t u = (uint32_t)h << 16; float f; memcpy(&f, &u, 4); return f; }
static inline float weft_min_f16(float a, float b) { return a < b ? a : b; }
static inline float weft_max_f16(float a, float b) { return a > b ? a : b; }
static inline float weft_min_bf16(float a, float b) { return a < b ? a : b; }
static inline float weft_max_bf16(float a, float b) { return a > b ? a : b; }
/* Lane-wise rounding of float lanes to float16 / bfloat16 (VT: float lanes, IT: int32 lanes). */
#define WEFT_VRND_F16(VT, IT) \\
  static inline VT VT##_rnd(VT x) { \\
    IT u = (IT)x, s = u & ~0x7fffffff, a = u & 0x7fffffff; \\
    IT r = (a + 0x0fff + ((a >> 13) & 1)) & ~0x1fff; \\
    IT m = r >= 0x47800000; r = (m & 0x7f800000) | (~m & r); \\
    VT sub = (((VT)a) + 0.5f) - 0.5f; \\
    m = a < 0x38800000; r = (m & (IT)sub) | (~m & r); \\
    m = a > 0x7f800000; r = (m & a) | (~m & r); \\
    return (VT)(r | s); \\
  }
#define WEFT_VRND_BF16(VT, IT) \\
  static inline VT VT##_rnd(VT x) { \\
    IT u = (IT)x, s = u & ~0x7fffffff, a = u & 0x7fffffff; \\
    IT r = (a + 0x7fff + ((a >> 16) & 1)) & ~0xffff; \\
    IT m = a > 0x7f800000; r = (m & a) | (~m & r); \\
    return (VT)(r | s); \\
  }
`;
