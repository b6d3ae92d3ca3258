/**
 * Normalizations: layer_norm, group_norm, instance_norm, rms_norm and batch_norm (inference).
 * Statistics come from one two-value reduction (sum, sum of squares) per normalized group, as
 * TVM's layer_norm does, then one elementwise compute normalizes, scales and shifts.
 * float16/bfloat16 inputs accumulate in float32.
 */
import { float32, type DataType } from "../../ir/dtype.js";
import type { PrimExpr } from "../../ir/expr.js";
import { add, cast, convert, div, floordiv, max, mul, rsqrt, sub } from "../../ir/expr_ops.js";
import { multiCommReducer, reduceAxis, sum as sumR } from "../reduce.js";
import { Tensor, compute, computeMulti } from "../tensor.js";
import type { IterVar } from "../../tir/stmt.js";
import { axNames, checkFloat, checkTensor, constDim, dimsCompatible, formatShape, normalizeAxes, normalizeAxis, prodDims } from "./shape_utils.js";

const sumAndSquares = multiCommReducer(
  ([a, b], [c, d]) => [add(a!, c!), add(b!, d!)],
  (ts) => ts.map((t) => convert(0, t)),
  "sum_sumsq",
);

function accType(t: DataType): DataType {
  return t.bits < 32 ? float32 : t;
}

function checkParam(op: string, arg: string, p: Tensor | undefined, x: Tensor, shape: readonly PrimExpr[]): void {
  if (p === undefined) return;
  checkTensor(op, arg, p);
  const ok = p.ndim === shape.length && p.shape.every((d, i) => dimsCompatible(d, shape[i]!));
  if (!ok) throw new TypeError(`${op}: ${arg} must have shape ${formatShape(shape)} (x is ${formatShape(x.shape)}), got ${formatShape(p.shape)}`);
  if (p.dtype !== x.dtype) throw new TypeError(`${op}: dtypes differ: x is ${x.dtype} but ${arg} is ${p.dtype}`);
}

/** mean and rsqrt(var + eps) from (sum, sum of squares) over `count` elements. */
function normalize(v: PrimExpr, s: PrimExpr, sq: PrimExpr, count: PrimExpr, eps: number): PrimExpr {
  const n = count.dtype === s.dtype ? count : cast(s.dtype, count);
  const mean = div(s, n);
  // E[x^2] - E[x]^2 can round slightly below zero; clamp so rsqrt stays finite.
  const variance = max(sub(div(sq, n), mul(mean, mean)), convert(0, s.dtype));
  return mul(sub(v, mean), rsqrt(add(variance, convert(eps, s.dtype))));
}

function scaleShift(e: PrimExpr, dtype: DataType, gamma: PrimExpr | undefined, beta: PrimExpr | undefined): PrimExpr {
  let r = e.dtype === dtype ? e : cast(dtype, e);
  if (gamma) r = mul(r, gamma);
  if (beta) r = add(r, beta);
  return r;
}

/** Normalizes over `axes` (default the last): (x - mean) / sqrt(var + eps) * gamma + beta. */
export function layerNorm(x: Tensor, gamma?: Tensor, beta?: Tensor, axes: number | readonly number[] = -1, epsilon = 1e-5): Tensor {
  const op = "layer_norm";
  checkTensor(op, "x", x);
  checkFloat(op, "x", x);
  const ax = normalizeAxes(op, axes, x.ndim);
  if (ax.length === 0) throw new TypeError(`${op}: axes must not be empty`);
  const normShape = ax.map((a) => x.shape[a]!);
  checkParam(op, "gamma", gamma, x, normShape);
  checkParam(op, "beta", beta, x, normShape);
  const acc = accType(x.dtype);
  const red = new Set(ax);
  const keep = x.shape.map((_, i) => i).filter((i) => !red.has(i));
  const rv = ax.map((a) => reduceAxis(x.shape[a]!, `k${a}`));
  const full = (outer: readonly PrimExpr[], inner: readonly PrimExpr[]) => {
    const idx: PrimExpr[] = Array(x.ndim);
    keep.forEach((k, i) => (idx[k] = outer[i]!));
    ax.forEach((a, i) => (idx[a] = inner[i]!));
    return idx;
  };
  const stats = computeMulti(
    keep.map((k) => x.shape[k]!),
    (...outer) => {
      const v = cast(acc, x.load(full(outer, rv.map((r) => r.variable))));
      return sumAndSquares([v, mul(v, v)], rv);
    },
    "T_layer_norm_red_temp",
    { tag: "comm_reduce", axisNames: axNames(keep.length) },
  );
  const count = prodDims(normShape);
  return compute(
    x.shape,
    (...idx) => {
      const outer = keep.map((k) => idx[k]!);
      const inner = ax.map((a) => idx[a]!);
      const e = normalize(cast(acc, x.load(idx)), stats[0]!.load(outer), stats[1]!.load(outer), count, epsilon);
      return scaleShift(e, x.dtype, gamma?.load(inner), beta?.load(inner));
    },
    "T_layer_norm",
    { tag: "injective", axisNames: axNames(x.ndim) },
  );
}

