/**
 * FlattenBuffer (TVM's `tir.transform.FlattenBuffer`): makes every buffer access 1-D.
 *
 * - Each N-d buffer gets one flat alias over the same data var: shape `[prod(shape)]`, or
 *   `[strides[0] * shape[0]]` when the buffer has strides; no strides. An access
 *   `A[i0, ..., in]` becomes `A_flat[idx]` with `idx` row-major by shape
 *   (`(i0 * s1 + i1) * s2 + ...`) or `sum(ik * strides[k])` with strides, plus the buffer's
 *   elem_offset; `idx` is simplified with the ranges of the enclosing loops and thread extents.
 *   1-D buffers without strides and elem_offset are already flat and stay as they are.
 * - The flat alias has elem_offset 0: the offset is already in every index, and its shape is
 *   `elem_offset + size` so that it covers every index. (TVM keeps the offset on the alias
 *   with shape `size`, and its code generators read only the index; weft's interpreter
 *   honours a buffer's elem_offset and checks bounds, so keeping it would count it twice.)
 * - `Allocate` extents become the flat size (taken from the DeclBuffer right under it when that
 *   declares the allocated buffer, else the product of the extents). `DeclBuffer` statements
 *   are removed, as TVM currently does: the flat buffers are used without a declaration over
 *   the allocation's data var (printed `A_1 = T.Buffer((n,), data=A, ...)`).
 * - The function's buffer_map is left unflattened, as in TVM: its buffers describe the
 *   arguments the caller passes; the body accesses flat aliases of their data
 *   (printed `A_1 = T.Buffer((256,), data=A.data)`).
 * - Blocks that remain keep working: their alloc_buffers and read/write regions are flattened
 *   too (a region becomes the range from its first to its last element).
 *
 * Preconditions (PassError naming the function and what was found): no match_buffer (run
 * LowerMatchBuffer first) and no axis_separators (multi-dimensional physical memory is not
 * supported). Not handled yet: TVM's boolean-to-int8 storage rewrite. Linear in the size of
 * the function; copy-on-write.
 */
import { Buffer, BufferRegion } from "../../ir/buffer.js";
import { int32 } from "../../ir/dtype.js";
import { BufferLoad, IntImm, Range, type PrimExpr } from "../../ir/expr.js";
import { add, mul, sub } from "../../ir/expr_ops.js";
import { Analyzer } from "../../arith/analyzer.js";
import type { PrimFunc } from "../function.js";
import { Allocate, AttrStmt, Block, BufferStore, DeclBuffer, IterVar, type For, type Stmt } from "../stmt.js";
import { StmtExprMutator } from "../stmt_functor.js";
import { PassError, primFuncPass, type Pass } from "./pass.js";

const PASS = "FlattenBuffer";

export const FlattenBuffer: Pass = primFuncPass(PASS, (func, name) => flattenBuffer(func, name));

/** Flattens the buffer accesses of one PrimFunc (the function behind the `FlattenBuffer` pass). */
export function flattenBuffer(func: PrimFunc, funcName = "main"): PrimFunc {
  return func.withBody(new BufferFlattener(funcName).visitStmt(func.body));
}

/**
 * The flat size of a strided buffer: `strides[0] * shape[0]` as TVM takes it, or, when the
 * strides and shape are constants and another dimension reaches further (e.g. column-major
 * strides), the largest `strides[k] * shape[k]`.
 */
function stridedSize(b: Buffer): PrimExpr {
  const first = mul(b.strides[0]!, b.shape[0]!);
  let best = first instanceof IntImm ? first.value : undefined;
  let bestExpr = first;
  for (let k = 1; k < b.strides.length && best !== undefined; k++) {
    const s = b.strides[k], d = b.shape[k];
    if (!(s instanceof IntImm) || !(d instanceof IntImm)) return first;
    if (s.value * d.value > best) {
      best = s.value * d.value;
      bestExpr = mul(s, d);
    }
  }
  return bestExpr;
}

function isZero(e: PrimExpr): boolean {
  return e instanceof IntImm && e.value === 0;
}

function sameExtents(a: readonly PrimExpr[], b: readonly PrimExpr[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i] || (x instanceof IntImm && b[i] instanceof IntImm && x.value === (b[i] as IntImm).value));
}

class BufferFlattener extends StmtExprMutator {
  private readonly ana = new Analyzer();
  private readonly remap = new Map<Buffer, Buffer>();

  constructor(private readonly funcName: string) {
    super();
  }

  private fail(detail: string): never {
    throw new PassError(PASS, this.funcName, detail);
  }

  private isFlat(b: Buffer): boolean {
    return b.shape.length === 1 && b.strides.length === 0 && isZero(b.elemOffset);
  }

  /** The flat alias of `b` (the same object when `b` already is flat). */
  private flattened(b: Buffer): Buffer {
    const hit = this.remap.get(b);
    if (hit) return hit;
    if (b.axisSeparators.length > 0) {
      this.fail(`buffer ${b.name} has axis_separators [${b.axisSeparators.join(", ")}]; expected none (flattening to multi-dimensional physical memory is not supported)`);
    }
    let out = b;
    if (!this.isFlat(b)) {
      let size: PrimExpr;
      if (b.strides.length > 0) size = stridedSize(b);
      else size = b.shape.reduce<PrimExpr>((acc, d) => mul(acc, d), new IntImm(b.shape[0]?.dtype ?? b.elemOffset.dtype, 1));
      // The index carries elem_offset, so the alias reaches elem_offset + size elements.
      if (!isZero(b.elemOffset)) size = add(b.elemOffset, size);
      out = b.with({ shape: [this.ana.canonicalSimplify(size)], strides: [], elemOffset: new IntImm(b.elemOffset.dtype, 0) });
    }
    this.remap.set(b, out);
    return out;
  }

