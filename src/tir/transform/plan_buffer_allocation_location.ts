/**
 * PlanAndUpdateBufferAllocationLocation: every buffer a block allocates (`alloc_buffers`) is
 * moved to the lowest common ancestor (LCA) of its accesses, where ancestors are blocks and
 * loops. When the LCA is a block, the buffer joins that block's `alloc_buffers`; when it is a
 * loop, the loop's body is wrapped in a new opaque block (named "") that allocates it, whose
 * reads / writes are computed from its body. Later passes (CompactBufferAllocation, the
 * storage passes) then see each temporary where it is live, which is what lets them shrink
 * and reuse it.
 *
 *     C_global = T.alloc_buffer((64, 64))         for i_0, j_0 in T.grid(4, 2):
 *     for i_0, j_0 in T.grid(4, 2):        ->         with T.block(""):
 *         ... C_global only used here ...                 T.reads(...); T.writes(...)
 *                                                         C_global = T.alloc_buffer((64, 64))
 *                                                         ...
 *
 * As in TVM: accesses are BufferLoad / BufferStore, uses of a buffer's data pointer and
 * match_buffer sources; a buffer never accessed is dropped; a block's reads / writes no longer
 * mention buffers that are now allocated below it (or by it). Preconditions: inits lowered.
 */
import type { Buffer } from "../../ir/buffer.js";
import type { BufferRegion } from "../../ir/buffer.js";
import type { BufferLoad, PrimExpr, Var } from "../../ir/expr.js";
import { Analyzer } from "../../arith/analyzer.js";
import { getBlockReadWriteRegion } from "../block_access.js";
import type { PrimFunc } from "../function.js";
import { Block, BlockRealize, type BufferStore, type For, type Stmt } from "../stmt.js";
import { StmtExprMutator, StmtExprVisitor } from "../stmt_functor.js";
import { primFuncPass, type Pass } from "./pass.js";

type ScopeStmt = For | Block;

interface Scope {
  readonly parent: Scope | undefined;
  readonly stmt: ScopeStmt | undefined;
  readonly depth: number;
}

function lca(a: Scope, b: Scope): Scope {
  while (a.depth > b.depth) a = a.parent!;
  while (b.depth > a.depth) b = b.parent!;
  while (a !== b) {
    a = a.parent!;
    b = b.parent!;
  }
  return a;
}

/** For every buffer allocated by a block: the loop or block that is the LCA of its accesses. */
class BufferAccessLCA extends StmtExprVisitor {
  private readonly root: Scope = { parent: undefined, stmt: undefined, depth: 0 };
  private cur: Scope = this.root;
  private readonly dataToBuffer = new Map<Var, Buffer>();
  readonly lcas = new Map<Buffer, Scope>();
  /** Allocated buffers in the order their allocations appear. */
  readonly allocated: Buffer[] = [];

  private update(b: Buffer): void {
    if (!this.dataToBuffer.has(b.data)) return; // parameters and match buffers are not moved
    const old = this.lcas.get(b);
    this.lcas.set(b, old ? lca(old, this.cur) : this.cur);
  }

  private enter<T>(stmt: ScopeStmt, f: () => T): T {
    const saved = this.cur;
    this.cur = { parent: saved, stmt, depth: saved.depth + 1 };
    try {
      return f();
    } finally {
      this.cur = saved;
    }
  }

  override visitFor(f: For): void {
    this.visitExpr(f.min);
    this.visitExpr(f.extent);
    if (f.step) this.visitExpr(f.step);
    this.enter(f, () => this.visitStmt(f.body));
  }

  override visitBlock(b: Block): void {
    if (b.init) {
      throw new Error(`block "${b.nameHint}" still has an init (T.init()); expected LowerInitBlock to run first`);
    }
    for (const buf of b.allocBuffers) {
      this.dataToBuffer.set(buf.data, buf);
      this.allocated.push(buf);
    }
    this.enter(b, () => {
      for (const m of b.matchBuffers) this.update(m.source.buffer);
      super.visitBlock(b);
    });
  }

