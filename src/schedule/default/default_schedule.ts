/**
 * defaultSchedule: rule-based CPU schedules (no search) for the operator library, good enough
 * to be fast without tuning. The blocks of a PrimFunc are classified by structure
 * (block_kind.ts) and each family gets its rule (rules.ts):
 *
 * 1. inline: injective producers are computed inline into their consumers (bias+relu
 *    epilogues, elementwise chains), except producers with calls (exp, if_then_else) that
 *    feed several consumers or a reduction (softmax's exp, conv's padding stay);
 * 2. matmul-like blocks: on "c" and "wasm", fp32 matmuls whose shapes divide get B packing + k blocking +
 *    the extern register-tiled micro-kernel (matmul_ukernel.ts); otherwise 2-level tiling + register tile written through the epilogue or a
 *    "global" cache, vector inner axis, parallel outer axes, auto-unroll, init decomposed;
 *    conv-like blocks: vectorized ow / channel, tiled output channel, cache write, parallel;
 * 3. the rest, consumers first: an injective block reading reductions at a prefix of its
 *    indices forms a row group (softmax, layer_norm, mean) computed per row with
 *    multi-accumulator reductions and vector elementwise parts; other reductions get
 *    multi-accumulator rfactor, spatial vectorization or parallel rows; injective blocks are
 *    fused, vectorized and parallelized.
 *
 * Symbolic extents (Relax's dynamic batch / sequence length): a symbolic matmul row axis is split
 * by a constant tile with a predicated tail (the micro-kernel path needs constant extents and is
 * skipped), a B read as B[.., j, k] is packed for contiguous vector loads; static inner axes are
 * vectorized as usual and symbolic outer loops are made parallel (util.ts `workOf` counts a
 * symbolic extent as SYMBOLIC_EXTENT_GUESS).
 *
 * Every rule runs on a copy of the schedule, kept only when the whole rule applied; a rule
 * that fails (ScheduleError, or a block that does not have the expected form) is skipped.
 */
import type { Buffer } from "../../ir/buffer.js";
import { IRModule } from "../../ir/module.js";
import { shapeVarsAsSizeVars } from "../../tir/func_vars.js";
import { PrimFunc } from "../../tir/function.js";
import { childBlocks } from "../analysis.js";
import { ScheduleError } from "../error.js";
import { Schedule } from "../schedule.js";
import "../primitives/index.js";
import { analyzeBlock, loadsOf, type BlockAnalysis } from "./block_kind.js";
import { ruleConvPacked } from "./conv_packed.js";
import { ruleMatmulUkernel } from "./matmul_ukernel.js";
import { debugEnabled, ruleConv, ruleElementwise, ruleMatmul, ruleReduction, ruleRowGroup, type RuleConfig } from "./rules.js";
import { RuleSkip, defaultLanes, isAlone, iterVarOfLoop, targetKind, type TargetLike } from "./util.js";

export interface DefaultScheduleOptions {
  /** float32 lanes of a vector (default: 16 for c, 4 for wasm, 8 otherwise). */
  lanes?: number;
  /** Loop nests with fewer iterations than this stay serial (default 4096; matmul is always parallel). */
  minParallelWork?: number;
  /** `pragma_auto_unroll_max_step` on tiled reductions (default 64; 0: none). */
  unrollMaxStep?: number;
  /**
   * On "c" and "wasm": schedule float32 matmuls whose shapes divide with B packing and the extern
   * register-tiled micro-kernel (matmul_ukernel.ts; default true).
   */
  ukernel?: boolean;
  /** Rethrow errors other than ScheduleError from rules (for tests; default false: skip the rule). */
  strict?: boolean;
}

export interface AppliedRule {
  block: string;
  rule: string;
}

export interface DefaultScheduleResult {
  sch: Schedule;
  /** The rules that applied, in order. */
  applied: AppliedRule[];
}

class Driver {
  applied: AppliedRule[] = [];
  constructor(
    public sch: Schedule,
    readonly strict: boolean,
  ) {}

  /** Runs `f` on a copy; keeps the copy when `f` finished. */
  attempt<R>(rule: string, block: string, f: (s: Schedule) => R): { ok: boolean; value?: R } {
    const trial = this.sch.copy();
    try {
      const value = f(trial);
      this.sch = trial;
      this.applied.push({ block, rule });
      return { ok: true, value };
    } catch (e) {
      if (this.strict && !(e instanceof ScheduleError) && !(e instanceof RuleSkip)) throw e;
      if (debugEnabled()) console.log(`default schedule: rule ${rule} on ${block}:`, e instanceof Error ? e.message : e);
      return { ok: false };
    }
  }

