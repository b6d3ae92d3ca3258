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
 *
 * Loop-carried buffers (TVM's BufferAccessLCADetector, UpdateDominateScopeOfOpaqueIter): a
 * buffer must outlive every loop across whose iterations it carries values, so it is never
 * placed inside such a loop even when all its accesses are. Two cases:
 * - a buffer a block writes (its `T.writes`, or a BufferStore in its body) while the block has
 *   reduction iter vars: the accumulator lives across the loops bound to those iter vars, so
 *   its LCA is at least the parent of the outermost of them. This is what keeps argmax's value
 *   accumulator (written only by the reduction block, through LetStmts) outside its `k` loop.
 *   Buffers the block only reads (e.g. a cache_read tile refilled under the reduction loop)
 *   carry nothing across those iterations and stay where they are.
 * - ordered / opaque iter vars (TVM's rule): every region of the block whose bounds mention
 *   one is placed above the outermost loop bound to it.
 */
import type { Buffer } from "../../ir/buffer.js";
import type { BufferRegion } from "../../ir/buffer.js";
import type { BufferLoad, PrimExpr, Var } from "../../ir/expr.js";
import { collectVars } from "../../ir/expr_functor.js";
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
  /** The scope of each enclosing loop, by loop variable. */
  private readonly loopScopes = new Map<Var, Scope>();
  /** The realize of the block about to be visited (its iter var bindings). */
  private realize: BlockRealize | undefined;
  /**
   * Where the innermost enclosing block's written buffers must live at the lowest: above its
   * reduction loops (undefined when it has none).
   */
  private carryScope: Scope | undefined;

  private update(b: Buffer, at: Scope = this.cur): void {
    if (!this.dataToBuffer.has(b.data)) return; // parameters and match buffers are not moved
    const old = this.lcas.get(b);
    this.lcas.set(b, old ? lca(old, at) : at);
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
    this.enter(f, () => {
      const shadowed = this.loopScopes.get(f.loopVar);
      this.loopScopes.set(f.loopVar, this.cur);
      this.visitStmt(f.body);
      if (shadowed) this.loopScopes.set(f.loopVar, shadowed);
      else this.loopScopes.delete(f.loopVar);
    });
  }

  override visitBlockRealize(r: BlockRealize): void {
    this.realize = r;
    super.visitBlockRealize(r);
  }

  override visitBlock(b: Block): void {
    if (b.init) {
      throw new Error(`block "${b.nameHint}" still has an init (T.init()); expected LowerInitBlock to run first`);
    }
    const realize = this.realize?.block === b ? this.realize : undefined;
    this.realize = undefined;
    for (const buf of b.allocBuffers) {
      this.dataToBuffer.set(buf.data, buf);
      this.allocated.push(buf);
    }
    const savedCarry = this.carryScope;
    this.enter(b, () => {
      this.carryScope = realize ? this.updateLoopCarried(realize) : undefined;
      for (const m of b.matchBuffers) this.update(m.source.buffer);
      super.visitBlock(b);
    });
    this.carryScope = savedCarry;
  }

  /**
   * Applies the loop-carried rules of the file header to one block (called with the block's
   * scope current); returns the scope its written buffers must live at or above, if any.
   */
  private updateLoopCarried(r: BlockRealize): Scope | undefined {
    const block = r.block;
    let reduceScope: Scope | undefined;
    const opaqueScopes = new Map<Var, Scope>(); // ordered / opaque iter var -> scope above its loops
    block.iterVars.forEach((iv, i) => {
      if (iv.iterType === "DataPar" || iv.iterType === "ThreadIndex") return;
      for (const v of collectVars(r.iterValues[i]!)) {
        const loop = this.loopScopes.get(v);
        if (!loop) continue;
        const above = loop.parent!;
        if (iv.iterType === "CommReduce") {
          if (!reduceScope || above.depth < reduceScope.depth) reduceScope = above;
        } else {
          const old = opaqueScopes.get(iv.variable);
          if (!old || above.depth < old.depth) opaqueScopes.set(iv.variable, above);
        }
      }
    });
    if (reduceScope) for (const w of block.writes) this.update(w.buffer, reduceScope);
    if (opaqueScopes.size > 0) {
      for (const region of [...block.reads, ...block.writes]) {
        let scope = this.cur;
        for (const rg of region.region) {
          for (const v of [...collectVars(rg.min), ...collectVars(rg.extent)]) {
            const s = opaqueScopes.get(v);
            if (s && s.depth < scope.depth) scope = s;
          }
        }
        if (scope !== this.cur) this.update(region.buffer, scope);
      }
    }
    return reduceScope;
  }

  override visitBufferLoad(e: BufferLoad): void {
    this.update(e.buffer);
    super.visitBufferLoad(e);
  }

  override visitBufferStore(s: BufferStore): void {
    this.update(s.buffer);
    if (this.carryScope) this.update(s.buffer, this.carryScope);
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
