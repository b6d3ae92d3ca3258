/**
 * Reasoning about StructInfo: subtyping (`isBaseOf`: is one struct info at least as general as
 * another, proving symbolic dims equal with an Analyzer), the least upper bound of two (the
 * struct info of an `If`), erasure to less specific forms, and substitution of symbolic vars.
 */
import { Analyzer } from "../arith/analyzer.js";
import { voidType } from "../ir/dtype.js";
import { IntImm, type PrimExpr, type Var as TirVar } from "../ir/expr.js";
import { collectVars, substitute } from "../ir/expr_functor.js";
import * as E from "../ir/expr_ops.js";
import { structuralEqual } from "../ir/structural.js";
import { ShapeExpr, type Expr } from "./expr.js";
import { constantDifference } from "./poly.js";
import {
  FuncStructInfo, ObjectStructInfo, PrimStructInfo, ShapeStructInfo, StructInfo, TensorStructInfo, TupleStructInfo,
} from "./struct_info.js";

/**
 * The result of checking that a value of struct info `derived` may be used where `base` is
 * expected: "pass" (statically true), "runtime" (not provable now; a run-time check can
 * decide, e.g. symbolic dims or a less specific argument), "fail" (statically false).
 */
export type BaseCheck = "pass" | "runtime" | "fail";

function worst(a: BaseCheck, b: BaseCheck): BaseCheck {
  if (a === "fail" || b === "fail") return "fail";
  if (a === "runtime" || b === "runtime") return "runtime";
  return "pass";
}

/** Whether two int64 dims are equal: proved, disproved, or undecided. */
export function compareDims(a: PrimExpr, b: PrimExpr, analyzer: Analyzer): BaseCheck {
  if (a === b || analyzer.canProveEqual(a, b)) return "pass";
  if (a instanceof IntImm && b instanceof IntImm) return "fail";
  if (a.dtype === b.dtype) {
    const d = constantDifference(analyzer.simplify(a), analyzer.simplify(b));
    if (d !== undefined) return d === 0 ? "pass" : "fail";
  }
  if (a.dtype === b.dtype && analyzer.canProve(E.ne(a, b))) return "fail";
  return "runtime";
}

function dimsCheck(base: readonly PrimExpr[], derived: readonly PrimExpr[], analyzer: Analyzer): BaseCheck {
  if (base.length !== derived.length) return "fail";
  let r: BaseCheck = "pass";
  for (let i = 0; i < base.length; i++) {
    r = worst(r, compareDims(base[i]!, derived[i]!, analyzer));
    if (r === "fail") return r;
  }
  return r;
}

function ndimCheck(base: number, derived: number): BaseCheck {
  if (base < 0) return "pass";
  if (derived < 0) return "runtime";
  return base === derived ? "pass" : "fail";
}

export function baseCheck(base: StructInfo, derived: StructInfo, analyzer: Analyzer = new Analyzer()): BaseCheck {
  if (base instanceof ObjectStructInfo) return "pass";
  if (derived instanceof ObjectStructInfo) return "runtime";
  if (base instanceof PrimStructInfo) {
    if (!(derived instanceof PrimStructInfo)) return "fail";
    if (base.dtype !== voidType && base.dtype !== derived.dtype) return derived.dtype === voidType ? "runtime" : "fail";
    if (!base.value) return "pass";
    if (!derived.value) return "runtime";
    if (base.value.dtype !== derived.value.dtype) return "fail";
    return base.value.dtype.isIntegral() ? compareDims(base.value, derived.value, analyzer) : structuralEqual(base.value, derived.value) ? "pass" : "runtime";
  }
  if (base instanceof ShapeStructInfo) {
    if (!(derived instanceof ShapeStructInfo)) return "fail";
    const n = ndimCheck(base.ndim, derived.ndim);
    if (n !== "pass" || !base.values) return n;
    if (!derived.values) return "runtime";
    return dimsCheck(base.values, derived.values, analyzer);
  }
  if (base instanceof TensorStructInfo) {
    if (!(derived instanceof TensorStructInfo)) return "fail";
    let r: BaseCheck = "pass";
    if (base.dtype !== voidType && base.dtype !== derived.dtype) r = derived.dtype === voidType ? "runtime" : "fail";
    if (r === "fail") return r;
    r = worst(r, ndimCheck(base.ndim, derived.ndim));
    if (r === "fail") return r;
    const bd = base.dims;
    if (!bd) {
      // A shape var we cannot see into: equal only if it is the same shape.
      if (base.shape && base.shape !== derived.shape) return worst(r, "runtime");
      return r;
    }
    const dd = derived.dims;
    if (!dd) return worst(r, "runtime");
    return worst(r, dimsCheck(bd, dd, analyzer));
  }
  if (base instanceof TupleStructInfo) {
    if (!(derived instanceof TupleStructInfo)) return "fail";
    if (base.fields.length !== derived.fields.length) return "fail";
    let r: BaseCheck = "pass";
    for (let i = 0; i < base.fields.length && r !== "fail"; i++) r = worst(r, baseCheck(base.fields[i]!, derived.fields[i]!, analyzer));
    return r;
  }
  if (base instanceof FuncStructInfo) {
    if (!(derived instanceof FuncStructInfo)) return "fail";
    if (base.purity && !derived.purity) return "fail";
    if (!base.params) return derived.params ? "pass" : baseCheck(base.ret, derived.ret, analyzer);
    if (!derived.params) return "runtime";
    if (base.params.length !== derived.params.length) return "fail";
    let r: BaseCheck = baseCheck(base.ret, derived.ret, analyzer);
    // Parameters are contravariant: the derived function must accept what the base accepts.
    for (let i = 0; i < base.params.length && r !== "fail"; i++) r = worst(r, baseCheck(derived.params[i]!, base.params[i]!, analyzer));
    return r;
  }
  throw new Error(`internal: baseCheck does not know struct info ${base.kind}`);
}

