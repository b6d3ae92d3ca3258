/**
 * Shape and data-movement ONNX ops: Shape, Constant, ConstantOfShape, Reshape, Flatten,
 * Transpose, Concat, Split, Slice, Gather, Squeeze, Unsqueeze and Expand.
 *
 * Each op that can appear in a shape computation first tries to work on import-time known
 * values (see context.ts); only when its inputs are real tensors does it emit Relax.
 */
import { DataType } from "../../ir/dtype.js";
import type { PrimExpr } from "../../ir/expr.js";
import * as E from "../../ir/expr_ops.js";
import { Constant, ShapeExpr, TupleGetItem, op } from "../../relax/index.js";
import { broadcastShapes, dimsOf, i64, normAxis, product, rankOf, resolveReshape, staticDim, tensorSinfo } from "../shape_util.js";
import { knownOf, type NodeView } from "./context.js";
import { registerConverter } from "./registry.js";

/** Values past +-2^62 are ONNX's "to the end" markers (INT64_MAX / INT64_MIN). */
const HUGE = 2 ** 62;

registerConverter("Shape", (node) => {
  const k = node.known(0);
  // The shape of a known vector (Shape(Shape(x))) is its length.
  if (k && !node.hasAttr("start") && !node.hasAttr("end")) return node.setKnown(0, knownOf(k.scalar ? [] : [i64(k.values.length)]));
  const x = node.input(0);
  const s = tensorSinfo(x, node.label);
  const dims = s.dims;
  if (!dims) {
    if (node.hasAttr("start") || node.hasAttr("end")) throw node.error("start/end need the input's rank and dims to be known");
    // Unknown dims: the shape is only known at run time, as an R.Shape value.
    return op.shapeOf(x);
  }
  const r = dims.length;
  const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + r : v, 0), r);
  const start = clamp(node.int("start", 0)), end = clamp(node.int("end", r));
  return node.setKnown(0, knownOf(dims.slice(start, Math.max(start, end))));
});

registerConverter("Size", (node) => node.setKnown(0, knownOf([product(dimsOf(node.input(0), node.label), node.bb.analyzer)], true)));

registerConverter("Constant", (node) => {
  const name = node.outputs[0]!;
  const t = node.tensor("value");
  if (t) return node.ctx.setConstant(name, t);
  const f = node.floats("value_floats"), i = node.ints("value_ints");
  if (node.hasAttr("value_float")) return node.ctx.setConstant(name, { dtype: dt("float32"), shape: [], data: [node.float("value_float", 0)] });
  if (node.hasAttr("value_int")) return node.ctx.setConstant(name, { dtype: dt("int64"), shape: [], data: [node.int("value_int", 0)] });
  if (f) return node.ctx.setConstant(name, { dtype: dt("float32"), shape: [f.length], data: f });
  if (i) return node.ctx.setConstant(name, { dtype: dt("int64"), shape: [i.length], data: i });
  throw node.error("only value, value_float(s) and value_int(s) constants are supported (sparse and string constants are not)");
});

const dt = (s: string) => DataType.parse(s);

registerConverter("ConstantOfShape", (node) => {
  const t = node.tensor("value") ?? { dtype: dt("float32"), shape: [1], data: [0] };
  const dims = node.knownInts(0, "the shape of ConstantOfShape");
  if (!dims.every((d) => E.isConstInt(d))) {
    // A symbolic shape: broadcast the 0-d value at run time.
    return op.broadcastTo(new Constant(t.dtype, [], [t.data[0] ?? 0]), new ShapeExpr(dims));
  }
  const shape = node.staticInts(0, "the shape of ConstantOfShape");
  const n = shape.reduce((a, b) => a * b, 1);
  const c = new Constant(t.dtype, shape, new Array<number>(n).fill(t.data[0] ?? 0));
  if (t.dtype.isIntegral() && shape.length <= 1 && n <= 64) node.setKnown(0, knownOf(c.data.map(i64), false, t.dtype));
  return c;
});

