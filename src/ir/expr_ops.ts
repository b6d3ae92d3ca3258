/**
 * Builders for PrimExprs with the conveniences of TVM's operator overloads: JS numbers become
 * constants of the other operand's type, mismatched types are promoted (int -> float, narrow
 * -> wide, scalar -> vector), and constant operands fold (`1 + 2` -> `3`, `x * 1` -> `x`).
 * The node constructors in expr.ts stay strict; these are what frontends and TE use.
 */
import { DataType, bool, float32, int32, int64, intRange, dtypeOf, type DTypeLike } from "./dtype.js";
import {
  Add, And, Broadcast, BufferLoad, Call, Cast, Div, EQ, FloatImm, FloorDiv, FloorMod, GE, GT, IntImm, LE, LT,
  Max, Min, Mod, Mul, NE, Not, Or, PrimExpr, Select, Sub,
} from "./expr.js";
import { Op } from "./op_registry.js";
import type { Buffer } from "./buffer.js";

export type ExprLike = PrimExpr | number | boolean;

/** A constant of the given type (ints are checked to fit; floats rounded to the type). */
export function constant(value: number | boolean, dtype: DTypeLike): PrimExpr {
  const t = dtypeOf(dtype);
  const v = typeof value === "boolean" ? (value ? 1 : 0) : value;
  if (t.lanes > 1) return new Broadcast(constant(v, t.element()), t.lanes);
  if (t.isFloat()) return new FloatImm(t, roundToFloat(v, t));
  return new IntImm(t, v);
}

export function roundToFloat(v: number, t: DataType): number {
  if (t.bits === 32) return Math.fround(v);
  if (t.bits === 16 && t.code === "float") return Math.fround(v); // storage precision is modelled by the interpreter
  return v;
}

/** Converts a JS value to a PrimExpr; `like` gives the dtype numbers take. */
export function convert(v: ExprLike, like?: DataType): PrimExpr {
  if (v instanceof PrimExpr) return v;
  if (typeof v === "boolean") return new IntImm(bool, v ? 1 : 0);
  if (like) {
    const el = like.element();
    if (el.isFloat()) return new FloatImm(el, roundToFloat(v, el));
    if (Number.isInteger(v) && (el.isIntegral() || el.isBool())) return new IntImm(el, v);
  }
  if (Number.isInteger(v)) {
    const [lo, hi] = intRange(int32);
    return new IntImm(v >= Number(lo) && v <= Number(hi) ? int32 : int64, v);
  }
  return new FloatImm(float32, Math.fround(v));
}

export function isConstInt(e: PrimExpr, value?: number): e is IntImm {
  return e instanceof IntImm && (value === undefined || e.value === value);
}

function isConstNum(e: PrimExpr): e is IntImm | FloatImm {
  return e instanceof IntImm || e instanceof FloatImm;
}

export function cast(dtype: DTypeLike, e: ExprLike): PrimExpr {
  const t = dtypeOf(dtype);
  const x = convert(e, undefined);
  if (x.dtype === t) return x;
  if (t.lanes > 1 && x.dtype.lanes === 1) return new Broadcast(cast(t.element(), x), t.lanes);
  if (x instanceof IntImm && t.lanes === 1) {
    if (t.isFloat()) return new FloatImm(t, roundToFloat(x.value, t));
    if (t.isBool()) return new IntImm(t, x.value !== 0 ? 1 : 0);
    if (t.isIntegral()) return new IntImm(t, wrapInt(x.value, t));
  }
  if (x instanceof FloatImm && t.lanes === 1) {
    if (t.isFloat()) return new FloatImm(t, roundToFloat(x.value, t));
    if (t.isIntegral() && Number.isFinite(x.value)) return new IntImm(t, wrapInt(Math.trunc(x.value), t));
  }
  return new Cast(t, x);
}

/** Wraps an integer into the range of an integer type (two's complement). */
export function wrapInt(v: number, t: DataType): number {
  if (t.bits > 32) return v;
  const [lo, hi] = intRange(t);
  if (v >= Number(lo) && v <= Number(hi)) return v;
  const m = 2 ** t.bits;
  let r = ((v % m) + m) % m;
  if (t.isInt() && r >= m / 2) r -= m;
  return r;
}

