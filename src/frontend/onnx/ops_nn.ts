/**
 * Neural-network ONNX ops: MatMul, Gemm, Conv (1-D and 2-D), pooling, BatchNormalization
 * (inference), LayerNormalization, Softmax / LogSoftmax and the Reduce* family. Where Relax has
 * no direct operator the converter composes one (Gemm from permute_dims/matmul/multiply/add,
 * 1-D conv and pooling through a unit H axis, BatchNormalization as a scale and a shift).
 */
import { Constant, op, type Expr } from "../../relax/index.js";
import { dimsOf, i64, rankOf, staticDim, tensorSinfo } from "../shape_util.js";
import type { NodeView } from "./context.js";
import { scalarLike } from "./ops_elementwise.js";
import { registerConverter } from "./registry.js";

registerConverter("MatMul", (node) => op.matmul(node.input(0), node.input(1)));

registerConverter("Gemm", (node) => {
  let a = node.input(0), b = node.input(1);
  const alpha = node.float("alpha", 1), beta = node.float("beta", 1);
  if (node.int("transA", 0)) a = op.permuteDims(a, [1, 0]);
  if (node.int("transB", 0)) b = op.permuteDims(b, [1, 0]);
  let y: Expr = op.matmul(a, b);
  if (alpha !== 1) y = op.multiply(node.bb.emit(y), scalarLike(node.input(0), alpha, node.label));
  const c = node.optionalInput(2);
  if (c && beta !== 0) {
    const cs = beta === 1 ? c : op.multiply(c, scalarLike(c, beta, node.label));
    y = op.add(node.bb.emit(y), cs);
  }
  return y;
});

/** Spatial padding from ONNX `pads` ([x1_begin, x2_begin, ..., x1_end, ...]) or `auto_pad`. */
function spatialPads(node: NodeView, inDims: readonly number[] | undefined, kernel: readonly number[], strides: readonly number[], dilations: readonly number[]): [number[], number[]] {
  const k = kernel.length;
  const autoPad = node.string("auto_pad", "NOTSET");
  if (autoPad === "NOTSET") {
    const pads = node.ints("pads") ?? new Array<number>(2 * k).fill(0);
    if (pads.length !== 2 * k) throw node.error(`pads must have ${2 * k} values (begin and end per spatial axis), got ${pads.length}`);
    return [pads.slice(0, k), pads.slice(k)];
  }
  if (autoPad === "VALID") return [new Array<number>(k).fill(0), new Array<number>(k).fill(0)];
  if (autoPad !== "SAME_UPPER" && autoPad !== "SAME_LOWER") throw node.error(`auto_pad="${autoPad}" is not an ONNX padding mode`);
  if (!inDims) throw node.error(`auto_pad=${autoPad} needs static spatial input dims; give the input a static shape or use explicit pads`);
  const lo: number[] = [], hi: number[] = [];
  for (let i = 0; i < k; i++) {
    const outSize = Math.ceil(inDims[i]! / strides[i]!);
    const total = Math.max((outSize - 1) * strides[i]! + (kernel[i]! - 1) * dilations[i]! + 1 - inDims[i]!, 0);
    const small = Math.floor(total / 2);
    // SAME_UPPER puts the extra padding at the end, SAME_LOWER at the beginning.
    lo.push(autoPad === "SAME_UPPER" ? small : total - small);
    hi.push(autoPad === "SAME_UPPER" ? total - small : small);
  }
  return [lo, hi];
}

/** Static spatial dims of an N-C-spatial input, or undefined when any is symbolic. */
function staticSpatial(x: Expr, what: string): number[] | undefined {
  const s = tensorSinfo(x, what).dims;
  if (!s) return undefined;
  const v = s.slice(2).map(staticDim);
  return v.every((d) => d !== undefined) ? (v as number[]) : undefined;
}

