/**
 * reindex (TVM's ReIndex): puts a copy stage between a block and one of its buffers so that the
 * block accesses the copy `<name>_reindex` at exactly its own iter vars, `B_reindex[vi, vj]`,
 * whatever the original indices were (`A[vj, vi]`). The copy stage iterates like the block
 * (block iters not used by the indices are dropped) and goes right before the block's loop
 * nest for a read, right after it for a write. Used to normalise layouts before tensorization.
 *
 * As in TVM, the copy block is named `<written buffer>_reindex`: `C_reindex` for a write and
 * `A_reindex_reindex` for a read (the written buffer is then the reindex buffer itself).
 */
import { Buffer, BufferRegion } from "../../ir/buffer.js";
import { BufferLoad, IntImm, type PrimExpr, Range, Var } from "../../ir/expr.js";
import * as E from "../../ir/expr_ops.js";
import { collectVars, substitute } from "../../ir/expr_functor.js";
import { structuralEqual } from "../../ir/structural.js";
import { Analyzer } from "../../arith/analyzer.js";
import { Block, BlockRealize, BufferStore, For, IterVar, MatchBufferRegion, TRUE, type Stmt } from "../../tir/stmt.js";
import { StmtExprMutator, StmtExprVisitor } from "../../tir/stmt_functor.js";
import { registerInstructionKind, tsOutputs } from "../instruction.js";
import { Schedule } from "../schedule.js";
import type { BlockRV } from "../rv.js";
import type { StmtSRef } from "../sref.js";
import { bufferIndexTypeCode, bufferIndexTypeFromCode, resolveBufferRef, scopeRoot, type BufferIndexType } from "./buffer_util.js";
import { insertCacheStage } from "./cache_stage.js";

declare module "../schedule.js" {
  interface Schedule {
    /**
     * Adds a stage copying the block's `buffer` (["read" | "write", index] or its name) to / from
     * `<name>_reindex`, indexed by the block's iter vars. Returns the new block.
     */
    reindex(block: BlockRV, buffer: readonly [BufferIndexType, number] | string): BlockRV;
  }
}

const PRIM = "reindex";

/** TVM's ReIndexCollector: the one index tuple the block body uses for `buffer`. */
function collectIndices(sch: Schedule, blockSRef: StmtSRef, buffer: Buffer): readonly PrimExpr[] {
  const block = blockSRef.block();
  let found: readonly PrimExpr[] | undefined;
  let problem: string | undefined;
  const check = (idx: readonly PrimExpr[]) => {
    if (!found) found = idx;
    else if (!problem && !(idx.length === found.length && idx.every((x, i) => structuralEqual(x, found![i])))) {
      problem = "it is accessed at different indices (reindex needs one index pattern)";
    }
  };
  class C extends StmtExprVisitor {
    override visitStmt(s: Stmt): void {
      if (s instanceof Block) {
        problem ??= "it is not a leaf block (it contains other blocks)";
        return;
      }
      if (s instanceof BufferStore && s.buffer === buffer) check(s.indices);
      super.visitStmt(s);
    }
    override visitBufferLoad(e: BufferLoad): void {
      super.visitBufferLoad(e);
      if (e.buffer === buffer) check(e.indices);
    }
    override visitVar(v: Var): void {
      if (v === buffer.data) problem ??= "the buffer is accessed opaquely (through its data pointer)";
    }
  }
  new C().visitStmt(block.body);
  if (!problem && !found) problem = "the block body does not load or store it";
  if (problem) {
    throw sch.error(PRIM, `cannot reindex buffer ${buffer.name} of block "${block.nameHint}": ${problem}`, blockSRef, [blockSRef]);
  }
  return found!;
}

/** TVM's ReIndexRewriter: the block accesses the reindex buffer at its iter vars; the stage goes into the scope. */
class ReIndexRewriter extends StmtExprMutator {
  private indices: PrimExpr[] = [];
  private inTarget = false;
  readonly reuse = new Map<Block, Block>();
  constructor(
    private readonly scope: Block,
    private readonly target: Block,
    private readonly oldBuffer: Buffer,
    private readonly newBuffer: Buffer,
    private readonly covered: ReadonlySet<Var>,
    private readonly pos: number,
    private readonly stage: Stmt,
  ) {
    super();
  }

  override visitBlock(b: Block): Stmt {
    if (b === this.scope) {
      const inner = super.visitBlock(b) as Block;
      const out = inner.with({ body: insertCacheStage(inner.body, this.pos, this.stage), allocBuffers: [...inner.allocBuffers, this.newBuffer] });
      this.reuse.set(b, out);
      return out;
    }
    if (b !== this.target) return b;
    const vars = b.iterVars.filter((iv) => this.covered.has(iv.variable)).map((iv) => iv.variable);
    this.indices = vars;
    const region = new BufferRegion(this.newBuffer, vars.map((v) => new Range(v, new IntImm(v.dtype, 1))));
    this.inTarget = true;
    const inner = super.visitBlock(b) as Block;
    this.inTarget = false;
    const swap = (rs: readonly BufferRegion[]) => rs.map((r) => (r.buffer === this.oldBuffer ? region : r));
    const matchBuffers = inner.matchBuffers.map((m) => (m.source.buffer === this.oldBuffer ? new MatchBufferRegion(m.buffer, region) : m));
    const out = inner.with({ reads: swap(inner.reads), writes: swap(inner.writes), matchBuffers });
    this.reuse.set(b, out);
    return out;
  }

  override visitBufferStore(s: BufferStore): Stmt {
    const x = super.visitBufferStore(s) as BufferStore;
    if (!this.inTarget || x.buffer !== this.oldBuffer) return x;
    return new BufferStore(this.newBuffer, x.value, this.indices, x.predicate);
  }

