/**
 * topk along an axis (ONNX TopK, TVM topi.topk): the k largest (or smallest) elements in
 * order and their indices; equal elements keep their index order. Each element's rank is a
 * count over the axis (j beats i when x[j] is better, or equal with j < i), then output slot r
 * takes the element whose rank is r: O(n²) per row, with plain reductions only.
 */
import { dtypeOf, type DTypeLike } from "../../ir/dtype.js";
import type { PrimExpr } from "../../ir/expr.js";
import { and, cast, convert, eq, gt, lt, or } from "../../ir/expr_ops.js";
import { reduceAxis, sum } from "../reduce.js";
import { Tensor, compute } from "../tensor.js";
import { axNames, checkTensor, constDim, formatShape, normalizeAxis } from "./shape_utils.js";

export interface TopkOptions {
  /** The largest elements (default) or the smallest. */
  largest?: boolean;
  /** dtype of the indices (default int64). */
  indexDtype?: DTypeLike;
}

export function topk(x: Tensor, k: number | PrimExpr, axis = -1, opts: TopkOptions = {}): [Tensor, Tensor] {
  const op = "topk";
  checkTensor(op, "x", x);
  if (!x.dtype.isFloat() && !x.dtype.isIntegral()) throw new TypeError(`${op}: x must be numeric, got ${x.dtype}`);
  if (x.ndim === 0) throw new TypeError(`${op}: x must have at least one dimension`);
  const ax = normalizeAxis(op, axis, x.ndim);
  const n = x.shape[ax]!;
  const kc = constDim(k), nc = constDim(n);
  if (kc !== undefined && (kc < 1 || (nc !== undefined && kc > nc))) {
    throw new RangeError(`${op}: k=${kc} must be between 1 and the axis extent${nc !== undefined ? ` ${nc}` : ""} of x ${formatShape(x.shape)}`);
  }
  const idxType = dtypeOf(opts.indexDtype ?? "int64");
  if (!idxType.isInt()) throw new TypeError(`${op}: indexDtype must be a signed integer type, got ${idxType}`);
  const better = (opts.largest ?? true) ? gt : lt;
  const at = (idx: readonly PrimExpr[], v: PrimExpr) => idx.map((e, d) => (d === ax ? v : e));
  const j = reduceAxis(n, "j");
  const rank = compute(
    x.shape,
    (...idx) => {
      const xi = x.load(idx), xj = x.load(at(idx, j.variable));
      return sum(convert(1, idxType), j, or(better(xj, xi), and(eq(xj, xi), lt(j.variable, idx[ax]!))));
    },
    "T_topk_rank",
    { tag: "comm_reduce", axisNames: axNames(x.ndim) },
  );
  const outShape = x.shape.map((d, i) => (i === ax ? (typeof k === "number" ? convert(k, d.dtype) : k) : d));
  const pick = (name: string, value: (i: PrimExpr, idx: readonly PrimExpr[]) => PrimExpr) => {
    const r = reduceAxis(n, "i");
    return compute(
      outShape,
      (...idx) => sum(value(r.variable, idx), r, eq(rank.load(at(idx, r.variable)), cast(idxType, idx[ax]!))),
      name,
      { tag: "comm_reduce", axisNames: axNames(x.ndim) },
    );
  };
  const values = pick("T_topk_values", (i, idx) => x.load(at(idx, i)));
  const indices = pick("T_topk_indices", (i) => cast(idxType, i));
  return [values, indices];
}
