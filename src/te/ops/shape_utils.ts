/**
 * Shared checks and shape arithmetic for the operator library: axis normalization, numpy
 * broadcasting over possibly symbolic dimensions, dtype checks. Every error names the op and
 * the argument and shows the shapes involved.
 */
import { DataType } from "../../ir/dtype.js";
import { IntImm, PrimExpr } from "../../ir/expr.js";
import { convert, mul, type ExprLike } from "../../ir/expr_ops.js";
import { structuralEqual } from "../../ir/structural.js";
import { Tensor, formatDim, formatShape } from "../tensor.js";

export { formatDim, formatShape };

/** The value of a constant integer dimension, else undefined. */
export function constDim(d: PrimExpr | number): number | undefined {
  if (typeof d === "number") return d;
  return d instanceof IntImm ? d.value : undefined;
}

export function isConstDim(d: PrimExpr, value: number): boolean {
  return d instanceof IntImm && d.value === value;
}

/**
 * Whether two dimensions may be equal: constants must match; a symbolic dimension is assumed
 * to equal anything (TVM's assumption, checked at run time by the caller's shape binding).
 */
export function dimsCompatible(a: PrimExpr, b: PrimExpr): boolean {
  const x = constDim(a), y = constDim(b);
  return x === undefined || y === undefined || x === y;
}

/** Provably the same dimension (equal constants or structurally equal expressions). */
export function dimsSame(a: PrimExpr, b: PrimExpr): boolean {
  const x = constDim(a), y = constDim(b);
  if (x !== undefined && y !== undefined) return x === y;
  return structuralEqual(a, b);
}

export function checkTensor(op: string, arg: string, t: unknown): Tensor {
  if (!(t instanceof Tensor)) throw new TypeError(`${op}: ${arg} must be a Tensor, got ${describe(t)}`);
  return t;
}

function describe(x: unknown): string {
  if (x === undefined) return "undefined";
  if (x === null) return "null";
  if (Array.isArray(x)) return "an array";
  if (typeof x === "object") return (x as { constructor?: { name?: string } }).constructor?.name ?? "an object";
  return `${typeof x} ${String(x)}`;
}

export function checkRank(op: string, arg: string, t: Tensor, ranks: readonly number[]): void {
  if (!ranks.includes(t.ndim)) {
    const want = ranks.length === 1 ? `${ranks[0]}-D` : `${ranks.join("-D or ")}-D`;
    throw new TypeError(`${op}: ${arg} must be ${want}, got shape ${formatShape(t.shape)}`);
  }
}

export function checkFloat(op: string, arg: string, t: Tensor): void {
  if (!t.dtype.isFloat()) throw new TypeError(`${op}: ${arg} must be a float tensor, got ${t.dtype} (cast it first)`);
}

export function checkSameDtype(op: string, named: readonly [string, Tensor][]): DataType {
  const t0 = named[0]![1].dtype;
  for (const [n, t] of named) {
    if (t.dtype !== t0) {
      throw new TypeError(`${op}: dtypes differ: ${named[0]![0]} is ${t0} but ${n} is ${t.dtype}`);
    }
  }
  return t0;
}

/** An axis in [-ndim, ndim) as a non-negative index. */
export function normalizeAxis(op: string, axis: number, ndim: number, arg = "axis"): number {
  if (!Number.isInteger(axis)) throw new TypeError(`${op}: ${arg} must be an integer, got ${axis}`);
  if (axis < -ndim || axis >= ndim) {
    throw new RangeError(`${op}: ${arg} ${axis} is out of range for a ${ndim}-D tensor (expected ${-ndim}..${ndim - 1})`);
  }
  return axis < 0 ? axis + ndim : axis;
}

/** Axes as sorted non-negative indices; undefined means all axes. */
export function normalizeAxes(op: string, axes: number | readonly number[] | undefined, ndim: number): number[] {
  if (axes === undefined) return Array.from({ length: ndim }, (_, i) => i);
  const list = typeof axes === "number" ? [axes] : [...axes];
  const out = list.map((a) => normalizeAxis(op, a, ndim));
  const seen = new Set<number>();
  for (let i = 0; i < out.length; i++) {
    if (seen.has(out[i]!)) throw new RangeError(`${op}: axis ${list[i]} is repeated in [${list.join(", ")}]`);
    seen.add(out[i]!);
  }
  return out.sort((a, b) => a - b);
}

