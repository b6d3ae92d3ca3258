/**
 * Reductions in TE: reduction axes, commutative reducers and the Reduce expression that forms
 * the whole body of a reducing compute (`compute([m], (i) => sum(A.at(i, k), k))`).
 *
 * A Reduce node only ever sits at the top of a compute body; createPrimFunc turns it into a
 * block with an `init` (the reducer's identity) and an update `C = combine(C, source)`.
 */
import { DataType } from "../ir/dtype.js";
import { PrimExpr, Range, Var, nodeToString } from "../ir/expr.js";
import { TRUE, IterVar } from "../tir/stmt.js";
import { registerNode, type Node } from "../ir/node.js";
import { add, sub, convert, matchTypes, max as maxExpr, maxValue, min as minExpr, minValue, mul, type ExprLike } from "../ir/expr_ops.js";
import { substitute } from "../ir/expr_functor.js";

/**
 * Vars created as TE axes (spatial or reduce). A compute body that mentions one of these which
 * is not an axis of that compute would leave an unbound variable in the PrimFunc, so compute
 * and reducers check against this set.
 */
const axisVars = new WeakSet<Var>();

export function markAxisVar(v: Var): void {
  axisVars.add(v);
}
export function isAxisVar(v: Var): boolean {
  return axisVars.has(v);
}

/** A reduction axis over `[begin, end)`; `dom` is an extent, `[begin, end]` or a Range. */
export function reduceAxis(dom: ExprLike | readonly [ExprLike, ExprLike] | Range, name = "rv"): IterVar {
  let range: Range;
  if (dom instanceof Range) {
    range = dom;
  } else if (Array.isArray(dom)) {
    const [b, e] = matchTypes(dom[0] as ExprLike, dom[1] as ExprLike);
    checkIntegral(`reduceAxis ${name}`, b);
    range = new Range(b, sub(e, b));
  } else {
    const ext = convert(dom as ExprLike);
    checkIntegral(`reduceAxis ${name}`, ext);
    range = Range.fromExtent(ext);
  }
  checkIntegral(`reduceAxis ${name}`, range.extent);
  const v = new Var(name, range.min.dtype);
  markAxisVar(v);
  return new IterVar(range, v, "CommReduce");
}

function checkIntegral(what: string, e: PrimExpr): void {
  if (!e.dtype.isIntegral() || e.dtype.lanes !== 1) {
    throw new TypeError(`${what}: the domain must be a scalar integer, got ${e.dtype}`);
  }
}

/**
 * A commutative reducer over one or more values: `result = combine(lhs, rhs)` with the
 * identity element for each value. lhs/rhs are placeholder variables that `combine` fills in.
 */
export class CommReducer implements Node {
  readonly kind = "CommReducer";
  constructor(
    readonly name: string,
    readonly lhs: readonly Var[],
    readonly rhs: readonly Var[],
    readonly result: readonly PrimExpr[],
    readonly identity: readonly PrimExpr[],
  ) {
    const n = lhs.length;
    if (rhs.length !== n || result.length !== n || identity.length !== n) {
      throw new TypeError(
        `CommReducer ${name}: ${n} lhs, ${rhs.length} rhs, ${result.length} results and ${identity.length} identities; they must agree`,
      );
    }
    for (let i = 0; i < n; i++) {
      const t = lhs[i]!.dtype;
      if (rhs[i]!.dtype !== t || result[i]!.dtype !== t || identity[i]!.dtype !== t) {
        throw new TypeError(
          `CommReducer ${name}: value ${i} is ${t} but rhs/result/identity are ${rhs[i]!.dtype}/${result[i]!.dtype}/${identity[i]!.dtype}`,
        );
      }
    }
  }

  get numValues(): number {
    return this.lhs.length;
  }

  /** The combined values for given left and right operands. */
  combine(lhsVals: readonly PrimExpr[], rhsVals: readonly PrimExpr[]): PrimExpr[] {
    const m = new Map<Var, PrimExpr>();
    this.lhs.forEach((v, i) => m.set(v, lhsVals[i]!));
    this.rhs.forEach((v, i) => m.set(v, rhsVals[i]!));
    return this.result.map((r) => substitute(r, m));
  }

  toString(): string {
    return `CommReducer(${this.name})`;
  }
}

/** `combiner` applied over `axis` to `source`, keeping only iterations where `condition` holds. */
export class Reduce extends PrimExpr {
  readonly kind = "Reduce";
  constructor(
    readonly combiner: CommReducer,
    readonly source: readonly PrimExpr[],
    readonly axis: readonly IterVar[],
    readonly condition: PrimExpr,
    readonly valueIndex: number,
  ) {
    super(source[valueIndex]?.dtype ?? DataType.get("handle", 0));
    if (source.length !== combiner.numValues) {
      throw new TypeError(`Reduce ${combiner.name}: ${source.length} source value(s) for a ${combiner.numValues}-value reducer`);
    }
    if (valueIndex < 0 || valueIndex >= source.length) {
      throw new RangeError(`Reduce ${combiner.name}: value index ${valueIndex} out of range [0, ${source.length})`);
    }
    if (!condition.dtype.isBool()) throw new TypeError(`Reduce ${combiner.name}: condition must be bool, got ${condition.dtype}`);
  }

  override toString(): string {
    const src = this.source.map((s) => nodeToString(s)).join(", ");
    return `reduce(${this.combiner.name}, [${src}], axis=[${this.axis.map((a) => a.variable.name).join(", ")}])`;
  }
}