/** Whether `base` is at least as general as `derived`, provably (symbolic dims via `analyzer`). */
export function isBaseOf(base: StructInfo, derived: StructInfo, analyzer?: Analyzer): boolean {
  return baseCheck(base, derived, analyzer) === "pass";
}

/**
 * The most specific struct info both `a` and `b` are instances of (the join): what an `If`
 * whose branches have these struct infos evaluates to.
 */
export function unifyStructInfo(a: StructInfo, b: StructInfo, analyzer: Analyzer = new Analyzer()): StructInfo {
  if (a === b) return a;
  if (a instanceof ObjectStructInfo || b instanceof ObjectStructInfo) return new ObjectStructInfo();
  if (a instanceof PrimStructInfo && b instanceof PrimStructInfo) {
    if (a.dtype !== b.dtype) return new ObjectStructInfo();
    if (a.value && b.value && a.value.dtype.isIntegral() && compareDims(a.value, b.value, analyzer) === "pass") return a;
    return new PrimStructInfo(a.dtype);
  }
  if (a instanceof ShapeStructInfo && b instanceof ShapeStructInfo) {
    if (a.ndim !== b.ndim) return new ShapeStructInfo(-1);
    if (a.values && b.values && dimsCheck(a.values, b.values, analyzer) === "pass") return a;
    return new ShapeStructInfo(a.ndim);
  }
  if (a instanceof TensorStructInfo && b instanceof TensorStructInfo) {
    const dtype = a.dtype === b.dtype ? a.dtype : voidType;
    if (a.ndim !== b.ndim) return new TensorStructInfo(-1, dtype);
    const ad = a.dims, bd = b.dims;
    if (a.shape && (a.shape === b.shape || (ad && bd && dimsCheck(ad, bd, analyzer) === "pass"))) return new TensorStructInfo(a.shape, dtype);
    return new TensorStructInfo(a.ndim, dtype);
  }
  if (a instanceof TupleStructInfo && b instanceof TupleStructInfo) {
    if (a.fields.length !== b.fields.length) return new ObjectStructInfo();
    return new TupleStructInfo(a.fields.map((f, i) => unifyStructInfo(f, b.fields[i]!, analyzer)));
  }
  if (a instanceof FuncStructInfo && b instanceof FuncStructInfo) {
    if (structuralEqual(a, b)) return a;
    return FuncStructInfo.opaque(unifyStructInfo(a.ret, b.ret, analyzer), a.purity && b.purity);
  }
  return new ObjectStructInfo();
}

/** Drops every symbolic fact, keeping kinds, dtypes and ranks (`R.Tensor(ndim=2, dtype=...)`). */
export function eraseShapes(s: StructInfo): StructInfo {
  if (s instanceof PrimStructInfo) return s.value ? new PrimStructInfo(s.dtype) : s;
  if (s instanceof ShapeStructInfo) return s.values ? new ShapeStructInfo(s.ndim) : s;
  if (s instanceof TensorStructInfo) return s.shape ? new TensorStructInfo(s.ndim, s.dtype) : s;
  if (s instanceof TupleStructInfo) return new TupleStructInfo(s.fields.map(eraseShapes));
  return s;
}

/**
 * Rewrites `s` so it only mentions symbolic vars for which `isDefined` holds and no shape
 * Vars for which `isRelaxDefined` fails: what a value's struct info can say outside the scope
 * that defined those vars (a function's result, a dataflow block's output).
 */