/** Brings two operands to one type the way TVM's BinaryOpMatchTypes does. */
export function matchTypes(a: ExprLike, b: ExprLike): [PrimExpr, PrimExpr] {
  let x: PrimExpr;
  let y: PrimExpr;
  if (a instanceof PrimExpr) {
    x = a;
    y = convert(b, a.dtype);
  } else if (b instanceof PrimExpr) {
    y = b;
    x = convert(a, b.dtype);
  } else {
    x = convert(a);
    y = convert(b);
  }
  if (x.dtype === y.dtype) return [x, y];
  const lanes = Math.max(x.dtype.lanes, y.dtype.lanes);
  if (x.dtype.lanes !== lanes) x = new Broadcast(x, lanes);
  if (y.dtype.lanes !== lanes) y = new Broadcast(y, lanes);
  const tx = x.dtype, ty = y.dtype;
  if (tx === ty) return [x, y];
  let t: DataType;
  if (tx.isFloat() && !ty.isFloat()) t = tx;
  else if (ty.isFloat() && !tx.isFloat()) t = ty;
  else if (tx.isFloat() && ty.isFloat()) t = tx.bits >= ty.bits ? tx : ty;
  else if (tx.isBool()) t = ty;
  else if (ty.isBool()) t = tx;
  else if (tx.bits !== ty.bits) t = tx.bits > ty.bits ? tx : ty;
  else t = tx.isInt() ? tx : ty;
  return [cast(t, x), cast(t, y)];
}

function foldInt(e: PrimExpr, v: number): PrimExpr | undefined {
  const t = e.dtype;
  if (!Number.isSafeInteger(v)) return undefined;
  if (t.bits <= 32) {
    const [lo, hi] = intRange(t);
    if (v < Number(lo) || v > Number(hi)) return undefined;
  }
  return new IntImm(t, v);
}

function floorDivNum(a: number, b: number): number {
  return Math.floor(a / b);
}

export function add(a: ExprLike, b: ExprLike): PrimExpr {
  const [x, y] = matchTypes(a, b);
  if (x instanceof IntImm && y instanceof IntImm) return foldInt(x, x.value + y.value) ?? new Add(x, y);
  if (x instanceof FloatImm && y instanceof FloatImm) return new FloatImm(x.dtype, roundToFloat(x.value + y.value, x.dtype));
  if (isConstNum(x) && x.value === 0) return y;
  if (isConstNum(y) && y.value === 0) return x;
  return new Add(x, y);
}

export function sub(a: ExprLike, b: ExprLike): PrimExpr {
  const [x, y] = matchTypes(a, b);
  if (x instanceof IntImm && y instanceof IntImm) return foldInt(x, x.value - y.value) ?? new Sub(x, y);
  if (x instanceof FloatImm && y instanceof FloatImm) return new FloatImm(x.dtype, roundToFloat(x.value - y.value, x.dtype));
  if (isConstNum(y) && y.value === 0) return x;
  return new Sub(x, y);
}

export function mul(a: ExprLike, b: ExprLike): PrimExpr {
  const [x, y] = matchTypes(a, b);
  if (x instanceof IntImm && y instanceof IntImm) return foldInt(x, x.value * y.value) ?? new Mul(x, y);
  if (x instanceof FloatImm && y instanceof FloatImm) return new FloatImm(x.dtype, roundToFloat(x.value * y.value, x.dtype));
  if (isConstNum(x)) {
    if (x.value === 1) return y;
    if (x.value === 0 && x instanceof IntImm) return x;
  }
  if (isConstNum(y)) {
    if (y.value === 1) return x;
    if (y.value === 0 && y instanceof IntImm) return y;
  }
  return new Mul(x, y);
}

function checkNonZero(op: string, y: PrimExpr): void {
  if (y instanceof IntImm && y.value === 0) throw new RangeError(`${op}: division by zero`);
}

