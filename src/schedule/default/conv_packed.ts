/**
 * Direct convolution with packed weights and a register tile of outputs (conv1d / conv2d /
 * conv3d in any layout where the output channel is read only by the weight and the innermost
 * output axis is a position read only by the input; the NCHWc idea without changing the
 * function's layouts):
 *
 * - the weight is packed once per call (a "global" cache read) into
 *   [co / VC, <other weight axes in order>, VC], so the VC output channels of one tap are one
 *   contiguous vector;
 * - the register tile is VC output channels (the vector axis) x WB positions of the innermost
 *   output axis (x YB positions of the axis above it when WB alone gives too few
 *   accumulators): per tap, one weight vector, WB * YB broadcast inputs and as many FMAs on
 *   accumulators that stay in registers across the whole reduction (unrolled tile loops);
 * - the accumulators live in a per-tile write cache laid out [.., positions, VC] (channel
 *   last), initialized before the reduction and copied back to the output's layout after it;
 * - the outer spatial loops are fused and parallel.
 *
 * The rule skips (RuleSkip) shapes it does not fit: no weight-only output channel (depthwise,
 * grouped convolutions), channels not divisible by a vector width, position axes without a
 * divisor that gives enough accumulators, non-float32 data. ruleConv takes those.
 */
import { BufferLoad, type PrimExpr, type Var } from "../../ir/expr.js";
import { postOrderVisit } from "../../ir/expr_functor.js";
import { BufferStore } from "../../tir/stmt.js";
import type { Schedule } from "../schedule.js";
import type { BlockRV, LoopRV } from "../rv.js";
import { multiplyAddOperands, type BlockAnalysis } from "./block_kind.js";
import { ScheduleError } from "../error.js";
import { adopt, type RuleConfig } from "./rules.js";
import { constExtent, iterVarOfLoop, largestDivisorAtMost, loopRoles, skipUnless } from "./util.js";

export interface ConvTile {
  /** Output channels per tile (the vector axis; a multiple of the vector width or equal to it). */
  vc: number;
  /** Positions of the innermost output axis per tile. */
  wb: number;
  /** Positions of the output axis above it per tile (1: not tiled). */
  yb: number;
}

/**
 * The register tile for CO output channels, W innermost positions and Y positions above them
 * (0 when there is no such axis), with `lanes` float32 lanes per vector and `regs` vector
 * registers for accumulators; undefined when no tile fits.
 */
export function convTile(CO: number, W: number, Y: number, lanes: number, regs: number): ConvTile | undefined {
  const vc = [lanes, lanes / 2].find((v) => v >= 4 && Number.isInteger(v) && CO % v === 0);
  if (vc === undefined) return undefined;
  const vecs = Math.max(1, vc / lanes);
  const maxPos = Math.max(1, Math.floor(regs / vecs));
  const wb = largestDivisorAtMost(W, maxPos);
  let yb = 1;
  // Too few accumulators to hide the FMA latency: take rows of the axis above too.
  if (wb * 2 <= maxPos && Y > 1) yb = largestDivisorAtMost(Y, Math.floor(maxPos / wb));
  if (wb * yb < Math.min(4, maxPos) && W * Math.max(Y, 1) >= 4) return undefined;
  return { vc, wb, yb };
}

function mentions(e: PrimExpr, v: Var): boolean {
  let hit = false;
  postOrderVisit(e, (x) => {
    if (x === v) hit = true;
  });
  return hit;
}

/** Moves dimension `d` of an n-d buffer last: `lambda v0, .., vn: (.., v(n), v(d))`. */
function channelLast(n: number, d: number): string {
  const names = Array.from({ length: n }, (_, i) => `v${i}`);
  const rest = names.filter((_, i) => i !== d);
  return `lambda ${names.join(", ")}: (${[...rest, names[d]!].join(", ")},)`;
}

/** Packs dimension `d` of an n-d buffer by `vc`: `lambda ..: (v(d) // vc, .., v(d) % vc)`. */
function channelPacked(n: number, d: number, vc: number): string {
  const names = Array.from({ length: n }, (_, i) => `v${i}`);
  const rest = names.filter((_, i) => i !== d);
  return `lambda ${names.join(", ")}: (${[`${names[d]} // ${vc}`, ...rest, `${names[d]} % ${vc}`].join(", ")})`;
}

/** Vector registers given to accumulators: AVX-512 has 32 (c), SSE / wasm SIMD 16. */
export function accumulatorRegs(lanes: number): number {
  return lanes >= 16 ? 14 : 8;
}

/**
 * Schedules the conv block `name`; `epilogue` (an elementwise consumer reading the conv's
 * intermediate output at its own indices, e.g. bias + relu) becomes the per-tile write stage
 * when it can. Returns the epilogue's name when it was used.
 */
