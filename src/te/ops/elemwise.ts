/**
 * Elementwise unary operators (`T_<name>` computes over `ax0, ax1, ...`). Float math rejects
 * integer tensors with a message naming the op; rounding ops are the identity on integers.
 */
import { bool, type DataType } from "../../ir/dtype.js";
import type { PrimExpr } from "../../ir/expr.js";
import {
  abs as absExpr, callIntrin, cast as castExpr, convert, div, erf as erfExpr, exp as expExpr, log as logExpr, lt, gt, mul, neg, not,
  rsqrt as rsqrtExpr, select, sigmoid as sigmoidExpr, sqrt as sqrtExpr, tanh as tanhExpr,
} from "../../ir/expr_ops.js";
import { compute, type Tensor } from "../tensor.js";
import { axNames, checkTensor } from "./shape_utils.js";

type Domain = "float" | "numeric" | "bool" | "integer" | "any";

function checkDomain(op: string, x: Tensor, domain: Domain): void {
  const t = x.dtype;
  const ok =
    domain === "any" ||
    (domain === "float" && t.isFloat()) ||
    (domain === "numeric" && (t.isFloat() || t.isIntegral())) ||
    (domain === "integer" && t.isIntegral()) ||
    (domain === "bool" && t.isBool());
  if (!ok) {
    const want = { float: "a float", numeric: "a numeric (int or float)", bool: "a bool", integer: "an integer", any: "any" }[domain];
    throw new TypeError(`${op}: x must be ${want} tensor, got ${t}${domain === "float" && t.isIntegral() ? ` (cast it to a float type first)` : ""}`);
  }
}

/** An elementwise map `f` over `x` as the compute `T_<op>`. */
export function unaryMap(op: string, x: Tensor, f: (v: PrimExpr) => PrimExpr, domain: Domain = "any", tag = "elemwise"): Tensor {
  checkTensor(op, "x", x);
  checkDomain(op, x, domain);
  return compute(x.shape, (...idx) => f(x.load(idx)), `T_${op}`, { tag, axisNames: axNames(x.ndim) });
}

const floatFn = (op: string, f: (v: PrimExpr) => PrimExpr) => (x: Tensor) => unaryMap(op, x, f, "float");
const intrin = (name: string) => (v: PrimExpr) => callIntrin(`tir.${name}`, [v], v.dtype);

export const exp = floatFn("exp", expExpr);
export const exp2 = floatFn("exp2", intrin("exp2"));
export const log = floatFn("log", logExpr);
export const log2 = floatFn("log2", intrin("log2"));
export const log10 = floatFn("log10", intrin("log10"));
export const log1p = floatFn("log1p", intrin("log1p"));
export const expm1 = floatFn("expm1", intrin("expm1"));
export const sqrt = floatFn("sqrt", sqrtExpr);
export const rsqrt = floatFn("rsqrt", rsqrtExpr);
export const sigmoid = floatFn("sigmoid", sigmoidExpr);
export const tanh = floatFn("tanh", tanhExpr);
export const erf = floatFn("erf", erfExpr);
export const sin = floatFn("sin", intrin("sin"));
export const cos = floatFn("cos", intrin("cos"));
export const tan = floatFn("tan", intrin("tan"));
export const asin = floatFn("asin", intrin("asin"));
export const acos = floatFn("acos", intrin("acos"));
export const atan = floatFn("atan", intrin("atan"));
export const sinh = floatFn("sinh", intrin("sinh"));
export const cosh = floatFn("cosh", intrin("cosh"));

/** `1 / x`. */
export const reciprocal = floatFn("reciprocal", (v) => div(convert(1, v.dtype), v));

function roundingFn(op: string, name: string) {
  return (x: Tensor) => unaryMap(op, x, (v) => (v.dtype.isFloat() ? callIntrin(`tir.${name}`, [v], v.dtype) : v), "numeric");
}
export const floor = roundingFn("floor", "floor");
export const ceil = roundingFn("ceil", "ceil");
/** Rounds to the nearest integer (the `tir.round` intrinsic's tie rule). */
export const round = roundingFn("round", "round");
export const trunc = roundingFn("trunc", "trunc");

export function negative(x: Tensor): Tensor {
  return unaryMap("negative", x, (v) => neg(v), "numeric");
}

export function abs(x: Tensor): Tensor {
  return unaryMap("abs", x, (v) => absExpr(v), "numeric");
}

/** -1, 0 or 1 with the input's dtype. */
export function sign(x: Tensor): Tensor {
  return unaryMap(
    "sign",
    x,
    (v) => select(gt(v, 0), convert(1, v.dtype), select(lt(v, 0), convert(-1, v.dtype), convert(0, v.dtype))),
    "numeric",
  );
}

export function square(x: Tensor): Tensor {
  return unaryMap("square", x, (v) => mul(v, v), "numeric");
}

function floatPredicate(op: string, name: string, intValue: boolean) {
  return (x: Tensor) =>
    unaryMap(op, x, (v) => (v.dtype.isFloat() ? callIntrin(`tir.${name}`, [v], bool) : convert(intValue, bool)), "numeric");
}
export const isnan = floatPredicate("isnan", "isnan", false);
export const isinf = floatPredicate("isinf", "isinf", false);
export const isfinite = floatPredicate("isfinite", "isfinite", true);

export function logicalNot(x: Tensor): Tensor {
  return unaryMap("logical_not", x, (v) => not(v), "bool");
}

export function bitwiseNot(x: Tensor): Tensor {
  return unaryMap("bitwise_not", x, (v) => callIntrin("tir.bitwise_not", [v], v.dtype), "integer");
}

/** Elementwise conversion to `dtype` (`T_cast`). */
export function cast(x: Tensor, dtype: DataType | string): Tensor {
  checkTensor("cast", "x", x);
  return compute(x.shape, (...idx) => castExpr(dtype, x.load(idx)), "T_cast", { tag: "elemwise", axisNames: axNames(x.ndim) });
}

/** A copy of `x` (`T_identity`); useful to materialize a view. */
export function identity(x: Tensor): Tensor {
  return unaryMap("identity", x, (v) => v, "any");
}