/** `a / b`: true division for floats, truncating division for integers. */
export function div(a: ExprLike, b: ExprLike): PrimExpr {
  const [x, y] = matchTypes(a, b);
  if (x.dtype.isFloat()) {
    if (x instanceof FloatImm && y instanceof FloatImm && y.value !== 0) {
      return new FloatImm(x.dtype, roundToFloat(x.value / y.value, x.dtype));
    }
    if (y instanceof FloatImm && y.value === 1) return x;
    return new Div(x, y);
  }
  return truncdiv(x, y);
}

export function truncdiv(a: ExprLike, b: ExprLike): PrimExpr {
  const [x, y] = matchTypes(a, b);
  checkNonZero("truncdiv", y);
  if (x instanceof IntImm && y instanceof IntImm) return foldInt(x, Math.trunc(x.value / y.value)) ?? new Div(x, y);
  if (isConstInt(y, 1)) return x;
  return new Div(x, y);
}

export function truncmod(a: ExprLike, b: ExprLike): PrimExpr {
  const [x, y] = matchTypes(a, b);
  checkNonZero("truncmod", y);
  if (x instanceof IntImm && y instanceof IntImm) return new IntImm(x.dtype, x.value % y.value || 0);
  if (isConstInt(y, 1) && x.dtype.isIntegral()) return new IntImm(x.dtype, 0);
  return new Mod(x, y);
}

export function floordiv(a: ExprLike, b: ExprLike): PrimExpr {
  const [x, y] = matchTypes(a, b);
  checkNonZero("floordiv", y);
  if (x instanceof IntImm && y instanceof IntImm) return foldInt(x, floorDivNum(x.value, y.value)) ?? new FloorDiv(x, y);
  if (isConstInt(y, 1)) return x;
  return new FloorDiv(x, y);
}

export function floormod(a: ExprLike, b: ExprLike): PrimExpr {
  const [x, y] = matchTypes(a, b);
  checkNonZero("floormod", y);
  if (x instanceof IntImm && y instanceof IntImm) return new IntImm(x.dtype, x.value - floorDivNum(x.value, y.value) * y.value);
  if (isConstInt(y, 1)) return new IntImm(x.dtype, 0);
  return new FloorMod(x, y);
}

export function min(a: ExprLike, b: ExprLike): PrimExpr {
  const [x, y] = matchTypes(a, b);
  if (isConstNum(x) && isConstNum(y)) return x.value <= y.value ? x : y;
  return new Min(x, y);
}

export function max(a: ExprLike, b: ExprLike): PrimExpr {
  const [x, y] = matchTypes(a, b);
  if (isConstNum(x) && isConstNum(y)) return x.value >= y.value ? x : y;
  return new Max(x, y);
}

type CmpCtor = new (a: PrimExpr, b: PrimExpr) => PrimExpr;
function compare(C: CmpCtor, f: (p: number, q: number) => boolean, a: ExprLike, b: ExprLike): PrimExpr {
  const [x, y] = matchTypes(a, b);
  if (isConstNum(x) && isConstNum(y)) return new IntImm(bool, f(x.value, y.value) ? 1 : 0);
  return new C(x, y);
}
export const eq = (a: ExprLike, b: ExprLike) => compare(EQ, (p, q) => p === q, a, b);
export const ne = (a: ExprLike, b: ExprLike) => compare(NE, (p, q) => p !== q, a, b);
export const lt = (a: ExprLike, b: ExprLike) => compare(LT, (p, q) => p < q, a, b);
export const le = (a: ExprLike, b: ExprLike) => compare(LE, (p, q) => p <= q, a, b);
export const gt = (a: ExprLike, b: ExprLike) => compare(GT, (p, q) => p > q, a, b);
export const ge = (a: ExprLike, b: ExprLike) => compare(GE, (p, q) => p >= q, a, b);

function asBool(e: ExprLike): PrimExpr {
  const x = convert(e, bool);
  if (x.dtype.isBool()) return x;
  return ne(x, 0);
}

export function and(a: ExprLike, b: ExprLike): PrimExpr {
  const x = asBool(a), y = asBool(b);
  if (x instanceof IntImm) return x.value ? y : x;
  if (y instanceof IntImm) return y.value ? x : y;
  return new And(x, y);
}

