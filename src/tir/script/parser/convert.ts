/**
 * Conversions from script values to what IR constructors take, each failing with a located
 * message that names what was expected: expressions, integers, dtypes, shapes, annotation
 * dicts, buffer loads / store indices / regions out of `A[...]`.
 */
import { Buffer, BufferRegion } from "../../../ir/buffer.js";
import { DataType, bool, float32, int32, int64 } from "../../../ir/dtype.js";
import { Add, BufferLoad, FloatImm, GlobalVar, IntImm, PrimExpr, Ramp, Range, StringImm } from "../../../ir/expr.js";
import * as E from "../../../ir/expr_ops.js";
import { structuralEqual } from "../../../ir/structural.js";
import { IterVar, type AttrValue } from "../../stmt.js";
import type { Span } from "../python/ast.js";
import type { ParseContext } from "./context.js";
import {
  BufferAccess, DataTypeValue, DictValue, FuncRef, MetaVar, PyFloat, SliceValue, describe, type ScriptValue,
} from "./values.js";

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/** A Python int as TVM converts it: int32 when it fits, int64 otherwise. */
export function intConst(v: number): IntImm {
  return new IntImm(v >= INT32_MIN && v <= INT32_MAX ? int32 : int64, v);
}

export function unwrapMeta(v: ScriptValue): ScriptValue {
  return v instanceof MetaVar ? v.value : v;
}

/** Any value usable as a PrimExpr: literals become constants, `A[i]` a load. */
export function toExpr(ctx: ParseContext, v: ScriptValue, span: Span, what: string): PrimExpr {
  v = unwrapMeta(v);
  if (v instanceof PrimExpr) return v;
  if (typeof v === "number") return intConst(v);
  if (typeof v === "boolean") return new IntImm(bool, v ? 1 : 0);
  if (v instanceof PyFloat) return E.constant(v.value, float32);
  if (typeof v === "string") return new StringImm(v);
  if (v instanceof BufferAccess) return loadOf(ctx, v);
  return ctx.fail(`${what}: expected an expression, got ${describe(v)}`, span);
}

/** A Python int, or an integer constant. */
export function toInt(ctx: ParseContext, v: ScriptValue, span: Span, what: string): number {
  v = unwrapMeta(v);
  if (typeof v === "number") return v;
  if (typeof v === "boolean") return v ? 1 : 0;
  if (v instanceof IntImm && !v.dtype.isBool()) return v.value;
  return ctx.fail(`${what}: expected an integer constant, got ${describe(v)}`, span);
}

export function toStr(ctx: ParseContext, v: ScriptValue, span: Span, what: string): string {
  v = unwrapMeta(v);
  if (typeof v === "string") return v;
  if (v instanceof StringImm) return v.value;
  return ctx.fail(`${what}: expected a string, got ${describe(v)}`, span);
}

export function toBool(ctx: ParseContext, v: ScriptValue, span: Span, what: string): boolean {
  v = unwrapMeta(v);
  if (typeof v === "boolean") return v;
  if (typeof v === "number" && (v === 0 || v === 1)) return v === 1;
  if (v instanceof IntImm && v.dtype.isBool()) return v.value !== 0;
  return ctx.fail(`${what}: expected True or False, got ${describe(v)}`, span);
}

/** `"float32"`, `T.float32`, or a DataType. */
export function toDType(ctx: ParseContext, v: ScriptValue, span: Span, what: string): DataType {
  v = unwrapMeta(v);
  if (v instanceof DataTypeValue) return v.dtype;
  if (typeof v === "string") {
    const t = DataType.tryParse(v);
    if (t) return t;
    return ctx.fail(
      `${what}: unknown dtype "${v}" (expected e.g. "float32", "int64", "float16x4", "bool", "handle")`,
      span,
    );
  }
  return ctx.fail(`${what}: expected a dtype such as "float32", got ${describe(v)}`, span);
}

/** A list/tuple of values, or one value taken as a list of one. */
export function toList(v: ScriptValue): readonly ScriptValue[] {
  v = unwrapMeta(v);
  return Array.isArray(v) ? v : [v];
}

/** A shape or an extent list: `(n, 128)`, `[n]`, or a bare `128`. */
export function toExprList(ctx: ParseContext, v: ScriptValue, span: Span, what: string): PrimExpr[] {
  return toList(v).map((x, i) => toExpr(ctx, x, span, `${what}[${i}]`));
}

/** An integer-typed expression (indices, extents, shapes). */
export function toIndex(ctx: ParseContext, v: ScriptValue, span: Span, what: string): PrimExpr {
  const e = toExpr(ctx, v, span, what);
  if (!e.dtype.isIntegral()) ctx.fail(`${what}: expected an integer expression, got ${describe(e)}`, span);
  return e;
}

