/**
 * decompose_padding (TVM's DecomposePadding): splits a padding block
 * `y[vi] = T.if_then_else(<in bounds>, x[vi - 6], 0)` into a block `<name>_pad_const` that fills
 * the whole output with the constant, placed right before `loop`, and the original block trimmed
 * to write only the in-bound part (its iteration domain and loops shrunk to that region), so
 * that neither computes a condition per element.
 */
import { BufferRegion } from "../../ir/buffer.js";
import { And, Call, IntImm, FloatImm, type PrimExpr, Range, Var } from "../../ir/expr.js";
import * as E from "../../ir/expr_ops.js";
import { postOrderVisit, substitute } from "../../ir/expr_functor.js";
import { Op } from "../../ir/op_registry.js";
import { Analyzer } from "../../arith/analyzer.js";
import { detectIterMap } from "../../arith/iter_map.js";
import { Block, BlockRealize, BufferStore, For, IterVar, SeqStmt, type Stmt } from "../../tir/stmt.js";
import { StmtExprMutator } from "../../tir/stmt_functor.js";
import { childBlocks, loopsAbove } from "../analysis.js";
import { registerInstructionKind, tsOutputs } from "../instruction.js";
import { Schedule } from "../schedule.js";
import type { BlockRV, LoopRV } from "../rv.js";
import type { StmtSRef } from "../sref.js";
import { scopeRoot } from "./buffer_util.js";

declare module "../schedule.js" {
  interface Schedule {
    /**
     * Splits a padding block into a constant fill placed before `loop` and an in-bound-only
     * copy of the block; returns the constant-fill block.
     */
    decomposePadding(block: BlockRV, loop: LoopRV): BlockRV;
  }
}

const PRIM = "decompose_padding";
const ifThenElseOp = Op.get("tir.if_then_else");
const likelyOp = Op.get("tir.likely");

interface PaddingInfo {
  /** Per block iter: the in-bound part of its range (over the loops). */
  region: Range[];
  inBoundValue: PrimExpr;
  /** The in-bound condition over the loop vars. */
  inBoundPredicate: PrimExpr;
  padValue: PrimExpr;
}

/** TVM's PaddingInfoAnalyzer: match `buf[...] = if_then_else(pred, value, const)` and find the in-bound region. */
function analyzePadding(realize: BlockRealize, dom: Map<Var, Range>, analyzer: Analyzer): PaddingInfo | string {
  const block = realize.block;
  const store = block.body;
  if (!(store instanceof BufferStore)) return "the block body must be a BufferStore to the written buffer";
  const call = store.value;
  if (!(call instanceof Call) || call.op !== ifThenElseOp) return "the stored value must be T.if_then_else(<in-bound predicate>, <value>, <pad value>)";
  const bind = new Map<Var, PrimExpr>();
  block.iterVars.forEach((iv, i) => bind.set(iv.variable, realize.iterValues[i]!));
  const padPredicate = substitute(call.args[0]!, bind);
  const inBoundValue = call.args[1]!, padValue = call.args[2]!;
  if (!(padValue instanceof IntImm || padValue instanceof FloatImm)) return "the pad value must be a constant";
  let impure = false;
  postOrderVisit(inBoundValue, (e) => {
    if (e instanceof Call && e.op.kind === "Op" && (e.op as Op).pure === false) impure = true;
  });
  if (impure) return "the in-bound value must have no side effects";
  // Conjuncts of the predicate, `likely` dropped, rebuilt left to right.
  const conj: PrimExpr[] = [];
  const split = (e: PrimExpr): void => {
    if (e instanceof And) {
      split(e.a);
      split(e.b);
    } else conj.push(e instanceof Call && e.op === likelyOp ? e.args[0]! : e);
  };
  split(E.and(padPredicate, realize.predicate));
  const inBoundPredicate = analyzer.simplify(conj.reduce<PrimExpr>((acc, c) => E.and(acc, c), E.constant(true, "bool")));
  if (analyzer.canProve(inBoundPredicate)) return "the in-bound predicate is always true, so there is no padding";
  const det = detectIterMap(realize.iterValues, dom, inBoundPredicate, "surjective", analyzer);
  if (det.errors.length > 0) return `the block iters are not independent with respect to the padding condition (${det.errors[0]})`;
  const region: Range[] = [];
  for (const sum of det.indices) {
    if (sum.args.length === 0) {
      region.push(new Range(sum.base, new IntImm(sum.base.dtype, 1)));
    } else {
      if (sum.args.length !== 1 || !analyzer.canProveEqual(sum.args[0]!.scale, new IntImm(sum.dtype, 1))) {
        return "strided iteration is not supported";
      }
      region.push(new Range(sum.base, sum.args[0]!.extent));
    }
  }
  return { region, inBoundValue, inBoundPredicate, padValue };
}

