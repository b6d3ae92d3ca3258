/**
 * rfactor: factors a reduction over one of its reduction loops. The rfactor block
 * ("<name>_rf") computes one partial result per iteration of that loop into a new buffer
 * ("<buffer>_rf", with the loop's extent as an extra dimension at `factorAxis`); the write-back
 * block (the original block, same name and sref) then reduces the partial results over that
 * dimension. The reducer is recognised from the block's init and update (reducer_pattern.ts).
 * Follows TVM's reduction.cc; the pieces that build the two blocks live in rfactor_blocks.ts.
 */
import { Analyzer } from "../../arith/analyzer.js";
import { IntImm, type PrimExpr, Range, type Var } from "../../ir/expr.js";
import { Block, BlockRealize, For, SeqStmt, TRUE, type Stmt } from "../../tir/stmt.js";
import { StmtExprMutator } from "../../tir/stmt_functor.js";
import { childBlocks, loopsAbove, scopeOf } from "../analysis.js";
import { registerInstructionKind, tsOutputs } from "../instruction.js";
import { Schedule } from "../schedule.js";
import type { BlockRV, LoopRV } from "../rv.js";
import type { StmtSRef } from "../sref.js";
import {
  checkReductionBlock, conjoin, conjuncts, isStagePipelineScope, mentions, rebuildUpTo, subst, varsIn,
} from "./reduction_block.js";
import {
  ReductionFormError, describeUpdates, initsAndUpdates, matchReducer, reducerNames, type InitsAndUpdates,
} from "./reducer_pattern.js";
import { makeRFactorBlock, makeRFactorBuffers, makeWriteBackBlock } from "./rfactor_blocks.js";

declare module "../schedule.js" {
  interface Schedule {
    /**
     * Factors the reduction block under `loop` (a serial loop bound only to reduction iter
     * vars) over that loop. `factorAxis` (in [-(ndim + 1), ndim]) places the new dimension of
     * the rfactor buffer. Returns the rfactor block; the original block RV names the
     * write-back block.
     */
    rfactor(loop: LoopRV, factorAxis: number): BlockRV;
  }
}

const PRIM = "rfactor";

