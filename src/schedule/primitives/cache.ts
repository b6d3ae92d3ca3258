/**
 * cache_read / cache_write (TVM's CacheRead / CacheWrite).
 *
 * cache_read(block, i, scope): a new buffer `<A>_<scope>` allocated at the scope root receives a
 * copy of what the block's i-th read buffer holds, in a copy block placed right after the
 * buffer's producer (at the start of the scope for a function input); the consumers (or only
 * the listed ones) then read the copy.
 *
 * cache_write(block, i, scope): the block writes `<C>_<scope>` instead of its i-th write buffer,
 * and a copy block placed after it (before its first consumer) writes the result back; listed
 * consumer blocks read the cache directly.
 *
 * When the copy goes into the scope root the cache is compact (shaped like the copied region,
 * indexed from 0), otherwise it has the buffer's full shape, as in TVM.
 */
import { Buffer, BufferRegion } from "../../ir/buffer.js";
import { BufferLoad, type PrimExpr, Range, Var } from "../../ir/expr.js";
import * as E from "../../ir/expr_ops.js";
import { Analyzer } from "../../arith/analyzer.js";
import { Block, BufferStore, For, MatchBufferRegion, type Stmt } from "../../tir/stmt.js";
import { StmtExprMutator } from "../../tir/stmt_functor.js";
import { childBlocks } from "../analysis.js";
import { registerInstructionKind, tsOutputs } from "../instruction.js";
import { Schedule } from "../schedule.js";
import { BlockRV } from "../rv.js";
import type { StmtSRef } from "../sref.js";
import { checkStorageScope, nthAccessBuffer, onlyWriteBlock, scopeRoot, withScope } from "./buffer_util.js";
import {
  allConsumersUnderStmt, detectCacheLoc, insertCacheStage, makeCacheStage, rawConsumers, relaxBufferRegion, shiftRegion,
  type CacheLocation,
} from "./cache_stage.js";

declare module "../schedule.js" {
  interface Schedule {
    /**
     * Copies the block's `readBufferIndex`-th read buffer (or the read buffer of that name) into
     * a new `<name>_<storageScope>` buffer; its consumers (only `consumerBlocks` if given) read
     * the copy. Returns the copy block.
     */
    cacheRead(block: BlockRV, readBufferIndex: number | string, storageScope: string, consumerBlocks?: readonly BlockRV[]): BlockRV;
    /**
     * Makes the block write a new `<name>_<storageScope>` buffer instead of its
     * `writeBufferIndex`-th write buffer, copied back by a new block placed after it;
     * `consumerBlocks` read the cache directly. Returns the copy-back block.
     */
    cacheWrite(block: BlockRV, writeBufferIndex: number | string, storageScope: string, consumerBlocks?: readonly BlockRV[]): BlockRV;
  }
}

/** The blocks named as consumers, with the blocks directly inside them (TVM adds those too). */
function consumerSet(sch: Schedule, prim: string, consumers: readonly BlockRV[] | undefined): Set<Block> {
  const out = new Set<Block>();
  if (consumers !== undefined && !Array.isArray(consumers)) throw sch.error(prim, "consumer blocks must be given as a list of BlockRVs");
  for (const rv of consumers ?? []) {
    const s = sch.blockSRef(rv, prim);
    out.add(s.block());
    for (const c of childBlocks(sch.state, s)) out.add(c.block());
  }
  return out;
}

/** Shared state of a rewrite: the two buffers, where the stage goes and the region it copies. */
interface CacheInfo {
  readBuffer: Buffer;
  writeBuffer: Buffer;
  loc: CacheLocation;
  stage: Stmt;
  cacheRegion: BufferRegion;
  fullRegion: boolean;
  consumers: Set<Block>;
  reuse: Map<Block, Block>;
}

/** Common parts of both rewriters: inserting the stage and allocating the cache at the scope root. */
abstract class CacheRewriter extends StmtExprMutator {
  protected readonly analyzer = new Analyzer();
  constructor(
    protected readonly scopeBlock: Block,
    protected readonly info: CacheInfo,
    protected readonly alloc: Buffer,
  ) {
    super();
  }

