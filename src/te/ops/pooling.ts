/**
 * Max and average pooling over 1, 2 or 3 spatial dimensions in any layout made of N, C and the
 * spatial letters (NCHW, NHWC, ...), with strides, padding, dilation, ceil_mode and
 * count_include_pad, plus global pooling. Padded inputs are a separate compute (`pad_temp`),
 * average pooling is `pool_sum` followed by `pool_avg`, as in TVM.
 *
 * Output size follows PyTorch/ONNX: in ceil mode a window that would start inside the end
 * padding is dropped (applied when the input size is a constant).
 */
import { int32, type DataType } from "../../ir/dtype.js";
import type { PrimExpr } from "../../ir/expr.js";
import { add, cast, convert, div, floordiv, max, min, minValue, mul, sub } from "../../ir/expr_ops.js";
import { max as maxReduce, reduceAxis, sum } from "../reduce.js";
import { Tensor, compute } from "../tensor.js";
import { pad } from "./pad.js";
import { axNames, checkTensor, constDim, expandInts, expandPadding, formatShape } from "./shape_utils.js";

export type PoolType = "max" | "avg";

export interface PoolOptions {
  kernel: number | readonly number[];
  /** Default 1. */
  strides?: number | readonly number[];
  padding?: number | readonly number[];
  dilation?: number | readonly number[];
  ceilMode?: boolean;
  /** Average pooling only: divide by the window size including padding (default false). */
  countIncludePad?: boolean;
  /** Default "NCW" / "NCHW" / "NCDHW". */
  layout?: string;
}

const SPATIAL: Record<number, string> = { 1: "W", 2: "HW", 3: "DHW" };

function spatialPositions(op: string, layout: string, nsp: number): number[] {
  const sp = SPATIAL[nsp]!;
  const want = `NC${sp}`;
  if (layout.length !== want.length || [...want].some((ch) => !layout.includes(ch))) {
    throw new TypeError(`${op}: layout "${layout}" must be a permutation of N, C and ${[...sp].join(", ")}`);
  }
  return [...sp].map((ch) => layout.indexOf(ch));
}

function poolNd(op: string, nsp: number, data: Tensor, type: PoolType, opts: PoolOptions): Tensor {
  checkTensor(op, "data", data);
  if (type !== "max" && type !== "avg") throw new TypeError(`${op}: pool type must be "max" or "avg", got ${String(type)}`);
  if (opts === undefined || opts.kernel === undefined) throw new TypeError(`${op}: the kernel size is required`);
  const layout = opts.layout ?? `NC${SPATIAL[nsp]}`;
  const pos = spatialPositions(op, layout, nsp);
  const rank = nsp + 2;
  if (data.ndim !== rank) throw new TypeError(`${op}: data must be ${rank}-D (${layout}), got shape ${formatShape(data.shape)}`);
  const kernel = expandInts(op, "kernel", opts.kernel, nsp);
  const strides = expandInts(op, "strides", opts.strides ?? 1, nsp);
  const dilation = expandInts(op, "dilation", opts.dilation ?? 1, nsp);
  const { before, after } = expandPadding(op, opts.padding ?? 0, nsp);
  const ceil = opts.ceilMode ?? false;
  const includePad = opts.countIncludePad ?? false;
  const X = pos.map((p) => data.shape[p]!);
  const span = kernel.map((k, d) => (k - 1) * dilation[d]! + 1);
  for (let d = 0; d < nsp; d++) {
    if (before[d]! >= span[d]! || after[d]! >= span[d]!) {
      throw new RangeError(`${op}: padding [${before.join(", ")}] / [${after.join(", ")}] must be smaller than the (dilated) kernel [${span.join(", ")}]`);
    }
  }

  const outSp = X.map((x, d) => {
    const s = strides[d]!;
    const total = sub(add(add(x, before[d]!), after[d]!), span[d]!);
    let o = add(floordiv(ceil ? add(total, s - 1) : total, s), 1);
    const co = constDim(o), cx = constDim(x);
    if (ceil && co !== undefined && cx !== undefined && (co - 1) * s >= cx + before[d]!) o = convert(co - 1, o.dtype);
    const c = constDim(o);
    if (c !== undefined && c <= 0) {
      throw new RangeError(`${op}: the output would be empty: data ${formatShape(data.shape)} with kernel [${kernel.join(", ")}] and padding [${before.join(", ")}] / [${after.join(", ")}]`);
    }
    return o;
  });

  const extra = strides.map((s) => (ceil ? s - 1 : 0));
  const needPad = before.some((p) => p > 0) || after.some((p, d) => p + extra[d]! > 0);
  let src = data;
  if (needPad) {
    const pb = Array<number>(rank).fill(0), pa = Array<number>(rank).fill(0);
    pos.forEach((p, d) => {
      pb[p] = before[d]!;
      pa[p] = after[d]! + extra[d]!;
    });
    src = pad(data, pb, pa, { name: "pad_temp", value: type === "max" ? minValue(data.dtype) : convert(0, data.dtype) });
  }

  const outShape = [...data.shape];
  pos.forEach((p, d) => (outShape[p] = outSp[d]!));
  const rv = kernel.map((k, d) => reduceAxis(k, `rv${d}`));
  const names = axNames(rank);
  const window = (idx: readonly PrimExpr[]) => {
    const at = [...idx];
    pos.forEach((p, d) => (at[p] = add(mul(idx[p]!, strides[d]!), mul(rv[d]!.variable, dilation[d]!))));
    return src.load(at);
  };
  if (type === "max") {
    return compute(outShape, (...idx) => maxReduce(window(idx), rv), "pool_max", { tag: "pool_max", axisNames: names });
  }
  const total = compute(outShape, (...idx) => sum(window(idx), rv), "pool_sum", { tag: "pool_sum", axisNames: names });
  return compute(
    outShape,
    (...idx) => {
      let count: PrimExpr = convert(1, int32);
      pos.forEach((p, d) => {
        // Taps t in [0, k) whose padded position o*s + t*dil lies in [lo, hi).
        const o = cast(int32, idx[p]!);
        const start = mul(o, strides[d]!);
        const lo = includePad ? convert(0, int32) : convert(before[d]!, int32);
        const hi = includePad ? add(cast(int32, X[d]!), before[d]! + after[d]!) : add(cast(int32, X[d]!), before[d]!);
        const dil = dilation[d]!;
        const t0 = max(floordiv(add(sub(lo, start), dil - 1), dil), 0);
        const t1 = min(floordiv(sub(sub(hi, 1), start), dil), kernel[d]! - 1);
        count = mul(count, max(add(sub(t1, t0), 1), 0));
      });
      return div(total.load(idx), toDtype(count, data.dtype));
    },
    "pool_avg",
    { tag: "elemwise", axisNames: names },
  );
}