export function eraseToWellDefined(
  s: StructInfo,
  isDefined: (v: TirVar) => boolean,
  isRelaxDefined: (v: Expr) => boolean = () => true,
): StructInfo {
  const ok = (e: PrimExpr) => collectVars(e).every(isDefined);
  if (s instanceof PrimStructInfo) return s.value && !ok(s.value) ? new PrimStructInfo(s.dtype) : s;
  if (s instanceof ShapeStructInfo) return s.values && !s.values.every(ok) ? new ShapeStructInfo(s.ndim) : s;
  if (s instanceof TensorStructInfo) {
    if (!s.shape) return s;
    if (s.shape instanceof ShapeExpr) return s.shape.values.every(ok) ? s : new TensorStructInfo(s.ndim, s.dtype);
    if (isRelaxDefined(s.shape)) return s;
    const dims = s.dims;
    return dims && dims.every(ok) ? new TensorStructInfo(new ShapeExpr(dims), s.dtype) : new TensorStructInfo(s.ndim, s.dtype);
  }
  if (s instanceof TupleStructInfo) {
    const fields = s.fields.map((f) => eraseToWellDefined(f, isDefined, isRelaxDefined));
    return fields.every((f, i) => f === s.fields[i]) ? s : new TupleStructInfo(fields);
  }
  return s;
}

/** Replaces symbolic vars in `s` (for calling a function whose signature has symbolic dims). */
export function substituteStructInfo(s: StructInfo, vmap: ReadonlyMap<TirVar, PrimExpr>, analyzer?: Analyzer): StructInfo {
  const sub = (e: PrimExpr) => {
    const r = substitute(e, vmap);
    return analyzer && r !== e ? analyzer.simplify(r) : r;
  };
  if (vmap.size === 0) return s;
  if (s instanceof PrimStructInfo) return s.value ? new PrimStructInfo(sub(s.value)) : s;
  if (s instanceof ShapeStructInfo) return s.values ? new ShapeStructInfo(s.values.map(sub)) : s;
  if (s instanceof TensorStructInfo) {
    if (!(s.shape instanceof ShapeExpr)) return s;
    return new TensorStructInfo(new ShapeExpr(s.shape.values.map(sub)), s.dtype);
  }
  if (s instanceof TupleStructInfo) return new TupleStructInfo(s.fields.map((f) => substituteStructInfo(f, vmap, analyzer)));
  if (s instanceof FuncStructInfo) {
    return new FuncStructInfo(s.params?.map((p) => substituteStructInfo(p, vmap, analyzer)), substituteStructInfo(s.ret, vmap, analyzer), s.purity);
  }
  return s;
}

/**
 * Matches a parameter struct info against an argument's, binding the parameter's symbolic
 * vars that stand alone as dims (`n` in `(n, 4)`) to the argument's dims.
 */
export function matchSymbolicVars(param: StructInfo, arg: StructInfo, out: Map<TirVar, PrimExpr>): void {
  const dims = (s: StructInfo) => (s instanceof TensorStructInfo ? s.dims : s instanceof ShapeStructInfo ? s.values : undefined);
  if (param instanceof TupleStructInfo && arg instanceof TupleStructInfo) {
    param.fields.forEach((f, i) => arg.fields[i] && matchSymbolicVars(f, arg.fields[i]!, out));
    return;
  }
  if (param instanceof PrimStructInfo && arg instanceof PrimStructInfo && param.value && arg.value) {
    bindDim(param.value, arg.value, out);
    return;
  }
  const pd = dims(param), ad = dims(arg);
  if (!pd || !ad || pd.length !== ad.length) return;
  pd.forEach((d, i) => bindDim(d, ad[i]!, out));
}

function bindDim(p: PrimExpr, a: PrimExpr, out: Map<TirVar, PrimExpr>): void {
  if ((p.kind === "Var" || p.kind === "SizeVar") && !out.has(p as TirVar)) out.set(p as TirVar, a);
}

/** The symbolic vars a struct info mentions, in first-occurrence order. */
export function structInfoVars(s: StructInfo, out: TirVar[] = []): TirVar[] {
  const add = (e: PrimExpr) => {
    for (const v of collectVars(e)) if (!out.includes(v)) out.push(v);
  };
  if (s instanceof PrimStructInfo && s.value) add(s.value);
  else if (s instanceof ShapeStructInfo && s.values) s.values.forEach(add);
  else if (s instanceof TensorStructInfo) s.dims?.forEach(add);
  else if (s instanceof TupleStructInfo) s.fields.forEach((f) => structInfoVars(f, out));
  else if (s instanceof FuncStructInfo) {
    s.params?.forEach((p) => structInfoVars(p, out));
    structInfoVars(s.ret, out);
  }
  return out;
}
