/**
 * Small helpers of the default CPU schedules: loop extents, the role of each loop above a block
 * (spatial / reduction), power-of-two vector widths and the target's vector width.
 */
import type { PrimExpr, Var } from "../../ir/expr.js";
import { postOrderVisit } from "../../ir/expr_functor.js";
import type { Block } from "../../tir/stmt.js";
import { childBlocks } from "../analysis.js";
import type { Schedule } from "../schedule.js";
import type { BlockRV, LoopRV } from "../rv.js";

/** A target as the default schedules read it: its kind ("c", "js", "wasm", ...) is enough. */
export interface TargetLike {
  readonly kind: string;
  readonly attrs?: Readonly<Record<string, unknown>>;
}

export function targetKind(target: TargetLike | string): string {
  return typeof target === "string" ? target.trim().split(/\s+/)[0]! : target.kind;
}

/** float32 lanes of one vector register: 16 for c (AVX-512 on the development machine), 4 for wasm SIMD128. */
export function defaultLanes(kind: string): number {
  switch (kind) {
    case "c":
    case "llvm":
      return 16;
    case "wasm":
      return 4;
    default:
      return 8;
  }
}

/** The constant extent of a loop, undefined when symbolic. */
export function extentOf(sch: Schedule, loop: LoopRV): number | undefined {
  const e = sch.get(loop).extent;
  return e.kind === "IntImm" ? (e as unknown as { value: number }).value : undefined;
}

export function constExtent(sch: Schedule, loop: LoopRV): number {
  const e = extentOf(sch, loop);
  if (e === undefined) throw new RuleSkip("symbolic loop extent");
  return e;
}

/**
 * The extent the rules assume for a symbolic loop when they weigh work (whether a loop nest is
 * worth running in parallel): a dynamic batch or sequence length is typically tens to hundreds,
 * and a wrong guess only costs a fork/join on a small input.
 */
export const SYMBOLIC_EXTENT_GUESS = 64;

/** The product of the loops' extents, symbolic ones counted as SYMBOLIC_EXTENT_GUESS. */
export function workOf(sch: Schedule, loops: readonly LoopRV[]): number {
  let w = 1;
  for (const l of loops) w *= extentOf(sch, l) ?? SYMBOLIC_EXTENT_GUESS;
  return w;
}

/** A rule does not apply (thrown by the rules themselves; caught like a ScheduleError). */
export class RuleSkip extends Error {}

export function skipUnless(cond: boolean, why: string): asserts cond {
  if (!cond) throw new RuleSkip(why);
}

/** Largest power of two p with 2 <= p <= max dividing n; 0 when none. */
export function pow2Divisor(n: number, max: number): number {
  let best = 0;
  for (let p = 2; p <= max; p *= 2) if (n % p === 0) best = p;
  return best;
}

/** Largest divisor of n that is at most `max` (at least 1). */
export function largestDivisorAtMost(n: number, max: number): number {
  for (let d = Math.min(n, Math.max(1, max)); d > 1; d--) if (n % d === 0) return d;
  return 1;
}

function mentions(e: PrimExpr, v: Var): boolean {
  let hit = false;
  postOrderVisit(e, (x) => {
    if (x === v) hit = true;
  });
  return hit;
}

export type LoopRole = "S" | "R" | "-";

/**
 * For each loop above `block` (outermost first): "S" when it feeds only data-parallel iter
 * vars, "R" when it feeds only reduction iter vars, "-" otherwise (feeds none, or both kinds).
 */
export function loopRoles(sch: Schedule, block: BlockRV, loops: readonly LoopRV[]): LoopRole[] {
  const blk = sch.get(block);
  const realize = sch.state.realizeOf(blk);
  return loops.map((l) => {
    const v = sch.get(l).loopVar;
    let s = false, r = false;
    blk.iterVars.forEach((iv, i) => {
      if (!mentions(realize.iterValues[i]!, v)) return;
      if (iv.iterType === "DataPar") s = true;
      else r = true;
    });
    return s && !r ? "S" : r && !s ? "R" : "-";
  });
}

/** The iter var bound directly to `loop` (binding is exactly the loop var), if any. */
export function iterVarOfLoop(sch: Schedule, block: BlockRV, loop: LoopRV): Var | undefined {
  const blk: Block = sch.get(block);
  const realize = sch.state.realizeOf(blk);
  const v = sch.get(loop).loopVar;
  const i = realize.iterValues.findIndex((x) => x === v);
  return i < 0 ? undefined : blk.iterVars[i]!.variable;
}

/** Whether the block is alone under its outermost loop (and that loop sits directly under the root block). */
export function isAlone(sch: Schedule, block: BlockRV): boolean {
  const loops = sch.getLoops(block);
  if (loops.length === 0) return true;
  const top = sch.getSRef(loops[0]!);
  return childBlocks(sch.state, top).length === 1 && !!top.parent?.isBlock && !top.parent.parent;
}