/**
 * Shared by group_norm and instance_norm: statistics per (batch, group) over the group's
 * channels and every other axis; `perGroup` channels form one group.
 */
function groupedNorm(op: string, x: Tensor, gamma: Tensor | undefined, beta: Tensor | undefined, groups: PrimExpr, perGroup: PrimExpr, channelAxis: number, epsilon: number): Tensor {
  checkTensor(op, "x", x);
  checkFloat(op, "x", x);
  if (x.ndim < 2) throw new TypeError(`${op}: x must be at least 2-D (batch, channels, ...), got ${formatShape(x.shape)}`);
  const cax = normalizeAxis(op, channelAxis, x.ndim, "channel axis");
  if (cax === 0) throw new TypeError(`${op}: axis 0 is the batch axis; the channel axis must be another one`);
  const C = x.shape[cax]!;
  checkParam(op, "gamma", gamma, x, [C]);
  checkParam(op, "beta", beta, x, [C]);
  const acc = accType(x.dtype);
  const spatial = x.shape.map((_, i) => i).filter((i) => i !== 0 && i !== cax);
  const rc = reduceAxis(perGroup, "rc");
  const rs = spatial.map((a) => reduceAxis(x.shape[a]!, `k${a}`));
  const stats = computeMulti(
    [x.shape[0]!, groups],
    (n, g) => {
      const idx: PrimExpr[] = Array(x.ndim);
      idx[0] = n!;
      idx[cax] = add(mul(g!, perGroup), rc.variable);
      spatial.forEach((a, i) => (idx[a] = rs[i]!.variable));
      const v = cast(acc, x.load(idx));
      return sumAndSquares([v, mul(v, v)], [rc, ...rs] as IterVar[]);
    },
    `T_${op}_red_temp`,
    { tag: "comm_reduce", axisNames: ["ax0", "ax1"] },
  );
  const count = mul(perGroup, prodDims(spatial.map((a) => x.shape[a]!), perGroup.dtype));
  return compute(
    x.shape,
    (...idx) => {
      const c = idx[cax]!;
      const g = constDim(perGroup) === 1 ? c : floordiv(c, perGroup);
      const at = [idx[0]!, g];
      const e = normalize(cast(acc, x.load(idx)), stats[0]!.load(at), stats[1]!.load(at), count, epsilon);
      return scaleShift(e, x.dtype, gamma?.at(c), beta?.at(c));
    },
    `T_${op}`,
    { tag: "injective", axisNames: axNames(x.ndim) },
  );
}

/** Group normalization of x [N, C, ...] with `numGroups` groups of C / numGroups channels. */
export function groupNorm(x: Tensor, gamma: Tensor | undefined, beta: Tensor | undefined, numGroups: number, channelAxis = 1, epsilon = 1e-5): Tensor {
  const op = "group_norm";
  checkTensor(op, "x", x);
  if (!Number.isInteger(numGroups) || numGroups < 1) throw new RangeError(`${op}: numGroups must be a positive integer, got ${numGroups}`);
  const cax = normalizeAxis(op, channelAxis, x.ndim, "channel axis");
  const C = x.shape[cax]!;
  const c = constDim(C);
  if (c !== undefined && c % numGroups !== 0) {
    throw new TypeError(`${op}: ${c} channels of x ${formatShape(x.shape)} are not divisible into ${numGroups} groups`);
  }
  const perGroup = c !== undefined ? convert(c / numGroups, C.dtype) : floordiv(C, numGroups);
  return groupedNorm(op, x, gamma, beta, convert(numGroups, C.dtype), perGroup, channelAxis, epsilon);
}

