/**
 * Helpers shared by the operators' StructInfo inference: reading tensor arguments, axis
 * normalization, numpy broadcasting over symbolic dims, and the text of struct infos and
 * shapes in error messages.
 */
import { DataType, int64, voidType } from "../../ir/dtype.js";
import { IntImm, type PrimExpr } from "../../ir/expr.js";
import * as E from "../../ir/expr_ops.js";
import { argStructInfo, ShapeExpr, type Call } from "../expr.js";
import { dimText } from "../prim_text.js";
import { compareDims } from "../struct_info_analysis.js";
import {
  FuncStructInfo, ObjectStructInfo, PrimStructInfo, ShapeStructInfo, StructInfo, TensorStructInfo, TupleStructInfo,
} from "../struct_info.js";
import type { InferContext, RelaxOp } from "./registry.js";

/** `R.add`. */
export function opName(call: Call): string {
  const op = call.op as RelaxOp;
  return `R.${op.scriptName}`;
}

export { dimText };

export function shapeText(dims: readonly PrimExpr[]): string {
  return `(${dims.map(dimText).join(", ")}${dims.length === 1 ? "," : ""})`;
}

/** A struct info as TVMScript-like text for messages. */
export function sinfoText(s: StructInfo): string {
  if (s instanceof ObjectStructInfo) return "R.Object";
  if (s instanceof PrimStructInfo) return s.value ? `R.Prim(value=${dimText(s.value)})` : `R.Prim("${s.dtype}")`;
  if (s instanceof ShapeStructInfo) return s.values ? `R.Shape([${s.values.map(dimText).join(", ")}])` : `R.Shape(ndim=${s.ndim})`;
  if (s instanceof TensorStructInfo) {
    const parts: string[] = [];
    const dims = s.dims;
    if (dims) parts.push(shapeText(dims));
    else if (s.ndim >= 0) parts.push(`ndim=${s.ndim}`);
    if (s.dtype !== voidType) parts.push(`dtype="${s.dtype}"`);
    return parts.length ? `R.Tensor(${parts.join(", ")})` : "R.Tensor";
  }
  if (s instanceof TupleStructInfo) return `R.Tuple(${s.fields.map(sinfoText).join(", ")})`;
  if (s instanceof FuncStructInfo) return s.params ? `R.Callable((${s.params.map(sinfoText).join(", ")}), ${sinfoText(s.ret)})` : "R.Callable";
  return s.kind;
}

/** The TensorStructInfo of argument `i`, or an error naming the op and the argument. */
export function tensorArg(call: Call, i: number, name: string): TensorStructInfo {
  const a = call.args[i];
  if (a === undefined) throw new TypeError(`${opName(call)}: missing argument '${name}'`);
  const s = argStructInfo(a);
  if (!(s instanceof TensorStructInfo)) {
    throw new TypeError(`${opName(call)}: argument '${name}' must be a tensor, got ${sinfoText(s)}`);
  }
  return s;
}

export function tensorInfo(dims: readonly PrimExpr[] | undefined, ndim: number, dtype: DataType): TensorStructInfo {
  return dims ? new TensorStructInfo(new ShapeExpr(dims), dtype) : new TensorStructInfo(ndim, dtype);
}

/** The same dtype on both sides, or void when one is unknown; differing known dtypes are an error. */
export function unifyDtype(call: Call, a: DataType, b: DataType, an: string, bn: string): DataType {
  if (a === voidType) return b;
  if (b === voidType || a === b) return a;
  throw new TypeError(`${opName(call)}: dtype mismatch: '${an}' is ${a} but '${bn}' is ${b} (insert R.astype to convert one of them)`);
}

/** Resolves a possibly negative axis against `ndim`. */
export function normalizeAxis(call: Call, axis: number, ndim: number): number {
  if (!Number.isInteger(axis) || axis < -ndim || axis >= ndim) {
    throw new RangeError(`${opName(call)}: axis ${axis} is out of range for a tensor of rank ${ndim} (valid: ${-ndim}..${ndim - 1})`);
  }
  return axis < 0 ? axis + ndim : axis;
}

/** Normalized, distinct axes. */
export function normalizeAxes(call: Call, axes: readonly number[], ndim: number): number[] {
  const out = axes.map((a) => normalizeAxis(call, a, ndim));
  if (new Set(out).size !== out.length) throw new RangeError(`${opName(call)}: axes [${axes.join(", ")}] repeat an axis`);
  return out;
}

/** An integer attribute list (axis=[...]) or a single int. */
export function intList(call: Call, name: string): number[] | undefined {
  const v = call.attrs[name];
  if (v === null || v === undefined) return undefined;
  const xs = Array.isArray(v) ? v : [v];
  for (const x of xs) {
    if (typeof x !== "number" || !Number.isInteger(x)) throw new TypeError(`${opName(call)}: attribute '${name}' must be an int or a list of ints, got ${JSON.stringify(v)}`);
  }
  return xs as number[];
}

export function intAttr(call: Call, name: string): number {
  const v = call.attrs[name];
  if (typeof v !== "number" || !Number.isInteger(v)) throw new TypeError(`${opName(call)}: attribute '${name}' must be an int, got ${JSON.stringify(v)}`);
  return v;
}

export function dtypeAttr(call: Call, name: string): DataType {
  const v = call.attrs[name];
  const t = typeof v === "string" ? DataType.tryParse(v) : undefined;
  if (!t) throw new TypeError(`${opName(call)}: attribute '${name}' must be a dtype string such as "float32", got ${JSON.stringify(v)}`);
  return t;
}

/**
 * Numpy broadcasting of two shapes. Returns undefined when a pair of symbolic dims can be
 * neither proved equal nor one of them proved 1 (the result rank is still known); throws when
 * two dims provably differ and neither is 1.
 */
export function broadcastDims(
  call: Call,
  a: readonly PrimExpr[],
  b: readonly PrimExpr[],
  ctx: InferContext,
  names: readonly [string, string] = ["x1", "x2"],
): PrimExpr[] | undefined {
  const n = Math.max(a.length, b.length);
  const out: PrimExpr[] = new Array(n);
  let known = true;
  for (let i = 1; i <= n; i++) {
    const x = a[a.length - i], y = b[b.length - i];
    if (x === undefined) out[n - i] = y!;
    else if (y === undefined) out[n - i] = x;
    else if (E.isConstInt(x, 1)) out[n - i] = y;
    else if (E.isConstInt(y, 1)) out[n - i] = x;
    else {
      const c = compareDims(x, y, ctx.analyzer);
      if (c === "pass") out[n - i] = x;
      else if (c === "fail") {
        throw new TypeError(
          `${opName(call)}: shapes ${shapeText(a)} ('${names[0]}') and ${shapeText(b)} ('${names[1]}') are not broadcastable: ` +
            `dimension ${dimText(x)} vs ${dimText(y)} (dims must be equal or 1)`,
        );
      } else known = false;
    }
  }
  return known ? out : undefined;
}

export function int64Imm(v: number): IntImm {
  return new IntImm(int64, v);
}

/** Product of dims, simplified. */
export function product(dims: readonly PrimExpr[], ctx: InferContext): PrimExpr {
  let p: PrimExpr = int64Imm(1);
  for (const d of dims) p = E.mul(p, d);
  return ctx.analyzer.simplify(p);
}
