/**
 * Buffer properties (TVM's block_annotate.cc): set_scope moves a buffer allocated by a block
 * into another storage scope (renaming it `<name>_<scope>`, as TVM's WithScope does, and
 * following match_buffer views of it); storage_align records a `buffer_dim_align` annotation
 * on the writing block, asking lowering to pad one dimension's stride to `factor * k + offset`.
 */
import { Buffer } from "../../ir/buffer.js";
import { Block, MatchBufferRegion, type AttrValue } from "../../tir/stmt.js";
import { registerInstructionKind } from "../instruction.js";
import { Schedule } from "../schedule.js";
import type { BlockRV } from "../rv.js";
import type { StmtSRef } from "../sref.js";
import { BufferReplacer, bufferDefiningSite, checkStorageScope, nthAccessBuffer, withScope } from "./buffer_util.js";

declare module "../schedule.js" {
  interface Schedule {
    /** Moves the block's `bufferIndex`-th write buffer (allocated by a block) into `storageScope`. */
    setScope(block: BlockRV, bufferIndex: number | string, storageScope: string): void;
    /**
     * Asks for the stride of dimension `axis` of the block's `bufferIndex`-th write buffer to be
     * `factor * k + offset` (the `buffer_dim_align` block annotation).
     */
    storageAlign(block: BlockRV, bufferIndex: number | string, axis: number, factor: number, offset: number): void;
  }
}

/** The block that allocates `buffer`; parameters and match_buffer views are rejected. */
function allocationSite(sch: Schedule, prim: string, blockSRef: StmtSRef, buffer: Buffer): StmtSRef {
  const { site, isAlloc } = bufferDefiningSite(blockSRef, buffer);
  if (!site || !isAlloc) {
    throw sch.error(
      prim,
      `the buffer ${buffer.name} is not allocated by a block: it is ${site ? "a match_buffer view in a block" : "a parameter of the function"}`,
      blockSRef,
      [blockSRef],
    );
  }
  return site;
}

/** Swaps the buffer for its new-scope copy, giving match_buffer views of it the same scope. */
class ScopeReplacer extends BufferReplacer {
  protected override onMatchBuffer(m: MatchBufferRegion): void {
    const src = this.mapBuffer(m.source.buffer);
    if (src !== m.source.buffer) this.addMapping(m.buffer, withScope(m.buffer, src.scope));
  }
}

Schedule.prototype.setScope = function (this: Schedule, block: BlockRV, bufferIndex: number | string, storageScope: string): void {
  const prim = "set_scope";
  this.transact(prim, () => {
    const blockSRef = this.blockSRef(block, prim);
    const { buffer, index } = nthAccessBuffer(this, prim, blockSRef, bufferIndex, "write");
    // Setting the scope a buffer already has changes nothing (but is still recorded, as in TVM).
    if (buffer.scope !== storageScope) {
      checkStorageScope(this, prim, storageScope, blockSRef);
      const site = allocationSite(this, prim, blockSRef, buffer);
      const replacer = new ScopeReplacer(new Map([[buffer, withScope(buffer, storageScope)]]));
      const siteBlock = site.block();
      const newSite = replacer.visitStmt(siteBlock) as Block;
      replacer.reuse.set(siteBlock, newSite);
      this.state.replace(site, newSite, replacer.reuse);
    }
    this.record("SetScope", [block], [index, storageScope], []);
  });
};

type AlignTuple = [number, number, number, number];

/** The existing `buffer_dim_align` annotation, which must be a list of 4-integer tuples. */
function existingAlign(sch: Schedule, prim: string, blockSRef: StmtSRef): AlignTuple[] {
  const v = blockSRef.block().annotations["buffer_dim_align"];
  if (v === undefined) return [];
  const isInt = (x: unknown) => typeof x === "number" && Number.isInteger(x);
  if (!Array.isArray(v) || !v.every((t) => Array.isArray(t) && t.length === 4 && t.every(isInt))) {
    throw sch.error(
      prim,
      `the block annotation "buffer_dim_align" of block "${blockSRef.block().nameHint}" is ${JSON.stringify(v)}; it must be a list of [buffer_index, axis, factor, offset] integer tuples`,
      blockSRef,
      [blockSRef],
    );
  }
  return (v as AlignTuple[]).map((t) => [...t] as AlignTuple);
}

Schedule.prototype.storageAlign = function (this: Schedule, block: BlockRV, bufferIndex: number | string, axis: number, factor: number, offset: number): void {
  const prim = "storage_align";
  this.transact(prim, () => {
    const blockSRef = this.blockSRef(block, prim);
    const { buffer, index } = nthAccessBuffer(this, prim, blockSRef, bufferIndex, "write");
    for (const [name, x] of [["axis", axis], ["factor", factor], ["offset", offset]] as const) {
      if (!Number.isInteger(x)) throw this.error(prim, `${name} must be an integer, got ${x}`, blockSRef);
    }
    if (factor <= 0) throw this.error(prim, `the factor must be a positive integer, got ${factor}`, blockSRef, [blockSRef]);
    const ndim = buffer.ndim;
    if (axis < -ndim || axis >= ndim) {
      throw this.error(prim, `buffer ${buffer.name} has ${ndim} dimension(s), so the axis must be in [${-ndim}, ${ndim}), got ${axis}`, blockSRef, [blockSRef]);
    }
    const ax = axis < 0 ? axis + ndim : axis;
    allocationSite(this, prim, blockSRef, buffer);
    const tuples = existingAlign(this, prim, blockSRef);
    const entry: AlignTuple = [index, ax, factor, offset];
    const at = tuples.findIndex((t) => t[0] === index && t[1] === ax);
    if (at >= 0) tuples[at] = entry;
    else tuples.push(entry);
    const blk = blockSRef.block();
    const nb = blk.with({ annotations: { ...blk.annotations, buffer_dim_align: tuples as AttrValue } });
    this.state.replace(blockSRef, nb, new Map([[blk, nb]]));
    this.record("StorageAlign", [block], [index, axis, factor, offset], []);
  });
};

registerInstructionKind({
  name: "SetScope",
  pure: false,
  apply: (sch, inputs, attrs) => {
    sch.setScope(inputs[0] as BlockRV, attrs[0] as number, attrs[1] as string);
    return [];
  },
  toTS: (inputs, attrs) => `sch.setScope(${inputs[0]}, ${attrs[0]}, ${JSON.stringify(attrs[1])});`,
});

registerInstructionKind({
  name: "StorageAlign",
  pure: false,
  apply: (sch, inputs, attrs) => {
    const [i, axis, factor, offset] = attrs as number[];
    sch.storageAlign(inputs[0] as BlockRV, i!, axis!, factor!, offset!);
    return [];
  },
  toTS: (inputs, attrs) => `sch.storageAlign(${inputs[0]}, ${attrs.join(", ")});`,
});