export function or(a: ExprLike, b: ExprLike): PrimExpr {
  const x = asBool(a), y = asBool(b);
  if (x instanceof IntImm) return x.value ? x : y;
  if (y instanceof IntImm) return y.value ? y : x;
  return new Or(x, y);
}

export function not(a: ExprLike): PrimExpr {
  const x = asBool(a);
  if (x instanceof IntImm) return new IntImm(bool, x.value ? 0 : 1);
  return new Not(x);
}

export function select(c: ExprLike, t: ExprLike, f: ExprLike): PrimExpr {
  const [x, y] = matchTypes(t, f);
  return new Select(asBool(c), x, y);
}

export function neg(a: ExprLike): PrimExpr {
  const x = convert(a);
  if (x instanceof IntImm) return foldInt(x, -x.value) ?? new Sub(new IntImm(x.dtype, 0), x);
  if (x instanceof FloatImm) return new FloatImm(x.dtype, -x.value);
  return sub(constant(0, x.dtype), x);
}

/** A call of a registered intrinsic; the result type defaults to the first argument's. */
export function callIntrin(name: string, args: readonly ExprLike[], dtype?: DTypeLike): PrimExpr {
  const op = Op.get(name);
  const xs = args.map((a) => convert(a));
  const t = dtype ? dtypeOf(dtype) : (xs[0]?.dtype ?? int32);
  return new Call(t, op, xs);
}

function floatMath(name: string) {
  return (x: ExprLike): PrimExpr => {
    const e = convert(x);
    return callIntrin(name, [e], e.dtype);
  };
}
export const exp = floatMath("tir.exp");
export const exp2 = floatMath("tir.exp2");
export const log = floatMath("tir.log");
export const log2 = floatMath("tir.log2");
export const log1p = floatMath("tir.log1p");
export const sqrt = floatMath("tir.sqrt");
export const rsqrt = floatMath("tir.rsqrt");
export const tanh = floatMath("tir.tanh");
export const sigmoid = floatMath("tir.sigmoid");
export const erf = floatMath("tir.erf");
export const floor = floatMath("tir.floor");
export const ceil = floatMath("tir.ceil");
export const round = floatMath("tir.round");
export const trunc = floatMath("tir.trunc");
export const fabs = floatMath("tir.fabs");

export function abs(x: ExprLike): PrimExpr {
  const e = convert(x);
  if (e.dtype.isFloat()) return fabs(e);
  if (e.dtype.isUInt()) return e;
  return select(lt(e, 0), neg(e), e);
}

export function pow(a: ExprLike, b: ExprLike): PrimExpr {
  const [x, y] = matchTypes(a, b);
  return callIntrin("tir.pow", [x, y], x.dtype);
}

export function isnan(x: ExprLike): PrimExpr {
  const e = convert(x);
  return callIntrin("tir.isnan", [e], bool.withLanes(e.dtype.lanes));
}

export function ifThenElse(c: ExprLike, t: ExprLike, f: ExprLike): PrimExpr {
  const [x, y] = matchTypes(t, f);
  return new Call(x.dtype, Op.get("tir.if_then_else"), [asBool(c), x, y]);
}

export function reinterpret(dtype: DTypeLike, x: ExprLike): PrimExpr {
  return callIntrin("tir.reinterpret", [x], dtype);
}

/** The largest finite value of a type (`T.max_value`). */
export function maxValue(dtype: DTypeLike): PrimExpr {
  const t = dtypeOf(dtype);
  if (t.isFloat()) {
    const v = t.bits === 64 ? Number.MAX_VALUE : t.bits === 32 ? 3.4028234663852886e38 : t.code === "bfloat" ? 3.3895313892515355e38 : 65504;
    return new FloatImm(t, v);
  }
  return new IntImm(t, Number(intRange(t)[1]));
}

/** The smallest finite value of a type (`T.min_value`). */
export function minValue(dtype: DTypeLike): PrimExpr {
  const t = dtypeOf(dtype);
  if (t.isFloat()) return new FloatImm(t, -(maxValue(t) as FloatImm).value);
  return new IntImm(t, Number(intRange(t)[0]));
}

export function load(buffer: Buffer, indices: readonly ExprLike[]): BufferLoad {
  return new BufferLoad(buffer, indices.map((i) => convert(i)));
}
