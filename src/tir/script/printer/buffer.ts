/**
 * Buffers in TVMScript: declarations (`T.match_buffer`, `T.alloc_buffer`, `T.decl_buffer`,
 * `T.Buffer(...)` annotations), buffer references, index lists and regions.
 *
 * A declaration may also define variables that appear in the buffer's fields: a new data
 * pointer becomes `A.data`, a new stride or element offset used only there is defined inline
 * (`strides=("s0", 1)`, `offset_factor=`), and new shape variables get an out-of-line
 * `n = T.int32()` line just before the declaration.
 */
import type { Buffer, BufferRegion } from "../../../ir/buffer.js";
import { float32, int32 } from "../../../ir/dtype.js";
import { IntImm, type PrimExpr, type Ramp, type Var } from "../../../ir/expr.js";
import * as E from "../../../ir/expr_ops.js";
import { countVarsInto, isIntConst } from "./analysis.js";
import type { Frame, PrinterContext } from "./context.js";
import { line } from "./doc.js";
import { exprText, varCreation } from "./expr.js";
import { callText, dtypeName, formatInt, quote, tupleText } from "./literal.js";

/**
 * Which variables a declaration defines along with the buffer (TVM's BufferVarDefinition):
 * `none` (everything defined before, e.g. DeclBuffer), `data` (the data pointer, e.g.
 * alloc_buffer), `match` (data pointer plus new strides / offset, e.g. match_buffer).
 */
export type BufferVarDefs = "none" | "data" | "match";

const KWARG_ORDER = ["data", "strides", "elem_offset", "scope", "align", "offset_factor", "buffer_type", "axis_separators"] as const;

interface BufferAttrs {
  shape: string;
  dtype?: string;
  kwargs: Map<string, string>;
}

function isVarNode(e: PrimExpr): e is Var {
  return e.kind === "Var" || e.kind === "SizeVar";
}

function bufferAttrs(p: PrinterContext, buffer: Buffer, frame: Frame, defs: BufferVarDefs): BufferAttrs {
  const useCount = new Map<Var, number>();
  countVarsInto(buffer.elemOffset, useCount);
  countVarsInto(buffer.data, useCount);
  for (const e of buffer.strides) countVarsInto(e, useCount);
  for (const e of buffer.shape) countVarsInto(e, useCount);

  const isNewVar = (e: PrimExpr): e is Var => isVarNode(e) && !p.isDefined(e);
  const declLhs: string[] = [];
  const declRhs: string[] = [];
  const outOfLine = (v: Var) => {
    declLhs.push(p.define(v, v.name, frame));
    declRhs.push(varCreation(p, v));
  };
  const tryInline = (v: Var, doc: () => string): boolean => {
    if (useCount.get(v) === 1) {
      p.defineInline(v, doc, frame);
      return true;
    }
    outOfLine(v);
    return false;
  };
  // The buffer is usually defined by the time these are printed; DeclBuffer defines it after.
  const self = () => bufferRef(p, buffer);

  const shape = buffer.shape.map((e) => {
    if (isNewVar(e)) outOfLine(e);
    return exprText(p, e);
  });
  const attrs: BufferAttrs = { shape: tupleText(shape), kwargs: new Map() };
  if (buffer.dtype !== float32) attrs.dtype = quote(dtypeName(buffer.dtype));

  let inlineData = false;
  if (isNewVar(buffer.data)) {
    if (defs !== "none") inlineData = tryInline(buffer.data, () => `${self()}.data`);
    else outOfLine(buffer.data);
  }
  if (!inlineData) attrs.kwargs.set("data", exprText(p, buffer.data));

  if (buffer.strides.length > 0) {
    const strides = buffer.strides.map((e, i) => {
      if (isNewVar(e) && tryInline(e, () => `${self()}.strides[${i}]`)) return quote(e.name);
      return exprText(p, e);
    });
    attrs.kwargs.set("strides", tupleText(strides));
  }

  let needsFactor = false;
  const off = buffer.elemOffset;
  if (off.kind === "IntImm") {
    // Left out, the offset reads back as 0 of the shape's index type, or, next to a non-zero
    // offset_factor other than 1, as a new symbolic offset (TVM's rule); say it then.
    const implicit = (off as IntImm).value === 0 && off.dtype === (buffer.shape[0]?.dtype ?? int32) &&
      (buffer.offsetFactor === 1 || buffer.offsetFactor === 0);
    if (!implicit) attrs.kwargs.set("elem_offset", exprText(p, off));
  } else if (isNewVar(off)) {
    // TVM drops the offset when it cannot be inlined; printing it keeps the text faithful.
    if (!tryInline(off, () => `${self()}.elem_offset`)) attrs.kwargs.set("elem_offset", exprText(p, off));
    needsFactor = true;
  } else {
    attrs.kwargs.set("elem_offset", exprText(p, off));
  }
  if (buffer.scope !== "global") attrs.kwargs.set("scope", quote(buffer.scope));
  if (buffer.dataAlignment !== 64) attrs.kwargs.set("align", formatInt(buffer.dataAlignment));
  if (needsFactor || buffer.offsetFactor !== 1) attrs.kwargs.set("offset_factor", formatInt(buffer.offsetFactor));
  if (buffer.bufferType !== "default") attrs.kwargs.set("buffer_type", quote("auto"));
  if (buffer.axisSeparators.length > 0) attrs.kwargs.set("axis_separators", `[${buffer.axisSeparators.map(formatInt).join(", ")}]`);

  if (declLhs.length === 1) frame.stmts.push(line(`${declLhs[0]} = ${declRhs[0]}`));
  else if (declLhs.length > 1) frame.stmts.push(line(`${declLhs.join(", ")} = ${declRhs.join(", ")}`));
  return attrs;
}

