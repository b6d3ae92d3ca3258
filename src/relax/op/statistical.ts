/**
 * Reductions over axes (sum, mean, max, min, prod): `axis` None reduces everything;
 * `keepdims` keeps the reduced axes with extent 1.
 */
import type { PrimExpr } from "../../ir/expr.js";
import type { Expr } from "../expr.js";
import { TensorStructInfo } from "../struct_info.js";
import { int64Imm, intList, normalizeAxes, tensorArg, tensorInfo } from "./infer_util.js";
import { callOp, RelaxOp, type InferFn } from "./registry.js";

const REDUCE = ["sum", "mean", "max", "min", "prod"] as const;

const reduceInfer: InferFn = (call) => {
  const x = tensorArg(call, 0, "x");
  const axes = intList(call, "axis");
  const keep = call.attrs["keepdims"] === true;
  if (x.ndim < 0) return new TensorStructInfo(keep || axes ? -1 : 0, x.dtype);
  const red = new Set(axes ? normalizeAxes(call, axes, x.ndim) : [...Array(x.ndim).keys()]);
  const ndim = keep ? x.ndim : x.ndim - red.size;
  const xd = x.dims;
  if (!xd) return new TensorStructInfo(ndim, x.dtype);
  const out: PrimExpr[] = [];
  xd.forEach((d, i) => {
    if (!red.has(i)) out.push(d);
    else if (keep) out.push(int64Imm(1));
  });
  return tensorInfo(out, ndim, x.dtype);
};

for (const name of REDUCE) {
  RelaxOp.register(`relax.${name}`, { params: [{ name: "x", kind: "expr" }], attrs: { axis: null, keepdims: false }, infer: reduceInfer });
}

type Axis = number | readonly number[] | null;
const r = (name: string) => (x: Expr, axis: Axis = null, keepdims = false) => callOp(`relax.${name}`, [x], { axis, keepdims });
export const sum = r("sum");
export const mean = r("mean");
export const max = r("max");
export const min = r("min");
export const prod = r("prod");

export const REDUCE_OPS: readonly string[] = REDUCE;
