/**
 * Binary elementwise operators with numpy broadcasting (`T_add`, `T_multiply`, ...). Either
 * operand may be a scalar (number or PrimExpr); tensors must share a dtype.
 */
import type { DataType } from "../../ir/dtype.js";
import { PrimExpr } from "../../ir/expr.js";
import {
  add as addExpr, and, div, eq, floor, floordiv, floormod, ge, gt, le, lt, max, min, mul, ne, or, pow, select, sub, truncdiv, truncmod,
  callIntrin, trunc, type ExprLike,
} from "../../ir/expr_ops.js";
import { Tensor, compute } from "../tensor.js";
import { axNames, broadcastIndex, broadcastShapes, scalarOf } from "./shape_utils.js";

export type Operand = Tensor | ExprLike;

type Domain = "any" | "numeric" | "float" | "integer" | "bool";

function inDomain(t: DataType, d: Domain): boolean {
  switch (d) {
    case "any":
      return true;
    case "numeric":
      return t.isFloat() || t.isIntegral();
    case "float":
      return t.isFloat();
    case "integer":
      return t.isIntegral();
    case "bool":
      return t.isBool();
  }
}

/**
 * `f` applied elementwise to the broadcast of `a` and `b` as the compute `T_<op>`. A scalar
 * operand takes the tensor operand's dtype.
 */
export function binaryMap(op: string, a: Operand, b: Operand, f: (x: PrimExpr, y: PrimExpr) => PrimExpr, domain: Domain = "any"): Tensor {
  const ta = a instanceof Tensor ? a : undefined;
  const tb = b instanceof Tensor ? b : undefined;
  if (!ta && !tb) throw new TypeError(`${op}: at least one operand must be a Tensor, got two scalars`);
  for (const [n, x] of [["lhs", a], ["rhs", b]] as const) {
    if (!(x instanceof Tensor) && !(x instanceof PrimExpr) && typeof x !== "number" && typeof x !== "boolean") {
      throw new TypeError(`${op}: ${n} must be a Tensor or a scalar, got ${String(x)}`);
    }
  }
  if (ta && tb && ta.dtype !== tb.dtype) {
    throw new TypeError(`${op}: dtypes differ: lhs is ${ta.dtype} but rhs is ${tb.dtype} (cast one of them first)`);
  }
  const dtype = (ta ?? tb)!.dtype;
  if (!inDomain(dtype, domain)) {
    throw new TypeError(`${op}: operands must be ${domain === "numeric" ? "int or float" : domain} tensors, got ${dtype}`);
  }
  const sa = ta ? undefined : scalarOf(op, "lhs", a as ExprLike, dtype);
  const sb = tb ? undefined : scalarOf(op, "rhs", b as ExprLike, dtype);
  const named: [string, readonly PrimExpr[]][] = [];
  if (ta) named.push(["lhs", ta.shape]);
  if (tb) named.push(["rhs", tb.shape]);
  const out = broadcastShapes(op, named);
  return compute(
    out,
    (...idx) => {
      const x = ta ? ta.load(broadcastIndex(ta.shape, out, idx)) : sa!;
      const y = tb ? tb.load(broadcastIndex(tb.shape, out, idx)) : sb!;
      return f(x, y);
    },
    `T_${op}`,
    { tag: "broadcast", axisNames: axNames(out.length) },
  );
}

export const add = (a: Operand, b: Operand) => binaryMap("add", a, b, addExpr, "numeric");
export const subtract = (a: Operand, b: Operand) => binaryMap("subtract", a, b, sub, "numeric");
export const multiply = (a: Operand, b: Operand) => binaryMap("multiply", a, b, mul, "numeric");
/** True division for floats; division rounding toward zero for integers (C, TVM). */
export const divide = (a: Operand, b: Operand) => binaryMap("divide", a, b, div, "numeric");
/** Division rounding toward negative infinity. */
export const floorDivide = (a: Operand, b: Operand) =>
  binaryMap("floor_divide", a, b, (x, y) => (x.dtype.isFloat() ? floor(div(x, y)) : floordiv(x, y)), "numeric");
/** Remainder with the sign of the dividend (C fmod / TVM truncmod). */
export const mod = (a: Operand, b: Operand) =>
  binaryMap("mod", a, b, (x, y) => (x.dtype.isFloat() ? sub(x, mul(trunc(div(x, y)), y)) : truncmod(x, y)), "numeric");
/** Remainder with the sign of the divisor (numpy / Python `%`). */
export const floorMod = (a: Operand, b: Operand) =>
  binaryMap("floor_mod", a, b, (x, y) => (x.dtype.isFloat() ? sub(x, mul(floor(div(x, y)), y)) : floormod(x, y)), "numeric");