/**
 * A value of an annotation / attribute dict: literals stay literals, IR values stay nodes
 * (expressions, and the buffers, regions, ranges, iter vars and functions the printer writes).
 * `A[i]` is a load unless it has a slice, which makes it a region.
 */
export function toAttrValue(ctx: ParseContext, v: ScriptValue, span: Span): AttrValue {
  v = unwrapMeta(v);
  if (typeof v === "number" || typeof v === "string" || typeof v === "boolean") return v;
  if (v instanceof PyFloat) return v.value;
  if (v instanceof PrimExpr) return v;
  if (v instanceof FuncRef) return v.gv;
  if (v instanceof BufferAccess) {
    return v.indices.some((i) => i instanceof SliceValue) ? regionOf(ctx, v, span, "annotation value") : loadOf(ctx, v);
  }
  if (v instanceof Buffer || v instanceof BufferRegion || v instanceof Range || v instanceof IterVar || v instanceof GlobalVar) return v;
  if (Array.isArray(v)) return v.map((x) => toAttrValue(ctx, x, span));
  if (v instanceof DictValue) return toAnnotations(ctx, v, span, "nested dict");
  return ctx.fail(`annotation value: expected a literal, a list, a dict or an expression, got ${describe(v)}`, span);
}

/** `{"key": value, ...}` with string keys. */
export function toAnnotations(ctx: ParseContext, v: ScriptValue, span: Span, what: string): Record<string, AttrValue> {
  v = unwrapMeta(v);
  if (v === null || v === undefined) return {};
  if (!(v instanceof DictValue)) return ctx.fail(`${what}: expected a dict like {"key": value}, got ${describe(v)}`, span);
  const out: Record<string, AttrValue> = {};
  for (const [k, x] of v.entries) {
    if (typeof k !== "string") ctx.fail(`${what}: keys must be strings, got ${describe(k)}`, span);
    out[k] = toAttrValue(ctx, x, span);
  }
  return out;
}

/** Converts a Python literal to a constant of `dtype`; PrimExprs must already have it. */
export function valueOfType(ctx: ParseContext, v: ScriptValue, dtype: DataType, span: Span, what: string): PrimExpr {
  v = unwrapMeta(v);
  if (typeof v === "number" || typeof v === "boolean") {
    if (dtype.element().isHandle()) ctx.fail(`${what}: cannot use ${describe(v)} as a ${dtype} value`, span);
    if (dtype.element().isBool() && typeof v === "number" && v !== 0 && v !== 1) {
      ctx.fail(`${what}: ${describe(v)} is not a bool value`, span);
    }
    return ctx.guard(span, () => E.constant(v as number | boolean, dtype));
  }
  if (v instanceof PyFloat) {
    if (!dtype.isFloat()) ctx.fail(`${what}: cannot use ${describe(v)} as a ${dtype} value`, span);
    return ctx.guard(span, () => E.constant(v.value, dtype));
  }
  const e = toExpr(ctx, v, span, what);
  if (e.dtype !== dtype) ctx.fail(`${what}: expected a ${dtype} value, got ${describe(e)}`, span);
  return e;
}

/**
 * The extent of the half-open range [lo, hi). The printer writes ranges as `min:min + extent`,
 * so that shape is recognised first; otherwise `hi - lo` is simplified.
 */
export function extentBetween(ctx: ParseContext, lo: PrimExpr, hi: PrimExpr): PrimExpr {
  if (hi instanceof Add && hi.b.dtype === lo.dtype && structuralEqual(hi.a, lo)) return hi.b;
  const d = E.sub(hi, lo);
  return d instanceof IntImm || d instanceof FloatImm ? d : ctx.analyzer.simplify(d);
}

/** Both ends of a `(lo, hi)` pair or slice, brought to one integer type. */
export function rangeFromBounds(ctx: ParseContext, lo: ScriptValue, hi: ScriptValue, span: Span, what: string): Range {
  const [a, b] = ctx.guard(span, () =>
    E.matchTypes(operandOf(ctx, lo, span, `${what} start`), operandOf(ctx, hi, span, `${what} stop`)),
  );
  if (!a.dtype.isIntegral()) ctx.fail(`${what}: bounds must be integers, got ${describe(a)}`, span);
  return ctx.guard(span, () => new Range(a, extentBetween(ctx, a, b)));
}

/** A value as an operand of an expr_ops builder (Python ints stay numbers so they adopt the other side's type). */
export function operandOf(ctx: ParseContext, v: ScriptValue, span: Span, what: string): E.ExprLike {
  v = unwrapMeta(v);
  if (typeof v === "number" || typeof v === "boolean") return v;
  return toExpr(ctx, v, span, what);
}

// ------------------------------------------------------------------ buffer accesses

