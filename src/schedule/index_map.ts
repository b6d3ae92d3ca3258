/**
 * IndexMap: a mapping from N input indices to M output indices, `lambda i, j: (i // 16, j, i % 16)`.
 * transform_layout rewrites a buffer's accesses through one, transform_block_layout a block's
 * iteration space. Built from a TS function (parameter names taken from its source, as TE does
 * for compute axes) or from TVMScript lambda text; it maps indices, ranges and shapes, and
 * inverts bijective affine maps (also those that only become bijective once the input is
 * padded, which is how layout padding is detected).
 *
 * Trace form (a deliberate deviation from TVM): where TVM's trace JSON holds an IndexMap as a
 * string of `SaveJSON(index_map)` (a tvm-ffi object graph, `{"root":...}`), weft writes the
 * lambda text in that string instead, unquoted like TVM's: the TransformLayout input
 * `"lambda i, j: (j, i)"`, its pad_value attr (or null), the TransformBlockLayout attr. Replay
 * reads that text back (with the dtype of the buffer or block it applies to, since the text
 * names none); TVM's graph form is refused with a clear error rather than half-read.
 */
import { DataType, dtypeOf, int32, type DTypeLike } from "../ir/dtype.js";
import { FloorDiv, FloorMod, IntImm, PrimExpr, Range, Var } from "../ir/expr.js";
import * as E from "../ir/expr_ops.js";
import { postOrderVisit, substitute, usesVar } from "../ir/expr_functor.js";
import { Analyzer } from "../arith/analyzer.js";
import { IntervalSet, evalSet } from "../arith/int_set.js";
import { IterMark, IterSplitExpr, IterSumExpr, detectIterMap } from "../arith/iter_map.js";
import { parseExpr, printScript } from "../tir/script/index.js";
import { parsePython } from "../tir/script/python/index.js";
import type { Expr as PyExpr, Span } from "../tir/script/python/index.js";
import { paramNames } from "../te/tensor.js";

/** A TS index function: receives one Var per input index, returns the output indices. */
export type IndexMapFunc = (...indices: Var[]) => E.ExprLike | readonly E.ExprLike[];
/** What layout primitives accept: an IndexMap, a TS function or lambda text. */
export type IndexMapLike = IndexMap | IndexMapFunc | string;

export interface IndexMapOptions {
  /** dtype of the input index variables (default int32). */
  indexDtype?: DTypeLike;
  /** Number of inputs, needed when the function takes `...rest` parameters. */
  ndim?: number;
}

/** Raised when a map cannot be built, parsed or inverted; primitives turn it into a ScheduleError. */
export class IndexMapError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "IndexMapError";
  }
}

const PARSE_CACHE_SIZE = 256;
const parsed = new Map<string, IndexMap>();

export class IndexMap {
  readonly kind = "IndexMap";
  constructor(
    readonly initialIndices: readonly Var[],
    readonly finalIndices: readonly PrimExpr[],
  ) {
    const names = new Set<string>();
    for (const v of initialIndices) {
      if (names.has(v.name)) throw new IndexMapError(`IndexMap: two input indices are named "${v.name}"`);
      names.add(v.name);
    }
    for (const e of finalIndices) {
      if (e.dtype.lanes !== 1) throw new IndexMapError(`IndexMap: outputs must be scalars, got ${e.dtype} (${printScript(e)})`);
    }
  }

  /** Whether every output is an integer index (a pad-value map has one value output instead). */
  get isIndexMap(): boolean {
    return this.finalIndices.every((e) => e.dtype.isIntegral());
  }

  /** From a TS function `(i, j) => [j, i]`; variables are named after its parameters. */
  static fromFunc(fn: IndexMapFunc, opts: IndexMapOptions = {}): IndexMap {
    const dtype = dtypeOf(opts.indexDtype ?? int32);
    let names = paramNames(fn);
    const n = opts.ndim ?? names?.length ?? fn.length;
    if (!names || names.length !== n) names = Array.from({ length: n }, (_, i) => `i${i}`);
    const vars = names.map((s) => new Var(s, dtype));
    let out: E.ExprLike | readonly E.ExprLike[];
    try {
      out = fn(...vars);
    } catch (e) {
      throw new IndexMapError(`IndexMap: the index function threw: ${(e as Error).message}`);
    }
    const list = Array.isArray(out) ? (out as readonly E.ExprLike[]) : [out as E.ExprLike];
    return new IndexMap(vars, list.map((x, i) => toIndexExpr(x, dtype, `output ${i} of the index function`)));
  }

