/**
 * Shape manipulation: reshape (with -1 and symbolic element-count checks), permute_dims,
 * expand_dims, squeeze, concat, split and broadcast_to.
 */
import { IntImm, type PrimExpr } from "../../ir/expr.js";
import * as E from "../../ir/expr_ops.js";
import { argStructInfo, ShapeExpr, Tuple, type Expr } from "../expr.js";
import { compareDims } from "../struct_info_analysis.js";
import { ShapeStructInfo, TensorStructInfo, TupleStructInfo, type StructInfo } from "../struct_info.js";
import {
  dimText, intList, int64Imm, normalizeAxes, normalizeAxis, opName, product, shapeText, sinfoText, tensorArg, tensorInfo,
  unifyDtype,
} from "./infer_util.js";
import { callOp, RelaxOp, type InferContext } from "./registry.js";
import type { Call } from "../expr.js";

const X = { name: "x", kind: "expr" } as const;

function shapeArg(call: Call, i: number, name: string): ShapeStructInfo {
  const s = argStructInfo(call.args[i]!);
  if (!(s instanceof ShapeStructInfo)) throw new TypeError(`${opName(call)}: argument '${name}' must be a shape (R.shape([...])), got ${sinfoText(s)}`);
  return s;
}

/** Proves two element counts equal, reports a provable mismatch, or defers the check to run time. */
function checkCounts(call: Call, ctx: InferContext, from: readonly PrimExpr[], to: readonly PrimExpr[]): void {
  const a = product(from, ctx), b = product(to, ctx);
  const c = compareDims(a, b, ctx.analyzer);
  const what = `${opName(call)}: cannot reshape 'x' of shape ${shapeText(from)} (${dimText(a)} elements) to ${shapeText(to)} (${dimText(b)} elements)`;
  if (c === "fail") throw new TypeError(what);
  if (c === "runtime") ctx.deferCheck(E.eq(a, b), `${what}: the element counts must be equal`);
}

RelaxOp.register("relax.reshape", {
  params: [X, { name: "shape", kind: "shape" }],
  infer: (call, ctx) => {
    const x = tensorArg(call, 0, "x");
    const target = shapeArg(call, 1, "shape");
    const arg = call.args[1]!;
    if (!target.values) {
      return arg instanceof ShapeExpr || target.ndim < 0 ? new TensorStructInfo(target.ndim, x.dtype) : new TensorStructInfo(arg as Expr, x.dtype);
    }
    let dims = [...target.values];
    const holes = dims.flatMap((d, i) => (E.isConstInt(d, -1) ? [i] : []));
    if (holes.length > 1) throw new TypeError(`${opName(call)}: the new shape ${shapeText(dims)} has more than one -1`);
    const xd = x.dims;
    if (holes.length === 1) {
      if (!xd) return new TensorStructInfo(dims.length, x.dtype);
      const known = dims.filter((_, i) => i !== holes[0]);
      const total = product(xd, ctx), part = product(known, ctx);
      const inferred = ctx.analyzer.simplify(E.floordiv(total, part));
      if (E.isConstInt(part) && E.isConstInt(total) && (part.value === 0 || total.value % part.value !== 0)) {
        throw new TypeError(`${opName(call)}: cannot reshape 'x' of shape ${shapeText(xd)} to ${shapeText(dims)}: ${total.value} elements do not divide into ${dimText(part)}`);
      }
      dims[holes[0]!] = inferred;
    }
    if (xd) checkCounts(call, ctx, xd, dims);
    dims = dims.map((d) => ctx.analyzer.simplify(d));
    return holes.length === 0 && !(arg instanceof ShapeExpr) ? new TensorStructInfo(arg as Expr, x.dtype) : tensorInfo(dims, dims.length, x.dtype);
  },
});

RelaxOp.register("relax.permute_dims", {
  params: [X],
  attrs: { axes: null },
  infer: (call) => {
    const x = tensorArg(call, 0, "x");
    const axes = intList(call, "axes");
    if (x.ndim < 0) {
      if (axes) return new TensorStructInfo(axes.length, x.dtype);
      return x;
    }
    const perm = axes ? normalizeAxes(call, axes, x.ndim) : [...Array(x.ndim).keys()].reverse();
    if (perm.length !== x.ndim) {
      throw new TypeError(`${opName(call)}: axes [${axes!.join(", ")}] must list each of the ${x.ndim} axes of 'x' exactly once`);
    }
    const xd = x.dims;
    return tensorInfo(xd && perm.map((a) => xd[a]!), x.ndim, x.dtype);
  },
});

