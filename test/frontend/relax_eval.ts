/**
 * A naive reference evaluator for the dataflow Relax functions the frontends build (test-only,
 * float64, numpy semantics), so import and export can be checked numerically before the VM
 * exists. Only the operators the frontends emit are implemented; anything else throws.
 */
import { Analyzer } from "../../src/arith/analyzer.js";
import { int64 } from "../../src/ir/dtype.js";
import { IntImm, Var as TirVar, type PrimExpr } from "../../src/ir/expr.js";
import { substitute } from "../../src/ir/expr_functor.js";
import {
  Call, Constant, Function, RelaxOp, SeqExpr, ShapeExpr, TensorStructInfo, Tuple, TupleGetItem, Var, VarBinding, type Expr,
} from "../../src/relax/index.js";
import * as refOps from "../relax/transform/reference_ops.js";

export interface Arr {
  shape: number[];
  data: Float64Array;
}
type Value = Arr | Value[] | number[];

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const strides = (s: readonly number[]) => {
  const r = new Array<number>(s.length).fill(1);
  for (let i = s.length - 2; i >= 0; i--) r[i] = r[i + 1]! * s[i + 1]!;
  return r;
};
export const arr = (shape: number[], f: (i: number) => number): Arr => ({ shape, data: Float64Array.from({ length: size(shape) }, (_, i) => f(i)) });

/** out[idx] = f(idx) over a shape. */
function build(shape: number[], f: (idx: number[]) => number): Arr {
  const n = size(shape), st = strides(shape), out = new Float64Array(n);
  const idx = new Array<number>(shape.length);
  for (let i = 0; i < n; i++) {
    let r = i;
    for (let k = 0; k < shape.length; k++) {
      idx[k] = Math.floor(r / st[k]!);
      r %= st[k]!;
    }
    out[i] = f(idx);
  }
  return { shape, data: out };
}
const at = (a: Arr, idx: readonly number[]) => {
  const st = strides(a.shape);
  let o = 0;
  for (let k = 0; k < idx.length; k++) o += idx[k]! * st[k]!;
  return a.data[o]!;
};

function broadcast(a: Arr, b: Arr, f: (x: number, y: number) => number): Arr {
  const n = Math.max(a.shape.length, b.shape.length);
  const pad = (s: number[]) => [...new Array<number>(n - s.length).fill(1), ...s];
  const sa = pad(a.shape), sb = pad(b.shape);
  const shape = sa.map((d, i) => (d === 1 ? sb[i]! : d));
  const A = { shape: sa, data: a.data }, B = { shape: sb, data: b.data };
  return build(shape, (idx) => f(at(A, idx.map((v, i) => (sa[i] === 1 ? 0 : v))), at(B, idx.map((v, i) => (sb[i] === 1 ? 0 : v)))));
}
const map = (a: Arr, f: (x: number) => number): Arr => ({ shape: a.shape, data: a.data.map(f) });

