/**
 * Reductions over axes (int, list or all; negative allowed) with keepdims: sum, mean, max,
 * min, prod, all, any, and argmax/argmin (a two-value (index, value) reduction). The reducing
 * compute is named `<input>_red`, as in TVM.
 */
import { DataType, bool, dtypeOf, type DTypeLike } from "../../ir/dtype.js";
import type { PrimExpr } from "../../ir/expr.js";
import { add, and, cast, convert, div, eq, ge, gt, lt, minValue, maxValue, mul, or, select } from "../../ir/expr_ops.js";
import { commReducer, max as maxR, min as minR, multiCommReducer, prod as prodR, reduceAxis, sum as sumR, type Reducer } from "../reduce.js";
import { Tensor, compute, computeMulti } from "../tensor.js";
import type { IterVar } from "../../tir/stmt.js";
import { axNames, checkTensor, normalizeAxes, normalizeAxis, prodDims } from "./shape_utils.js";

type Axes = number | readonly number[] | undefined;

interface Plan {
  axes: number[];
  outShape: PrimExpr[];
  rv: IterVar[];
  /** The input index for an output index. */
  input: (idx: readonly PrimExpr[]) => PrimExpr[];
}

function plan(op: string, x: Tensor, axis: Axes, keepdims: boolean): Plan {
  checkTensor(op, "x", x);
  const axes = normalizeAxes(op, axis, x.ndim);
  const reduced = new Set(axes);
  const outShape: PrimExpr[] = [];
  x.shape.forEach((d, i) => {
    if (!reduced.has(i)) outShape.push(d);
    else if (keepdims) outShape.push(convert(1, d.dtype));
  });
  const rv = axes.map((a) => reduceAxis(x.shape[a]!, `k${a}`));
  const input = (idx: readonly PrimExpr[]) => {
    let o = 0, r = 0;
    return x.shape.map((_, i) => {
      if (reduced.has(i)) {
        if (keepdims) o++;
        return rv[r++]!.variable;
      }
      return idx[o++]!;
    });
  };
  return { axes, outShape, rv, input };
}

function reduceWith(op: string, reducer: Reducer, x: Tensor, axis: Axes, keepdims: boolean, dtypeCheck?: (t: DataType) => boolean): Tensor {
  const p = plan(op, x, axis, keepdims);
  if (dtypeCheck && !dtypeCheck(x.dtype)) throw new TypeError(`${op}: x has dtype ${x.dtype}, which ${op} does not accept`);
  const names = axNames(p.outShape.length);
  if (p.axes.length === 0) {
    return compute(p.outShape, (...idx) => x.load(p.input(idx)), `${x.name}_red`, { tag: "comm_reduce", axisNames: names });
  }
  return compute(p.outShape, (...idx) => reducer(x.load(p.input(idx)), p.rv), `${x.name}_red`, {
    tag: "comm_reduce",
    axisNames: names,
  });
}

const numeric = (t: DataType) => t.isFloat() || t.isIntegral();

export function sum(x: Tensor, axis?: Axes, keepdims = false): Tensor {
  return reduceWith("sum", sumR, x, axis, keepdims, numeric);
}
export function prod(x: Tensor, axis?: Axes, keepdims = false): Tensor {
  return reduceWith("prod", prodR, x, axis, keepdims, numeric);
}
export function max(x: Tensor, axis?: Axes, keepdims = false): Tensor {
  return reduceWith("max", maxR, x, axis, keepdims, numeric);
}
export function min(x: Tensor, axis?: Axes, keepdims = false): Tensor {
  return reduceWith("min", minR, x, axis, keepdims, numeric);
}

const allR = commReducer((a, b) => and(a, b), () => true, "all");
const anyR = commReducer((a, b) => or(a, b), () => false, "any");
export function all(x: Tensor, axis?: Axes, keepdims = false): Tensor {
  return reduceWith("all", allR, x, axis, keepdims, (t) => t === bool);
}
export function any(x: Tensor, axis?: Axes, keepdims = false): Tensor {
  return reduceWith("any", anyR, x, axis, keepdims, (t) => t === bool);
}