/** Parts of `lo:hi:step`; a negative step (a descending vector access) only when `descending`. */
function sliceParts(
  ctx: ParseContext, s: SliceValue, buffer: Buffer, dim: number, descending = false,
): { lo: PrimExpr; ext: PrimExpr; step: number } {
  const what = `slice of buffer ${buffer.name}`;
  const step = s.step === undefined || s.step === null ? 1 : toInt(ctx, s.step, s.span, `${what} step`);
  if (step === 0 || (step < 0 && !descending)) ctx.fail(`${what}: the step must be a positive integer, got ${step}`, s.span);
  const hiV = s.upper === undefined || s.upper === null ? buffer.shape[dim]! : s.upper;
  const loV = s.lower === undefined || s.lower === null ? 0 : s.lower;
  const r = rangeFromBounds(ctx, loV, hiV, s.span, what);
  return { lo: r.min, ext: r.extent, step };
}

function checkRank(ctx: ParseContext, a: BufferAccess): void {
  const n = a.buffer.shape.length;
  if (a.indices.length !== n) {
    ctx.fail(
      `buffer ${a.buffer.name} has ${n} dimension${n === 1 ? "" : "s"} but is indexed with ${a.indices.length} ${a.indices.length === 1 ? "index" : "indices"}`,
      a.span,
    );
  }
}

/** Load/store indices: a slice `lo:hi[:step]` becomes a Ramp (a vector access). */
export function accessIndices(ctx: ParseContext, a: BufferAccess): PrimExpr[] {
  checkRank(ctx, a);
  return a.indices.map((ix, dim) => {
    if (!(ix instanceof SliceValue)) return ix;
    const { lo, ext, step } = sliceParts(ctx, ix, a.buffer, dim, true);
    if (!(ext instanceof IntImm)) {
      ctx.fail(`vector access to buffer ${a.buffer.name}: the slice length must be a constant, got ${describe(ext)}`, ix.span);
    }
    const lanes = Math.ceil(ext.value / step);
    if (lanes < 1) ctx.fail(`vector access to buffer ${a.buffer.name}: the slice is empty`, ix.span);
    if (lanes === 1) return lo;
    return ctx.guard(ix.span, () => new Ramp(lo, new IntImm(lo.dtype, step), lanes));
  });
}

export function loadOf(ctx: ParseContext, a: BufferAccess): BufferLoad {
  const idx = accessIndices(ctx, a);
  return ctx.guard(a.span, () => new BufferLoad(a.buffer, idx));
}

/** `A[vi, 0:16]` as a region: an index covers one element, a slice `lo:hi` the range [lo, hi). */
export function regionOf(ctx: ParseContext, v: ScriptValue, span: Span, what: string): BufferRegion {
  v = unwrapMeta(v);
  if (v instanceof BufferRegion) return v;
  if (v instanceof BufferAccess) {
    checkRank(ctx, v);
    const ranges = v.indices.map((ix, dim) => {
      if (ix instanceof SliceValue) {
        const { lo, ext, step } = sliceParts(ctx, ix, v.buffer, dim);
        if (step !== 1) ctx.fail(`${what}: a region slice cannot have a step`, ix.span);
        return new Range(lo, ext);
      }
      if (!ix.dtype.isIntegral() || ix.dtype.lanes !== 1) {
        ctx.fail(`${what}: index of buffer ${v.buffer.name} must be a scalar integer, got ${describe(ix)}`, v.span);
      }
      return new Range(ix, new IntImm(ix.dtype, 1));
    });
    return ctx.guard(v.span, () => new BufferRegion(v.buffer, ranges));
  }
  if ((v as { kind?: string } | null)?.kind === "Buffer") return (v as Buffer).fullRegion();
  return ctx.fail(`${what}: expected a buffer region like A[vi, 0:16], got ${describe(v)}`, span);
}

/**
 * Two operands of an arithmetic builder. Python ints stay numbers (they take the other
 * side's type); a Python float takes the other side's type when that is a float, else it is
 * a float32 constant (so `i + 0.5` promotes the integer, as in TVM).
 */
export function binaryOperands(
  ctx: ParseContext, x: ScriptValue, xs: Span, y: ScriptValue, ys: Span, what: string,
): [E.ExprLike, E.ExprLike] {
  const a = pyFloatOperand(ctx, unwrapMeta(x), unwrapMeta(y), xs, what);
  const b = pyFloatOperand(ctx, unwrapMeta(y), unwrapMeta(x), ys, what);
  return [a, b];
}

function pyFloatOperand(ctx: ParseContext, v: ScriptValue, other: ScriptValue, span: Span, what: string): E.ExprLike {
  if (!(v instanceof PyFloat)) return operandOf(ctx, v, span, what);
  const o = other instanceof BufferAccess ? loadOf(ctx, other) : other;
  if (o instanceof PrimExpr && o.dtype.isFloat()) return v.value;
  return E.constant(v.value, float32);
}
