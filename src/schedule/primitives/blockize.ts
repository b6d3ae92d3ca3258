/**
 * blockize: turn the subtree under a loop (or a run of sibling blocks) into a new outer block,
 * so that later primitives, tensorize above all, can treat a whole tile as one unit.
 *
 * blockize(loop): the single block under `loop` becomes the inner block; the loops from `loop`
 * down move inside a new block `<name>_o` whose iter vars are the outer parts of the inner
 * block's bindings. A reduction's init moves to the outer block (as a `<name>_init` block).
 *
 * blockize([blocks]): consecutive sibling blocks, each alone in its loop nest under their lowest
 * common ancestor, go into one block `outer_<B>_<C>_`; their outer iteration must agree.
 */
import { Analyzer } from "../../arith/analyzer.js";
import { unionAll, IntervalSet } from "../../arith/int_set.js";
import { BufferRegion, type Buffer } from "../../ir/buffer.js";
import { PrimExpr, Range, Var } from "../../ir/expr.js";
import { substitute } from "../../ir/expr_functor.js";
import { Block, BlockRealize, For, IterVar, SeqStmt, type Stmt } from "../../tir/stmt.js";
import { printScript } from "../../tir/script/index.js";
import { loopDomains } from "../analysis.js";
import { registerInstructionKind, tsOutputs } from "../instruction.js";
import { Schedule } from "../schedule.js";
import { BlockRV, LoopRV } from "../rv.js";
import type { StmtSRef } from "../sref.js";
import {
  deriveBlockIters, divideBlockBindings, makeInnerBlock, makeLoopNest, makeOuterInit, relaxRegions, substituteBlock,
  type BlockDivision, type DerivedIters,
} from "./blockize_subspace.js";

export interface BlockizeOptions {
  /** Keep iterators of extent 1 in the bindings (TVM's `preserve_unit_iters`, default true). */
  preserveUnitIters?: boolean;
}

declare module "../schedule.js" {
  interface Schedule {
    /** Turns the subtree under `loop`, or the given consecutive sibling blocks, into a new outer block. */
    blockize(target: LoopRV | readonly BlockRV[], opts?: BlockizeOptions): BlockRV;
  }
}

const PRIM = "blockize";

/** The outer realize built by blockizing a loop, and the block reuse map for `state.replace`. */
export interface Blockized {
  readonly realize: BlockRealize;
  readonly reuse: Map<Block, Block>;
}

/**
 * Builds the outer block for `blockize(loop)` without changing the schedule (tensorize uses it
 * before matching). `prim` names the primitive in errors.
 */
export function blockizeLoop(sch: Schedule, prim: string, loopSRef: StmtSRef, preserveUnitIters: boolean): Blockized {
  const loop = loopSRef.loop();
  const { chain, realize } = singleBlockChain(sch, prim, loopSRef);
  const block = realize.block;
  const blockSRef = sch.state.getSRef(block)!;
  const innerVars = chain.map((l) => l.loopVar);
  const division = divideBlockBindings(realize, loopDomains(blockSRef), innerVars, preserveUnitIters);
  if (typeof division === "string") {
    throw sch.error(prim, `the bindings of block "${block.nameHint}" cannot be divided into a part over the loops outside loop ${loop.loopVar.name} and a part over the loops from it inwards: ${division}`, blockSRef, [loop, block]);
  }
  const iters = deriveBlockIters(block.iterVars, division, preserveUnitIters);
  const reuse = new Map<Block, Block>();
  const { inner, subst } = rewriteInner(block, iters, new Map(), reuse, division.innerPredicate);
  const analyzer = new Analyzer();
  const outerBlock = new Block({
    iterVars: iters.outerIterVars,
    reads: relaxRegions(subst.reads, innerDomains(iters.innerIterVars), analyzer),
    writes: relaxRegions(subst.writes, innerDomains(iters.innerIterVars), analyzer),
    nameHint: `${block.nameHint}_o`,
    body: makeLoopNest(inner, [...chain].reverse()),
    init: subst.init ? makeOuterInit(subst.init, inner, [...chain].reverse(), `${block.nameHint}_init`) : undefined,
  });
  return { realize: new BlockRealize(iters.outerBindings, division.outerPredicate, outerBlock), reuse };
}

