/**
 * The JavaScript functions generated kernels call, each named by a recipe string: the wasm
 * code generator imports them (module "weft"), the js code generator hands them to the kernel
 * factory. A kernel loaded from a disk cache or a saved executable rebuilds the same functions
 * from the recipes it recorded, so one place makes each function and a reloaded kernel always
 * calls the same code as a fresh one.
 *
 * Recipes: `unary:OP` / `binary:OP` (math in double precision: floatUnary / floatBinary),
 * `norm:DTYPE` (round to a dtype), `cast:FROM:TO`, `arith:DTYPE:OP` (the interpreter's
 * arithmetic of dtypes wasm has no instructions for), `abs:DTYPE`, `popcount:BITS`, `clz:BITS`,
 * `nextafter:DTYPE`, `copysign`, `round_half_even`, `bit:OP:DTYPE` (64-bit bitwise operations),
 * `reinterpret:FROM:TO` (one lane), `min`, `max` (`a < b ? a : b`), `floormod_i32`,
 * `assert_fail` (throws its argument as the message) and `throw:MESSAGE` (a function that throws
 * MESSAGE, which may contain colons).
 */
import { dtypeOf } from "../ir/dtype.js";
import { roundHalfEven } from "../ir/float_format.js";
import { clz, copysign, cpow, erf, ldexp, nextafterFn, popcount, reinterpretFn } from "../tir/interp/math.js";
import { castFn, kitFor, normalizer } from "../tir/interp/scalar_ops.js";

export type JsFn = (...a: number[]) => number;

/** Math functions lowered to a call of JavaScript's Math (or the interpreter's functions), in double precision. */
export const floatUnary: Record<string, (x: number) => number> = {
  exp: Math.exp, log: Math.log, log2: Math.log2, log10: Math.log10, log1p: Math.log1p, expm1: Math.expm1,
  tanh: Math.tanh, sin: Math.sin, cos: Math.cos, tan: Math.tan, asin: Math.asin, acos: Math.acos, atan: Math.atan,
  sinh: Math.sinh, cosh: Math.cosh, asinh: Math.asinh, acosh: Math.acosh, atanh: Math.atanh,
  exp2: (x) => 2 ** x, exp10: (x) => 10 ** x, rsqrt: (x) => 1 / Math.sqrt(x), sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  erf,
};
export const floatBinary: Record<string, (x: number, y: number) => number> = {
  pow: cpow, atan2: Math.atan2, hypot: Math.hypot, ldexp, fmod: (a, b) => a % b,
};

const ARITH = ["add", "sub", "mul", "div", "mod", "floordiv", "floormod"] as const;

function bitOp(op: string, dtype: string): JsFn | undefined {
  const t = dtypeOf(dtype);
  const wrap = (r: bigint): number => Number(t.isInt() ? BigInt.asIntN(64, r) : BigInt.asUintN(64, r));
  switch (op) {
    case "bitwise_and": return (x, y) => wrap(BigInt(x) & BigInt(y!));
    case "bitwise_or": return (x, y) => wrap(BigInt(x) | BigInt(y!));
    case "bitwise_xor": return (x, y) => wrap(BigInt(x) ^ BigInt(y!));
    case "bitwise_not": return (x) => wrap(~BigInt(x));
    case "shift_left": return (x, y) => wrap(BigInt(x) << BigInt(y!));
    case "shift_right": return (x, y) => wrap(BigInt(x) >> BigInt(y!));
    default: return undefined;
  }
}

function thrower(message: string): JsFn {
  return () => {
    throw new Error(message);
  };
}

function make(recipe: string): JsFn | undefined {
  if (recipe.startsWith("throw:")) return thrower(recipe.slice(6));
  const [kind, a = "", b = ""] = recipe.split(":");
  switch (kind) {
    case "unary": return floatUnary[a];
    case "binary": return floatBinary[a];
    case "norm": return normalizer(dtypeOf(a));
    case "cast": return castFn(dtypeOf(a), dtypeOf(b));
    case "arith": return (ARITH as readonly string[]).includes(b) ? kitFor(dtypeOf(a))[b as (typeof ARITH)[number]] : undefined;
    case "abs": {
      const norm = normalizer(dtypeOf(a));
      return (v) => norm(Math.abs(v));
    }
    case "popcount": case "clz": {
      const bits = Number(a);
      const g = kind === "popcount" ? popcount : clz;
      return (v) => g(v, bits);
    }
    case "nextafter": return nextafterFn(dtypeOf(a));
    case "copysign": return copysign;
    case "round_half_even": return roundHalfEven;
    case "bit": return bitOp(a, b);
    case "reinterpret": {
      const g = reinterpretFn(dtypeOf(a), dtypeOf(b));
      return g ? (x) => g([x])[0]! : undefined;
    }
    case "min": return (x, y) => (x < y! ? x : y!);
    case "max": return (x, y) => (x > y! ? x : y!);
    case "floormod_i32": return (x, y) => {
      const r = x % y!;
      return (r !== 0 && r < 0 !== y! < 0 ? r + y! : r) | 0;
    };
    case "assert_fail": return (message) => {
      throw new Error(String(message));
    };
    default: return undefined;
  }
}

const made = new Map<string, JsFn>();
/** The function of a recipe (the same object for the same recipe). */
export function jsImport(recipe: string): JsFn {
  let f = made.get(recipe);
  if (!f) {
    f = make(recipe);
    if (!f) throw new Error(`kernel imports: unknown JavaScript function recipe "${recipe}" (a kernel artifact from a newer or corrupt build?)`);
    made.set(recipe, f);
  }
  return f;
}