/** The arithmetic mean: sum over the axes, then `T_divide` by the number of reduced elements. */
export function mean(x: Tensor, axis?: Axes, keepdims = false): Tensor {
  checkTensor("mean", "x", x);
  const axes = normalizeAxes("mean", axis, x.ndim);
  const s = reduceWith("mean", sumR, x, axis, keepdims, numeric);
  const count = prodDims(axes.map((a) => x.shape[a]!), x.shape[0]?.dtype);
  const n = x.dtype === count.dtype ? count : cast(x.dtype, count);
  return compute(s.shape, (...idx) => div(s.load(idx), n), "T_divide", { tag: "elemwise", axisNames: axNames(s.ndim) });
}

export interface ArgReduceOptions {
  keepdims?: boolean;
  /** On ties pick the last index instead of the first (ONNX select_last_index). */
  selectLastIndex?: boolean;
  /** Dtype of the returned indices (default int64, as Relax and ONNX). */
  indexDtype?: DTypeLike;
}

const argReducers = new Map<string, ReturnType<typeof multiCommReducer>>();

/** (index, value) reducer; the identity's index is -1 and never wins against a real element. */
function argReducer(kind: "argmax" | "argmin", last: boolean) {
  const key = `${kind}:${last}`;
  let r = argReducers.get(key);
  if (r) return r;
  r = multiCommReducer(
    ([li, lv], [ri, rv]) => {
      const better = kind === "argmax" ? gt(lv!, rv!) : lt(lv!, rv!);
      const tie = and(eq(lv!, rv!), last ? gt(li!, ri!) : lt(li!, ri!));
      const pickLeft = and(ge(li!, 0), or(lt(ri!, 0), or(better, tie)));
      return [select(pickLeft, li!, ri!), select(pickLeft, lv!, rv!)];
    },
    ([ti, tv]) => [convert(-1, ti!), kind === "argmax" ? minValue(tv!) : maxValue(tv!)],
    kind,
  );
  argReducers.set(key, r);
  return r;
}

function argReduce(kind: "argmax" | "argmin", x: Tensor, axis: number | undefined, opts: ArgReduceOptions): Tensor {
  checkTensor(kind, "x", x);
  if (!numeric(x.dtype)) throw new TypeError(`${kind}: x must be a numeric tensor, got ${x.dtype}`);
  if (x.ndim === 0) throw new TypeError(`${kind}: x must have at least one dimension`);
  const idxType = dtypeOf(opts.indexDtype ?? "int64");
  if (!idxType.isInt() || idxType.lanes !== 1) throw new TypeError(`${kind}: indexDtype must be a signed integer type, got ${idxType}`);
  const axes = axis === undefined ? undefined : [normalizeAxis(kind, axis, x.ndim)];
  const p = plan(kind, x, axes, opts.keepdims ?? false);
  const strides: PrimExpr[] = [];
  let stride: PrimExpr = convert(1, idxType);
  for (let i = p.axes.length - 1; i >= 0; i--) {
    strides[i] = stride;
    stride = mul(stride, cast(idxType, x.shape[p.axes[i]!]!));
  }
  const reducer = argReducer(kind, opts.selectLastIndex ?? false);
  const names = axNames(p.outShape.length);
  const [index] = computeMulti(
    p.outShape,
    (...idx) => {
      let linear: PrimExpr = convert(0, idxType);
      p.rv.forEach((r, i) => (linear = add(linear, mul(cast(idxType, r.variable), strides[i]!))));
      return reducer([linear, x.load(p.input(idx))], p.rv);
    },
    `${x.name}_red_temp`,
    { tag: "comm_reduce_idx", axisNames: names },
  );
  return compute(p.outShape, (...idx) => index!.load(idx), `${x.name}_red`, { tag: "comm_reduce_idx", axisNames: names });
}

/** Index of the largest element along `axis` (over the flattened tensor when axis is undefined). */
export function argmax(x: Tensor, axis?: number, opts: ArgReduceOptions = {}): Tensor {
  return argReduce("argmax", x, axis, opts);
}
/** Index of the smallest element along `axis` (over the flattened tensor when axis is undefined). */
export function argmin(x: Tensor, axis?: number, opts: ArgReduceOptions = {}): Tensor {
  return argReduce("argmin", x, axis, opts);
}
