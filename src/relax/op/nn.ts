/**
 * Neural-network operators (`R.nn.*`): activations, softmax, layer_norm, batch_norm, conv2d,
 * conv2d_transpose and 2-D pooling in NCHW / OIHW (IOHW) layouts with stride, padding,
 * dilation and groups; attention and group / instance norm live in nn_attention / nn_norm.
 */
import type { PrimExpr } from "../../ir/expr.js";
import * as E from "../../ir/expr_ops.js";
import type { Call, Expr } from "../expr.js";
import { compareDims } from "../struct_info_analysis.js";
import { TensorStructInfo, TupleStructInfo } from "../struct_info.js";
import {
  dimText, dtypeAttr, int64Imm, intList, normalizeAxes, normalizeAxis, opName, shapeText, tensorArg, tensorInfo, unifyDtype,
} from "./infer_util.js";
import { callOp, RelaxOp, type InferContext, type InferFn } from "./registry.js";
import { voidType } from "../../ir/dtype.js";

const X = { name: "x", kind: "expr" } as const;

function floatTensor(call: Call): TensorStructInfo {
  const x = tensorArg(call, 0, "x");
  if (!x.isUnknownDtype && !x.dtype.isFloat()) throw new TypeError(`${opName(call)}: expects a float tensor, got dtype ${x.dtype}`);
  return x;
}
const floatSame: InferFn = (call) => floatTensor(call);

for (const name of ["relu", "gelu", "gelu_tanh", "silu"]) RelaxOp.register(`relax.nn.${name}`, { params: [X], infer: floatSame });

const softmaxInfer: InferFn = (call) => {
  const x = floatTensor(call);
  if (x.ndim >= 0) normalizeAxis(call, intList(call, "axis")![0]!, x.ndim);
  return x;
};
RelaxOp.register("relax.nn.softmax", { params: [X], attrs: { axis: -1 }, infer: softmaxInfer });
RelaxOp.register("relax.nn.log_softmax", { params: [X], attrs: { axis: -1 }, infer: softmaxInfer });

RelaxOp.register("relax.nn.layer_norm", {
  params: [X, { name: "gamma", kind: "expr" }, { name: "beta", kind: "expr" }],
  attrs: { axes: [-1], epsilon: 1e-5, center: true, scale: true },
  infer: (call, ctx) => {
    const x = tensorArg(call, 0, "x");
    const gamma = tensorArg(call, 1, "gamma");
    const beta = tensorArg(call, 2, "beta");
    unifyDtype(call, x.dtype, gamma.dtype, "x", "gamma");
    unifyDtype(call, x.dtype, beta.dtype, "x", "beta");
    if (x.ndim < 0) return x;
    const axes = normalizeAxes(call, intList(call, "axes") ?? [], x.ndim);
    const xd = x.dims;
    for (const [name, p] of [["gamma", gamma], ["beta", beta]] as const) {
      if (p.ndim >= 0 && p.ndim !== axes.length) {
        throw new TypeError(`${opName(call)}: '${name}' must have rank ${axes.length} (one dim per normalized axis), got rank ${p.ndim}`);
      }
      const pd = p.dims;
      if (!xd || !pd) continue;
      axes.forEach((a, i) => {
        if (compareDims(xd[a]!, pd[i]!, ctx.analyzer) === "fail") {
          throw new TypeError(`${opName(call)}: '${name}' ${shapeText(pd)} does not match axis ${a} of 'x' ${shapeText(xd)}`);
        }
      });
    }
    return x;
  },
});

/**
 * Batch normalization (TVM's signature). With inference semantics the result is
 * `(x - moving_mean) / sqrt(moving_var + epsilon) * gamma + beta` along `axis`, and the tuple
 * `(out, moving_mean, moving_var)`: the running statistics pass through unchanged.
 */
RelaxOp.register("relax.nn.batch_norm", {
  params: [
    { name: "data", kind: "expr" },
    { name: "gamma", kind: "expr" },
    { name: "beta", kind: "expr" },
    { name: "moving_mean", kind: "expr" },
    { name: "moving_var", kind: "expr" },
  ],
  attrs: { axis: 1, epsilon: 1e-5, center: true, scale: true, momentum: 0.1, training: false },
  infer: (call, ctx) => {
    const x = tensorArg(call, 0, "data");
    if (!x.isUnknownDtype && !x.dtype.isFloat()) throw new TypeError(`${opName(call)}: expects a float tensor, got dtype ${x.dtype}`);
    const names = ["gamma", "beta", "moving_mean", "moving_var"] as const;
    const params = names.map((n, i) => {
      const p = tensorArg(call, i + 1, n);
      unifyDtype(call, x.dtype, p.dtype, "data", n);
      if (p.ndim >= 0 && p.ndim !== 1) throw new TypeError(`${opName(call)}: '${n}' must be 1-D (one value per channel), got rank ${p.ndim}`);
      return p;
    });
    if (x.ndim >= 0) {
      const axis = normalizeAxis(call, intList(call, "axis")![0]!, x.ndim);
      const xd = x.dims;
      params.forEach((p, i) => {
        const pd = p.dims;
        if (xd && pd && compareDims(xd[axis]!, pd[0]!, ctx.analyzer) === "fail") {
          throw new TypeError(`${opName(call)}: '${names[i]}' ${shapeText(pd)} does not match axis ${axis} of 'data' ${shapeText(xd)}`);
        }
      });
    }
    return new TupleStructInfo([x, params[2]!, params[3]!]);
  },
});

