/**
 * float32 transcendental functions computed in wasm itself (a call out to JavaScript's Math per
 * lane costs ~100x more): exp, log, log2, log10, tanh, sigmoid and erf, each as one algorithm
 * written once over an abstract set of f32 operations and emitted either on scalars (f32 / i32)
 * or on f32x4 vectors (v128), so a vectorized loop body and its scalar tail give the same bits.
 * Vectors are emitted inline (V8 does not inline wasm calls; inline, the constants are set up
 * once outside the loop); scalars call one internal function per module.
 *
 * Algorithms (range reduction + polynomial; the coefficients are minimax fits computed for this
 * file, rounded to float32):
 * - exp: x = n ln2 + r, |r| <= ln2/2 (n rounded with the 1.5 * 2^23 trick, ln2 split in two
 *   so n * ln2_hi is exact); e^r = 1 + r + r^2 q(r), q of degree 4; times 2^n applied as
 *   2^(n >> 1) * 2^(n - (n >> 1)), which keeps results near overflow finite and rounds
 *   subnormal results once. x is first clamped to [-104, 88.8] (NaN passes through).
 * - log / log2 / log10: x = m 2^e with m in [sqrt(1/2), sqrt(2)) (subnormals scaled by 2^23
 *   first); log(m) = 2 atanh(s), s = (m - 1) / (m + 1), by an odd series in s, arranged as
 *   f - (f^2/2 - s (f^2/2 + R)) with f = m - 1 (exact) so that rounding errors stay small.
 * - tanh: |x| < 0.625: x + x^3 p(x^2); else sign(x) (1 - 2 / (e^(2|x|) + 1)).
 * - sigmoid: with e = e^-|x| (never overflows): 1 / (1 + e) for x >= 0, e / (1 + e) below.
 * - erf: |x| < 1: x p(x^2); else sign(x) (1 - e^(g(|x|) - x^2)), g(x) = log(erfc x) + x^2
 *   fitted on [1, 4] (|x| is clamped to 4, where erf rounds to 1).
 *
 * Measured against Math.* in double precision (test/target/wasm_math.test.ts, 40000 random
 * inputs per function plus edges): at most 2 ulp (of the float32 result) for exp, log, log2,
 * log10 and tanh, 3 ulp for sigmoid and erf. Special values follow C:
 * exp(-inf) = 0, exp(+inf) = inf, log(0) = -inf, log(x < 0) = NaN, NaN stays NaN, tanh / erf
 * / sigmoid saturate at +-1 / 0 / 1, odd functions keep -0.
 */
import binaryen from "binaryen";
import type { Ref } from "./wasm_types.js";

/** The float32 math functions this file computes in wasm. */
export const F32_MATH = new Set(["exp", "log", "log2", "log10", "tanh", "sigmoid", "erf"]);
export type F32MathFn = "exp" | "log" | "log2" | "log10" | "tanh" | "sigmoid" | "erf";

/** Polynomial coefficients (lowest degree first). */
const EXP_Q = [0.5, 0.16666664, 0.041660540, 0.0083574215, 0.0014424085];
const LOG_R = [0.66666675, 0.39992270, 0.29430140]; // 2 atanh(s) / s - 2 = z r(z), z = s^2
const TANH_P = [-0.33333334, 0.13333246, -0.053907942, 0.021212392, -0.0063504521]; // tanh(x) = x + x^3 p(x^2)
const ERF_SMALL = [1.1283792, -0.37612638, 0.11283790, -0.026865505, 0.0052165943, -0.00083043572, 0.000089464302];
const ERF_G = [ // g(2.5 + t), t in [-1.5, 1.5]
  -1.5568153, -0.35268074, 0.056106318, -0.010858461, 0.0021652256, -0.00042013192, 0.000077364981, -0.000013320289,
  0.0000016177410,
];
const LN2_HI = 0.693359375, LN2_LO = -2.12194440e-4;
const LOG2E = 1.4426950408889634, LOG10E = 0.4342944819032518;
const LOG10_2_HI = 0.30102539, LOG10_2_LO = 4.6050630e-6;

/** f32 operations on one lane (f32 / i32 values) or four (v128); comparisons give i32 flags or lane masks. */
class F32Ops {
  readonly T: binaryen.Type;
  readonly IT: binaryen.Type;
  readonly body: Ref[] = [];

  constructor(
    readonly m: binaryen.Module,
    readonly vector: boolean,
    private readonly alloc: (t: binaryen.Type) => number,
  ) {
    this.T = vector ? binaryen.v128 : binaryen.f32;
    this.IT = vector ? binaryen.v128 : binaryen.i32;
  }

  /** Stores `e` in a fresh local (a statement of the body); returns a reader of it. */
  let(e: Ref, int = false): () => Ref {
    const t = int ? this.IT : this.T;
    const i = this.alloc(t);
    this.body.push(this.m.local.set(i, e));
    return () => this.m.local.get(i, t);
  }

