/**
 * compute_inline / reverse_compute_inline.
 *
 * compute_inline removes a complete block `B[v0, v1, ...] = f(v0, v1, ...)` and replaces every
 * load of B in its scope by f applied to the load's indices. reverse_compute_inline removes a
 * consumer `C[h(u)] = g(B[u0, u1, ...], ...)` whose only producer writes `B[p] = f(...)` and
 * turns that producer into `C[h(p)] = g(f(...), ...)`. Both drop B's allocation from the scope
 * block and recompute the reads / writes of every block that accessed B.
 */
import type { Buffer } from "../../ir/buffer.js";
import { BufferLoad, Range, Var, type PrimExpr } from "../../ir/expr.js";
import * as E from "../../ir/expr_ops.js";
import { collectVars, substitute } from "../../ir/expr_functor.js";
import { structuralEqual } from "../../ir/structural.js";
import { Analyzer } from "../../arith/analyzer.js";
import { IntSet, evalSet, toDomMap } from "../../arith/int_set.js";
import { getBlockReadWriteRegion } from "../../tir/block_access.js";
import { Block, BlockRealize, BufferStore, For, TRUE, type Stmt } from "../../tir/stmt.js";
import { StmtExprMutator } from "../../tir/stmt_functor.js";
import { consumersOf, loopDomains, producersOf } from "../analysis.js";
import { registerInstructionKind } from "../instruction.js";
import { Schedule } from "../schedule.js";
import type { BlockRV } from "../rv.js";
import type { StmtSRef } from "../sref.js";
import {
  completeBlockViolation, leafRemovalPlan, requireCompleteBlock, requireNotOutputBlock, requireNotRoot, requireStagePipeline,
  type LeafRemoval,
} from "./compute_location_checks.js";

declare module "../schedule.js" {
  interface Schedule {
    /** Inlines a complete elementwise block into all its consumers and removes it. */
    computeInline(block: BlockRV): void;
    /** Inlines a consumer block into its single producer's store and removes it. */
    reverseComputeInline(block: BlockRV): void;
  }
}

Schedule.prototype.computeInline = function (this: Schedule, block: BlockRV): void {
  return this.transact("compute_inline", () => {
    applyComputeInline(this, "compute_inline", this.blockSRef(block, "compute_inline"));
    this.record("ComputeInline", [block], [], []);
  });
};

Schedule.prototype.reverseComputeInline = function (this: Schedule, block: BlockRV): void {
  return this.transact("reverse_compute_inline", () => {
    applyReverseComputeInline(this, "reverse_compute_inline", this.blockSRef(block, "reverse_compute_inline"));
    this.record("ReverseComputeInline", [block], [], []);
  });
};

const quoted = (s: StmtSRef): string => `"${s.block().nameHint}"`;

/** Rejects blocks with an init or a reduction iter var: only complete blocks can be inlined. */
function rejectReduction(sch: Schedule, prim: string, sref: StmtSRef): void {
  const block = sref.block();
  const reduce = block.iterVars.filter((iv) => iv.iterType === "CommReduce").map((iv) => iv.variable.name);
  if (!block.init && reduce.length === 0) return;
  const what = [
    reduce.length > 0 ? `reduction iter var${reduce.length > 1 ? "s" : ""} ${reduce.join(", ")}` : "",
    block.init ? "an init statement" : "",
  ].filter((x) => x).join(" and ");
  throw sch.error(prim, `block ${quoted(sref)} is a reduction block (it has ${what}); only complete blocks can be inlined`, sref, [sref]);
}

