/**
 * compute_at / reverse_compute_at: move a block under a loop of its consumers (producers), with
 * its own loops regenerated to cover exactly the region needed there.
 *
 * The region comes from relaxing what the blocks under the target loop read (write) over the
 * loops between them and the target loop; each block iter var then gets the domain that makes
 * one instance's provided point sweep that region (block_var_domain.ts). The block's old loops
 * are removed, and the new loop nest is inserted among the target loop's children between the
 * last producer and the first consumer.
 */
import type { Buffer } from "../../ir/buffer.js";
import { DataType } from "../../ir/dtype.js";
import { Range, Var, type PrimExpr } from "../../ir/expr.js";
import * as E from "../../ir/expr_ops.js";
import { substitute } from "../../ir/expr_functor.js";
import { Analyzer } from "../../arith/analyzer.js";
import { IntSet, evalSetRange, toDomMap } from "../../arith/int_set.js";
import { resolveMinMax } from "../../arith/linear_facts.js";
import { Block, BlockRealize, For, SeqStmt, TRUE, type Stmt } from "../../tir/stmt.js";
import { consumersOf, forEachChildStmt, loopDomains, producersOf } from "../analysis.js";
import { registerInstructionKind } from "../instruction.js";
import { Schedule } from "../schedule.js";
import { LoopRV, type BlockRV } from "../rv.js";
import type { StmtSRef } from "../sref.js";
import { BlockVarDomain, DomainError, blockVarDomains } from "./block_var_domain.js";
import {
  leafRemovalPlan, requireCompleteOrReductionBlock, requireNotOutputBlock, requireStagePipeline, rewriteUnderScope,
} from "./compute_location_checks.js";
import { applyComputeInline, applyReverseComputeInline } from "./compute_inline.js";

export interface ComputeAtOptions {
  /** Keep loops of extent 1 in the regenerated nest (default false). */
  preserveUnitLoops?: boolean;
  /** Position among the target loop's children: -1 last valid (default), -2 first valid, or an index. */
  index?: number;
}

declare module "../schedule.js" {
  interface Schedule {
    /**
     * Moves a producer block under `loop`, a loop above all its consumers, computing there only
     * the region they need. `opts` may also be the preserveUnitLoops flag alone.
     */
    computeAt(block: BlockRV, loop: LoopRV, opts?: ComputeAtOptions | boolean, index?: number): void;
    /** Moves a consumer block under `loop`, a loop above all its producers (e.g. after cacheWrite). */
    reverseComputeAt(block: BlockRV, loop: LoopRV, opts?: ComputeAtOptions | boolean, index?: number): void;
  }
}

function options(sch: Schedule, prim: string, opts: ComputeAtOptions | boolean | undefined, index: number | undefined): Required<ComputeAtOptions> {
  const o = typeof opts === "boolean" ? { preserveUnitLoops: opts } : opts ?? {};
  const idx = index ?? o.index ?? -1;
  if (!Number.isInteger(idx)) throw sch.error(prim, `index must be an integer, got ${String(idx)}`);
  return { preserveUnitLoops: o.preserveUnitLoops ?? false, index: idx };
}

function makePrimitive(isComputeAt: boolean) {
  const prim = isComputeAt ? "compute_at" : "reverse_compute_at";
  const kind = isComputeAt ? "ComputeAt" : "ReverseComputeAt";
  return function (this: Schedule, block: BlockRV, loop: LoopRV, opts?: ComputeAtOptions | boolean, index?: number): void {
    return this.transact(prim, () => {
      const o = options(this, prim, opts, index);
      const blockSRef = this.blockSRef(block, prim);
      // A location sampled as "root" leaves the block alone; "inline" inlines it (as TVM).
      const mark = loop instanceof LoopRV ? this.locationMark(loop) : undefined;
      if (mark === "inline") {
        if (isComputeAt) applyComputeInline(this, prim, blockSRef);
        else applyReverseComputeInline(this, prim, blockSRef);
      } else if (mark !== "root") {
        computeAtImpl(this, prim, isComputeAt, blockSRef, this.loopSRef(loop, prim), o.preserveUnitLoops, o.index);
      }
      this.record(kind, [block, loop], [o.preserveUnitLoops ? 1 : 0, o.index], []);
    });
  };
}

