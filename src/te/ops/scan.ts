/**
 * Cumulative sum along an axis (numpy.cumsum / ONNX CumSum), with exclusive and reverse
 * variants. Each output element is a reduction over the whole axis restricted by a `where`
 * predicate (k <= i, k < i, k >= i or k > i): quadratic in the axis length, but a plain
 * reduction that every schedule and target handles, like the rest of the library.
 */
import { dtypeOf, type DTypeLike } from "../../ir/dtype.js";
import type { PrimExpr } from "../../ir/expr.js";
import { cast, ge, gt, le, lt } from "../../ir/expr_ops.js";
import { reduceAxis, sum } from "../reduce.js";
import { Tensor, compute } from "../tensor.js";
import { axNames, checkTensor, normalizeAxis } from "./shape_utils.js";

export interface CumsumOptions {
  /** Leave out the element itself (the first output is 0). */
  exclusive?: boolean;
  /** Sum from the end of the axis toward its start. */
  reverse?: boolean;
  /** Accumulate and return in this dtype (default the input's). */
  dtype?: DTypeLike;
}

export function cumsum(x: Tensor, axis: number, opts: CumsumOptions = {}): Tensor {
  const op = "cumsum";
  checkTensor(op, "x", x);
  if (x.ndim === 0) throw new TypeError(`${op}: x must have at least one dimension`);
  const ax = normalizeAxis(op, axis, x.ndim);
  const dtype = opts.dtype !== undefined ? dtypeOf(opts.dtype) : x.dtype;
  if (!dtype.isFloat() && !dtype.isIntegral()) throw new TypeError(`${op}: cannot sum ${dtype} values (cast to a numeric dtype first)`);
  const ex = opts.exclusive ?? false, rev = opts.reverse ?? false;
  const keep = rev ? (ex ? gt : ge) : ex ? lt : le;
  const k = reduceAxis(x.shape[ax]!, "k");
  return compute(
    x.shape,
    (...idx) => {
      const src: PrimExpr = x.load(idx.map((v, i) => (i === ax ? k.variable : v)));
      return sum(src.dtype === dtype ? src : cast(dtype, src), k, keep(k.variable, idx[ax]!));
    },
    "T_cumsum",
    { tag: "comm_reduce", axisNames: axNames(x.ndim) },
  );
}
