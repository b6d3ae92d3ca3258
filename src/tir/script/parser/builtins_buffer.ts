/**
 * Buffer builtins: `T.Buffer` (parameter annotations and free buffer declarations),
 * `T.match_buffer` (function parameters, or a region inside a block), `T.alloc_buffer` /
 * `T.sblock_alloc_buffer` (root or block allocations), `T.decl_buffer` and `T.allocate`.
 */
import { Buffer, BufferRegion, type BufferOptions } from "../../../ir/buffer.js";
import { float32, handle, int32 } from "../../../ir/dtype.js";
import { PrimExpr, Var } from "../../../ir/expr.js";
import { Allocate, DeclBuffer, MatchBufferRegion, TRUE } from "../../stmt.js";
import type { ParseContext } from "./context.js";
import {
  regionOf, toAnnotations, toDType, toExpr, toExprList, toIndex, toInt, toList, toStr, unwrapMeta,
} from "./convert.js";
import { builtin } from "./signature.js";
import {
  BufferAccess, ScopeFrame, describe, isVarValue, type Arg, type BoundArgs, type Builtin, type CallSite,
} from "./values.js";

const BUFFER_FIELDS = "dtype?, data?, strides?, elem_offset?, scope?, align?, offset_factor?, buffer_type?, axis_separators?";

function has(a: BoundArgs, name: string): Arg | undefined {
  const x = a.get(name);
  return x && x.value !== null && x.value !== undefined ? x : undefined;
}

/** Builds a buffer from the common keyword set of T.Buffer / match_buffer / alloc_buffer / decl_buffer. */
export function bufferFromArgs(ctx: ParseContext, name: string, a: BoundArgs, what: string, span: CallSite["span"]): Buffer {
  const shapeArg = a.get("shape");
  if (!shapeArg) ctx.fail(`${what}() missing required argument 'shape'`, span);
  const shape = toList(shapeArg.value).map((x, i) => toIndex(ctx, x, shapeArg.span, `${what} shape[${i}]`));
  const idxType = shape[0]?.dtype ?? int32;
  const d = has(a, "dtype");
  const dtype = d ? toDType(ctx, d.value, d.span, `${what} dtype`) : float32;
  const opts: BufferOptions & { scope?: string } = {};

  const data = has(a, "data");
  if (data) {
    const v = unwrapMeta(data.value);
    if (!isVarValue(v) || !v.dtype.isHandle()) ctx.fail(`${what} data: expected a handle variable, got ${describe(v)}`, data.span);
    opts.data = v;
  }
  const strides = has(a, "strides");
  if (strides) {
    opts.strides = toList(strides.value).map((s, i) => {
      // TVM spells a stride defined right here as a string: strides=("s0", 1).
      if (typeof s === "string") return new Var(s, idxType);
      return toIndex(ctx, s, strides.span, `${what} strides[${i}]`);
    });
  }
  const off = has(a, "elem_offset");
  if (off) opts.elemOffset = toIndex(ctx, off.value, off.span, `${what} elem_offset`);
  const scope = has(a, "scope");
  if (scope) opts.scope = toStr(ctx, scope.value, scope.span, `${what} scope`);
  const align = has(a, "align");
  if (align) {
    const n = toInt(ctx, align.value, align.span, `${what} align`);
    if (n > 0) opts.dataAlignment = n;
  }
  const factor = has(a, "offset_factor");
  if (factor) {
    const n = toInt(ctx, factor.value, factor.span, `${what} offset_factor`);
    if (n < 0) ctx.fail(`${what} offset_factor: expected a non-negative integer, got ${n}`, factor.span);
    opts.offsetFactor = n;
    // As in TVM: an offset factor without an explicit offset declares a symbolic offset.
    if (!off && n !== 0) opts.elemOffset = new Var(`${name}_elem_offset`, idxType);
  }
  const bt = has(a, "buffer_type");
  if (bt) {
    const s = toStr(ctx, bt.value, bt.span, `${what} buffer_type`);
    if (s === "auto" || s === "auto_broadcast") opts.bufferType = "auto_broadcast";
    else if (s === "default" || s === "") opts.bufferType = "default";
    else ctx.fail(`${what} buffer_type: expected "auto" or "default", got "${s}"`, bt.span);
  }
  const seps = has(a, "axis_separators");
  if (seps) opts.axisSeparators = toList(seps.value).map((x, i) => toInt(ctx, x, seps.span, `${what} axis_separators[${i}]`));
  const buf = ctx.guard(span, () => new Buffer(name, dtype, shape, opts));
  ctx.noteBuffer(buf);
  return buf;
}

function bufferName(site: CallSite, fallback: string): string {
  return site.names?.[0] ?? fallback;
}

/** `T.Buffer(shape, dtype, ...)`: a buffer object (a parameter annotation, or a declaration over `data=`). */
function bufferCall(what: string): Builtin {
  return builtin(what, `shape, ${BUFFER_FIELDS}`, (a, site) => bufferFromArgs(site.ctx, bufferName(site, "buffer"), a, what, site.span));
}

