/**
 * softmax and log_softmax over any axis, numerically stable: the row maximum is subtracted
 * before exponentiating. softmax is four computes (max, exp, sum, divide), log_softmax three.
 */
import type { PrimExpr, Var } from "../../ir/expr.js";
import { div, exp, log, sub } from "../../ir/expr_ops.js";
import { max as maxReduce, reduceAxis, sum } from "../reduce.js";
import { Tensor, compute } from "../tensor.js";
import { axNames, checkFloat, checkTensor, normalizeAxis } from "./shape_utils.js";

interface Parts {
  ax: number;
  reducedShape: PrimExpr[];
  /** The input index for an output index `idx` of the reduced shape and reduction variable `k`. */
  full: (idx: readonly PrimExpr[], k: Var) => PrimExpr[];
  /** The reduced index for a full index. */
  reduced: (idx: readonly PrimExpr[]) => PrimExpr[];
}

function parts(op: string, x: Tensor, axis: number): Parts {
  checkTensor(op, "x", x);
  checkFloat(op, "x", x);
  if (x.ndim === 0) throw new TypeError(`${op}: x must have at least one dimension`);
  const ax = normalizeAxis(op, axis, x.ndim);
  return {
    ax,
    reducedShape: x.shape.filter((_, i) => i !== ax),
    full: (idx, k) => [...idx.slice(0, ax), k, ...idx.slice(ax)],
    reduced: (idx) => idx.filter((_, i) => i !== ax),
  };
}

function rowMax(x: Tensor, p: Parts): Tensor {
  const k = reduceAxis(x.shape[p.ax]!, "k");
  return compute(p.reducedShape, (...idx) => maxReduce(x.load(p.full(idx, k.variable)), k), "T_softmax_maxelem", {
    tag: "comm_reduce",
    axisNames: axNames(p.reducedShape.length),
  });
}

/** exp(x - max) / sum(exp(x - max)) along `axis` (default the last). */
export function softmax(x: Tensor, axis = -1): Tensor {
  const p = parts("softmax", x, axis);
  const names = axNames(x.ndim);
  const m = rowMax(x, p);
  const e = compute(x.shape, (...idx) => exp(sub(x.load(idx), m.load(p.reduced(idx)))), "T_softmax_exp", {
    tag: "elemwise",
    axisNames: names,
  });
  const k = reduceAxis(x.shape[p.ax]!, "k");
  const s = compute(p.reducedShape, (...idx) => sum(e.load(p.full(idx, k.variable)), k), "T_softmax_expsum", {
    tag: "comm_reduce",
    axisNames: axNames(p.reducedShape.length),
  });
  return compute(x.shape, (...idx) => div(e.load(idx), s.load(p.reduced(idx))), "T_softmax_norm", {
    tag: "elemwise",
    axisNames: names,
  });
}

/** x - max - log(sum(exp(x - max))) along `axis` (default the last). */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  const p = parts("log_softmax", x, axis);
  const m = rowMax(x, p);
  const k = reduceAxis(x.shape[p.ax]!, "k");
  const s = compute(
    p.reducedShape,
    (...idx) => sum(exp(sub(x.load(p.full(idx, k.variable)), m.load(idx))), k),
    "T_log_softmax_expsum",
    { tag: "comm_reduce", axisNames: axNames(p.reducedShape.length) },
  );
  return compute(
    x.shape,
    (...idx) => {
      const r = p.reduced(idx);
      return sub(sub(x.load(idx), m.load(r)), log(s.load(r)));
    },
    "T_log_softmax_norm",
    { tag: "elemwise", axisNames: axNames(x.ndim) },
  );
}