Schedule.prototype.rfactor = function (this: Schedule, loop: LoopRV, factorAxis: number): BlockRV {
  return this.transact(PRIM, () => {
    const rfLoopSRef = this.loopSRef(loop, PRIM);
    const rfLoop = rfLoopSRef.loop();
    const loopName = rfLoop.loopVar.name;
    if (typeof factorAxis !== "number" || !Number.isInteger(factorAxis)) {
      throw this.error(PRIM, `factor_axis must be an integer, got ${String(factorAxis)}`, rfLoopSRef);
    }
    // Step 1. The loop has exactly one child block; its scope is a stage pipeline; the block
    // is a reduction block; the loop is serial.
    const children = childBlocks(this.state, rfLoopSRef);
    if (children.length !== 1) {
      throw this.error(PRIM, `the loop ${loopName} is required to have exactly one child block, but it has ${children.length}`, rfLoopSRef, [rfLoopSRef]);
    }
    const blockSRef = children[0]!;
    const blk = blockSRef.block();
    const scopeSRef = scopeOf(blockSRef);
    if (!isStagePipelineScope(this.state, scopeSRef)) {
      throw this.error(
        PRIM,
        `the scope block "${scopeSRef.block().nameHint}" is not a stage pipeline: every child block's reads must be covered ` +
          "by what its producers write, and no block may write a buffer that an earlier block read",
        scopeSRef,
        [scopeSRef],
      );
    }
    checkReductionBlock(this, PRIM, blockSRef, scopeSRef);
    if (rfLoop.forKind !== "serial") {
      throw this.error(PRIM, `the loop ${loopName} is required to be serial, but it is ${rfLoop.forKind}`, rfLoopSRef, [rfLoopSRef]);
    }

    // Step 2. Which loops feed data-parallel and which feed reduction iter vars.
    const realize = this.state.realizeOf(blk);
    const dataParVars = new Set<Var>();
    const reduceVars = new Set<Var>();
    blk.iterVars.forEach((iv, i) => {
      const set = iv.iterType === "DataPar" ? dataParVars : reduceVars;
      for (const v of varsIn(realize.iterValues[i]!)) set.add(v);
    });
    const loopSRefs = loopsAbove(blockSRef);
    const loops = loopSRefs.map((s) => s.loop());
    checkLoopProperties(this, loopSRefs, rfLoopSRef, blockSRef, dataParVars, reduceVars);

    // Step 3. The reducer, from the init and the update.
    let form: InitsAndUpdates;
    try {
      form = initsAndUpdates(blk);
    } catch (e) {
      if (!(e instanceof ReductionFormError)) throw e;
      throw this.error(
        PRIM,
        `block "${blk.nameHint}" does not have the form of a reduction rfactor can factor (condition ${e.condition}): ${e.message}. ` +
          "The init must store the identities, and the body either store `combine(old, value)` into one buffer or, for " +
          "several buffers, bind each combined value with a LetStmt and then store the let variables",
        blockSRef,
        [blockSRef],
      );
    }
    const matched = matchReducer(form.inits, form.updates);
    if (!matched) {
      throw this.error(
        PRIM,
        `no commutative reducer matches the update \`${describeUpdates(form.updates)}\` with init ` +
          `\`${form.inits.map(String).join(", ")}\` of block "${blk.nameHint}" (recognised: ${reducerNames().join(", ")}; ` +
          "the update must combine the element being updated, with the reducer's identity as init)",
        blockSRef,
        [blockSRef],
      );
    }

    const stray = blk.writes.find((w) => !form.updates.some((u) => u.buffer === w.buffer));
    if (stray) {
      throw this.error(PRIM, `block "${blk.nameHint}" declares a write to ${stray.buffer.name}, which its reduction update does not store`, blockSRef, [blockSRef]);
    }

    // Step 4. factor_axis in [-(ndim + 1), ndim].
    const out = form.updates[0]!.buffer;
    const ndim = out.shape.length;
    if (factorAxis < -(ndim + 1) || factorAxis > ndim) {
      throw this.error(
        PRIM,
        `factor_axis ${factorAxis} is out of range: the write buffer ${out.name} has ${ndim} dimension(s), so factor_axis must be in [${-(ndim + 1)}, ${ndim}]`,
        rfLoopSRef,
        [rfLoopSRef],
      );
    }
    const axis = factorAxis < 0 ? factorAxis + ndim + 1 : factorAxis;

    // Step 5. The write-back block runs without the reduction loops other than the rfactor
    // loop: predicate conjuncts over those go, and must not leave an rfactor slice unwritten.
    const removed = new Set<Var>([...reduceVars].filter((v) => v !== rfLoop.loopVar && loops.some((l) => l.loopVar === v)));
    const wbPredicate = checkPredicate(this, realize.predicate, loops, removed, blockSRef);

    // Step 6. Build the buffers, the two blocks and the loops around the rfactor block.
    const rfBuffers = makeRFactorBuffers(form.updates, axis, rfLoop);
    const rf = makeRFactorBlock(realize, rfLoop, loops, form.updates, matched, rfBuffers, axis);
    const wb = makeWriteBackBlock(realize, rfLoop, form.updates, matched, rfBuffers, rf, wbPredicate);
    const rfNest = loopsAroundRFactorBlock(rf.realize, loops);

    // Step 7. Replace under the scope: the rfactor nest goes right before the outermost loop,
    // whose nest loses the removed loops; the scope allocates the rfactor buffers.
    const outer = loopSRefs[0]!;
    const keptNest = new WriteBackNest(loops, rfLoop, reduceVars, realize, wb.realize).visitStmt(outer.stmt!);
    const scope = scopeSRef.block();
    const body = rebuildUpTo(scopeSRef, outer, SeqStmt.flatten([rfNest, keptNest])) as Block;
    const newScope = body.with({ allocBuffers: [...scope.allocBuffers, ...rfBuffers] });
    this.state.replace(scopeSRef, newScope, new Map<Block, Block>([[scope, newScope], [blk, wb.block]]));

    const rfSRef = this.state.getSRef(rf.block);
    if (!rfSRef) throw new Error("internal: the rfactor block has no sref after rfactor");
    const rv = this.newBlockRV(rfSRef);
    this.record("RFactor", [loop], [factorAxis], [rv]);
    return rv;
  });
};

/** TVM's LoopPropertyError checks on the loops above the block. */
function checkLoopProperties(
  sch: Schedule,
  loopSRefs: readonly StmtSRef[],
  rfLoopSRef: StmtSRef,
  blockSRef: StmtSRef,
  dataParVars: ReadonlySet<Var>,
  reduceVars: ReadonlySet<Var>,
): void {
  const name = blockSRef.block().nameHint;
  const outer = loopSRefs[0]!;
  if (childBlocks(sch.state, outer)[0] !== blockSRef) {
    throw sch.error(
      PRIM,
      `block "${name}" must be the first child block of its outermost loop ${outer.loop().loopVar.name}`,
      outer,
      [outer, blockSRef],
    );
  }
  let metReduction = false;
  for (const s of loopSRefs) {
    const l = s.loop();
    const dp = dataParVars.has(l.loopVar), rd = reduceVars.has(l.loopVar);
    if (dp && rd) {
      throw sch.error(PRIM, `the loop ${l.loopVar.name} is touched by both data-parallel and reduction iter vars of block "${name}"`, s, [s]);
    }
    if (dp) {
      if (s === rfLoopSRef) {
        throw sch.error(
          PRIM,
          `the loop ${l.loopVar.name} must be bound to reduction iter vars only, but it feeds a data-parallel iter var of block "${name}"`,
          s,
          [s, blockSRef],
        );
      }
    } else if (rd) {
      if (!metReduction && childBlocks(sch.state, s).length !== 1) {
        throw sch.error(PRIM, `the loop ${l.loopVar.name}, the outermost reduction loop of block "${name}", must have only one child block`, s, [s]);
      }
      metReduction = true;
    } else {
      const unit = l.extent instanceof IntImm && l.extent.value === 1;
      if (s === rfLoopSRef && !unit) {
        // Each rfactor slice would redo the whole reduction: the write-back would count it many times.
        throw sch.error(
          PRIM,
          `the loop ${l.loopVar.name} is not bound to any reduction iter var of block "${name}"; rfactor needs a loop that the reduction iterates over`,
          s,
          [s, blockSRef],
        );
      }
      if (metReduction && !unit) {
        throw sch.error(
          PRIM,
          `the loop ${l.loopVar.name} has extent greater than one, is bound to no iter var of block "${name}", and sits under a reduction loop`,
          s,
          [s],
        );
      }
    }
  }
}