registerConverter("Conv", (node) => {
  let x = node.input(0), w = node.input(1);
  const rank = rankOf(x, node.label);
  const k = rank - 2;
  if (k !== 1 && k !== 2) throw node.error(`${k}-D convolution is not supported (weft has conv1d and conv2d; Relax lacks conv3d)`);
  const wd = dimsOf(w, node.label);
  const kernel = node.ints("kernel_shape") ?? wd.slice(2).map((d) => {
    const s = staticDim(d);
    if (s === undefined) throw node.error("the kernel size must be static");
    return s;
  });
  const strides = node.ints("strides") ?? new Array<number>(k).fill(1);
  const dilations = node.ints("dilations") ?? new Array<number>(k).fill(1);
  const [lo, hi] = spatialPads(node, staticSpatial(x, node.label), kernel, strides, dilations);
  const groups = node.int("group", 1);
  if (k === 1) {
    // conv1d as conv2d over (N, C, 1, L) with a (O, I, 1, K) kernel.
    x = node.bb.emit(op.expandDims(x, [2]));
    w = node.bb.emit(op.expandDims(w, [2]));
  }
  const s2 = k === 1 ? [1, strides[0]!] : strides;
  const d2 = k === 1 ? [1, dilations[0]!] : dilations;
  const p4 = k === 1 ? [0, lo[0]!, 0, hi[0]!] : [lo[0]!, lo[1]!, hi[0]!, hi[1]!];
  let y: Expr = node.bb.emit(op.nn.conv2d(x, w, { strides: s2, padding: p4, dilation: d2, groups }));
  if (k === 1) y = node.bb.emit(op.squeeze(y, [2]));
  const b = node.optionalInput(2);
  if (b) {
    // The bias broadcasts over (N, O, spatial...) as (1, O, 1, ...); a constant one is reshaped now.
    const unit = new Array<number>(k).fill(1);
    const bshape = b instanceof Constant ? new Constant(b.dtype, [1, b.data.length, ...unit], b.data) : op.reshape(b, [i64(1), dimsOf(b, node.label)[0]!, ...unit.map(i64)]);
    y = op.add(y, bshape);
  }
  return y;
});

function pool(onnxName: string, kind: "max" | "avg"): void {
  registerConverter(onnxName, (node) => {
    if (node.wantsOutput(1)) throw node.error("the Indices output is not supported");
    let x = node.input(0);
    const k = rankOf(x, node.label) - 2;
    if (k !== 1 && k !== 2) throw node.error(`${k}-D pooling is not supported (weft has 1-D and 2-D pooling)`);
    const kernel = node.ints("kernel_shape");
    if (!kernel || kernel.length !== k) throw node.error(`kernel_shape must list ${k} sizes`);
    const strides = node.ints("strides") ?? new Array<number>(k).fill(1);
    const dilations = node.ints("dilations") ?? new Array<number>(k).fill(1);
    const [lo, hi] = spatialPads(node, staticSpatial(x, node.label), kernel, strides, dilations);
    if (node.int("storage_order", 0) !== 0) throw node.error("storage_order=1 (column major) is not supported");
    const two = (v: readonly number[], fill: number) => (k === 1 ? [fill, v[0]!] : [...v]);
    if (k === 1) x = node.bb.emit(op.expandDims(x, [2]));
    const opts = {
      strides: two(strides, 1),
      dilation: two(dilations, 1),
      padding: k === 1 ? [0, lo[0]!, 0, hi[0]!] : [lo[0]!, lo[1]!, hi[0]!, hi[1]!],
      ceilMode: node.int("ceil_mode", 0) === 1,
      countIncludePad: node.int("count_include_pad", 0) === 1,
    };
    const f = kind === "max" ? op.nn.maxPool2d : op.nn.avgPool2d;
    const y = f(x, two(kernel, 1), opts);
    return k === 1 ? op.squeeze(node.bb.emit(y), [2]) : y;
  });
}
pool("MaxPool", "max");
pool("AveragePool", "avg");

function globalPool(onnxName: string, f: typeof op.mean): void {
  registerConverter(onnxName, (node) => {
    const x = node.input(0);
    const rank = rankOf(x, node.label);
    return f(x, Array.from({ length: rank - 2 }, (_, i) => i + 2), true);
  });
}
globalPool("GlobalAveragePool", op.mean);
globalPool("GlobalMaxPool", op.max);

