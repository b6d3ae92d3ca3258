/**
 * Sampling primitives: samplePerfectTile and sampleCategorical (sampleComputeLocation lives in
 * sample_location.ts). They draw from `sch.random`, return ExprRVs holding the drawn integers,
 * and record their decision so a trace replays them exactly -- or with a decision a search
 * mutated, which is how MetaSchedule explores a design space.
 */
import { IntImm } from "../../ir/expr.js";
import { attrInt, registerInstructionKind, tsLiteral, tsOutputs } from "../instruction.js";
import type { ScheduleRandom } from "../random.js";
import { Schedule } from "../schedule.js";
import type { ExprRV, LoopRV } from "../rv.js";

declare module "../schedule.js" {
  interface Schedule {
    /**
     * Draws n factors whose product is the loop's extent, uniformly among all such
     * factorizations whose innermost factor is at most `maxInnermostFactor` (-1: no limit).
     * With a decision (a previous draw), re-validates it against the extent instead. For a
     * loop of non-constant extent the draw is [-1, 1, ..., 1] and the first output is
     * undefined, which `split` takes as the factor to infer.
     */
    samplePerfectTile(loop: LoopRV, n: number, maxInnermostFactor?: number, decision?: readonly number[]): (ExprRV | undefined)[];
    /** Draws one of `candidates` with the given (unnormalised) probabilities; decision = index. */
    sampleCategorical(candidates: readonly number[], probs: readonly number[], decision?: number): ExprRV;
  }
}

// ------------------------------------------------------------------ factorization counting

/** Prime factorization as [prime, exponent] pairs. */
function primeFactors(n: number): [number, number][] {
  const out: [number, number][] = [];
  for (let p = 2; p * p <= n; p++) {
    let e = 0;
    while (n % p === 0) {
      n /= p;
      e++;
    }
    if (e > 0) out.push([p, e]);
  }
  if (n > 1) out.push([n, 1]);
  return out;
}

/** The divisors of n, ascending (from its factorization: no scan up to n). */
function divisors(n: number): number[] {
  let ds = [1];
  for (const [p, e] of primeFactors(n)) {
    const next: number[] = [];
    for (const d of ds) for (let k = 0, q = d; k <= e; k++, q *= p) next.push(q);
    ds = next;
  }
  return ds.sort((a, b) => a - b);
}

function binomial(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return r;
}

/** Number of ordered ways to write `extent` as a product of `k` positive factors. */
function countTilings(extent: number, k: number): number {
  if (k === 0) return extent === 1 ? 1 : 0;
  return primeFactors(extent).reduce((acc, [, e]) => acc * binomial(e + k - 1, k - 1), 1);
}

/**
 * A uniformly random ordered factorization of `extent` into `k` factors: each prime's
 * exponent is spread over the k slots as a uniform weak composition (stars and bars), and
 * independent choices per prime give a uniform choice over the whole set.
 */
function uniformTiling(rng: ScheduleRandom, extent: number, k: number): number[] {
  const result = new Array<number>(k).fill(1);
  for (const [p, e] of primeFactors(extent)) {
    // Choose k-1 bar positions among e+k-1 slots (partial Fisher-Yates), the rest are stars.
    const slots = Array.from({ length: e + k - 1 }, (_, i) => i);
    for (let i = 0; i < k - 1; i++) {
      const j = rng.int(i, slots.length);
      [slots[i], slots[j]] = [slots[j]!, slots[i]!];
    }
    const bars = slots.slice(0, k - 1).sort((a, b) => a - b);
    let prev = -1;
    bars.push(e + k - 1);
    bars.forEach((b, slot) => {
      result[slot]! *= p ** (b - prev - 1);
      prev = b;
    });
  }
  return result;
}

/** Index drawn with probability proportional to `weights`. */
function weightedIndex(rng: ScheduleRandom, weights: readonly number[]): number {
  const total = weights.reduce((a, b) => a + b, 0);
  let r = rng.next() * total;
  for (let i = 0; i < weights.length; i++) {
    r -= weights[i]!;
    if (r < 0 && weights[i]! > 0) return i;
  }
  // Rounding left r at ~0: take the last candidate with weight.
  for (let i = weights.length - 1; i >= 0; i--) if (weights[i]! > 0) return i;
  throw new Error("internal: no candidate has a positive weight");
}

/** Uniform over factorizations of `extent` into n factors with innermost <= maxInnermost. */
export function drawPerfectTile(rng: ScheduleRandom, extent: number, n: number, maxInnermost: number): number[] {
  if (n === 1) return [extent]; // caller checked extent <= maxInnermost
  const inner = divisors(extent).filter((d) => maxInnermost === -1 || d <= maxInnermost);
  // Weight each innermost choice by how many tilings of the rest it leaves: uniform overall.
  const d = inner[weightedIndex(rng, inner.map((x) => countTilings(extent / x, n - 1)))]!;
  return [...uniformTiling(rng, extent / d, n - 1), d];
}

/**
 * TVM's replay of a recorded tile on a possibly different extent, innermost to outermost: a
 * factor that no longer divides what is left becomes all of it, and factor 0 takes the rest.
 */
export function revalidateTile(decision: readonly number[], extent: number): number[] {
  const result = [...decision];
  let len = extent;
  for (let i = result.length - 1; i > 0; i--) {
    if (len % result[i]! !== 0) result[i] = len;
    len /= result[i]!;
  }
  result[0] = len;
  return result;
}

// ------------------------------------------------------------------ primitives

