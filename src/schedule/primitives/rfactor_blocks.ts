/**
 * The pieces rfactor builds (TVM's RFactorBlockCreator / WriteBackBlockCreator):
 *
 * - the rfactor buffers: each reduced buffer with the rfactor loop's extent inserted at
 *   `factorAxis`;
 * - the rfactor block "<name>_rf": a new data-parallel iter var for the rfactor loop first;
 *   the old iter vars kept, except reduction iter vars whose binding uses the rfactor loop,
 *   which are replaced by one reduction iter var per other loop in that binding; it reduces the
 *   old update's right-hand side into the rfactor buffers;
 * - the write-back block (old name): a reduction iter var over the rfactor loop plus copies of
 *   the data-parallel iter vars; it reduces the rfactor buffers into the original buffers.
 */
import { Buffer, BufferRegion } from "../../ir/buffer.js";
import { BufferLoad, IntImm, type PrimExpr, Range, Var } from "../../ir/expr.js";
import type { CommReducer } from "../../te/reduce.js";
import { Block, BlockRealize, BufferStore, IterVar, LetStmt, SeqStmt, type For, type Stmt } from "../../tir/stmt.js";
import type { MatchedReducer } from "./reducer_pattern.js";
import { mentions, subst, substStmt, varsIn } from "./reduction_block.js";

/** One rfactor buffer per reduced buffer: the rfactor loop's extent inserted at `axis`. */
export function makeRFactorBuffers(updates: readonly BufferStore[], axis: number, rfLoop: For): Buffer[] {
  return updates.map((u) => {
    const b = u.buffer;
    const shape = [...b.shape];
    shape.splice(axis, 0, rfLoop.extent);
    // TVM names it "<name>.rf", which prints as <name>_rf; weft uses the printed form.
    const name = `${b.name}_rf`;
    return new Buffer(name, b.dtype, shape, {
      elemOffset: b.elemOffset,
      scope: b.scope,
      dataAlignment: b.dataAlignment,
      offsetFactor: b.offsetFactor,
      bufferType: b.bufferType,
      axisSeparators: b.axisSeparators,
      data: b.data.copyWithName(name),
    });
  });
}

/**
 * The body of either block: store the right-hand sides as they are (no reduction iter var
 * left), store the combined value (one buffer), or bind every combined value with a LetStmt
 * before storing any (several buffers).
 */
function reductionBody(
  bufs: readonly Buffer[],
  indices: readonly (readonly PrimExpr[])[],
  lhs: readonly PrimExpr[],
  rhs: readonly PrimExpr[],
  reducer: CommReducer,
  hasReduceIter: boolean,
): Stmt {
  const n = bufs.length;
  if (!hasReduceIter) {
    const stores = bufs.map((b, i) => new BufferStore(b, rhs[i]!, indices[i]!));
    return n > 1 ? new SeqStmt(stores) : stores[0]!;
  }
  const values = reducer.combine(lhs, rhs);
  if (n === 1) return new BufferStore(bufs[0]!, values[0]!, indices[0]!);
  const lets = bufs.map((b, i) => new Var(`v_${b.name}`, values[i]!.dtype));
  let body: Stmt = new SeqStmt(bufs.map((b, i) => new BufferStore(b, lets[i]!, indices[i]!)));
  for (let i = n - 1; i >= 0; i--) body = new LetStmt(lets[i]!, values[i]!, body);
  return body;
}

function initStores(bufs: readonly Buffer[], indices: readonly (readonly PrimExpr[])[], reducer: CommReducer): Stmt {
  const stores = bufs.map((b, i) => new BufferStore(b, reducer.identity[i]!, indices[i]!));
  return stores.length > 1 ? new SeqStmt(stores) : stores[0]!;
}

function substRegion(buffer: Buffer, region: readonly Range[], vmap: ReadonlyMap<Var, PrimExpr>): BufferRegion {
  return new BufferRegion(buffer, region.map((x) => new Range(subst(x.min, vmap), subst(x.extent, vmap))));
}

function pointRegion(load: PrimExpr): BufferRegion {
  const l = load as BufferLoad;
  return new BufferRegion(l.buffer, l.indices.map((i) => new Range(i, new IntImm(i.dtype, 1))));
}

export interface RFactorBlock {
  readonly block: Block;
  readonly realize: BlockRealize;
  /** The data-parallel iter var over the rfactor loop. */
  readonly additional: IterVar;
  /** Indices of the rfactor buffers (over the rfactor block's iter vars). */
  readonly rfIndices: PrimExpr[];
}