/** TVM's CheckCompleteBlock: spatial iters only, the only writer of its outputs, no buffer both read and written. */
function checkComplete(sch: Schedule, blockSRef: StmtSRef, scope: StmtSRef): void {
  const blk = blockSRef.block();
  let why: string | undefined;
  if (blk.iterVars.some((iv) => iv.iterType !== "DataPar")) why = "it has non-spatial iter vars";
  else if (childBlocks(sch.state, scope).some((s) => s !== blockSRef && s.block().writes.some((w) => blk.writes.some((x) => x.buffer === w.buffer)))) {
    why = "another block in its scope writes the same buffer";
  } else if (blk.reads.some((r) => blk.writes.some((w) => w.buffer === r.buffer))) why = "it reads a buffer it writes";
  if (why) throw sch.error(PRIM, `block "${blk.nameHint}" is not a complete block: ${why}`, blockSRef, [blockSRef]);
}

Schedule.prototype.decomposePadding = function (this: Schedule, block: BlockRV, loop: LoopRV): BlockRV {
  return this.transact(PRIM, () => {
    const blockSRef = this.blockSRef(block, PRIM);
    const loopSRef = this.loopSRef(loop, PRIM);
    const blk = blockSRef.block();
    const realize = this.state.realizeOf(blk);
    const scope = scopeRoot(this, PRIM, blockSRef, false);
    checkComplete(this, blockSRef, scope);

    // Walk the loops inside out: the in-bound part replaces the highest loop that still holds
    // only the block (at most the chosen loop); the constant fill goes right before the chosen loop.
    const analyzer = new Analyzer();
    const dom = new Map<Var, Range>();
    const loops: For[] = [];
    const chosen = loopSRef.loop();
    let foundConst = false, foundInBound = false;
    let inBoundPos: For | undefined;
    for (const l of [...loopsAbove(blockSRef)].reverse()) {
      const f = l.loop();
      const r = new Range(f.min, f.extent);
      dom.set(f.loopVar, r);
      analyzer.bind(f.loopVar, r, true);
      loops.push(f);
      if (f === chosen) {
        foundConst = true;
        if (!foundInBound) {
          foundInBound = true;
          inBoundPos = f;
        }
      } else if (!foundInBound) {
        if (!(f.body instanceof For) && !(f.body instanceof BlockRealize)) foundInBound = true;
        else inBoundPos = f;
      }
    }
    if (!foundConst) {
      throw this.error(PRIM, `loop ${chosen.loopVar.name} is not an ancestor of block "${blk.nameHint}"`, blockSRef, [loopSRef, blockSRef]);
    }
    if (!inBoundPos) throw this.error(PRIM, `the loop directly above block "${blk.nameHint}" holds more than the block`, blockSRef, [blockSRef]);
    const info = analyzePadding(realize, dom, analyzer);
    if (typeof info === "string") {
      throw this.error(PRIM, `block "${blk.nameHint}" does not match the padding pattern: ${info}`, blockSRef, [blockSRef]);
    }
    const constPart = constBlock(realize, info, loops, chosen, analyzer);
    const inBound = inBoundBlock(realize, info, loops, inBoundPos, analyzer);

    class Replacer extends StmtExprMutator {
      override visitFor(f: For): Stmt {
        const out = f === inBoundPos ? inBound.stmt : super.visitFor(f);
        return f === chosen ? SeqStmt.flatten([constPart.stmt, out]) : out;
      }
    }
    const scopeBlock = scope.block();
    const newScope = new Replacer().visitStmt(scopeBlock) as Block;
    this.state.replace(scope, newScope, new Map([[scopeBlock, newScope], [blk, inBound.block]]));
    const rv = this.newBlockRV(this.state.getSRef(constPart.block)!);
    this.record("DecomposePadding", [block, loop], [], [rv]);
    return rv;
  });
};