Schedule.prototype.computeAt = makePrimitive(true);
Schedule.prototype.reverseComputeAt = makePrimitive(false);

function computeAtImpl(
  sch: Schedule,
  prim: string,
  isComputeAt: boolean,
  blockSRef: StmtSRef,
  loopSRef: StmtSRef,
  preserveUnitLoops: boolean,
  index: number,
): void {
  const state = sch.state;
  const block = blockSRef.block();
  const loop = loopSRef.loop();
  const name = `"${block.nameHint}"`;
  const loopName = loop.loopVar.name;
  // 1. The scope is a stage pipeline; 2. the block is complete or a reduction.
  const scope = requireStagePipeline(sch, prim, blockSRef);
  const producers = producersOf(state, blockSRef);
  const consumers = consumersOf(state, blockSRef);
  requireCompleteOrReductionBlock(sch, prim, blockSRef, scope);
  // 3. The loop sits in the block's scope (binding the loops from it up to the scope) and is
  //    not one of the block's own loops.
  const analyzer = new Analyzer();
  for (let p: StmtSRef | undefined = loopSRef; p !== scope; p = p.parent) {
    if (!p || !p.isLoop) {
      throw sch.error(prim, `block ${name} and loop ${loopName} are not in the same block scope`, blockSRef, [blockSRef, loopSRef]);
    }
    const l = p.loop();
    analyzer.bind(l.loopVar, new Range(l.min, l.extent));
  }
  if (blockSRef.isDescendantOf(loopSRef)) {
    throw sch.error(
      prim,
      `loop ${loopName} is an ancestor of block ${name}; the target loop must be a loop of its ${isComputeAt ? "consumers" : "producers"}, outside the block's own loop nest`,
      blockSRef,
      [loopSRef, blockSRef],
    );
  }
  // 4. compute_at cannot move a block whose result leaves the scope.
  if (isComputeAt) requireNotOutputBlock(sch, prim, blockSRef, scope);
  const removal = leafRemovalPlan(sch, prim, blockSRef);
  // 5. Where the new nest goes among the loop's children.
  const subtrees = loop.body instanceof SeqStmt ? loop.body.seq : [loop.body];
  const position = insertionPoint(sch, prim, isComputeAt, blockSRef, loopSRef, subtrees, producers, consumers, index);
  // 6. Region each instance provides vs. region required under the loop.
  const provided = new Map<Buffer, IntSet[][]>();
  const required = new Map<Buffer, IntSet[][]>();
  for (const r of isComputeAt ? block.writes : block.reads) {
    const list = provided.get(r.buffer) ?? [];
    list.push(r.region.map((rg) => IntSet.fromRange(rg)));
    provided.set(r.buffer, list);
    required.set(r.buffer, []);
  }
  for (const dep of isComputeAt ? consumers : producers) {
    const depBlock = dep.block();
    const realize = state.realizeOf(depBlock);
    const binding = new Map<Var, PrimExpr>(depBlock.iterVars.map((iv, i) => [iv.variable, realize.iterValues[i]!]));
    for (const r of isComputeAt ? depBlock.reads : depBlock.writes) {
      const list = required.get(r.buffer);
      if (!list) continue;
      const doms = relaxDomain(dep, loopSRef, isComputeAt ? r.buffer.scope : "global");
      list.push(r.region.map((rg) => evalSetRange(new Range(substitute(rg.min, binding), substitute(rg.extent, binding)), doms, analyzer)));
    }
  }
  let doms: BlockVarDomain[];
  try {
    doms = blockVarDomains(block.iterVars, provided, required, analyzer);
  } catch (e) {
    if (!(e instanceof DomainError)) throw e;
    throw sch.error(prim, `cannot work out the loops block ${name} needs under loop ${loopName}: ${e.message}`, blockSRef, [blockSRef, loopSRef]);
  }
  // 7. The new loop nest, the target loop with it inserted, and the scope without the old nest.
  const nest = makeLoopNest(block, doms, analyzer, preserveUnitLoops);
  const newLoop = loop.with({ body: SeqStmt.flatten([...subtrees.slice(0, position), nest, ...subtrees.slice(position)]) });
  const oldRoot = scope.block();
  const newRoot = rewriteUnderScope(scope, new Map<StmtSRef, Stmt>([[removal.src, removal.tgt], [loopSRef, newLoop]]));
  state.replace(scope, newRoot, new Map([[oldRoot, newRoot]]));
}