  rootBlockNames(): string[] {
    const fn = this.sch.funcWorkingOn!;
    return childBlocks(this.sch.state, this.sch.state.rootSRef(fn)).map((s) => s.block().nameHint);
  }

  analyze(name: string): BlockAnalysis {
    const blk = this.sch.get(this.sch.getBlock(name));
    return analyzeBlock(blk, this.sch.state.realizeOf(blk));
  }
}

/** Schedules `func` with the default CPU rules; also reports which rules applied. */
export function defaultScheduleWithReport(func: PrimFunc, target: TargetLike | string, opts: DefaultScheduleOptions = {}): DefaultScheduleResult {
  const cfg: RuleConfig = {
    lanes: opts.lanes ?? defaultLanes(targetKind(target)),
    minParallelWork: opts.minParallelWork ?? 4096,
    unrollMaxStep: opts.unrollMaxStep ?? 64,
  };
  const kind = targetKind(target);
  const useUkernel = (opts.ukernel ?? true) && (kind === "c" || kind === "wasm");
  // Register-tiled conv with packed weights where vectors are registers (c, wasm).
  const packedConv = kind === "c" || kind === "wasm";
  const sized = shapeVarsAsSizeVars(func);
  const d = new Driver(new Schedule(sized), opts.strict ?? false);
  const outputs = new Set<Buffer>(sized.bufferMap.values());
  const writesOutput = (name: string) => d.sch.get(d.sch.getBlock(name)).writes.some((w) => outputs.has(w.buffer));
  const uniqueNames = (() => {
    const names = d.rootBlockNames();
    return new Set(names).size === names.length;
  })();
  if (!uniqueNames || d.sch.funcWorkingOn === undefined) return { sch: d.sch, applied: [] };

  // 1. inline injective producers
  for (const name of d.rootBlockNames()) {
    const an = d.analyze(name);
    if (an.kind !== "injective" || writesOutput(name)) continue;
    const consumers = d.sch.getConsumers(d.sch.getBlock(name)).map((c) => d.sch.get(c).nameHint);
    if (consumers.length === 0) continue;
    if (an.hasCall && (consumers.length > 1 || consumers.some((c) => d.analyze(c).kind !== "injective"))) continue;
    d.attempt("inline", name, (s) => s.computeInline(s.getBlock(name)));
  }

  const names = d.rootBlockNames();
  const kinds = new Map(names.map((n) => [n, d.analyze(n)] as const));
  const order = new Map(names.map((n, i) => [n, i] as const));
  const done = new Set<string>();

  // 2. matmul-like and conv-like reductions
  for (const name of names) {
    const an = kinds.get(name)!;
    if (an.kind === "matmul") {
      const epi = matmulEpilogue(d, name, kinds, outputs);
      let r: { ok: boolean; value?: string | undefined } = { ok: false };
      if (useUkernel) r = d.attempt("matmul-ukernel", name, (s) => ruleMatmulUkernel(s, name, cfg, epi, kind));
      if (!r.ok) r = d.attempt("matmul", name, (s) => ruleMatmul(s, name, cfg, epi));
      if (r.ok) {
        done.add(name);
        if (r.value) {
          done.add(r.value);
          d.applied.push({ block: r.value, rule: "matmul-epilogue" });
        }
      }
    } else if (an.kind === "conv") {
      const packed = packedConv ? d.attempt("conv-packed", name, (s) => ruleConvPacked(s, name, an, cfg, matmulEpilogue(d, name, kinds, outputs))) : { ok: false };
      if (packed.ok && packed.value) {
        done.add(packed.value);
        d.applied.push({ block: packed.value, rule: "conv-epilogue" });
      }
      if (packed.ok || d.attempt("conv", name, (s) => ruleConv(s, name, an, cfg)).ok) done.add(name);
    }
  }

  // 3. the rest, consumers first
  for (const name of [...names].reverse()) {
    if (done.has(name)) continue;
    const an = kinds.get(name)!;
    if (an.kind === "injective") {
      const plan = rowGroupPlan(d, name, kinds, done, order, outputs);
      if (plan) {
        const r = d.attempt("row-group", name, (s) => ruleRowGroup(s, name, plan.depth, plan.members, kinds, cfg));
        if (r.ok) {
          done.add(name);
          for (const m of r.value!) {
            done.add(m);
            d.applied.push({ block: m, rule: `row-group member of ${name}` });
          }
          continue;
        }
      }
      if (isAlone(d.sch, d.sch.getBlock(name)) && d.attempt("elementwise", name, (s) => ruleElementwise(s, name, cfg)).ok) done.add(name);
    } else if (an.kind === "reduction" || an.kind === "matmul" || an.kind === "conv") {
      for (const strategy of ["rfactor", "spatial", "parallel"] as const) {
        if (d.attempt(`reduction-${strategy}`, name, (s) => ruleReduction(s, name, cfg, strategy)).ok) {
          done.add(name);
          break;
        }
      }
    }
  }
  return { sch: d.sch, applied: d.applied };
}

