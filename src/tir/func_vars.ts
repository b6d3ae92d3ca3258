/**
 * The symbolic vars of a PrimFunc: which ones it uses without defining them, which ones its
 * parameter buffers define (a var standing alone as a dimension is bound from the argument's
 * shape at the call), and substituting them throughout (body and buffer shapes).
 */
import { BufferRegion, type Buffer } from "../ir/buffer.js";
import { BufferLoad, Let, SizeVar, Var, type PrimExpr } from "../ir/expr.js";
import type { PrimFunc } from "./function.js";
import { StmtExprMutator, StmtExprVisitor } from "./stmt_functor.js";
import { BufferStore, MatchBufferRegion, type Block, type For, type LetStmt, type Stmt } from "./stmt.js";

/** Vars that stand alone as a dimension of one of `shapes` (they are bound from the arrays). */
export function standaloneDims(shapes: Iterable<readonly PrimExpr[]>): Set<Var> {
  const out = new Set<Var>();
  for (const s of shapes) for (const d of s) if (d.kind === "Var" || d.kind === "SizeVar") out.add(d as Var);
  return out;
}

class UseCollector extends StmtExprVisitor {
  readonly used: Var[] = [];
  readonly defined = new Set<Var>();
  private readonly seenBuffers = new Set<Buffer>();

  use(v: Var): void {
    if (v.dtype.isHandle() || this.defined.has(v) || this.used.includes(v)) return;
    this.used.push(v);
  }
  buffer(b: Buffer): void {
    if (this.seenBuffers.has(b)) return;
    this.seenBuffers.add(b);
    for (const e of [...b.shape, ...b.strides, b.elemOffset]) this.visitExpr(e);
  }
  override visitVar(v: Var): void {
    this.use(v);
  }
  override visitExpr(e: PrimExpr): void {
    if (e instanceof Let) {
      this.visitExpr(e.value);
      this.defined.add(e.variable);
      this.visitExpr(e.body);
      return;
    }
    super.visitExpr(e);
  }
  override visitBufferLoad(e: BufferLoad): void {
    this.buffer(e.buffer);
    super.visitBufferLoad(e);
  }
  override visitBufferStore(s: BufferStore): void {
    this.buffer(s.buffer);
    super.visitBufferStore(s);
  }
  override visitFor(f: For): void {
    this.defined.add(f.loopVar);
    super.visitFor(f);
  }
  override visitBlock(b: Block): void {
    for (const iv of b.iterVars) this.defined.add(iv.variable);
    for (const a of b.allocBuffers) this.buffer(a);
    for (const m of b.matchBuffers) this.buffer(m.buffer);
    super.visitBlock(b);
  }
  override visitStmt(s: Stmt): void {
    if (s.kind === "LetStmt") this.defined.add((s as LetStmt).variable);
    super.visitStmt(s);
  }
}

/**
 * The non-handle vars `func` uses (in its body and its buffers' shapes) that no loop, block,
 * let or parameter defines, in first-use order. Vars standing alone in a parameter buffer's
 * shape count as defined when `bufferDimsDefine` (the interpreter and the packed API bind them).
 */
export function undefinedVars(func: PrimFunc, bufferDimsDefine = true): Var[] {
  const c = new UseCollector();
  for (const p of func.params) c.defined.add(p);
  const params = [...func.bufferMap.values()];
  if (bufferDimsDefine) for (const v of standaloneDims(params.map((b) => b.shape))) c.defined.add(v);
  for (const b of params) c.buffer(b);
  c.visitStmt(func.body);
  return c.used;
}

/**
 * Substitutes vars and swaps buffers throughout a PrimFunc body: a buffer whose shape, strides
 * or offset mention a substituted var is rebuilt (once) with the new expressions; buffers in
 * `bufferMap` are replaced outright (and uses of their data pointers with the new ones).
 */
export class BufferVarRewriter extends StmtExprMutator {
  private readonly byData = new Map<Var, Var>();
  constructor(
    readonly vmap: Map<Var, PrimExpr>,
    readonly bufferMap: Map<Buffer, Buffer> = new Map(),
  ) {
    super();
    for (const [o, n] of bufferMap) if (o.data !== n.data) this.byData.set(o.data, n.data);
  }

  buffer(b: Buffer): Buffer {
    const m = this.bufferMap.get(b);
    if (m) return m;
    const shape = this.visitArray(b.shape), strides = this.visitArray(b.strides), elemOffset = this.visitExpr(b.elemOffset);
    const n = shape === b.shape && strides === b.strides && elemOffset === b.elemOffset ? b : b.with({ shape, strides, elemOffset });
    this.bufferMap.set(b, n);
    return n;
  }

  override visitVar(v: Var): PrimExpr {
    return this.vmap.get(v) ?? this.byData.get(v) ?? v;
  }

  override visitBufferLoad(e: BufferLoad): PrimExpr {
    const x = super.visitBufferLoad(e) as BufferLoad;
    const nb = this.buffer(x.buffer);
    return nb === x.buffer ? x : new BufferLoad(nb, x.indices, x.predicate);
  }

  override visitBufferStore(s: BufferStore): Stmt {
    const x = super.visitBufferStore(s) as BufferStore;
    const nb = this.buffer(x.buffer);
    return nb === x.buffer ? x : new BufferStore(nb, x.value, x.indices, x.predicate);
  }

  override visitRegion(r: BufferRegion): BufferRegion {
    const x = super.visitRegion(r);
    const nb = this.buffer(x.buffer);
    return nb === x.buffer ? x : new BufferRegion(nb, x.region);
  }

  override visitBlock(b: Block): Stmt {
    const inner = super.visitBlock(b) as Block;
    const allocBuffers = inner.allocBuffers.map((x) => this.buffer(x));
    const matchBuffers = inner.matchBuffers.map((m) => {
      const t = this.buffer(m.buffer);
      return t === m.buffer ? m : new MatchBufferRegion(t, m.source);
    });
    if (allocBuffers.every((x, i) => x === inner.allocBuffers[i]) && matchBuffers.every((x, i) => x === inner.matchBuffers[i])) return inner;
    return inner.with({ allocBuffers, matchBuffers });
  }
}

/**
 * `func` with vars substituted everywhere (body, buffer shapes); scalar params that are
 * substituted by vars are renamed along.
 */
export function substitutePrimFunc(func: PrimFunc, vmap: Map<Var, PrimExpr>): PrimFunc {
  if (vmap.size === 0) return func;
  const r = new BufferVarRewriter(vmap);
  const params = func.params.map((p) => {
    const m = vmap.get(p);
    return m instanceof Var ? m : p;
  });
  const bufferMap = new Map<Var, Buffer>();
  for (const [p, b] of func.bufferMap) bufferMap.set(p, r.buffer(b));
  return func.with({ params, bufferMap, body: r.visitStmt(func.body) });
}

/**
 * `func` with every plain Var that stands alone as a dimension of a parameter buffer made a
 * SizeVar: a dimension is never negative, and saying so lets the analyzer prove facts such as
 * `n <= ceildiv(n, 48) * 48` that schedules of symbolic loops rely on.
 */
export function shapeVarsAsSizeVars(func: PrimFunc): PrimFunc {
  const vmap = new Map<Var, PrimExpr>();
  for (const v of standaloneDims([...func.bufferMap.values()].map((b) => b.shape))) {
    if (v.kind === "Var" && v.dtype.isInt()) vmap.set(v, new SizeVar(v.name, v.dtype));
  }
  return substitutePrimFunc(func, vmap);
}
