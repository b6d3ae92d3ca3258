/**
 * Elementwise unary operators: the result has the input's StructInfo. Math functions that are
 * only defined on floats (exp, log, tanh, ...) reject integer tensors.
 */
import { bool, voidType } from "../../ir/dtype.js";
import type { Expr } from "../expr.js";
import { TensorStructInfo } from "../struct_info.js";
import { dtypeAttr, opName, tensorArg } from "./infer_util.js";
import { callOp, RelaxOp, type InferFn } from "./registry.js";

const FLOAT_ONLY = [
  "exp", "log", "sqrt", "rsqrt", "tanh", "sigmoid", "sin", "cos", "tan", "erf", "log1p",
] as const;
const ANY_NUMERIC = ["negative", "abs", "square", "floor", "ceil", "round", "sign"] as const;

function unaryInfer(floatOnly: boolean): InferFn {
  return (call) => {
    const x = tensorArg(call, 0, "x");
    if (floatOnly && !x.isUnknownDtype && !x.dtype.isFloat()) {
      throw new TypeError(`${opName(call)}: expects a float tensor, got dtype ${x.dtype} (cast it with R.astype first)`);
    }
    return x;
  };
}

for (const name of FLOAT_ONLY) RelaxOp.register(`relax.${name}`, { params: [{ name: "x", kind: "expr" }], infer: unaryInfer(true) });
for (const name of ANY_NUMERIC) RelaxOp.register(`relax.${name}`, { params: [{ name: "x", kind: "expr" }], infer: unaryInfer(false) });

const u = (name: string) => (x: Expr) => callOp(`relax.${name}`, [x]);
export const exp = u("exp");
export const log = u("log");
export const sqrt = u("sqrt");
export const rsqrt = u("rsqrt");
export const tanh = u("tanh");
export const sigmoid = u("sigmoid");
export const sin = u("sin");
export const cos = u("cos");
export const tan = u("tan");
export const erf = u("erf");
export const log1p = u("log1p");
export const negative = u("negative");
export const abs = u("abs");
export const square = u("square");
export const floor = u("floor");
export const ceil = u("ceil");
export const round = u("round");
export const sign = u("sign");

/** Script names of the unary ops (for tests and generators). */
export const UNARY_OPS: readonly string[] = [...FLOAT_ONLY, ...ANY_NUMERIC];
export const FLOAT_UNARY_OPS: readonly string[] = FLOAT_ONLY;

RelaxOp.register("relax.astype", {
  params: [{ name: "x", kind: "expr" }],
  attrs: { dtype: "float32" },
  infer: (call) => {
    const x = tensorArg(call, 0, "x");
    const dtype = dtypeAttr(call, "dtype");
    if (dtype === voidType) throw new TypeError(`${opName(call)}: the target dtype must be known, got void`);
    return x.shape ? new TensorStructInfo(x.shape, dtype) : new TensorStructInfo(x.ndim, dtype);
  },
});

/** logical_not on bool tensors; isnan / isinf / isfinite give bool tensors (false / false / true for integers). */
RelaxOp.register("relax.logical_not", {
  params: [{ name: "x", kind: "expr" }],
  infer: (call) => {
    const x = tensorArg(call, 0, "x");
    if (!x.isUnknownDtype && !x.dtype.isBool()) throw new TypeError(`${opName(call)}: expects a bool tensor, got dtype ${x.dtype} (compare with R.not_equal(x, 0) first)`);
    return x;
  },
});
const PREDICATES = ["isnan", "isinf", "isfinite"] as const;
for (const name of PREDICATES) {
  RelaxOp.register(`relax.${name}`, {
    params: [{ name: "x", kind: "expr" }],
    infer: (call) => {
      const x = tensorArg(call, 0, "x");
      if (!x.isUnknownDtype && !x.dtype.isFloat() && !x.dtype.isIntegral()) throw new TypeError(`${opName(call)}: expects a numeric tensor, got dtype ${x.dtype}`);
      return x.shape ? new TensorStructInfo(x.shape, bool) : new TensorStructInfo(x.ndim, bool);
    },
  });
}
export const logicalNot = u("logical_not");
export const isnan = u("isnan");
export const isinf = u("isinf");
export const isfinite = u("isfinite");

export function astype(x: Expr, dtype: string) {
  return callOp("relax.astype", [x], { dtype });
}