/** The loops from `loopSRef` down (outermost first) and the one block they lead to. */
function singleBlockChain(sch: Schedule, prim: string, loopSRef: StmtSRef): { chain: For[]; realize: BlockRealize } {
  const loop = loopSRef.loop();
  const chain: For[] = [loop];
  let body = loop.body;
  while (body instanceof For) {
    chain.push(body);
    body = body.body;
  }
  if (body instanceof BlockRealize) return { chain, realize: body };
  const blocks: string[] = [];
  collectBlockNames(body, blocks);
  const last = chain[chain.length - 1]!;
  const what =
    blocks.length === 0
      ? "contains no block"
      : blocks.length > 1
        ? `has ${blocks.length} blocks under it (${blocks.map((b) => `"${b}"`).join(", ")})`
        : `holds a ${body.kind} between loop ${last.loopVar.name} and block "${blocks[0]}"`;
  throw sch.error(prim, `loop ${loop.loopVar.name} must lead through a chain of loops to exactly one block, but it ${what}`, loopSRef, [loop]);
}

function collectBlockNames(s: Stmt, out: string[]): void {
  if (s instanceof BlockRealize) {
    out.push(s.block.nameHint);
    return;
  }
  const any = s as unknown as { seq?: Stmt[]; body?: Stmt; thenCase?: Stmt; elseCase?: Stmt };
  any.seq?.forEach((x) => collectBlockNames(x, out));
  if (any.body) collectBlockNames(any.body, out);
  if (any.thenCase) collectBlockNames(any.thenCase, out);
  if (any.elseCase) collectBlockNames(any.elseCase, out);
}

function innerDomains(ivs: readonly IterVar[]): Map<Var, Range> {
  return new Map(ivs.map((iv) => [iv.variable, iv.dom]));
}

/** Substitutes the original iter vars and builds the inner realize. */
function rewriteInner(
  block: Block,
  iters: DerivedIters,
  domSubst: ReadonlyMap<Var, PrimExpr>,
  reuse: Map<Block, Block>,
  innerPredicate: PrimExpr,
): { inner: BlockRealize; subst: Block } {
  const analyzer = new Analyzer();
  for (const iv of iters.innerIterVars) {
    const dom = domSubst.size ? new Range(substitute(iv.dom.min, domSubst), substitute(iv.dom.extent, domSubst)) : iv.dom;
    analyzer.bind(iv.variable, dom);
  }
  const subst = substituteBlock(block, iters.subst, analyzer, reuse);
  const hasOuterReduction = subst.init !== undefined && iters.outerIterVars.some((iv) => iv.iterType === "CommReduce");
  const innerBlock = makeInnerBlock(subst, iters, hasOuterReduction);
  reuse.set(block, innerBlock);
  return { inner: new BlockRealize(iters.innerBindings, innerPredicate, innerBlock), subst };
}

// ---------------------------------------------------------------- blockize(blocks)

interface Item {
  /** Index of the statement in the common ancestor's body. */
  readonly index: number;
  readonly chain: For[];
  readonly realize: BlockRealize;
  readonly sref: StmtSRef;
}

