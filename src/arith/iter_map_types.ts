/**
 * The data structures of iterator maps (TVM's IterMark / IterSplitExpr / IterSumExpr), and
 * their conversion back to plain expressions.
 *
 * An IterMark is an iterator with values in [0, extent): an input loop variable (its source
 * is `v - min`) or a fusion of other iterators (its source is an IterSumExpr). An
 * IterSplitExpr takes one "digit" of a mark, `floormod(floordiv(mark, lowerFactor), extent)
 * * scale`, and an IterSumExpr adds splits and a loop-invariant base. Schedules read these
 * to see how block bindings decompose over loops.
 */
import type { DataType } from "../ir/dtype.js";
import { IntImm, PrimExpr } from "../ir/expr.js";
import * as ops from "../ir/expr_ops.js";
import { registerNode, type Node } from "../ir/node.js";
import { divideExact, knownEqual, knownLE } from "./linear_facts.js";
import type { Analyzer } from "./analyzer.js";

let markCounter = 0;

export class IterMark implements Node {
  readonly kind = "IterMark";
  /** Identity for caches; ignored by structural equality. */
  readonly id = ++markCounter;
  constructor(
    /** `v - min` for an input variable, or the sum of the iterators this mark fuses. */
    readonly source: PrimExpr | IterSumExpr,
    readonly extent: PrimExpr,
  ) {}
  get dtype(): DataType {
    return this.extent.dtype;
  }
  toString(): string {
    return `IterMark(${this.source}, extent=${this.extent})`;
  }
}

export class IterSplitExpr implements Node {
  readonly kind = "IterSplitExpr";
  constructor(
    readonly source: IterMark,
    readonly lowerFactor: PrimExpr,
    readonly extent: PrimExpr,
    readonly scale: PrimExpr,
  ) {}
  /** The whole mark: lower factor 1, the mark's extent, scale 1. */
  static whole(mark: IterMark, scale?: PrimExpr): IterSplitExpr {
    return new IterSplitExpr(mark, one(mark.dtype), mark.extent, scale ?? one(mark.dtype));
  }
  get dtype(): DataType {
    return this.source.dtype;
  }
  withScale(scale: PrimExpr): IterSplitExpr {
    return scale === this.scale ? this : new IterSplitExpr(this.source, this.lowerFactor, this.extent, scale);
  }
  toString(): string {
    return `IterSplit(mark#${this.source.id}, lower_factor=${this.lowerFactor}, extent=${this.extent}, scale=${this.scale})`;
  }
}

export class IterSumExpr implements Node {
  readonly kind = "IterSumExpr";
  constructor(
    readonly args: readonly IterSplitExpr[],
    readonly base: PrimExpr,
  ) {}
  get dtype(): DataType {
    return this.base.dtype;
  }
  toString(): string {
    return `IterSum([${this.args.map(String).join(", ")}], base=${this.base})`;
  }
}

registerNode("IterMark", { source: "node", extent: "node" });
registerNode("IterSplitExpr", { source: "node", lowerFactor: "node", extent: "node", scale: "node" });
registerNode("IterSumExpr", { args: "nodes", base: "node" });

// Shared 0 / 1 constants: iterator maps make many, and IntImm construction is not free.
const zeros = new Map<DataType, IntImm>();
const ones = new Map<DataType, IntImm>();
export function zeroOf(t: DataType): IntImm {
  let z = zeros.get(t);
  if (!z) zeros.set(t, (z = new IntImm(t, 0)));
  return z;
}
export function oneOf(t: DataType): IntImm {
  let o = ones.get(t);
  if (!o) ones.set(t, (o = new IntImm(t, 1)));
  return o;
}
const one = oneOf;
const isOne = (e: PrimExpr) => e instanceof IntImm && e.value === 1;

/** The plain expression an iterator-map expression stands for. */
export function normalizeIterMapToExpr(e: IterSumExpr | IterSplitExpr, analyzer?: Analyzer): PrimExpr {
  if (e instanceof IterSplitExpr) return splitToExpr(e, analyzer);
  let acc: PrimExpr | undefined;
  for (const a of e.args) {
    const x = splitToExpr(a, analyzer);
    acc = acc === undefined ? x : ops.add(acc, x);
  }
  return acc === undefined ? e.base : ops.add(acc, e.base);
}

function markToExpr(m: IterMark, analyzer?: Analyzer): PrimExpr {
  return m.source instanceof IterSumExpr ? normalizeIterMapToExpr(m.source, analyzer) : m.source;
}

function splitToExpr(s: IterSplitExpr, analyzer?: Analyzer): PrimExpr {
  const aligned = alignedDigits(s, analyzer);
  let v: PrimExpr;
  if (aligned) {
    v = aligned;
  } else {
    v = markToExpr(s.source, analyzer);
    if (!isOne(s.lowerFactor)) v = ops.floordiv(v, s.lowerFactor);
    if (!reachesTop(s, analyzer)) v = ops.floormod(v, s.extent);
  }
  if (isOne(s.scale)) return v;
  if (s.scale instanceof IntImm && s.scale.value === -1) return ops.neg(v);
  return ops.mul(v, s.scale);
}

/** Whether the split takes every digit above its lower factor (no floormod needed). */
function reachesTop(s: IterSplitExpr, analyzer?: Analyzer): boolean {
  return knownLE(s.source.extent, ops.mul(s.lowerFactor, s.extent), analyzer);
}

/**
 * A split of a fused mark whose boundaries fall between the fused iterators is just the sum of
 * those iterators: floordiv(i*4 + j, 4) with j < 4 reads back as `i`.
 */
function alignedDigits(s: IterSplitExpr, analyzer?: Analyzer): PrimExpr | undefined {
  const src = s.source.source;
  if (!(src instanceof IterSumExpr) || !(src.base instanceof IntImm) || src.base.value !== 0) return undefined;
  // Fused sources list their iterators from the highest scale to the lowest (scale of the last is 1).
  const args = src.args;
  const lo = s.lowerFactor, hi = ops.mul(s.lowerFactor, s.extent);
  const top = reachesTop(s, analyzer);
  let picked: PrimExpr | undefined;
  let inside = false;
  let closed = false;
  for (let k = args.length - 1; k >= 0; k--) {
    const a = args[k]!;
    if (!inside && knownEqual(a.scale, lo, analyzer)) inside = true;
    if (!inside) continue;
    if (!top && knownEqual(a.scale, hi, analyzer)) {
      closed = true;
      break;
    }
    const scaled = a.withScale(divideScale(a.scale, lo, analyzer));
    const x = splitToExpr(scaled, analyzer);
    picked = picked === undefined ? x : ops.add(x, picked);
  }
  if (!inside || (!top && !closed)) return undefined;
  return picked;
}

function divideScale(scale: PrimExpr, by: PrimExpr, analyzer?: Analyzer): PrimExpr {
  return divideExact(scale, by, analyzer) ?? ops.floordiv(scale, by);
}
