/**
 * The rules of the default CPU schedules, one function per operator family. Each rule works on
 * the schedule it is given and may throw (ScheduleError from a primitive, RuleSkip when the
 * block does not have the expected form); the driver (default_schedule.ts) runs every rule on
 * a copy of the schedule and keeps the copy only when the rule finished.
 */
import type { Var } from "../../ir/expr.js";
import type { Schedule } from "../schedule.js";
import type { BlockRV, LoopRV } from "../rv.js";
import type { BlockAnalysis } from "./block_kind.js";
import { loadsOf } from "./block_kind.js";
import { packTransposedB } from "./matmul_ukernel.js";
import {
  RuleSkip, constExtent, extentOf, iterVarOfLoop, largestDivisorAtMost, loopRoles, pow2Divisor, skipUnless, workOf,
} from "./util.js";

export interface RuleConfig {
  /** float32 vector lanes. */
  lanes: number;
  /** Loops with less total work than this stay serial. */
  minParallelWork: number;
  /** Value of `pragma_auto_unroll_max_step` on the parallel loops of tiled reductions (0: none). */
  unrollMaxStep: number;
}

/**
 * Fuses `loops` (outermost first) and makes the result parallel when there is enough work. A
 * symbolic extent (a dynamic batch or sequence length) is made parallel too: it is 1 only for
 * the smallest inputs, where the fork/join is cheap next to the kernel launch.
 */
export function parallelOuter(sch: Schedule, loops: readonly LoopRV[], work: number, cfg: RuleConfig): LoopRV | undefined {
  if (loops.length === 0) return undefined;
  // A symbolic extent below the outermost loop would give fused bindings such as
  // `f % ceildiv(n, 48)` or `f // (n * 24)`, which the iter-map analysis cannot prove
  // quasi-affine (parallel refuses them): fuse from the innermost symbolic loop inward (only
  // static extents below it) and keep the loops above it serial.
  let from = 0;
  loops.forEach((l, i) => {
    if (i > 0 && extentOf(sch, l) === undefined) from = i;
  });
  loops = loops.slice(from);
  const f = loops.length > 1 ? sch.fuse(...loops) : loops[0]!;
  const e = extentOf(sch, f);
  if ((e === undefined || e >= 2) && work >= cfg.minParallelWork) sch.parallel(f);
  return f;
}

/** Vectorizes the innermost loop of `block` when its extent is a power of two (2..lanes*4). */
function vectorizeInnermost(sch: Schedule, block: BlockRV, cfg: RuleConfig): boolean {
  const loops = sch.getLoops(block);
  const last = loops[loops.length - 1];
  if (!last) return false;
  const e = extentOf(sch, last);
  if (e === undefined || e < 2 || (e & (e - 1)) !== 0 || e > cfg.lanes * 4) return false;
  sch.vectorize(last);
  return true;
}

// ---------------------------------------------------------------- elementwise / injective

/**
 * Injective blocks: the innermost loop split by the vector width and vectorized, the other
 * loops fused and parallel. (Splitting the fused loop instead would give bindings the
 * iter-map analysis cannot always prove affine, e.g. for 4-d transposes.)
 */
export function ruleElementwise(sch: Schedule, name: string, cfg: RuleConfig): void {
  const b = sch.getBlock(name);
  const loops = sch.getLoops(b);
  skipUnless(loops.length > 0, "no loops");
  const work = workOf(sch, loops);
  const last = loops[loops.length - 1]!;
  // A symbolic innermost extent is not vectorized (no lane count is known to divide it); the
  // loops stay scalar and the outer ones parallel.
  const E = extentOf(sch, last);
  const lanes = E === undefined ? 0 : pow2Divisor(E, cfg.lanes);
  let lastOuter: LoopRV | undefined;
  if (lanes >= 2 && E! > lanes) {
    const [o, i] = sch.split(last, [undefined, lanes]);
    sch.vectorize(i!);
    lastOuter = o!;
  } else if (lanes >= 2) {
    sch.vectorize(last);
  }
  if (loops.length > 1) parallelOuter(sch, loops.slice(0, -1), work, cfg);
  else if (lastOuter) parallelOuter(sch, [lastOuter], work, cfg);
  else if (lanes < 2) parallelOuter(sch, [last], work, cfg);
}