Schedule.prototype.samplePerfectTile = function (
  this: Schedule,
  loop: LoopRV,
  n: number,
  maxInnermostFactor = 16,
  decision?: readonly number[],
): (ExprRV | undefined)[] {
  const prim = "sample_perfect_tile";
  return this.transact(prim, () => {
    const sref = this.loopSRef(loop, prim);
    if (!Number.isInteger(n) || n < 1) throw this.error(prim, `the number of tiles must be a positive integer, got ${n}`);
    if (!Number.isInteger(maxInnermostFactor) || (maxInnermostFactor < 1 && maxInnermostFactor !== -1)) {
      throw this.error(prim, `max_innermost_factor must be a positive integer or -1 (no limit), got ${maxInnermostFactor}`);
    }
    const extentExpr = sref.loop().extent;
    let factors: number[];
    if (!(extentExpr instanceof IntImm)) {
      factors = [-1, ...new Array<number>(n - 1).fill(1)];
    } else {
      const extent = extentExpr.value;
      if (extent < 1) throw this.error(prim, `the loop has extent ${extent}; a perfect tile needs a positive extent`, sref, [sref]);
      if (decision !== undefined) {
        if (!Array.isArray(decision) || decision.length !== n || !decision.every((f) => Number.isInteger(f) && f >= 1)) {
          throw this.error(prim, `the decision must be a list of ${n} positive integers, got ${JSON.stringify(decision)}`, sref, [sref]);
        }
        factors = revalidateTile(decision, extent);
      } else {
        if (n === 1 && maxInnermostFactor !== -1 && extent > maxInnermostFactor) {
          throw this.error(prim, `a single tile of extent ${extent} exceeds max_innermost_factor ${maxInnermostFactor}`, sref, [sref]);
        }
        factors = drawPerfectTile(this.random, extent, n, maxInnermostFactor);
      }
    }
    const outs = factors.map((f) => (f === -1 ? undefined : this.newExprRV(f)));
    this.record("SamplePerfectTile", [loop], [n, maxInnermostFactor], outs, factors);
    return outs;
  });
};

Schedule.prototype.sampleCategorical = function (
  this: Schedule,
  candidates: readonly number[],
  probs: readonly number[],
  decision?: number,
): ExprRV {
  const prim = "sample_categorical";
  return this.transact(prim, () => {
    if (!Array.isArray(candidates) || candidates.length === 0 || !candidates.every(Number.isInteger)) {
      throw this.error(prim, `candidates must be a non-empty list of integers, got ${JSON.stringify(candidates)}`);
    }
    if (!Array.isArray(probs) || probs.length !== candidates.length) {
      throw this.error(prim, `there are ${candidates.length} candidates but ${Array.isArray(probs) ? probs.length : "no list of"} probabilities`);
    }
    if (!probs.every((p) => typeof p === "number" && Number.isFinite(p) && p >= 0)) {
      throw this.error(prim, `probabilities must be finite and non-negative, got ${JSON.stringify(probs)}`);
    }
    if (!(probs.reduce((a, b) => a + b, 0) > 0)) throw this.error(prim, "the probabilities sum to 0; at least one must be positive");
    let index: number;
    if (decision !== undefined) {
      if (!Number.isInteger(decision) || decision < 0 || decision >= candidates.length) {
        throw this.error(prim, `the decision must be an index in [0, ${candidates.length}), got ${JSON.stringify(decision)}`);
      }
      index = decision;
    } else {
      index = weightedIndex(this.random, probs);
    }
    const rv = this.newExprRV(candidates[index]!);
    this.record("SampleCategorical", [], [[...candidates], [...probs]], [rv], index);
    return rv;
  });
};

// ------------------------------------------------------------------ instruction kinds

/** A decision read back from JSON: a list of integers, or undefined to draw afresh. */
function tileDecision(d: unknown): number[] | undefined {
  if (d === undefined || d === null) return undefined;
  if (!Array.isArray(d) || !d.every((x) => Number.isInteger(x))) {
    throw new Error(`SamplePerfectTile: the decision must be a list of integers, got ${JSON.stringify(d)}`);
  }
  return d as number[];
}

function numberList(v: unknown, what: string): number[] {
  if (!Array.isArray(v) || !v.every((x) => typeof x === "number")) throw new Error(`${what}: expected a list of numbers, got ${JSON.stringify(v)}`);
  return v as number[];
}

registerInstructionKind({
  name: "SamplePerfectTile",
  pure: true,
  apply: (sch, inputs, attrs, decision) =>
    sch.samplePerfectTile(
      inputs[0] as LoopRV,
      attrInt(attrs[0], "SamplePerfectTile n"),
      attrInt(attrs[1], "SamplePerfectTile max_innermost_factor"),
      tileDecision(decision),
    ),
  toTS: (inputs, attrs, outs, decision) =>
    `${tsOutputs(outs, true)}sch.samplePerfectTile(${inputs[0]}, ${tsLiteral(attrs[0])}, ${tsLiteral(attrs[1])}` +
    `${decision === undefined ? "" : `, ${tsLiteral(decision)}`});`,
});

registerInstructionKind({
  name: "SampleCategorical",
  pure: true,
  apply: (sch, _inputs, attrs, decision) => {
    if (decision !== undefined && decision !== null && !Number.isInteger(decision)) {
      throw new Error(`SampleCategorical: the decision must be an integer index, got ${JSON.stringify(decision)}`);
    }
    return [
      sch.sampleCategorical(
        numberList(attrs[0], "SampleCategorical candidates"),
        numberList(attrs[1], "SampleCategorical probs"),
        (decision ?? undefined) as number | undefined,
      ),
    ];
  },
  toTS: (_inputs, attrs, outs, decision) =>
    `${tsOutputs(outs, false)}sch.sampleCategorical(${tsLiteral(attrs[0])}, ${tsLiteral(attrs[1])}` +
    `${decision === undefined ? "" : `, ${tsLiteral(decision)}`});`,
});
