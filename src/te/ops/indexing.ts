/**
 * Indexing: strided_slice (numpy/ONNX Slice semantics with negative and clamped bounds),
 * take (numpy.take / ONNX Gather) and gather (ONNX GatherElements / torch.gather). Negative
 * indices count from the end, as in ONNX.
 */
import { PrimExpr } from "../../ir/expr.js";
import { add, cast, convert, floordiv, floormod, lt, max, min, mul, select, sub } from "../../ir/expr_ops.js";
import { Tensor, compute } from "../tensor.js";
import { axNames, checkTensor, constDim, formatShape, normalizeAxis, prodDims } from "./shape_utils.js";
import { unravel } from "./transform.js";

const BIG = 2 ** 31 - 1;
const clampNum = (v: number) => Math.max(-BIG, Math.min(BIG, v));

/**
 * Slices `x[begin:end:stride]` along `axes` (default 0, 1, ...). Bounds may be negative (from
 * the end) or beyond the dimension (clamped), like numpy and ONNX Slice.
 */
export function stridedSlice(
  x: Tensor,
  begin: readonly number[],
  end: readonly number[],
  strides?: readonly number[],
  axes?: readonly number[],
): Tensor {
  const op = "strided_slice";
  checkTensor(op, "x", x);
  const ax = axes === undefined ? begin.map((_, i) => i) : axes.map((a) => normalizeAxis(op, a, x.ndim, "axes entry"));
  const st = strides ?? begin.map(() => 1);
  if (begin.length !== ax.length || end.length !== ax.length || st.length !== ax.length) {
    throw new TypeError(
      `${op}: begin [${begin.join(", ")}], end [${end.join(", ")}], strides [${st.join(", ")}] and axes [${ax.join(", ")}] must have the same length`,
    );
  }
  if (ax.length > x.ndim) throw new TypeError(`${op}: ${ax.length} sliced axes for a ${x.ndim}-D tensor ${formatShape(x.shape)}`);
  if (new Set(ax).size !== ax.length) throw new TypeError(`${op}: axes [${ax.join(", ")}] repeat an axis`);
  for (const v of [...begin, ...end, ...st]) {
    if (!Number.isInteger(v)) throw new TypeError(`${op}: begin, end and strides must be integers, got ${v}`);
  }
  const start: PrimExpr[] = x.shape.map((d) => convert(0, d.dtype));
  const step: number[] = x.shape.map(() => 1);
  const shape: PrimExpr[] = [...x.shape];
  ax.forEach((a, i) => {
    const D = x.shape[a]!;
    const s = st[i]!;
    if (s === 0) throw new RangeError(`${op}: stride for axis ${a} must not be 0`);
    const b = clampNum(begin[i]!), e = clampNum(end[i]!);
    let lo: PrimExpr, len: PrimExpr;
    if (s > 0) {
      const nb = b < 0 ? max(add(D, b), 0) : min(convert(b, D.dtype), D);
      const ne = e < 0 ? max(add(D, e), 0) : min(convert(e, D.dtype), D);
      lo = nb;
      len = max(floordiv(add(sub(ne, nb), s - 1), s), 0);
    } else {
      const nb = b < 0 ? max(add(D, b), -1) : min(convert(b, D.dtype), sub(D, 1));
      const ne = e < 0 ? max(add(D, e), -1) : min(convert(e, D.dtype), sub(D, 1));
      lo = nb;
      len = max(floordiv(add(sub(nb, ne), -s - 1), -s), 0);
    }
    start[a] = lo;
    step[a] = s;
    shape[a] = len;
  });
  return compute(
    shape,
    (...idx) => x.load(idx.map((v, k) => add(start[k]!, mul(v, step[k]!)))),
    "T_strided_slice",
    { tag: "injective", axisNames: axNames(shape.length) },
  );
}

export type TakeMode = "normalize" | "clip" | "wrap";