  override visitFor(f: For): Stmt {
    const s = super.visitFor(f) as For;
    if (f !== this.info.loc.loc.stmt) return s;
    return s.with({ body: insertCacheStage(s.body, this.info.loc.pos, this.info.stage) });
  }

  /** Inserts the stage if `old` is the insertion point and allocates the cache if it is the scope. */
  protected finishBlock(old: Block, b: Block): Block {
    let out = b;
    if (old === this.info.loc.loc.stmt) out = out.with({ body: insertCacheStage(out.body, this.info.loc.pos, this.info.stage) });
    if (old === this.scopeBlock) out = out.with({ allocBuffers: [...out.allocBuffers, this.alloc] });
    return out;
  }

  /** `from` -> `to` in regions; a compact cache shifts the region to start at the cached region. */
  protected mapRegions(rs: readonly BufferRegion[], from: Buffer, to: Buffer): readonly BufferRegion[] {
    let changed = false;
    const out = rs.map((r) => {
      if (r.buffer !== from) return r;
      changed = true;
      const region = this.info.fullRegion ? r.region : shiftRegion(r.region, this.info.cacheRegion.region, this.analyzer);
      return new BufferRegion(to, region);
    });
    return changed ? out : rs;
  }

  protected mapMatchBuffers(ms: readonly MatchBufferRegion[], from: Buffer, to: Buffer): readonly MatchBufferRegion[] {
    let changed = false;
    const out = ms.map((m) => {
      if (m.source.buffer !== from) return m;
      changed = true;
      const region = this.info.fullRegion ? m.source.region : shiftRegion(m.source.region, this.info.cacheRegion.region, this.analyzer);
      return new MatchBufferRegion(m.buffer, new BufferRegion(to, region));
    });
    return changed ? out : ms;
  }

  /** Indices into a compact cache: relative to the cached region. */
  protected mapIndices(indices: readonly PrimExpr[]): readonly PrimExpr[] {
    if (this.info.fullRegion) return indices;
    return indices.map((x, i) => this.analyzer.simplify(E.sub(x, this.info.cacheRegion.region[i]!.min)));
  }
}

/** TVM's CacheReadRewriter: consumers read the cache; the producer is left alone. */
class CacheReadRewriter extends CacheRewriter {
  private consumes = true;

  override visitBlock(b: Block): Stmt {
    const isConsumer = this.info.consumers.size === 0 || this.info.consumers.has(b);
    this.consumes = isConsumer;
    if (b !== this.scopeBlock && b.writes.some((w) => w.buffer === this.info.readBuffer)) return b;
    let out = this.finishBlock(b, super.visitBlock(b) as Block);
    if (b !== this.scopeBlock && isConsumer) {
      const reads = this.mapRegions(out.reads, this.info.readBuffer, this.info.writeBuffer);
      const matchBuffers = this.mapMatchBuffers(out.matchBuffers, this.info.readBuffer, this.info.writeBuffer);
      if (reads !== out.reads || matchBuffers !== out.matchBuffers) out = out.with({ reads, matchBuffers });
    }
    this.info.reuse.set(b, out);
    return out;
  }

  override visitBufferLoad(e: BufferLoad): PrimExpr {
    const x = super.visitBufferLoad(e) as BufferLoad;
    if (x.buffer !== this.info.readBuffer || !this.consumes) return x;
    return new BufferLoad(this.info.writeBuffer, this.mapIndices(x.indices), x.predicate);
  }

  override visitVar(v: Var): PrimExpr {
    return v === this.info.readBuffer.data ? this.info.writeBuffer.data : v;
  }
}

/** TVM's CacheWriteRewriter: the writer (and listed consumers) use the cache instead. */
class CacheWriteRewriter extends CacheRewriter {
  private underWriter = false;
  constructor(scopeBlock: Block, info: CacheInfo, alloc: Buffer, private readonly writer: Block) {
    super(scopeBlock, info, alloc);
  }

