/**
 * TensorIR blocks. Running a BlockRealize: skip it when the predicate is false; evaluate the
 * iter values and check each lies in its iter var's domain (a binding outside the domain is a
 * schedule bug); allocate the block's alloc_buffers for the block's scope; bind match_buffers
 * as views into their source regions; run `init` exactly when every reduction iter var is at
 * its domain's minimum; then the body.
 */
import type { Buffer } from "../../ir/buffer.js";
import type { IntImm, Var } from "../../ir/expr.js";
import type { Block, BlockRealize, MatchBufferRegion, Stmt } from "../stmt.js";
import {
  compileBinder, compactStrides, allocStorage, makeBinding, bindImplicitBuffers, type BindItem,
} from "./binding.js";
import { compileScalar } from "./compile_expr.js";
import { CompileContext, InterpreterError, describeExpr, type BufferBinding, type Frame, type NumFn, type StmtFn } from "./context.js";

/** What a block brought into scope, released when its compilation ends. */
interface Scope {
  vars: Var[];
  buffers: Buffer[];
}

function release(ctx: CompileContext, s: Scope): void {
  for (const v of s.vars) ctx.undefineVar(v);
  for (const b of s.buffers) ctx.undefineBuffer(b);
}

/** Compiles allocation of one alloc_buffer (fresh storage each time the block runs). */
function compileAllocBuffer(ctx: CompileContext, b: Buffer, scope: Scope): StmtFn {
  const shape = b.shape.map((s, i) => compileScalar(ctx, s, `dimension ${i} of alloc_buffer ${b.name}`));
  const strides = b.strides.length ? b.strides.map((s, i) => compileScalar(ctx, s, `stride ${i} of alloc_buffer ${b.name}`)) : undefined;
  const offset = compileScalar(ctx, b.elemOffset, `elem_offset of alloc_buffer ${b.name}`);
  const dataSlot = ctx.defineVar(b.data).slot;
  scope.vars.push(b.data);
  const bufSlot = ctx.defineBuffer(b);
  scope.buffers.push(b);
  const implicit = bindImplicitBuffers(ctx, b.data);
  scope.buffers.push(...implicit.buffers);
  const where = ctx.where();
  const lanes = b.dtype.lanes;
  return (f) => {
    const shp = shape.map((c) => c(f));
    const st = strides?.map((c) => c(f)) ?? compactStrides(shp);
    const off = offset(f);
    let hi = off;
    let empty = false;
    for (let d = 0; d < shp.length; d++) {
      if (shp[d] === 0) empty = true;
      hi += Math.max(0, (shp[d]! - 1) * st[d]!);
    }
    const storage = allocStorage(b.name, b.dtype, empty ? 0 : (hi + 1) * lanes);
    f.o[dataSlot] = storage;
    f.o[bufSlot] = makeBinding(b, storage, shp, st, off, where);
    implicit.run?.(f);
  };
}

/** Compiles a match_buffer: the target buffer becomes a view of the source region. */
function compileMatchBuffer(ctx: CompileContext, m: MatchBufferRegion, scope: Scope): StmtFn {
  const tgt = m.buffer;
  const src = m.source.buffer;
  const region = m.source.region;
  if (tgt.dtype !== src.dtype) {
    throw ctx.error(`match_buffer ${tgt.name} is ${tgt.dtype} but its source ${src.name} is ${src.dtype}`);
  }
  const lead = region.length - tgt.ndim;
  if (lead < 0) {
    throw ctx.error(`match_buffer ${tgt.name} has ${tgt.ndim} dimension(s) but the region of ${src.name} has only ${region.length}`);
  }
  const srcSlot = ctx.useBuffer(src);
  const mins = region.map((r, i) => compileScalar(ctx, r.min, `start of dimension ${i} of the region of ${src.name}`));
  const exts = region.map((r, i) => compileScalar(ctx, r.extent, `extent of dimension ${i} of the region of ${src.name}`));
  const items: BindItem[] = [
    {
      expr: tgt.elemOffset,
      what: `elem_offset of match_buffer ${tgt.name} (give it a symbolic elem_offset to view a region that does not start at element 0)`,
    },
  ];
  tgt.strides.forEach((s, i) => items.push({ expr: s, what: `stride ${i} of match_buffer ${tgt.name}` }));
  tgt.shape.forEach((s, i) => items.push({ expr: s, what: `dimension ${i} of match_buffer ${tgt.name}` }));
  const binder = compileBinder(ctx, items);
  scope.vars.push(...binder.defined);
  const dataSlot = ctx.defineVar(tgt.data).slot;
  scope.vars.push(tgt.data);
  const bufSlot = ctx.defineBuffer(tgt);
  scope.buffers.push(tgt);
  const implicit = bindImplicitBuffers(ctx, tgt.data);
  scope.buffers.push(...implicit.buffers);
  const where = ctx.where();
  const hasStrides = tgt.strides.length > 0;
  const nd = region.length;
  return (f) => {
    const b = f.o[srcSlot] as BufferBinding;
    const lo = mins.map((c) => c(f));
    const ex = exts.map((c) => c(f));
    let offset = b.offset;
    for (let d = 0; d < nd; d++) {
      if (!(lo[d]! >= 0 && ex[d]! >= 0 && lo[d]! + ex[d]! <= b.shape[d]!)) {
        const r = lo.map((x, i) => `${x}:${x + ex[i]!}`).join(", ");
        throw new InterpreterError(`match_buffer ${tgt.name}: region [${r}] is outside the shape [${b.shape.join(", ")}] of ${src.name}${where}`);
      }
      if (d < lead && ex[d] !== 1) {
        throw new InterpreterError(
          `match_buffer ${tgt.name}: dimension ${d} of the region of ${src.name} has extent ${ex[d]}, but ${tgt.name} only addresses the last ${tgt.ndim} dimension(s)${where}`,
        );
      }
      offset += lo[d]! * b.strides[d]!;
    }
    const vshape = ex.slice(lead);
    const vstrides = b.strides.slice(lead);
    if (!hasStrides) {
      // Without strides the view is row-major over its own shape; the region must be too.
      const compact = compactStrides(vshape);
      for (let d = 0; d < vshape.length; d++) {
        if (vshape[d]! > 1 && compact[d] !== vstrides[d]) {
          throw new InterpreterError(
            `match_buffer ${tgt.name}: the region of ${src.name} is not contiguous (strides [${vstrides.join(", ")}] for shape [${vshape.join(", ")}]), ` +
              `but ${tgt.name} declares no strides${where}`,
          );
        }
      }
    }
    binder.run(f, [offset, ...(hasStrides ? vstrides : []), ...vshape]);
    f.o[dataSlot] = b.storage;
    f.o[bufSlot] = makeBinding(tgt, b.storage, vshape, vstrides, offset, where);
    implicit.run?.(f);
  };
}

