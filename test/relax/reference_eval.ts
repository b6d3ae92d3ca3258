/**
 * The test-only reference evaluator of Relax functions. One interpreter walks bindings,
 * tuples, constants, match_casts (which bind symbolic dims) and calls of module functions; what
 * a call of an operator means depends on the level of the IR under test:
 *
 * - `evalMain`: high-level operators (R.add, R.matmul, ...) on float64 arrays with the naive
 *   kernels of reference_ops.ts, for checking frontends numerically before anything is lowered.
 * - `evalRelax`: lowered modules, where every operator is an R.call_tir of a module PrimFunc run
 *   in the TIR interpreter on typed arrays. Any other operator is an error: a pass that left one
 *   behind must fail the test, not be evaluated around.
 */
import { expect } from "vitest";
import { Analyzer } from "../../src/arith/analyzer.js";
import { int64 } from "../../src/ir/dtype.js";
import { GlobalVar, IntImm, type PrimExpr, type Var as TirVar } from "../../src/ir/expr.js";
import { substitute } from "../../src/ir/expr_functor.js";
import type { IRModule } from "../../src/ir/module.js";
import {
  Call, Constant, Function, MatchCast, PrimValue, RelaxOp, SeqExpr, ShapeExpr, ShapeStructInfo, StructInfo, TensorStructInfo, Tuple,
  TupleGetItem, TupleStructInfo, Var, type Expr,
} from "../../src/relax/index.js";
import { PrimFunc } from "../../src/tir/function.js";
import { emptyArray, fromArray, runPrimFunc, toArray, type HostArray } from "../../src/tir/interp/index.js";
import * as ref from "./reference_ops.js";
import * as extra from "./reference_ops_extra.js";
import type { Nd } from "./reference_ops.js";

/** A tensor (typed for lowered IR, float64 for high-level IR), a shape or prim value, or a tuple. */
export type Value = HostArray | Nd | number[] | readonly Value[];

const analyzer = new Analyzer();

/** An int64 expression's value with the symbolic vars bound in `env`. */
export function evalDim(e: PrimExpr, env: ReadonlyMap<TirVar, number>): number {
  const m = new Map<TirVar, PrimExpr>();
  for (const [v, n] of env) m.set(v, new IntImm(int64, n));
  const r = analyzer.simplify(substitute(e, m));
  if (!(r instanceof IntImm)) throw new Error(`cannot evaluate ${String(e)}: unbound symbolic vars`);
  return r.value;
}

const isSymbol = (d: PrimExpr): d is TirVar => d.kind === "Var" || d.kind === "SizeVar";

/** Binds the symbolic dims `s` mentions first to those of `v`, and checks the others. */
function bindDims(s: StructInfo, v: Value, env: Map<TirVar, number>): void {
  if (s instanceof TensorStructInfo) {
    const dims = s.dims;
    if (!dims) return;
    const shape = (v as Nd | HostArray).shape;
    dims.forEach((d, i) => {
      if (isSymbol(d) && !env.has(d)) env.set(d, shape[i]!);
    });
    dims.forEach((d, i) => expect(evalDim(d, env), `dim ${i} of a ${String(s)}`).toBe(shape[i]));
  } else if (s instanceof TupleStructInfo) {
    s.fields.forEach((f, i) => bindDims(f, (v as readonly Value[])[i]!, env));
  } else if (s instanceof ShapeStructInfo && s.values) {
    s.values.forEach((d, i) => {
      if (isSymbol(d) && !env.has(d)) env.set(d, (v as number[])[i]!);
    });
  }
}

type Level = "operators" | "call_tir";

class Interpreter {
  constructor(
    private readonly mod: IRModule | undefined,
    private readonly level: Level,
    private readonly stats?: { calls: string[] },
  ) {}

