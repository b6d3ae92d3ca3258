/**
 * The rewriter behind detectIterMap: turns index expressions over loop variables into
 * IterSumExprs, fusing sums like `i*4 + j` into one mark when a division needs them whole, and
 * turning predicates like `i*4 + j < 10` into marks with a shorter extent. Anything that is
 * not affine in the iterators (a product of two iterators, a division by an iterator, a
 * min/max/select over iterators) fails with an IterMapFailure naming the expression.
 */
import { IntImm, PrimExpr, Range, Var, type Add, type And, type FloorDiv } from "../ir/expr.js";
import * as ops from "../ir/expr_ops.js";
import { usesVar } from "../ir/expr_functor.js";
import { structuralHash } from "../ir/structural.js";
import type { Analyzer } from "./analyzer.js";
import {
  divideExact, knownEqual, knownGE, knownLE, knownNonNegative, knownResidue, tidyLinear,
} from "./linear_facts.js";
import { IterMark, IterSplitExpr, IterSumExpr, normalizeIterMapToExpr, oneOf, zeroOf } from "./iter_map_types.js";

export class IterMapFailure extends Error {}

const fail = (msg: string): never => {
  throw new IterMapFailure(msg);
};

/** A readable rendering for messages, whether or not the script printer is loaded. */
export function exprText(e: PrimExpr): string {
  const s = String(e);
  if (!/^<\w+>$/.test(s)) return s;
  const b = e as unknown as Add;
  const infix: Record<string, string> = { Add: "+", Sub: "-", Mul: "*", LT: "<", LE: "<=", GT: ">", GE: ">=", EQ: "==", NE: "!=", And: "and", Or: "or" };
  if (e instanceof Var) return e.name;
  if (e instanceof IntImm) return String(e.value);
  if (infix[e.kind]) return `(${exprText(b.a)} ${infix[e.kind]} ${exprText(b.b)})`;
  const fn: Record<string, string> = { FloorDiv: "floordiv", FloorMod: "floormod", Div: "truncdiv", Mod: "truncmod", Min: "min", Max: "max" };
  if (fn[e.kind]) return `${fn[e.kind]}(${exprText(b.a)}, ${exprText(b.b)})`;
  return s;
}

function exprKey(e: PrimExpr): string {
  return e instanceof IntImm ? String(e.value) : e instanceof Var ? `v${e.id}` : `h${structuralHash(e)}`;
}

const isZero = (e: PrimExpr) => e instanceof IntImm && e.value === 0;
const isOne = (e: PrimExpr) => e instanceof IntImm && e.value === 1;
// add / mul that skip building a node for the common 0 and 1 operands.
export const plus = (a: PrimExpr, b: PrimExpr): PrimExpr => (isZero(a) ? b : isZero(b) ? a : ops.add(a, b));
export const times = (a: PrimExpr, b: PrimExpr): PrimExpr => (isOne(a) ? b : isOne(b) ? a : ops.mul(a, b));

interface FusedEntry {
  readonly chain: readonly IterSplitExpr[];
  readonly mark: IterMark;
  /** The fused value is `mark + offset` (non-zero when a predicate gives a lower bound). */
  readonly offset: PrimExpr;
}

/** A sum's iterators ordered from the lowest scale up, each scale the product of the extents below. */
interface Chain {
  readonly args: IterSplitExpr[];
  readonly scale: PrimExpr;
  readonly extent: PrimExpr;
  readonly key: string;
}

export class IterMapRewriter {
  /** Input variables with extent > 1 and their marks (source `v - min`). */
  readonly inputMarks = new Map<Var, IterMark>();
  private readonly inputMin = new Map<Var, PrimExpr>();
  /** Input variables with extent 1 are the constant `min`. */
  private readonly fixed = new Map<Var, PrimExpr>();
  private readonly fused = new Map<string, FusedEntry[]>();
  /** Marks made from predicates; each must be used by the indices for a checked map. */
  readonly predicateMarks: { mark: IterMark; text: string }[] = [];
  private memo = new Map<PrimExpr, IterSumExpr>();

  constructor(
    inputIters: ReadonlyMap<Var, Range>,
    readonly analyzer: Analyzer,
  ) {
    for (const [v, r] of inputIters) this.setDomain(v, r.min, r.extent);
  }