function toDtype(e: PrimExpr, t: DataType): PrimExpr {
  return e.dtype === t ? e : cast(t, e);
}

/** 1-D pooling (layout NCW by default). */
export function pool1d(data: Tensor, type: PoolType, opts: PoolOptions): Tensor {
  return poolNd("pool1d", 1, data, type, opts);
}
/** 2-D pooling (layout NCHW by default; NHWC supported). */
export function pool2d(data: Tensor, type: PoolType, opts: PoolOptions): Tensor {
  return poolNd("pool2d", 2, data, type, opts);
}
/** 3-D pooling (layout NCDHW by default). */
export function pool3d(data: Tensor, type: PoolType, opts: PoolOptions): Tensor {
  return poolNd("pool3d", 3, data, type, opts);
}
export function maxPool2d(data: Tensor, opts: Omit<PoolOptions, "countIncludePad">): Tensor {
  return poolNd("max_pool2d", 2, data, "max", opts);
}
export function avgPool2d(data: Tensor, opts: PoolOptions): Tensor {
  return poolNd("avg_pool2d", 2, data, "avg", opts);
}

/** Pools each channel's whole spatial extent to 1 (e.g. [N, C, H, W] -> [N, C, 1, 1]). */
export function globalPool2d(data: Tensor, type: PoolType, layout = "NCHW"): Tensor {
  const op = "global_pool2d";
  checkTensor(op, "data", data);
  if (type !== "max" && type !== "avg") throw new TypeError(`${op}: pool type must be "max" or "avg", got ${String(type)}`);
  const pos = spatialPositions(op, layout, 2);
  if (data.ndim !== 4) throw new TypeError(`${op}: data must be 4-D (${layout}), got shape ${formatShape(data.shape)}`);
  const outShape = [...data.shape];
  pos.forEach((p) => (outShape[p] = convert(1, data.shape[p]!.dtype)));
  const rv = pos.map((p, d) => reduceAxis(data.shape[p]!, `rv${d}`));
  const names = axNames(4);
  const at = (idx: readonly PrimExpr[]) => {
    const i = [...idx];
    pos.forEach((p, d) => (i[p] = rv[d]!.variable));
    return data.load(i);
  };
  if (type === "max") {
    return compute(outShape, (...idx) => maxReduce(at(idx), rv), "adaptive_pool_max", { tag: "adaptive_pool_max", axisNames: names });
  }
  const total = compute(outShape, (...idx) => sum(at(idx), rv), "adaptive_pool_sum", { tag: "adaptive_pool_sum", axisNames: names });
  const area = mul(data.shape[pos[0]!]!, data.shape[pos[1]!]!);
  return compute(outShape, (...idx) => div(total.load(idx), toDtype(area, data.dtype)), "adaptive_pool_avg", {
    tag: "elemwise",
    axisNames: names,
  });
}