  run(fn: Function, args: readonly Value[]): Value {
    if (args.length !== fn.params.length) throw new Error(`the function takes ${fn.params.length} argument(s), got ${args.length}`);
    const env = new Map<TirVar, number>();
    const vals = new Map<Var, Value>();
    fn.params.forEach((p, i) => {
      vals.set(p, args[i]!);
      bindDims(p.structInfo, args[i]!, env);
    });
    const frame = { env, vals };
    const body = fn.body as SeqExpr;
    for (const b of body.blocks) {
      for (const x of b.bindings) {
        const v = this.expr(x.value, frame);
        if (x instanceof MatchCast) bindDims(x.structInfo, v, env);
        vals.set(x.variable, v);
      }
    }
    return this.expr(body.body, frame);
  }

  private expr(e: Expr, f: { env: Map<TirVar, number>; vals: Map<Var, Value> }): Value {
    if (e instanceof Var) {
      const v = f.vals.get(e);
      if (v === undefined) throw new Error(`var ${e.name} has no value`);
      return v;
    }
    if (e instanceof Constant) return this.level === "call_tir" ? fromArray(e.data as number[], e.shape, e.dtype) : { shape: [...e.shape], data: Float64Array.from(e.data) };
    if (e instanceof Tuple) return e.fields.map((x) => this.expr(x, f));
    if (e instanceof TupleGetItem) return (this.expr(e.tuple, f) as readonly Value[])[e.index]!;
    if (e instanceof ShapeExpr) return e.values.map((d) => evalDim(d, f.env));
    if (e instanceof PrimValue) return [evalDim(e.value, f.env)];
    if (!(e instanceof Call)) throw new Error(`the reference evaluator cannot evaluate a ${e.kind}`);
    const args = () => e.args.map((a) => this.expr(a as Expr, f));
    if (e.op instanceof GlobalVar) {
      const callee = this.mod?.get(e.op.name);
      if (!(callee instanceof Function)) throw new Error(`@${e.op.name} is not a Relax function of the module`);
      return this.run(callee, args());
    }
    if (!(e.op instanceof RelaxOp)) throw new Error("the reference evaluator only calls operators and module functions");
    if (this.level === "operators") return operator(e.op.scriptName, args(), e.attrs, (d) => evalDim(d, f.env));
    if (e.op.name !== "relax.call_tir") throw new Error(`evalRelax: cannot run R.${e.op.scriptName}; a lowered module calls only R.call_tir`);
    return this.callTir(e, f);
  }

  private callTir(e: Call, f: { env: Map<TirVar, number>; vals: Map<Var, Value> }): Value {
    const gv = e.args[0] as GlobalVar;
    const prim = this.mod?.get(gv.name);
    if (!(prim instanceof PrimFunc)) throw new Error(`R.call_tir of @${gv.name}, which is not a PrimFunc of the module`);
    const ins = (e.args[1] as Tuple).fields.map((a) => this.expr(a, f) as HostArray);
    const alloc = (s: StructInfo): HostArray[] => {
      if (s instanceof TupleStructInfo) return s.fields.flatMap(alloc);
      const t = s as TensorStructInfo;
      return [emptyArray(t.dims!.map((d) => evalDim(d, f.env)), t.dtype)];
    };
    const outs = alloc(e.sinfoArgs[0]!);
    const tirVars = e.args[2] ? (this.expr(e.args[2] as Expr, f) as number[]) : [];
    this.stats?.calls.push(gv.name);
    runPrimFunc(prim, [...ins, ...outs, ...tirVars]);
    return e.sinfoArgs[0] instanceof TupleStructInfo ? outs : outs[0]!;
  }
}

const axesList = (v: unknown): number[] | null => (v === null || v === undefined ? null : Array.isArray(v) ? (v as number[]) : [v as number]);

const BINARY: Record<string, (p: number, q: number) => number> = {
  add: (p, q) => p + q, subtract: (p, q) => p - q, multiply: (p, q) => p * q, divide: (p, q) => p / q, power: Math.pow,
  maximum: Math.max, minimum: Math.min, greater: (p, q) => +(p > q), less: (p, q) => +(p < q), equal: (p, q) => +(p === q),
  logical_and: (p, q) => +(!!p && !!q), logical_or: (p, q) => +(!!p || !!q), logical_xor: (p, q) => +(!!p !== !!q),
};
const UNARY: Record<string, (p: number) => number> = {
  exp: Math.exp, log: Math.log, sqrt: Math.sqrt, tanh: Math.tanh, erf: ref.erf, negative: (p) => -p, abs: Math.abs, sigmoid: ref.sigmoid,
  "nn.relu": (p) => Math.max(p, 0), "nn.gelu": ref.gelu,
  logical_not: (p) => +!p, isnan: (p) => +Number.isNaN(p), isinf: (p) => +(Math.abs(p) === Infinity), isfinite: (p) => +Number.isFinite(p),
};