  private setDomain(v: Var, min: PrimExpr, extent: PrimExpr): void {
    if (extent instanceof IntImm && extent.value <= 0) fail(`input iterator ${v.name} has extent ${extent.value}; expected a positive extent`);
    this.inputMarks.delete(v);
    this.fixed.delete(v);
    this.memo.clear();
    if (isOne(extent)) {
      this.fixed.set(v, min);
      return;
    }
    this.inputMin.set(v, min);
    this.inputMarks.set(v, new IterMark(isZero(min) ? v : ops.sub(v, min), extent));
  }

  private isInput = (v: Var): boolean => this.inputMarks.has(v) || this.fixed.has(v);

  private simplify(e: PrimExpr): PrimExpr {
    return e instanceof IntImm ? e : tidyLinear(this.analyzer.simplify(e));
  }

  // ------------------------------------------------------------ rewriting

  rewrite(e: PrimExpr): IterSumExpr {
    let r = this.memo.get(e);
    if (!r) {
      r = this.rewriteUncached(e);
      this.memo.set(e, r);
    }
    return r;
  }

  private rewriteUncached(e: PrimExpr): IterSumExpr {
    switch (e.kind) {
      case "IntImm":
        return new IterSumExpr([], e);
      case "Var":
      case "SizeVar": {
        const v = e as Var;
        const mark = this.inputMarks.get(v);
        if (mark) return new IterSumExpr([IterSplitExpr.whole(mark)], this.inputMin.get(v)!);
        return new IterSumExpr([], this.fixed.get(v) ?? v);
      }
      case "Add":
      case "Sub": {
        const b = e as Add;
        const x = this.rewrite(b.a), y = this.rewrite(b.b);
        if (x.args.length === 0 && y.args.length === 0) return this.constant(e, b, x.base, y.base);
        return this.addSums(x, y, e.kind === "Add" ? 1 : -1);
      }
      case "Mul": {
        const b = e as Add;
        const x = this.rewrite(b.a), y = this.rewrite(b.b);
        if (x.args.length === 0 && y.args.length === 0) return this.constant(e, b, x.base, y.base);
        if (x.args.length > 0 && y.args.length > 0) fail(`${exprText(e)} multiplies two iterator expressions; expected an affine index`);
        return x.args.length > 0 ? this.scaleSum(x, y.base) : this.scaleSum(y, x.base);
      }
      case "FloorDiv":
      case "FloorMod":
      case "Div":
      case "Mod": {
        const b = e as FloorDiv;
        const x = this.rewrite(b.a), y = this.rewrite(b.b);
        if (x.args.length === 0 && y.args.length === 0) return this.constant(e, b, x.base, y.base);
        if (y.args.length > 0) fail(`${exprText(e)} divides by an iterator expression; expected a loop-invariant divisor`);
        const d = y.base;
        if (!(d instanceof IntImm ? d.value > 0 : knownGE(d, oneOf(d.dtype), this.analyzer))) {
          fail(`${exprText(e)} divides by ${exprText(d)}, which is not known to be positive`);
        }
        if ((e.kind === "Div" || e.kind === "Mod") && !this.nonNegative(x)) {
          fail(`${exprText(e)} truncates a possibly negative value; expected floordiv/floormod`);
        }
        return e.kind === "FloorDiv" || e.kind === "Div" ? this.divSum(x, d, e) : this.modSum(x, d, e);
      }
      default:
        if (usesVar(e, this.isInput)) fail(`${exprText(e)} (${e.kind}) uses iterators in a way that is not affine`);
        return new IterSumExpr([], e);
    }
  }

  /** A loop-invariant sub-expression; kept as the very same node when nothing was substituted. */
  private constant(e: PrimExpr, b: { a: PrimExpr; b: PrimExpr }, x: PrimExpr, y: PrimExpr): IterSumExpr {
    if (x === b.a && y === b.b) return new IterSumExpr([], e);
    const build: Record<string, (p: PrimExpr, q: PrimExpr) => PrimExpr> = {
      Add: ops.add, Sub: ops.sub, Mul: ops.mul, FloorDiv: ops.floordiv, FloorMod: ops.floormod, Div: ops.truncdiv, Mod: ops.truncmod,
    };
    return new IterSumExpr([], build[e.kind]!(x, y));
  }