export function makeRFactorBlock(
  realize: BlockRealize,
  rfLoop: For,
  loops: readonly For[],
  updates: readonly BufferStore[],
  matched: MatchedReducer,
  rfBuffers: readonly Buffer[],
  axis: number,
): RFactorBlock {
  const old = realize.block;
  const rv = rfLoop.loopVar;
  const loopOf = new Map(loops.map((l) => [l.loopVar, l] as const));
  const additional = new IterVar(new Range(rfLoop.min, rfLoop.extent), new Var(`v${rv.name}`, rv.dtype), "DataPar");
  const loopToIter = new Map<Var, PrimExpr>([[rv, additional.variable]]);
  const iters: IterVar[] = [additional];
  const values: PrimExpr[] = [rv];
  // Old iter var -> its value in terms of the new iter vars.
  const varMap = new Map<Var, PrimExpr>();
  old.iterVars.forEach((iv, i) => {
    const binding = realize.iterValues[i]!;
    if (iv.iterType === "DataPar" || !mentions(binding, (v) => v === rv)) {
      iters.push(iv);
      values.push(binding);
      return;
    }
    for (const v of varsIn(binding)) {
      const l = loopOf.get(v);
      if (!l || loopToIter.has(v)) continue;
      const nv = new IterVar(new Range(l.min, l.extent), new Var(`v${v.name}`, v.dtype), "CommReduce");
      loopToIter.set(v, nv.variable);
      iters.push(nv);
      values.push(v);
    }
    varMap.set(iv.variable, subst(binding, loopToIter));
  });
  const hasReduceIter = iters.some((iv) => iv.iterType === "CommReduce");
  const rfIndices = [...updates[0]!.indices];
  rfIndices.splice(axis, 0, additional.variable);
  const indices = rfBuffers.map(() => rfIndices);
  const lhs = rfBuffers.map((b) => new BufferLoad(b, rfIndices));
  const body = substStmt(reductionBody(rfBuffers, indices, lhs, matched.rhs, matched.reducer, hasReduceIter), varMap);
  const init = hasReduceIter ? substStmt(initStores(rfBuffers, indices, matched.reducer), varMap) : undefined;
  const toRF = new Map<Buffer, Buffer>(updates.map((u, i) => [u.buffer, rfBuffers[i]!] as const));
  const withAxis = (r: BufferRegion): BufferRegion => {
    const rf = toRF.get(r.buffer);
    if (!rf) return substRegion(r.buffer, r.region, varMap);
    const region = [...r.region];
    region.splice(axis, 0, new Range(additional.variable, new IntImm(additional.variable.dtype, 1)));
    return substRegion(rf, region, varMap);
  };
  const block = new Block({
    nameHint: `${old.nameHint}_rf`,
    iterVars: iters,
    reads: old.reads.map(withAxis),
    writes: old.writes.map(withAxis),
    body,
    init,
    annotations: old.annotations,
  });
  return { block, realize: new BlockRealize(values, realize.predicate, block), additional, rfIndices };
}

export interface WriteBackBlock {
  readonly block: Block;
  readonly realize: BlockRealize;
}

export function makeWriteBackBlock(
  realize: BlockRealize,
  rfLoop: For,
  updates: readonly BufferStore[],
  matched: MatchedReducer,
  rfBuffers: readonly Buffer[],
  rf: RFactorBlock,
  predicate: PrimExpr,
): WriteBackBlock {
  const old = realize.block;
  const rv = rfLoop.loopVar;
  const wbIter = new IterVar(new Range(rfLoop.min, rfLoop.extent), new Var(`v${rv.name}`, rv.dtype), "CommReduce");
  const iters: IterVar[] = [wbIter];
  const values: PrimExpr[] = [rv];
  const varMap = new Map<Var, PrimExpr>([[rf.additional.variable, wbIter.variable]]);
  old.iterVars.forEach((iv, i) => {
    if (iv.iterType !== "DataPar") return;
    const nv = new IterVar(iv.dom, iv.variable.copyWithName(iv.variable.name), "DataPar");
    iters.push(nv);
    values.push(realize.iterValues[i]!);
    varMap.set(iv.variable, nv.variable);
  });
  const bufs = updates.map((u) => u.buffer);
  const indices = updates.map((u) => u.indices);
  const lhs = matched.lhs.map((l) => subst(l, varMap));
  const rhs = rfBuffers.map((b) => subst(new BufferLoad(b, rf.rfIndices), varMap));
  const body = substStmt(reductionBody(bufs, indices, lhs, rhs, matched.reducer, true), varMap);
  const init = substStmt(initStores(bufs, indices, matched.reducer), varMap);
  const block = new Block({
    nameHint: old.nameHint,
    iterVars: iters,
    reads: rhs.map(pointRegion),
    writes: lhs.map(pointRegion),
    body,
    init,
    annotations: old.annotations,
  });
  return { block, realize: new BlockRealize(values, predicate, block) };
}