/** The inlining itself, without recording (compute_at with an "inline" location uses it too). */
export function applyComputeInline(sch: Schedule, prim: string, sref: StmtSRef): void {
  requireNotRoot(sch, prim, sref);
  const block = sref.block();
  rejectReduction(sch, prim, sref);
  if (block.writes.length !== 1) {
    throw sch.error(prim, `block ${quoted(sref)} writes ${block.writes.length} buffer regions; only a block writing a single one can be inlined`, sref, [sref]);
  }
  const buf = block.writes[0]!.buffer;
  const scope = requireStagePipeline(sch, prim, sref);
  requireNotOutputBlock(sch, prim, sref, scope);
  requireCompleteBlock(sch, prim, sref, scope);
  const store = block.body;
  const why = inlinableStoreViolation(store, buf);
  if (why) {
    throw sch.error(
      prim,
      `the body of block ${quoted(sref)} must be a single store ${buf.name}[v0, v1, ...] = f(v0, v1, ...) indexed by distinct variables, with no other variables in f: ${why}`,
      sref,
      [sref],
    );
  }
  const st = store as BufferStore;
  const inliner = new ComputeInliner(buf, scope.block(), leafRemovalPlan(sch, prim, sref), st.indices as Var[], st.value);
  finish(sch, prim, scope, inliner);
}

/** Why a producer's body cannot be inlined, or undefined (TVM's BodyPatternAllowInline). */
function inlinableStoreViolation(store: Stmt, buf: Buffer): string | undefined {
  if (!(store instanceof BufferStore) || store.buffer !== buf) return `its body is not a single store into ${buf.name}`;
  if (store.predicate) return "the store is predicated";
  const seen = new Set<Var>();
  for (const idx of store.indices) {
    if (!(idx instanceof Var)) return `store index ${String(idx)} is not a variable`;
    if (seen.has(idx)) return `store index ${idx.name} appears twice`;
    seen.add(idx);
  }
  const extra = new Set<string>();
  const scan = (e: PrimExpr) => {
    for (const v of collectVars(e)) if (!v.dtype.isHandle() && !seen.has(v)) extra.add(v.name);
  };
  scan(store.value);
  if (extra.size > 0) return `the stored value uses ${[...extra].join(", ")}, which ${extra.size > 1 ? "are" : "is"} not among the store indices`;
  return undefined;
}

export function applyReverseComputeInline(sch: Schedule, prim: string, sref: StmtSRef): void {
  requireNotRoot(sch, prim, sref);
  const block = sref.block();
  const realize = sch.state.realizeOf(block);
  rejectReduction(sch, prim, sref);
  const scope = requireStagePipeline(sch, prim, sref);
  const buf = singleReadBuffer(sch, prim, sref);
  requireCompleteBlock(sch, prim, sref, scope);
  const producer = singleProducer(sch, prim, sref, scope);
  if (!scope.block().allocBuffers.includes(buf)) {
    throw sch.error(
      prim,
      `buffer ${buf.name} is not allocated by the scope block ${quoted(scope)} (it is a function parameter or belongs to an outer scope); inlining block ${quoted(sref)} would leave it unwritten`,
      sref,
      [sref],
    );
  }
  const fail = (why: string): never => {
    throw sch.error(
      prim,
      `block ${quoted(sref)} must be a single unpredicated store C[...] = g(${buf.name}[u0, u1, ...], ...) reading ${buf.name} at distinct iter vars covering the producer's domain, with no other variables: ${why}`,
      sref,
      [sref],
    );
  };
  if (!E.isConstInt(realize.predicate, 1)) fail(`it has the predicate ${String(realize.predicate)}`);
  // The producer will run the consumer's store over the consumer's whole domain, so the
  // consumer's own loops must have done so too.
  const loopDoms = toDomMap(loopDomains(sref));
  const affine = sch.state.blockInfo(sref).affineBinding;
  const eq = new Analyzer();
  block.iterVars.forEach((iv, i) => {
    const s = evalSet(realize.iterValues[i]!, loopDoms, eq);
    const last = E.sub(E.add(iv.dom.min, iv.dom.extent), 1);
    const whole = s.hasLowerBound() && s.hasUpperBound() && eq.canProveEqual(s.min, iv.dom.min) && eq.canProveEqual(s.max, last);
    if (!affine || !whole) fail(`its loops do not run over the whole domain of ${iv.variable.name}`);
  });
  const store = block.body;
  if (!(store instanceof BufferStore)) return fail("its body is not a single BufferStore");
  if (store.predicate) fail("its store is predicated");
  const prodStore = producer.block().body;
  if (!(prodStore instanceof BufferStore) || prodStore.buffer !== buf) {
    return fail(`its producer ${quoted(producer)} is not a single store into ${buf.name}`);
  }
  const idxSub = consumerToProducer(block, store, buf, prodStore, fail);
  // Every consumer iteration must be one the producer performs.
  const prodDoms = new Map<Var, IntSet>(producer.block().iterVars.map((iv) => [iv.variable, IntSet.fromRange(iv.dom)]));
  const analyzer = new Analyzer();
  for (const iv of block.iterVars) {
    const s = evalSet(idxSub.get(iv.variable)!, prodDoms, analyzer);
    const last = E.sub(E.add(iv.dom.min, iv.dom.extent), 1);
    if ((s.hasLowerBound() && analyzer.canProve(E.gt(s.min, iv.dom.min))) || (s.hasUpperBound() && analyzer.canProve(E.lt(s.max, last)))) {
      fail(`the producer does not cover the whole domain of ${iv.variable.name}`);
    }
  }
  const prodRealize = sch.state.realizeOf(producer.block());
  const predicate = inlinedPredicate(sch, prim, block, producer, prodRealize, idxSub);
  const inliner = new ReverseComputeInliner(buf, scope.block(), leafRemovalPlan(sch, prim, sref), store, idxSub, producer.block(), predicate);
  finish(sch, prim, scope, inliner);
}

