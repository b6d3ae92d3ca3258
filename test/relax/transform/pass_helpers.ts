/**
 * Test helpers for the Relax passes: a small evaluator that runs a Relax function whose
 * bindings are call_tir (PrimFuncs in the TIR interpreter), calls of other Relax functions,
 * tuples, constants and match_casts, and naive reference arrays.
 */
import { expect } from "vitest";
import { Analyzer } from "../../../src/arith/analyzer.js";
import { int64, type DataType } from "../../../src/ir/dtype.js";
import { GlobalVar, IntImm, type PrimExpr, type Var as TirVar } from "../../../src/ir/expr.js";
import { substitute } from "../../../src/ir/expr_functor.js";
import type { IRModule } from "../../../src/ir/module.js";
import {
  Call, Constant, Function, MatchCast, PrimValue, SeqExpr, ShapeExpr, ShapeStructInfo, StructInfo, TensorStructInfo, Tuple,
  TupleGetItem, TupleStructInfo, Var, type Expr,
} from "../../../src/relax/index.js";
import { PrimFunc } from "../../../src/tir/function.js";
import { Rng, emptyArray, fromArray, randomArray, runPrimFunc, toArray, type HostArray } from "../../../src/tir/interp/index.js";

export type Value = HostArray | number[] | readonly Value[];

const analyzer = new Analyzer();

/** An int64 expression's value with the symbolic vars bound in `env`. */
export function evalDim(e: PrimExpr, env: ReadonlyMap<TirVar, number>): number {
  const m = new Map<TirVar, PrimExpr>();
  for (const [v, n] of env) m.set(v, new IntImm(int64, n));
  const r = analyzer.simplify(substitute(e, m));
  if (!(r instanceof IntImm)) throw new Error(`cannot evaluate ${String(e)}: unbound symbolic vars`);
  return r.value;
}

function bindDims(s: StructInfo, v: Value, env: Map<TirVar, number>): void {
  if (s instanceof TensorStructInfo) {
    const dims = s.dims;
    if (!dims) return;
    const a = v as HostArray;
    dims.forEach((d, i) => {
      if ((d.kind === "Var" || d.kind === "SizeVar") && !env.has(d as TirVar)) env.set(d as TirVar, a.shape[i]!);
    });
    dims.forEach((d, i) => expect(evalDim(d, env), `dim ${i} of a ${String(s)}`).toBe(a.shape[i]));
  } else if (s instanceof TupleStructInfo) {
    s.fields.forEach((f, i) => bindDims(f, (v as readonly Value[])[i]!, env));
  } else if (s instanceof ShapeStructInfo && s.values) {
    s.values.forEach((d, i) => {
      if ((d.kind === "Var" || d.kind === "SizeVar") && !env.has(d as TirVar)) env.set(d as TirVar, (v as number[])[i]!);
    });
  }
}

function alloc(s: StructInfo, env: ReadonlyMap<TirVar, number>): HostArray[] {
  if (s instanceof TupleStructInfo) return s.fields.flatMap((f) => alloc(f, env));
  const t = s as TensorStructInfo;
  return [emptyArray(t.dims!.map((d) => evalDim(d, env)), t.dtype)];
}

function constArray(c: Constant): HostArray {
  return fromArray(c.data as number[], c.shape, c.dtype);
}