/** A high-level operator on float64 arrays. */
function operator(name: string, args: readonly Value[], a: Call["attrs"], dim: (e: PrimExpr) => number): Value {
  const x = args[0] as Nd, y = args[1] as Nd;
  if (BINARY[name]) return ref.bcast([x, y], BINARY[name]!);
  if (UNARY[name]) return ref.map(x, UNARY[name]!);
  const keep = a["keepdims"] === true;
  switch (name) {
    case "where":
      return ref.bcast([x, y, args[2] as Nd], (c, p, q) => (c ? p : q));
    case "matmul":
      return ref.matmul(x, y);
    case "permute_dims":
      return ref.transpose(x, (a["axes"] as number[] | null) ?? [...x.shape.keys()].reverse());
    case "reshape":
      return { shape: args[1] as number[], data: x.data };
    case "broadcast_to":
      return ref.bcast([x, { shape: args[1] as number[], data: new Float64Array(ref.numel(args[1] as number[])) }], (p) => p);
    case "expand_dims": {
      const shape = [...x.shape];
      const axes = (axesList(a["axis"]) ?? []).map((v) => (v < 0 ? v + x.shape.length + 1 : v)).sort((p, q) => p - q);
      for (const ax of axes) shape.splice(ax, 0, 1);
      return { shape, data: x.data };
    }
    case "squeeze": {
      const ax = new Set((axesList(a["axis"]) ?? []).map((v) => (v < 0 ? v + x.shape.length : v)));
      return { shape: x.shape.filter((d, i) => !(ax.has(i) || (ax.size === 0 && d === 1))), data: x.data };
    }
    case "concat":
      return ref.concat(args[0] as Nd[], a["axis"] as number);
    case "split": {
      const axis = (a["axis"] as number) < 0 ? (a["axis"] as number) + x.shape.length : (a["axis"] as number);
      const d = x.shape[axis]!, s = a["indices_or_sections"] as number | number[];
      const cuts = Array.isArray(s) ? s : Array.from({ length: s - 1 }, (_, i) => ((i + 1) * d) / s);
      const bounds = [0, ...cuts, d];
      return bounds.slice(1).map((e, i) => ref.slice(x, [axis], [bounds[i]!], [e], [1]));
    }
    case "strided_slice":
      return stridedSlice(x, a, dim);
    case "take":
      return ref.take(x, y, a["axis"] as number | null);
    case "sum":
    case "mean":
    case "max":
    case "min":
      return ref.reduce(x, axesList(a["axis"]), keep, name);
    case "nn.softmax":
      return ref.softmax(x, a["axis"] as number);
    case "nn.layer_norm":
      return ref.layerNorm(x, y, args[2] as Nd, a["axes"] as number[], a["epsilon"] as number);
    case "nn.conv2d": {
      const [pt, pl, pb, pr] = a["padding"] as number[];
      return ref.conv2d(x, y, {
        strides: a["strides"] as [number, number], pad: [pt!, pl!, pb!, pr!], dilation: a["dilation"] as [number, number], groups: a["groups"] as number,
      });
    }
    case "nn.max_pool2d":
      return ref.pool2d(x, "max", a["pool_size"] as [number, number], a["strides"] as [number, number], a["padding"] as [number, number, number, number], false);
    case "nn.conv2d_transpose": {
      const p4 = a["padding"] as number[], op2 = a["output_padding"] as number[];
      return extra.conv2dTranspose(x, y, {
        strides: a["strides"] as [number, number], dilation: a["dilation"] as [number, number], groups: a["groups"] as number,
        pad: [p4[0]!, p4[1]!, p4[2]!, p4[3]!], outputPadding: [op2[0]!, op2[1]!],
      });
    }
    case "topk": {
      const [vals, idx] = extra.topk(x, a["k"] as number, a["axis"] as number, a["largest"] === true);
      const ret = a["ret_type"];
      return ret === "both" ? [vals, idx] : ret === "values" ? vals : idx;
    }
    case "argmax":
    case "argmin":
      return extra.argReduce(x, name === "argmax" ? "max" : "min", a["axis"] as number | null, a["keepdims"] === true, a["select_last_index"] === true);
    case "cumsum": {
      const flat = a["axis"] === null;
      return extra.cumsum(flat ? { shape: [ref.numel(x.shape)], data: x.data } : x, flat ? 0 : (a["axis"] as number), a["exclusive"] === true, a["reverse"] === true);
    }
    case "nn.attention": {
      const scale = a["scale"] as number | null, causal = a["causal_mask"] as "TopLeft" | "BottomRight" | null;
      return extra.attention(x, y, args[2] as Nd, { ...(scale !== null ? { scale } : {}), ...(causal ? { causal } : {}), ...(args[3] ? { bias: args[3] as Nd } : {}) });
    }
    case "nn.group_norm":
      return extra.groupNorm(x, y, args[2] as Nd, a["num_groups"] as number, a["epsilon"] as number);
    case "nn.instance_norm":
      return extra.groupNorm(x, y, args[2] as Nd, x.shape[1]!, a["epsilon"] as number);
    case "image.resize2d": {
      const method = a["method"] as string, scales = a["scales"] as [number, number] | null;
      const sz = args[1] as unknown as number[];
      return extra.resize(x, [sz[0]!, sz[1]!], {
        mode: method === "linear" ? "linear" : method === "cubic" ? "cubic" : "nearest",
        cubicA: a["cubic_alpha"] as number,
        exclude: a["cubic_exclude"] === 1,
        coord: a["coordinate_transformation_mode"] as extra.ResizeRef["coord"],
        nearest: a["rounding_method"] as extra.ResizeRef["nearest"],
        ...(scales ? { scales } : {}),
      });
    }
    default:
      throw new Error(`the reference evaluator does not implement R.${name}`);
  }
}