  /** From TVMScript lambda text, `"lambda i, j: (i // 16, j, i % 16)"`. */
  static parse(text: string, opts: IndexMapOptions = {}): IndexMap {
    const dtype = dtypeOf(opts.indexDtype ?? int32);
    // Replaying traces parses the same few maps over and over; maps are immutable, so share them.
    const key = `${dtype}|${text}`;
    const hit = parsed.get(key);
    if (hit) return hit;
    const m = IndexMap.parseUncached(text, dtype);
    if (parsed.size >= PARSE_CACHE_SIZE) parsed.delete(parsed.keys().next().value!);
    parsed.set(key, m);
    return m;
  }

  private static parseUncached(text: string, dtype: DataType): IndexMap {
    let lambda: PyExpr;
    try {
      const mod = parsePython(text, "<index_map>");
      const only = mod.body[0];
      if (mod.body.length !== 1 || !only || only.kind !== "ExprStmt") throw new IndexMapError("expected one lambda expression");
      lambda = only.value;
    } catch (e) {
      throw new IndexMapError(`IndexMap: cannot read ${JSON.stringify(text)}: ${(e as Error).message}`);
    }
    if (lambda.kind !== "Lambda") {
      throw new IndexMapError(`IndexMap: expected a lambda such as "lambda i, j: (j, i)", got ${JSON.stringify(text)}`);
    }
    const vars: Var[] = [];
    for (const a of lambda.args) {
      if (a.kind !== "normal" || a.default) {
        throw new IndexMapError(`IndexMap: lambda parameters must be plain names, got ${JSON.stringify(text)}`);
      }
      vars.push(new Var(a.name, dtype));
    }
    const body = lambda.body;
    const elts = body.kind === "Tuple" || body.kind === "List" ? body.elts : [body];
    const scope: Record<string, Var> = {};
    for (const v of vars) scope[v.name] = v;
    const finals = elts.map((e) => {
      const src = sliceSpan(text, e.span);
      try {
        return toIndexExpr(parseExpr(src, scope, "<index_map>"), dtype, src);
      } catch (err) {
        throw new IndexMapError(`IndexMap: cannot read output index "${src}" of ${JSON.stringify(text)}: ${(err as Error).message}`);
      }
    });
    return new IndexMap(vars, finals);
  }

  /** Accepts any IndexMapLike; functions and text get `opts.indexDtype` for their variables. */
  static from(x: IndexMapLike, opts: IndexMapOptions = {}): IndexMap {
    if (x instanceof IndexMap) return x;
    if (typeof x === "string") return IndexMap.parse(x, opts);
    if (typeof x === "function") return IndexMap.fromFunc(x, opts);
    throw new IndexMapError(`IndexMap: expected an IndexMap, a function or lambda text, got ${typeof x}`);
  }

  get inputDims(): number {
    return this.initialIndices.length;
  }
  get outputDims(): number {
    return this.finalIndices.length;
  }

  /** The same map over input variables of another integer dtype (e.g. to match an int64 shape). */
  withIndexDtype(dtype: DataType): IndexMap {
    if (this.initialIndices.every((v) => v.dtype === dtype)) return this;
    const vars = this.initialIndices.map((v) => new Var(v.name, dtype));
    const vmap = new Map<Var, PrimExpr>();
    this.initialIndices.forEach((v, i) => vmap.set(v, E.cast(v.dtype, vars[i]!)));
    const analyzer = new Analyzer();
    return new IndexMap(vars, this.finalIndices.map((e) => analyzer.simplify(E.cast(dtype, substitute(e, vmap)))));
  }

  /** The output indices for the given input indices, simplified. */
  mapIndices(indices: readonly PrimExpr[], analyzer: Analyzer = new Analyzer()): PrimExpr[] {
    if (indices.length !== this.inputDims) {
      throw new IndexMapError(`IndexMap ${this.toText()} takes ${this.inputDims} indices, got ${indices.length}`);
    }
    const vmap = new Map<Var, PrimExpr>();
    this.initialIndices.forEach((v, i) => {
      const x = indices[i]!;
      vmap.set(v, x.dtype === v.dtype ? x : E.cast(v.dtype, x));
    });
    return this.finalIndices.map((e) => analyzer.simplify(substitute(e, vmap)));
  }