  override visitBufferLoad(e: BufferLoad): void {
    this.update(e.buffer);
    super.visitBufferLoad(e);
  }

  override visitBufferStore(s: BufferStore): void {
    this.update(s.buffer);
    super.visitBufferStore(s);
  }

  override visitVar(v: Var): void {
    const b = this.dataToBuffer.get(v);
    if (b) this.update(b);
  }
}

class BufferAllocationLocator extends StmtExprMutator {
  /** Buffers visible at the current point: parameters, match buffers and allocations above. */
  private readonly inScope = new Set<Buffer>();
  private readonly dataToBuffer = new Map<Var, Buffer>();
  private readonly analyzer = new Analyzer();

  constructor(
    func: PrimFunc,
    private readonly allocAt: ReadonlyMap<ScopeStmt, Buffer[]>,
  ) {
    super();
    for (const b of func.bufferMap.values()) this.addScope(b);
  }

  private addScope(b: Buffer): void {
    this.inScope.add(b);
    this.dataToBuffer.set(b.data, b);
  }
  private dropScope(b: Buffer): void {
    this.inScope.delete(b);
    this.dataToBuffer.delete(b.data);
  }

  override visitExpr(e: PrimExpr): PrimExpr {
    return e; // expressions never change here
  }

  override visitFor(f: For): Stmt {
    const bufs = this.allocAt.get(f);
    if (!bufs) return super.visitFor(f);
    bufs.forEach((b) => this.addScope(b));
    const visited = super.visitFor(f) as For;
    bufs.forEach((b) => this.dropScope(b));
    const opaque = new Block({ nameHint: "", body: visited.body, allocBuffers: bufs });
    const { reads, writes } = getBlockReadWriteRegion(opaque, this.analyzer, this.dataToBuffer);
    const keep = (r: BufferRegion) => this.inScope.has(r.buffer);
    return visited.with({ body: BlockRealize.of(opaque.with({ reads: reads.filter(keep), writes: writes.filter(keep) })) });
  }

  override visitBlock(b: Block): Stmt {
    const bufs = this.allocAt.get(b) ?? [];
    bufs.forEach((x) => this.addScope(x));
    b.matchBuffers.forEach((m) => this.addScope(m.buffer));
    const visited = super.visitBlock(b) as Block;
    b.matchBuffers.forEach((m) => this.dropScope(m.buffer));
    bufs.forEach((x) => this.dropScope(x));
    const reads = this.filterRegions(visited.reads);
    const writes = this.filterRegions(visited.writes);
    const sameAlloc = bufs.length === b.allocBuffers.length && bufs.every((x, i) => x === b.allocBuffers[i]);
    if (sameAlloc && reads === visited.reads && writes === visited.writes) return visited;
    return visited.with({ allocBuffers: sameAlloc ? b.allocBuffers : bufs, reads, writes });
  }

  private filterRegions(rs: readonly BufferRegion[]): readonly BufferRegion[] {
    return rs.every((r) => this.inScope.has(r.buffer)) ? rs : rs.filter((r) => this.inScope.has(r.buffer));
  }
}

/** Moves each block-allocated buffer to the LCA (loop or block) of its accesses. */
export const PlanAndUpdateBufferAllocationLocation: Pass = primFuncPass("PlanAndUpdateBufferAllocationLocation", (func) => {
  const detector = new BufferAccessLCA();
  detector.visitStmt(func.body);
  const allocAt = new Map<ScopeStmt, Buffer[]>();
  for (const buf of detector.allocated) {
    const scope = detector.lcas.get(buf);
    if (!scope?.stmt) continue; // never accessed: dropped
    const list = allocAt.get(scope.stmt);
    if (list) list.push(buf);
    else allocAt.set(scope.stmt, [buf]);
  }
  return func.withBody(new BufferAllocationLocator(func, allocAt).visitStmt(func.body));
});
