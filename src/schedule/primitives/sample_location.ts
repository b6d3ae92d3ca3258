/**
 * sampleComputeLocation: draws where a producer block could be computed -- at one of the loops
 * above its consumers, left at the root, or inlined -- for MetaSchedule's random compute
 * location rule. The decision is TVM's: the index of the chosen loop among the loops above
 * the first consumer, -1 for the root, -2 for inline. The LoopRV it returns holds the chosen
 * loop, or the root / inline mark that computeAt treats as "leave it" / "inline it".
 */
import { usesVar } from "../../ir/expr_functor.js";
import { IntImm } from "../../ir/expr.js";
import { BlockRealize, type Stmt } from "../../tir/stmt.js";
import { consumersOf, forEachChildStmt, loopsAbove } from "../analysis.js";
import { registerInstructionKind, tsLiteral, tsOutputs } from "../instruction.js";
import { Schedule } from "../schedule.js";
import { StmtSRef } from "../sref.js";
import type { BlockRV, LoopRV } from "../rv.js";

declare module "../schedule.js" {
  interface Schedule {
    /**
     * Draws a compute location for `block` among the loops where computeAt would be legal,
     * the root and (when legal) inlining. Decision: loop index above the first consumer, -1
     * root, -2 inline; a recorded decision that is no longer a candidate falls back to the
     * nearest candidate above it.
     */
    sampleComputeLocation(block: BlockRV, decision?: number): LoopRV;
  }
}

/** The primitives this one probes for legality, when their families are loaded. */
interface Probes {
  computeAt?: (block: BlockRV, loop: LoopRV, preserveUnitLoops?: boolean) => void;
  computeInline?: (block: BlockRV) => void;
}

/** Runs `f` on a throwaway copy of the schedule: true when the primitive accepts. */
function accepts(sch: Schedule, f: (copy: Schedule & Probes) => void): boolean {
  try {
    f(sch.copy() as Schedule & Probes);
    return true;
  } catch {
    return false;
  }
}

type LoopIterType = "DataPar" | "CommReduce" | "Opaque";

/**
 * TVM's GetLoopIterType: how the blocks directly under a loop use its variable -- only in
 * spatial bindings (data parallel), only in reduction bindings, or mixed / other (opaque).
 */
function loopIterType(loop: StmtSRef): LoopIterType {
  const v = loop.loop().loopVar;
  let spatial = 0;
  let reduce = 0;
  let other = 0;
  const visit = (s: Stmt): void => {
    if (s instanceof BlockRealize) {
      s.block.iterVars.forEach((iv, i) => {
        if (!usesVar(s.iterValues[i]!, (x) => x === v)) return;
        if (iv.iterType === "DataPar") spatial++;
        else if (iv.iterType === "CommReduce") reduce++;
        else other++;
      });
      return;
    }
    forEachChildStmt(s, visit);
  };
  visit(loop.loop().body);
  if (other > 0 || (spatial > 0 && reduce > 0)) return "Opaque";
  return reduce > 0 ? "CommReduce" : "DataPar";
}

/** The lowest common ancestor of some srefs. */
function lowestCommonAncestor(srefs: readonly StmtSRef[]): StmtSRef {
  const chain = (s: StmtSRef): StmtSRef[] => [s, ...s.ancestors()].reverse();
  const paths = srefs.map(chain);
  let lca = paths[0]![0]!;
  for (let d = 0; paths.every((p) => d < p.length && p[d] === paths[0]![d]); d++) lca = paths[0]![d]!;
  return lca;
}

/** TVM's CollectComputeLocation: candidate srefs with their decision indices, ascending. */
function collectLocations(sch: Schedule, block: BlockRV, blockSRef: StmtSRef): [StmtSRef, number][] {
  const out: [StmtSRef, number][] = [];
  const probe = sch as Schedule & Probes;
  if (probe.computeInline && accepts(sch, (c) => c.computeInline!(block))) out.push([StmtSRef.inlineMark, -2]);
  out.push([StmtSRef.rootMark, -1]);
  const consumers = consumersOf(sch.state, blockSRef);
  if (consumers.length === 0) return out;
  // The deepest loop the block may move under: above every consumer.
  const boundary = consumers.length > 1 ? lowestCommonAncestor(consumers) : consumers[0]!.parent!;
  if (!boundary.isLoop) return out;
  const loops = loopsAbove(consumers[0]!);
  const pos = loops.indexOf(boundary);
  if (pos < 0) return out;
  const types = loops.slice(0, pos + 1).map(loopIterType);
  const lastDataPar = types.lastIndexOf("DataPar");
  // Skip unit loops; stop at a spatial loop below a reduction loop, and at reduction loops
  // below the last spatial one (computing there would only repeat work).
  let seenReduce = false;
  for (let i = 0; i <= pos; i++) {
    const ext = loops[i]!.loop().extent;
    if (ext instanceof IntImm && ext.value === 1) continue;
    if (types[i] === "DataPar") {
      if (seenReduce) break;
    } else {
      seenReduce = true;
      if (i > lastDataPar) break;
    }
    const loopStmt = loops[i]!.loop();
    const legal =
      !probe.computeAt ||
      accepts(sch, (c) => c.computeAt!(block, c.newLoopRV(c.state.getSRef(loopStmt)!), true));
    if (legal) out.push([loops[i]!, i]);
  }
  return out;
}

Schedule.prototype.sampleComputeLocation = function (this: Schedule, block: BlockRV, decision?: number): LoopRV {
  const prim = "sample_compute_location";
  return this.transact(prim, () => {
    const sref = this.blockSRef(block, prim);
    if (decision !== undefined && !Number.isInteger(decision)) {
      throw this.error(prim, `the decision must be an integer (loop index, -1 root, -2 inline), got ${JSON.stringify(decision)}`);
    }
    const cands = collectLocations(this, block, sref);
    let pick: [StmtSRef, number];
    if (decision !== undefined) {
      // Keep the decision if it is still a candidate, else the nearest candidate below it.
      const below = cands.filter(([, i]) => i <= decision);
      pick = below.length > 0 ? below[below.length - 1]! : [StmtSRef.rootMark, -1];
    } else {
      pick = cands[this.random.int(0, cands.length)]!;
    }
    const rv = this.newLoopRV(pick[0]);
    this.record("SampleComputeLocation", [block], [], [rv], pick[1]);
    return rv;
  });
};

registerInstructionKind({
  name: "SampleComputeLocation",
  pure: true,
  apply: (sch, inputs, _attrs, decision) => {
    if (decision !== undefined && decision !== null && !Number.isInteger(decision)) {
      throw new Error(`SampleComputeLocation: the decision must be an integer, got ${JSON.stringify(decision)}`);
    }
    return [sch.sampleComputeLocation(inputs[0] as BlockRV, (decision ?? undefined) as number | undefined)];
  },
  toTS: (inputs, _attrs, outs, decision) =>
    `${tsOutputs(outs, false)}sch.sampleComputeLocation(${inputs[0]}${decision === undefined ? "" : `, ${tsLiteral(decision)}`});`,
});