/** TVM's CreateConstBlock: the pad value over the block's whole domain, under copies of the loops up to `top`. */
function constBlock(realize: BlockRealize, info: PaddingInfo, loops: readonly For[], top: For, analyzer: Analyzer): { stmt: Stmt; block: Block } {
  const block = realize.block;
  const repl = new Map<Var, PrimExpr>();
  const iterVars = block.iterVars.map((iv) => {
    const v = iv.variable.copyWithName(iv.variable.name);
    repl.set(iv.variable, v);
    return new IterVar(iv.dom, v, "DataPar");
  });
  const rw = (e: PrimExpr) => analyzer.simplify(substitute(e, repl));
  const w = block.writes[0]!;
  const write = new BufferRegion(w.buffer, w.region.map((r) => new Range(rw(r.min), rw(r.extent))));
  const store = block.body as BufferStore;
  const newBlock = new Block({
    iterVars, reads: [], writes: [write], nameHint: `${block.nameHint}_pad_const`,
    body: new BufferStore(store.buffer, info.padValue, store.indices.map(rw)),
  });
  const loopVars: Var[] = [];
  for (const l of loops) {
    const v = l.loopVar.copyWithName(l.loopVar.name);
    loopVars.push(v);
    repl.set(l.loopVar, v);
    if (l === top) break;
  }
  let stmt: Stmt = new BlockRealize(realize.iterValues.map(rw), rw(realize.predicate), newBlock);
  loopVars.forEach((v, i) => {
    stmt = new For(v, loops[i]!.min, loops[i]!.extent, "serial", stmt);
  });
  return { stmt, block: newBlock };
}

/** TVM's CreateInBoundBlock: the block over the in-bound region only, loops bound to it shrunk. */
function inBoundBlock(realize: BlockRealize, info: PaddingInfo, loops: readonly For[], top: For, analyzer: Analyzer): { stmt: Stmt; block: Block } {
  const block = realize.block;
  const repl = new Map<Var, PrimExpr>();
  const loopRanges = new Map<Var, Range>();
  for (const l of loops) {
    loopRanges.set(l.loopVar, new Range(l.min, l.extent));
    if (l === top) break;
  }
  const iterVars: IterVar[] = [];
  const bindings: PrimExpr[] = [];
  info.region.forEach((r, i) => {
    const iv = block.iterVars[i]!;
    const v = iv.variable.copyWithName(iv.variable.name);
    const range = new Range(new IntImm(v.dtype, 0), r.extent);
    iterVars.push(new IterVar(range, v, "DataPar"));
    repl.set(iv.variable, E.add(v, r.min));
    const b = realize.iterValues[i]!;
    if (b instanceof Var && loopRanges.has(b)) {
      // A loop bound straight to the iter: shrink the loop instead of adding a predicate.
      loopRanges.set(b, range);
      bindings.push(b);
      repl.set(b, E.add(b, r.min));
      analyzer.bind(b, range, true);
    } else {
      bindings.push(analyzer.simplify(E.sub(b, r.min)));
    }
  });
  const rw = (e: PrimExpr) => analyzer.simplify(substitute(e, repl));
  const region = (rs: readonly BufferRegion[]) => rs.map((x) => new BufferRegion(x.buffer, x.region.map((r) => new Range(rw(r.min), rw(r.extent)))));
  const store = block.body as BufferStore;
  const newBlock = new Block({
    iterVars, reads: region(block.reads), writes: region(block.writes), nameHint: block.nameHint,
    body: new BufferStore(store.buffer, rw(info.inBoundValue), store.indices.map(rw)),
  });
  let stmt: Stmt = new BlockRealize(bindings, rw(info.inBoundPredicate), newBlock);
  for (const l of loops) {
    const r = loopRanges.get(l.loopVar)!;
    stmt = l.with({ min: r.min, extent: r.extent, body: stmt });
    if (l === top) break;
  }
  return { stmt, block: newBlock };
}

registerInstructionKind({
  name: "DecomposePadding",
  pure: false,
  apply: (sch, inputs) => [sch.decomposePadding(inputs[0] as BlockRV, inputs[1] as LoopRV)],
  toTS: (inputs, _a, outs) => `${tsOutputs(outs, false)}sch.decomposePadding(${inputs[0]}, ${inputs[1]});`,
});