/** Splits the loops under `from` of an injective block into a vectorized inner loop (used inside a row group). */
function vectorizeInner(sch: Schedule, name: string, from: number, cfg: RuleConfig): void {
  const b = sch.getBlock(name);
  const loops = sch.getLoops(b).slice(from);
  skipUnless(loops.length > 0, "no inner loops");
  const f = loops.length > 1 ? sch.fuse(...loops) : loops[0]!;
  const total = constExtent(sch, f);
  const lanes = pow2Divisor(total, cfg.lanes);
  skipUnless(lanes >= 2, "no power-of-two vector width divides the row");
  if (total > lanes) sch.vectorize(sch.split(f, [undefined, lanes])[1]!);
  else sch.vectorize(f);
}

// ---------------------------------------------------------------- matmul

const MR_PREFS_WIDE = [4, 2, 3, 6, 8];
const MR_PREFS = [6, 4, 8, 3, 2];

/**
 * matmul / dense / batch_matmul: i -> [i0, i1, MR], j -> [j0, j1, NR], order
 * (batch, i0, j0, i1, j1, k, MR, NR); the write stage (an elementwise consumer such as
 * bias+relu, or a "global" cache) goes under j1, the MR x NR register tile; NR vectorized,
 * (batch, i0, j0) fused and parallel, annotated for auto-unroll; init decomposed out of k.
 */
export function ruleMatmul(sch: Schedule, name: string, cfg: RuleConfig, epilogue?: string): string | undefined {
  const b = sch.getBlock(name);
  const loops = sch.getLoops(b);
  const roles = loopRoles(sch, b, loops);
  const s = roles.indexOf("R");
  skipUnless(s >= 2 && s === loops.length - 1 && roles.slice(0, s).every((r) => r === "S"), "loops are not (spatial..., k)");
  const batch = loops.slice(0, s - 2);
  const [i, j, k] = [loops[s - 2]!, loops[s - 1]!, loops[s]!];
  // A symbolic extent (dynamic batch or sequence length; usually the rows) is split by a
  // constant tile: the split predicates the last, partial tile (`T.where(i < n)`), which
  // lowers to a test per row of the register tile, outside the vectorized NR loop.
  const I = extentOf(sch, i), J = extentOf(sch, j);
  let nr = J === undefined ? 0 : pow2Divisor(J, cfg.lanes * 2);
  const vec = nr >= 2;
  if (!vec) nr = Math.min(J ?? cfg.lanes, cfg.lanes); // non-divisible or symbolic: predicated, not vectorized
  const mrPrefs = nr >= cfg.lanes * 2 ? MR_PREFS_WIDE : MR_PREFS;
  let mr: number, i1: number;
  if (I === undefined) {
    // Same register tile and rows per task as a large static matmul would get.
    mr = mrPrefs[0]!;
    i1 = Math.max(1, Math.floor(48 / mr));
  } else {
    mr = Math.min(mrPrefs.find((m) => I % m === 0) ?? Math.min(I, 4), I);
    i1 = I % mr === 0 ? largestDivisorAtMost(I / mr, Math.max(1, Math.floor(48 / mr))) : 1;
  }
  const j1 = J !== undefined && J % nr === 0 ? largestDivisorAtMost(J / nr, Math.max(1, Math.floor(128 / nr))) : 1;
  const [vj, vk] = [iterVarOfLoop(sch, b, j), iterVarOfLoop(sch, b, k)];
  const [i0, i1l, i2] = sch.split(i, [undefined, i1, mr]);
  const [j0, j1l, j2] = sch.split(j, [undefined, j1, nr]);
  sch.reorder(...batch, i0!, j0!, i1l!, j1l!, k, i2!, j2!);
  if (vec && vj !== undefined && vk !== undefined && J! % nr === 0) {
    // B read as B[.., j, k]: pack it so the NR vector loads are contiguous (kept only if it applies).
    const trial = sch.copy();
    try {
      if (packTransposedB(trial, trial.getBlock(name), vj, vk, nr, cfg)) adopt(sch, trial);
    } catch (err) {
      debug("pack B", err);
    }
  }
  let used: string | undefined;
  let stage: BlockRV | undefined;
  if (epilogue) {
    try {
      const e = sch.getBlock(epilogue);
      sch.reverseComputeAt(e, j1l!);
      stage = e;
      used = epilogue;
    } catch (err) {
      debug(`epilogue ${epilogue}`, err);
      stage = undefined;
    }
  }
  stage ??= (() => {
    const cw = sch.cacheWrite(b, 0, "global");
    sch.reverseComputeAt(cw, j1l!);
    return cw;
  })();
  if (vec) {
    sch.vectorize(j2!);
    const wl = sch.getLoops(stage);
    const last = wl[wl.length - 1]!;
    const le = extentOf(sch, last);
    if (le !== undefined && le === nr) sch.vectorize(last);
  }
  const fused = parallelOuter(sch, [...batch, i0!, j0!], Number.POSITIVE_INFINITY, cfg)!;
  if (cfg.unrollMaxStep > 0) sch.annotate(fused, "pragma_auto_unroll_max_step", cfg.unrollMaxStep);
  sch.decomposeReduction(b, k);
  return used;
}

