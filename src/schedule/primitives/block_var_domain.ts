/**
 * The "region to iterate" of compute_at / reverse_compute_at: given the region one instance of
 * a block provides (the point it writes, or for reverse_compute_at reads) and the region the
 * blocks under the target loop require, find for each block iter var the domain to iterate so
 * that the requirement is covered, plus a bound (the buffer's extent) that becomes a predicate
 * when the domain cannot be proven to stay inside it. TVM's BlockVarDomainInfo and
 * SolveBlockVarDomain, dimension by dimension.
 */
import type { Buffer } from "../../ir/buffer.js";
import { Add, FloorDiv, FloorMod, IntImm, Mul, Sub, Var, type PrimExpr } from "../../ir/expr.js";
import * as E from "../../ir/expr_ops.js";
import { Analyzer } from "../../arith/analyzer.js";
import { IntSet, POS_INF, intersect, union } from "../../arith/int_set.js";
import type { IterVar } from "../../tir/stmt.js";

/** Domain to iterate (`dom`) and the bound it must respect (`bound`, nothing = none). */
export class BlockVarDomain {
  constructor(
    public dom: IntSet = IntSet.nothing(),
    public bound: IntSet = IntSet.nothing(),
  ) {}

  /** (d0 ^ b0) v (d1 ^ b1), relaxed to (d0 v d1) ^ (b0 v b1) as TVM does. */
  unionWith(o: BlockVarDomain, analyzer: Analyzer): void {
    this.dom = union(this.dom, o.dom, analyzer);
    this.bound = union(this.bound, o.bound, analyzer);
  }

  /** Simplifies both sets and drops the bound when the domain provably lies inside it. */
  simplify(analyzer: Analyzer): void {
    const simp = (s: IntSet): IntSet =>
      new IntSet(s.hasLowerBound() ? analyzer.simplify(s.min) : s.min, s.hasUpperBound() ? analyzer.simplify(s.max) : s.max);
    if (this.dom.isNothing()) {
      if (this.bound.hasLowerBound() && this.bound.hasUpperBound()) {
        this.dom = simp(this.bound);
        this.bound = IntSet.nothing();
      }
      return;
    }
    this.dom = simp(this.dom);
    this.bound = simp(this.bound);
    const meet = simp(intersect(this.dom, this.bound, analyzer));
    const same = (a: PrimExpr, b: PrimExpr) => a === b || (a !== POS_INF && b !== POS_INF && analyzer.canProveEqual(a, b));
    if (same(this.dom.min, meet.min) && same(this.dom.max, meet.max)) {
      this.bound = IntSet.nothing();
    } else if (same(this.bound.min, meet.min) && same(this.bound.max, meet.max)) {
      this.dom = this.bound;
      this.bound = IntSet.nothing();
    } else if (meet.min instanceof IntImm && meet.max instanceof IntImm) {
      // A bound that makes the range constant is folded into the loop domain.
      this.dom = meet;
      this.bound = IntSet.nothing();
    }
  }
}

interface Solution {
  readonly variable: Var;
  readonly info: BlockVarDomain;
}

const interval = (lo: PrimExpr, hi: PrimExpr): IntSet => new IntSet(lo, hi);

/**
 * Which iter var one dimension of the provided region depends on, and the domain of that var
 * covering the required interval. Forms: `v * e` / `e * v`, and for a single point `v`,
 * `v + c` / `v - c`, `f // c`, `f % c` (recursing into `f`). Undefined when no form matches.
 */