registerConverter("Reshape", (node) => {
  const x = node.input(0);
  const allowZero = node.int("allowzero", 0) === 1;
  const k = node.known(1);
  if (!k) {
    const s = node.input(1);
    // A runtime R.Shape (from Shape of an input with unknown dims) can be used directly.
    if (s.structInfo?.kind === "relax.ShapeStructInfo") return op.reshape(x, s);
    throw node.error("the new shape must be known at import time (a constant or computed from input shapes)");
  }
  const xk = node.known(0);
  const inDims = xk ? (xk.scalar ? [] : [i64(xk.values.length)]) : tensorSinfo(x, node.label).dims;
  const dims = resolveReshape(inDims, k.values, node.bb.analyzer, allowZero, node.label);
  if (xk && dims.length <= 1) {
    const n = dims.length === 0 ? 1 : staticDim(dims[0]!);
    if (n !== xk.values.length) throw node.error(`cannot reshape ${xk.values.length} value(s) to (${dims.map(String).join(", ")})`);
    return node.setKnown(0, knownOf(xk.values, dims.length === 0, xk.dtype));
  }
  return op.reshape(x, new ShapeExpr(dims));
});

registerConverter("Flatten", (node) => {
  const x = node.input(0);
  const dims = dimsOf(x, node.label);
  const axis = node.int("axis", 1);
  const a = axis < 0 ? axis + dims.length : axis;
  if (a < 0 || a > dims.length) throw node.error(`axis ${axis} is out of range for rank ${dims.length}`);
  const an = node.bb.analyzer;
  return op.reshape(x, [product(dims.slice(0, a), an), product(dims.slice(a), an)]);
});

registerConverter("Transpose", (node) => {
  const x = node.input(0);
  const perm = node.ints("perm");
  return op.permuteDims(x, perm ?? null);
});

registerConverter("Concat", (node) => {
  if (!node.hasAttr("axis")) throw node.error("attribute 'axis' is required");
  const axis = node.int("axis", 0);
  const ks = node.inputs.map((_, i) => node.known(i));
  if (ks.every((k) => k && !k.scalar) && (axis === 0 || axis === -1)) {
    return node.setKnown(0, knownOf(ks.flatMap((k) => k!.values), false, ks[0]!.dtype));
  }
  return op.concat(node.inputs.map((_, i) => node.input(i)), axis);
});

registerConverter("Split", (node) => {
  const x = node.input(0);
  const rank = rankOf(x, node.label);
  const axis = normAxis(node.int("axis", 0), rank, node.label);
  const n = node.outputs.length;
  // Sizes: an input since opset 13, an attribute before; else equal parts (num_outputs since 18).
  const sizes = node.opset >= 13 ? (node.hasInput(1) ? node.staticInts(1, "split sizes") : undefined) : node.ints("split");
  let spec: number | number[];
  if (sizes) {
    if (sizes.length !== n) throw node.error(`${sizes.length} split sizes for ${n} outputs`);
    spec = [];
    let acc = 0;
    for (const s of sizes.slice(0, -1)) spec.push((acc += s));
  } else {
    const parts = node.opset >= 18 && node.hasAttr("num_outputs") ? node.int("num_outputs", n) : n;
    const d = staticDim(dimsOf(x, node.label)[axis]!);
    if (d !== undefined && d % parts !== 0) {
      // ONNX 18: the last chunk is smaller when the extent does not divide evenly.
      const chunk = Math.ceil(d / parts);
      spec = Array.from({ length: parts - 1 }, (_, i) => (i + 1) * chunk);
    } else spec = parts;
  }
  const t = node.bb.emit(op.split(x, spec, axis));
  return node.outputs.map((_, i) => new TupleGetItem(t, i));
});