  override visitBlock(b: Block): Stmt {
    const { readBuffer: cache, writeBuffer: target } = this.info;
    if (this.info.consumers.has(b)) {
      const writes = this.mapRegions(b.writes, target, cache);
      const reads = this.mapRegions(b.reads, target, cache);
      const matchBuffers = this.mapMatchBuffers(b.matchBuffers, target, cache);
      if (writes === b.writes && reads === b.reads && matchBuffers === b.matchBuffers) return b;
      const body = this.visitStmt(b.body);
      const out = b.with({ writes, reads, matchBuffers, body });
      this.info.reuse.set(b, out);
      return out;
    }
    if (b !== this.writer && b !== this.scopeBlock && !this.underWriter) return b;
    const saved = this.underWriter;
    this.underWriter = saved || b === this.writer;
    let out = super.visitBlock(b) as Block;
    this.underWriter = saved;
    out = this.finishBlock(b, out);
    if (b !== this.scopeBlock) {
      const writes = this.mapRegions(b.writes, target, cache);
      const reads = this.mapRegions(b.reads, target, cache);
      const matchBuffers = this.mapMatchBuffers(b.matchBuffers, target, cache);
      if (writes !== b.writes || reads !== b.reads || matchBuffers !== b.matchBuffers) out = out.with({ writes, reads, matchBuffers });
    }
    this.info.reuse.set(b, out);
    return out;
  }

  override visitBufferStore(s: BufferStore): Stmt {
    const x = super.visitBufferStore(s) as BufferStore;
    if (x.buffer !== this.info.writeBuffer) return x;
    return new BufferStore(this.info.readBuffer, x.value, this.mapIndices(x.indices), x.predicate);
  }

  override visitBufferLoad(e: BufferLoad): PrimExpr {
    const x = super.visitBufferLoad(e) as BufferLoad;
    if (x.buffer !== this.info.writeBuffer) return x;
    return new BufferLoad(this.info.readBuffer, this.mapIndices(x.indices), x.predicate);
  }

  override visitVar(v: Var): PrimExpr {
    return v === this.info.writeBuffer.data ? this.info.readBuffer.data : v;
  }
}

/** TVM's CheckRegionCover: every consumer of the buffer in the scope must have region cover. */
function checkRegionCover(sch: Schedule, prim: string, scope: StmtSRef, buffer: Buffer): void {
  for (const c of childBlocks(sch.state, scope)) {
    if (!c.block().reads.some((r) => r.buffer === buffer)) continue;
    if (!sch.state.blockInfo(c).regionCover) {
      throw sch.error(
        prim,
        `the region cover of scope "${scope.block().nameHint}" is not complete: block "${c.block().nameHint}" reads ${buffer.name} beyond what its producers write`,
        scope,
        [c],
      );
    }
  }
}

/** The domains of the loops around the insertion point (itself included when it is a loop). */
function enclosingLoops(loc: StmtSRef): Map<Var, Range> {
  const m = new Map<Var, Range>();
  for (let p: StmtSRef | undefined = loc; p && p.isLoop; p = p.parent) {
    const f = p.loop();
    m.set(f.loopVar, new Range(f.min, f.extent));
  }
  return m;
}

/** A compact cache takes the region's extents as its shape. */
function compactShape(buffer: Buffer, region: BufferRegion, full: boolean): Buffer {
  return full ? buffer : buffer.with({ shape: region.region.map((r) => r.extent) });
}