  /** The ranges the outputs cover when the inputs cover `ranges`. */
  mapRanges(ranges: readonly Range[], analyzer: Analyzer = new Analyzer()): Range[] {
    if (ranges.length !== this.inputDims) {
      throw new IndexMapError(`IndexMap ${this.toText()} takes ${this.inputDims} indices, got ${ranges.length} ranges`);
    }
    const iters = new Map<Var, Range>();
    this.initialIndices.forEach((v, i) => iters.set(v, castRange(ranges[i]!, v.dtype)));
    const det = detectIterMap(this.finalIndices, iters, undefined, "noCheck", analyzer);
    if (det.errors.length === 0) {
      // The terms of an affine sum are independent, so the largest term bounds the sum.
      return det.indices.map((sum) => {
        let extent: PrimExpr | undefined;
        for (const t of sum.args) {
          const te = E.mul(t.extent, t.scale);
          extent = extent === undefined ? te : E.max(extent, te);
        }
        return new Range(sum.base, analyzer.simplify(extent ?? new IntImm(sum.dtype, 1)));
      });
    }
    // Not affine: bound each output by interval arithmetic instead.
    const dom = new Map<Var, IntervalSet>();
    for (const [v, r] of iters) dom.set(v, IntervalSet.fromRange(r));
    return this.finalIndices.map((e) => {
      const s = evalSet(e, dom, analyzer);
      return new Range(analyzer.simplify(s.min), analyzer.simplify(E.add(E.sub(s.max, s.min), 1)));
    });
  }

  /** The shape of a buffer of shape `shape` after the map (ranges made to start at 0). */
  mapShape(shape: readonly PrimExpr[], analyzer: Analyzer = new Analyzer()): PrimExpr[] {
    const ranges = shape.map((d) => new Range(new IntImm(d.dtype, 0), d));
    return this.mapRanges(ranges, analyzer).map((r) =>
      r.min instanceof IntImm && r.min.value === 0 ? r.extent : analyzer.simplify(E.add(r.min, r.extent)),
    );
  }

  /** The inverse of a bijective map over `ranges`; throws IndexMapError otherwise. */
  inverse(ranges: readonly Range[], analyzer: Analyzer = new Analyzer()): IndexMap {
    const { inverse, paddingPredicate } = this.nonSurjectiveInverse(ranges, analyzer);
    if (!(paddingPredicate instanceof IntImm && paddingPredicate.value === 0)) {
      throw new IndexMapError(`IndexMap ${this.toText()} is not bijective over its input ranges: it pads where ${printScript(paddingPredicate)}`);
    }
    return inverse;
  }

  /**
   * The inverse of a map that is bijective once its inputs are padded to the next multiple of
   * the divisors they are split by, plus the predicate (over the inverse's inputs) that is true
   * exactly on the padding. Throws IndexMapError for maps that are not injective affine.
   */
  nonSurjectiveInverse(ranges: readonly Range[], analyzer: Analyzer = new Analyzer()): { inverse: IndexMap; paddingPredicate: PrimExpr } {
    if (ranges.length !== this.inputDims) {
      throw new IndexMapError(`IndexMap ${this.toText()} takes ${this.inputDims} indices, got ${ranges.length} ranges`);
    }
    // Constant ranges (the usual case) give a reusable answer: remember it on the (immutable) map.
    const key = ranges.every((r) => r.min instanceof IntImm && r.extent instanceof IntImm)
      ? ranges.map((r) => `${r.min.dtype}:${(r.min as IntImm).value}:${(r.extent as IntImm).value}`).join(",")
      : undefined;
    const hit = key === undefined ? undefined : this.inverseMemo.get(key);
    if (hit) return hit;
    const out = this.computeInverse(ranges, analyzer);
    if (key !== undefined) this.inverseMemo.set(key, out);
    return out;
  }

  private readonly inverseMemo = new Map<string, { inverse: IndexMap; paddingPredicate: PrimExpr }>();