/** Padding as (top, left, bottom, right) from 1, 2 or 4 values. */
function padding4(call: Call): number[] {
  const p = intList(call, "padding") ?? [0];
  if (p.length === 1) return [p[0]!, p[0]!, p[0]!, p[0]!];
  if (p.length === 2) return [p[0]!, p[1]!, p[0]!, p[1]!];
  if (p.length === 4) return p;
  throw new TypeError(`${opName(call)}: padding must have 1, 2 or 4 values, got ${p.length}`);
}

function pair(call: Call, name: string): [number, number] {
  const v = intList(call, name) ?? [1];
  if (v.length === 1) return [v[0]!, v[0]!];
  if (v.length === 2) return [v[0]!, v[1]!];
  throw new TypeError(`${opName(call)}: ${name} must have 1 or 2 values, got ${v.length}`);
}

function checkLayout(call: Call, name: string, want: string): void {
  const v = call.attrs[name];
  if (v !== want) throw new TypeError(`${opName(call)}: only ${name}="${want}" is supported, got ${JSON.stringify(v)}`);
}

function windowOut(ctx: InferContext, size: PrimExpr, padLo: number, padHi: number, k: PrimExpr, dil: number, stride: number, ceil: boolean): PrimExpr {
  const eff = E.add(E.mul(E.sub(k, int64Imm(1)), int64Imm(dil)), int64Imm(1));
  let num = E.sub(E.add(size, int64Imm(padLo + padHi)), eff);
  if (ceil) num = E.add(num, int64Imm(stride - 1));
  const out = ctx.analyzer.simplify(E.add(E.floordiv(num, int64Imm(stride)), int64Imm(1)));
  // In ceil mode a last window that would start inside the end padding is dropped (PyTorch,
  // ONNX, and the TE pooling op), decided when the sizes are constants.
  if (ceil && E.isConstInt(out) && E.isConstInt(size) && (out.value - 1) * stride >= size.value + padLo) return int64Imm(out.value - 1);
  return out;
}

/** The data (NCHW) and weight (`kernelLayout`) of a 2-D convolution, both 4-D, and the output dtype. */
function conv2dOperands(call: Call, kernelLayout: "OIHW" | "IOHW") {
  const data = tensorArg(call, 0, "data");
  const w = tensorArg(call, 1, "weight");
  checkLayout(call, "data_layout", "NCHW");
  checkLayout(call, "kernel_layout", kernelLayout);
  checkLayout(call, "out_layout", "NCHW");
  const out = dtypeAttr(call, "out_dtype");
  const dtype = out !== voidType ? out : unifyDtype(call, data.dtype, w.dtype, "data", "weight");
  for (const [n, t] of [["data", data], ["weight", w]] as const) {
    if (t.ndim >= 0 && t.ndim !== 4) throw new TypeError(`${opName(call)}: '${n}' must be 4-D (${n === "data" ? "NCHW" : kernelLayout}), got rank ${t.ndim}`);
  }
  return { data, w, dtype };
}

RelaxOp.register("relax.nn.conv2d", {
  params: [{ name: "data", kind: "expr" }, { name: "weight", kind: "expr" }],
  attrs: { strides: [1, 1], padding: [0, 0, 0, 0], dilation: [1, 1], groups: 1, data_layout: "NCHW", kernel_layout: "OIHW", out_layout: "NCHW", out_dtype: "void" },
  infer: (call, ctx) => {
    const { data, w, dtype } = conv2dOperands(call, "OIHW");
    const dd = data.dims, wd = w.dims;
    if (!dd || !wd) return new TensorStructInfo(4, dtype);
    const groups = intList(call, "groups")![0]!;
    const [sh, sw] = pair(call, "strides"), [dh, dw] = pair(call, "dilation");
    const [pt, pl, pb, pr] = padding4(call);
    const inC = E.mul(wd[1]!, int64Imm(groups));
    if (compareDims(dd[1]!, ctx.analyzer.simplify(inC), ctx.analyzer) === "fail") {
      throw new TypeError(
        `${opName(call)}: 'data' ${shapeText(dd)} has ${dimText(dd[1]!)} channels but 'weight' ${shapeText(wd)} expects ${dimText(wd[1]!)} x groups ${groups}`,
      );
    }
    const oc = wd[0]!;
    const rem = ctx.analyzer.simplify(E.floormod(oc, int64Imm(groups)));
    if (E.isConstInt(rem) && rem.value !== 0) throw new TypeError(`${opName(call)}: ${dimText(oc)} output channels do not divide into ${groups} groups`);
    const oh = windowOut(ctx, dd[2]!, pt, pb, wd[2]!, dh, sh, false);
    const ow = windowOut(ctx, dd[3]!, pl, pr, wd[3]!, dw, sw, false);
    return tensorInfo([dd[0]!, oc, oh, ow], 4, dtype);
  },
});