RelaxOp.register("relax.expand_dims", {
  params: [X],
  attrs: { axis: 0 },
  infer: (call) => {
    const x = tensorArg(call, 0, "x");
    const axes = intList(call, "axis") ?? [];
    if (x.ndim < 0) return new TensorStructInfo(-1, x.dtype);
    const ndim = x.ndim + axes.length;
    const at = new Set(normalizeAxes(call, axes, ndim));
    const xd = x.dims;
    if (!xd) return new TensorStructInfo(ndim, x.dtype);
    const out: PrimExpr[] = [];
    let k = 0;
    for (let i = 0; i < ndim; i++) out.push(at.has(i) ? int64Imm(1) : xd[k++]!);
    return tensorInfo(out, ndim, x.dtype);
  },
});

RelaxOp.register("relax.squeeze", {
  params: [X],
  attrs: { axis: null },
  infer: (call, ctx) => {
    const x = tensorArg(call, 0, "x");
    const axes = intList(call, "axis");
    const xd = x.dims;
    if (x.ndim < 0) return new TensorStructInfo(-1, x.dtype);
    if (!axes) {
      if (!xd) return new TensorStructInfo(-1, x.dtype);
      if (xd.some((d) => !(d instanceof IntImm))) return new TensorStructInfo(-1, x.dtype);
      const out = xd.filter((d) => !E.isConstInt(d, 1));
      return tensorInfo(out, out.length, x.dtype);
    }
    const drop = new Set(normalizeAxes(call, axes, x.ndim));
    const ndim = x.ndim - drop.size;
    if (!xd) return new TensorStructInfo(ndim, x.dtype);
    for (const a of drop) {
      const d = xd[a]!;
      const c = compareDims(d, int64Imm(1), ctx.analyzer);
      if (c === "fail") throw new TypeError(`${opName(call)}: axis ${a} of 'x' ${shapeText(xd)} has extent ${dimText(d)}, not 1`);
      if (c === "runtime") ctx.deferCheck(E.eq(d, int64Imm(1)), `${opName(call)}: axis ${a} of 'x' must have extent 1`);
    }
    return tensorInfo(xd.filter((_, i) => !drop.has(i)), ndim, x.dtype);
  },
});

RelaxOp.register("relax.concat", {
  params: [{ name: "tensors", kind: "expr" }],
  attrs: { axis: 0 },
  infer: (call, ctx) => {
    const t = argStructInfo(call.args[0]!);
    if (!(t instanceof TupleStructInfo) || t.fields.length === 0) {
      throw new TypeError(`${opName(call)}: 'tensors' must be a non-empty tuple of tensors, got ${sinfoText(t)}`);
    }
    const infos = t.fields.map((f, i) => {
      if (!(f instanceof TensorStructInfo)) throw new TypeError(`${opName(call)}: tensors[${i}] must be a tensor, got ${sinfoText(f)}`);
      return f;
    });
    let dtype = infos[0]!.dtype;
    infos.forEach((f, i) => (dtype = unifyDtype(call, dtype, f.dtype, "tensors[0]", `tensors[${i}]`)));
    const ranks = new Set(infos.map((f) => f.ndim).filter((n) => n >= 0));
    if (ranks.size > 1) throw new TypeError(`${opName(call)}: all tensors must have the same rank, got ranks ${[...ranks].join(", ")}`);
    if (ranks.size === 0) return new TensorStructInfo(-1, dtype);
    const ndim = [...ranks][0]!;
    const axis = normalizeAxis(call, intList(call, "axis")?.[0] ?? 0, ndim);
    const all = infos.map((f) => f.dims);
    if (all.some((d) => d === undefined)) return new TensorStructInfo(ndim, dtype);
    const dims = all as (readonly PrimExpr[])[];
    const out: PrimExpr[] = [...dims[0]!];
    for (let i = 1; i < dims.length; i++) {
      for (let k = 0; k < ndim; k++) {
        if (k === axis) continue;
        if (compareDims(out[k]!, dims[i]![k]!, ctx.analyzer) === "fail") {
          throw new TypeError(
            `${opName(call)}: tensors[0] ${shapeText(dims[0]!)} and tensors[${i}] ${shapeText(dims[i]!)} differ on axis ${k}, which is not the concatenation axis ${axis}`,
          );
        }
      }
    }
    out[axis] = ctx.analyzer.simplify(dims.map((d) => d[axis]!).reduce((a, b) => E.add(a, b)));
    return tensorInfo(out, ndim, dtype);
  },
});