  c(v: number): Ref {
    if (!this.vector) return this.m.f32.const(v);
    return this.m.v128.const(new Uint8Array(new Float32Array([v, v, v, v]).buffer));
  }
  ci(v: number): Ref {
    if (!this.vector) return this.m.i32.const(v);
    return this.m.v128.const(new Uint8Array(new Int32Array([v, v, v, v]).buffer));
  }
  private get f() {
    return this.vector ? this.m.f32x4 : this.m.f32;
  }
  add(a: Ref, b: Ref): Ref { return this.f.add(a, b); }
  sub(a: Ref, b: Ref): Ref { return this.f.sub(a, b); }
  mul(a: Ref, b: Ref): Ref { return this.f.mul(a, b); }
  div(a: Ref, b: Ref): Ref { return this.f.div(a, b); }
  abs(a: Ref): Ref { return this.f.abs(a); }
  neg(a: Ref): Ref { return this.f.neg(a); }
  /** min(x, c) / max(x, c) with a NaN x passing through (pmin(x, c) = c < x ? c : x). */
  min(x: Ref, c: Ref): Ref { return this.vector ? this.m.f32x4.pmin(x, c) : this.m.f32.min(x, c); }
  max(x: Ref, c: Ref): Ref { return this.vector ? this.m.f32x4.pmax(x, c) : this.m.f32.max(x, c); }
  lt(a: Ref, b: Ref): Ref { return this.f.lt(a, b); }
  ge(a: Ref, b: Ref): Ref { return this.f.ge(a, b); }
  eq(a: Ref, b: Ref): Ref { return this.f.eq(a, b); }
  /** mask ? a : b, lane by lane. */
  sel(mask: Ref, a: Ref, b: Ref): Ref {
    return this.vector ? this.m.v128.bitselect(a, b, mask) : this.m.select(mask, a, b);
  }
  /** |mag| with the sign of `sign`. */
  copysign(mag: Ref, sign: Ref): Ref {
    if (!this.vector) return this.m.f32.copysign(mag, sign);
    return this.m.v128.bitselect(sign, mag, this.ci(-0x80000000));
  }
  bits(x: Ref): Ref { return this.vector ? x : this.m.i32.reinterpret(x); }
  fromBits(x: Ref): Ref { return this.vector ? x : this.m.f32.reinterpret(x); }
  iadd(a: Ref, b: Ref): Ref { return this.vector ? this.m.i32x4.add(a, b) : this.m.i32.add(a, b); }
  isub(a: Ref, b: Ref): Ref { return this.vector ? this.m.i32x4.sub(a, b) : this.m.i32.sub(a, b); }
  ishl(a: Ref, k: number): Ref { return this.vector ? this.m.i32x4.shl(a, this.m.i32.const(k)) : this.m.i32.shl(a, this.m.i32.const(k)); }
  ishr(a: Ref, k: number): Ref { return this.vector ? this.m.i32x4.shr_s(a, this.m.i32.const(k)) : this.m.i32.shr_s(a, this.m.i32.const(k)); }
  toFloat(i: Ref): Ref { return this.vector ? this.m.f32x4.convert_i32x4_s(i) : this.m.f32.convert_s.i32(i); }

  /** c[0] + x (c[1] + x (c[2] + ...)) by Horner's rule. */
  poly(x: () => Ref, c: readonly number[]): Ref {
    let p = this.c(c[c.length - 1]!);
    for (let k = c.length - 2; k >= 0; k--) p = this.add(this.mul(p, x()), this.c(c[k]!));
    return p;
  }
}

// ---------------------------------------------------------------- the algorithms

function exp(o: F32Ops, x0: Ref): Ref {
  const x = o.let(o.max(o.min(x0, o.c(88.8)), o.c(-104)));
  const MAGIC = 12582912; // 1.5 * 2^23: adding it rounds to an integer, kept in the low mantissa bits
  const t = o.let(o.add(o.mul(x(), o.c(1.4426950408889634)), o.c(MAGIC)));
  const n = o.let(o.isub(o.bits(t()), o.ci(0x4b400000)), true);
  const nf = o.let(o.sub(t(), o.c(MAGIC)));
  const r = o.let(o.sub(o.sub(x(), o.mul(nf(), o.c(LN2_HI))), o.mul(nf(), o.c(LN2_LO))));
  const q = o.poly(r, EXP_Q);
  const p = o.add(o.add(o.mul(o.mul(r(), r()), q), r()), o.c(1));
  const h = o.let(o.ishr(n(), 1), true);
  const scale = (k: Ref): Ref => o.fromBits(o.ishl(o.iadd(k, o.ci(127)), 23));
  return o.mul(o.mul(p, scale(h())), scale(o.isub(n(), h())));
}

