/**
 * decompose_reduction: splits a reduction block that carries an init statement into an init
 * block, placed right before a chosen loop, and an update block without init.
 *
 * The init block ("<name>_init") keeps only the data-parallel iter vars (same bindings). Among
 * the loops from the chosen loop down to the block, those its bindings use are regenerated
 * around it with "_init"-suffixed variables; the others are dropped, with the predicate
 * conjuncts that mention them. The update block ("<name>_update", same sref as before) loses
 * its init and now reads the buffers it writes. Follows TVM's reduction.cc.
 */
import { IntImm, type PrimExpr, Range, type Var } from "../../ir/expr.js";
import { BufferRegion } from "../../ir/buffer.js";
import {
  Block, BlockRealize, For, IterVar, SeqStmt, TRUE, type Stmt,
} from "../../tir/stmt.js";
import { getBlockReadWriteRegion } from "../../tir/block_access.js";
import { loopsAbove, scopeOf } from "../analysis.js";
import { registerInstructionKind, tsOutputs } from "../instruction.js";
import { Schedule } from "../schedule.js";
import type { BlockRV, LoopRV } from "../rv.js";
import { checkReductionBlock, conjoin, conjuncts, mentions, rebuildUpTo, subst, substStmt } from "./reduction_block.js";

declare module "../schedule.js" {
  interface Schedule {
    /**
     * Moves the init of a reduction block out into a new block placed before `loop` (an
     * ancestor of the block, not below any loop its reduction iter vars use). Returns the init
     * block; `block` now names the update block "<name>_update".
     */
    decomposeReduction(block: BlockRV, loop: LoopRV): BlockRV;
  }
}

const PRIM = "decompose_reduction";

/**
 * The predicate without the conjuncts that mention dropped loops. TVM rebuilds it peeling
 * conjuncts from the right, so the kept ones come out in reverse order.
 */
function remakePredicate(pred: PrimExpr, dropped: ReadonlySet<Var>): PrimExpr {
  if (pred instanceof IntImm && pred.value === 1) return TRUE;
  return conjoin(conjuncts(pred).reverse().filter((c) => !mentions(c, (v) => dropped.has(v))));
}

Schedule.prototype.decomposeReduction = function (this: Schedule, block: BlockRV, loop: LoopRV): BlockRV {
  return this.transact(PRIM, () => {
    const blockSRef = this.blockSRef(block, PRIM);
    const loopSRef = this.loopSRef(loop, PRIM);
    const blk = blockSRef.block();
    const lp = loopSRef.loop();
    if (!blockSRef.parent) throw this.error(PRIM, "the primitive does not operate on the root block", blockSRef, [blockSRef]);
    // Check: the loop encloses the block (within its scope).
    const loops = loopsAbove(blockSRef);
    const pos = loops.indexOf(loopSRef);
    if (pos < 0) {
      throw this.error(
        PRIM,
        `the loop ${lp.loopVar.name} is not an ancestor of block "${blk.nameHint}" (decompose_reduction places the init before a loop that encloses the block)`,
        blockSRef,
        [loopSRef, blockSRef],
      );
    }
    const scopeSRef = scopeOf(blockSRef);
    checkReductionBlock(this, PRIM, blockSRef, scopeSRef);
    // Check: no loop above `loop` feeds a reduction iter var, or the init would run repeatedly
    // between partial reductions.
    const realize = this.state.realizeOf(blk);
    blk.iterVars.forEach((iv, i) => {
      if (iv.iterType !== "CommReduce") return;
      for (const higher of loops.slice(0, pos)) {
        const hv = higher.loop().loopVar;
        if (mentions(realize.iterValues[i]!, (v) => v === hv)) {
          throw this.error(
            PRIM,
            `the loop ${lp.loopVar.name} must be higher than all the loops related to reduce block var of block "${blk.nameHint}": ` +
              `the outer loop ${hv.name} feeds reduction iter var ${iv.variable.name}`,
            blockSRef,
            [loopSRef, higher, blockSRef],
          );
        }
      }
    });

    // The init block: data-parallel iter vars only, same bindings, the init as body.
    const varMap = new Map<Var, PrimExpr>();
    const initIters: IterVar[] = [];
    const initValues: PrimExpr[] = [];
    blk.iterVars.forEach((iv, i) => {
      if (iv.iterType !== "DataPar") return;
      const nv = iv.variable.copyWithName(iv.variable.name);
      initIters.push(new IterVar(iv.dom, nv, iv.iterType, iv.threadTag));
      initValues.push(realize.iterValues[i]!);
      varMap.set(iv.variable, nv);
    });
    const initBody = substStmt(blk.init!, varMap);
    const initWrites = blk.writes.map(
      (w) => new BufferRegion(w.buffer, w.region.map((r) => new Range(subst(r.min, varMap), subst(r.extent, varMap)))),
    );
    let initBlock = new Block({ nameHint: `${blk.nameHint}_init`, iterVars: initIters, body: initBody, annotations: blk.annotations });
    // An init that reads buffers (rare) should say so; a constant init reads nothing.
    initBlock = initBlock.with({ reads: getBlockReadWriteRegion(initBlock).reads, writes: initWrites });

    // Loops from `loop` down: regenerate those the init bindings use (innermost first), drop
    // the others and the predicate conjuncts over them.
    const chosen: For[] = [];
    const dropped = new Set<Var>();
    const loopVarMap = new Map<Var, PrimExpr>();
    for (let i = loops.length - 1; i >= pos; i--) {
      const l = loops[i]!.loop();
      if (!initValues.some((b) => mentions(b, (v) => v === l.loopVar))) {
        dropped.add(l.loopVar);
        continue;
      }
      chosen.push(l);
      loopVarMap.set(l.loopVar, l.loopVar.copyWithName(`${l.loopVar.name}_init`));
    }
    const predicate = subst(remakePredicate(realize.predicate, dropped), loopVarMap);
    let initNest: Stmt = new BlockRealize(initValues.map((b) => subst(b, loopVarMap)), predicate, initBlock);
    for (const l of chosen) {
      const v = loopVarMap.get(l.loopVar) as Var;
      initNest = new For(v, subst(l.min, loopVarMap), subst(l.extent, loopVarMap), l.forKind, initNest, l.threadTag);
    }

    // The update block: no init; the written buffers join the reads (first, as TVM orders them).
    const readBufs = new Set(blk.reads.map((r) => r.buffer));
    const updateBlock = blk.with({
      nameHint: `${blk.nameHint}_update`,
      init: undefined,
      reads: [...blk.writes.filter((w) => !readBufs.has(w.buffer)), ...blk.reads],
    });
    const newLoop = rebuildUpTo(loopSRef, blockSRef, updateBlock);
    this.state.replace(loopSRef, SeqStmt.flatten([initNest, newLoop]), new Map([[blk, updateBlock]]));

    const initSRef = this.state.getSRef(initBlock);
    if (!initSRef) throw new Error("internal: the init block has no sref after decompose_reduction");
    const rv = this.newBlockRV(initSRef);
    this.record("DecomposeReduction", [block, loop], [], [rv]);
    return rv;
  });
};

registerInstructionKind({
  name: "DecomposeReduction",
  pure: false,
  apply: (sch, inputs) => [sch.decomposeReduction(inputs[0] as BlockRV, inputs[1] as LoopRV)],
  toTS: (inputs, _attrs, outputs) => `${tsOutputs(outputs, false)}sch.decomposeReduction(${inputs[0]}, ${inputs[1]});`,
});