/** The only buffer the block reads that some block of the scope writes (TVM's GetSingleRead). */
function singleReadBuffer(sch: Schedule, prim: string, sref: StmtSRef): Buffer {
  const producers = producersOf(sch.state, sref);
  const written = new Set(producers.flatMap((p) => p.block().writes.map((w) => w.buffer)));
  const bufs = [...new Set(sref.block().reads.map((r) => r.buffer).filter((b) => written.has(b)))];
  if (bufs.length !== 1) {
    const what = bufs.length === 0 ? "none produced in its scope" : bufs.map((b) => b.name).join(", ");
    throw sch.error(prim, `block ${quoted(sref)} must read exactly one buffer produced in its scope, but reads ${what}`, sref, [sref]);
  }
  return bufs[0]!;
}

/** The producer, required to be single, complete, and consumed only by this block. */
function singleProducer(sch: Schedule, prim: string, sref: StmtSRef, scope: StmtSRef): StmtSRef {
  const producers = producersOf(sch.state, sref);
  const bad = (why: string): never => {
    throw sch.error(prim, `block ${quoted(sref)} needs a single complete producer that it alone consumes: ${why}`, sref, [sref, ...producers]);
  };
  if (producers.length !== 1) return bad(`it has ${producers.length} producers`);
  const p = producers[0]!;
  const incomplete = completeBlockViolation(sch, p, scope);
  if (incomplete) return bad(`its producer ${quoted(p)} is not a complete block (${incomplete})`);
  const consumers = consumersOf(sch.state, p);
  if (consumers.length !== 1) return bad(`its producer ${quoted(p)} has ${consumers.length} consumers`);
  return p;
}

/**
 * Consumer iter var -> the producer's store index it corresponds to: each index of the loads of
 * `buf` is a distinct iter var (the same in every load); unit iter vars not read take their min.
 */