/** The blocks (not looking into nested blocks) under a statement. */
function blocksUnder(s: Stmt, out: Set<Block>): void {
  if (s instanceof BlockRealize) {
    out.add(s.block);
    return;
  }
  forEachChildStmt(s, (c) => blocksUnder(c, out));
}

/**
 * TVM's FindInsertionPoint: producers must all come before the insertion point and consumers
 * after it; compute_at needs every consumer under the loop, reverse_compute_at every producer.
 */
function insertionPoint(
  sch: Schedule,
  prim: string,
  isComputeAt: boolean,
  blockSRef: StmtSRef,
  loopSRef: StmtSRef,
  subtrees: readonly Stmt[],
  producers: readonly StmtSRef[],
  consumers: readonly StmtSRef[],
  index: number,
): number {
  const prodSet = new Set(producers.map((p) => p.block()));
  const consSet = new Set(consumers.map((c) => c.block()));
  let lastProducer = -1;
  let firstConsumer = subtrees.length;
  let nProd = 0;
  let nCons = 0;
  subtrees.forEach((t, i) => {
    const found = new Set<Block>();
    blocksUnder(t, found);
    let p = 0, c = 0;
    for (const b of found) {
      if (prodSet.has(b)) p++;
      if (consSet.has(b)) c++;
    }
    if (p > 0) lastProducer = i;
    if (c > 0 && firstConsumer === subtrees.length) firstConsumer = i;
    nProd += p;
    nCons += c;
  });
  const name = `"${blockSRef.block().nameHint}"`;
  const loopName = loopSRef.loop().loopVar.name;
  if (lastProducer >= firstConsumer) {
    throw sch.error(
      prim,
      `no position under loop ${loopName} lies after every producer and before every consumer of block ${name} (the last producer is in child ${lastProducer}, the first consumer in child ${firstConsumer})`,
      blockSRef,
      [loopSRef, blockSRef],
    );
  }
  const check = (role: string, all: readonly StmtSRef[], seen: number) => {
    if (seen >= all.length) return;
    const names = all.map((s) => `"${s.block().nameHint}"`).join(", ");
    throw sch.error(
      prim,
      `loop ${loopName} is not an ancestor of every ${role} of block ${name}: ${all.length - seen} of its ${role}s (${names}) lie outside it`,
      blockSRef,
      [loopSRef, ...all],
    );
  };
  if (isComputeAt) check("consumer", consumers, nCons);
  else check("producer", producers, nProd);
  if (index === -1) return firstConsumer;
  if (index === -2) return lastProducer + 1;
  if (index >= lastProducer + 1 && index <= firstConsumer) return index;
  throw sch.error(
    prim,
    `index ${index} is not a valid position under loop ${loopName}: use -1 (last valid), -2 (first valid) or a position in [${lastProducer + 1}, ${firstConsumer}]`,
    blockSRef,
    [loopSRef],
  );
}

/** Storage rank of a scope (TVM's StorageRank): global 0, shared 1, warp 2, local 3, others above. */
function storageRank(scope: string): number {
  const base = scope.split(".")[0]!;
  if (base === "" || base === "global") return 0;
  if (base === "shared") return 1;
  if (base === "warp") return 2;
  if (base === "local") return 3;
  return 4;
}

/** Whether a buffer of rank `rank` is shared by the threads of a `tag` loop, so that loop must be relaxed too. */
function relaxUnderThread(rank: number, tag: string): boolean {
  if (tag.startsWith("blockIdx.")) return rank <= 0;
  const isThread = tag.startsWith("threadIdx.") || tag.startsWith("vthread") || tag === "cthread";
  if (!isThread) return false;
  if (rank === 2) return tag === "threadIdx.x";
  return rank <= 1;
}