  private nonNegative(s: IterSumExpr): boolean {
    return s.args.every((a) => knownNonNegative(a.scale, this.analyzer)) && knownNonNegative(s.base, this.analyzer);
  }

  private sameDigit(a: IterSplitExpr, b: IterSplitExpr): boolean {
    return a.source === b.source && knownEqual(a.lowerFactor, b.lowerFactor, this.analyzer) && knownEqual(a.extent, b.extent, this.analyzer);
  }

  private addSums(x: IterSumExpr, y: IterSumExpr, sign: 1 | -1): IterSumExpr {
    const args = [...x.args];
    for (const a of y.args) {
      const s = sign > 0 ? a.scale : ops.neg(a.scale);
      const k = args.findIndex((b) => this.sameDigit(a, b));
      if (k < 0) {
        args.push(a.withScale(s));
        continue;
      }
      const merged = this.simplify(ops.add(args[k]!.scale, s));
      if (isZero(merged)) args.splice(k, 1);
      else args[k] = args[k]!.withScale(merged);
    }
    return new IterSumExpr(args, sign > 0 ? plus(x.base, y.base) : isZero(y.base) ? x.base : ops.sub(x.base, y.base));
  }

  private scaleSum(x: IterSumExpr, k: PrimExpr): IterSumExpr {
    if (isZero(k)) return new IterSumExpr([], k);
    return new IterSumExpr(x.args.map((a) => a.withScale(times(a.scale, k))), times(x.base, k));
  }

  /** floormod(base, d) when it is known. */
  private residue(base: PrimExpr, d: PrimExpr): PrimExpr | undefined {
    if (d instanceof IntImm) {
      const r = knownResidue(base, d.value, this.analyzer);
      return r === undefined ? undefined : ops.constant(r, base.dtype);
    }
    return divideExact(base, d, this.analyzer) ? zeroOf(base.dtype) : undefined;
  }

  /**
   * Splits `sum` into the terms whose scale is a multiple of `d` and the rest; when the rest
   * (plus the base's remainder) provably stays below `d`, division distributes over the parts.
   */
  private partition(sum: IterSumExpr, d: PrimExpr): { quotient: IterSumExpr; remainder: IterSumExpr } | undefined {
    const r = this.residue(sum.base, d);
    if (r === undefined) return undefined;
    const high: IterSplitExpr[] = [], low: IterSplitExpr[] = [];
    for (const a of sum.args) {
      const q = divideExact(a.scale, d, this.analyzer);
      if (q) high.push(a.withScale(q));
      else low.push(a);
    }
    let top: PrimExpr = r;
    for (const a of low) {
      if (!knownNonNegative(a.scale, this.analyzer)) return undefined;
      top = ops.add(top, ops.mul(ops.sub(a.extent, 1), a.scale));
    }
    if (low.length > 0 && !knownLE(top, ops.sub(d, 1), this.analyzer)) return undefined;
    const q = divideExact(ops.sub(sum.base, r), d, this.analyzer) ?? this.simplify(ops.floordiv(sum.base, d));
    return { quotient: new IterSumExpr(high, q), remainder: new IterSumExpr(low, r) };
  }

  private divSum(sum: IterSumExpr, d: PrimExpr, e: PrimExpr): IterSumExpr {
    const p = this.partition(sum, d);
    if (p) return p.quotient;
    const { split, base } = this.fuse(sum, e);
    const c2 = divideExact(d, split!.scale, this.analyzer);
    const r = this.residue(base, d);
    if (!c2 || !r || !isZero(r)) fail(`${exprText(e)}: the iterator's scale or offset does not line up with the divisor ${exprText(d)}`);
    const ext = divideExact(split!.extent, c2!, this.analyzer);
    if (!ext) fail(`${exprText(e)}: the iterator's extent ${exprText(split!.extent)} is not divisible by ${exprText(c2!)}`);
    const lf = this.simplify(times(split!.lowerFactor, c2!));
    const q = new IterSplitExpr(split!.source, lf, ext!, oneOf(d.dtype));
    return new IterSumExpr([q], divideExact(base, d, this.analyzer)!);
  }