Schedule.prototype.cacheRead = function (this: Schedule, block, readBufferIndex, storageScope, consumerBlocks) {
  const prim = "cache_read";
  return this.transact(prim, () => {
    const blockSRef = this.blockSRef(block, prim);
    const scopeName = checkStorageScope(this, prim, storageScope, blockSRef);
    const { buffer: readBuffer, index } = nthAccessBuffer(this, prim, blockSRef, readBufferIndex, "read");
    const scope = scopeRoot(this, prim, blockSRef, false);
    checkRegionCover(this, prim, scope, readBuffer);
    const consumers = consumerSet(this, prim, consumerBlocks);
    let loc: CacheLocation;
    let cacheRegion: BufferRegion;
    const writer = onlyWriteBlock(this, prim, scope, readBuffer);
    if (writer) {
      const related = consumers.size > 0
        ? [...consumers].map((b) => this.state.getSRef(b)!)
        : rawConsumers(this.state, scope, writer);
      loc = detectCacheLoc(this.state, writer, scope, related);
      const region = writer.block().writes.find((w) => w.buffer === readBuffer)!;
      cacheRegion = relaxBufferRegion(this.state, region, writer, loc.loc);
    } else {
      // A function input: copy it at the start of the scope.
      loc = { loc: scope, pos: 0 };
      cacheRegion = scope.block().reads.find((r) => r.buffer === readBuffer) ?? readBuffer.fullRegion();
    }
    const fullRegion = !loc.loc.isBlock || !allConsumersUnderStmt(this.state, readBuffer, scope, loc.loc);
    const writeBuffer = compactShape(withScope(readBuffer, scopeName), cacheRegion, fullRegion);
    const { stage, block: stageBlock } = makeCacheStage(cacheRegion, readBuffer, writeBuffer, scopeName, fullRegion, enclosingLoops(loc.loc));
    const info: CacheInfo = { readBuffer, writeBuffer, loc, stage, cacheRegion, fullRegion, consumers, reuse: new Map() };
    const scopeBlock = scope.block();
    const newScope = new CacheReadRewriter(scopeBlock, info, writeBuffer).visitStmt(scopeBlock);
    this.state.replace(scope, newScope, info.reuse);
    const rv = this.newBlockRV(this.state.getSRef(stageBlock)!);
    this.record("CacheRead", [block, [...(consumerBlocks ?? [])]], [index, scopeName], [rv]);
    return rv;
  });
};

Schedule.prototype.cacheWrite = function (this: Schedule, block, writeBufferIndex, storageScope, consumerBlocks) {
  const prim = "cache_write";
  return this.transact(prim, () => {
    const blockSRef = this.blockSRef(block, prim);
    const scopeName = checkStorageScope(this, prim, storageScope, blockSRef);
    const { buffer: target, index } = nthAccessBuffer(this, prim, blockSRef, writeBufferIndex, "write");
    const scope = scopeRoot(this, prim, blockSRef, false);
    const consumers = consumerSet(this, prim, consumerBlocks);
    const writer = onlyWriteBlock(this, prim, scope, target);
    if (writer !== blockSRef) {
      throw this.error(prim, `block "${blockSRef.block().nameHint}" is not a child block of its scope that writes ${target.name}`, blockSRef, [blockSRef]);
    }
    const related = rawConsumers(this.state, scope, blockSRef).filter((c) => !consumers.has(c.block()));
    const loc = detectCacheLoc(this.state, blockSRef, scope, related);
    const region = blockSRef.block().writes.find((w) => w.buffer === target)!;
    const cacheRegion = relaxBufferRegion(this.state, region, blockSRef, loc.loc);
    const fullRegion = !loc.loc.isBlock || !allConsumersUnderStmt(this.state, target, scope, loc.loc);
    const cache = compactShape(withScope(target, scopeName), cacheRegion, fullRegion);
    const { stage, block: stageBlock } = makeCacheStage(cacheRegion, cache, target, scopeName, fullRegion, enclosingLoops(loc.loc));
    const info: CacheInfo = { readBuffer: cache, writeBuffer: target, loc, stage, cacheRegion, fullRegion, consumers, reuse: new Map() };
    const scopeBlock = scope.block();
    const newScope = new CacheWriteRewriter(scopeBlock, info, cache, blockSRef.block()).visitStmt(scopeBlock);
    this.state.replace(scope, newScope, info.reuse);
    const rv = this.newBlockRV(this.state.getSRef(stageBlock)!);
    this.record("CacheWrite", [block, [...(consumerBlocks ?? [])]], [index, scopeName], [rv]);
    return rv;
  });
};

function cacheKind(name: string, method: "cacheRead" | "cacheWrite"): void {
  registerInstructionKind({
    name,
    pure: false,
    apply: (sch, inputs, attrs) => {
      const consumers = (inputs[1] ?? []) as BlockRV[];
      return [sch[method](inputs[0] as BlockRV, attrs[0] as number, attrs[1] as string, consumers)];
    },
    toTS: (inputs, attrs, outs) => {
      const extra = inputs[1] && inputs[1] !== "[]" ? `, ${inputs[1]}` : "";
      return `${tsOutputs(outs, false)}sch.${method}(${inputs[0]}, ${attrs[0]}, ${JSON.stringify(attrs[1])}${extra});`;
    },
  });
}
cacheKind("CacheRead", "cacheRead");
cacheKind("CacheWrite", "cacheWrite");