/**
 * The loops to relax for a dependent block: those between it and the target loop, plus, for
 * shared / warp buffers, the thread loops above the target whose threads share the buffer.
 */
function relaxDomain(dep: StmtSRef, loopSRef: StmtSRef, storageScope: string) {
  const doms = toDomMap(loopDomains(dep, loopSRef));
  const rank = storageRank(storageScope);
  if (rank === 0) return doms;
  for (let p: StmtSRef | undefined = loopSRef; p; p = p.parent) {
    if (!p.isLoop) continue;
    const l = p.loop();
    if (l.forKind === "thread_binding" && l.threadTag && relaxUnderThread(rank, l.threadTag)) {
      doms.set(l.loopVar, IntSet.fromRange(new Range(l.min, l.extent)));
    }
  }
  return doms;
}

/** TVM's MakeNewLoop: one loop per iter var whose domain is not a single point (or every one when preserving). */
function makeLoopNest(block: Block, doms: readonly BlockVarDomain[], analyzer: Analyzer, preserveUnitLoops: boolean): Stmt {
  const loopVars: Var[] = [];
  const extents: PrimExpr[] = [];
  const values: PrimExpr[] = [];
  let predicate: PrimExpr = TRUE;
  block.iterVars.forEach((iv, i) => {
    const r = doms[i]!.dom.coverRange(iv.dom, analyzer);
    let value: PrimExpr;
    if (preserveUnitLoops || !E.isConstInt(r.extent, 1)) {
      const bits = Math.max(r.min.dtype.bits, r.extent.dtype.bits);
      const v = new Var(`ax${loopVars.length}`, DataType.get("int", bits));
      const extent = E.cast(v.dtype, analyzer.simplify(r.extent));
      loopVars.push(v);
      extents.push(extent);
      value = E.add(r.min, v);
      analyzer.bind(v, new Range(E.constant(0, v.dtype), extent));
    } else {
      value = r.min;
    }
    if (value.dtype !== iv.variable.dtype) value = E.cast(iv.variable.dtype, value);
    values.push(value);
    const bound = doms[i]!.bound;
    if (bound.isNothing()) return;
    // Only the bounds the analyzer cannot discharge become part of the predicate.
    if (bound.hasLowerBound()) {
      const lower = E.ge(value, bound.min);
      if (!analyzer.canProve(lower)) predicate = E.and(predicate, lower);
    }
    if (bound.hasUpperBound()) {
      const upper = E.lt(value, E.add(resolveMinMax(bound.max, analyzer), 1));
      if (!analyzer.canProve(upper)) predicate = E.and(predicate, upper);
    }
  });
  const simplified = predicate === TRUE ? TRUE : analyzer.simplify(predicate);
  let nest: Stmt = new BlockRealize(values, simplified, block);
  for (let i = loopVars.length - 1; i >= 0; i--) {
    const v = loopVars[i]!;
    nest = new For(v, E.constant(0, v.dtype), extents[i]!, "serial", nest);
  }
  return nest;
}

function loopKind(name: string, method: "computeAt" | "reverseComputeAt"): void {
  registerInstructionKind({
    name,
    pure: false,
    apply: (sch, inputs, attrs) => {
      const preserve = attrs[0] === true || attrs[0] === 1;
      const index = attrs[1] === undefined || attrs[1] === null ? -1 : Number(attrs[1]);
      sch[method](inputs[0] as BlockRV, inputs[1] as LoopRV, { preserveUnitLoops: preserve, index });
      return [];
    },
    toTS: (inputs, attrs) => {
      const preserve = attrs[0] === true || attrs[0] === 1;
      const index = attrs[1] === undefined || attrs[1] === null ? -1 : Number(attrs[1]);
      const opts: string[] = [];
      if (preserve) opts.push("preserveUnitLoops: true");
      if (index !== -1) opts.push(`index: ${index}`);
      return `sch.${method}(${inputs[0]}, ${inputs[1]}${opts.length ? `, { ${opts.join(", ")} }` : ""});`;
    },
  });
}
loopKind("ComputeAt", "computeAt");
loopKind("ReverseComputeAt", "reverseComputeAt");