  private computeInverse(ranges: readonly Range[], analyzer: Analyzer): { inverse: IndexMap; paddingPredicate: PrimExpr } {
    const outVars = this.finalIndices.map((e, i) => new Var(`axis${i}`, e.dtype));
    const orig = ranges.map((r, i) => castRange(r, this.initialIndices[i]!.dtype));
    let padded = orig;
    let exprs = this.tryInverse(orig, outVars);
    if (!exprs) {
      padded = this.paddedRanges(orig);
      if (padded.some((r, i) => r !== orig[i])) exprs = this.tryInverse(padded, outVars);
      if (exprs) {
        // Padding must not change the output shape, or the padded map is a different map.
        const a = this.mapShape(orig.map((r) => r.extent), analyzer);
        const b = this.mapShape(padded.map((r) => r.extent), analyzer);
        if (!a.every((x, i) => analyzer.canProveEqual(x, b[i]!))) exprs = undefined;
      }
    }
    if (!exprs) {
      throw new IndexMapError(
        `IndexMap ${this.toText()} is not a bijective affine map over the ranges ${orig.map((r) => `[${printScript(r.min)}, ${printScript(E.add(r.min, r.extent))})`).join(", ")}`,
      );
    }
    // The inverse is only used over the new index space, so simplify it there.
    const bound = new Analyzer();
    this.mapRanges(orig, analyzer).forEach((r, i) => bound.bind(outVars[i]!, r));
    const inverse = new IndexMap(outVars, exprs.map((e) => bound.simplify(e)));
    // A point of the new index space is padding when its preimage leaves the original ranges.
    let pred: PrimExpr = new IntImm(DataType.get("bool", 1), 0);
    orig.forEach((r, i) => {
      if (padded[i] === r) return;
      const x = inverse.finalIndices[i]!;
      pred = E.or(pred, E.or(E.lt(x, r.min), E.le(E.add(r.min, r.extent), x)));
    });
    return { inverse, paddingPredicate: bound.simplify(pred) };
  }

  /** Inverse expressions (one per input) via iterator-map back-propagation, or undefined. */
  private tryInverse(ranges: readonly Range[], outVars: readonly Var[]): PrimExpr[] | undefined {
    const iters = new Map<Var, Range>();
    this.initialIndices.forEach((v, i) => iters.set(v, ranges[i]!));
    const det = detectIterMap(this.finalIndices, iters, undefined, "bijective", new Analyzer());
    if (det.errors.length > 0) return undefined;
    const inv = backPropagate(det.indices, outVars);
    if (!inv) return undefined;
    const out: PrimExpr[] = [];
    for (let i = 0; i < this.inputDims; i++) {
      const v = this.initialIndices[i]!, r = ranges[i]!;
      const e = inv.get(v);
      if (e !== undefined) out.push(E.add(e, r.min));
      else if (r.extent instanceof IntImm && r.extent.value === 1) out.push(r.min);
      else return undefined;
    }
    return out;
  }

  /** Each input extent rounded up to a multiple of the constants its variable is divided by. */
  private paddedRanges(ranges: readonly Range[]): Range[] {
    return ranges.map((r, i) => {
      const v = this.initialIndices[i]!;
      if (!(r.extent instanceof IntImm)) return r;
      let l = 1;
      for (const f of this.finalIndices) {
        postOrderVisit(f, (e) => {
          if ((e instanceof FloorDiv || e instanceof FloorMod) && e.b instanceof IntImm && e.b.value > 0 && usesVar(e.a, (u) => u === v)) {
            l = lcm(l, e.b.value);
          }
        });
      }
      const ext = Math.ceil(r.extent.value / l) * l;
      return ext === r.extent.value ? r : new Range(r.min, new IntImm(r.extent.dtype, ext));
    });
  }

  /** TVMScript lambda text, e.g. `lambda i, j: (j, i)`. */
  toText(): string {
    const outs = this.finalIndices.map((e) => printScript(e));
    const tuple = outs.length === 1 ? `(${outs[0]},)` : `(${outs.join(", ")})`;
    return `lambda ${this.initialIndices.map((v) => v.name).join(", ")}: ${tuple}`;
  }

  /** How a trace stores the map (the lambda text; TVM stores a JSON graph here). */
  toTraceInput(): string {
    return this.toText();
  }