function erf(x: number): number {
  // Abramowitz-Stegun 7.1.26 is not accurate enough; use a series/continued fraction split.
  const t = Math.abs(x);
  if (t < 2.5) {
    let sum = t, term = t;
    for (let n = 1; n < 60; n++) {
      term *= (-t * t) / n;
      sum += term / (2 * n + 1);
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  let f = 0;
  for (let n = 60; n >= 1; n--) f = (n / 2) / (t + f);
  return Math.sign(x) * (1 - Math.exp(-t * t) / Math.sqrt(Math.PI) / (t + f));
}

function reduce(a: Arr, axes: number[] | null, keep: boolean, init: number, f: (acc: number, x: number) => number, fin: (acc: number, n: number) => number = (x) => x): Arr {
  const r = a.shape.length;
  const ax = new Set((axes ?? [...Array(r).keys()]).map((x) => (x < 0 ? x + r : x)));
  const outFull = a.shape.map((d, i) => (ax.has(i) ? 1 : d));
  const acc = new Float64Array(size(outFull)).fill(init);
  const st = strides(outFull);
  const full = build(a.shape, (idx) => idx.reduce((o, v, i) => o + (ax.has(i) ? 0 : v) * st[i]!, 0));
  for (let i = 0; i < a.data.length; i++) acc[full.data[i]!] = f(acc[full.data[i]!]!, a.data[i]!);
  const n = a.shape.filter((_, i) => ax.has(i)).reduce((x, y) => x * y, 1);
  const data = acc.map((v) => fin(v, n));
  return { shape: keep ? outFull : a.shape.filter((_, i) => !ax.has(i)), data };
}

function matmul(a: Arr, b: Arr): Arr {
  const A = a.shape.length === 1 ? { shape: [1, a.shape[0]!], data: a.data } : a;
  const B = b.shape.length === 1 ? { shape: [b.shape[0]!, 1], data: b.data } : b;
  const m = A.shape[A.shape.length - 2]!, k = A.shape[A.shape.length - 1]!, n = B.shape[B.shape.length - 1]!;
  const ba = A.shape.slice(0, -2), bb = B.shape.slice(0, -2);
  const nb = Math.max(ba.length, bb.length);
  const pa = [...new Array<number>(nb - ba.length).fill(1), ...ba], pb = [...new Array<number>(nb - bb.length).fill(1), ...bb];
  const batch = pa.map((d, i) => (d === 1 ? pb[i]! : d));
  const Af = { shape: [...pa, m, k], data: A.data }, Bf = { shape: [...pb, k, n], data: B.data };
  let out = build([...batch, m, n], (idx) => {
    const bi = idx.slice(0, nb), i = idx[nb]!, j = idx[nb + 1]!;
    const ia = bi.map((v, t) => (pa[t] === 1 ? 0 : v)), ib = bi.map((v, t) => (pb[t] === 1 ? 0 : v));
    let s = 0;
    for (let p = 0; p < k; p++) s += at(Af, [...ia, i, p]) * at(Bf, [...ib, p, j]);
    return s;
  });
  if (a.shape.length === 1) out = { shape: [...batch, n], data: out.data };
  if (b.shape.length === 1) out = { shape: out.shape.slice(0, -1), data: out.data };
  return out;
}

function conv2d(x: Arr, w: Arr, a: Call["attrs"]): Arr {
  const [s0, s1] = a["strides"] as number[], [d0, d1] = a["dilation"] as number[], [pt, pl] = a["padding"] as number[];
  const pb = (a["padding"] as number[])[2]!, pr = (a["padding"] as number[])[3]!;
  const g = a["groups"] as number;
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const [O, I, KH, KW] = w.shape as [number, number, number, number];
  const OH = Math.floor((H + pt + pb - (KH - 1) * d0 - 1) / s0!) + 1, OW = Math.floor((W + pl + pr - (KW - 1) * d1 - 1) / s1!) + 1;
  void C;
  return build([N, O, OH, OW], ([n, o, oh, ow]) => {
    const grp = Math.floor(o! / (O / g));
    let s = 0;
    for (let i = 0; i < I; i++) for (let kh = 0; kh < KH; kh++) for (let kw = 0; kw < KW; kw++) {
      const h = oh! * s0! + kh * d0! - pt!, ww = ow! * s1! + kw * d1! - pl!;
      if (h < 0 || h >= H || ww < 0 || ww >= W) continue;
      s += at(x, [n!, grp * I + i, h, ww]) * at(w, [o!, i, kh, kw]);
    }
    return s;
  });
}

function maxPool(x: Arr, a: Call["attrs"]): Arr {
  const [kh, kw] = a["pool_size"] as number[], [sh, sw] = a["strides"] as number[], p = a["padding"] as number[];
  const [N, C, H, W] = x.shape as [number, number, number, number];
  const OH = Math.floor((H + p[0]! + p[2]! - kh!) / sh!) + 1, OW = Math.floor((W + p[1]! + p[3]! - kw!) / sw!) + 1;
  return build([N, C, OH, OW], ([n, c, oh, ow]) => {
    let m = -Infinity;
    for (let i = 0; i < kh!; i++) for (let j = 0; j < kw!; j++) {
      const h = oh! * sh! + i - p[0]!, w = ow! * sw! + j - p[1]!;
      if (h >= 0 && h < H && w >= 0 && w < W) m = Math.max(m, at(x, [n!, c!, h, w]));
    }
    return m;
  });
}

const axesList = (v: unknown): number[] | null => (v === null || v === undefined ? null : Array.isArray(v) ? (v as number[]) : [v as number]);

export class RelaxEvaluator {
  private readonly env = new Map<Var, Value>();
  private readonly syms = new Map<TirVar, PrimExpr>();
  private readonly an = new Analyzer();

  dim(e: PrimExpr): number {
    const v = this.an.simplify(substitute(e, this.syms));
    if (!(v instanceof IntImm)) throw new Error(`cannot evaluate dim ${String(e)}`);
    return v.value;
  }

  run(fn: Function, inputs: readonly Arr[]): Value {
    fn.params.forEach((p, i) => {
      const a = inputs[i]!;
      const dims = (p.structInfo as TensorStructInfo).dims!;
      dims.forEach((d, k) => {
        if (d instanceof TirVar && !this.syms.has(d)) this.syms.set(d, new IntImm(int64, a.shape[k]!));
      });
      this.env.set(p, a);
    });
    const seq = fn.body as SeqExpr;
    for (const b of seq.blocks) for (const x of b.bindings) this.env.set(x.variable, this.expr((x as VarBinding).value));
    return this.expr(seq.body);
  }

  private expr(e: Expr): Value {
    if (e instanceof Var) return this.env.get(e)!;
    if (e instanceof Constant) return { shape: [...e.shape], data: Float64Array.from(e.data) };
    if (e instanceof ShapeExpr) return e.values.map((v) => this.dim(v));
    if (e instanceof Tuple) return e.fields.map((f) => this.expr(f));
    if (e instanceof TupleGetItem) return (this.expr(e.tuple) as Value[])[e.index]!;
    if (e instanceof Call && e.op instanceof RelaxOp) return this.call(e.op.scriptName, e.args.map((a) => this.expr(a as Expr)), e.attrs);
    throw new Error(`cannot evaluate ${e.kind}`);
  }

  private call(name: string, args: Value[], a: Call["attrs"]): Value {
    const x = args[0] as Arr, y = args[1] as Arr;
    const bin: Record<string, (p: number, q: number) => number> = {
      add: (p, q) => p + q, subtract: (p, q) => p - q, multiply: (p, q) => p * q, divide: (p, q) => p / q, power: Math.pow,
      maximum: Math.max, minimum: Math.min, greater: (p, q) => +(p > q), less: (p, q) => +(p < q), equal: (p, q) => +(p === q),
      logical_and: (p, q) => +(!!p && !!q), logical_or: (p, q) => +(!!p || !!q), logical_xor: (p, q) => +(!!p !== !!q),
    };
    const un: Record<string, (p: number) => number> = {
      exp: Math.exp, log: Math.log, sqrt: Math.sqrt, tanh: Math.tanh, erf, negative: (p) => -p, abs: Math.abs, sigmoid: (p) => 1 / (1 + Math.exp(-p)),
      "nn.relu": (p) => Math.max(p, 0), "nn.gelu": (p) => 0.5 * p * (1 + erf(p / Math.SQRT2)),
      logical_not: (p) => +!p, isnan: (p) => +Number.isNaN(p), isinf: (p) => +(Math.abs(p) === Infinity), isfinite: (p) => +Number.isFinite(p),
    };
    const f64 = (r: { shape: number[]; data: number[] }): Arr => ({ shape: r.shape, data: Float64Array.from(r.data) });
    if (bin[name]) return broadcast(x, y, bin[name]!);
    if (un[name]) return map(x, un[name]!);
    switch (name) {
      case "where": return broadcast(broadcast(x, y, (c, p) => (c ? p : NaN)), broadcast(x, args[2] as Arr, (c, q) => (c ? NaN : q)), (p, q) => (Number.isNaN(p) ? q : p));
      case "matmul": return matmul(x, y);
      case "permute_dims": {
        const perm = (a["axes"] as number[] | null) ?? [...x.shape.keys()].reverse();
        return build(perm.map((p) => x.shape[p]!), (idx) => at(x, perm.map((_, k) => idx[perm.indexOf(k)]!)));
      }
      case "reshape": return { shape: args[1] as number[], data: x.data };
      case "broadcast_to": return broadcast(x, { shape: args[1] as number[], data: new Float64Array(size(args[1] as number[])) }, (p) => p);
      case "expand_dims": {
        const shape = [...x.shape];
        for (const ax of [...(axesList(a["axis"]) ?? [])].map((v) => (v < 0 ? v + x.shape.length + 1 : v)).sort((p, q) => p - q)) shape.splice(ax, 0, 1);
        return { shape, data: x.data };
      }
      case "squeeze": {
        const ax = new Set((axesList(a["axis"]) ?? []).map((v) => (v < 0 ? v + x.shape.length : v)));
        return { shape: x.shape.filter((d, i) => !(ax.has(i) || (ax.size === 0 && d === 1))), data: x.data };
      }
      case "concat": {
        const parts = args[0] as Arr[];
        const axis = ((a["axis"] as number) + parts[0]!.shape.length) % parts[0]!.shape.length;
        const shape = [...parts[0]!.shape];
        shape[axis] = parts.reduce((s, p) => s + p.shape[axis]!, 0);
        return build(shape, (idx) => {
          let i = idx[axis]!;
          for (const p of parts) {
            if (i < p.shape[axis]!) return at(p, idx.map((v, k) => (k === axis ? i : v)));
            i -= p.shape[axis]!;
          }
          throw new Error("concat index");
        });
      }
      case "strided_slice": {
        const axes = a["axes"] as number[], begin = a["begin"] as (number | PrimExpr)[], end = a["end"] as (number | PrimExpr)[];
        const st = (a["strides"] as number[] | null) ?? axes.map(() => 1);
        const shape = [...x.shape], starts = x.shape.map(() => 0), steps = x.shape.map(() => 1);
        axes.forEach((ax, i) => {
          const d = x.shape[ax]!, s = st[i]!;
          const ev = (v: number | PrimExpr) => (typeof v === "number" ? v : this.dim(v));
          let b = ev(begin[i]!), e2 = ev(end[i]!);
          b = b < 0 ? b + d : b;
          e2 = e2 < 0 ? e2 + d : e2;
          b = s > 0 ? Math.min(Math.max(b, 0), d) : Math.min(Math.max(b, -1), d - 1);
          e2 = s > 0 ? Math.min(Math.max(e2, 0), d) : Math.min(Math.max(e2, -1), d - 1);
          shape[ax] = Math.max(s > 0 ? Math.ceil((e2 - b) / s) : Math.ceil((b - e2) / -s), 0);
          starts[ax] = b;
          steps[ax] = s;
        });
        return build(shape, (idx) => at(x, idx.map((v, k) => starts[k]! + v * steps[k]!)));
      }
      case "take": {
        const axis = a["axis"] as number;
        const ax = axis < 0 ? axis + x.shape.length : axis;
        const shape = [...x.shape.slice(0, ax), ...y.shape, ...x.shape.slice(ax + 1)];
        return build(shape, (idx) => at(x, [...idx.slice(0, ax), at(y, idx.slice(ax, ax + y.shape.length)), ...idx.slice(ax + y.shape.length)]));
      }
      case "sum": return reduce(x, axesList(a["axis"]), a["keepdims"] === true, 0, (p, q) => p + q);
      case "mean": return reduce(x, axesList(a["axis"]), a["keepdims"] === true, 0, (p, q) => p + q, (s, n) => s / n);
      case "max": return reduce(x, axesList(a["axis"]), a["keepdims"] === true, -Infinity, Math.max);
      case "min": return reduce(x, axesList(a["axis"]), a["keepdims"] === true, Infinity, Math.min);
      case "nn.softmax": {
        const axis = [a["axis"] as number];
        const m = reduce(x, axis, true, -Infinity, Math.max);
        const e = broadcast(x, m, (p, q) => Math.exp(p - q));
        return broadcast(e, reduce(e, axis, true, 0, (p, q) => p + q), (p, q) => p / q);
      }
      case "nn.layer_norm": {
        const axes = a["axes"] as number[], eps = a["epsilon"] as number;
        const mean = reduce(x, axes, true, 0, (p, q) => p + q, (s, n) => s / n);
        const c = broadcast(x, mean, (p, q) => p - q);
        const v = reduce(map(c, (p) => p * p), axes, true, 0, (p, q) => p + q, (s, n) => s / n);
        const nrm = broadcast(c, v, (p, q) => p / Math.sqrt(q + eps));
        return broadcast(broadcast(nrm, y, (p, q) => p * q), args[2] as Arr, (p, q) => p + q);
      }
      case "nn.conv2d": return conv2d(x, y, a);
      case "nn.conv2d_transpose": {
        const p4 = a["padding"] as number[], op2 = a["output_padding"] as number[];
        return f64(refOps.conv2dTranspose(x, y, {
          strides: a["strides"] as [number, number], dilation: a["dilation"] as [number, number], groups: a["groups"] as number,
          pad: [p4[0]!, p4[1]!, p4[2]!, p4[3]!], outputPadding: [op2[0]!, op2[1]!],
        }));
      }
      case "topk": {
        const [vals, idx] = refOps.topk(x, a["k"] as number, a["axis"] as number, a["largest"] === true);
        const ret = a["ret_type"];
        return ret === "both" ? [f64(vals), f64(idx)] : f64(ret === "values" ? vals : idx);
      }
      case "argmax":
      case "argmin":
        return f64(refOps.argReduce(x, name === "argmax" ? "max" : "min", a["axis"] as number | null, a["keepdims"] === true, a["select_last_index"] === true));
      case "cumsum": {
        const flat = a["axis"] === null;
        return f64(refOps.cumsum(flat ? { shape: [size(x.shape)], data: x.data } : x, flat ? 0 : (a["axis"] as number), a["exclusive"] === true, a["reverse"] === true));
      }
      case "nn.attention": {
        const scale = a["scale"] as number | null, causal = a["causal_mask"] as "TopLeft" | "BottomRight" | null;
        return f64(refOps.attention(x, y, args[2] as Arr, { ...(scale !== null ? { scale } : {}), ...(causal ? { causal } : {}), ...(args[3] ? { bias: args[3] as Arr } : {}) }));
      }
      case "nn.group_norm": return f64(refOps.groupNorm(x, y, args[2] as Arr, a["num_groups"] as number, a["epsilon"] as number));
      case "nn.instance_norm": return f64(refOps.groupNorm(x, y, args[2] as Arr, x.shape[1]!, a["epsilon"] as number));
      case "image.resize2d": {
        const method = a["method"] as string, scales = a["scales"] as [number, number] | null;
        const sz = args[1] as number[];
        return f64(refOps.resize(x, [sz[0]!, sz[1]!], {
          mode: method === "linear" ? "linear" : method === "cubic" ? "cubic" : "nearest",
          cubicA: a["cubic_alpha"] as number,
          exclude: a["cubic_exclude"] === 1,
          coord: a["coordinate_transformation_mode"] as refOps.ResizeRef["coord"],
          nearest: a["rounding_method"] as refOps.ResizeRef["nearest"],
          ...(scales ? { scales } : {}),
        }));
      }
      case "nn.max_pool2d": return maxPool(x, a);
      default: throw new Error(`the test evaluator does not implement R.${name}`);
    }
  }
}

export function evalMain(fn: Function, inputs: readonly Arr[]): Arr {
  return new RelaxEvaluator().run(fn, inputs) as Arr;
}

export function maxAbsDiff(a: Arr, b: Arr): number {
  if (a.shape.join() !== b.shape.join()) throw new Error(`shape mismatch: (${a.shape}) vs (${b.shape})`);
  let m = 0;
  for (let i = 0; i < a.data.length; i++) m = Math.max(m, Math.abs(a.data[i]! - b.data[i]!));
  return m;
}