registerConverter("Slice", (node) => {
  if (node.opset < 10) throw node.error("Slice before opset 10 (starts/ends as attributes) is not supported");
  const starts = node.knownInts(1, "starts"), ends = node.knownInts(2, "ends");
  const xk = node.known(0);
  const x = xk ? undefined : node.input(0);
  const rank = x ? rankOf(x, node.label) : 1;
  const axes = node.hasInput(3) ? node.staticInts(3, "axes") : starts.map((_, i) => i);
  const steps = node.hasInput(4) ? node.staticInts(4, "steps") : starts.map(() => 1);
  if (axes.length !== starts.length || ends.length !== starts.length || steps.length !== starts.length) {
    throw node.error(`starts, ends, axes and steps must have the same length, got ${starts.length}, ${ends.length}, ${axes.length}, ${steps.length}`);
  }
  const dims = x ? tensorSinfo(x, node.label).dims : [i64(xk!.values.length)];
  const clampEnd = (v: PrimExpr, axis: number, step: number): PrimExpr | number => {
    if (!E.isConstInt(v)) return v;
    const dim = dims?.[axis];
    if (v.value >= HUGE) return dim ? (staticDim(dim) ?? dim) : v.value;
    if (v.value <= -HUGE) {
      const sd = dim && staticDim(dim);
      return step < 0 ? (sd !== undefined && sd !== null ? -sd - 1 : -(2 ** 31)) : 0;
    }
    return v.value;
  };
  const ax = axes.map((a) => normAxis(a, rank, node.label));
  const begin = starts.map((s, i) => clampEnd(s, ax[i]!, steps[i]!));
  const end = ends.map((e, i) => clampEnd(e, ax[i]!, steps[i]!));
  if (xk && ax.length === 1 && begin.every((b) => typeof b === "number") && end.every((b) => typeof b === "number")) {
    // Slicing a known vector (usually a shape) at import time.
    const vals = xk.values, len = vals.length, st = steps[0]!;
    const norm = (v: number, isEnd: boolean) => {
      const w = v < 0 ? v + len : v;
      return st > 0 ? Math.min(Math.max(w, 0), len) : Math.min(Math.max(w, -1), len - (isEnd ? 0 : 1));
    };
    const out: PrimExpr[] = [];
    const b0 = norm(begin[0] as number, false), e0 = norm(end[0] as number, true);
    for (let i = b0; st > 0 ? i < e0 : i > e0; i += st) out.push(vals[i]!);
    return node.setKnown(0, knownOf(out, false, xk.dtype));
  }
  return op.stridedSlice(x ?? node.input(0), ax, begin, end, { strides: steps });
});

registerConverter("Gather", (node) => {
  const axis = node.int("axis", 0);
  const xk = node.known(0), ik = node.known(1);
  if (xk && ik && !xk.scalar && (axis === 0 || axis === -1)) {
    const len = xk.values.length;
    const picked = ik.values.map((v) => {
      if (!E.isConstInt(v)) throw node.error("gathering from a shape needs static indices");
      const i = v.value < 0 ? v.value + len : v.value;
      if (i < 0 || i >= len) throw node.error(`index ${v.value} is out of range for a vector of ${len} values`);
      return xk.values[i]!;
    });
    return node.setKnown(0, knownOf(picked, ik.scalar, xk.dtype));
  }
  const x = node.input(0);
  let idx = node.input(1);
  const a = normAxis(axis, rankOf(x, node.label), node.label);
  // take() does not wrap negative indices; constant ones are wrapped here when the dim is static.
  if (idx instanceof Constant && idx.data.some((v) => v < 0)) {
    const d = staticDim(dimsOf(x, node.label)[a]!);
    if (d === undefined) throw node.error("negative indices need a static extent on the gather axis");
    idx = new Constant(idx.dtype, idx.shape, idx.data.map((v) => (v < 0 ? v + d : v)));
  }
  return op.take(x, idx, a);
});

/** Squeeze / Unsqueeze axes: an attribute before opset 13, an input since. */
function axesOf(node: NodeView, required: boolean): number[] | undefined {
  const axes = node.opset >= 13 ? (node.hasInput(1) ? node.staticInts(1, "axes") : undefined) : node.ints("axes");
  if (required && !axes) throw node.error("axes are required");
  return axes;
}

registerConverter("Unsqueeze", (node) => {
  const axes = axesOf(node, true)!;
  const k = node.known(0);
  if (k && k.scalar && axes.length === 1 && (axes[0] === 0 || axes[0] === -1)) return node.setKnown(0, knownOf(k.values, false, k.dtype));
  return op.expandDims(node.input(0), axes);
});

