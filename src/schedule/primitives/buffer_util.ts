/**
 * Helpers shared by the caching and layout primitives (cache_read/write, reindex, set_scope,
 * storage_align, transform_layout, pad_einsum): picking a block's n-th read or write buffer,
 * checking storage scopes, finding where a buffer is defined, the scope root of a block, and a
 * mutator that swaps one buffer for another throughout a subtree.
 */
import { Buffer, BufferRegion } from "../../ir/buffer.js";
import { BufferLoad, type PrimExpr, Var } from "../../ir/expr.js";
import { handle } from "../../ir/dtype.js";
import { Block, BufferStore, MatchBufferRegion, type Stmt } from "../../tir/stmt.js";
import { StmtExprMutator } from "../../tir/stmt_functor.js";
import { childBlocks, scopeOf } from "../analysis.js";
import type { Schedule } from "../schedule.js";
import type { StmtSRef } from "../sref.js";

export type BufferIndexType = "read" | "write";

/** TVM's BufferIndexType as recorded in traces: 0 read, 1 write. */
export function bufferIndexTypeCode(t: BufferIndexType): number {
  return t === "read" ? 0 : 1;
}

export function bufferIndexTypeFromCode(sch: Schedule, prim: string, code: unknown): BufferIndexType {
  if (code === 0 || code === "read") return "read";
  if (code === 1 || code === "write") return "write";
  throw sch.error(prim, `buffer_index_type must be 0 (read) or 1 (write), got ${JSON.stringify(code)}`);
}

function regionsOf(block: Block, t: BufferIndexType): readonly BufferRegion[] {
  return t === "read" ? block.reads : block.writes;
}

function listBuffers(block: Block, t: BufferIndexType): string {
  const rs = regionsOf(block, t);
  return rs.length === 0 ? "none" : rs.map((r, i) => `${i}: ${r.buffer.name}`).join(", ");
}

/**
 * The n-th read or write buffer of a block (TVM's GetNthAccessBuffer); a string names the
 * buffer instead (TVM's Python API resolves names to indices the same way before recording).
 */
export function nthAccessBuffer(
  sch: Schedule,
  prim: string,
  blockSRef: StmtSRef,
  index: number | string,
  t: BufferIndexType,
): { buffer: Buffer; index: number } {
  const block = blockSRef.block();
  const rs = regionsOf(block, t);
  if (typeof index === "string") {
    const at = rs.findIndex((r) => r.buffer.name === index);
    if (at < 0) {
      throw sch.error(
        prim,
        `block "${block.nameHint}" does not ${t} a buffer named "${index}" (its ${t} buffers: ${listBuffers(block, t)})`,
        blockSRef,
        [blockSRef],
      );
    }
    return { buffer: rs[at]!.buffer, index: at };
  }
  if (!Number.isInteger(index) || index < 0 || index >= rs.length) {
    throw sch.error(
      prim,
      `block "${block.nameHint}" has ${rs.length} ${t} region(s), so the buffer index must be in [0, ${rs.length}), ` +
        `got ${index} (its ${t} buffers: ${listBuffers(block, t)})`,
      blockSRef,
      [blockSRef],
    );
  }
  return { buffer: rs[index]!.buffer, index };
}

/**
 * A buffer named by `["read" | "write", index]` or by name (TVM's Python `_parse_buffer`: a
 * name is looked up among reads then writes, a later match winning).
 */
export function resolveBufferRef(
  sch: Schedule,
  prim: string,
  blockSRef: StmtSRef,
  ref: readonly [BufferIndexType, number] | string,
): { buffer: Buffer; index: number; type: BufferIndexType } {
  const block = blockSRef.block();
  if (typeof ref === "string") {
    let found: { buffer: Buffer; index: number; type: BufferIndexType } | undefined;
    const all: { buffer: Buffer; index: number; type: BufferIndexType }[] = [];
    block.reads.forEach((r, index) => all.push({ buffer: r.buffer, index, type: "read" }));
    block.writes.forEach((r, index) => all.push({ buffer: r.buffer, index, type: "write" }));
    const named = all.filter((x) => x.buffer.name === ref);
    if (new Set(named.map((x) => x.buffer)).size > 1) {
      throw sch.error(prim, `block "${block.nameHint}" accesses several buffers named "${ref}"; name it as ["read" | "write", index]`, blockSRef, [blockSRef]);
    }
    found = named[named.length - 1];
    if (!found) {
      throw sch.error(
        prim,
        `block "${block.nameHint}" accesses no buffer named "${ref}" (reads: ${listBuffers(block, "read")}; writes: ${listBuffers(block, "write")})`,
        blockSRef,
        [blockSRef],
      );
    }
    return found;
  }
  if (!Array.isArray(ref) || ref.length !== 2 || (ref[0] !== "read" && ref[0] !== "write")) {
    throw sch.error(prim, `a buffer is named by its name or by ["read" | "write", index], got ${JSON.stringify(ref)}`, blockSRef);
  }
  const { buffer, index } = nthAccessBuffer(sch, prim, blockSRef, ref[1], ref[0]);
  return { buffer, index, type: ref[0] };
}

const SCOPE_PREFIXES = ["global", "shared", "warp", "local", "wmma.matrix_a", "wmma.matrix_b", "wmma.accumulator", "texture", "metal.simdgroup", "m.mma"];

/** TVM's CheckStorageScope: the scope must parse as a runtime StorageScope. */
export function checkStorageScope(sch: Schedule, prim: string, scope: unknown, at?: StmtSRef): string {
  if (typeof scope !== "string" || !(scope === "" || SCOPE_PREFIXES.some((p) => scope.startsWith(p)))) {
    throw sch.error(
      prim,
      `the storage scope ${JSON.stringify(scope)} is invalid (a scope starts with one of: ${SCOPE_PREFIXES.join(", ")})`,
      at,
    );
  }
  return scope;
}