function consumerToProducer(
  block: Block,
  store: BufferStore,
  buf: Buffer,
  prodStore: BufferStore,
  fail: (why: string) => never,
): Map<Var, PrimExpr> {
  const loads: BufferLoad[] = [];
  class Find extends StmtExprMutator {
    override visitBufferLoad(e: BufferLoad): PrimExpr {
      if (e.buffer === buf) loads.push(e);
      return super.visitBufferLoad(e);
    }
  }
  new Find().visitStmt(store);
  if (loads.length === 0) fail(`it does not load ${buf.name} in its store`);
  const indices = loads[0]!.indices;
  if (loads.some((l) => !structuralEqual(l.indices, indices))) fail(`it loads ${buf.name} at different indices`);
  const iterVars = new Set(block.iterVars.map((iv) => iv.variable));
  const sub = new Map<Var, PrimExpr>();
  for (const iv of block.iterVars) {
    if (E.isConstInt(iv.dom.extent, 1) && E.isConstInt(iv.dom.min)) sub.set(iv.variable, iv.dom.min);
  }
  const seen = new Set<Var>();
  indices.forEach((idx, k) => {
    if (!(idx instanceof Var) || !iterVars.has(idx)) fail(`index ${String(idx)} of its load of ${buf.name} is not an iter var`);
    const v = idx as Var;
    if (seen.has(v)) fail(`its load of ${buf.name} uses ${v.name} twice`);
    seen.add(v);
    sub.set(v, prodStore.indices[k]!);
  });
  for (const iv of block.iterVars) {
    if (!sub.has(iv.variable)) fail(`iter var ${iv.variable.name} does not index ${buf.name}`);
  }
  const others = new Set<string>();
  const scan = (e: PrimExpr) => {
    for (const v of collectVars(e)) if (!v.dtype.isHandle() && !iterVars.has(v)) others.add(v.name);
  };
  store.indices.forEach(scan);
  scan(store.value);
  if (others.size > 0) fail(`its store uses ${[...others].join(", ")}, which ${others.size > 1 ? "are not iter vars" : "is not an iter var"}`);
  return sub;
}

/**
 * The producer's new predicate: the consumer's iter vars (as producer indices) within their
 * domains, over the loops; it must imply the producer's old predicate (as TVM requires).
 */
function inlinedPredicate(
  sch: Schedule,
  prim: string,
  consumer: Block,
  producer: StmtSRef,
  prodRealize: BlockRealize,
  idxSub: ReadonlyMap<Var, PrimExpr>,
): PrimExpr {
  const analyzer = new Analyzer();
  const toLoops = new Map<Var, PrimExpr>();
  producer.block().iterVars.forEach((iv, i) => {
    analyzer.bind(iv.variable, new Range(iv.dom.min, iv.dom.extent));
    toLoops.set(iv.variable, prodRealize.iterValues[i]!);
  });
  let inBound: PrimExpr = TRUE;
  for (const iv of consumer.iterVars) {
    const v = idxSub.get(iv.variable)!;
    inBound = E.and(inBound, E.and(E.ge(v, iv.dom.min), E.lt(v, E.add(iv.dom.min, iv.dom.extent))));
  }
  const pred = substitute(analyzer.simplify(inBound), toLoops);
  const checker = new Analyzer();
  if (!E.isConstInt(prodRealize.predicate, 1) && !(E.isConstInt(pred, 0) || checker.withConstraint(pred, () => checker.canProve(prodRealize.predicate)))) {
    throw sch.error(
      prim,
      `the producer ${quoted(producer)} has the predicate ${String(prodRealize.predicate)}, which the predicate ${String(pred)} of the inlined block does not imply`,
      producer,
      [producer],
    );
  }
  return pred;
}

/** Mutates the scope, then replaces it and checks the buffer left no opaque use behind. */
function finish(sch: Schedule, prim: string, scope: StmtSRef, inliner: BaseInliner): void {
  const newRoot = inliner.visitStmt(scope.block());
  if (inliner.opaque) {
    throw sch.error(
      prim,
      `buffer ${inliner.buf.name} is accessed opaquely in scope block ${quoted(scope)} (its data pointer is used, or a block matches a region of it), so it cannot be inlined`,
      scope,
      [scope],
    );
  }
  sch.state.replace(scope, newRoot, inliner.reuse);
}

/**
 * What both inliners share: swapping in the leaf-removal plan, spotting opaque uses of the
 * buffer, and updating block signatures (the scope block stops allocating the buffer; blocks
 * that accessed it get their reads / writes recomputed).
 */
abstract class BaseInliner extends StmtExprMutator {
  opaque = false;
  readonly reuse = new Map<Block, Block>();
  private readonly bufferVarMap = new Map<Var, Buffer>();

  constructor(
    readonly buf: Buffer,
    private readonly scopeRoot: Block,
    private readonly removal: LeafRemoval,
  ) {
    super();
  }