/** Instance normalization: each (batch, channel) plane normalized on its own. */
export function instanceNorm(x: Tensor, gamma?: Tensor, beta?: Tensor, channelAxis = 1, epsilon = 1e-5): Tensor {
  const op = "instance_norm";
  checkTensor(op, "x", x);
  const cax = normalizeAxis(op, channelAxis, x.ndim, "channel axis");
  const C = x.shape[cax]!;
  return groupedNorm(op, x, gamma, beta, C, convert(1, C.dtype), channelAxis, epsilon);
}

/** x / sqrt(mean(x^2 over axes) + eps) * weight. */
export function rmsNorm(x: Tensor, weight?: Tensor, axes: number | readonly number[] = -1, epsilon = 1e-5): Tensor {
  const op = "rms_norm";
  checkTensor(op, "x", x);
  checkFloat(op, "x", x);
  const ax = normalizeAxes(op, axes, x.ndim);
  if (ax.length === 0) throw new TypeError(`${op}: axes must not be empty`);
  const normShape = ax.map((a) => x.shape[a]!);
  checkParam(op, "weight", weight, x, normShape);
  const acc = accType(x.dtype);
  const red = new Set(ax);
  const keep = x.shape.map((_, i) => i).filter((i) => !red.has(i));
  const rv = ax.map((a) => reduceAxis(x.shape[a]!, `k${a}`));
  const sq = compute(
    keep.map((k) => x.shape[k]!),
    (...outer) => {
      const idx: PrimExpr[] = Array(x.ndim);
      keep.forEach((k, i) => (idx[k] = outer[i]!));
      ax.forEach((a, i) => (idx[a] = rv[i]!.variable));
      const v = cast(acc, x.load(idx));
      return sumR(mul(v, v), rv);
    },
    "T_rms_norm_red",
    { tag: "comm_reduce", axisNames: axNames(keep.length) },
  );
  const count = prodDims(normShape);
  return compute(
    x.shape,
    (...idx) => {
      const n = cast(acc, count);
      const r = rsqrt(add(div(sq.load(keep.map((k) => idx[k]!)), n), convert(epsilon, acc)));
      return scaleShift(mul(cast(acc, x.load(idx)), r), x.dtype, weight?.load(ax.map((a) => idx[a]!)), undefined);
    },
    "T_rms_norm",
    { tag: "injective", axisNames: axNames(x.ndim) },
  );
}

/** Inference-mode batch normalization with given statistics (all 1-D along `axis`). */
export function batchNorm(
  x: Tensor,
  movingMean: Tensor,
  movingVar: Tensor,
  gamma?: Tensor,
  beta?: Tensor,
  axis = 1,
  epsilon = 1e-5,
): Tensor {
  const op = "batch_norm";
  checkTensor(op, "x", x);
  checkFloat(op, "x", x);
  const ax = normalizeAxis(op, axis, x.ndim);
  const C = [x.shape[ax]!];
  checkParam(op, "mean", movingMean, x, C);
  checkParam(op, "var", movingVar, x, C);
  checkParam(op, "gamma", gamma, x, C);
  checkParam(op, "beta", beta, x, C);
  return compute(
    x.shape,
    (...idx) => {
      const c = idx[ax]!;
      const e = mul(sub(x.load(idx), movingMean.at(c)), rsqrt(add(movingVar.at(c), convert(epsilon, x.dtype))));
      return scaleShift(e, x.dtype, gamma?.at(c), beta?.at(c));
    },
    "T_batch_norm",
    { tag: "injective", axisNames: axNames(x.ndim) },
  );
}
