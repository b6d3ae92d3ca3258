/**
 * Shape transformations: transpose, reshape (with -1 inference and symbolic element counts),
 * expand_dims, squeeze, broadcast_to, concat and split. All are injective computes.
 */
import { PrimExpr } from "../../ir/expr.js";
import { add, convert, floordiv, floormod, ifThenElse, lt, mul, sub } from "../../ir/expr_ops.js";
import { Tensor, compute, type Dim } from "../tensor.js";
import {
  axNames, broadcastIndex, broadcastShapes, checkTensor, constDim, dimsCompatible, formatDim, formatShape, normalizeAxis, prodDims,
} from "./shape_utils.js";

function injective(shape: readonly PrimExpr[], f: (...idx: PrimExpr[]) => PrimExpr, name: string): Tensor {
  return compute(shape, (...idx) => f(...idx), name, { tag: "injective", axisNames: axNames(shape.length) });
}

/** Permutes the axes (default: reversed). */
export function transpose(x: Tensor, axes?: readonly number[]): Tensor {
  checkTensor("transpose", "x", x);
  const perm = axes === undefined ? x.shape.map((_, i) => x.ndim - 1 - i) : axes.map((a) => normalizeAxis("transpose", a, x.ndim, "axes entry"));
  if (perm.length !== x.ndim || new Set(perm).size !== x.ndim) {
    throw new TypeError(`transpose: axes [${(axes ?? []).join(", ")}] must be a permutation of the ${x.ndim} axes of ${formatShape(x.shape)}`);
  }
  const shape = perm.map((p) => x.shape[p]!);
  return injective(shape, (...idx) => {
    const src: PrimExpr[] = Array(x.ndim);
    perm.forEach((p, i) => (src[p] = idx[i]!));
    return x.load(src);
  }, "T_transpose");
}

/** Row-major strides of a shape. */
function strides(shape: readonly PrimExpr[]): PrimExpr[] {
  const out: PrimExpr[] = Array(shape.length);
  let s: PrimExpr = convert(1, shape[0]?.dtype);
  for (let i = shape.length - 1; i >= 0; i--) {
    out[i] = s;
    s = mul(s, shape[i]!);
  }
  return out;
}

/** The multi-index of `linear` in a row-major tensor of `shape`. */
export function unravel(linear: PrimExpr, shape: readonly PrimExpr[]): PrimExpr[] {
  const st = strides(shape);
  return shape.map((d, i) => {
    const q = constDim(st[i]!) === 1 ? linear : floordiv(linear, st[i]!);
    return i === 0 ? q : floormod(q, d);
  });
}

/** The row-major linear position of `idx` in a tensor of `shape`. */
export function ravel(idx: readonly PrimExpr[], shape: readonly PrimExpr[]): PrimExpr {
  const st = strides(shape);
  let l: PrimExpr = convert(0, shape[0]?.dtype);
  idx.forEach((i, k) => (l = add(l, mul(i, st[k]!))));
  return l;
}

