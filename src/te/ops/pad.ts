/**
 * Padding: constant (any value; negative widths crop), edge (repeat the border element) and
 * reflect (mirror without repeating the border, numpy's "reflect").
 */
import type { PrimExpr } from "../../ir/expr.js";
import { add, and, ge, ifThenElse, lt, max, min, mul, select, sub, type ExprLike } from "../../ir/expr_ops.js";
import { Tensor, compute } from "../tensor.js";
import { axNames, checkTensor, constDim, formatShape, scalarOf } from "./shape_utils.js";

export type PadMode = "constant" | "edge" | "reflect";

export interface PadOptions {
  /** The fill value for constant padding (default 0). */
  value?: ExprLike;
  mode?: PadMode;
  /** The compute's name (default "T_pad"; convolutions use "pad_temp"). */
  name?: string;
}

function widths(op: string, arg: string, w: readonly number[] | undefined, ndim: number, fallback?: readonly number[]): number[] {
  const list = w === undefined ? [...(fallback ?? [])] : [...w];
  if (list.length !== ndim) throw new TypeError(`${op}: ${arg} has ${list.length} entries for a ${ndim}-D tensor`);
  for (const x of list) if (!Number.isInteger(x)) throw new TypeError(`${op}: ${arg} entries must be integers, got [${list.join(", ")}]`);
  return list;
}

/** Pads `x` by `before[i]` elements before and `after[i]` (default: `before[i]`) after dim i. */
export function pad(x: Tensor, before: readonly number[], after?: readonly number[], opts: PadOptions = {}): Tensor {
  const op = "pad";
  checkTensor(op, "x", x);
  const mode = opts.mode ?? "constant";
  if (mode !== "constant" && mode !== "edge" && mode !== "reflect") {
    throw new TypeError(`${op}: mode must be "constant", "edge" or "reflect", got ${String(mode)}`);
  }
  const b = widths(op, "pad_before", before, x.ndim);
  const a = widths(op, "pad_after", after, x.ndim, b);
  const shape = x.shape.map((d, i) => add(add(d, b[i]!), a[i]!));
  shape.forEach((d, i) => {
    const v = constDim(d);
    if (v !== undefined && v < 0) {
      throw new RangeError(`${op}: padding [${b.join(", ")}] / [${a.join(", ")}] crops more than dimension ${i} of ${formatShape(x.shape)} holds`);
    }
    if (mode !== "constant" && (b[i]! < 0 || a[i]! < 0)) throw new RangeError(`${op}: ${mode} padding must not be negative, got [${b.join(", ")}] / [${a.join(", ")}]`);
    const n = constDim(x.shape[i]!);
    if (mode === "reflect" && n !== undefined && (b[i]! >= n || a[i]! >= n) && (b[i]! > 0 || a[i]! > 0)) {
      throw new RangeError(`${op}: reflect padding of dimension ${i} must be smaller than its size ${n}, got ${b[i]} / ${a[i]}`);
    }
    if (mode === "edge" && n === 0 && (b[i]! > 0 || a[i]! > 0)) throw new RangeError(`${op}: cannot edge-pad the empty dimension ${i}`);
  });
  const name = opts.name ?? "T_pad";
  const names = axNames(x.ndim);
  if (mode === "constant") {
    const value = scalarOf(op, "value", opts.value ?? 0, x.dtype);
    return compute(
      shape,
      (...idx) => {
        let cond: PrimExpr | undefined;
        const src = idx.map((i, k) => {
          if (b[k] === 0 && a[k] === 0) return i;
          const c = and(ge(i, b[k]!), lt(i, add(x.shape[k]!, b[k]!)));
          cond = cond ? and(cond, c) : c;
          return sub(i, b[k]!);
        });
        return cond ? ifThenElse(cond, x.load(src), value) : x.load(src);
      },
      name,
      { tag: "injective,pad", axisNames: names },
    );
  }
  return compute(
    shape,
    (...idx) => {
      const src = idx.map((i, k) => {
        if (b[k] === 0 && a[k] === 0) return i;
        const d = x.shape[k]!;
        const r = sub(i, b[k]!);
        if (mode === "edge") return min(max(r, 0), sub(d, 1));
        const m = select(lt(r, 0), mul(r, -1), r);
        return select(ge(m, d), sub(mul(sub(d, 1), 2), m), m);
      });
      return x.load(src);
    },
    name,
    { tag: "injective,pad", axisNames: names },
  );
}