/** Runs Relax function `name` of `mod` on `args`; counts PrimFunc calls in `stats`. */
export function evalRelax(mod: IRModule, name: string, args: readonly Value[], stats?: { calls: string[] }): Value {
  const fn = mod.get(name);
  if (!(fn instanceof Function)) throw new Error(`${name} is not a Relax function`);
  const env = new Map<TirVar, number>();
  const vals = new Map<Var, Value>();
  fn.params.forEach((p, i) => {
    vals.set(p, args[i]!);
    bindDims(p.structInfo, args[i]!, env);
  });
  const ev = (e: Expr): Value => {
    if (e instanceof Var) {
      const v = vals.get(e);
      if (v === undefined) throw new Error(`var ${e.name} has no value`);
      return v;
    }
    if (e instanceof Constant) return constArray(e);
    if (e instanceof Tuple) return e.fields.map(ev);
    if (e instanceof TupleGetItem) return (ev(e.tuple) as readonly Value[])[e.index]!;
    if (e instanceof ShapeExpr) return e.values.map((d) => evalDim(d, env));
    if (e instanceof PrimValue) return [evalDim(e.value, env)];
    if (e instanceof Call) {
      if (e.op instanceof GlobalVar) {
        const out = evalRelax(mod, e.op.name, e.args.map((a) => ev(a as Expr)), stats);
        return out;
      }
      const opName = (e.op as { name: string }).name;
      if (opName !== "relax.call_tir") throw new Error(`evalRelax: cannot run ${opName}`);
      const gv = e.args[0] as GlobalVar;
      const f = mod.get(gv.name) as PrimFunc;
      const ins = (e.args[1] as Tuple).fields.map((a) => ev(a) as HostArray);
      const outs = alloc(e.sinfoArgs[0]!, env);
      const tv = e.args[2] ? (ev(e.args[2] as Expr) as number[]) : [];
      stats?.calls.push(gv.name);
      runPrimFunc(f, [...ins, ...outs, ...tv]);
      return e.sinfoArgs[0] instanceof TupleStructInfo ? outs : outs[0]!;
    }
    throw new Error(`evalRelax: cannot evaluate ${e.kind}`);
  };
  const body = fn.body as SeqExpr;
  for (const b of body.blocks) {
    for (const x of b.bindings) {
      const v = ev(x.value);
      if (x instanceof MatchCast) bindDims(x.structInfo, v, env);
      vals.set(x.variable, v);
    }
  }
  return ev(body.body);
}

/** Random inputs for the params of a Relax function, with symbolic dims set from `dims`. */
export function randomArgs(fn: Function, dims: Readonly<Record<string, number>>, rng: Rng): HostArray[] {
  return fn.params.map((p) => {
    const s = p.structInfo as TensorStructInfo;
    const env = new Map<TirVar, number>();
    const shape = s.dims!.map((d) => {
      for (const [k, v] of Object.entries(dims)) {
        const tv = findVar(d, k);
        if (tv) env.set(tv, v);
      }
      return evalDim(d, env);
    });
    return randomArray(shape, s.dtype, rng);
  });
}

function findVar(e: PrimExpr, name: string): TirVar | undefined {
  if ((e.kind === "Var" || e.kind === "SizeVar") && (e as TirVar).name === name) return e as TirVar;
  for (const k of ["a", "b", "value"]) {
    const c = (e as unknown as Record<string, PrimExpr | undefined>)[k];
    if (c && typeof c === "object" && "dtype" in c) {
      const r = findVar(c, name);
      if (r) return r;
    }
  }
  return undefined;
}

export function expectArraysClose(a: Value, b: Value, tol = { rtol: 1e-5, atol: 1e-5 }): void {
  if (Array.isArray(a)) {
    expect(Array.isArray(b)).toBe(true);
    (a as unknown as readonly Value[]).forEach((x, i) => expectArraysClose(x, (b as unknown as readonly Value[])[i]!, tol));
    return;
  }
  const x = a as HostArray, y = b as HostArray;
  expect([...x.shape]).toEqual([...y.shape]);
  expect(x.dtype).toBe(y.dtype);
  const p = toArray(x), q = toArray(y);
  for (let i = 0; i < p.length; i++) {
    const ok = Math.abs(p[i]! - q[i]!) <= tol.atol + tol.rtol * Math.abs(q[i]!) || (Number.isNaN(p[i]!) && Number.isNaN(q[i]!));
    if (!ok) throw new Error(`element ${i}: ${p[i]} vs ${q[i]}`);
  }
}

export { Rng, randomArray, fromArray, toArray, emptyArray };
export type { HostArray, DataType };