registerNode("CommReducer", { name: "value", lhs: "defs", rhs: "defs", result: "nodes", identity: "nodes" });
registerNode("Reduce", { dtype: "value", combiner: "node", axis: "nodes", source: "nodes", condition: "node", valueIndex: "value" });

export type AxisArg = IterVar | readonly IterVar[];

function axisList(name: string, axis: AxisArg): IterVar[] {
  const list = Array.isArray(axis) ? [...(axis as readonly IterVar[])] : [axis as IterVar];
  if (list.length === 0) throw new TypeError(`${name}: expected at least one reduction axis`);
  const seen = new Set<IterVar>();
  for (const a of list) {
    if (!(a instanceof IterVar)) throw new TypeError(`${name}: axis must be an IterVar made by reduceAxis, got ${String(a)}`);
    if (a.iterType !== "CommReduce") {
      throw new TypeError(`${name}: axis ${a.variable.name} is a ${a.iterType} axis; reductions need axes made by reduceAxis`);
    }
    if (seen.has(a)) throw new TypeError(`${name}: axis ${a.variable.name} is given twice`);
    seen.add(a);
  }
  return list;
}

function whereCond(name: string, where: ExprLike | undefined): PrimExpr {
  if (where === undefined) return TRUE;
  const c = convert(where);
  if (!c.dtype.isBool()) throw new TypeError(`${name}: the where condition must be bool, got ${c.dtype}`);
  return c;
}

/** A single-value reducer: `(source, axis, where?) => Reduce`. */
export type Reducer = ((source: ExprLike, axis: AxisArg, where?: ExprLike) => Reduce) & { readonly reducerName: string };
/** A multi-value reducer: `(sources, axis, where?) => Reduce[]`, one per value. */
export type MultiReducer = ((sources: readonly ExprLike[], axis: AxisArg, where?: ExprLike) => Reduce[]) & {
  readonly reducerName: string;
};

/**
 * A user-defined single-value commutative reducer. `fcombine(x, y)` must be commutative and
 * associative; `fidentity(dtype)` gives its identity element for the value's dtype.
 */
export function commReducer(
  fcombine: (x: PrimExpr, y: PrimExpr) => ExprLike,
  fidentity: (dtype: DataType) => ExprLike,
  name = "reduce",
): Reducer {
  const multi = multiCommReducer(
    (l, r) => [fcombine(l[0]!, r[0]!)],
    (ts) => [fidentity(ts[0]!)],
    name,
  );
  const f = (source: ExprLike, axis: AxisArg, where?: ExprLike): Reduce => multi([source], axis, where)[0]!;
  return Object.assign(f, { reducerName: name });
}

/**
 * A user-defined reducer over several values at once (e.g. argmax's (index, value)). `fcombine`
 * gets the left and right operands as arrays and returns the combined values in the same order.
 */
export function multiCommReducer(
  fcombine: (lhs: PrimExpr[], rhs: PrimExpr[]) => readonly ExprLike[],
  fidentity: (dtypes: DataType[]) => readonly ExprLike[],
  name = "reduce",
): MultiReducer {
  const cache = new Map<string, CommReducer>();
  const build = (dtypes: DataType[]): CommReducer => {
    const key = dtypes.join(",");
    let r = cache.get(key);
    if (r) return r;
    const lhs = dtypes.map((t, i) => new Var(`x${dtypes.length > 1 ? i : ""}`, t));
    const rhs = dtypes.map((t, i) => new Var(`y${dtypes.length > 1 ? i : ""}`, t));
    const res = fcombine([...lhs], [...rhs]);
    const ids = fidentity([...dtypes]);
    if (res.length !== dtypes.length) {
      throw new TypeError(`${name}: fcombine returned ${res.length} value(s) for ${dtypes.length} input value(s)`);
    }
    if (ids.length !== dtypes.length) {
      throw new TypeError(`${name}: fidentity returned ${ids.length} value(s) for ${dtypes.length} input value(s)`);
    }
    const result = res.map((e, i) => convertTo(name, "fcombine", e, dtypes[i]!));
    const identity = ids.map((e, i) => convertTo(name, "fidentity", e, dtypes[i]!));
    r = new CommReducer(name, lhs, rhs, result, identity);
    cache.set(key, r);
    return r;
  };
  const f = (sources: readonly ExprLike[], axis: AxisArg, where?: ExprLike): Reduce[] => {
    const src = sources.map((s) => convert(s));
    for (const s of src) {
      if (s.dtype.lanes !== 1) throw new TypeError(`${name}: reduction values must be scalars, got ${s.dtype}`);
      if (s instanceof Reduce) throw new TypeError(`${name}: a reduction cannot be nested inside another reduction`);
    }
    const combiner = build(src.map((s) => s.dtype));
    const axes = axisList(name, axis);
    const cond = whereCond(name, where);
    return src.map((_, i) => new Reduce(combiner, src, axes, cond, i));
  };
  return Object.assign(f, { reducerName: name });
}

function convertTo(name: string, what: string, e: ExprLike, t: DataType): PrimExpr {
  const x = e instanceof PrimExpr ? e : convert(e, t);
  if (x.dtype !== t) throw new TypeError(`${name}: ${what} gave a ${x.dtype} value where ${t} was expected`);
  return x;
}

export const sum: Reducer = commReducer((x, y) => add(x, y), (t) => convert(0, t), "sum");
export const prod: Reducer = commReducer((x, y) => mul(x, y), (t) => convert(1, t), "prod");
export const max: Reducer = commReducer((x, y) => maxExpr(x, y), (t) => minValue(t), "max");
export const min: Reducer = commReducer((x, y) => minExpr(x, y), (t) => maxValue(t), "min");