/**
 * conv2d_transpose: data NCHW, weight IOHW [C_in, C_out / groups, KH, KW]; output extent
 * (in - 1) * stride - pad_before - pad_after + dilation * (k - 1) + output_padding + 1.
 */
RelaxOp.register("relax.nn.conv2d_transpose", {
  params: [{ name: "data", kind: "expr" }, { name: "weight", kind: "expr" }],
  attrs: {
    strides: [1, 1], padding: [0, 0, 0, 0], output_padding: [0, 0], dilation: [1, 1], groups: 1, data_layout: "NCHW", kernel_layout: "IOHW", out_layout: "NCHW", out_dtype: "void",
  },
  infer: (call, ctx) => {
    const { data, w, dtype } = conv2dOperands(call, "IOHW");
    const groups = intList(call, "groups")![0]!;
    if (groups < 1) throw new RangeError(`${opName(call)}: groups must be positive, got ${groups}`);
    const [sh, sw] = pair(call, "strides"), [dh, dw] = pair(call, "dilation");
    const op2 = intList(call, "output_padding") ?? [0];
    const [oph, opw] = op2.length === 1 ? [op2[0]!, op2[0]!] : op2.length === 2 ? [op2[0]!, op2[1]!] : [NaN, NaN];
    if (Number.isNaN(oph)) throw new TypeError(`${opName(call)}: output_padding must have 1 or 2 values, got ${op2.length}`);
    for (const [p, s, d] of [[oph, sh, dh], [opw, sw, dw]] as const) {
      if (p < 0 || p >= Math.max(s, d)) throw new RangeError(`${opName(call)}: output_padding ${p} must be >= 0 and smaller than the stride (${s}) or the dilation (${d})`);
    }
    const [pt, pl, pb, pr] = padding4(call);
    const dd = data.dims, wd = w.dims;
    if (!dd || !wd) return new TensorStructInfo(4, dtype);
    if (compareDims(dd[1]!, wd[0]!, ctx.analyzer) === "fail") {
      throw new TypeError(`${opName(call)}: 'data' ${shapeText(dd)} has ${dimText(dd[1]!)} channels but 'weight' ${shapeText(wd)} (IOHW) expects ${dimText(wd[0]!)}`);
    }
    const rem = ctx.analyzer.simplify(E.floormod(dd[1]!, int64Imm(groups)));
    if (E.isConstInt(rem) && rem.value !== 0) throw new TypeError(`${opName(call)}: ${dimText(dd[1]!)} input channels do not divide into ${groups} groups`);
    const size = (x: PrimExpr, k: PrimExpr, s: number, d: number, lo: number, hi: number, p: number) =>
      ctx.analyzer.simplify(E.add(E.add(E.mul(E.sub(x, int64Imm(1)), int64Imm(s)), E.mul(E.sub(k, int64Imm(1)), int64Imm(d))), int64Imm(p + 1 - lo - hi)));
    const oh = size(dd[2]!, wd[2]!, sh, dh, pt, pb, oph), ow = size(dd[3]!, wd[3]!, sw, dw, pl, pr, opw);
    for (const o of [oh, ow]) if (E.isConstInt(o) && o.value <= 0) throw new TypeError(`${opName(call)}: the padding crops the whole output (extent ${o.value})`);
    const oc = ctx.analyzer.simplify(E.mul(wd[1]!, int64Imm(groups)));
    return tensorInfo([dd[0]!, oc, oh, ow], 4, dtype);
  },
});

