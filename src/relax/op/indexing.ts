/**
 * Selecting elements: strided_slice (numpy slicing, symbolic extents), take (gather along an
 * axis, or from the flattened tensor) and where (elementwise select with broadcasting).
 */
import type { PrimExpr } from "../../ir/expr.js";
import * as E from "../../ir/expr_ops.js";
import type { Expr } from "../expr.js";
import { TensorStructInfo } from "../struct_info.js";
import {
  broadcastDims, int64Imm, normalizeAxes, normalizeAxis, opName, tensorArg, tensorInfo, unifyDtype,
} from "./infer_util.js";
import { callOp, RelaxOp, type InferContext } from "./registry.js";
import type { Call } from "../expr.js";

function listAttr(call: Call, name: string): (number | PrimExpr)[] | undefined {
  const v = call.attrs[name];
  if (v === null || v === undefined) return undefined;
  const xs = Array.isArray(v) ? v : [v];
  for (const x of xs) {
    if (!(typeof x === "number" && Number.isInteger(x)) && !(typeof x === "object" && x !== null && "dtype" in x)) {
      throw new TypeError(`${opName(call)}: attribute '${name}' must be a list of ints or int64 expressions, got ${JSON.stringify(v)}`);
    }
  }
  return xs as (number | PrimExpr)[];
}

const asDim = (v: number | PrimExpr): PrimExpr => (typeof v === "number" ? int64Imm(v) : v.dtype.bits === 64 ? v : E.cast("int64", v));

/** Extent of `x[begin:end:stride]` along a dim of extent `dim` (numpy clamping rules). */
function sliceExtent(dim: PrimExpr, begin: number | PrimExpr, end: number | PrimExpr, stride: number, ctx: InferContext, assumeInbound: boolean): PrimExpr {
  const zero = int64Imm(0);
  const resolve = (v: number | PrimExpr, isEnd: boolean): PrimExpr => {
    if (typeof v === "number" && v < 0) return E.max(E.add(dim, int64Imm(v)), stride > 0 ? zero : int64Imm(-1));
    const d = asDim(v);
    if (assumeInbound) return d;
    return stride > 0 ? E.min(d, dim) : E.min(d, E.sub(dim, int64Imm(isEnd ? 0 : 1)));
  };
  const b = resolve(begin, false), e = resolve(end, true);
  const span = stride > 0 ? E.sub(e, b) : E.sub(b, e);
  const s = Math.abs(stride);
  const n = s === 1 ? span : E.floordiv(E.add(span, int64Imm(s - 1)), int64Imm(s));
  return ctx.analyzer.simplify(assumeInbound ? n : E.max(n, zero));
}

RelaxOp.register("relax.strided_slice", {
  params: [{ name: "x", kind: "expr" }],
  attrs: { axes: [], begin: [], end: [], strides: null, assume_inbound: false },
  infer: (call, ctx) => {
    const x = tensorArg(call, 0, "x");
    const axes = (listAttr(call, "axes") ?? []) as number[];
    const begin = listAttr(call, "begin") ?? [], end = listAttr(call, "end") ?? [];
    const strides = listAttr(call, "strides") ?? axes.map(() => 1);
    if (begin.length !== axes.length || end.length !== axes.length || strides.length !== axes.length) {
      throw new TypeError(`${opName(call)}: axes, begin, end and strides must have the same length, got ${axes.length}, ${begin.length}, ${end.length}, ${strides.length}`);
    }
    if (x.ndim < 0) return x;
    const ax = normalizeAxes(call, axes, x.ndim);
    const xd = x.dims;
    if (!xd) return new TensorStructInfo(x.ndim, x.dtype);
    const out = [...xd];
    ax.forEach((a, i) => {
      const st = strides[i]!;
      if (typeof st !== "number" || st === 0) throw new TypeError(`${opName(call)}: strides must be non-zero ints, got ${String(st)}`);
      out[a] = sliceExtent(xd[a]!, begin[i]!, end[i]!, st, ctx, call.attrs["assume_inbound"] === true);
    });
    return tensorInfo(out, x.ndim, x.dtype);
  },
});

RelaxOp.register("relax.take", {
  params: [
    { name: "x", kind: "expr" },
    { name: "indices", kind: "expr" },
  ],
  attrs: { axis: null },
  infer: (call) => {
    const x = tensorArg(call, 0, "x");
    const idx = tensorArg(call, 1, "indices");
    if (!idx.isUnknownDtype && !idx.dtype.isIntegral()) throw new TypeError(`${opName(call)}: 'indices' must be an integer tensor, got dtype ${idx.dtype}`);
    const axisAttr = call.attrs["axis"];
    if (axisAttr === null || axisAttr === undefined) return idx.shape ? new TensorStructInfo(idx.shape, x.dtype) : new TensorStructInfo(idx.ndim, x.dtype);
    if (x.ndim < 0 || idx.ndim < 0) return new TensorStructInfo(-1, x.dtype);
    const axis = normalizeAxis(call, axisAttr as number, x.ndim);
    const ndim = x.ndim - 1 + idx.ndim;
    const xd = x.dims, id = idx.dims;
    if (!xd || !id) return new TensorStructInfo(ndim, x.dtype);
    return tensorInfo([...xd.slice(0, axis), ...id, ...xd.slice(axis + 1)], ndim, x.dtype);
  },
});

RelaxOp.register("relax.where", {
  params: [
    { name: "condition", kind: "expr" },
    { name: "x1", kind: "expr" },
    { name: "x2", kind: "expr" },
  ],
  infer: (call, ctx) => {
    const c = tensorArg(call, 0, "condition");
    const a = tensorArg(call, 1, "x1");
    const b = tensorArg(call, 2, "x2");
    if (!c.isUnknownDtype && !c.dtype.isBool()) throw new TypeError(`${opName(call)}: 'condition' must be a bool tensor, got dtype ${c.dtype}`);
    const dtype = unifyDtype(call, a.dtype, b.dtype, "x1", "x2");
    if (c.ndim < 0 || a.ndim < 0 || b.ndim < 0) return new TensorStructInfo(-1, dtype);
    const ndim = Math.max(c.ndim, a.ndim, b.ndim);
    const cd = c.dims, ad = a.dims, bd = b.dims;
    if (!cd || !ad || !bd) return new TensorStructInfo(ndim, dtype);
    const ab = broadcastDims(call, ad, bd, ctx, ["x1", "x2"]);
    if (!ab) return new TensorStructInfo(ndim, dtype);
    return tensorInfo(broadcastDims(call, cd, ab, ctx, ["condition", "x1/x2"]), ndim, dtype);
  },
});

export interface StridedSliceOptions {
  strides?: readonly number[];
  assumeInbound?: boolean;
}

export function stridedSlice(
  x: Expr,
  axes: readonly number[],
  begin: readonly (number | PrimExpr)[],
  end: readonly (number | PrimExpr)[],
  opts: StridedSliceOptions = {},
) {
  return callOp("relax.strided_slice", [x], { axes, begin, end, strides: opts.strides ?? null, assume_inbound: opts.assumeInbound ?? false });
}
export function take(x: Expr, indices: Expr, axis: number | null = null) {
  return callOp("relax.take", [x, indices], { axis });
}
export function where(condition: Expr, x1: Expr, x2: Expr) {
  return callOp("relax.where", [condition, x1, x2]);
}