/** Integer division rounding toward zero, regardless of dtype. */
export const truncDivide = (a: Operand, b: Operand) =>
  binaryMap("trunc_divide", a, b, (x, y) => (x.dtype.isFloat() ? trunc(div(x, y)) : truncdiv(x, y)), "numeric");
export const power = (a: Operand, b: Operand) => binaryMap("power", a, b, pow, "float");
export const maximum = (a: Operand, b: Operand) => binaryMap("maximum", a, b, max, "numeric");
export const minimum = (a: Operand, b: Operand) => binaryMap("minimum", a, b, min, "numeric");

export const equal = (a: Operand, b: Operand) => binaryMap("equal", a, b, eq);
export const notEqual = (a: Operand, b: Operand) => binaryMap("not_equal", a, b, ne);
export const less = (a: Operand, b: Operand) => binaryMap("less", a, b, lt, "numeric");
export const lessEqual = (a: Operand, b: Operand) => binaryMap("less_equal", a, b, le, "numeric");
export const greater = (a: Operand, b: Operand) => binaryMap("greater", a, b, gt, "numeric");
export const greaterEqual = (a: Operand, b: Operand) => binaryMap("greater_equal", a, b, ge, "numeric");

export const logicalAnd = (a: Operand, b: Operand) => binaryMap("logical_and", a, b, and, "bool");
export const logicalOr = (a: Operand, b: Operand) => binaryMap("logical_or", a, b, or, "bool");
export const logicalXor = (a: Operand, b: Operand) => binaryMap("logical_xor", a, b, (x, y) => ne(x, y), "bool");

const bits = (name: string) => (x: PrimExpr, y: PrimExpr) => callIntrin(`tir.${name}`, [x, y], x.dtype);
export const bitwiseAnd = (a: Operand, b: Operand) => binaryMap("bitwise_and", a, b, bits("bitwise_and"), "integer");
export const bitwiseOr = (a: Operand, b: Operand) => binaryMap("bitwise_or", a, b, bits("bitwise_or"), "integer");
export const bitwiseXor = (a: Operand, b: Operand) => binaryMap("bitwise_xor", a, b, bits("bitwise_xor"), "integer");

/** `cond ? x : y` elementwise, broadcasting all three (`T_where`). */
export function where(cond: Tensor, x: Operand, y: Operand): Tensor {
  if (!(cond instanceof Tensor)) throw new TypeError(`where: cond must be a Tensor, got ${String(cond)}`);
  const tx = x instanceof Tensor ? x : undefined;
  const ty = y instanceof Tensor ? y : undefined;
  if (tx && ty && tx.dtype !== ty.dtype) throw new TypeError(`where: dtypes differ: x is ${tx.dtype} but y is ${ty.dtype}`);
  if (!tx && !ty) throw new TypeError(`where: at least one of x and y must be a Tensor (the result dtype comes from it)`);
  const dtype = (tx ?? ty)!.dtype;
  const sx = tx ? undefined : scalarOf("where", "x", x as ExprLike, dtype);
  const sy = ty ? undefined : scalarOf("where", "y", y as ExprLike, dtype);
  const named: [string, readonly PrimExpr[]][] = [["cond", cond.shape]];
  if (tx) named.push(["x", tx.shape]);
  if (ty) named.push(["y", ty.shape]);
  const out = broadcastShapes("where", named);
  return compute(
    out,
    (...idx) => {
      let c: PrimExpr = cond.load(broadcastIndex(cond.shape, out, idx));
      if (!c.dtype.isBool()) c = ne(c, 0);
      const vx = tx ? tx.load(broadcastIndex(tx.shape, out, idx)) : sx!;
      const vy = ty ? ty.load(broadcastIndex(ty.shape, out, idx)) : sy!;
      return select(c, vx, vy);
    },
    "T_where",
    { tag: "broadcast", axisNames: axNames(out.length) },
  );
}

/** Clamps every element to [lo, hi] (`T_clip`). */
export function clip(x: Tensor, lo: ExprLike, hi: ExprLike): Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`clip: x must be a Tensor, got ${String(x)}`);
  const l = scalarOf("clip", "a_min", lo, x.dtype), h = scalarOf("clip", "a_max", hi, x.dtype);
  if (typeof lo === "number" && typeof hi === "number" && lo > hi) {
    throw new RangeError(`clip: a_min ${lo} is greater than a_max ${hi}`);
  }
  return compute(x.shape, (...idx) => min(max(x.load(idx), l), h), "T_clip", { tag: "elemwise", axisNames: axNames(x.ndim) });
}