// ---------------------------------------------------------------- conv

/**
 * conv2d / depthwise (multiply-add with several reduction axes): the innermost output axis
 * (ow for NCHW, the channel for NHWC) split by the vector width; the output channel (a spatial
 * axis only the weight reads) tiled by 4 or 2 for more accumulators; reduction loops moved
 * inside the tile; a "global" write cache per tile; outer spatial loops fused and parallel.
 */
export function ruleConv(sch: Schedule, name: string, an: BlockAnalysis, cfg: RuleConfig): void {
  const b = sch.getBlock(name);
  const loops = sch.getLoops(b);
  const roles = loopRoles(sch, b, loops);
  const s = roles.indexOf("R");
  skipUnless(s >= 1 && roles.slice(0, s).every((r) => r === "S") && roles.slice(s).every((r) => r === "R"), "loops are not (spatial..., reduce...)");
  const spatial = loops.slice(0, s), reduce = loops.slice(s);
  const vLoop = spatial[s - 1]!;
  const V = constExtent(sch, vLoop);
  const vl = pow2Divisor(V, cfg.lanes);
  // The output channel: a spatial iter var only the second operand (the weight) reads.
  let tIdx = -1;
  spatial.forEach((l, idx) => {
    const v = iterVarOfLoop(sch, b, l) as Var | undefined;
    if (idx < s - 1 && v && an.rhsVars?.has(v) && !an.lhsVars?.has(v)) tIdx = idx;
  });
  const outer: LoopRV[] = [];
  const inner: LoopRV[] = [];
  let vecLoop: LoopRV | undefined;
  let work = 1;
  for (let idx = 0; idx < s; idx++) {
    const l = spatial[idx]!;
    const e = constExtent(sch, l);
    work *= e;
    if (idx === s - 1 && vl >= 2) {
      const [o, v] = sch.split(l, [undefined, vl]);
      outer.push(o!);
      vecLoop = v!;
    } else if (idx === tIdx && e % 2 === 0) {
      const t = e % 4 === 0 ? 4 : 2;
      const [o, ti] = sch.split(l, [undefined, t]);
      outer.push(o!);
      inner.push(ti!);
    } else {
      outer.push(l);
    }
  }
  sch.reorder(...outer, ...reduce, ...inner, ...(vecLoop ? [vecLoop] : []));
  if (vecLoop) sch.vectorize(vecLoop);
  const tileLoop = outer[outer.length - 1]!;
  try {
    const cw = sch.cacheWrite(b, 0, "global");
    sch.reverseComputeAt(cw, tileLoop);
    if (vecLoop) vectorizeInnermost(sch, cw, cfg);
  } catch (e) {
    if (!(e instanceof Error)) throw e;
  }
  const par = outer.length > 1 ? outer.slice(0, -1) : outer;
  const fused = parallelOuter(sch, par, work, cfg);
  if (fused && cfg.unrollMaxStep > 0) sch.annotate(fused, "pragma_auto_unroll_max_step", cfg.unrollMaxStep);
  sch.decomposeReduction(b, reduce[0]!);
}

// ---------------------------------------------------------------- reductions

/**
 * Multi-accumulator reduction, step 1: k -> [k0, lanes] on the innermost reduction loop, then
 * rfactor over the lanes loop: the "_rf" block keeps `lanes` partial results (one vector) and
 * the original block (same name) becomes the write-back that sums them. Returns the rf block's
 * name and the number of loops above the reduction loop.
 */