function log(o: F32Ops, x0: Ref, base: "e" | "2" | "10"): Ref {
  const x = o.let(x0);
  const tiny = o.let(o.lt(x(), o.c(1.1754943508222875e-38)), true); // subnormal (or zero / negative)
  const xs = o.let(o.sel(tiny(), o.mul(x(), o.c(8388608)), x()));
  const ix = o.let(o.bits(xs()), true);
  const e = o.let(o.ishr(o.isub(ix(), o.ci(0x3f3504f3)), 23), true); // m = x / 2^e in [sqrt(1/2), sqrt(2))
  const m = o.fromBits(o.isub(ix(), o.ishl(e(), 23)));
  const ef = o.let(o.sub(o.toFloat(e()), o.sel(tiny(), o.c(23), o.c(0))));
  const f = o.let(o.sub(m, o.c(1)));
  const s = o.let(o.div(f(), o.add(f(), o.c(2))));
  const z = o.let(o.mul(s(), s()));
  // log(1 + f) = 2s + s R = f - (f^2/2 - s (f^2/2 + R)): f is exact, the rest a small correction
  const hfsq = o.let(o.mul(o.mul(f(), f()), o.c(0.5)));
  const R = o.mul(z(), o.poly(z, LOG_R));
  const lnm = o.let(o.sub(f(), o.sub(hfsq(), o.mul(s(), o.add(hfsq(), R)))));
  let r: Ref;
  if (base === "e") r = o.add(o.mul(ef(), o.c(LN2_HI)), o.add(lnm(), o.mul(ef(), o.c(LN2_LO))));
  else if (base === "2") r = o.add(ef(), o.mul(lnm(), o.c(LOG2E)));
  else r = o.add(o.mul(ef(), o.c(LOG10_2_HI)), o.add(o.mul(lnm(), o.c(LOG10E)), o.mul(ef(), o.c(LOG10_2_LO))));
  const y = o.let(r);
  const special = o.sel(o.eq(x(), o.c(Infinity)), o.c(Infinity), o.sel(o.eq(x(), o.c(0)), o.c(-Infinity), y()));
  return o.sel(o.ge(x(), o.c(0)), special, o.c(NaN)); // NaN and negatives -> NaN
}

function tanh(o: F32Ops, x0: Ref): Ref {
  const x = o.let(x0);
  const ax = o.let(o.abs(x()));
  const z = o.let(o.mul(x(), x()));
  const small = o.add(x(), o.mul(o.mul(x(), z()), o.poly(z, TANH_P)));
  const e = exp(o, o.add(ax(), ax()));
  const large = o.sub(o.c(1), o.div(o.c(2), o.add(e, o.c(1))));
  return o.copysign(o.sel(o.lt(ax(), o.c(0.625)), small, large), x()); // copysign: tanh(-0) = -0
}

function sigmoid(o: F32Ops, x0: Ref): Ref {
  const x = o.let(x0);
  const e = o.let(exp(o, o.neg(o.abs(x()))));
  const s = o.let(o.div(o.c(1), o.add(e(), o.c(1))));
  return o.sel(o.ge(x(), o.c(0)), s(), o.mul(e(), s()));
}

function erf(o: F32Ops, x0: Ref): Ref {
  const x = o.let(x0);
  const ax = o.let(o.abs(x()));
  const z = o.let(o.mul(x(), x()));
  const small = o.mul(x(), o.poly(z, ERF_SMALL));
  const xc = o.let(o.min(ax(), o.c(4)));
  const t = o.let(o.sub(xc(), o.c(2.5)));
  const g = o.poly(t, ERF_G);
  const mid = o.sub(o.c(1), exp(o, o.sub(g, o.mul(xc(), xc()))));
  return o.sel(o.lt(ax(), o.c(1)), small, o.copysign(mid, x()));
}

function emit(o: F32Ops, fn: F32MathFn, x: Ref): Ref {
  switch (fn) {
    case "exp": return exp(o, x);
    case "log": return log(o, x, "e");
    case "log2": return log(o, x, "2");
    case "log10": return log(o, x, "10");
    case "tanh": return tanh(o, x);
    case "sigmoid": return sigmoid(o, x);
    case "erf": return erf(o, x);
  }
}

// ---------------------------------------------------------------- emission

/** `fn` of the f32x4 value `x`, inline: a block that sets fresh locals (from `alloc`) and yields a v128. */
export function f32x4MathInline(m: binaryen.Module, fn: F32MathFn, x: Ref, alloc: (t: binaryen.Type) => number): Ref {
  const o = new F32Ops(m, true, alloc);
  const r = emit(o, fn, x);
  return m.block(null, [...o.body, r], binaryen.v128);
}

const emitted = new WeakMap<binaryen.Module, Set<string>>();

/**
 * Name of the internal function `__<fn>_f32 (f32) -> f32` (or `__<fn>_f32x4 (v128) -> v128`),
 * added to the module on first use.
 */
export function f32MathFunction(m: binaryen.Module, fn: F32MathFn, vector = false): string {
  const name = `__${fn}_${vector ? "f32x4" : "f32"}`;
  let set = emitted.get(m);
  if (!set) emitted.set(m, (set = new Set()));
  if (set.has(name)) return name;
  set.add(name);
  const T = vector ? binaryen.v128 : binaryen.f32;
  const locals: binaryen.Type[] = [];
  const o = new F32Ops(m, vector, (t) => 1 + locals.push(t) - 1);
  const r = emit(o, fn, m.local.get(0, T));
  m.addFunction(name, binaryen.createType([T]), T, locals, m.block(null, [...o.body, r], T));
  return name;
}