/**
 * Splits the block predicate for the write-back block (conjuncts over removed loops go) and
 * checks that each rfactor slice still gets initialised: with every removed loop at its start
 * the dropped conjuncts must hold, as they do for the usual non-divisible split.
 */
function checkPredicate(sch: Schedule, pred: PrimExpr, loops: readonly For[], removed: ReadonlySet<Var>, blockSRef: StmtSRef): PrimExpr {
  if (pred instanceof IntImm && pred.value === 1) return TRUE;
  const all = conjuncts(pred);
  const dropped = all.filter((c) => mentions(c, (v) => removed.has(v)));
  const kept = all.filter((c) => !dropped.includes(c));
  if (dropped.length > 0) {
    const analyzer = new Analyzer();
    const atStart = new Map<Var, PrimExpr>();
    for (const l of loops) {
      analyzer.bind(l.loopVar, new Range(l.min, l.extent));
      if (removed.has(l.loopVar)) atStart.set(l.loopVar, l.min);
    }
    const goal = conjoin(dropped.map((c) => subst(c, atStart)));
    const holds = kept.length === 0 ? analyzer.canProve(goal) : analyzer.withConstraint(conjoin(kept), () => analyzer.canProve(goal));
    if (!holds) {
      throw sch.error(
        PRIM,
        `the predicate \`${String(pred)}\` of block "${blockSRef.block().nameHint}" may skip every iteration of some rfactor slice, ` +
          "leaving its partial result unwritten (it must hold when the other reduction loops are at their first iteration)",
        blockSRef,
        [blockSRef],
      );
    }
  }
  return conjoin(kept);
}

/** The rfactor block wrapped in copies of all the original loops (fresh loop variables). */
function loopsAroundRFactorBlock(realize: BlockRealize, loops: readonly For[]): Stmt {
  const vmap = new Map<Var, PrimExpr>();
  const fresh = loops.map((l) => {
    const v = l.loopVar.copyWithName(l.loopVar.name);
    vmap.set(l.loopVar, v);
    return v;
  });
  let body: Stmt = new BlockRealize(
    realize.iterValues.map((b) => subst(b, vmap)),
    subst(realize.predicate, vmap),
    realize.block,
  );
  for (let i = loops.length - 1; i >= 0; i--) body = loops[i]!.with({ loopVar: fresh[i]!, body });
  return body;
}

/**
 * The original nest with the write-back block in place of the reduction block and without the
 * loops that feed reduction iter vars (the rfactor loop stays).
 */
class WriteBackNest extends StmtExprMutator {
  private readonly inNest: Set<Var>;
  constructor(
    loops: readonly For[],
    private readonly rfLoop: For,
    private readonly reduceVars: ReadonlySet<Var>,
    private readonly old: BlockRealize,
    private readonly replacement: BlockRealize,
  ) {
    super();
    this.inNest = new Set(loops.map((l) => l.loopVar));
  }
  override visitExpr(e: PrimExpr): PrimExpr {
    return e;
  }
  override visitFor(f: For): Stmt {
    if (!this.inNest.has(f.loopVar)) return f;
    const body = this.visitStmt(f.body);
    if (f === this.rfLoop || !this.reduceVars.has(f.loopVar)) return body === f.body ? f : f.with({ body });
    return body;
  }
  override visitBlockRealize(r: BlockRealize): Stmt {
    return r === this.old ? this.replacement : r;
  }
}

registerInstructionKind({
  name: "RFactor",
  pure: false,
  apply: (sch, inputs, attrs) => [sch.rfactor(inputs[0] as LoopRV, Number(attrs[0]))],
  toTS: (inputs, attrs, outputs) => `${tsOutputs(outputs, false)}sch.rfactor(${inputs[0]}, ${String(attrs[0])});`,
});