registerConverter("BatchNormalization", (node) => {
  if (node.int("training_mode", 0) !== 0 || node.wantsOutput(1) || node.wantsOutput(2)) {
    throw node.error("training mode (running mean/var outputs) is not supported; export the model in eval mode");
  }
  const x = node.input(0);
  const [scale, bias, mean, variance] = [1, 2, 3, 4].map((i) => node.input(i)) as [Expr, Expr, Expr, Expr];
  const eps = node.float("epsilon", 1e-5);
  const rank = rankOf(x, node.label);
  const c = dimsOf(x, node.label)[1];
  // Per-channel parameters broadcast over (N, C, spatial...) as (C, 1, ..., 1).
  const chanShape = [c ?? dimsOf(scale, node.label)[0]!, ...new Array(Math.max(rank - 2, 0)).fill(i64(1))];
  if ([scale, bias, mean, variance].every((p) => p instanceof Constant)) {
    // Fold y = (x - mean) / sqrt(var + eps) * scale + bias into y = x * a + b at import time.
    const [s, b, m, v] = [scale, bias, mean, variance] as Constant[];
    const a = s!.data.map((sv, i) => sv / Math.sqrt(v!.data[i]! + eps));
    const shift = b!.data.map((bv, i) => bv - m!.data[i]! * a[i]!);
    const shape = [s!.data.length, ...new Array<number>(Math.max(rank - 2, 0)).fill(1)];
    return op.add(op.multiply(x, new Constant(s!.dtype, shape, a)), new Constant(s!.dtype, shape, shift));
  }
  const r = (p: Expr) => node.bb.emit(op.reshape(p, chanShape));
  const inv = node.bb.emit(op.divide(r(scale), op.sqrt(op.add(r(variance), scalarLike(x, eps, node.label)))));
  return op.add(op.multiply(op.subtract(x, r(mean)), inv), r(bias));
});

registerConverter("LayerNormalization", (node) => {
  if (node.wantsOutput(1) || node.wantsOutput(2)) throw node.error("the Mean / InvStdDev outputs are not supported (inference only)");
  const x = node.input(0), scale = node.input(1);
  const rank = rankOf(x, node.label);
  const axis = node.int("axis", -1);
  const first = axis < 0 ? axis + rank : axis;
  if (first < 0 || first >= rank) throw node.error(`axis ${axis} is out of range for rank ${rank}`);
  const axes = Array.from({ length: rank - first }, (_, i) => first + i);
  let bias = node.optionalInput(2);
  if (!bias) {
    // Relax's layer_norm always takes beta; zeros of the scale's (static) shape stand in.
    const sd = dimsOf(scale, node.label).map(staticDim);
    if (sd.some((d) => d === undefined)) throw node.error("without a bias input the scale's shape must be static");
    const shape = sd as number[];
    bias = new Constant(tensorSinfo(scale, node.label).dtype, shape, new Array<number>(shape.reduce((a, b) => a * b, 1)).fill(0));
  }
  const sr = rankOf(scale, node.label);
  if (sr !== axes.length) throw node.error(`Scale has rank ${sr} but normalizes ${axes.length} axes; broadcast scales are not supported`);
  return op.nn.layerNorm(x, scale, bias, axes, node.float("epsilon", 1e-5));
});

// Opset >= 13: Softmax normalizes along one axis (earlier opsets flattened; not supported).
registerConverter("Softmax", (node) => op.nn.softmax(node.input(0), node.int("axis", -1)), 13);
registerConverter("LogSoftmax", (node) => op.nn.logSoftmax(node.input(0), node.int("axis", -1)), 13);

/**
 * Reductions. `axes` is an attribute before opset 18 (ReduceSum: before 13) and an optional
 * input after; no axes reduces everything unless noop_with_empty_axes makes it the identity.
 */
function reduce(onnxName: string, f: typeof op.sum, axesInputSince: number): void {
  registerConverter(onnxName, (node) => {
    const x = node.input(0);
    const keep = node.int("keepdims", 1) === 1;
    let axes: number[] | undefined;
    if (node.opset >= axesInputSince) axes = node.hasInput(1) ? node.staticInts(1, "axes") : undefined;
    else axes = node.ints("axes");
    if (axes && axes.length === 0) axes = undefined;
    if (!axes && node.int("noop_with_empty_axes", 0) === 1) return x;
    return f(x, axes ?? null, keep);
  });
}
reduce("ReduceSum", op.sum, 13);
reduce("ReduceMean", op.mean, 18);
reduce("ReduceMax", op.max, 18);
reduce("ReduceMin", op.min, 18);
reduce("ReduceProd", op.prod, 18);