  override visitVar(v: Var): PrimExpr {
    if (v === this.buf.data) this.opaque = true;
    return v;
  }

  override visitFor(f: For): Stmt {
    return super.visitFor(f === this.removal.src.stmt ? (this.removal.tgt as For) : f);
  }

  override visitBlock(src: Block): Stmt {
    if (src.matchBuffers.some((m) => m.source.buffer === this.buf)) this.opaque = true;
    for (const r of [...src.reads, ...src.writes]) this.bufferVarMap.set(r.buffer.data, r.buffer);
    for (const b of src.allocBuffers) this.bufferVarMap.set(b.data, b);
    const b = src === this.removal.src.stmt ? (this.removal.tgt as Block) : src;
    const tgt = this.updateSignature(super.visitBlock(b) as Block, src === this.scopeRoot);
    if (tgt !== src) this.reuse.set(src, tgt);
    return tgt;
  }

  private updateSignature(block: Block, isScopeRoot: boolean): Block {
    if (isScopeRoot) {
      if (!block.allocBuffers.includes(this.buf)) return block;
      return block.with({ allocBuffers: block.allocBuffers.filter((b) => b !== this.buf) });
    }
    const touches = [...block.reads, ...block.writes].some((r) => r.buffer === this.buf);
    if (!touches) return block;
    const rw = getBlockReadWriteRegion(block, undefined, this.bufferVarMap);
    return block.with({ reads: rw.reads, writes: rw.writes });
  }
}

class ComputeInliner extends BaseInliner {
  constructor(
    buf: Buffer,
    scopeRoot: Block,
    removal: LeafRemoval,
    private readonly idxVars: readonly Var[],
    private readonly value: PrimExpr,
  ) {
    super(buf, scopeRoot, removal);
  }

  override visitBufferLoad(e: BufferLoad): PrimExpr {
    const load = super.visitBufferLoad(e) as BufferLoad;
    if (load.buffer !== this.buf) return load;
    const m = new Map<Var, PrimExpr>(this.idxVars.map((v, i) => [v, load.indices[i]!]));
    return substitute(this.value, m);
  }
}

class ReverseComputeInliner extends BaseInliner {
  constructor(
    buf: Buffer,
    scopeRoot: Block,
    removal: LeafRemoval,
    private readonly consumerStore: BufferStore,
    private readonly idxSub: ReadonlyMap<Var, PrimExpr>,
    private readonly producer: Block,
    private readonly predicate: PrimExpr,
  ) {
    super(buf, scopeRoot, removal);
  }

  override visitBlockRealize(r: BlockRealize): Stmt {
    const out = super.visitBlockRealize(r) as BlockRealize;
    if (r.block !== this.producer) return out;
    return new BlockRealize(out.iterValues, this.predicate, out.block);
  }

  override visitBufferStore(s: BufferStore): Stmt {
    const st = super.visitBufferStore(s) as BufferStore;
    if (st.buffer !== this.buf) return st;
    // The consumer's store in the producer's terms, with the producer's value for the load.
    const idxSub = this.idxSub;
    const rhs = st.value;
    const buf = this.buf;
    class Sub extends StmtExprMutator {
      override visitVar(v: Var): PrimExpr {
        return idxSub.get(v) ?? v;
      }
      override visitBufferLoad(e: BufferLoad): PrimExpr {
        const l = super.visitBufferLoad(e);
        return e.buffer === buf ? rhs : l;
      }
    }
    return new Sub().visitStmt(this.consumerStore);
  }
}

registerInstructionKind({
  name: "ComputeInline",
  pure: false,
  apply: (sch, inputs) => {
    sch.computeInline(inputs[0] as BlockRV);
    return [];
  },
  toTS: (inputs) => `sch.computeInline(${inputs[0]});`,
});

registerInstructionKind({
  name: "ReverseComputeInline",
  pure: false,
  apply: (sch, inputs) => {
    sch.reverseComputeInline(inputs[0] as BlockRV);
    return [];
  },
  toTS: (inputs) => `sch.reverseComputeInline(${inputs[0]});`,
});