export function rfactorInner(sch: Schedule, name: string, cfg: RuleConfig): { rf: string; depth: number } {
  const b = sch.getBlock(name);
  const loops = sch.getLoops(b);
  const roles = loopRoles(sch, b, loops);
  const depth = loops.length - 1;
  skipUnless(depth >= 0 && roles[depth] === "R" && roles.filter((r) => r === "R").length === 1, "not a single innermost reduction loop");
  const k = loops[depth]!;
  const kv = iterVarOfLoop(sch, b, k);
  skipUnless(kv !== undefined, "reduction loop is not an iter var");
  const blk = sch.get(b);
  // The reduction must walk the innermost dimension of something it reads (contiguous loads).
  const contiguous = blk.reads.some((r) => loadsOf(blk, r.buffer).some((l) => l.indices.length > 0 && l.indices[l.indices.length - 1] === kv));
  skipUnless(contiguous, "the reduction axis is not the innermost axis of any input");
  const K = constExtent(sch, k);
  const lanes = pow2Divisor(K, cfg.lanes);
  skipUnless(lanes >= 2 && K >= lanes * 2, "the reduction is too short or not divisible by a vector width");
  const [, k1] = sch.split(k, [undefined, lanes]);
  const rf = sch.rfactor(k1!, -1);
  return { rf: sch.get(rf).nameHint, depth };
}

/**
 * Multi-accumulator reduction, step 2: below loop depth `from`, the rf block's reduction loop
 * goes outside its lanes loop and the lanes loop is vectorized; the returned function
 * (block, reduction loop) lets the caller decompose the init out of the reduction loop (the accumulators live in one vector register).
 */
export function finishRFactor(sch: Schedule, rfName: string, from: number): { rf: BlockRV; k0: LoopRV } {
  const rf = sch.getBlock(rfName);
  const loops = sch.getLoops(rf).slice(from);
  const roles = loopRoles(sch, rf, loops);
  const r = loops.filter((_, i) => roles[i] === "R");
  const sp = loops.filter((_, i) => roles[i] === "S");
  skipUnless(r.length === 1 && sp.length === 1, "unexpected rfactor loop nest");
  sch.reorder(r[0]!, sp[0]!);
  const e = constExtent(sch, sp[0]!);
  if ((e & (e - 1)) === 0) sch.vectorize(sp[0]!);
  // Decomposing is left to the caller, after the outer loops are parallel (a parallel loop
  // needs its blocks to be complete or reduction blocks, which an init block next to its
  // update is not).
  return { rf, k0: r[0]! };
}

/** A standalone reduction: multi-accumulator, or spatial vectorization, or at least parallel rows. */
export function ruleReduction(sch: Schedule, name: string, cfg: RuleConfig, strategy: "rfactor" | "spatial" | "parallel"): void {
  const b = sch.getBlock(name);
  const loops = sch.getLoops(b);
  const roles = loopRoles(sch, b, loops);
  const s = roles.indexOf("R");
  skipUnless(s >= 0 && roles.slice(0, s).every((r) => r === "S") && roles.slice(s).every((r) => r === "R"), "loops are not (spatial..., reduce...)");
  const work = workOf(sch, loops);
  if (strategy === "rfactor") {
    const { rf, depth } = rfactorInner(sch, name, cfg);
    skipUnless(depth === s, "unexpected loop nest");
    const dec = finishRFactor(sch, rf, s);
    if (s > 0) {
      const rl = sch.getLoops(sch.getBlock(rf)).slice(0, s);
      sch.reverseComputeAt(sch.getBlock(name), rl[s - 1]!);
      parallelOuter(sch, rl, work, cfg);
    }
    sch.decomposeReduction(dec.rf, dec.k0);
    return;
  }
  if (strategy === "spatial") {
    skipUnless(s >= 1, "no spatial loop");
    const v = loops[s - 1]!;
    const lanes = pow2Divisor(constExtent(sch, v), cfg.lanes);
    skipUnless(lanes >= 2, "innermost spatial axis has no power-of-two vector width");
    const [vo, vi] = sch.split(v, [undefined, lanes]);
    sch.reorder(...loops.slice(0, s - 1), vo!, ...loops.slice(s), vi!);
    sch.vectorize(vi!);
    parallelOuter(sch, [...loops.slice(0, s - 1), vo!], work, cfg);
    sch.decomposeReduction(b, loops[s]!);
    return;
  }
  skipUnless(s >= 1, "no spatial loop");
  parallelOuter(sch, loops.slice(0, s), work, cfg);
}

