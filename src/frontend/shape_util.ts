/**
 * Shape arithmetic the frontends share: reading a Relax value's static or symbolic dims,
 * resolving an ONNX-style reshape spec (0 copies an input dim, -1 is inferred), bidirectional
 * broadcasting (ONNX Expand) and products of dims, all simplified with the builder's analyzer
 * so symbolic dims stay readable (`n * 4`, not `n * 2 * 2`).
 */
import type { Analyzer } from "../arith/analyzer.js";
import { int64 } from "../ir/dtype.js";
import { IntImm, type PrimExpr } from "../ir/expr.js";
import * as E from "../ir/expr_ops.js";
import { structuralEqual } from "../ir/structural.js";
import { TensorStructInfo, structInfoOf, type Expr } from "../relax/index.js";

export const i64 = (v: number): PrimExpr => new IntImm(int64, v);

/** The TensorStructInfo of `e`, or an error naming `what`. */
export function tensorSinfo(e: Expr, what: string): TensorStructInfo {
  const s = structInfoOf(e);
  if (!(s instanceof TensorStructInfo)) throw new TypeError(`${what}: expected a tensor, got ${s.kind.replace("relax.", "")}`);
  return s;
}

/** The dims of a tensor value, or an error saying its shape must be known. */
export function dimsOf(e: Expr, what: string): readonly PrimExpr[] {
  const s = tensorSinfo(e, what);
  const d = s.dims;
  if (!d) throw new TypeError(`${what}: the shape of the input must be known (it is ${s.ndim < 0 ? "unknown" : `rank ${s.ndim} with unknown dims`}); give the graph input a full shape`);
  return d;
}

/** The rank of a tensor value, or an error saying it must be known. */
export function rankOf(e: Expr, what: string): number {
  const s = tensorSinfo(e, what);
  if (s.ndim < 0) throw new TypeError(`${what}: the rank of the input must be known`);
  return s.ndim;
}

export function product(dims: readonly PrimExpr[], an: Analyzer): PrimExpr {
  return an.simplify(dims.reduce<PrimExpr>((a, b) => E.mul(a, b), i64(1)));
}

/** A dim's static value, or undefined when symbolic. */
export function staticDim(d: PrimExpr): number | undefined {
  return d instanceof IntImm ? d.value : undefined;
}

/**
 * ONNX Reshape semantics: 0 copies the input's dim at that position (unless `allowZero`), one
 * -1 is inferred from the element count. Returns the resolved dims (a -1 stays -1 only when
 * the input's dims are unknown).
 */
export function resolveReshape(inDims: readonly PrimExpr[] | undefined, spec: readonly PrimExpr[], an: Analyzer, allowZero: boolean, what: string): PrimExpr[] {
  const out: PrimExpr[] = spec.map((d, i) => {
    if (!allowZero && E.isConstInt(d, 0)) {
      if (!inDims) throw new TypeError(`${what}: a 0 in the new shape copies input dim ${i}, but the input's shape is unknown`);
      const src = inDims[i];
      if (!src) throw new TypeError(`${what}: a 0 at position ${i} of the new shape copies an input dim, but the input has rank ${inDims.length}`);
      return src;
    }
    return d;
  });
  const holes = out.flatMap((d, i) => (E.isConstInt(d, -1) ? [i] : []));
  if (holes.length > 1) throw new TypeError(`${what}: the new shape has ${holes.length} entries of -1; at most one can be inferred`);
  if (holes.length === 1 && inDims) {
    // Cancel dims the two sides share (n in (n, 3) -> (n, -1)): the analyzer cannot divide
    // n * 3 by n without knowing n > 0, but the factors are the same symbols.
    const num = [...inDims], den: PrimExpr[] = [];
    for (const d of out.filter((_, i) => i !== holes[0])) {
      const j = num.findIndex((x) => structuralEqual(x, d));
      if (j >= 0) num.splice(j, 1);
      else den.push(d);
    }
    const total = product(num, an), part = product(den, an);
    if (E.isConstInt(total) && E.isConstInt(part) && (part.value === 0 || total.value % part.value !== 0)) {
      throw new TypeError(`${what}: ${total.value} elements cannot be reshaped into a shape whose known dims hold ${part.value}`);
    }
    out[holes[0]!] = an.simplify(E.floordiv(total, part));
  }
  return out.map((d) => an.simplify(d));
}

/** Numpy/ONNX bidirectional broadcast of two shapes (Expand: the result may be bigger than either). */
export function broadcastShapes(a: readonly PrimExpr[], b: readonly PrimExpr[], an: Analyzer, what: string): PrimExpr[] {
  const n = Math.max(a.length, b.length);
  const out: PrimExpr[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i], y = b[b.length - n + i];
    if (x === undefined) out.push(y!);
    else if (y === undefined) out.push(x);
    else if (E.isConstInt(y, 1)) out.push(x);
    else if (E.isConstInt(x, 1)) out.push(y);
    else {
      const sx = staticDim(x), sy = staticDim(y);
      if (sx !== undefined && sy !== undefined && sx !== sy) throw new TypeError(`${what}: dims ${sx} and ${sy} cannot be broadcast together`);
      out.push(sx !== undefined ? x : y);
    }
  }
  return out.map((d) => an.simplify(d));
}

/** Normalizes a possibly negative axis against `rank`, with an error naming `what`. */
export function normAxis(axis: number, rank: number, what: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) throw new RangeError(`${what}: axis ${axis} is out of range for rank ${rank}`);
  return a;
}
