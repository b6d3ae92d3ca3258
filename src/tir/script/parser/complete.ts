/**
 * ScriptComplete: what TVMScript fills in that the text may leave out.
 *
 * - A block written without `T.reads` and/or `T.writes` gets the regions its body accesses
 *   (computed when the block is closed, so nested blocks are already complete).
 * - A function whose body contains blocks, or that allocates buffers at the top level, is
 *   wrapped in the implicit root block ("root", no iter vars, those buffers allocated),
 *   unless its body already is a single block without iter vars and there are no top-level
 *   allocations.
 */
import type { Buffer } from "../../../ir/buffer.js";
import type { Var } from "../../../ir/expr.js";
import type { Analyzer } from "../../../arith/analyzer.js";
import { getBlockReadWriteRegion } from "../../block_access.js";
import { Block, BlockRealize, type Stmt } from "../../stmt.js";

/** Fills the regions a block left out; `fillReads` / `fillWrites` say which were omitted. */
export function completeBlockRegions(
  block: Block,
  fillReads: boolean,
  fillWrites: boolean,
  bufferVarMap: ReadonlyMap<Var, Buffer>,
  analyzer?: Analyzer,
): Block {
  if (!fillReads && !fillWrites) return block;
  const detected = getBlockReadWriteRegion(block, analyzer, bufferVarMap);
  return block.with({
    reads: fillReads ? detected.reads : block.reads,
    writes: fillWrites ? detected.writes : block.writes,
  });
}

/** Whether `body` already is the root: one realized block without iter vars. */
function isRoot(body: Stmt): boolean {
  return body instanceof BlockRealize && body.block.iterVars.length === 0;
}

/** Wraps a function body in the implicit root block when TVMScript would. */
export function wrapRootBlock(body: Stmt, rootAllocs: readonly Buffer[], containsBlock: boolean): Stmt {
  if (!containsBlock && rootAllocs.length === 0) return body;
  if (rootAllocs.length === 0 && isRoot(body)) return body;
  const root = new Block({ nameHint: "root", body, allocBuffers: rootAllocs });
  return BlockRealize.of(root);
}