function isConstTrue(e: { kind: string; value?: number }): boolean {
  return e.kind === "IntImm" && e.value === 1;
}

export function compileBlockRealize(ctx: CompileContext, r: BlockRealize, compileStmt: (s: Stmt) => StmtFn): StmtFn {
  const blk: Block = r.block;
  const name = blk.nameHint;
  // Bindings, predicate and domains are evaluated in the enclosing scope.
  const values = r.iterValues.map((v, i) => compileScalar(ctx, v, `binding of iter var ${blk.iterVars[i]!.variable.name} of block "${name}"`));
  const pred: NumFn | undefined = isConstTrue(r.predicate as never) ? undefined : compileScalar(ctx, r.predicate, `predicate of block "${name}"`);
  const domMin = blk.iterVars.map((iv) => compileScalar(ctx, iv.dom.min, `domain of ${iv.variable.name}`));
  const domExt = blk.iterVars.map((iv) => compileScalar(ctx, iv.dom.extent, `domain of ${iv.variable.name}`));

  ctx.pushBlock(name);
  const where = ctx.where();
  const scope: Scope = { vars: [], buffers: [] };
  const slots = blk.iterVars.map((iv) => {
    const s = ctx.defineVar(iv.variable);
    scope.vars.push(iv.variable);
    if (s.obj) throw ctx.error(`iter var ${iv.variable.name} must be a scalar, got ${iv.variable.dtype}`);
    return s.slot;
  });
  const isReduce = blk.iterVars.map((iv) => iv.iterType === "CommReduce");
  const allocs = blk.allocBuffers.map((b) => compileAllocBuffer(ctx, b, scope));
  const matches = blk.matchBuffers.map((m) => compileMatchBuffer(ctx, m, scope));
  const setup = [...allocs, ...matches];
  const init = blk.init ? compileStmt(blk.init) : undefined;
  const body = compileStmt(blk.body);
  release(ctx, scope);
  ctx.popBlock();

  const n = slots.length;
  const outOfDomain = (i: number, v: number, mn: number, ext: number): InterpreterError =>
    new InterpreterError(
      `iter var ${blk.iterVars[i]!.variable.name} = ${v} is outside its domain [${mn}, ${mn + ext}) ` +
        `(bound to ${describeExpr(r.iterValues[i]!)})${where}`,
    );
  // Domains are almost always constants: read them once instead of per execution.
  const constDom = blk.iterVars.every((iv) => iv.dom.min.kind === "IntImm" && iv.dom.extent.kind === "IntImm");
  const lo = constDom ? blk.iterVars.map((iv) => (iv.dom.min as IntImm).value) : [];
  const hi = constDom ? blk.iterVars.map((iv) => (iv.dom.min as IntImm).value + (iv.dom.extent as IntImm).value) : [];
  const hasSetup = setup.length > 0;
  if (constDom && !hasSetup) {
    return (f: Frame) => {
      if (pred && !pred(f)) return;
      let atInit = true;
      for (let i = 0; i < n; i++) {
        const v = values[i]!(f);
        if (!(v >= lo[i]! && v < hi[i]!)) throw outOfDomain(i, v, lo[i]!, hi[i]! - lo[i]!);
        if (v !== lo[i]! && isReduce[i]) atInit = false;
        f.n[slots[i]!] = v;
      }
      if (init && atInit) init(f);
      body(f);
    };
  }
  return (f: Frame) => {
    if (pred && !pred(f)) return;
    let atInit = true;
    for (let i = 0; i < n; i++) {
      const v = values[i]!(f);
      const mn = domMin[i]!(f), ext = domExt[i]!(f);
      if (!(v >= mn && v < mn + ext)) throw outOfDomain(i, v, mn, ext);
      if (isReduce[i] && v !== mn) atInit = false;
      f.n[slots[i]!] = v;
    }
    for (const s of setup) s(f);
    if (init && atInit) init(f);
    body(f);
  };
}