// ---------------------------------------------------------------- row groups (softmax, layer_norm, mean)

/**
 * An injective block `out` reading reductions at a prefix of its indices (softmax's norm,
 * layer_norm's output, mean's divide): every producer (transitively) is computed at the row
 * loop `rowDepth` of `out`, reductions inside become multi-accumulator reductions, the
 * elementwise parts are vectorized, and the row loops are fused and parallel. `members` are
 * the producers, consumers first. Returns the names of the blocks moved into the row.
 */
export function ruleRowGroup(sch: Schedule, out: string, rowDepth: number, members: readonly string[], kinds: ReadonlyMap<string, BlockAnalysis>, cfg: RuleConfig): string[] {
  const e = sch.getBlock(out);
  const loops = sch.getLoops(e);
  skipUnless(rowDepth >= 1 && rowDepth <= loops.length, "bad row depth");
  const rows = loops.slice(0, rowDepth);
  const rowLoop = rows[rowDepth - 1]!;
  let work = workOf(sch, loops);
  // rfactor first: it needs the reduction alone in its loop nest.
  const rfOf = new Map<string, string>();
  for (const m of members) {
    if (kinds.get(m)?.kind !== "reduction") continue;
    const trial = sch.copy();
    try {
      rfOf.set(m, rfactorInner(trial, m, cfg).rf);
      adopt(sch, trial);
    } catch (err) {
      debug(m, err);
    }
  }
  // The work of the group: its largest loop nest (the rows alone can be few, e.g. global pooling).
  for (const m of members) {
    try {
      work = Math.max(work, workOf(sch, sch.getLoops(sch.getBlock(m))));
    } catch {
      // a block rfactor split: its write-back is counted through the rf block
    }
  }
  const moved: string[] = [];
  for (const m of members) {
    try {
      sch.computeAt(sch.getBlock(m), rowLoop);
      moved.push(m);
      const rf = rfOf.get(m);
      if (rf) sch.computeAt(sch.getBlock(rf), rowLoop);
    } catch (err) {
      debug(m, err);
      // Not movable (e.g. a producer of a block that stayed outside): it stays where it is.
    }
  }
  skipUnless(moved.length > 0, "no producer could be computed at the row loop");
  // Inner parts: reductions get their vector of accumulators, elementwise parts vector loops.
  const decompositions: { rf: BlockRV; k0: LoopRV }[] = [];
  for (const m of moved) {
    const kind = kinds.get(m)?.kind;
    const rf = rfOf.get(m);
    const trial = sch.copy();
    try {
      if (kind === "reduction" && rf) {
        decompositions.push(finishRFactor(trial, rf, rowDepth));
      }
      else if (kind === "injective") vectorizeInner(trial, m, rowDepth, cfg);
      else continue;
      adopt(sch, trial);
    } catch (err) {
      debug(m, err);
      // keep the scalar loop
    }
  }
  if (rowDepth < loops.length) {
    const trial = sch.copy();
    try {
      vectorizeInner(trial, out, rowDepth, cfg);
      adopt(sch, trial);
    } catch {
      // scalar
    }
  }
  const rowsNow = sch.getLoops(sch.getBlock(out)).slice(0, rowDepth);
  parallelOuter(sch, rowsNow, work, cfg);
  for (const d of decompositions) {
    const trial = sch.copy();
    try {
      trial.decomposeReduction(d.rf, d.k0);
      adopt(sch, trial);
    } catch (err) {
      debug("decompose_reduction", err);
    }
  }
  return moved;
}

/** WEFT_DEBUG_DEFAULT_SCHEDULE=1 prints why sub-rules were skipped (Node only; browsers have no process). */
export function debugEnabled(): boolean {
  return typeof process !== "undefined" && !!process.env?.["WEFT_DEBUG_DEFAULT_SCHEDULE"];
}

function debug(what: string, err: unknown): void {
  if (debugEnabled()) console.log(`default schedule: ${what}:`, err instanceof Error ? err.message : err);
}

/** Makes `sch` take over the state and trace of `trial` (a copy of it that a sub-rule changed). */
export function adopt(sch: Schedule, trial: Schedule): void {
  Object.assign(sch, trial);
}

export { RuleSkip };