/** The default CPU schedule of `func` for `target` ("c", "js", "wasm" or a Target). */
export function defaultSchedule(func: PrimFunc, target: TargetLike | string, opts: DefaultScheduleOptions = {}): Schedule {
  return defaultScheduleWithReport(func, target, opts).sch;
}

/** Applies defaultSchedule to every PrimFunc of `mod`. */
export function applyDefaultSchedule(mod: IRModule, target: TargetLike | string, opts: DefaultScheduleOptions = {}): IRModule {
  return mod.map((f) => {
    if (!(f instanceof PrimFunc)) return f;
    return defaultSchedule(f, target, opts).mod.functionList[0] as PrimFunc;
  });
}

/**
 * The consumer of a matmul (or conv) that can serve as its write stage: the only consumer, injective,
 * alone in its loop nest, reading the matmul's (intermediate) output at exactly its own iter vars.
 */
function matmulEpilogue(d: Driver, name: string, kinds: ReadonlyMap<string, BlockAnalysis>, outputs: ReadonlySet<Buffer>): string | undefined {
  const sch = d.sch;
  const blk = sch.get(sch.getBlock(name));
  const out = blk.writes[0]?.buffer;
  if (!out || blk.writes.length !== 1 || outputs.has(out)) return undefined;
  const consumers = sch.getConsumers(sch.getBlock(name));
  if (consumers.length !== 1) return undefined;
  const c = sch.get(consumers[0]!);
  if (kinds.get(c.nameHint)?.kind !== "injective" || !isAlone(sch, consumers[0]!)) return undefined;
  const spatial = blk.iterVars.filter((iv) => iv.iterType === "DataPar").length;
  if (c.iterVars.length !== spatial) return undefined;
  const loads = loadsOf(c, out);
  const ok = loads.length > 0 && loads.every((l) => l.indices.length === c.iterVars.length && l.indices.every((x, i) => x === c.iterVars[i]!.variable));
  return ok ? c.nameHint : undefined;
}

/**
 * When the injective block `name` reads reductions at a prefix of its iter vars: the row depth
 * (prefix length) and its producers, transitively, consumers first.
 */
function rowGroupPlan(
  d: Driver, name: string, kinds: ReadonlyMap<string, BlockAnalysis>, done: ReadonlySet<string>,
  order: ReadonlyMap<string, number>, outputs: ReadonlySet<Buffer>,
): { depth: number; members: string[] } | undefined {
  const sch = d.sch;
  const rv = sch.getBlock(name);
  const blk = sch.get(rv);
  if (!isAlone(sch, rv)) return undefined;
  const loops = sch.getLoops(rv);
  if (loops.length !== blk.iterVars.length) return undefined;
  if (loops.some((l, i) => iterVarOfLoop(sch, rv, l) !== blk.iterVars[i]!.variable)) return undefined;
  let depth = 0;
  for (const p of sch.getProducers(rv)) {
    const pb = sch.get(p);
    if (kinds.get(pb.nameHint)?.kind !== "reduction" || done.has(pb.nameHint)) continue;
    for (const w of pb.writes) {
      for (const l of loadsOf(blk, w.buffer)) {
        const n = l.indices.length;
        if (n === 0 || n > blk.iterVars.length) return undefined;
        if (!l.indices.every((x, i) => x === blk.iterVars[i]!.variable)) return undefined;
        if (depth !== 0 && depth !== n) return undefined;
        depth = n;
      }
    }
  }
  if (depth === 0) return undefined;
  const members = new Set<string>();
  const queue = [rv];
  while (queue.length > 0) {
    for (const p of sch.getProducers(queue.pop()!)) {
      const pb = sch.get(p);
      const k = kinds.get(pb.nameHint)?.kind;
      if (members.has(pb.nameHint) || done.has(pb.nameHint) || (k !== "reduction" && k !== "injective")) continue;
      if (pb.writes.some((w) => outputs.has(w.buffer))) continue;
      members.add(pb.nameHint);
      queue.push(p);
    }
  }
  const sorted = [...members].sort((a, b) => (order.get(b) ?? 0) - (order.get(a) ?? 0));
  return { depth, members: sorted };
}