/** The numpy broadcast of several shapes; a dimension broadcasts only when it is literally 1. */
export function broadcastShapes(op: string, named: readonly [string, readonly PrimExpr[]][]): PrimExpr[] {
  const ndim = Math.max(...named.map(([, s]) => s.length));
  const out: PrimExpr[] = [];
  for (let k = 0; k < ndim; k++) {
    let dim: PrimExpr | undefined;
    let from = "";
    for (const [n, s] of named) {
      const i = s.length - ndim + k;
      if (i < 0) continue;
      const d = s[i]!;
      if (dim === undefined || isConstDim(dim, 1)) {
        dim = d;
        from = n;
        continue;
      }
      if (isConstDim(d, 1)) continue;
      if (!dimsCompatible(dim, d)) {
        const shapes = named.map(([m, t]) => `${m} ${formatShape(t)}`).join(", ");
        throw new TypeError(
          `${op}: shapes cannot be broadcast: ${shapes} (dimension ${k - ndim}: ${formatDim(dim)} in ${from} vs ${formatDim(d)} in ${n})`,
        );
      }
      // Prefer a constant over a symbolic dimension assumed equal to it.
      if (constDim(dim) === undefined && constDim(d) !== undefined) {
        dim = d;
        from = n;
      }
    }
    out.push(dim!);
  }
  return out;
}

/** Indices into a tensor of `shape` for an element of the broadcast output at `index`. */
export function broadcastIndex(shape: readonly PrimExpr[], outShape: readonly PrimExpr[], index: readonly PrimExpr[]): PrimExpr[] {
  const off = outShape.length - shape.length;
  return shape.map((d, i) => {
    const o = outShape[i + off]!;
    return isConstDim(d, 1) && !isConstDim(o, 1) ? convert(0, d.dtype) : index[i + off]!;
  });
}

/** The product of dimensions (folded when constant). */
export function prodDims(dims: readonly PrimExpr[], dtype?: DataType): PrimExpr {
  let p: PrimExpr = convert(1, dtype ?? dims[0]?.dtype);
  for (const d of dims) p = mul(p, d);
  return p;
}

/** Normalizes an int-or-list parameter (kernel, stride, dilation) to `n` entries. */
export function expandInts(op: string, arg: string, v: number | readonly number[], n: number, min = 1): number[] {
  const list = typeof v === "number" ? Array<number>(n).fill(v) : [...v];
  if (list.length === 1 && n > 1) return expandInts(op, arg, list[0]!, n, min);
  if (list.length !== n) throw new TypeError(`${op}: ${arg} must be a number or a list of ${n}, got [${list.join(", ")}]`);
  for (const x of list) {
    if (!Number.isInteger(x) || x < min) throw new RangeError(`${op}: ${arg} entries must be integers >= ${min}, got [${list.join(", ")}]`);
  }
  return list;
}

/**
 * Padding for `n` spatial dims as [before..., after...]: a number (all sides), `n` numbers
 * (symmetric per dim) or `2n` numbers (all befores, then all afters — [top, left, bottom, right]).
 */
export function expandPadding(op: string, v: number | readonly number[], n: number): { before: number[]; after: number[] } {
  const list = typeof v === "number" ? [v] : [...v];
  for (const x of list) {
    if (!Number.isInteger(x) || x < 0) throw new RangeError(`${op}: padding entries must be non-negative integers, got [${list.join(", ")}]`);
  }
  if (list.length === 1) return { before: Array<number>(n).fill(list[0]!), after: Array<number>(n).fill(list[0]!) };
  if (list.length === n) return { before: list, after: [...list] };
  if (list.length === 2 * n) return { before: list.slice(0, n), after: list.slice(n) };
  throw new TypeError(`${op}: padding must be a number, ${n} numbers or ${2 * n} numbers, got [${list.join(", ")}]`);
}

/** `x` as a scalar expression of `dtype` (numbers are converted; PrimExprs must already match). */
export function scalarOf(op: string, arg: string, x: ExprLike, dtype: DataType): PrimExpr {
  if (x instanceof PrimExpr) {
    if (x.dtype !== dtype) throw new TypeError(`${op}: ${arg} is ${x.dtype} but the tensor is ${dtype}`);
    return x;
  }
  if (typeof x === "number" && !dtype.isFloat() && !Number.isInteger(x)) {
    throw new TypeError(`${op}: ${arg} ${x} is not an integer but the tensor is ${dtype}`);
  }
  return convert(x, dtype);
}

/** Axis names `ax0, ax1, ...` as TVM's C++ operator library names them. */
export function axNames(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `ax${i}`);
}