function solve(provided: IntSet, required: IntSet, dimMax: PrimExpr, analyzer: Analyzer): Solution | undefined {
  const pmin = analyzer.simplify(provided.min);
  const pmax = analyzer.simplify(provided.max);
  const rmin = analyzer.simplify(required.min);
  const rmax = required.hasUpperBound() ? analyzer.simplify(required.max) : required.max;
  const bounded = rmax !== POS_INF;
  if (pmin instanceof Mul && (pmin.a instanceof Var || pmin.b instanceof Var)) {
    const [v, e] = pmin.a instanceof Var ? [pmin.a, pmin.b] : [pmin.b as Var, pmin.a];
    const dom = interval(E.floordiv(rmin, e), bounded ? E.floordiv(rmax, e) : POS_INF);
    return { variable: v, info: new BlockVarDomain(dom, interval(E.constant(0, v.dtype), E.floordiv(dimMax, e))) };
  }
  if (!analyzer.canProveEqual(pmin, pmax)) return undefined;
  if (pmin instanceof Var) {
    return { variable: pmin, info: new BlockVarDomain(interval(rmin, rmax), interval(E.constant(0, pmin.dtype), dimMax)) };
  }
  // A shifted index (`v + 1` from a padded layout): shift the requirement back.
  if ((pmin instanceof Add || pmin instanceof Sub) && pmin.a instanceof Var && pmin.b instanceof IntImm) {
    const c = pmin instanceof Add ? pmin.b.value : -pmin.b.value;
    const v = pmin.a;
    const dom = interval(E.sub(rmin, c), bounded ? E.sub(rmax, c) : POS_INF);
    return { variable: v, info: new BlockVarDomain(dom, interval(E.constant(-c, v.dtype), E.sub(dimMax, c))) };
  }
  if (pmin instanceof FloorDiv && analyzer.canProveGreaterEqual(pmin.b, 1)) {
    // a <= x // f <= b with f > 0  <=>  a * f <= x <= b * f + f - 1
    const f = pmin.b;
    const lo = E.mul(rmin, f);
    const hi = bounded ? analyzer.simplify(E.sub(E.add(E.mul(rmax, f), f), 1)) : POS_INF;
    if (pmin.a instanceof Var) {
      const bound = interval(E.constant(0, pmin.a.dtype), analyzer.simplify(E.sub(E.add(E.mul(dimMax, f), f), 1)));
      return { variable: pmin.a, info: new BlockVarDomain(interval(lo, hi), bound) };
    }
    return solve(IntSet.single(pmin.a), interval(lo, hi), dimMax, analyzer);
  }
  if (pmin instanceof FloorMod) {
    // x % f constrains nothing about x.
    if (pmin.a instanceof Var) return { variable: pmin.a, info: new BlockVarDomain() };
    if (analyzer.canProveGreaterEqual(pmin.a, 1) && analyzer.canProveGreaterEqual(pmin.b, 1) && analyzer.canProveGreaterEqual(rmin, 0)) {
      return solve(IntSet.single(pmin.a), interval(rmin, POS_INF), dimMax, analyzer);
    }
  }
  return undefined;
}

/** Why a provided / required pair could not be solved; the caller turns it into a ScheduleError. */
export class DomainError extends Error {}

/**
 * For each iter var of the block, the domain to iterate so that for every buffer the provided
 * region covers the union of the required ones. `provided` / `required` map buffers to regions
 * (one interval per dimension); buffers without requirements impose nothing, and iter vars
 * nothing constrains iterate over their whole domain.
 */
export function blockVarDomains(
  iterVars: readonly IterVar[],
  provided: ReadonlyMap<Buffer, IntSet[][]>,
  required: ReadonlyMap<Buffer, IntSet[][]>,
  analyzer: Analyzer,
): BlockVarDomain[] {
  const doms = new Map<Var, BlockVarDomain>(iterVars.map((iv) => [iv.variable, new BlockVarDomain()]));
  for (const [buf, provs] of provided) {
    const reqs = required.get(buf);
    if (!reqs || reqs.length === 0) continue;
    const req = unionRegions(reqs, analyzer);
    const prov = unionRegions(provs, analyzer);
    for (let d = 0; d < buf.shape.length; d++) {
      const p = prov[d]!, r = req[d]!;
      const dimMax = E.max(E.sub(buf.shape[d]!, 1), 0);
      if (p.isSinglePoint(analyzer) && p.min instanceof IntImm) {
        if (!(r.isSinglePoint(analyzer) && analyzer.canProveEqual(p.min, r.min))) {
          throw new DomainError(`dimension ${d} of buffer ${buf.name} is provided only at index ${p.min}, but ${r} is required`);
        }
        continue;
      }
      const sol = solve(p, r, dimMax, analyzer);
      const own = sol && doms.get(sol.variable);
      if (own) {
        own.unionWith(sol.info, analyzer);
      } else if (!coversExactly(p, r, analyzer)) {
        const form = String(analyzer.simplify(p.min));
        throw new DomainError(
          sol
            ? `dimension ${d} of buffer ${buf.name} depends on ${sol.variable.name}, which is not an iter var of the block`
            : `dimension ${d} of buffer ${buf.name} is accessed at ${form}, which is not of a form v, v * c, v + c, v // c or v % c of one block iter var`,
        );
      }
    }
  }
  return iterVars.map((iv) => {
    const info = doms.get(iv.variable)!;
    const full = IntSet.fromRange(iv.dom);
    info.bound = info.bound.isNothing() ? full : intersect(info.bound, full, analyzer);
    info.simplify(analyzer);
    if (info.dom.isNothing()) throw new DomainError(`iter var ${iv.variable.name} gets an empty domain`);
    return info;
  });
}

/** A region that no iter var shapes must equal what is required. */
function coversExactly(p: IntSet, r: IntSet, analyzer: Analyzer): boolean {
  if (!p.hasLowerBound() || !p.hasUpperBound() || !r.hasLowerBound() || !r.hasUpperBound()) return false;
  return analyzer.canProveEqual(p.min, r.min) && analyzer.canProveEqual(p.max, r.max);
}

function unionRegions(regions: readonly IntSet[][], analyzer: Analyzer): IntSet[] {
  const out = [...regions[0]!];
  for (const r of regions.slice(1)) r.forEach((s, d) => (out[d] = union(out[d]!, s, analyzer)));
  return out;
}