function blockizeBlocks(sch: Schedule, blocks: readonly BlockRV[], preserveUnitIters: boolean): StmtSRef {
  if (blocks.length === 0) throw sch.error(PRIM, "expected a loop or a non-empty list of blocks");
  const srefs = blocks.map((b) => sch.blockSRef(b, PRIM));
  const seen = new Set<StmtSRef>();
  for (const s of srefs) {
    if (seen.has(s)) throw sch.error(PRIM, `block "${s.block().nameHint}" is listed twice`, s, [s]);
    if (!s.parent) throw sch.error(PRIM, `block "${s.block().nameHint}" is the root block of its function`, s, [s]);
    seen.add(s);
  }
  const root = sch.state.rootOf(srefs[0]!);
  const stranger = srefs.find((s) => sch.state.rootOf(s) !== root);
  if (stranger) {
    throw sch.error(PRIM, `blocks "${srefs[0]!.block().nameHint}" and "${stranger.block().nameHint}" are in different functions`, stranger, [stranger]);
  }
  for (const a of srefs) {
    for (const b of srefs) {
      if (a !== b && a.isDescendantOf(b)) throw sch.error(PRIM, `block "${a.block().nameHint}" is nested inside block "${b.block().nameHint}"`, a, [a, b]);
    }
  }
  const lca = srefs.length === 1 ? srefs[0]!.parent! : lowestCommonAncestor(srefs);
  const items = consecutiveItems(sch, lca, srefs);
  const domSubst = new Map<Var, PrimExpr>();
  const reuse = new Map<Block, Block>();
  const analyzer = new Analyzer();
  let outer: DerivedIters | undefined;
  let outerPredicate: PrimExpr | undefined;
  const reads: BufferRegion[] = [], writes: BufferRegion[] = [], body: Stmt[] = [];
  let name = "outer_";
  for (const it of items) {
    const block = it.realize.block;
    const division = divideBlockBindings(it.realize, loopDomains(it.sref), it.chain.map((l) => l.loopVar), preserveUnitIters);
    if (typeof division === "string") {
      throw sch.error(PRIM, `the bindings of block "${block.nameHint}" cannot be divided into a part over the loops outside its nest and a part over the loops inside: ${division}`, it.sref, [block]);
    }
    if (outer) checkSameOuter(sch, items[0]!, it, outer, division, analyzer);
    if (outerPredicate && !analyzer.canProveEqual(outerPredicate, division.outerPredicate)) {
      throw sch.error(PRIM, `blocks "${items[0]!.realize.block.nameHint}" and "${block.nameHint}" are guarded by different predicates over the outer loops`, it.sref, [items[0]!.realize.block, block]);
    }
    outerPredicate = division.outerPredicate;
    const iters = deriveBlockIters(block.iterVars, division, preserveUnitIters, outer && { iterVars: outer.outerIterVars, bindings: outer.outerBindings });
    outer ??= iters;
    // Loop variables bound directly by an outer binding now read the outer iter var.
    outer.outerIterVars.forEach((iv, k) => {
      const b = outer!.outerBindings[k]!;
      if (b instanceof Var) domSubst.set(b, iv.variable);
    });
    const { inner, subst } = rewriteInner(block, { ...iters, outerIterVars: outer.outerIterVars }, domSubst, reuse, division.innerPredicate);
    if (subst.init && outer.outerIterVars.some((iv) => iv.iterType === "CommReduce")) {
      throw sch.error(PRIM, `block "${block.nameHint}" is a reduction with an init; blockizing several blocks cannot move an init to the outer block (blockize its loop instead)`, it.sref, [block]);
    }
    const doms = new Map([...innerDomains(iters.innerIterVars)].map(([v, r]) => [v, new Range(substitute(r.min, domSubst), substitute(r.extent, domSubst))] as const));
    reads.push(...relaxRegions(subst.reads, doms, analyzer));
    writes.push(...relaxRegions(subst.writes, doms, analyzer));
    const loops = [...it.chain].reverse().map((l) => l.with({ extent: substitute(l.extent, domSubst) }));
    body.push(makeLoopNest(inner, loops));
    name += `${block.nameHint}_`;
  }
  const outerBlock = new Block({
    iterVars: outer!.outerIterVars,
    reads: unionRegions(reads, analyzer),
    writes: unionRegions(writes, analyzer),
    nameHint: name,
    body: SeqStmt.flatten(body),
  });
  const realize = new BlockRealize(outer!.outerBindings, outerPredicate!, outerBlock);
  const old = lca.stmt!;
  const oldItems = itemsOf(old);
  const first = items[0]!.index, last = items[items.length - 1]!.index;
  const newBody = SeqStmt.flatten([...oldItems.slice(0, first), realize, ...oldItems.slice(last + 1)]);
  const replaced = old instanceof For ? old.with({ body: newBody }) : (old as Block).with({ body: newBody });
  if (replaced instanceof Block) reuse.set(old as Block, replaced);
  sch.state.replace(lca, replaced, reuse);
  return sch.state.getSRef(outerBlock)!;
}

function lowestCommonAncestor(srefs: readonly StmtSRef[]): StmtSRef {
  for (let p: StmtSRef | undefined = srefs[0]!; p; p = p.parent) {
    if (srefs.every((s) => s.isDescendantOf(p!))) return p;
  }
  throw new Error("internal: blocks of one function have no common ancestor");
}

function itemsOf(s: Block | For): readonly Stmt[] {
  return s.body instanceof SeqStmt ? s.body.seq : [s.body];
}