RelaxOp.register("relax.split", {
  params: [X],
  attrs: { indices_or_sections: 2, axis: 0 },
  infer: (call, ctx) => {
    const x = tensorArg(call, 0, "x");
    const spec = call.attrs["indices_or_sections"];
    const isSections = typeof spec === "number";
    const indices = intList(call, "indices_or_sections")!;
    const pieces = isSections ? indices[0]! : indices.length + 1;
    if (isSections && pieces < 1) throw new RangeError(`${opName(call)}: indices_or_sections must be >= 1, got ${pieces}`);
    const xd = x.dims;
    if (x.ndim < 0 || !xd) return new TupleStructInfo(Array.from({ length: pieces }, () => new TensorStructInfo(x.ndim, x.dtype)));
    const axis = normalizeAxis(call, intList(call, "axis")![0]!, x.ndim);
    const dim = xd[axis]!;
    const sizes: PrimExpr[] = [];
    if (isSections) {
      const rem = ctx.analyzer.simplify(E.floormod(dim, int64Imm(pieces)));
      if (E.isConstInt(rem) && rem.value !== 0) {
        throw new TypeError(`${opName(call)}: axis ${axis} of 'x' ${shapeText(xd)} has extent ${dimText(dim)}, which does not split into ${pieces} equal sections`);
      }
      if (!E.isConstInt(rem)) ctx.deferCheck(E.eq(rem, int64Imm(0)), `${opName(call)}: axis ${axis} of 'x' must split into ${pieces} equal sections`);
      for (let i = 0; i < pieces; i++) sizes.push(ctx.analyzer.simplify(E.floordiv(dim, int64Imm(pieces))));
    } else {
      let prev: PrimExpr = int64Imm(0);
      for (const i of [...indices.map((v) => int64Imm(v) as PrimExpr), dim]) {
        const end = ctx.analyzer.simplify(E.min(i, dim));
        const start = ctx.analyzer.simplify(E.min(prev, end));
        sizes.push(ctx.analyzer.simplify(E.sub(end, start)));
        prev = end;
      }
    }
    const fields: StructInfo[] = sizes.map((s) => {
      const d = [...xd];
      d[axis] = s;
      return tensorInfo(d, x.ndim, x.dtype);
    });
    return new TupleStructInfo(fields);
  },
});

RelaxOp.register("relax.broadcast_to", {
  params: [X, { name: "shape", kind: "shape" }],
  infer: (call, ctx) => {
    const x = tensorArg(call, 0, "x");
    const target = shapeArg(call, 1, "shape");
    const arg = call.args[1]!;
    if (x.ndim >= 0 && target.ndim >= 0 && x.ndim > target.ndim) {
      throw new TypeError(`${opName(call)}: cannot broadcast 'x' of rank ${x.ndim} to a shape of rank ${target.ndim}`);
    }
    const xd = x.dims;
    if (xd && target.values) {
      const t = target.values;
      for (let i = 1; i <= xd.length; i++) {
        const a = xd[xd.length - i]!, b = t[t.length - i]!;
        if (E.isConstInt(a, 1)) continue;
        const c = compareDims(a, b, ctx.analyzer);
        if (c === "fail") throw new TypeError(`${opName(call)}: cannot broadcast 'x' of shape ${shapeText(xd)} to ${shapeText(t)}: dimension ${dimText(a)} vs ${dimText(b)}`);
        if (c === "runtime") ctx.deferCheck(E.or(E.eq(a, b), E.eq(a, int64Imm(1))), `${opName(call)}: 'x' ${shapeText(xd)} must broadcast to ${shapeText(t)}`);
      }
    }
    if (arg instanceof ShapeExpr) return tensorInfo(arg.values, arg.values.length, x.dtype);
    return target.ndim >= 0 || !target.values ? new TensorStructInfo(arg as Expr, x.dtype) : new TensorStructInfo(-1, x.dtype);
  },
});

function toShape(shape: Expr | readonly (PrimExpr | number)[]): Expr {
  return Array.isArray(shape) ? new ShapeExpr(shape as readonly (PrimExpr | number)[]) : (shape as Expr);
}

export function reshape(x: Expr, shape: Expr | readonly (PrimExpr | number)[]) {
  return callOp("relax.reshape", [x, toShape(shape)]);
}
export function permuteDims(x: Expr, axes: readonly number[] | null = null) {
  return callOp("relax.permute_dims", [x], { axes });
}
export function expandDims(x: Expr, axis: number | readonly number[]) {
  return callOp("relax.expand_dims", [x], { axis });
}
export function squeeze(x: Expr, axis: number | readonly number[] | null = null) {
  return callOp("relax.squeeze", [x], { axis });
}
export function concat(tensors: Expr | readonly Expr[], axis = 0) {
  return callOp("relax.concat", [Array.isArray(tensors) ? new Tuple(tensors as readonly Expr[]) : (tensors as Expr)], { axis });
}
export function split(x: Expr, indicesOrSections: number | readonly number[], axis = 0) {
  return callOp("relax.split", [x], { indices_or_sections: indicesOrSections, axis });
}
export function broadcastTo(x: Expr, shape: Expr | readonly (PrimExpr | number)[]) {
  return callOp("relax.broadcast_to", [x, toShape(shape)]);
}