function poolInfer(): InferFn {
  return (call, ctx) => {
    const x = tensorArg(call, 0, "data");
    checkLayout(call, "layout", "NCHW");
    checkLayout(call, "out_layout", "NCHW");
    if (x.ndim >= 0 && x.ndim !== 4) throw new TypeError(`${opName(call)}: 'data' must be 4-D (NCHW), got rank ${x.ndim}`);
    const xd = x.dims;
    if (!xd) return new TensorStructInfo(4, x.dtype);
    const [kh, kw] = pair(call, "pool_size"), [sh, sw] = pair(call, "strides"), [dh, dw] = pair(call, "dilation");
    const [pt, pl, pb, pr] = padding4(call);
    const ceil = call.attrs["ceil_mode"] === true;
    const oh = windowOut(ctx, xd[2]!, pt, pb, int64Imm(kh), dh, sh, ceil);
    const ow = windowOut(ctx, xd[3]!, pl, pr, int64Imm(kw), dw, sw, ceil);
    return tensorInfo([xd[0]!, xd[1]!, oh, ow], 4, x.dtype);
  };
}
const poolAttrs = { pool_size: [1, 1], strides: [1, 1], padding: [0, 0, 0, 0], dilation: [1, 1], ceil_mode: false, count_include_pad: false, layout: "NCHW", out_layout: "NCHW" };
RelaxOp.register("relax.nn.max_pool2d", { params: [{ name: "data", kind: "expr" }], attrs: poolAttrs, infer: poolInfer() });
RelaxOp.register("relax.nn.avg_pool2d", { params: [{ name: "data", kind: "expr" }], attrs: poolAttrs, infer: poolInfer() });

export const relu = (x: Expr) => callOp("relax.nn.relu", [x]);
export const gelu = (x: Expr) => callOp("relax.nn.gelu", [x]);
export const geluTanh = (x: Expr) => callOp("relax.nn.gelu_tanh", [x]);
export const silu = (x: Expr) => callOp("relax.nn.silu", [x]);
export const softmax = (x: Expr, axis = -1) => callOp("relax.nn.softmax", [x], { axis });
export const logSoftmax = (x: Expr, axis = -1) => callOp("relax.nn.log_softmax", [x], { axis });

export function layerNorm(x: Expr, gamma: Expr, beta: Expr, axes: readonly number[] = [-1], epsilon = 1e-5) {
  return callOp("relax.nn.layer_norm", [x, gamma, beta], { axes, epsilon });
}

export interface BatchNormOptions {
  axis?: number;
  epsilon?: number;
  center?: boolean;
  scale?: boolean;
  momentum?: number;
}

/** Inference-mode batch norm; the result is the tuple (out, moving_mean, moving_var). */
export function batchNorm(data: Expr, gamma: Expr, beta: Expr, movingMean: Expr, movingVar: Expr, o: BatchNormOptions = {}) {
  return callOp("relax.nn.batch_norm", [data, gamma, beta, movingMean, movingVar], {
    axis: o.axis ?? 1, epsilon: o.epsilon ?? 1e-5, center: o.center ?? true, scale: o.scale ?? true, momentum: o.momentum ?? 0.1,
  });
}

export interface Conv2dOptions {
  strides?: readonly number[];
  padding?: readonly number[];
  dilation?: readonly number[];
  groups?: number;
  outDtype?: string;
}

export function conv2d(data: Expr, weight: Expr, o: Conv2dOptions = {}) {
  return callOp("relax.nn.conv2d", [data, weight], {
    strides: o.strides ?? [1, 1], padding: o.padding ?? [0, 0, 0, 0], dilation: o.dilation ?? [1, 1], groups: o.groups ?? 1, out_dtype: o.outDtype ?? "void",
  });
}

export interface Conv2dTransposeOptions extends Conv2dOptions {
  outputPadding?: readonly number[];
}

export function conv2dTranspose(data: Expr, weight: Expr, o: Conv2dTransposeOptions = {}) {
  return callOp("relax.nn.conv2d_transpose", [data, weight], {
    strides: o.strides ?? [1, 1], padding: o.padding ?? [0, 0, 0, 0], output_padding: o.outputPadding ?? [0, 0], dilation: o.dilation ?? [1, 1],
    groups: o.groups ?? 1, out_dtype: o.outDtype ?? "void",
  });
}

export interface Pool2dOptions {
  strides?: readonly number[];
  padding?: readonly number[];
  dilation?: readonly number[];
  ceilMode?: boolean;
  countIncludePad?: boolean;
}

function pool(name: string) {
  return (data: Expr, poolSize: readonly number[], o: Pool2dOptions = {}) =>
    callOp(`relax.nn.${name}`, [data], {
      pool_size: poolSize, strides: o.strides ?? [1, 1], padding: o.padding ?? [0, 0, 0, 0], dilation: o.dilation ?? [1, 1],
      ceil_mode: o.ceilMode ?? false, count_include_pad: o.countIncludePad ?? false,
    });
}
export const maxPool2d = pool("max_pool2d");

export * from "./nn_attention.js";
export * from "./nn_norm.js";
export const avgPool2d = pool("avg_pool2d");