  private modSum(sum: IterSumExpr, d: PrimExpr, e: PrimExpr): IterSumExpr {
    const p = this.partition(sum, d);
    if (p) return p.remainder;
    const { split, base } = this.fuse(sum, e);
    const c2 = divideExact(d, split!.scale, this.analyzer);
    const r = this.residue(base, d);
    if (!c2 || !r || !isZero(r)) fail(`${exprText(e)}: the iterator's scale or offset does not line up with the divisor ${exprText(d)}`);
    if (!divideExact(split!.extent, c2!, this.analyzer)) {
      fail(`${exprText(e)}: the iterator's extent ${exprText(split!.extent)} is not divisible by ${exprText(c2!)}`);
    }
    return new IterSumExpr([new IterSplitExpr(split!.source, split!.lowerFactor, c2!, split!.scale)], zeroOf(d.dtype));
  }

  // ------------------------------------------------------------ fusion

  /** Orders a sum's iterators into a mixed-radix chain, or fails when they overlap. */
  chain(args: readonly IterSplitExpr[], what: () => string): Chain {
    const consts = args.filter((a) => a.scale instanceof IntImm).sort((a, b) => (a.scale as IntImm).value - (b.scale as IntImm).value);
    const candidates = [...consts, ...args.filter((a) => !(a.scale instanceof IntImm))];
    const divides = (c: IterSplitExpr, a: IterSplitExpr): boolean =>
      a === c ||
      (a.scale instanceof IntImm && c.scale instanceof IntImm
        ? c.scale.value !== 0 && a.scale.value % c.scale.value === 0
        : divideExact(a.scale, c.scale, this.analyzer) !== undefined);
    const base = candidates.find((c) => args.every((a) => divides(c, a)));
    if (!base || !(base.scale instanceof IntImm ? base.scale.value > 0 : knownGE(base.scale, oneOf(base.dtype), this.analyzer))) {
      return fail(`${what()}: the iterator scales have no common positive unit`);
    }
    const rest = [...args];
    const ordered: IterSplitExpr[] = [];
    let expected: PrimExpr = base.scale;
    let norm: PrimExpr = oneOf(base.dtype);
    while (rest.length > 0) {
      const hits = rest.filter((a) => knownEqual(a.scale, expected, this.analyzer));
      if (hits.length !== 1) {
        fail(hits.length === 0
          ? `${what()}: no iterator has scale ${exprText(expected)}, so the terms cannot be fused`
          : `${what()}: ${hits.length} iterators share scale ${exprText(expected)} and overlap`);
      }
      const h = hits[0]!;
      rest.splice(rest.indexOf(h), 1);
      ordered.push(h.withScale(norm));
      norm = this.simplify(times(norm, h.extent));
      expected = this.simplify(times(expected, h.extent));
    }
    const key = ordered.map((a) => `${a.source.id}/${exprKey(a.lowerFactor)}/${exprKey(a.extent)}`).join("|");
    return { args: ordered, scale: base.scale, extent: norm, key };
  }

  private lookup(c: Chain): FusedEntry | undefined {
    for (const f of this.fused.get(c.key) ?? []) {
      if (f.chain.every((a, i) => this.sameDigit(a, c.args[i]!))) return f;
    }
    return undefined;
  }

  private register(c: Chain, mark: IterMark, offset: PrimExpr): void {
    const list = this.fused.get(c.key) ?? [];
    list.push({ chain: c.args, mark, offset });
    this.fused.set(c.key, list);
  }