  toString(): string {
    return this.toText();
  }
}

type IterNode = IterSumExpr | IterSplitExpr;

/**
 * TVM's InverseAffineIterMap: walk the iterator map from the outputs down to the input marks,
 * splitting the value of each fused sum into its digits; returns input var -> expression of
 * `outputs`, or undefined when a sum is not a plain fusion.
 */
function backPropagate(sums: readonly IterSumExpr[], outputs: readonly Var[]): Map<Var, PrimExpr> | undefined {
  const order: IterNode[] = [];
  const seen = new Set<IterNode>();
  const visit = (n: IterNode): void => {
    if (seen.has(n)) return;
    seen.add(n);
    if (n instanceof IterSumExpr) n.args.forEach(visit);
    else if (n.source.source instanceof IterSumExpr) visit(n.source.source);
    order.push(n);
  };
  sums.forEach(visit);
  order.reverse();
  const acc = new Map<IterNode, PrimExpr>();
  const addTo = (n: IterNode, x: PrimExpr) => acc.set(n, acc.has(n) ? E.add(acc.get(n)!, x) : x);
  sums.forEach((s, i) => addTo(s, outputs[i]!));
  const result = new Map<Var, PrimExpr>();
  const analyzer = new Analyzer();
  for (const n of order) {
    const value = acc.get(n) ?? new IntImm(n.dtype, 0);
    if (n instanceof IterSumExpr) {
      const input = E.sub(value, n.base);
      if (n.args.length === 0) continue; // a constant output: nothing to recover from it
      if (n.args.length === 1) {
        // A lone digit with a scale other than 1 leaves holes: injective, not bijective.
        if (!analyzer.canProveEqual(n.args[0]!.scale, new IntImm(n.dtype, 1))) return undefined;
        addTo(n.args[0]!, input);
        continue;
      }
      // A fusion: the last digit has the smallest scale and each scale is the product of the
      // extents below it.
      let expected = n.args[n.args.length - 1]!.scale;
      for (let k = n.args.length - 1; k >= 0; k--) {
        const s = n.args[k]!;
        if (!analyzer.canProveEqual(s.scale, expected)) return undefined;
        expected = E.mul(expected, s.extent);
        addTo(s, E.floormod(E.floordiv(input, s.scale), s.extent));
      }
    } else {
      const input = E.mul(value, n.lowerFactor);
      const src = n.source.source;
      if (src instanceof IterSumExpr) addTo(src, input);
      else {
        const v = markVar(n.source);
        if (!v) return undefined;
        result.set(v, result.has(v) ? E.add(result.get(v)!, input) : input);
      }
    }
  }
  return result;
}

/** The input variable of a mark over `v` or `v - min`. */
function markVar(m: IterMark): Var | undefined {
  const s = m.source;
  if (s instanceof Var) return s;
  const a = (s as { a?: unknown }).a;
  return s.kind === "Sub" && a instanceof Var ? a : undefined;
}

function castRange(r: Range, dtype: DataType): Range {
  if (r.min.dtype === dtype) return r;
  return new Range(E.cast(dtype, r.min), E.cast(dtype, r.extent));
}

/** An output of a map: a PrimExpr, or a JS integer taken in the index dtype. */
function toIndexExpr(x: unknown, dtype: DataType, what: string): PrimExpr {
  if (typeof x === "number") {
    if (!Number.isInteger(x)) throw new IndexMapError(`IndexMap: ${what} is ${x}; give non-integer values as PrimExprs (e.g. T.float32(0.5))`);
    return new IntImm(dtype, x);
  }
  if (!(x instanceof PrimExpr)) throw new IndexMapError(`IndexMap: ${what} must be a PrimExpr or an integer, got ${String(x)}`);
  return x;
}

function lcm(a: number, b: number): number {
  const gcd = (x: number, y: number): number => (y === 0 ? x : gcd(y, x % y));
  return (a / gcd(a, b)) * b;
}

/** The source text a parser span covers (1-based line/column, exclusive end). */
function sliceSpan(text: string, span: Span): string {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === "\n") starts.push(i + 1);
  const from = starts[span.line - 1]! + span.col - 1;
  const to = starts[span.endLine - 1]! + span.endCol - 1;
  return text.slice(from, to);
}

