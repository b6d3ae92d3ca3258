/**
 * detectIterMap and what is built directly on it: rewrite each index into an iterator sum,
 * then check that the indices together use every iterator digit at most once (surjective) or
 * exactly once (bijective). Schedules call these to decide whether a block binding is affine
 * and how it decomposes over loops.
 */
import { bool } from "../ir/dtype.js";
import { IntImm, PrimExpr, Range, Var } from "../ir/expr.js";
import { Analyzer } from "./analyzer.js";
import { divideExact, knownEqual, knownLE, tidyLinear } from "./linear_facts.js";
import { IterMark, IterSplitExpr, IterSumExpr, normalizeIterMapToExpr, oneOf } from "./iter_map_types.js";
import { IterMapFailure, IterMapRewriter, exprText, times } from "./iter_map_rewrite.js";

const TRUE_EXPR = new IntImm(bool, 1);

/**
 * - "bijective": every input iterator is used, each digit exactly once;
 * - "surjective": no digit is used twice (every combination of index values is reached);
 * - "noCheck": only rewrite.
 */
export type IterMapLevel = "surjective" | "bijective" | "noCheck";

export interface IterMapResult {
  /** One sum per index, each with at most one split; empty when detection failed. */
  readonly indices: IterSumExpr[];
  /** Why detection failed; empty on success. */
  readonly errors: string[];
}

/** Detection plus the rewriter state (marks of inputs and predicates), for subspace division. */
export interface IterMapDetection extends IterMapResult {
  readonly rewriter: IterMapRewriter;
}

export function detectIterMapWithState(
  indices: readonly PrimExpr[],
  inputIters: ReadonlyMap<Var, Range>,
  predicate: PrimExpr,
  checkLevel: IterMapLevel,
  analyzer: Analyzer,
): IterMapDetection {
  const rewriter = new IterMapRewriter(inputIters, analyzer);
  try {
    rewriter.bindPredicate(predicate);
    const sums = indices.map((e) => rewriter.rewriteIndex(e));
    if (checkLevel !== "noCheck") checkMapping(sums, rewriter, checkLevel);
    return { indices: sums, errors: [], rewriter };
  } catch (err) {
    if (err instanceof IterMapFailure) return { indices: [], errors: [err.message], rewriter };
    throw err;
  }
}

/**
 * Recognises `indices` as an iterator map over `inputIters` (loop variables and their ranges)
 * under `predicate`: affine sums like `i*4 + j`, divisions of fused iterators like
 * `floordiv(f, 16)`, and non-divisible splits guarded by `i*4 + j < 10`.
 */
export function detectIterMap(
  indices: readonly PrimExpr[],
  inputIters: ReadonlyMap<Var, Range>,
  predicate: PrimExpr = TRUE_EXPR,
  checkLevel: IterMapLevel = "surjective",
  analyzer: Analyzer = new Analyzer(),
): IterMapResult {
  const { indices: out, errors } = detectIterMapWithState(indices, inputIters, predicate, checkLevel, analyzer);
  return { indices: out, errors };
}

/** Detects and writes the indices back in normal form; returns them unchanged on failure. */
export function iterMapSimplify(
  indices: readonly PrimExpr[],
  inputIters: ReadonlyMap<Var, Range>,
  predicate: PrimExpr = TRUE_EXPR,
  checkLevel: IterMapLevel = "surjective",
  analyzer: Analyzer = new Analyzer(),
): PrimExpr[] {
  const r = detectIterMap(indices, inputIters, predicate, checkLevel, analyzer);
  if (r.errors.length > 0) return [...indices];
  return r.indices.map((s) => tidyLinear(analyzer.simplify(normalizeIterMapToExpr(s, analyzer))));
}

/**
 * Whether a block's bindings are affine in the surrounding loops (a surjective iterator map
 * under the block predicate): what the schedule's affine-binding flag records.
 */
