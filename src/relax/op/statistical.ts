/**
 * Reductions over axes (sum, mean, max, min, prod): `axis` None reduces everything;
 * `keepdims` keeps the reduced axes with extent 1. Also argmax / argmin, cumsum and topk.
 */
import { int64, voidType } from "../../ir/dtype.js";
import type { PrimExpr } from "../../ir/expr.js";
import type { Expr } from "../expr.js";
import * as E from "../../ir/expr_ops.js";
import { TensorStructInfo, TupleStructInfo } from "../struct_info.js";
import { dtypeAttr, int64Imm, intAttr, intList, normalizeAxes, normalizeAxis, opName, product, tensorArg, tensorInfo } from "./infer_util.js";
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

/**
 * argmax / argmin: int64 indices of the extreme element along `axis` (of the flattened tensor
 * when axis is None); ties give the first index unless `select_last_index`.
 */
const argInfer: InferFn = (call) => {
  const x = tensorArg(call, 0, "x");
  if (!x.isUnknownDtype && !x.dtype.isFloat() && !x.dtype.isIntegral()) {
    throw new TypeError(`${opName(call)}: expects a numeric tensor, got dtype ${x.dtype}`);
  }
  const axis = call.attrs["axis"];
  if (axis !== null && (typeof axis !== "number" || !Number.isInteger(axis))) {
    throw new TypeError(`${opName(call)}: attribute 'axis' must be an int or None, got ${JSON.stringify(axis)}`);
  }
  const keep = call.attrs["keepdims"] === true;
  if (x.ndim < 0) return new TensorStructInfo(keep || axis !== null ? -1 : 0, int64);
  if (x.ndim === 0) throw new TypeError(`${opName(call)}: 'x' must have at least one dimension`);
  const red = new Set(axis === null ? [...Array(x.ndim).keys()] : [normalizeAxis(call, axis, x.ndim)]);
  const ndim = keep ? x.ndim : x.ndim - red.size;
  const xd = x.dims;
  if (!xd) return new TensorStructInfo(ndim, int64);
  const out: PrimExpr[] = [];
  xd.forEach((d, i) => {
    if (!red.has(i)) out.push(d);
    else if (keep) out.push(int64Imm(1));
  });
  return tensorInfo(out, ndim, int64);
};
for (const name of ["argmax", "argmin"]) {
  RelaxOp.register(`relax.${name}`, { params: [{ name: "x", kind: "expr" }], attrs: { axis: null, keepdims: false, select_last_index: false }, infer: argInfer });
}

const a = (name: string) => (x: Expr, axis: number | null = null, keepdims = false, selectLastIndex = false) =>
  callOp(`relax.${name}`, [x], { axis, keepdims, select_last_index: selectLastIndex });
export const argmax = a("argmax");
export const argmin = a("argmin");

/** Running sum along `axis` (of the flattened tensor when None); `exclusive` leaves out the element itself, `reverse` sums from the end. */
RelaxOp.register("relax.cumsum", {
  params: [{ name: "data", kind: "expr" }],
  attrs: { axis: null, dtype: "void", exclusive: false, reverse: false },
  infer: (call, ctx) => {
    const x = tensorArg(call, 0, "data");
    const want = dtypeAttr(call, "dtype");
    const dtype = want !== voidType ? want : x.dtype;
    if (dtype !== voidType && !dtype.isFloat() && !dtype.isIntegral()) throw new TypeError(`${opName(call)}: cannot sum ${dtype} values (give dtype= a numeric type)`);
    const axis = call.attrs["axis"];
    if (axis === null) {
      // numpy: without an axis the input is flattened first.
      const xd = x.dims;
      return xd ? tensorInfo([product(xd, ctx)], 1, dtype) : new TensorStructInfo(1, dtype);
    }
    if (typeof axis !== "number" || !Number.isInteger(axis)) throw new TypeError(`${opName(call)}: attribute 'axis' must be an int or None, got ${JSON.stringify(axis)}`);
    if (x.ndim >= 0) normalizeAxis(call, axis, x.ndim);
    return x.shape ? new TensorStructInfo(x.shape, dtype) : new TensorStructInfo(x.ndim, dtype);
  },
});

export interface CumsumOptions {
  dtype?: string;
  exclusive?: boolean;
  reverse?: boolean;
}

export function cumsum(data: Expr, axis: number | null = null, o: CumsumOptions = {}) {
  return callOp("relax.cumsum", [data], { axis, dtype: o.dtype ?? "void", exclusive: o.exclusive ?? false, reverse: o.reverse ?? false });
}

/**
 * topk: the k largest (or smallest) elements along `axis`, sorted, with their indices (ties in
 * index order). ret_type "both" gives the tuple (values, indices); "values" or "indices" one.
 */
RelaxOp.register("relax.topk", {
  params: [{ name: "data", kind: "expr" }],
  attrs: { k: 1, axis: -1, ret_type: "both", largest: true, dtype: "int32" },
  infer: (call) => {
    const x = tensorArg(call, 0, "data");
    if (!x.isUnknownDtype && !x.dtype.isFloat() && !x.dtype.isIntegral()) throw new TypeError(`${opName(call)}: expects a numeric tensor, got dtype ${x.dtype}`);
    const k = intAttr(call, "k");
    if (k < 1) throw new RangeError(`${opName(call)}: k must be at least 1, got ${k}`);
    const ret = call.attrs["ret_type"];
    if (ret !== "both" && ret !== "values" && ret !== "indices") throw new TypeError(`${opName(call)}: ret_type must be "both", "values" or "indices", got ${JSON.stringify(ret)}`);
    const idt = dtypeAttr(call, "dtype");
    if (!idt.isInt()) throw new TypeError(`${opName(call)}: the index dtype must be a signed integer type, got ${idt}`);
    let vals: TensorStructInfo, idx: TensorStructInfo;
    const xd = x.dims;
    if (x.ndim < 0) [vals, idx] = [new TensorStructInfo(-1, x.dtype), new TensorStructInfo(-1, idt)];
    else {
      const axis = normalizeAxis(call, intAttr(call, "axis"), x.ndim);
      if (xd) {
        const n = xd[axis]!;
        if (E.isConstInt(n) && k > n.value) throw new RangeError(`${opName(call)}: k=${k} is larger than the extent ${n.value} of axis ${axis}`);
        const out = xd.map((d, i) => (i === axis ? int64Imm(k) : d));
        [vals, idx] = [tensorInfo(out, x.ndim, x.dtype), tensorInfo(out, x.ndim, idt)];
      } else [vals, idx] = [new TensorStructInfo(x.ndim, x.dtype), new TensorStructInfo(x.ndim, idt)];
    }
    return ret === "both" ? new TupleStructInfo([vals, idx]) : ret === "values" ? vals : idx;
  },
});

export interface TopkOptions {
  axis?: number;
  retType?: "both" | "values" | "indices";
  largest?: boolean;
  dtype?: string;
}

export function topk(data: Expr, k: number, o: TopkOptions = {}) {
  return callOp("relax.topk", [data], { k, axis: o.axis ?? -1, ret_type: o.retType ?? "both", largest: o.largest ?? true, dtype: o.dtype ?? "int32" });
}