/**
 * `T.<method>(leading..., shape, dtype, data=..., ...)`; may push variable declarations to
 * `frame` first. The buffer itself must be defined by the caller.
 */
export function bufferDecl(
  p: PrinterContext, buffer: Buffer, callee: string, leading: readonly string[], frame: Frame, defs: BufferVarDefs,
): string {
  const attrs = bufferAttrs(p, buffer, frame, defs);
  const args = [...leading, attrs.shape];
  if (attrs.dtype !== undefined) args.push(attrs.dtype);
  const kwargs: Array<[string, string]> = [];
  for (const k of KWARG_ORDER) {
    const v = attrs.kwargs.get(k);
    if (v !== undefined) kwargs.push([k, v]);
  }
  return callText(callee, args, kwargs);
}

/** The parameter annotation of an inlined buffer: `T.Buffer((128, 128), "float32")`. */
export function bufferAnnotation(p: PrinterContext, buffer: Buffer, frame: Frame): string {
  const attrs = bufferAttrs(p, buffer, frame, "data");
  return callText(p.T("Buffer"), [attrs.shape, attrs.dtype ?? quote(dtypeName(buffer.dtype))]);
}

/**
 * The printed name of a buffer. A buffer used where it was never defined is declared like a
 * free variable, `A = T.Buffer((128,))`: right after the Allocate / LetStmt that defines its
 * data when there is one (in that statement's body, before the first statement using the
 * buffer), otherwise at the top of the enclosing function.
 */
export function bufferRef(p: PrinterContext, buffer: Buffer): string {
  const d = p.lookup(buffer);
  if (d !== undefined) return p.markText(buffer, d);
  const f = p.dataFrames.get(buffer.data) ?? p.declFrame ?? p.top();
  const name = p.define(buffer, buffer.name, f, "buffer");
  const rhs = bufferDecl(p, buffer, p.T("Buffer"), [], f, "data");
  f.stmts.push(line(`${name} = ${rhs}`));
  return p.markText(buffer, name);
}

/**
 * Index list of a load/store; a ramp with a constant non-zero stride prints as a slice. A
 * slice has no spelling for stride 0 (`n:n:0` is an empty slice to Python and an error to
 * the parser), so that ramp stays `T.Ramp(n, 0, 4)`. The indices of `vload` / `vstore` are a
 * list, where a slice is not valid Python: pass `slices: false` there (TVM prints `T.Ramp`).
 */
export function bufferIndices(p: PrinterContext, indices: readonly PrimExpr[], slices = true): string[] {
  return indices.map((idx) => {
    if (slices && idx.kind === "Ramp") {
      const r = idx as Ramp;
      if (r.stride.kind === "IntImm" && (r.stride as IntImm).value !== 0) {
        const stride = (r.stride as IntImm).value;
        const start = exprText(p, r.base);
        const stop = rampStop(r, stride);
        if (stop !== undefined) {
          const s = `${start}:${exprText(p, stop)}`;
          return p.markText(idx, stride === 1 ? s : `${s}:${exprText(p, r.stride)}`);
        }
      }
    }
    return exprText(p, idx);
  });
}

function rampStop(r: Ramp, stride: number): PrimExpr | undefined {
  try {
    return E.add(r.base, new IntImm(r.stride.dtype, r.lanes * stride));
  } catch {
    return undefined;
  }
}

/** `A[vi, 0:128]`: extent-1 ranges print as points, others as `min:min + extent`. */
export function regionText(p: PrinterContext, region: BufferRegion): string {
  const buf = bufferRef(p, region.buffer);
  const parts = region.region.map((r) => {
    const min = exprText(p, r.min);
    if (isIntConst(r.extent, 1)) return min;
    return `${min}:${exprText(p, E.add(r.min, r.extent))}`;
  });
  return p.markText(region, parts.length === 0 ? `${buf}[()]` : `${buf}[${parts.join(", ")}]`);
}