/** An index value made valid for a dimension of size `dim` according to `mode`. */
function fixIndex(idx: PrimExpr, dim: PrimExpr, mode: TakeMode): PrimExpr {
  const d = dim.dtype === idx.dtype ? dim : cast(idx.dtype, dim);
  switch (mode) {
    case "normalize":
      return select(lt(idx, 0), add(idx, d), idx);
    case "clip":
      return min(max(idx, 0), sub(d, 1));
    case "wrap":
      return floormod(idx, d);
  }
}

function checkIndices(op: string, indices: Tensor): void {
  checkTensor(op, "indices", indices);
  if (!indices.dtype.isIntegral()) throw new TypeError(`${op}: indices must be an integer tensor, got ${indices.dtype}`);
}

function checkMode(op: string, mode: TakeMode): void {
  if (mode !== "normalize" && mode !== "clip" && mode !== "wrap") {
    throw new TypeError(`${op}: mode must be "normalize", "clip" or "wrap", got ${String(mode)}`);
  }
}

/**
 * numpy.take / ONNX Gather: picks entries of `a` along `axis` by `indices`; the result shape is
 * a.shape[:axis] + indices.shape + a.shape[axis+1:]. Without an axis, `a` is flattened first.
 * mode "normalize" (default) maps idx < 0 to idx + dim; "clip" clamps; "wrap" wraps around.
 */
export function take(a: Tensor, indices: Tensor, axis?: number, mode: TakeMode = "normalize"): Tensor {
  const op = "take";
  checkTensor(op, "a", a);
  checkIndices(op, indices);
  checkMode(op, mode);
  const names = (n: number) => axNames(n);
  if (axis === undefined) {
    const total = prodDims(a.shape, a.shape[0]?.dtype);
    return compute(
      indices.shape,
      (...idx) => {
        const i = fixIndex(indices.load(idx), total, mode);
        return a.load(unravel(i, a.shape.map((d) => (d.dtype === i.dtype ? d : cast(i.dtype, d)))));
      },
      "T_take",
      { tag: "injective", axisNames: names(indices.ndim) },
    );
  }
  const ax = normalizeAxis(op, axis, a.ndim);
  const shape = [...a.shape.slice(0, ax), ...indices.shape, ...a.shape.slice(ax + 1)];
  const ni = indices.ndim;
  return compute(
    shape,
    (...idx) => {
      const i = fixIndex(indices.load(idx.slice(ax, ax + ni)), a.shape[ax]!, mode);
      return a.load([...idx.slice(0, ax), i, ...idx.slice(ax + ni)]);
    },
    "T_take",
    { tag: "injective", axisNames: names(shape.length) },
  );
}

/**
 * ONNX GatherElements / torch.gather: out[i, j, ...] = data[..., indices[i, j, ...], ...] with the
 * index replacing position `axis`; indices has the rank of data and the result its shape.
 */
export function gather(data: Tensor, axis: number, indices: Tensor, mode: TakeMode = "normalize"): Tensor {
  const op = "gather";
  checkTensor(op, "data", data);
  checkIndices(op, indices);
  checkMode(op, mode);
  const ax = normalizeAxis(op, axis, data.ndim);
  if (indices.ndim !== data.ndim) {
    throw new TypeError(`${op}: indices must have the rank of data: data is ${formatShape(data.shape)} but indices is ${formatShape(indices.shape)}`);
  }
  indices.shape.forEach((d, k) => {
    const cd = constDim(d), cx = constDim(data.shape[k]!);
    if (k !== ax && cd !== undefined && cx !== undefined && cd > cx) {
      throw new TypeError(`${op}: indices ${formatShape(indices.shape)} is larger than data ${formatShape(data.shape)} in dimension ${k}`);
    }
  });
  return compute(
    indices.shape,
    (...idx) => {
      const i = fixIndex(indices.load(idx), data.shape[ax]!, mode);
      return data.load(idx.map((v, k) => (k === ax ? i : v)));
    },
    "T_gather",
    { tag: "injective", axisNames: axNames(indices.ndim) },
  );
}