function matchBuffer(a: BoundArgs, site: CallSite): Buffer {
  const ctx: ParseContext = site.ctx;
  const p = a.get("param")!;
  const src = unwrapMeta(p.value);
  const name = bufferName(site, "buffer");
  if (isVarValue(src)) {
    const func = ctx.requireFunc("T.match_buffer", site.span);
    if (!func.params.includes(src) || !src.dtype.isHandle()) {
      ctx.fail(`T.match_buffer: ${src.name} is not a T.handle parameter of the function`, p.span);
    }
    const prev = func.bufferMap.get(src);
    if (prev) ctx.fail(`T.match_buffer: parameter ${src.name} is already matched to buffer ${prev.name}`, p.span);
    if (ctx.nearestBlock()) ctx.fail("T.match_buffer of a parameter must be at the top of the function, outside blocks", site.span);
    const buf = bufferFromArgs(ctx, name, a, "T.match_buffer", site.span);
    func.bufferMap.set(src, buf);
    return buf;
  }
  if (src instanceof BufferAccess || src instanceof BufferRegion || (src as { kind?: string } | null)?.kind === "Buffer") {
    const block = ctx.directBlock();
    if (!block) ctx.fail("T.match_buffer of a buffer region must be directly inside a `with T.block(...)`", site.span);
    const region = regionOf(ctx, src, p.span, "T.match_buffer source");
    const buf = bufferFromArgs(ctx, name, a, "T.match_buffer", site.span);
    block.matchBuffers.push(ctx.guard(site.span, () => new MatchBufferRegion(buf, region)));
    return buf;
  }
  return ctx.fail(`T.match_buffer: expected a T.handle parameter or a buffer region like A[vi, 0:16], got ${describe(src)}`, p.span);
}

function allocBuffer(what: string): Builtin {
  return builtin(what, `shape, ${BUFFER_FIELDS}`, (a, site) => {
    const ctx: ParseContext = site.ctx;
    const func = ctx.requireFunc(what, site.span);
    const buf = bufferFromArgs(ctx, bufferName(site, "buffer"), a, what, site.span);
    const block = ctx.nearestBlock();
    if (block) block.allocBuffers.push(buf);
    else func.rootAllocs.push(buf);
    return buf;
  });
}

/** `A = T.decl_buffer(...)`: DeclBuffer over `data=`, or Allocate + DeclBuffer without it. */
function declBuffer(a: BoundArgs, site: CallSite): ScopeFrame {
  const ctx: ParseContext = site.ctx;
  ctx.requireFunc("T.decl_buffer", site.span);
  const buf = bufferFromArgs(ctx, bufferName(site, "buffer"), a, "T.decl_buffer", site.span);
  const allocates = !has(a, "data");
  return new ScopeFrame(buf, (body) => {
    const decl = new DeclBuffer(buf, body);
    return allocates ? ctx.guard(site.span, () => new Allocate(buf.data, buf.dtype, buf.shape, TRUE, decl)) : decl;
  });
}

/** `x = T.allocate([n], "float32", "global")`: an Allocate binding the handle `x`. */
function allocate(a: BoundArgs, site: CallSite): ScopeFrame {
  const ctx: ParseContext = site.ctx;
  ctx.requireFunc("T.allocate", site.span);
  const ext = a.get("extents")!;
  const extents = toExprList(ctx, ext.value, ext.span, "T.allocate extents");
  const d = a.get("dtype")!;
  const dtype = toDType(ctx, d.value, d.span, "T.allocate dtype");
  const sc = has(a, "scope");
  const scope = sc ? toStr(ctx, sc.value, sc.span, "T.allocate scope") : "global";
  const c = has(a, "condition");
  const cond: PrimExpr = c ? toExpr(ctx, c.value, c.span, "T.allocate condition") : TRUE;
  const ann = has(a, "annotations");
  const annotations = ann ? toAnnotations(ctx, ann.value, ann.span, "T.allocate annotations") : {};
  const name = bufferName(site, "buf");
  const v = ctx.freshVar(new Var(name, handle, { elementType: dtype, storageScope: scope }));
  // Older scripts index the allocation directly; give them a buffer over it.
  ctx.allocatedBuffer.set(v, ctx.guard(site.span, () => new Buffer(name, dtype, extents, { data: v, scope })));
  return new ScopeFrame(v, (body) => ctx.guard(site.span, () => new Allocate(v, dtype, extents, cond, body, annotations)));
}

export function bufferBuiltins(): Map<string, Builtin> {
  const t = new Map<string, Builtin>();
  t.set("Buffer", bufferCall("T.Buffer"));
  t.set("buffer_decl", bufferCall("T.buffer_decl"));
  t.set("match_buffer", builtin("T.match_buffer", `param, shape, ${BUFFER_FIELDS}`, matchBuffer));
  t.set("alloc_buffer", allocBuffer("T.alloc_buffer"));
  t.set("sblock_alloc_buffer", allocBuffer("T.sblock_alloc_buffer"));
  t.set("decl_buffer", builtin("T.decl_buffer", `shape, ${BUFFER_FIELDS}`, declBuffer));
  t.set("allocate", builtin("T.allocate", "extents, dtype, scope?, condition?, *, annotations?", allocate));
  return t;
}
