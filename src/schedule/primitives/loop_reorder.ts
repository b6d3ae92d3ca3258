/**
 * Loop nest rearrangements that keep every block binding as it is: reorder (permute loops of
 * one nested chain) and addUnitLoop (a new extent-1 loop above a block or loop).
 */
import { Analyzer } from "../../arith/analyzer.js";
import { isAffineBlockBinding } from "../block_info.js";
import { Var } from "../../ir/expr.js";
import * as E from "../../ir/expr_ops.js";
import { usesVar } from "../../ir/expr_functor.js";
import { int32 } from "../../ir/dtype.js";
import { Block, BlockRealize, For, type Stmt } from "../../tir/stmt.js";
import { postOrderVisitStmt } from "../../tir/stmt_functor.js";
import { loopDomains, scopeOf } from "../analysis.js";
import { registerInstructionKind, tsOutputs } from "../instruction.js";
import { replaceChild } from "../replace.js";
import { BlockRV, LoopRV } from "../rv.js";
import { Schedule } from "../schedule.js";
import type { StmtSRef } from "../sref.js";

declare module "../schedule.js" {
  interface Schedule {
    /**
     * Reorders loops of one nested chain: the given loops take the positions the same loops
     * held, in the order given (outermost first); loops of the chain not given stay put.
     */
    reorder(...loops: LoopRV[]): void;
    /** Adds a loop `u` of extent 1 directly above a block or loop; returns it. */
    addUnitLoop(blockOrLoop: BlockRV | LoopRV): LoopRV;
  }
}

const loopName = (s: StmtSRef): string => s.loop().loopVar.name;

Schedule.prototype.reorder = function (this: Schedule, ...loops: LoopRV[]): void {
  this.transact("reorder", () => {
    const prim = "reorder";
    const srefs = loops.map((l) => this.loopSRef(l, prim));
    if (srefs.length > 1) reorderLoops(this, srefs);
    this.record("Reorder", loops, [], []);
  });
};

function reorderLoops(sch: Schedule, ordered: StmtSRef[]): void {
  const prim = "reorder";
  const given = new Set<StmtSRef>();
  for (const s of ordered) {
    if (given.has(s)) throw sch.error(prim, `Loop ${loopName(s)} appears in the input array for multiple times.`, s, [s]);
    given.add(s);
  }
  // Step 1: the given loops must lie on one path of the sref tree inside one block scope.
  const scope = scopeOf(ordered[0]!);
  for (const s of ordered) {
    if (scopeOf(s) !== scope) {
      throw sch.error(
        prim,
        `the loops are not in a single nested chain: loop ${loopName(ordered[0]!)} and loop ${loopName(s)} are not under the same block scope ` +
          `(a block lies between them)`,
        s,
        [ordered[0]!, s],
      );
    }
  }
  const depth = (s: StmtSRef): number => {
    let d = 0;
    for (let p = s.parent; p; p = p.parent) d++;
    return d;
  };
  const byDepth = [...ordered].sort((a, b) => depth(a) - depth(b));
  const top = byDepth[0]!;
  const bottom = byDepth[byDepth.length - 1]!;
  for (const s of byDepth) {
    if (!bottom.isDescendantOf(s)) {
      throw sch.error(
        prim,
        `the loops are not in a single nested chain: loop ${loopName(s)} does not enclose loop ${loopName(bottom)} (they are in different branches of the loop nest)`,
        s,
        [s, bottom],
      );
    }
  }
  // Step 2: every loop from top to bottom must have the next one as its whole body.
  const chain: StmtSRef[] = [];
  for (let s: StmtSRef = bottom; ; s = s.parent!) {
    chain.push(s);
    if (s === top) break;
    const outer = s.parent!;
    if (outer.loop().body !== s.stmt) {
      const what = outer.loop().body.kind === "SeqStmt" ? "a sequence of statements" : `a ${outer.loop().body.kind}`;
      throw sch.error(
        prim,
        `the loops are not in a single nested chain: a non-loop statement lies between loop ${loopName(outer)} and loop ${loopName(s)} ` +
          `(the body of ${loopName(outer)} is ${what}, not the loop alone)`,
        outer,
        [outer],
      );
    }
  }
  // Step 3: blocks below must have data-parallel / reduction iters and bindings affine in the loops.
  checkBlocksUnder(sch, bottom, top);
  // Step 4: the new order of the chain, outermost first.
  let next = 0;
  const before = [...chain].reverse().map((c) => c.loop());
  const after = before.map((l) => (given.has(sch.state.getSRef(l)!) ? ordered[next++]!.loop() : l));
  checkInitStaysFirst(sch, bottom, before, after);
  // Step 5: rebuild the chain innermost first; an outer loop may not depend on an inner one.
  let index = ordered.length - 1;
  const inner = new Set<Var>();
  let built: For | undefined;
  for (const s of chain) {
    const copy = given.has(s) ? ordered[index--]!.loop() : s.loop();
    let used: Var | undefined;
    const dependsOnInner = (v: Var): boolean => (inner.has(v) ? ((used = v), true) : false);
    if (usesVar(copy.min, dependsOnInner) || usesVar(copy.extent, dependsOnInner)) {
      throw sch.error(
        prim,
        `Outer Loop ${copy.loopVar.name}'s \`min\` or \`extent\` is dependent on an inner loop ${used!.name} in the new order`,
        sch.state.getSRef(copy),
        [copy],
      );
    }
    inner.add(copy.loopVar);
    built = copy.with({ body: built ?? s.loop().body });
  }
  sch.state.replace(top, built!);
}

