/**
 * Query primitives: getBlock, getLoops, getChildBlocks, getProducers, getConsumers,
 * getOutputBlocks. They change nothing but are recorded, since later instructions refer to
 * the RVs they return.
 */
import { Block } from "../../tir/stmt.js";
import { allBlocks, childBlocks, consumersOf, loopsAbove, producersOf } from "../analysis.js";
import { registerInstructionKind, tsOutputs } from "../instruction.js";
import { Schedule } from "../schedule.js";
import { BlockRV, LoopRV } from "../rv.js";
import type { StmtSRef } from "../sref.js";

declare module "../schedule.js" {
  interface Schedule {
    /** The block named `name` in `funcName` (default: the function being worked on). */
    getBlock(name: string, funcName?: string): BlockRV;
    /** The loops above a block, outermost first (up to its scope block). */
    getLoops(block: BlockRV): LoopRV[];
    /** Blocks directly under a block or loop, in execution order. */
    getChildBlocks(parent: BlockRV | LoopRV): BlockRV[];
    /** Blocks in the same scope that write what `block` reads. */
    getProducers(block: BlockRV): BlockRV[];
    /** Blocks in the same scope that read what `block` writes. */
    getConsumers(block: BlockRV): BlockRV[];
    /** Blocks under `scope` that write a buffer of the function's signature. */
    getOutputBlocks(scope: BlockRV): BlockRV[];
  }
}

Schedule.prototype.getBlock = function (this: Schedule, name: string, funcName?: string): BlockRV {
  return this.transact("get_block", () => {
    const fn = funcName ?? this.funcWorkingOn;
    if (fn === undefined) {
      throw this.error("get_block", `the module has several functions (${this.state.funcNames().join(", ")}); name one: getBlock("${name}", "main")`);
    }
    const root = this.state.rootSRef(fn);
    const hits = allBlocks(root.block()).filter((b) => b.nameHint === name);
    if (hits.length === 0) {
      const names = allBlocks(root.block()).map((b) => `"${b.nameHint}"`).join(", ");
      throw this.error("get_block", `no block named "${name}" in function "${fn}" (blocks: ${names})`, root);
    }
    if (hits.length > 1) {
      throw this.error("get_block", `${hits.length} blocks are named "${name}" in function "${fn}"; block names must be unique to be found`, root, hits);
    }
    const rv = this.newBlockRV(this.state.getSRef(hits[0]!)!);
    this.record("GetBlock", [], [name, fn], [rv]);
    return rv;
  });
};

Schedule.prototype.getLoops = function (this: Schedule, block: BlockRV): LoopRV[] {
  return this.transact("get_loops", () => {
    const s = this.blockSRef(block, "get_loops");
    const rvs = loopsAbove(s).map((l) => this.newLoopRV(l));
    this.record("GetLoops", [block], [], rvs);
    return rvs;
  });
};

Schedule.prototype.getChildBlocks = function (this: Schedule, parent: BlockRV | LoopRV): BlockRV[] {
  return this.transact("get_child_blocks", () => {
    const s = parent instanceof BlockRV ? this.blockSRef(parent, "get_child_blocks") : this.loopSRef(parent, "get_child_blocks");
    const rvs = childBlocks(this.state, s).map((b) => this.newBlockRV(b));
    this.record("GetChildBlocks", [parent], [], rvs);
    return rvs;
  });
};

function blockQuery(kind: string, prim: string, f: (sch: Schedule, s: StmtSRef) => StmtSRef[]) {
  return function (this: Schedule, block: BlockRV): BlockRV[] {
    return this.transact(prim, () => {
      const s = this.blockSRef(block, prim);
      const rvs = f(this, s).map((b) => this.newBlockRV(b));
      this.record(kind, [block], [], rvs);
      return rvs;
    });
  };
}

Schedule.prototype.getProducers = blockQuery("GetProducers", "get_producers", (sch, s) => producersOf(sch.state, s));
Schedule.prototype.getConsumers = blockQuery("GetConsumers", "get_consumers", (sch, s) => consumersOf(sch.state, s));
Schedule.prototype.getOutputBlocks = blockQuery("GetOutputBlocks", "get_output_blocks", (sch, scope) => {
  const func = sch.state.funcOf(scope);
  const params = new Set(func.bufferMap.values());
  return childBlocks(sch.state, scope).filter((b) => (b.stmt as Block).writes.some((w) => params.has(w.buffer)));
});

registerInstructionKind({
  name: "GetBlock",
  pure: true,
  apply: (sch, _inputs, attrs) => [sch.getBlock(attrs[0] as string, attrs[1] as string)],
  toTS: (_i, attrs, outs) => `${tsOutputs(outs, false)}sch.getBlock(${JSON.stringify(attrs[0])}, ${JSON.stringify(attrs[1])});`,
});

function simpleQuery(name: string, method: "getLoops" | "getChildBlocks" | "getProducers" | "getConsumers" | "getOutputBlocks"): void {
  registerInstructionKind({
    name,
    pure: true,
    apply: (sch, inputs) => (sch[method] as (x: unknown) => (BlockRV | LoopRV)[])(inputs[0]),
    toTS: (inputs, _a, outs) => `${tsOutputs(outs, true)}sch.${method}(${inputs[0]});`,
  });
}
simpleQuery("GetLoops", "getLoops");
simpleQuery("GetChildBlocks", "getChildBlocks");
simpleQuery("GetProducers", "getProducers");
simpleQuery("GetConsumers", "getConsumers");
simpleQuery("GetOutputBlocks", "getOutputBlocks");