/** Same elements in a new shape; one entry may be -1 (inferred). */
export function reshape(x: Tensor, newShape: readonly Dim[]): Tensor {
  const op = "reshape";
  checkTensor(op, "x", x);
  const itype = x.shape[0]?.dtype;
  const minus = newShape.filter((d) => d === -1).length;
  if (minus > 1) throw new TypeError(`${op}: at most one dimension may be -1, got ${formatShape(newShape)}`);
  const known: PrimExpr[] = [];
  for (const d of newShape) {
    if (d === -1) continue;
    if (typeof d === "number" && (!Number.isInteger(d) || d < 0)) {
      throw new RangeError(`${op}: new shape ${formatShape(newShape)} has an invalid dimension ${d}; expected a non-negative integer or -1`);
    }
    if (typeof d !== "number" && (!(d instanceof PrimExpr) || !d.dtype.isIntegral())) {
      throw new TypeError(`${op}: new shape entries must be integers or integer PrimExprs, got ${String(d)}`);
    }
    known.push(typeof d === "number" ? convert(d, itype) : d);
  }
  const total = prodDims(x.shape, itype);
  const knownCount = prodDims(known, itype);
  const ct = constDim(total), ck = constDim(knownCount);
  let inferred: PrimExpr | undefined;
  if (minus === 1) {
    if (ct !== undefined && ck !== undefined) {
      if (ck === 0 || ct % ck !== 0) {
        throw new TypeError(`${op}: cannot reshape ${formatShape(x.shape)} (${ct} elements) to ${formatShape(newShape)}: ${ct} is not divisible by ${ck}`);
      }
      inferred = convert(ct / ck, itype);
    } else {
      inferred = floordiv(total, knownCount);
    }
  } else if (ct !== undefined && ck !== undefined && ct !== ck) {
    throw new TypeError(`${op}: cannot reshape ${formatShape(x.shape)} (${ct} elements) to ${formatShape(newShape)} (${ck} elements)`);
  }
  // With symbolic element counts the two are assumed equal (as TVM does); the caller's shape
  // binding checks them at run time.
  let k = 0;
  const shape = newShape.map((d) => (d === -1 ? inferred! : known[k++]!));
  return injective(shape, (...idx) => x.load(unravel(ravel(idx, shape), x.shape)), "T_reshape");
}

/** Inserts `count` axes of size 1 at `axis` (which may be ndim, or negative counting from ndim + 1). */
export function expandDims(x: Tensor, axis: number, count = 1): Tensor {
  checkTensor("expand_dims", "x", x);
  const a = normalizeAxis("expand_dims", axis, x.ndim + 1);
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`expand_dims: count must be a non-negative integer, got ${count}`);
  const one = convert(1, x.shape[0]?.dtype);
  const shape = [...x.shape.slice(0, a), ...Array<PrimExpr>(count).fill(one), ...x.shape.slice(a)];
  return injective(shape, (...idx) => x.load([...idx.slice(0, a), ...idx.slice(a + count)]), "T_expand_dims");
}

/** Removes axes of size 1: the given ones (each must be 1), or every constant 1 when omitted. */
export function squeeze(x: Tensor, axes?: number | readonly number[]): Tensor {
  checkTensor("squeeze", "x", x);
  let drop: number[];
  if (axes === undefined) {
    drop = x.shape.map((d, i) => (constDim(d) === 1 ? i : -1)).filter((i) => i >= 0);
  } else {
    drop = (typeof axes === "number" ? [axes] : [...axes]).map((a) => normalizeAxis("squeeze", a, x.ndim));
    for (const a of drop) {
      const c = constDim(x.shape[a]!);
      if (c !== undefined && c !== 1) throw new TypeError(`squeeze: axis ${a} of ${formatShape(x.shape)} has size ${c}, not 1`);
    }
  }
  const dropped = new Set(drop);
  const shape = x.shape.filter((_, i) => !dropped.has(i));
  return injective(shape, (...idx) => {
    let k = 0;
    return x.load(x.shape.map((d, i) => (dropped.has(i) ? convert(0, d.dtype) : idx[k++]!)));
  }, "T_squeeze");
}

/** Broadcasts `x` to `shape` (numpy rules). */
export function broadcastTo(x: Tensor, shape: readonly Dim[]): Tensor {
  checkTensor("broadcast_to", "x", x);
  const target = shape.map((d) => (typeof d === "number" ? convert(d, x.shape[0]?.dtype) : d));
  const out = broadcastShapes("broadcast_to", [["x", x.shape], ["shape", target]]);
  if (out.length !== target.length || out.some((d, i) => !dimsCompatible(d, target[i]!))) {
    throw new TypeError(`broadcast_to: cannot broadcast ${formatShape(x.shape)} to ${formatShape(target)}`);
  }
  return injective(target, (...idx) => x.load(broadcastIndex(x.shape, target, idx)), "T_broadcast_to");
}