/** R.strided_slice with numpy's clamping of begin and end (which may be symbolic). */
function stridedSlice(x: Nd, a: Call["attrs"], dim: (e: PrimExpr) => number): Nd {
  const axes = a["axes"] as number[], begin = a["begin"] as (number | PrimExpr)[], end = a["end"] as (number | PrimExpr)[];
  const strides = (a["strides"] as number[] | null) ?? axes.map(() => 1);
  const ev = (v: number | PrimExpr) => (typeof v === "number" ? v : dim(v));
  const b: number[] = [], e: number[] = [];
  axes.forEach((ax, i) => {
    const d = x.shape[ax]!, s = strides[i]!;
    const clamp = (v: number) => {
      const w = v < 0 ? v + d : v;
      return s > 0 ? Math.min(Math.max(w, 0), d) : Math.min(Math.max(w, -1), d - 1);
    };
    b.push(clamp(ev(begin[i]!)));
    e.push(clamp(ev(end[i]!)));
  });
  return ref.slice(x, axes, b, e, strides);
}

/** Runs a high-level Relax function on float64 arrays (its parameters must be tensors). */
export function evalMain(fn: Function, inputs: readonly Nd[]): Nd {
  return new Interpreter(undefined, "operators").run(fn, inputs) as Nd;
}

/** Runs Relax function `name` of a lowered module on `args`; counts PrimFunc calls in `stats`. */
export function evalRelax(mod: IRModule, name: string, args: readonly Value[], stats?: { calls: string[] }): Value {
  const fn = mod.get(name);
  if (!(fn instanceof Function)) throw new Error(`${name} is not a Relax function`);
  return new Interpreter(mod, "call_tir", stats).run(fn, args);
}

/** Typed arrays (or tuples of them) agree in shape, dtype and values within the tolerances. */
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