  /** The flat element index of `indices` in `b` (before simplification). */
  private flatIndex(b: Buffer, indices: readonly PrimExpr[]): PrimExpr {
    let idx: PrimExpr | undefined;
    for (let k = 0; k < indices.length; k++) {
      const i = indices[k]!;
      if (b.strides.length > 0) {
        const term = mul(i, b.strides[k]!);
        idx = idx === undefined ? term : add(idx, term);
      } else {
        idx = idx === undefined ? i : add(mul(idx, b.shape[k]!), i);
      }
    }
    if (idx === undefined) idx = new IntImm(b.elemOffset.dtype, 0);
    if (!isZero(b.elemOffset)) idx = add(idx, b.elemOffset);
    return idx;
  }

  private access(b: Buffer, indices: readonly PrimExpr[]): { buffer: Buffer; indices: readonly PrimExpr[] } {
    const flat = this.flattened(b);
    if (flat === b) return { buffer: b, indices };
    return { buffer: flat, indices: [this.ana.simplify(this.flatIndex(b, indices))] };
  }

  override visitBufferLoad(e: BufferLoad): PrimExpr {
    const idx = this.visitArray(e.indices);
    const p = e.predicate ? this.visitExpr(e.predicate) : undefined;
    const a = this.access(e.buffer, idx);
    if (a.buffer === e.buffer && a.indices === e.indices && p === e.predicate) return e;
    return new BufferLoad(a.buffer, a.indices, p);
  }

  override visitBufferStore(s: BufferStore): Stmt {
    const v = this.visitExpr(s.value), idx = this.visitArray(s.indices);
    const p = s.predicate ? this.visitExpr(s.predicate) : undefined;
    const a = this.access(s.buffer, idx);
    if (a.buffer === s.buffer && a.indices === s.indices && v === s.value && p === s.predicate) return s;
    return new BufferStore(a.buffer, v, a.indices, p);
  }

  override visitFor(f: For): Stmt {
    if (f.loopVar.dtype.isIntegral() && !(f.extent instanceof IntImm && f.extent.value <= 0)) {
      this.ana.bind(f.loopVar, new Range(f.min, f.extent), true);
    }
    return super.visitFor(f);
  }

  override visitStmt(s: Stmt): Stmt {
    switch (s.kind) {
      case "Allocate":
        return this.visitAllocate(s as Allocate);
      case "DeclBuffer":
        return this.visitStmt((s as DeclBuffer).body);
      case "AttrStmt": {
        const a = s as AttrStmt;
        if ((a.attrKey === "thread_extent" || a.attrKey === "virtual_thread") && a.node instanceof IterVar) {
          const v = a.node.variable;
          if (v.dtype.isIntegral() && !(a.value instanceof IntImm && a.value.value <= 0)) {
            this.ana.bind(v, new Range(new IntImm(a.value.dtype, 0), a.value), true);
          }
        }
        return super.visitStmt(s);
      }
      default:
        return super.visitStmt(s);
    }
  }

  private visitAllocate(a: Allocate): Stmt {
    let extents = a.extents;
    if (a.extents.length !== 1) {
      const decl = a.body instanceof DeclBuffer ? a.body.buffer : undefined;
      if (decl && decl.data === a.bufferVar && decl.dtype === a.dtype && sameExtents(a.extents, decl.shape)) {
        extents = this.flattened(decl).shape;
      } else {
        const one = new IntImm(a.extents[0]?.dtype ?? int32, 1);
        extents = [this.ana.canonicalSimplify(a.extents.reduce<PrimExpr>((x, y) => mul(x, y), one))];
      }
    }
    const cond = this.visitExpr(a.condition);
    const body = this.visitStmt(a.body);
    if (extents === a.extents && cond === a.condition && body === a.body) return a;
    return new Allocate(a.bufferVar, a.dtype, extents, cond, body, a.annotations);
  }

  override visitBlock(b: Block): Stmt {
    if (b.matchBuffers.length > 0) {
      this.fail(`block "${b.nameHint}": expected no match_buffer; run LowerMatchBuffer first`);
    }
    for (const iv of b.iterVars) {
      if (iv.variable.dtype.isIntegral()) this.ana.bind(iv.variable, iv.dom, true);
    }
    const body = this.visitStmt(b.body);
    const init = b.init ? this.visitStmt(b.init) : undefined;
    const allocs = b.allocBuffers.map((x) => this.flattened(x));
    const reads = b.reads.map((r) => this.region(r));
    const writes = b.writes.map((r) => this.region(r));
    const same = <T>(x: readonly T[], y: readonly T[]) => x.every((e, i) => e === y[i]);
    if (body === b.body && init === b.init && same(allocs, b.allocBuffers) && same(reads, b.reads) && same(writes, b.writes)) return b;
    return b.with({ body, init, allocBuffers: allocs, reads, writes });
  }

  /** A region of an N-d buffer as the flat range from its first to its last element. */
  private region(r: BufferRegion): BufferRegion {
    const b = r.buffer;
    const flat = this.flattened(b);
    if (flat === b) return r;
    const lo = this.flatIndex(b, r.region.map((x) => x.min));
    const hi = this.flatIndex(b, r.region.map((x) => sub(add(x.min, x.extent), 1)));
    const min = this.ana.simplify(lo);
    return new BufferRegion(flat, [new Range(min, this.ana.simplify(sub(add(hi, 1), lo)))]);
  }
}