/** TVM's WithScope: a copy named `<name>_<scope>` with a fresh data pointer in that scope. */
export function withScope(buffer: Buffer, scope: string): Buffer {
  const name = `${buffer.name}_${scope}`;
  const data = new Var(`${buffer.data.name}_${scope}`, handle, { elementType: buffer.dtype, storageScope: scope });
  return buffer.with({ name, scope, data });
}

/**
 * Where a buffer is defined, searching the block and its ancestors: the defining block and
 * whether it allocates the buffer (false: match_buffer); undefined for function parameters.
 */
export function bufferDefiningSite(blockSRef: StmtSRef, buffer: Buffer): { site?: StmtSRef; isAlloc: boolean } {
  for (let s: StmtSRef | undefined = blockSRef; s; s = s.parent) {
    if (!s.isBlock) continue;
    const b = s.block();
    if (b.allocBuffers.includes(buffer)) return { site: s, isAlloc: true };
    if (b.matchBuffers.some((m) => m.buffer === buffer)) return { site: s, isAlloc: false };
  }
  return { isAlloc: false };
}

/** The scope root of a block (TVM's GetScopeRoot), optionally required to be a stage pipeline. */
export function scopeRoot(sch: Schedule, prim: string, blockSRef: StmtSRef, requireStagePipeline: boolean): StmtSRef {
  if (!blockSRef.parent) throw sch.error(prim, "the root block of a function has no scope to work in; pass one of its child blocks", blockSRef, [blockSRef]);
  const scope = scopeOf(blockSRef);
  if (requireStagePipeline && !sch.state.blockInfo(scope).stagePipeline) {
    throw sch.error(
      prim,
      `the scope block "${scope.block().nameHint}" is not a stage pipeline (a buffer is written by several blocks, or written after it is read)`,
      scope,
      [scope],
    );
  }
  return scope;
}

/** The only child block of `scope` that writes `buffer` (undefined if none); TVM's GetOnlyWriteBlock. */
export function onlyWriteBlock(sch: Schedule, prim: string, scope: StmtSRef, buffer: Buffer): StmtSRef | undefined {
  const writers = childBlocks(sch.state, scope).filter((s) => s.block().writes.some((w) => w.buffer === buffer));
  if (writers.length > 1) {
    throw sch.error(
      prim,
      `the buffer ${buffer.name} is expected to be written by a single block, but ${writers.length} blocks write it (${writers.map((w) => `"${w.block().nameHint}"`).join(", ")})`,
      scope,
      writers,
    );
  }
  return writers[0];
}

/**
 * Swaps buffers throughout a subtree (TVM's ReplaceBufferMutator): loads, stores, block regions,
 * alloc_buffers, match_buffer sources and uses of the data pointer. Blocks that change are
 * recorded in `reuse` (old -> new) for the schedule state.
 */
export class BufferReplacer extends StmtExprMutator {
  protected readonly byData = new Map<Var, Buffer>();
  constructor(
    protected readonly bufferMap: Map<Buffer, Buffer>,
    readonly reuse: Map<Block, Block> = new Map(),
  ) {
    super();
    for (const [o, n] of bufferMap) this.byData.set(o.data, n);
  }

  protected mapBuffer(b: Buffer): Buffer {
    return this.bufferMap.get(b) ?? b;
  }

  /** Adds a replacement while mutating (e.g. a match_buffer view of a replaced buffer). */
  protected addMapping(from: Buffer, to: Buffer): void {
    this.bufferMap.set(from, to);
    this.byData.set(from.data, to);
  }

  /** Called on a block's match_buffers before its body is visited; may add mappings. */
  protected onMatchBuffer(_m: MatchBufferRegion): void {}

  override visitVar(v: Var): PrimExpr {
    return this.byData.get(v)?.data ?? v;
  }

  override visitBufferLoad(e: BufferLoad): PrimExpr {
    const x = super.visitBufferLoad(e) as BufferLoad;
    const nb = this.mapBuffer(x.buffer);
    return nb === x.buffer ? x : new BufferLoad(nb, x.indices, x.predicate);
  }

  override visitBufferStore(s: BufferStore): Stmt {
    const x = super.visitBufferStore(s) as BufferStore;
    const nb = this.mapBuffer(x.buffer);
    return nb === x.buffer ? x : new BufferStore(nb, x.value, x.indices, x.predicate);
  }

  override visitBlock(b: Block): Stmt {
    const region = (r: BufferRegion) => {
      const nb = this.mapBuffer(r.buffer);
      return nb === r.buffer ? r : new BufferRegion(nb, r.region);
    };
    for (const m of b.matchBuffers) this.onMatchBuffer(m);
    const inner = super.visitBlock(b) as Block;
    const matchBuffers = inner.matchBuffers.map((m) => {
      const src = this.mapBuffer(m.source.buffer), tgt = this.mapBuffer(m.buffer);
      return src === m.source.buffer && tgt === m.buffer ? m : new MatchBufferRegion(tgt, new BufferRegion(src, m.source.region));
    });
    const reads = inner.reads.map(region);
    const writes = inner.writes.map(region);
    const allocBuffers = inner.allocBuffers.map((x) => this.mapBuffer(x));
    const same = (xs: readonly unknown[], ys: readonly unknown[]) => xs.every((x, i) => x === ys[i]);
    if (inner === b && same(reads, b.reads) && same(writes, b.writes) && same(allocBuffers, b.allocBuffers) && same(matchBuffers, b.matchBuffers)) {
      return b;
    }
    const nb = inner.with({ reads, writes, allocBuffers, matchBuffers });
    this.reuse.set(b, nb);
    return nb;
  }
}