registerConverter("Squeeze", (node) => {
  const axes = axesOf(node, false);
  const k = node.known(0);
  if (k && !k.scalar && k.values.length === 1) return node.setKnown(0, knownOf(k.values, true, k.dtype));
  const x = node.input(0);
  if (!axes) {
    // No axes: drop every unit dim; Relax needs them named when dims are symbolic.
    const dims = dimsOf(x, node.label);
    const unit = dims.flatMap((d, i) => (E.isConstInt(d, 1) ? [i] : []));
    return op.squeeze(x, unit);
  }
  return op.squeeze(x, axes);
});

registerConverter("Expand", (node) => {
  const x = node.input(0);
  const target = node.knownInts(1, "the target shape of Expand");
  const out = broadcastShapes(dimsOf(x, node.label), target, node.bb.analyzer, node.label);
  return op.broadcastTo(x, new ShapeExpr(out));
});


registerConverter("Range", (node) => {
  const [start, limit, delta] = [0, 1, 2].map((i) => node.known(i));
  const vals = [start, limit, delta].map((k) => (k && k.values.length === 1 && E.isConstInt(k.values[0]!) ? k.values[0]!.value : undefined));
  if (vals.some((v) => v === undefined)) {
    throw node.error("start, limit and delta must be static integers (weft's Relax has no arange operator for run-time ranges)");
  }
  const [a, b, d] = vals as number[];
  if (d === 0) throw node.error("delta must not be 0");
  const out: number[] = [];
  for (let v = a!; d! > 0 ? v < b! : v > b!; v += d!) out.push(v);
  const c = new Constant(start!.dtype, [out.length], out);
  if (out.length <= 64) node.setKnown(0, knownOf(out.map(i64), false, start!.dtype));
  return c;
});

/**
 * Pad in constant mode, composed from concat: each padded axis gets blocks of the pad value
 * (broadcast to the symbolic shape when needed) before and after; negative pads crop with a
 * strided slice. reflect / edge / wrap have no Relax operator yet.
 */
registerConverter("Pad", (node) => {
  const mode = node.string("mode", "constant");
  if (mode !== "constant") throw node.error(`mode="${mode}" is not supported (only constant padding; Relax has no reflect/edge pad)`);
  let x = node.input(0);
  const rank = rankOf(x, node.label);
  const pads = node.staticInts(1, "pads");
  const axes = node.hasInput(3) ? node.staticInts(3, "axes").map((a) => normAxis(a, rank, node.label)) : Array.from({ length: rank }, (_, i) => i);
  if (pads.length !== 2 * axes.length) throw node.error(`pads has ${pads.length} values for ${axes.length} axes (need begin and end per axis)`);
  const cv = node.optionalInput(2);
  const dtype = tensorSinfo(x, node.label).dtype;
  let value: number;
  if (!cv) value = 0;
  else if (cv instanceof Constant && cv.data.length === 1) value = cv.data[0]!;
  else throw node.error("constant_value must be a constant scalar");
  axes.forEach((axis, i) => {
    const lo = pads[i]!, hi = pads[i + axes.length]!;
    if (lo < 0 || hi < 0) {
      const dims = dimsOf(x, node.label);
      x = node.bb.emit(op.stridedSlice(x, [axis], [Math.max(-lo, 0)], [hi < 0 ? E.sub(dims[axis]!, i64(-hi)) : dims[axis]!]));
    }
    const parts = [];
    const block = (n: number) => {
      const dims = [...dimsOf(x, node.label)];
      dims[axis] = i64(n);
      return node.bb.emit(op.broadcastTo(new Constant(dtype, [], [value]), new ShapeExpr(dims)));
    };
    if (lo > 0) parts.push(block(lo));
    parts.push(x);
    if (hi > 0) parts.push(block(hi));
    if (parts.length > 1) x = node.bb.emit(op.concat(parts, axis));
  });
  return x;
});