  /** The sum as one split (over a fused mark when it has several terms) plus a base. */
  fuse(sum: IterSumExpr, e: PrimExpr): { split: IterSplitExpr | undefined; base: PrimExpr } {
    if (sum.args.length === 0) return { split: undefined, base: sum.base };
    if (sum.args.length === 1) return { split: sum.args[0]!, base: sum.base };
    const c = this.chain(sum.args, () => exprText(e));
    // Consecutive digits of one mark are that mark's wider digit.
    const m = c.args[0]!.source;
    let contiguous = c.args.every((a) => a.source === m);
    let lf = c.args[0]!.lowerFactor;
    for (const a of c.args) {
      if (!contiguous) break;
      contiguous = knownEqual(a.lowerFactor, lf, this.analyzer);
      lf = this.simplify(times(a.lowerFactor, a.extent));
    }
    if (contiguous) return { split: new IterSplitExpr(m, c.args[0]!.lowerFactor, c.extent, c.scale), base: sum.base };
    let entry = this.lookup(c);
    if (!entry) {
      const source = new IterSumExpr([...c.args].reverse(), zeroOf(sum.dtype));
      entry = { chain: c.args, mark: new IterMark(source, c.extent), offset: zeroOf(sum.dtype) };
      this.register(c, entry.mark, entry.offset);
    }
    const base = isZero(entry.offset) ? sum.base : ops.add(sum.base, ops.mul(entry.offset, c.scale));
    return { split: IterSplitExpr.whole(entry.mark, c.scale), base };
  }

  /** Rewrites an index and fuses it into at most one split. */
  rewriteIndex(e: PrimExpr): IterSumExpr {
    const s = this.rewrite(e);
    if (s.args.length <= 1) return s;
    const { split, base } = this.fuse(s, e);
    return new IterSumExpr([split!], base);
  }

  // ------------------------------------------------------------ predicates

  /** Turns `sum < bound` conjuncts into narrower input domains or marks with shorter extents. */
  bindPredicate(pred: PrimExpr): void {
    const conj: PrimExpr[] = [];
    const flatten = (p: PrimExpr): void => {
      if (p.kind === "And") {
        flatten((p as And).a);
        flatten((p as And).b);
      } else if (!(p instanceof IntImm && p.value !== 0)) conj.push(p);
    };
    flatten(pred);
    const parsed = conj.map((c) => this.parseBound(c));
    // Single input variables first: they change the marks that the other constraints use.
    const single = parsed.filter((p) => this.singleInput(this.rewrite(p.lhs)));
    for (const p of single) this.narrowInput(p);
    const groups = new Map<string, { chain: Chain; base: PrimExpr; lower?: PrimExpr; upper?: PrimExpr; text: string }>();
    for (const p of parsed.filter((q) => !single.includes(q))) {
      const s = this.rewrite(p.lhs);
      if (s.args.length === 0) fail(`predicate ${p.text} does not involve the iterators`);
      const c = this.chain(s.args, () => p.text);
      if (!isOne(c.scale)) fail(`predicate ${p.text}: the constrained sum is scaled by ${exprText(c.scale)}; expected unit scale`);
      const g = groups.get(c.key) ?? { chain: c, base: s.base, text: p.text };
      const shift = (b: PrimExpr) => this.simplify(ops.sub(b, s.base));
      if (p.lower) g.lower = g.lower ? this.tighter(g.lower, shift(p.lower), true, p.text) : shift(p.lower);
      if (p.upper) g.upper = g.upper ? this.tighter(g.upper, shift(p.upper), false, p.text) : shift(p.upper);
      groups.set(c.key, g);
    }
    const sorted = [...groups.values()].sort((a, b) => a.chain.args.length - b.chain.args.length);
    for (const g of sorted) {
      const t = g.chain.extent;
      const zero = zeroOf(t.dtype);
      const lo = g.lower && !knownLE(g.lower, zero, this.analyzer) ? g.lower : zero;
      const hi = g.upper && !knownLE(t, g.upper, this.analyzer) ? g.upper : t;
      if (lo === zero && hi === t) continue;
      if (!knownLE(hi, t, this.analyzer) || !knownGE(lo, zero, this.analyzer)) {
        fail(`predicate ${g.text}: cannot compare its bounds with the iterators' range [0, ${exprText(t)})`);
      }
      const source = new IterSumExpr([...g.chain.args].reverse(), this.simplify(ops.neg(lo)));
      const mark = new IterMark(source, this.simplify(ops.sub(hi, lo)));
      this.register(g.chain, mark, lo);
      this.predicateMarks.push({ mark, text: g.text });
    }
    this.memo.clear();
  }