export function ruleConvPacked(sch: Schedule, name: string, an: BlockAnalysis, cfg: RuleConfig, epilogue?: string, regs = accumulatorRegs(cfg.lanes)): string | undefined {
  const b = sch.getBlock(name);
  const blk = sch.get(b);
  const loops = sch.getLoops(b);
  const roles = loopRoles(sch, b, loops);
  const s = roles.indexOf("R");
  skipUnless(s >= 2 && roles.slice(0, s).every((r) => r === "S") && roles.slice(s).every((r) => r === "R"), "loops are not (spatial..., reduce...)");
  const vars = loops.map((l) => iterVarOfLoop(sch, b, l));
  skipUnless(vars.every((v) => v !== undefined), "loops are not bound to iter vars");
  const ivs = vars as Var[];
  const store = blk.body;
  skipUnless(store instanceof BufferStore && store.buffer.dtype.toString() === "float32", "not a float32 store");
  const ops = multiplyAddOperands(blk);
  skipUnless(ops !== undefined && an.lhsVars !== undefined && an.rhsVars !== undefined, "not a multiply-add");

  // The output channel: the one spatial var only the weight reads, a plain index of the weight and the output.
  const only = (v: Var, mine: Set<Var>, other: Set<Var>) => mine.has(v) && !other.has(v);
  const chans = ivs.slice(0, s).filter((v) => only(v, an.rhsVars!, an.lhsVars!));
  skipUnless(chans.length === 1, "no single weight-only output channel");
  const f = chans[0]!;
  const fIdx = ivs.indexOf(f);
  const weightOp = [ops[0], ops[1]].find((o) => o instanceof BufferLoad && o.indices.some((x) => x === f));
  skipUnless(weightOp instanceof BufferLoad && weightOp.buffer.dtype.toString() === "float32", "the weight is not a plain float32 load");
  const wd = weightOp.indices.findIndex((x) => x === f);
  skipUnless(weightOp.indices.every((x, i) => i === wd || !mentions(x, f)), "the weight reads the channel twice");
  const wRead = blk.reads.findIndex((r) => r.buffer === weightOp.buffer);
  skipUnless(wRead >= 0 && weightOp.buffer !== store.buffer, "weight is not among the reads");
  const od = store.indices.findIndex((x) => x === f);
  skipUnless(od >= 0 && store.indices.every((x, i) => i === od || !mentions(x, f)), "the output channel is not a plain output index");

  // The positions: the innermost spatial loop read only by the input (ow in NCHW and NHWC), and the one above it.
  const pos = ivs.slice(0, s).map((v, i) => (i !== fIdx && only(v, an.lhsVars!, an.rhsVars!) ? i : -1)).filter((i) => i >= 0);
  skipUnless(pos.length >= 1, "no output position read only by the input");
  const xIdx = pos[pos.length - 1]!;
  const yIdx = pos.length >= 2 ? pos[pos.length - 2]! : -1;

  const CO = constExtent(sch, loops[fIdx]!);
  const X = constExtent(sch, loops[xIdx]!);
  const Y = yIdx >= 0 ? constExtent(sch, loops[yIdx]!) : 0;
  const tile = convTile(CO, X, Y, cfg.lanes, regs);
  skipUnless(tile !== undefined, `no register tile fits ${CO} channels x ${X} positions`);
  const { vc, wb, yb } = tile;

  const reduce = loops.slice(s);
  const outer: LoopRV[] = [];
  const inner: LoopRV[] = [];
  let fi: LoopRV | undefined;
  let work = 1;
  for (let i = 0; i < s; i++) {
    const l = loops[i]!;
    work *= constExtent(sch, l);
    const split = i === fIdx ? vc : i === xIdx ? wb : i === yIdx && yb > 1 ? yb : 0;
    if (split === 0) {
      outer.push(l);
      continue;
    }
    const [o, t] = sch.split(l, [undefined, split]);
    outer.push(o!);
    if (i === fIdx) fi = t!;
    else inner.push(t!);
  }
  sch.reorder(...outer, ...reduce, ...inner, fi!);

  // Pack the weight: the vc channels of a tap contiguous.
  const pack = sch.cacheRead(b, wRead, "global");
  sch.transformLayout(b, ["read", wRead], channelPacked(weightOp.indices.length, wd, vc));
  parallelPack(sch, pack, cfg);

  // Accumulators: the conv's own (intermediate) output when the epilogue can be computed per
  // tile, else a per-tile cache; channel last either way.
  const channelInner = od === store.indices.length - 1;
  const tileLoop = outer[outer.length - 1]!;
  let used: string | undefined;
  let stage: BlockRV | undefined;
  if (epilogue) {
    const trial = sch.copy();
    try {
      const e = trial.getBlock(epilogue);
      if (!channelInner) trial.transformLayout(trial.getBlock(name), ["write", 0], channelLast(store.indices.length, od));
      trial.reverseComputeAt(e, tileLoop);
      adopt(sch, trial);
      [stage, used] = [sch.getBlock(epilogue), epilogue];
    } catch (err) {
      if (!(err instanceof ScheduleError)) throw err;
    }
  }
  if (!stage) {
    stage = sch.cacheWrite(b, 0, "global");
    if (!channelInner) sch.transformLayout(b, ["write", 0], channelLast(store.indices.length, od));
    sch.reverseComputeAt(stage, tileLoop);
  }
  // Write stage: unrolled (the accumulators stay registers); vectors when the output is channel-last too.
  const cl = sch.getLoops(stage).slice(outer.length);
  cl.forEach((l, i) => (channelInner && i === cl.length - 1 && constExtent(sch, l) === vc ? sch.vectorize(l) : sch.unroll(l)));

  sch.vectorize(fi!);
  for (const l of inner) sch.unroll(l);
  const fused = outer.length > 1 ? sch.fuse(...outer) : outer[0]!;
  if (work >= cfg.minParallelWork && constExtent(sch, fused) >= 2) sch.parallel(fused);
  const init = sch.decomposeReduction(b, reduce[0]!);
  const il = sch.getLoops(init).slice(1);
  il.forEach((l, i) => (i === il.length - 1 ? sch.vectorize(l) : sch.unroll(l)));
  return used;
}

/** The packing loop nest: outermost loops fused and parallel when large enough. */
function parallelPack(sch: Schedule, pack: BlockRV, cfg: RuleConfig): void {
  const loops = sch.getLoops(pack);
  let work = 1;
  for (const l of loops) work *= constExtent(sch, l);
  if (work < cfg.minParallelWork || loops.length < 2) return;
  const f = sch.fuse(loops[0]!, loops[1]!);
  sch.parallel(f);
}