/** Joins tensors along `axis`; other dimensions must agree. */
export function concat(inputs: readonly Tensor[], axis = 0): Tensor {
  const op = "concat";
  const xs: readonly Tensor[] = inputs;
  if (!Array.isArray(inputs) || xs.length === 0) throw new TypeError(`${op}: expected a non-empty array of tensors`);
  xs.forEach((t, i) => checkTensor(op, `input ${i}`, t));
  const x0 = xs[0]!;
  const ax = normalizeAxis(op, axis, x0.ndim);
  xs.forEach((t, i) => {
    if (t.dtype !== x0.dtype) throw new TypeError(`${op}: dtypes differ: input 0 is ${x0.dtype} but input ${i} is ${t.dtype}`);
    const ok = t.ndim === x0.ndim && t.shape.every((d, k) => k === ax || dimsCompatible(d, x0.shape[k]!));
    if (!ok) {
      throw new TypeError(`${op}: input ${i} has shape ${formatShape(t.shape)}, incompatible with input 0 ${formatShape(x0.shape)} outside axis ${ax}`);
    }
  });
  const offsets: PrimExpr[] = [convert(0, x0.shape[ax]!.dtype)];
  for (const t of xs) offsets.push(add(offsets[offsets.length - 1]!, t.shape[ax]!));
  const shape = x0.shape.map((d, k) => (k === ax ? offsets[xs.length]! : d));
  return injective(shape, (...idx) => {
    const at = (j: number) => xs[j]!.load(idx.map((v, k) => (k === ax ? sub(v, offsets[j]!) : v)));
    // if_then_else (not Select) so only the chosen input is read.
    let value: PrimExpr = at(xs.length - 1);
    for (let j = xs.length - 2; j >= 0; j--) value = ifThenElse(lt(idx[ax]!, offsets[j + 1]!), at(j), value);
    return value;
  }, "T_concat");
}

/**
 * Splits along `axis` into `sections` equal parts (a number) or at the given increasing split
 * points (numpy.split semantics).
 */
export function split(x: Tensor, sectionsOrIndices: number | readonly number[], axis = 0): Tensor[] {
  const op = "split";
  checkTensor(op, "x", x);
  const ax = normalizeAxis(op, axis, x.ndim);
  const D = x.shape[ax]!;
  const cD = constDim(D);
  const starts: PrimExpr[] = [];
  const sizes: PrimExpr[] = [];
  let name: string;
  if (typeof sectionsOrIndices === "number") {
    const n = sectionsOrIndices;
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`${op}: sections must be a positive integer, got ${n}`);
    if (cD !== undefined && cD % n !== 0) throw new TypeError(`${op}: axis ${ax} of ${formatShape(x.shape)} (size ${cD}) does not split into ${n} equal sections`);
    const part = cD !== undefined ? convert(cD / n, D.dtype) : floordiv(D, n);
    for (let i = 0; i < n; i++) {
      starts.push(mul(part, i));
      sizes.push(part);
    }
    name = "T_split_sections";
  } else {
    const pts = [...sectionsOrIndices];
    pts.forEach((p, i) => {
      if (!Number.isInteger(p) || p < 0 || (i > 0 && p < pts[i - 1]!) || (cD !== undefined && p > cD)) {
        throw new RangeError(`${op}: split indices [${pts.join(", ")}] must be increasing integers within [0, ${cD ?? formatDim(D)}]`);
      }
    });
    const bounds: PrimExpr[] = [convert(0, D.dtype), ...pts.map((p) => convert(p, D.dtype)), D];
    for (let i = 0; i + 1 < bounds.length; i++) {
      starts.push(bounds[i]!);
      sizes.push(sub(bounds[i + 1]!, bounds[i]!));
    }
    name = "T_split";
  }
  return starts.map((s, i) =>
    injective(x.shape.map((d, k) => (k === ax ? sizes[i]! : d)), (...idx) => x.load(idx.map((v, k) => (k === ax ? add(v, s) : v))), name),
  );
}