  override visitBufferLoad(e: BufferLoad): PrimExpr {
    const x = super.visitBufferLoad(e) as BufferLoad;
    if (!this.inTarget || x.buffer !== this.oldBuffer) return x;
    return new BufferLoad(this.newBuffer, this.indices, x.predicate);
  }
}

Schedule.prototype.reindex = function (this: Schedule, block: BlockRV, bufferRef: readonly [BufferIndexType, number] | string): BlockRV {
  return this.transact(PRIM, () => {
    const blockSRef = this.blockSRef(block, PRIM);
    const { buffer, index, type } = resolveBufferRef(this, PRIM, blockSRef, bufferRef);
    const scope = scopeRoot(this, PRIM, blockSRef, true);
    const blk = blockSRef.block();
    // The indices, simplified with the iter vars' domains (constants left as they were).
    const analyzer = new Analyzer();
    for (const iv of blk.iterVars) analyzer.bind(iv.variable, iv.dom);
    const original = collectIndices(this, blockSRef, buffer).map((e) => {
      const s = analyzer.simplify(e);
      return s instanceof IntImm ? e : s;
    });
    const covered = new Set<Var>(original.flatMap((e) => collectVars(e)));

    // The reindex buffer: one dimension (of size dom.min + dom.extent) per iter var the indices use.
    const shape = blk.iterVars.filter((iv) => covered.has(iv.variable)).map((iv) => E.add(iv.dom.min, iv.dom.extent));
    const data = new Var(`${buffer.data.name}_reindex`, buffer.data.dtype, buffer.data.typeAnnotation);
    const reindexBuffer = new Buffer(`${buffer.name}_reindex`, buffer.dtype, shape, {
      scope: buffer.scope, data, elemOffset: buffer.elemOffset, dataAlignment: buffer.dataAlignment, offsetFactor: buffer.offsetFactor,
    });
    const [readBuffer, writeBuffer] = type === "write" ? [reindexBuffer, buffer] : [buffer, reindexBuffer];

    // The block must sit under a chain of loops directly below the scope.
    let top = blockSRef.parent!;
    if (top === scope) throw this.error(PRIM, `block "${blk.nameHint}" has no loops around it; reindex copies along the block's loop nest`, blockSRef, [blockSRef]);
    while (top.parent !== scope) {
      const outer = top.parent!;
      if (!outer.isLoop || !top.isLoop || outer.loop().body !== top.stmt) {
        throw this.error(PRIM, `the loops around block "${blk.nameHint}" do not form a single chain up to its scope (each loop must hold only the next)`, blockSRef, [outer]);
      }
      top = outer;
    }
    const pos = (top.seqIndex === -1 ? 0 : top.seqIndex) + (type === "write" ? 1 : 0);

    const { stage, block: stageBlock } = makeReIndexStage(blk, covered, original, readBuffer, writeBuffer, type);
    const rewriter = new ReIndexRewriter(scope.block(), blk, buffer, reindexBuffer, covered, pos, stage);
    const newScope = rewriter.visitStmt(scope.block());
    this.state.replace(scope, newScope, rewriter.reuse);
    const rv = this.newBlockRV(this.state.getSRef(stageBlock)!);
    this.record("ReIndex", [block], [index, bufferIndexTypeCode(type)], [rv]);
    return rv;
  });
};

/** TVM's MakeReIndexStage: a copy block over the covered iters, with loops `ax<i>` binding them. */
function makeReIndexStage(
  block: Block,
  covered: ReadonlySet<Var>,
  original: readonly PrimExpr[],
  readBuffer: Buffer,
  writeBuffer: Buffer,
  type: BufferIndexType,
): { stage: Stmt; block: Block } {
  const iters: IterVar[] = [];
  const replace = new Map<Var, PrimExpr>();
  const reindexIdx: PrimExpr[] = [];
  for (const iv of block.iterVars) {
    const v = new Var(`v${iters.length}`, iv.variable.dtype);
    if (covered.has(iv.variable)) {
      iters.push(new IterVar(iv.dom, v, "DataPar"));
      reindexIdx.push(v);
    }
    replace.set(iv.variable, v);
  }
  const targetIdx = original.map((e) => substitute(e, replace));
  const [src, dst] = type === "write" ? [reindexIdx, targetIdx] : [targetIdx, reindexIdx];
  const point = (buf: Buffer, idx: readonly PrimExpr[]) => new BufferRegion(buf, idx.map((x) => new Range(x, new IntImm(x.dtype, 1))));
  const newBlock = new Block({
    iterVars: iters,
    reads: [point(readBuffer, src)],
    writes: [point(writeBuffer, dst)],
    nameHint: `${writeBuffer.name}_reindex`,
    body: new BufferStore(writeBuffer, new BufferLoad(readBuffer, src), dst),
  });
  const loopVars = iters.map((iv, i) => new Var(`ax${i}`, iv.variable.dtype));
  let stage: Stmt = new BlockRealize(loopVars, TRUE, newBlock);
  for (let i = iters.length - 1; i >= 0; i--) {
    stage = new For(loopVars[i]!, iters[i]!.dom.min, iters[i]!.dom.extent, "serial", stage);
  }
  return { stage, block: newBlock };
}

registerInstructionKind({
  name: "ReIndex",
  pure: false,
  apply: (sch, inputs, attrs) => {
    const type = bufferIndexTypeFromCode(sch, PRIM, attrs[1]);
    return [sch.reindex(inputs[0] as BlockRV, [type, attrs[0] as number])];
  },
  toTS: (inputs, attrs, outs) =>
    `${tsOutputs(outs, false)}sch.reindex(${inputs[0]}, [${JSON.stringify(attrs[1] === 1 ? "write" : "read")}, ${attrs[0]}]);`,
});