export function isAffineBinding(
  iterValues: readonly PrimExpr[],
  loopDoms: ReadonlyMap<Var, Range>,
  predicate: PrimExpr = TRUE_EXPR,
  analyzer: Analyzer = new Analyzer(),
): boolean {
  return detectIterMap(iterValues, loopDoms, predicate, "surjective", analyzer).errors.length === 0;
}

// ------------------------------------------------------------ checking

function checkMapping(sums: readonly IterSumExpr[], rw: IterMapRewriter, level: "surjective" | "bijective"): void {
  const splitsOf = new Map<IterMark, IterSplitExpr[]>();
  const add = (s: IterSplitExpr): void => {
    const list = splitsOf.get(s.source);
    if (list) {
      list.push(s);
      return;
    }
    splitsOf.set(s.source, [s]);
    // A fused mark uses the iterators it is made of once, however many digits of it are taken.
    const src = s.source.source;
    if (src instanceof IterSumExpr) src.args.forEach(add);
  };
  for (const s of sums) s.args.forEach(add);
  for (const [mark, splits] of splitsOf) checkMark(mark, splits, rw, level);
  if (level === "bijective") {
    for (const [v, m] of rw.inputMarks) {
      if (!splitsOf.has(m)) throw new IterMapFailure(`input iterator ${v.name} is not used by the indices; a bijective map uses every iterator`);
    }
  }
  for (const p of rw.predicateMarks) {
    if (!splitsOf.has(p.mark)) {
      throw new IterMapFailure(`predicate ${p.text} constrains iterators that no index uses as that sum`);
    }
  }
}

function sortByLowerFactor(splits: IterSplitExpr[], rw: IterMapRewriter, mark: IterMark): IterSplitExpr[] {
  const rest = [...splits];
  const out: IterSplitExpr[] = [];
  while (rest.length > 0) {
    let best = 0;
    for (let i = 1; i < rest.length; i++) {
      if (knownLE(rest[i]!.lowerFactor, rest[best]!.lowerFactor, rw.analyzer)) best = i;
      else if (!knownLE(rest[best]!.lowerFactor, rest[i]!.lowerFactor, rw.analyzer)) {
        throw new IterMapFailure(`cannot order the digits taken from ${rw.markText(mark)}`);
      }
    }
    out.push(rest.splice(best, 1)[0]!);
  }
  return out;
}

function checkMark(mark: IterMark, splits: IterSplitExpr[], rw: IterMapRewriter, level: "surjective" | "bijective"): void {
  const name = (): string => rw.markText(mark);
  const sorted = sortByLowerFactor(splits, rw, mark);
  const one = oneOf(mark.dtype);
  let end: PrimExpr = one;
  for (let i = 0; i < sorted.length; i++) {
    const s = sorted[i]!;
    if (i > 0 && knownEqual(s.lowerFactor, sorted[i - 1]!.lowerFactor, rw.analyzer)) {
      throw new IterMapFailure(`iterator ${name()} is used more than once (the same digit appears in two places)`);
    }
    const ok = level === "bijective" ? knownEqual(s.lowerFactor, end, rw.analyzer) : divideExact(s.lowerFactor, end, rw.analyzer) !== undefined;
    if (!ok) {
      throw new IterMapFailure(
        level === "bijective"
          ? `iterator ${name()} is not covered exactly: a digit starts at ${exprText(s.lowerFactor)} where ${exprText(end)} was expected`
          : `digits of iterator ${name()} overlap (one starts at ${exprText(s.lowerFactor)} inside another ending at ${exprText(end)})`,
      );
    }
    end = times(s.lowerFactor, s.extent);
  }
  const covered = level === "bijective" ? knownEqual(end, mark.extent, rw.analyzer) : knownLE(end, mark.extent, rw.analyzer);
  if (!covered) {
    throw new IterMapFailure(
      level === "bijective"
        ? `iterator ${name()} has extent ${exprText(mark.extent)} but the indices cover ${exprText(end)} of it`
        : `the digits of iterator ${name()} reach ${exprText(end)}, beyond its extent ${exprText(mark.extent)}`,
    );
  }
}