function checkBlocksUnder(sch: Schedule, bottom: StmtSRef, top: StmtSRef): void {
  const prim = "reorder";
  postOrderVisitStmt(bottom.stmt!, (x: Stmt) => {
    if (!(x instanceof Block) || x.iterVars.length === 0) return;
    const bad = x.iterVars.find((iv) => iv.iterType !== "DataPar" && iv.iterType !== "CommReduce");
    const bs = sch.state.getSRef(x);
    if (bad) {
      throw sch.error(
        prim,
        `The block "${x.nameHint}" under the loops to be reordered have block iter type other than data-parallel or reduction ` +
          `(iter ${bad.variable.name} is ${bad.iterType})`,
        bs,
        [x],
      );
    }
    if (!bs || sch.state.blockInfo(bs).affineBinding) return;
    // Not affine over all loops of its scope; affine over the loops from `top` down is enough.
    const realize = sch.state.realizeOf(x);
    const doms = loopDomains(bs, top.parent);
    if (!isAffineBlockBinding(realize.iterValues, doms, realize.predicate, new Analyzer())) {
      throw sch.error(
        prim,
        `The block "${x.nameHint}" under the loops to be reordered has a non-affine binding ` +
          `(${realize.iterValues.map(String).join(", ")}) over the loops from ${loopName(top)} down`,
        bs,
        [x],
      );
    }
  });
}

/**
 * A block with an `init` runs it when its reduction iters are at their minimum, which must be
 * the first update of each output element. That holds for any order of loops that feed only
 * spatial or only reduction iters, and for one loop feeding both (a fused spatial and reduction
 * loop) placed anywhere; it breaks when two such mixed loops swap (TVM does not check this).
 */
function checkInitStaysFirst(sch: Schedule, bottom: StmtSRef, before: For[], after: For[]): void {
  postOrderVisitStmt(bottom.stmt!, (x: Stmt) => {
    if (!(x instanceof BlockRealize) || !x.block.init) return;
    const spatial = new Set<Var>(), reduce = new Set<Var>();
    x.iterValues.forEach((value, k) => {
      const kind = x.block.iterVars[k]!.iterType;
      usesVar(value, (v) => {
        if (kind === "DataPar") spatial.add(v);
        else reduce.add(v);
        return false;
      });
    });
    const mixed = (l: For): boolean => spatial.has(l.loopVar) && reduce.has(l.loopVar);
    const was = before.filter(mixed), now = after.filter(mixed);
    const k = was.findIndex((l, i) => l !== now[i]);
    if (k < 0) return;
    throw sch.error(
      "reorder",
      `loops ${was[k]!.loopVar.name} and ${now[k]!.loopVar.name} both feed data-parallel and reduction iters of block "${x.block.nameHint}" ` +
        `(they come from fusing a spatial and a reduction loop); swapping them would run updates of an output element before its init`,
      sch.state.getSRef(x.block),
      [was[k]!, now[k]!],
    );
  });
}

Schedule.prototype.addUnitLoop = function (this: Schedule, target: BlockRV | LoopRV): LoopRV {
  return this.transact("add_unit_loop", () => {
    const prim = "add_unit_loop";
    const s = target instanceof BlockRV ? this.blockSRef(target, prim) : this.loopSRef(target, prim);
    const u = new Var("u", int32);
    let loop: For;
    if (s.stmt instanceof For) {
      loop = new For(u, E.constant(0, int32), E.constant(1, int32), "serial", s.stmt);
      this.state.replace(s, loop);
    } else {
      const block = s.block();
      const parent = s.parent;
      if (!parent) throw this.error(prim, `cannot add a loop above the root block "${block.nameHint}"`, s, [s]);
      const realize: BlockRealize = this.state.realizeOf(block);
      loop = new For(u, E.constant(0, int32), E.constant(1, int32), "serial", realize);
      const newParent = replaceChild(parent.stmt!, realize, loop);
      const reuse = parent.stmt instanceof Block ? new Map([[parent.stmt, newParent as Block]]) : new Map<Block, Block>();
      this.state.replace(parent, newParent, reuse);
    }
    const rv = this.newLoopRV(this.state.getSRef(loop)!);
    this.record("AddUnitLoop", [target], [], [rv]);
    return rv;
  });
};

registerInstructionKind({
  name: "Reorder",
  pure: false,
  apply: (sch, inputs) => {
    sch.reorder(...(inputs as LoopRV[]));
    return [];
  },
  toTS: (inputs) => `sch.reorder(${inputs.join(", ")});`,
});

registerInstructionKind({
  name: "AddUnitLoop",
  pure: false,
  apply: (sch, inputs) => [sch.addUnitLoop(inputs[0] as BlockRV | LoopRV)],
  toTS: (inputs, _a, outs) => `${tsOutputs(outs, false)}sch.addUnitLoop(${inputs[0]});`,
});