  private tighter(a: PrimExpr, b: PrimExpr, lower: boolean, text: string): PrimExpr {
    if (lower ? knownGE(a, b, this.analyzer) : knownLE(a, b, this.analyzer)) return a;
    if (lower ? knownGE(b, a, this.analyzer) : knownLE(b, a, this.analyzer)) return b;
    return fail(`predicate ${text}: cannot tell which of two bounds is tighter`);
  }

  private parseBound(c: PrimExpr): { lhs: PrimExpr; lower?: PrimExpr; upper?: PrimExpr; text: string } {
    const text = exprText(c);
    const b = c as unknown as Add;
    if (!["LT", "LE", "GT", "GE"].includes(c.kind)) fail(`predicate ${text} is not a comparison like \`i*4 + j < 10\``);
    const iterLeft = usesVar(b.a, this.isInput), iterRight = usesVar(b.b, this.isInput);
    if (iterLeft === iterRight) fail(`predicate ${text} must compare an iterator expression with a loop-invariant bound`);
    const [lhs, bound] = iterLeft ? [b.a, b.b] : [b.b, b.a];
    // Normalise to lhs < upper / lhs >= lower.
    const kind = iterLeft ? c.kind : ({ LT: "GT", LE: "GE", GT: "LT", GE: "LE" } as Record<string, string>)[c.kind]!;
    const plus1 = (x: PrimExpr) => this.simplify(ops.add(x, 1));
    switch (kind) {
      case "LT":
        return { lhs, upper: bound, text };
      case "LE":
        return { lhs, upper: plus1(bound), text };
      case "GT":
        return { lhs, lower: plus1(bound), text };
      default:
        return { lhs, lower: bound, text };
    }
  }

  private singleInput(s: IterSumExpr): Var | undefined {
    if (s.args.length !== 1) return undefined;
    const a = s.args[0]!;
    if (!isOne(a.scale) || !isOne(a.lowerFactor) || a.extent !== a.source.extent) return undefined;
    for (const [v, m] of this.inputMarks) if (m === a.source) return v;
    return undefined;
  }

  private narrowInput(p: { lhs: PrimExpr; lower?: PrimExpr; upper?: PrimExpr; text: string }): void {
    const s = this.rewrite(p.lhs);
    const v = this.singleInput(s);
    if (!v) {
      // An earlier constraint fixed the variable; this one must simply hold.
      const holds = s.args.length === 0 &&
        (!p.lower || knownLE(p.lower, s.base, this.analyzer)) && (!p.upper || knownLE(ops.add(s.base, 1), p.upper, this.analyzer));
      if (!holds) fail(`predicate ${p.text} cannot be satisfied together with the other constraints`);
      return;
    }
    const mark = this.inputMarks.get(v)!;
    const zero = zeroOf(mark.dtype);
    // lhs = (v - min) + base: bounds on lhs become bounds on the mark's value.
    const lo = p.lower ? this.simplify(ops.sub(p.lower, s.base)) : zero;
    const hi = p.upper ? this.simplify(ops.sub(p.upper, s.base)) : mark.extent;
    const newLo = knownLE(lo, zero, this.analyzer) ? zero : lo;
    const newHi = knownLE(mark.extent, hi, this.analyzer) ? mark.extent : hi;
    if (newLo === zero && newHi === mark.extent) return;
    if (!knownGE(newLo, zero, this.analyzer) || !knownLE(newHi, mark.extent, this.analyzer)) {
      fail(`predicate ${p.text}: cannot compare its bound with the range of ${v.name}`);
    }
    const min = this.inputMin.get(v)!;
    this.setDomain(v, this.simplify(ops.add(min, newLo)), this.simplify(ops.sub(newHi, newLo)));
  }

  /** The input variable a mark stands for, if it is an input mark. */
  inputVarOf(mark: IterMark): Var | undefined {
    for (const [v, m] of this.inputMarks) if (m === mark) return v;
    return undefined;
  }

  /** A name for a mark in messages. */
  markText(mark: IterMark): string {
    const v = this.inputVarOf(mark);
    if (v) return v.name;
    return mark.source instanceof IterSumExpr ? exprText(normalizeIterMapToExpr(mark.source)) : exprText(mark.source);
  }
}