/** The statements of `lca`'s body holding the blocks: each a loop chain ending in one block, all adjacent. */
function consecutiveItems(sch: Schedule, lca: StmtSRef, srefs: readonly StmtSRef[]): Item[] {
  const targets = new Map(srefs.map((s) => [s.block(), s] as const));
  const where = lca.stmt instanceof For ? `loop ${lca.stmt.loopVar.name}` : `block "${(lca.stmt as Block).nameHint}"`;
  const items: Item[] = [];
  itemsOf(lca.stmt!).forEach((stmt, index) => {
    const chain: For[] = [];
    let s = stmt;
    while (s instanceof For) {
      chain.push(s);
      s = s.body;
    }
    if (s instanceof BlockRealize && targets.has(s.block)) {
      items.push({ index, chain, realize: s, sref: targets.get(s.block)! });
      return;
    }
    const names: string[] = [];
    collectBlockNames(stmt, names);
    const hit = names.find((n) => srefs.some((r) => r.block().nameHint === n));
    if (hit !== undefined) {
      const sref = srefs.find((r) => r.block().nameHint === hit)!;
      throw sch.error(PRIM, `block "${hit}" must be alone in a chain of loops directly under ${where}, the lowest common ancestor of the blocks`, sref, [sref]);
    }
  });
  if (items.length !== srefs.length) {
    const missing = srefs.find((r) => !items.some((i) => i.sref === r))!;
    throw sch.error(PRIM, `block "${missing.block().nameHint}" is not directly under ${where} through loops only`, missing, [missing]);
  }
  for (let k = 1; k < items.length; k++) {
    if (items[k]!.index !== items[k - 1]!.index + 1) {
      throw sch.error(PRIM, `blocks "${items[k - 1]!.realize.block.nameHint}" and "${items[k]!.realize.block.nameHint}" are not adjacent under ${where}; the blocks to blockize must be consecutive`, lca, [items[k - 1]!.realize.block, items[k]!.realize.block]);
    }
  }
  return items;
}

/** Blockizing several blocks shares the outer iter vars: extents and bindings must agree. */
function checkSameOuter(sch: Schedule, first: Item, it: Item, outer: DerivedIters, division: BlockDivision, analyzer: Analyzer): void {
  const a = first.realize.block, b = it.realize.block;
  const fail = (why: string) => sch.error(PRIM, `blocks "${a.nameHint}" and "${b.nameHint}" do not share their outer iteration: ${why}`, it.sref, [a, b]);
  if (b.iterVars.length !== outer.outerIterVars.length) {
    throw fail(`they have ${outer.outerIterVars.length} and ${b.iterVars.length} iter vars`);
  }
  division.bindings.forEach((d, k) => {
    const iv = outer.outerIterVars[k]!;
    if (!analyzer.canProveEqual(iv.dom.extent, d.outerExtent) || !analyzer.canProveEqual(outer.outerBindings[k]!, d.outer)) {
      throw fail(`iter var ${k} is ${text(outer.outerBindings[k]!)} (extent ${text(iv.dom.extent)}) outside the first and ${text(d.outer)} (extent ${text(d.outerExtent)}) outside the second`);
    }
  });
}

/** One region per buffer, in first-appearance order, covering all given regions of it. */
function unionRegions(regions: readonly BufferRegion[], analyzer: Analyzer): BufferRegion[] {
  const byBuf = new Map<Buffer, BufferRegion[]>();
  for (const r of regions) {
    const l = byBuf.get(r.buffer) ?? [];
    l.push(r);
    byBuf.set(r.buffer, l);
  }
  return [...byBuf].map(([buf, rs]) => {
    if (rs.length === 1) return rs[0]!;
    const dims = buf.shape.map((_, d) => {
      const set = unionAll(rs.map((r) => IntervalSet.fromRange(r.region[d]!)), analyzer);
      return set.toRange(analyzer);
    });
    return new BufferRegion(buf, dims);
  });
}

function text(e: PrimExpr): string {
  try {
    return printScript(e);
  } catch {
    return String(e);
  }
}

// ---------------------------------------------------------------- the primitive

Schedule.prototype.blockize = function (this: Schedule, target: LoopRV | readonly BlockRV[], opts: BlockizeOptions = {}): BlockRV {
  return this.transact(PRIM, () => {
    const preserve = opts.preserveUnitIters ?? true;
    let result: StmtSRef;
    if (Array.isArray(target)) {
      result = blockizeBlocks(this, target as readonly BlockRV[], preserve);
    } else {
      const loopSRef = this.loopSRef(target as LoopRV, PRIM);
      const { realize, reuse } = blockizeLoop(this, PRIM, loopSRef, preserve);
      this.state.replace(loopSRef, realize, reuse);
      result = this.state.getSRef(realize.block)!;
    }
    const rv = this.newBlockRV(result);
    this.record("Blockize", [Array.isArray(target) ? [...(target as readonly BlockRV[])] : (target as LoopRV)], [preserve], [rv]);
    return rv;
  });
};

registerInstructionKind({
  name: "Blockize",
  pure: false,
  apply: (sch, inputs, attrs) => [sch.blockize(inputs[0] as LoopRV | BlockRV[], { preserveUnitIters: Boolean(attrs[0] ?? true) })],
  toTS: (inputs, attrs, outs) => `${tsOutputs(outs, false)}sch.blockize(${inputs[0]}, { preserveUnitIters: ${Boolean(attrs[0] ?? true)} });`,
});
